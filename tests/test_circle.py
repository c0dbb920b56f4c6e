"""The circle itself: participation answers to how residents' problems are handled.

Each claim is tested on replicated runs (8 seeds) with 95 % confidence intervals; unit tests
pin the order of outcome values and the fiscal year.
"""

import numpy as np
import pytest

from model import PARAMS, CommunityModel
from model.outcomes import outcome_values
from model.state import ABANDONED, CLOSED_ON_PAPER, RESOLVED

from .conftest import ci95, replicate, run_frame

SERVICE_LEVERS = (
    "feedback_loop", "whistle_and_report", "burden_reduction", "anti_formalism",
    "worker_incentives", "funding", "professionalisation", "convening_committee",
)  # fmt: skip


def _ended(outcome, rt=1.0, told=True, relevant=True, k=4000):
    """k ended cases of one kind, for outcome_values."""
    return {
        "res": np.arange(k, dtype=np.int32),
        "outcome": np.full(k, outcome, np.int8),
        "kind": np.zeros(k, np.int8),
        "rt": np.full(k, rt, np.float32),
        "lost": np.zeros(k, bool),
        "codecided": np.full(k, relevant),
        "professional": np.zeros(k, bool),
    }


def test_outcome_values_follow_the_papers_order():
    """Timely relevant known fix > aspiration > honest 'nothing could be done' > paper/silence."""
    m = CommunityModel(
        rng=0, n_residents=4000, feedback_prob=1.0, burn_in_weeks=0, professional_share=0.0
    )
    fix = outcome_values(m, _ended(RESOLVED))[0].mean()
    honest = outcome_values(m, _ended(ABANDONED))[0].mean()
    paper = outcome_values(m, _ended(CLOSED_ON_PAPER))[0].mean()
    m.set_levers(feedback_prob=0.0)
    silence = outcome_values(m, _ended(ABANDONED))[0].mean()
    assert fix > m.params["aspiration"] > honest > paper
    assert paper == silence == 0.0
    m.set_levers(feedback_prob=1.0)
    late = outcome_values(m, _ended(RESOLVED, rt=30.0))[0].mean()
    assert late < fix  # a late fix is worth less


def test_a_notification_alone_is_not_participation():
    """With learning off, telling every resident the outcome leaves participation unchanged."""

    def run(feedback):
        week0 = [{"week": 0, "set": {"learning": False, "feedback_prob": feedback}}]
        return run_frame(seed=3, steps=40, interventions=week0)

    told, silent = run(1.0), run(0.0)
    np.testing.assert_array_equal(told["participation_rate"], silent["participation_rate"])
    assert (told["satisfaction_rate"] >= silent["satisfaction_rate"]).mean() > 0.5


FROZEN_COLUMNS = ("active_participation_rate", "report_rate")


def _end(scenario, seed):
    """Weeks 91–103 of a run whose residents stop learning at week 52 (the levers' week)."""
    frozen = [{"week": 52, "set": {"learning": False}}]
    frame = run_frame(scenario, seed, steps=104, interventions=frozen)
    return frame[list(FROZEN_COLUMNS)].iloc[-13:].mean().to_numpy()


@pytest.mark.parametrize("lever", SERVICE_LEVERS)
def test_with_learning_off_a_service_lever_does_not_move_participation(lever):
    """Reporting, attending and deliberating, and the readiness to report a problem, do not
    move when residents cannot learn.

    (Answering return calls is left out: faster service moves the call into the same four
    weeks as the report, which lowers the count of distinct participants a little – a
    property of the measure, reported in README, not a lever acting on residents.)

    The claim is about all levers and both measures at once: 16 intervals, each widened so
    that together they cover at 95 %."""
    effects = replicate(lambda s: _end(lever, s) - _end("baseline", s))  # seeds × columns
    family = len(SERVICE_LEVERS) * len(FROZEN_COLUMNS)
    for column, effect in zip(FROZEN_COLUMNS, effects.T, strict=True):
        lo, hi = ci95(effect, family=family)
        assert lo < 0 < hi or max(abs(lo), abs(hi)) < 0.005, (column, lo, hi)


def test_first_report_fixed_makes_reporting_again_more_likely(baseline_summaries):
    ratio = np.array([s["rereport_ratio"] for s in baseline_summaries])
    lo = np.array([s["rereport_ratio_lo"] for s in baseline_summaries])
    assert np.all(ratio > 1)
    assert ci95(np.log(ratio))[0] > 0
    assert np.median(lo) > 1


