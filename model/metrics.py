"""What is measured every week, each with its precise definition.

The model computes all weekly figures once per step (``CommunityModel.measures``); the
DataCollector's model reporters only read them. The definitions below are also the ones
printed in ``docs/ODD.md``.
"""

from __future__ import annotations

from functools import partial

#: Rolling window (weeks) for participation and for case-outcome rates.
WINDOW = 4
#: Weeks after the first report's outcome in which a second report counts as re-reporting.
REREPORT_WINDOW = 26

#: Weekly model reporters: column name → definition.
METRICS: dict[str, str] = {
    "participation_rate": "share of all residents who took part (reported a problem, attended "
    "an activity or a deliberation, or rated an outcome) in the last 4 weeks",
    "participation_rate_retired": "the same among retired residents",
    "participation_rate_working": "the same among working-age residents",
    "participation_rate_youth": "the same among young residents (18–29)",
    "participation_rate_low_income": "the same among low-income (低保) households",
    "participation_rate_party": "the same among Party members",
    "retired_share_of_participants": "retired residents among those who took part in the "
    "last 4 weeks (0 when nobody did)",
    "retired_share_of_population": "retired residents among all residents",
    "reporting_share": "problems reported / (problems reported + problems that lapsed "
    "unreported), both counted over the last 4 weeks (0 when there were none)",
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
    "satisfaction_rate": "满意率: cases whose reporter was satisfied (outcome value ≥ "
    "aspiration) / all cases that ended in the last 4 weeks; silence counts as unsatisfied",
    "response_time_mean": "mean weeks from report to end, over cases that ended in the last "
    "4 weeks (0 when none ended)",
    "response_time_p90": "90th percentile of the same",
    "grid_utilization": "share of grid workers' weekly time used: pushed-down tasks, "
    "paperwork and cases handled, over total time (Party part-time capacity included)",
    "budget_spent": "cumulative budget spent since week 0 (10k CNY): department and community "
    "fund fixes, resident incentives and performance pay",
}

#: Run-level figures returned by ``CommunityModel.summary()``: name → definition.
SUMMARY: dict[str, str] = {
    "weeks": "weeks simulated",
    "residents": "number of residents",
    "participation_start_week": "week used for participation_start: 3, or the last week of a "
    "shorter run",
    "participation_start": "participation_rate at week 3 (the first full 4-week window)",
    "participation_end": "mean participation_rate over the last 13 weeks",
    "participation_min": "lowest participation_rate after week 3",
    "mean_efficacy_end": "mean of mean_efficacy over the last 13 weeks",
    "retired_share_of_participants_end": "mean over the last 13 weeks",
    "completion_rate_end": "mean completion_rate over the last 13 weeks",
    "resolution_rate_end": "mean resolution_rate over the last 13 weeks",
    "satisfaction_rate_end": "mean satisfaction_rate over the last 13 weeks",
    "response_time_mean_end": "mean response_time_mean over the last 13 weeks",
    "response_time_p90_end": "mean response_time_p90 over the last 13 weeks",
    "cases_received_total": "all cases registered",
    "cases_resolved_total": "all cases really resolved",
    "cases_closed_on_paper_total": "all cases closed on paper",
    "cases_abandoned_total": "all cases abandoned after `case_timeout_weeks`",
    "budget_spent_total": "total budget spent (10k CNY)",
    "rereport_ratio": "among residents whose first report has an outcome: P(another report "
    "within 26 weeks of that outcome | first really resolved) / P(the same | not "
    "resolved); NaN "
    "when either group is empty or the second probability is 0",
    "single_report_share": "share of residents with at least one report who reported once",
    "top10_report_share": "share of all reports made by the top 10 % of reporters",
}


def read_measure(model, name: str) -> float:
    """Read one precomputed weekly figure (a picklable reporter through ``partial``)."""
    return model.measures[name]


def model_reporters() -> dict[str, partial]:
    return {name: partial(read_measure, name=name) for name in METRICS}
