"""Stage 8 – measurement: what is measured every week and per run, with definitions.

The model computes all weekly figures once per step (:func:`measure`, into
``CommunityModel.measures``); the DataCollector's model reporters only read them. The
definitions below are also the ones printed in ``docs/ODD.md``.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .grid import grid_time_for_cases, own_case_capacity
from .state import FIRST_FIXED, FIRST_NOT_FIXED

if TYPE_CHECKING:
    from .model import CommunityModel

#: Rolling window (weeks) for participation and for case-outcome rates.
WINDOW = 4
#: Weeks after the first report's outcome in which a new report counts as re-reporting.
REREPORT_WINDOW = 26
#: Weeks at the end of a run that run-level "_end" figures average over: a whole fiscal
#: year, so that the budget running low before each year's end does not tilt comparisons.
TAIL = 52

#: Weekly model reporters: column name → definition.
METRICS: dict[str, str] = {
    "participation_rate": "share of all residents who took part in the last 4 weeks: reported "
    "a problem, attended an activity or a deliberation meeting, or answered a return call "
    "(being told about an outcome is not taking part)",
    "active_participation_rate": "share of all residents who reported a problem, attended an "
    "activity or a deliberation meeting in the last 4 weeks (participation without answering "
    "return calls, whose timing follows how fast cases end)",
    "participation_rate_retired": "the same among retired residents",
    "participation_rate_working": "the same among working-age residents",
    "participation_rate_youth": "the same among young residents (18–29)",
    "participation_rate_low_income": "the same among low-income (低保) households",
    "participation_rate_party": "the same among Party members",
    "retired_share_of_participants": "retired residents among those who took part in the "
    "last 4 weeks (0 when nobody did)",
    "retired_share_of_population": "retired residents among all residents",
    "reporting_share": "problems reported / (problems reported + problems that lapsed "
    "unreported), both counted over the last 4 weeks (0 when there were none). Problems a "
    "building's fix cleared before they were reported count in neither, so faster service "
    "raises it even when nobody reports more readily: report_rate measures that",
    "report_rate": "weekly chance that a resident with an unreported problem reports it (反映"
    "问题): reports made / residents with a pending problem deciding, summed over the last 4 "
    "weeks (0 when nobody had one); a problem brought to a deliberation meeting is not counted. "
    "It follows residents' readiness to report, not how long problems stay pending",
    "needs_met_rate": "problems really fixed / problems whose fate was settled in the last 4 "
    "weeks, reported or not (fixed, lapsed unreported, closed on paper or abandoned; 0 when "
    "none)",
    "mean_efficacy": "mean perceived efficacy over all residents",
    "disengaged_share": "share of residents whose efficacy is below `disengaged_threshold`",
    "cases_received": "cases registered this week (lost offline reports included)",
    "cases_resolved": "cases really resolved this week (by a grid worker, the community fund "
    "or a department)",
    "cases_closed_on_paper": "cases closed on paper this week without a fix",
    "backlog": "open cases at the end of the week: queued at grid workers or departments, "
    "plus lost reports that nobody works until they time out",
    "completion_rate": "办结率: (resolved + closed on paper) / all cases that ended in the last "
    "4 weeks (ended = resolved, closed on paper or abandoned; 0 when none ended)",
    "resolution_rate": "really resolved / all cases that ended in the last 4 weeks",
    "satisfaction_rate": "满意率 as published: among return calls (回访) answered in the last 4 "
    "weeks – every registered case gets one when it ends – the share whose outcome was worth "
    "at least the aspiration (0 when none answered)",
    "callback_resolution_rate": "解决率 as callers report it: among return calls answered in "
    "the last 4 weeks, the share who say their problem was solved – a real fix they were told "
    "of or noticed (0 when none answered)",
    "response_time_mean": "mean weeks from report to end, over cases that ended in the last "
    "4 weeks (0 when none ended)",
    "response_time_p90": "90th percentile of the same",
    "open_wait_p90": "the longest waits: 90th percentile of the weeks registered cases still "
    "open at the week's end have waited since they were reported (0 when none is open)",
    "grid_utilization": "share of grid workers' weekly time used: pushed-down tasks, "
    "paperwork and cases handled, over total time (Party part-time capacity included)",
    "needs_known": "mean over buildings of how well grid workers know residents' needs (0–1), "
    "learned from reports, attendance and deliberation",
    "budget_left": "department budget left in the current fiscal year (10k CNY)",
    "budget_spent": "cumulative budget spent since week 0 (10k CNY): department and community "
    "fund fixes, resident incentives, performance pay and Party training",
    "branch_activities": "activities and deliberation meetings the compound Party branches "
    "held this week (党支部)",
    "branch_meetings_relevant_share": "share of the branches' activities and meetings in the "
    "last 4 weeks whose agenda met residents' needs (0 when none were held)",
    "committee_meetings": "joint meetings of the community Party committee with the "
    "departments this week (联席会议; weekly under whistle and report)",
    "cases_escalated_by_committee": "cases the committee put to the departments this week "
    "(a building's shared problem: every report of it)",
    "department_summons_met_share": "among cases the committee had put to departments that "
    "ended in the last 4 weeks, the share really fixed within `whistle_deadline_weeks` of "
    "being put (0 when none ended)",
    "summons_wait_weeks": "mean weeks from the committee putting a case to its end, over such "
    "cases that ended in the last 4 weeks (0 when none ended)",
}

#: Run-level figures returned by ``CommunityModel.summary()``: name → definition.
SUMMARY: dict[str, str] = {
    "weeks": "weeks simulated after the burn-in",
    "residents": "number of residents",
    "participation_start": "participation_rate at week 0 (the settled status quo)",
    "participation_end": "mean participation_rate over the last 52 weeks",
    "participation_min": "lowest participation_rate of the run",
    "active_participation_end": "mean active_participation_rate over the last 52 weeks",
    "mean_efficacy_end": "mean of mean_efficacy over the last 52 weeks",
    "retired_share_of_participants_end": "mean over the last 52 weeks",
    "reporting_share_end": "mean reporting_share over the last 52 weeks",
    "report_rate_end": "mean report_rate over the last 52 weeks",
    "needs_met_rate_end": "mean needs_met_rate over the last 52 weeks",
    "completion_rate_end": "mean completion_rate over the last 52 weeks",
    "resolution_rate_end": "mean resolution_rate over the last 52 weeks",
    "satisfaction_rate_end": "mean satisfaction_rate over the last 52 weeks",
    "response_time_mean_end": "mean response_time_mean over the last 52 weeks",
    "response_time_p90_end": "mean response_time_p90 over the last 52 weeks",
    "open_wait_p90_end": "mean open_wait_p90 over the last 52 weeks",
    "grid_utilization_end": "mean grid_utilization over the last 52 weeks",
    "branch_meetings_relevant_share_end": "mean branch_meetings_relevant_share over the last "
    "52 weeks",
    "department_summons_met_share_end": "mean department_summons_met_share over the last 52 weeks",
    "end_window_weeks": 'weeks the "_end" figures average over: 52, or the whole run if shorter',
    "cases_received_total": "all cases registered",
    "cases_resolved_total": "all cases really resolved",
    "cases_closed_on_paper_total": "all cases closed on paper",
    "cases_abandoned_total": "all cases abandoned after `case_timeout_weeks`",
    "budget_spent_total": "total budget spent (10k CNY)",
    "rereport_ratio": "Mantel–Haenszel odds ratio, over strata of age group × low income, of "
    "reporting a new problem within 26 weeks of the first report's outcome: first report "
    "really fixed vs not; residents whose window ended by the run's end only (burn-in "
    "included); NaN when no stratum has both kinds, or when every stratum lacks the same "
    "kind of discordant pair (the ratio would be 0 or infinite, with no interval)",
    "rereport_ratio_lo": "lower bound of its 95 % confidence interval (Robins–Breslow–Greenland)",
    "rereport_ratio_hi": "upper bound of the same",
    "single_report_share": "share of residents with at least one report who reported once "
    "(NaN when nobody reported)",
    "top10_report_share": "share of all reports made by the top 10 % of reporters (NaN when "
    "nobody reported)",
}

#: Weekly counters each stage adds to (reset at the start of every week).
LOG_KEYS = (
    "arose", "received", "reported", "lapsed", "resolved", "paper", "abandoned", "met",
    "unmet", "ended", "answered", "answered_fixed", "satisfied", "grid_processed", "spent",
    "pending", "pending_reported",
    "lapsed_budget",
    "branch_events", "branch_relevant", "committee_meetings", "escalated", "summons_ended",
    "summons_met", "summons_wait",
)  # fmt: skip


def new_log() -> dict[str, Any]:
    log: dict[str, Any] = dict.fromkeys(LOG_KEYS, 0)
    log["spent"] = log["lapsed_budget"] = 0.0
    log["rt"] = np.zeros(0, np.int64)  # how many ended cases took 0, 1, 2, … weeks
    return log


def new_window() -> deque:
    return deque(maxlen=WINDOW)


def _share(num: float, den: float) -> float:
    return num / den if den else 0.0


def measure(model: CommunityModel) -> dict[str, float]:
    """Every weekly figure, from this week's log and the rolling window."""
    p, t, r = model.params, model.week, model.people
    r.last_participation[model.participated] = t
    r.last_active[model.voiced] = t
    model.window.append(model.log)
    recent = r.last_participation >= t - WINDOW + 1
    n_recent = int(recent.sum())
    m: dict[str, float] = {"participation_rate": n_recent / model.n}
    m["active_participation_rate"] = float(
        np.count_nonzero(r.last_active >= t - WINDOW + 1) / model.n
    )
    for name, mask in model.masks.items():
        m[f"participation_rate_{name}"] = _share(
            int(np.count_nonzero(recent & mask)), model.mask_counts[name]
        )
    m["retired_share_of_participants"] = _share(
        int(np.count_nonzero(recent & model.masks["retired"])), n_recent
    )
    m["retired_share_of_population"] = model.mask_counts["retired"] / model.n
    w = {k: sum(x[k] for x in model.window) for k in LOG_KEYS}
    m["reporting_share"] = _share(w["reported"], w["reported"] + w["lapsed"])
    m["report_rate"] = _share(w["pending_reported"], w["pending"])
    m["needs_met_rate"] = _share(w["met"], w["met"] + w["unmet"])
    m["mean_efficacy"] = float(r.efficacy.mean(dtype=np.float64))
    m["disengaged_share"] = (
        float(np.count_nonzero(r.efficacy < p["disengaged_threshold"])) / model.n
    )
    m["cases_received"] = float(model.log["received"])
    m["cases_resolved"] = float(model.log["resolved"])
    m["cases_closed_on_paper"] = float(model.log["paper"])
    m["backlog"] = float(len(model.cases))
    m["completion_rate"] = _share(w["resolved"] + w["paper"], w["ended"])
    m["resolution_rate"] = _share(w["resolved"], w["ended"])
    m["satisfaction_rate"] = _share(w["satisfied"], w["answered"])
    m["callback_resolution_rate"] = _share(w["answered_fixed"], w["answered"])
    m["response_time_mean"], m["response_time_p90"] = response_times(
        [x["rt"] for x in model.window]
    )
    c = model.cases
    waiting = np.bincount(t - c["week"][~c["lost"]]) if len(c) else np.zeros(0, np.int64)
    m["open_wait_p90"] = response_times([waiting])[1]
    total, for_cases = own_case_capacity(p)
    duties = model.n_grids * (total - for_cases)
    capacity = grid_time_for_cases(model).sum() + duties
    used = duties + model.pushed_down.sum() + model.log["grid_processed"]
    m["grid_utilization"] = float(min(1.0, used / capacity)) if capacity > 0 else 0.0
    m["needs_known"] = float(model.needs_known.mean())
    m["budget_left"] = float(max(0.0, model.department_balance))
    m["branch_activities"] = float(model.log["branch_events"])
    m["branch_meetings_relevant_share"] = _share(w["branch_relevant"], w["branch_events"])
    m["committee_meetings"] = float(model.log["committee_meetings"])
    m["cases_escalated_by_committee"] = float(model.log["escalated"])
    m["department_summons_met_share"] = _share(w["summons_met"], w["summons_ended"])
    m["summons_wait_weeks"] = _share(w["summons_wait"], w["summons_ended"])
    incentive = p["resident_incentive"] * p["incentive_cost"] * int(model.participated.sum())
    pay = p["worker_performance_pay"] * p["performance_pay_cost"] * model.n_grids
    training = p["party_training"] * p["party_training_cost"] * model.party_index.size
    model.budget_spent += model.log["spent"] + incentive + pay + training
    m["budget_spent"] = float(model.budget_spent)
    return m