def test_report_rate_is_the_weekly_chance_that_a_pending_problem_is_reported(monkeypatch):
    import model.decisions as decisions

    weeks = []  # (residents with a pending problem, how many of them reported it)
    real = decisions.report_problems

    def counted(model):
        pending = model.people.pending.copy()
        before = model.people.n_reports[pending].copy()
        real(model)
        weeks.append((int(pending.sum()), int((model.people.n_reports[pending] > before).sum())))

    monkeypatch.setattr(decisions, "report_problems", counted)
    frame = run_frame(seed=2, steps=12)
    last = np.array(weeks[-4:])  # the measure's four-week window
    assert frame["report_rate"].iloc[-1] == pytest.approx(last[:, 1].sum() / last[:, 0].sum())


@pytest.fixture(scope="module")
def ladder():
    g, d = PARAMS["grid_capacity"].default, PARAMS["department_capacity"].default

    def rung(f):
        frames = [
            run_frame(seed=s, grid_capacity=g * f, department_capacity=d * f) for s in range(8)
        ]
        return {
            k: np.array([fr[k].iloc[-13:].mean() for fr in frames])
            for k in ("participation_rate", "reporting_share", "report_rate", "needs_met_rate")
        }

    return {f: rung(f) for f in (0.5, 2.0)}


@pytest.mark.parametrize("column", ["participation_rate", "reporting_share", "report_rate"])
def test_better_service_brings_more_participation(ladder, column):
    low, high = ci95(ladder[0.5][column]), ci95(ladder[2.0][column])
    assert low[1] < high[0]  # non-overlapping 95 % intervals


def test_unspent_budget_lapses_at_the_end_of_the_fiscal_year():
    m = CommunityModel(
        rng=0, n_residents=1000, burn_in_weeks=0, department_budget=50.0,
        need_rate_youth=0, need_rate_working=0, need_rate_retired=0,
        need_rate_low_income_extra=0, shared_issue_rate=0,
    )  # fmt: skip
    for _ in range(53):
        m.step()
    assert m.department_balance == pytest.approx(50.0)  # not 100: last year's money lapsed


@pytest.mark.xfail(
    strict=True,
    reason="not at the calibrated defaults: residents report less (activity_base and the "
    "aspiration from the calibration), and grid workers use 0.88 [0.87, 0.89] of their "
    "time, near but below the ≥ 0.9 the paper's overload (身兼数职) was read as; "
    "grid_capacity is a stated assumption and is not retuned to this test; fitted as a "
    "calibration target it was not reached jointly with the survey, neither by freeing "
    "grid_capacity nor through departments' follow-ups (push_down_per_waiting_job, which "
    "reached it only by jamming the services; docs/VALIDATION.md)",
)
def test_grid_workers_are_overloaded_at_the_status_quo(baseline_runs):
    assert ci95([r["grid_utilization"].mean() for r in baseline_runs])[0] >= 0.9


def test_the_service_ladder_rungs_are_half_and_double_the_defaults():
    import tomllib
    from pathlib import Path

    from model import PARAMS

    spec = Path(__file__).parents[1] / "experiments" / "specs" / "service_ladder.toml"
    rungs = tomllib.loads(spec.read_text())["scenarios"]
    for name in ("grid_capacity", "department_capacity"):
        default = PARAMS[name].default
        assert rungs["half"]["set"][name] == pytest.approx(default / 2, rel=1e-3), name
        assert rungs["double"]["set"][name] == pytest.approx(default * 2, rel=1e-3), name


def test_week_0_is_the_settled_status_quo(baseline_runs):
    ratio = [r["participation_rate"].iloc[0] / r["participation_rate"].iloc[1:14].mean()
             for r in baseline_runs]  # fmt: skip
    assert abs(np.mean(ratio) - 1) < 0.1


@pytest.mark.parametrize("column", ["participation_rate", "mean_efficacy"])
def test_the_status_quo_stays_where_it_starts_over_three_years(baseline_runs, column):
    """Not only week 0: a status quo that is a state, not a start, keeps its level (year 3
    against year 1, whole fiscal years, within a tenth at the 95 % bounds)."""
    change = [r[column].iloc[104:156].mean() / r[column].iloc[:52].mean() - 1
              for r in baseline_runs]  # fmt: skip
    lo, hi = ci95(np.array(change))
    assert lo > -0.1 and hi < 0.1, (column, lo, hi)
