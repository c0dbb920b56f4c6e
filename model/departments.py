"""Stage 5 – functional departments (职能部门) work escalated cases.

Departments staff for the demand they expect (capacity split by the expected mix of
escalated problems, :func:`model.needs.department_demand`, set anew each fiscal year), give
community cases only part of their attention (``department_attention``; for a case they
reported for when the Party committee put it to them, 报到, :mod:`model.committee`, they first
draw on the attention they do not usually give the community, so the committee adds
capacity) and keep ledgers too (``paperwork_share``). A building's shared problem is one
job, however many households reported it, and jobs that more residents reported come first:
what is not reported is not fixed. Fixes cost money from a yearly budget
(``department_budget``, allocated at the start of each fiscal year; what is unspent lapses
at its end), so late in a lean year fixes wait. Shared fixes need special funds and layered
approval first (层层审批, ``approval_delay_weeks``); only then does the deadline clock start.
Under trace-based assessment (痕迹化) an overdue case may be closed on paper without a fix
(``paper_closure_prob``; far fewer under results-based assessment).

Reads ``department_capacity``, ``department_attention``, ``paperwork_share``,
``department_budget``, ``case_cost``, ``shared_case_cost``, ``paper_closure_prob``,
``paper_closure_after_weeks``, ``whistle_deadline_weeks``, ``assessment``,
``results_paper_factor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .needs import department_demand
from .state import ABANDONED, AT_DEPARTMENT, CLOSED_ON_PAPER, RESOLVED, SHARED
from .stats import stochastic_round

if TYPE_CHECKING:
    from .model import CommunityModel

WEEKS_PER_YEAR = 52


def new_fiscal_year(model: CommunityModel) -> None:
    """At each year's start the department budget is allocated anew (the rest lapses) and
    departments are staffed anew for the demand now expected, so a change of the problems'
    mix during a year (``complex_share``, ``shared_issue_rate``…) re-staffs them at the next."""
    if model.week % WEEKS_PER_YEAR == 0:
        model.log["lapsed_budget"] = max(0.0, model.department_balance)
        model.department_balance = model.params["department_budget"] * model.n / 1000
        model.department_share = department_demand(model)


def department_case_capacity(model: CommunityModel, attention: float | None = None) -> np.ndarray:
    """Jobs per week each department works for this community (at ``department_attention``
    unless another attention is given: 1 for the cases it reported for)."""
    p = model.params
    if attention is None:
        attention = p["department_attention"]
    total = p["department_capacity"] * model.n / 1000 * attention * (1 - p["paperwork_share"])
    return total * model.department_share


def affordable_in_order(cost: np.ndarray, balance: float) -> np.ndarray:
    """Which jobs, taken in priority order, the balance pays for: a job too dear for what is
    left waits, and cheaper jobs after it are still paid (a sequential budget).

    Each round pays the longest affordable prefix; after a job that does not fit, only
    cheaper jobs can, so the rounds end after at most one per distinct cost."""
    paid = np.zeros(cost.size, dtype=bool)
    left = balance + 1e-9
    todo = np.arange(cost.size)
    while todo.size:
        spent = np.cumsum(cost[todo])
        fits = spent <= left
        if fits.all():
            paid[todo] = True
            break
        k = int(np.argmin(fits))  # the first job that does not fit
        paid[todo[:k]] = True
        left -= spent[k - 1] if k else 0.0
        later = todo[k + 1 :]
        todo = later[cost[later] < cost[todo[k]]]
    return paid


def jobs(model: CommunityModel, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Group case rows into jobs: one per personal case, one per building's shared problem.

    Returns each job's first row (position in ``rows``), each row's job, and each job's
    number of cases (households that reported it)."""
    c = model.cases
    shared = c["kind"][rows] == SHARED
    job = np.where(shared, len(c) + model.people.building[c["res"][rows]], rows)
    _, first, job_of, size = np.unique(
        job, return_index=True, return_inverse=True, return_counts=True
    )
    return first, job_of, size