def response_times(histograms: list[np.ndarray]) -> tuple[float, float]:
    """Mean and 90th percentile (numpy's linear interpolation) of whole-week response
    times given as counts per week; (0, 0) when no case ended."""
    counts = np.zeros(max((h.size for h in histograms), default=0), np.int64)
    for h in histograms:
        counts[: h.size] += h
    total = int(counts.sum())
    if not total:
        return 0.0, 0.0
    weeks = np.arange(counts.size)
    position = 0.9 * (total - 1)
    below = int(position)
    rank = np.cumsum(counts)
    low, high = np.searchsorted(rank, [below, min(below + 1, total - 1)], side="right")
    p90 = weeks[low] + (position - below) * (weeks[high] - weeks[low])
    return float((weeks * counts).sum() / total), float(p90)


def rereport_odds_ratio(model: CommunityModel) -> dict[str, float]:
    """Re-reporting after a fixed vs unfixed first report, stratified (Mantel–Haenszel)."""
    from statsmodels.stats.contingency_tables import StratifiedTable  # only for summaries

    r = model.people
    full = (r.first_outcome > 0) & (r.first_outcome_week + REREPORT_WINDOW <= model.week - 1)
    stratum = r.age_group.astype(np.int64) * 2 + r.low_income
    tables = []
    for s in np.unique(stratum[full]):
        inside = full & (stratum == s)
        fixed = inside & (r.first_outcome == FIRST_FIXED)
        unfixed = inside & (r.first_outcome == FIRST_NOT_FIXED)
        again = r.reported_after_first
        table = [
            [np.count_nonzero(fixed & again), np.count_nonzero(fixed & ~again)],
            [np.count_nonzero(unfixed & again), np.count_nonzero(unfixed & ~again)],
        ]
        if min(sum(table[0]), sum(table[1])) > 0:
            tables.append(table)
    nan = float("nan")
    if not tables:
        return {"rereport_ratio": nan, "rereport_ratio_lo": nan, "rereport_ratio_hi": nan}
    st = StratifiedTable(np.array(tables, dtype=float).transpose(1, 2, 0))
    with np.errstate(divide="ignore", invalid="ignore"):  # the case below, said as NaN
        ratio = float(st.oddsratio_pooled)
    if not 0 < ratio < np.inf:  # a zero cell in every stratum: not estimable from this run
        return {"rereport_ratio": nan, "rereport_ratio_lo": nan, "rereport_ratio_hi": nan}
    lo, hi = st.oddsratio_pooled_confint()
    return {
        "rereport_ratio": ratio,
        "rereport_ratio_lo": float(lo),
        "rereport_ratio_hi": float(hi),
    }


def report_concentration(n_reports: np.ndarray) -> dict[str, float]:
    """How concentrated reporting is: one-time reporters and the top 10 %'s share."""
    reporters = n_reports[n_reports > 0]
    if not reporters.size:
        return {"single_report_share": float("nan"), "top10_report_share": float("nan")}
    top = np.sort(reporters)[::-1][: int(np.ceil(0.1 * reporters.size))]
    return {
        "single_report_share": float((reporters == 1).mean()),
        "top10_report_share": float(top.sum() / reporters.sum()),
    }


def read_measure(model, name: str) -> float:
    """Read one precomputed weekly figure (a picklable reporter through ``partial``)."""
    return model.measures[name]


def model_reporters() -> dict[str, partial]:
    return {name: partial(read_measure, name=name) for name in METRICS}
