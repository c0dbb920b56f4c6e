"""Stage 3 – residents decide whether to take part: report, attend, deliberate.

A decision is a logistic choice. Its log-odds add what the resident brings (Party
membership, low income, spare time, the channel's cost, incentives), what the resident
feels (general efficacy, ``efficacy_weight``), what the neighbours did recently
(``neighbour_weight``), whether a Party member called this week (``mobilisation_weight``)
and – for reporting a problem only – the resident's own record: the Beta estimate of "my
reports get fixed" from the fixed and unfixed reports so far (``record_weight``; the first
outcome weighs ``first_outcome_weight``). Attending an activity or a deliberation meeting
teaches according to what it achieved (see :mod:`model.outcomes`), never a fixed amount.

Reads ``report_base``, ``activity_base``, ``efficacy_weight``, ``neighbour_weight``,
``mobilisation_weight``, ``record_weight``, ``issue_lapse_weeks``, ``lost_case_prob``,
``online_platform``, ``grid_plus_branch``, ``door_cost_removed``, ``activity_weight``,
``deliberation_appeal``, ``event_expectation_weight`` (which events are held, and about what:
:mod:`model.branch`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .metrics import REREPORT_WINDOW
from .outcomes import learn
from .state import AT_GRID, NEVER, SHARED
from .stats import members, sigmoid

if TYPE_CHECKING:
    from .model import CommunityModel


def refresh_static_logit(model: CommunityModel) -> None:
    """The parts of every decision that change only when parameters change."""
    p, r = model.params, model.people
    static = (
        p["party_engagement"] * r.party
        + p["low_income_engagement"] * r.low_income
        + p["resident_incentive"]
        - p["participation_cost"] * (1.0 - r.free_time)
    )
    model.static_logit = static.astype(np.float32)
    channel = r.prefers_online & (not p["online_platform"])
    model.channel_cost = (p["offline_channel_cost"] * channel).astype(np.float32)


def logit_base(model: CommunityModel, idx: np.ndarray | slice) -> np.ndarray:
    """Log-odds shared by every way of taking part."""
    p, r = model.params, model.people
    return (
        model.static_logit[idx]
        + p["efficacy_weight"] * r.efficacy[idx]
        + p["neighbour_weight"] * model.neighbour_share[idx]
        + np.float32(p["mobilisation_weight"]) * r.mobilised[idx]
    )  # float32 throughout: decisions need no more precision


def record_belief(model: CommunityModel, idx: np.ndarray) -> np.ndarray:
    """Expected chance that my next report is fixed: Beta(1 + fixed, 1 + unfixed) mean."""
    r = model.people
    fixed, unfixed = r.record_fixed[idx], r.record_unfixed[idx]
    return (1.0 + fixed) / (2.0 + fixed + unfixed)


def report_logit(model: CommunityModel, idx: np.ndarray) -> np.ndarray:
    p = model.params
    return (
        logit_base(model, idx)
        + p["report_base"]
        + p["record_weight"] * (record_belief(model, idx) - 0.5)
        - model.channel_cost[idx]
    )


def residents_take_part(model: CommunityModel) -> None:
    report_problems(model)
    attend_activities(model)
    deliberate(model)


def report_problems(model: CommunityModel) -> None:
    """反映问题: a pending problem is reported, or waits, or lapses unreported."""
    p, rng, t, r = model.params, model.rng, model.week, model.people
    pending = np.flatnonzero(r.pending)
    logit = report_logit(model, pending)
    # a part-time grid worker collecting the problem at the door takes over its costs
    collected = r.mobilised[pending] & p["grid_plus_branch"]
    door = p["participation_cost"] * (1 - r.free_time[pending]) + model.channel_cost[pending]
    logit = np.where(collected, logit + p["door_cost_removed"] * door, logit)
    report = rng.random(pending.size) < sigmoid(logit)
    reporters = pending[report]
    model.log["pending"] += pending.size
    model.log["pending_reported"] += reporters.size
    lost_p = 0.0 if p["online_platform"] else p["lost_case_prob"]
    lost = (rng.random(reporters.size) < lost_p) & ~collected[report]
    open_cases(model, reporters, lost=lost, codecided=np.zeros(reporters.size, bool))
    left = pending[~report]
    lapse = left[t - r.issue_week[left] >= p["issue_lapse_weeks"] - 1]
    r.issue_week[lapse] = NEVER
    model.log["lapsed"] += lapse.size
    model.log["unmet"] += lapse.size


def event_logit(model: CommunityModel, who: np.ndarray) -> np.ndarray:
    """What going to a branch event adds: the propensity to attend, and what residents expect
    of it from what the building's recent events were about (centred on one half)."""
    p = model.params
    expected = model.event_reputation[model.people.building[who]] - 0.5
    return p["activity_base"] + np.float32(p["event_expectation_weight"]) * expected


