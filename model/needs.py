"""Stage 1 – needs arise (急难愁盼).

Each week a resident without a problem gets one with a probability that depends on the age
group (elderly care and health for retirees) and low income (benefits, housing); a personal
problem is simple (a grid worker can solve it) or complex (it needs a department). Some
problems are shared by a whole building (lifts, old-compound renovation, sanitation: 老旧小区
改造); they last until fixed or until ``case_timeout_weeks`` pass.

Reads ``need_rate_*``, ``complex_share``, ``shared_issue_rate``, ``case_timeout_weeks``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .state import COMPLEX, NEVER, SHARED, SIMPLE

if TYPE_CHECKING:
    from .model import CommunityModel

#: Which department a personal problem goes to, by age group (rows: youth, working, retired;
#: columns: housing, sanitation, civil affairs, public security, urban management).
#: A stated assumption: elderly care and health go to civil affairs.
DEPARTMENT_MIX = np.array(
    [
        [0.25, 0.20, 0.10, 0.20, 0.25],
        [0.25, 0.20, 0.15, 0.15, 0.25],
        [0.15, 0.15, 0.45, 0.10, 0.15],
    ]
)
_CUMULATIVE_MIX = DEPARTMENT_MIX.cumsum(axis=1)
HOUSING, CIVIL_AFFAIRS = 0, 2


def need_rate(model: CommunityModel) -> np.ndarray:
    """Weekly chance of a new personal problem, per resident."""
    p, r = model.params, model.people
    rate = np.array([p["need_rate_youth"], p["need_rate_working"], p["need_rate_retired"]])
    return rate[r.age_group] + p["need_rate_low_income_extra"] * r.low_income


def department_demand(model: CommunityModel) -> np.ndarray:
    """Expected share of escalated work by department: what departments staff for.

    Summed over the six groups of age × low income (the only attributes the problems' rate
    and mix depend on), not over every resident: it is set anew at each fiscal year."""
    p, r = model.params, model.people
    counts = np.bincount(r.age_group * 2 + r.low_income, minlength=6).reshape(3, 2)
    rate = np.array([p["need_rate_youth"], p["need_rate_working"], p["need_rate_retired"]])
    benefits = p["low_income_benefits_share"]
    low = DEPARTMENT_MIX * (1 - benefits)
    low[:, CIVIL_AFFAIRS] += benefits
    extra = p["need_rate_low_income_extra"]
    arising = (counts[:, :1] * rate[:, None] * DEPARTMENT_MIX).sum(axis=0) + (
        counts[:, 1:] * (rate[:, None] + extra) * low
    ).sum(axis=0)
    escalated = p["complex_share"] + (1 - p["complex_share"]) * (1 - p["simple_solve_prob"])
    demand = arising * escalated
    demand[HOUSING] += p["shared_issue_rate"] * model.n_buildings  # one job per shared fix
    total = demand.sum()
    return demand / total if total > 0 else np.full(demand.size, 1 / demand.size)


def new_problems(model: CommunityModel, who: np.ndarray) -> None:
    """Give residents a personal problem: simple or complex, and its department."""
    p, rng, r = model.params, model.rng, model.people
    r.issue_week[who] = model.week
    r.issue_kind[who] = np.where(rng.random(who.size) < p["complex_share"], COMPLEX, SIMPLE)
    cum = _CUMULATIVE_MIX[r.age_group[who]]
    dept = (rng.random(who.size)[:, None] > cum).sum(axis=1)
    benefits = r.low_income[who] & (rng.random(who.size) < p["low_income_benefits_share"])
    dept = np.where(benefits, CIVIL_AFFAIRS, dept)
    r.issue_dept[who] = np.minimum(dept, DEPARTMENT_MIX.shape[1] - 1)
    model.log["arose"] += who.size


def needs_arise(model: CommunityModel) -> None:
    """New personal problems by group, and shared problems by building."""
    p, rng, t, r = model.params, model.rng, model.week, model.people
    draw = rng.random(model.n, dtype=np.float32)
    new_problems(model, np.flatnonzero(r.free & (draw < model.weekly_need_rate)))
    # a shared problem nobody fixed stops being news after case_timeout_weeks
    expired = model.shared_open & (t - model.shared_since >= p["case_timeout_weeks"])
    model.shared_open[expired] = False
    hit = np.flatnonzero(
        ~model.shared_open & (rng.random(model.n_buildings) < p["shared_issue_rate"])
    )
    if hit.size:
        model.shared_open[hit] = True
        model.shared_since[hit] = t
        members = model.members(hit)
        touched = members[r.free[members]]
        r.issue_week[touched] = t
        r.issue_kind[touched] = SHARED
        r.issue_dept[touched] = HOUSING
        model.log["arose"] += touched.size


__all__ = ["DEPARTMENT_MIX", "NEVER", "department_demand", "need_rate", "needs_arise"]
