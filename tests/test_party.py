"""党建引领 as a mechanism: the branch organises, the committee co-ordinates, members' skill.

Claims are tested on replicated runs (8 seeds, paired) with 95 % confidence intervals of the
paired differences; each contrast could come out either way.
"""

import numpy as np
import pytest

from .conftest import ci95, replicate, run_frame

WEEKS = 104
TAIL = slice(-26, None)


def _paired(column, a: dict, b: dict, steps=WEEKS, rows=TAIL):
    """Per-seed difference a − b of a column's mean over the last half-year."""

    def diff(seed):
        x = run_frame(seed=seed, steps=steps, **a)[column].iloc[rows].mean()
        y = run_frame(seed=seed, steps=steps, **b)[column].iloc[rows].mean()
        return x - y

    return replicate(diff)


def test_without_branch_time_no_activity_or_meeting_is_held():
    frame = run_frame(seed=0, steps=30, branch_capacity=0.0, deliberation_every_weeks=4)
    assert (frame["branch_activities"] == 0).all()
    assert frame["participation_rate"].gt(0).all()  # reports and return calls go on


def test_without_branch_time_participation_falls_where_the_agenda_is_residents():
    agenda = {"resident_agenda": True, "deliberation_every_weeks": 4}
    fall = _paired("participation_rate", {"branch_capacity": 0.0, **agenda}, agenda)
    lo, hi = ci95(fall)
    assert hi < 0, f"participation change without branch time: CI [{lo:.4f}, {hi:.4f}]"


@pytest.mark.xfail(
    strict=True,
    reason="not supported at the status quo: when the assessment sets the agenda, three in "
    "four events are staged and teach residents they do not matter, so stopping them changes "
    "participation by +0.000 [−0.002, +0.002] (8 seeds); with the residents' agenda it falls "
    "(test above)",
)
def test_without_branch_time_participation_falls_at_the_status_quo():
    fall = _paired("participation_rate", {"branch_capacity": 0.0}, {})
    assert ci95(fall)[1] < 0


def test_branch_time_binds_meetings_before_activities():
    # a meeting week: with time for the meeting only, the activities due that week wait
    tight = {"deliberation_every_weeks": 4, "branch_capacity": 0.6}
    frame = run_frame(seed=1, steps=16, **tight)
    meeting_weeks = frame.iloc[::4]["branch_activities"].mean()
    other_weeks = frame.drop(frame.index[::4])["branch_activities"].mean()
    assert meeting_weeks < other_weeks


def test_without_joint_meetings_nothing_is_escalated():
    frame = run_frame(seed=0, steps=30, committee_convening_every_weeks=0)
    assert (frame["cases_escalated_by_committee"] == 0).all()
    assert (frame["committee_meetings"] == 0).all()
    assert (frame["department_summons_met_share"] == 0).all()


@pytest.mark.xfail(
    strict=True,
    reason="not supported: departments that report for the committee's cases add time, but "
    "at the status quo the yearly budget, not time, limits fixes; without joint meetings vs "
    "with a Party duty of 0.9 the backlog differs by +8 [−3, +18] cases (8 seeds)",
)
def test_a_committee_with_real_pull_shortens_the_backlog():
    grows = _paired(
        "backlog", {"committee_convening_every_weeks": 0}, {"department_party_duty": 0.9}
    )
    lo, hi = ci95(grows)
    assert lo > 0, f"backlog without joint meetings − with duty 0.9: CI [{lo:.1f}, {hi:.1f}]"


@pytest.mark.xfail(
    strict=True,
    reason="not supported: the committee puts about one job a week per 2,000 households to "
    "the departments and, at the status quo's weak Party duty (0.3), they act on a third; "
    "without joint meetings the 90th percentile of open cases' waits changes by +0.2 "
    "[−0.3, +0.7] weeks (8 seeds)",
)
def test_without_joint_meetings_the_longest_waits_grow():
    growth = _paired("open_wait_p90", {"committee_convening_every_weeks": 0}, {})
    assert ci95(growth)[0] > 0


def test_departments_with_a_stronger_party_duty_answer_summons_sooner():
    shorter = _paired(
        "summons_wait_weeks", {"department_party_duty": 0.9}, {"department_party_duty": 0.1}
    )
    lo, hi = ci95(shorter)
    assert hi < 0, f"wait after a summons, duty 0.9 − 0.1: CI [{lo:.3f}, {hi:.3f}]"
    met = _paired(
        "department_summons_met_share",
        {"department_party_duty": 0.9},
        {"department_party_duty": 0.1},
    )
    assert ci95(met)[0] > 0


def test_trace_assessment_lowers_the_relevant_share_of_branch_events():
    both = {"deliberation_every_weeks": 4}
    gap = _paired(
        "branch_meetings_relevant_share",
        {"assessment": "trace", **both},
        {"assessment": "results", **both},
        steps=30,
        rows=slice(-13, None),
    )
    lo, hi = ci95(gap)
    assert hi < 0, f"relevant share, trace − results: CI [{lo:.3f}, {hi:.3f}]"


def test_an_agenda_from_residents_makes_branch_events_relevant_under_trace_assessment():
    both = {"deliberation_every_weeks": 4}
    gain = _paired(
        "branch_meetings_relevant_share",
        {"resident_agenda": True, **both},
        both,
        steps=30,
        rows=slice(-13, None),
    )
    assert ci95(gain)[0] > 0


def test_party_training_costs_money_every_week():
    frame = run_frame(seed=2, steps=10, party_training=1.0)
    base = run_frame(seed=2, steps=10)
    assert frame["budget_spent"].iloc[-1] > base["budget_spent"].iloc[-1]
    assert np.all(np.diff(frame["budget_spent"] - base["budget_spent"]) != 0)