def _rank_within(dept: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Each job's place (0, 1, …) in its department's queue, counting only jobs ``among``."""
    rank = np.full(dept.size, np.iinfo(np.int64).max)
    idx = np.flatnonzero(among)
    d = dept[idx]
    order = np.argsort(d, kind="stable")
    rank[idx[order]] = np.arange(idx.size) - np.searchsorted(d[order], d[order])
    return rank


def departments_work(model: CommunityModel) -> None:
    p, rng, t, c, r = model.params, model.rng, model.week, model.cases, model.people
    ready = np.flatnonzero((c["state"] == AT_DEPARTMENT) & ~c["lost"] & (c["clock_week"] <= t))
    first, job_of, size = jobs(model, ready)
    lead = ready[first]  # the case that represents each job: its first report
    pledged = np.zeros(first.size, dtype=bool)
    np.logical_or.at(pledged, job_of, c["pledged"][ready])
    urgent = pledged.copy()
    np.logical_or.at(urgent, job_of, c["codecided"][ready])
    # priority: urgent, then more households, then the older clock, then first reported
    order = np.argsort(first, kind="stable")
    order = order[np.lexsort((c["clock_week"][lead[order]], -size[order], ~urgent[order]))]
    lead, size, pledged = lead[order], size[order], pledged[order]
    dept = c["dept"][lead]
    cap = stochastic_round(rng, department_case_capacity(model))
    full = stochastic_round(rng, department_case_capacity(model, attention=1.0))
    # a job the department reported for (报到) is worked with the attention it does not
    # usually give the community first, then with the community's share; the rest of the
    # queue gets what is left of that share
    reserve = np.maximum(full - cap, 0)
    n_pledged = np.bincount(dept[pledged], minlength=cap.size)
    overflow = np.minimum(np.maximum(n_pledged - reserve, 0), cap)
    worked_pledged = pledged & (_rank_within(dept, pledged) < (reserve + cap)[dept])
    worked_other = ~pledged & (_rank_within(dept, ~pledged) < (cap - overflow)[dept])
    worked = np.flatnonzero(worked_pledged | worked_other)
    is_shared = c["kind"][lead[worked]] == SHARED
    cost = np.where(is_shared, p["shared_case_cost"], p["case_cost"])
    affordable = affordable_in_order(cost, model.department_balance)
    done = worked[affordable]
    model.spend(float(cost[affordable].sum()), fund=False)
    done_shared = c["kind"][lead[done]] == SHARED
    fixed_buildings = r.building[c["res"][lead[done[done_shared]]]]
    personal = lead[done[~done_shared]]
    fixed = np.zeros(model.n_buildings, dtype=bool)
    fixed[fixed_buildings] = True
    also = np.flatnonzero(c.open & (c["kind"] == SHARED) & fixed[r.building[c["res"]]])
    model.end_cases(np.concatenate([personal, also]), RESOLVED)
    model.fix_shared(fixed_buildings)
    # trace-based assessment: overdue cases are closed on paper (纸面办结)
    overdue = np.where(
        c["pledged"],
        t - c["summon_week"] >= p["whistle_deadline_weeks"],
        t - c["clock_week"] >= p["paper_closure_after_weeks"],
    )
    overdue &= c["state"] == AT_DEPARTMENT
    chance = p["paper_closure_prob"] * (
        p["results_paper_factor"] if p["assessment"] == "results" else 1.0
    )
    model.end_cases(np.flatnonzero(overdue & (rng.random(len(c)) < chance)), CLOSED_ON_PAPER)


def cases_time_out(model: CommunityModel) -> None:
    """Cases open longer than ``case_timeout_weeks`` are abandoned (搁置)."""
    c = model.cases
    late = c.open & (model.week - c["week"] >= model.params["case_timeout_weeks"])
    model.end_cases(np.flatnonzero(late), ABANDONED)
    c.compact()  # the week's ended cases leave the table