def attend_activities(model: CommunityModel) -> None:
    """党建活动 the branches hold this week; attendees learn whether it was relevant."""
    p, rng = model.params, model.rng
    holding = model.activity_held
    if not holding.size:
        return
    who = model.members(holding)
    relevant = np.repeat(model.activity_relevant, model.building_size[holding])
    go = rng.random(who.size) < sigmoid(logit_base(model, who) + event_logit(model, who))
    model.participated[who[go]] = True
    model.voiced[who[go]] = True
    learn(model, who[go], relevant[go].astype(np.float32), p["activity_weight"])


def deliberate(model: CommunityModel) -> None:
    """议事协商 in the compounds whose branch holds a meeting this week.

    When the agenda is the residents' (see :mod:`model.branch`), shared problems are put on
    the table and co-decided, and attendees learn from what earlier meetings achieved: the
    share of the compound's co-decided cases, ended since the last such meeting, that were
    really fixed (nothing to report: nothing learned). A meeting with the assessment's
    agenda (学文件、念稿) co-decides nothing, and attendees learn it was not about them.
    """
    p, rng, r = model.params, model.rng, model.people
    meeting = np.flatnonzero(model.meeting_held)
    if not meeting.size:
        return
    who = members(meeting, model.compound_start, model.compound_size)
    logit = logit_base(model, who) + event_logit(model, who) + p["deliberation_appeal"]
    go = who[rng.random(who.size) < sigmoid(logit)]
    model.participated[go] = True
    model.voiced[go] = True
    c_go = r.compound[go]
    theirs = model.meeting_relevant[c_go]
    learn(model, go[~theirs], np.zeros(int((~theirs).sum()), np.float32), p["activity_weight"])
    go, c_go = go[theirs], c_go[theirs]
    ended, fixed = model.codecided_ended, model.codecided_fixed
    news = ended[c_go] > 0
    achieved = (fixed[c_go] / np.maximum(ended[c_go], 1)).astype(np.float32)
    learn(model, go[news], achieved[news], p["activity_weight"])
    met = model.meeting_relevant
    ended[met] = 0
    fixed[met] = 0
    # attendees bring their pending shared problems; open shared cases become co-decided
    bring = go[r.pending[go] & (r.issue_kind[go] == SHARED)]
    open_cases(model, bring, lost=np.zeros(bring.size, bool), codecided=np.ones(bring.size, bool))
    c = model.cases
    c["codecided"][:] |= (c["kind"] == SHARED) & met[r.compound[c["res"]]]


def open_cases(model: CommunityModel, who: np.ndarray, lost: np.ndarray, codecided) -> None:
    """Register reports as cases at the grid worker (a lost one sits in nobody's queue)."""
    if who.size == 0:
        return
    t, r = model.week, model.people
    shuffle = model.rng.permutation(who.size)  # queues take a week's reports in random order
    who, lost, codecided = who[shuffle], lost[shuffle], np.asarray(codecided)[shuffle]
    model.cases.add(
        res=who,
        kind=r.issue_kind[who],
        dept=r.issue_dept[who],
        week=np.full(who.size, t),
        state=np.full(who.size, AT_GRID),
        dept_week=np.full(who.size, t),
        clock_week=np.full(who.size, t),
        lost=lost,
        codecided=codecided,
        summoned=np.zeros(who.size, bool),
        summon_week=np.full(who.size, NEVER),
        pledged=np.zeros(who.size, bool),
        professional=np.zeros(who.size, bool),
        first=r.n_reports[who] == 0,
    )
    since_first = t - r.first_outcome_week[who]
    r.reported_after_first[who] |= (r.first_outcome[who] > 0) & (since_first <= REREPORT_WINDOW)
    r.n_reports[who] += 1
    r.open_cases[who] += 1
    r.issue_week[who] = NEVER  # the problem is now a case
    model.participated[who] = True
    model.voiced[who] = True
    model.log["received"] += who.size
    model.log["reported"] += who.size
    model.totals["received"] += who.size
