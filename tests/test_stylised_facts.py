"""The paper's claims (the stylised facts of docs/ODD.md §1) as hypotheses: replicated runs
(8 seeds), paired where possible, compared with 95 % confidence intervals – never one seed.

A claim passes when the confidence interval of the relevant difference excludes zero in the
claimed direction. These tests are what "the default parameters reproduce the stylised facts
of MODEL.md" means; if a model change breaks one, the change has changed what the model says.
"""

import numpy as np
import pytest

from model import SCENARIOS

from .conftest import SEEDS, ci95, replicate, run_frame


def _col(runs, name, rows):
    return np.array([r[name].iloc[rows].mean() for r in runs])


@pytest.fixture(scope="module")
def hopeful_runs():
    """The status quo from a hopeful start: efficacy 0.6 and no burn-in."""
    return [run_frame("baseline", s, initial_efficacy=0.6, burn_in_weeks=0) for s in SEEDS]


def test_fact1_from_a_hopeful_start_participation_and_efficacy_decay(hopeful_runs):
    first_q = _col(hopeful_runs, "participation_rate", slice(4, 17))
    last_q = _col(hopeful_runs, "participation_rate", slice(143, 156))
    assert ci95(last_q - first_q)[1] < 0  # participation falls
    eff = _col(hopeful_runs, "mean_efficacy", slice(143, 156)) - _col(
        hopeful_runs, "mean_efficacy", slice(0, 1)
    )
    assert ci95(eff)[1] < 0


def test_fact1_the_decline_slows_towards_a_floor(hopeful_runs):
    first_q = _col(hopeful_runs, "participation_rate", slice(4, 17))
    year2_start = _col(hopeful_runs, "participation_rate", slice(52, 65))
    year3_start = _col(hopeful_runs, "participation_rate", slice(104, 117))
    last_q = _col(hopeful_runs, "participation_rate", slice(143, 156))
    assert ci95((year2_start - first_q) - (last_q - year3_start))[1] < 0


def test_fact2_participants_are_mostly_retirees_and_low_income(baseline_runs):
    rows = slice(104, 156)
    retired_share = _col(baseline_runs, "retired_share_of_participants", rows)
    population = _col(baseline_runs, "retired_share_of_population", rows)
    assert ci95(retired_share - population)[0] > 0
    retired = _col(baseline_runs, "participation_rate_retired", rows)
    working = _col(baseline_runs, "participation_rate_working", rows)
    low_income = _col(baseline_runs, "participation_rate_low_income", rows)
    overall = _col(baseline_runs, "participation_rate", rows)
    assert ci95(retired - working)[0] > 0
    assert ci95(low_income - overall)[0] > 0


def test_fact3_completion_high_while_satisfaction_much_lower(baseline_runs):
    rows = slice(52, 156)
    completion = _col(baseline_runs, "completion_rate", rows)
    satisfaction = _col(baseline_runs, "satisfaction_rate", rows)
    # "much lower": at least 20 percentage points below the completion rate
    assert ci95(completion - satisfaction)[0] > 0.2
    resolution = _col(baseline_runs, "resolution_rate", rows)
    assert ci95(completion - resolution)[0] > 0  # paper closures inflate completion


def _end_participation(scenario, **kw):
    return replicate(lambda s: run_frame(scenario, s, **kw)["participation_rate"].iloc[-13:].mean())


@pytest.fixture(scope="module")
def lever_effects(baseline_runs):
    base = _col(baseline_runs, "participation_rate", slice(143, 156))
    singles = [n for n in SCENARIOS if n not in ("baseline", "beijing_reform", "full_package")]
    return base, {n: _end_participation(n) - base for n in singles}


def test_fact5_levers_differ_in_effect(lever_effects):
    """One-way ANOVA across single levers: their effects are not all the same."""
    from scipy import stats

    _, effects = lever_effects
    assert stats.f_oneway(*effects.values()).pvalue < 0.01


def test_fact5_the_full_package_beats_every_single_lever(lever_effects):
    base, effects = lever_effects
    package = _end_participation("full_package") - base
    for name, effect in effects.items():
        assert ci95(package - effect)[0] > 0, name


def test_fact5_a_settled_circle_is_slower_to_break_than_to_prevent():
    """Difference in differences against the same-week baseline: the reform's gain 40–52
    weeks after it starts, from a hopeful start (prevent) vs after the status quo settled
    (break). Both arms share seeds; each gain is against the baseline of the same weeks."""

    def gain(**kw):
        def one(s):
            reform = run_frame("beijing_reform", s, steps=kw["steps"], **kw["params"])
            base = run_frame("baseline", s, steps=kw["steps"], **kw["params"])
            rows = kw["rows"]
            return (reform["participation_rate"] - base["participation_rate"]).iloc[rows].mean()

        return replicate(one)

    hopeful = {"initial_efficacy": 0.6, "burn_in_weeks": 0, "reform_week": 0}
    prevent = gain(steps=52, params=hopeful, rows=slice(40, 52))
    settled = gain(steps=104, params={"reform_week": 52}, rows=slice(92, 104))
    assert ci95(prevent - settled)[0] > 0


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="not supported: whistle and results-based assessment together gain no more than "
    "the sum of each alone (the fixes both speed up still wait for a lean yearly budget); "
    "the feedback × whistle-with-results interaction of the combinations experiment is "
    "(README); strict, so support would show",
)
def test_fact5_whistle_and_results_assessment_work_better_together():
    """Participation gain of both together exceeds the sum of each alone (16 paired seeds)."""
    seeds = range(16)
    whistle = {"whistle": True}
    results = {"assessment": "results", "paperwork_share": 0.1}

    def end(**kw):
        return replicate(
            lambda s: (
                run_frame("baseline", s, reform_week=0, **kw)["participation_rate"]
                .iloc[-52:]
                .mean()
            ),
            seeds,
        )

    none, w, r, both = end(), end(**whistle), end(**results), end(**whistle, **results)
    assert ci95((both - none) - (w - none) - (r - none))[0] > 0
