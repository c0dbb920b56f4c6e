"""Stage 4 – grid workers (网格员) learn needs and work their queues.

A grid worker knows a building's needs as well as residents tell them: reports, activity
attendance and deliberation are the signals (``signals_for_full_knowledge`` per household
and week make needs fully known; knowledge fades over ``knowledge_memory_weeks``). How well
a building's shared fixes and results-assessed activities are matched to needs follows from
that knowledge (:func:`relevance`), so fewer signals mean services that miss what residents
need – the link from participation back to service in the paper's circle (with the
departments' order, in which jobs more residents reported come first).

Each week a grid worker works the queue first come first served with the capacity left
after pushed-down tasks (甩包袱: a fixed ``push_down_share`` of time, and the follow-up of
every job still waiting at a department, ``push_down_per_waiting_job``) and paperwork
(``paperwork_share``),
raised by performance pay (``performance_pay_gain``) and, under grid + branch, by Party
members as part-time grid workers (``party_grid_capacity`` per fully able member, scaled by
each member's skill). Simple cases are solved with
``simple_solve_prob`` (more by professional social workers, ``professional_bonus``); complex
ones are fixed on the spot from the community fund while it lasts, or escalated ("吹哨").

Reads ``grid_capacity``, ``push_down_share``, ``push_down_per_waiting_job``,
``paperwork_share``, ``worker_performance_pay``,
``performance_pay_gain``, ``grid_plus_branch``, ``party_grid_capacity``,
``simple_solve_prob``, ``professional_bonus``, ``professional_share``, ``case_cost``,
``approval_delay_weeks``, ``signals_for_full_knowledge``,
``knowledge_memory_weeks``, ``blind_relevance``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .departments import jobs
from .state import AT_DEPARTMENT, AT_GRID, COMPLEX, RESOLVED, SHARED, SIMPLE
from .stats import stochastic_round

if TYPE_CHECKING:
    from .model import CommunityModel


def relevance(model: CommunityModel, known_top: float, buildings: np.ndarray) -> np.ndarray:
    """Chance a response (or activity) meets the need: ``blind_relevance`` when nothing is
    known of a building's needs, ``known_top`` when everything is."""
    blind = model.params["blind_relevance"]
    return blind + (known_top - blind) * model.needs_known[buildings]


def grid_workers_learn_needs(model: CommunityModel) -> None:
    p = model.params
    voiced = np.bincount(model.people.building[model.voiced], minlength=model.n_buildings)
    full = p["signals_for_full_knowledge"] * model.building_size
    target = np.minimum(1.0, voiced / np.maximum(full, 1e-12))
    model.needs_known += (target - model.needs_known) / p["knowledge_memory_weeks"]


def own_case_capacity(p: dict) -> tuple[float, float]:
    """(total weekly capacity, what is left for cases) of one full-time grid worker."""
    total = p["grid_capacity"] * (1 + p["performance_pay_gain"] * p["worker_performance_pay"])
    return total, total * max(0.0, 1 - p["push_down_share"] - p["paperwork_share"])


def grid_time_for_cases(model: CommunityModel) -> np.ndarray:
    """Cases per week each grid could handle after its fixed duties, Party help included."""
    p = model.params
    cap = np.full(model.n_grids, own_case_capacity(p)[1])
    if p["grid_plus_branch"]:
        party = p["party_grid_capacity"] * (1 - p["paperwork_share"])
        cap = cap + party * model.able_members_per_grid
    return cap


def departments_push_down(model: CommunityModel) -> None:
    """Departments hand the follow-up of the jobs they have not done to the grid (一放了之的
    甩包袱): each job waiting at a department takes ``push_down_per_waiting_job`` cases' worth
    of its grid worker's time this week (chasing papers, answering the household, reporting
    progress), so a backlog upstream eats the time for new cases downstream."""
    rate = model.params["push_down_per_waiting_job"]
    load = np.zeros(model.n_grids)
    if rate > 0:
        c = model.cases
        waiting = np.flatnonzero((c["state"] == AT_DEPARTMENT) & ~c["lost"])
        if waiting.size:
            first = jobs(model, waiting)[0]
            grid_of_job = model.people.grid_index[c["res"][waiting[first]]]
            load = rate * np.bincount(grid_of_job, minlength=model.n_grids)
    model.pushed_down = np.minimum(load, grid_time_for_cases(model))


def grid_case_capacity(model: CommunityModel) -> np.ndarray:
    """Cases per week each grid can handle after other duties and the departments' pushed-down
    follow-ups, Party help included (the follow-ups are this week's, or last week's before
    the grid stage: never more than the time there is after a lever changed)."""
    return np.maximum(grid_time_for_cases(model) - model.pushed_down, 0.0)


def grid_professional(model: CommunityModel) -> np.ndarray:
    """Which grid workers are certified professionals (专业社工), by grid."""
    return model.grid_draw < model.params["professional_share"]


def grid_workers_work(model: CommunityModel) -> None:
    p, rng, t, c, r = model.params, model.rng, model.week, model.cases, model.people
    departments_push_down(model)
    queued = np.flatnonzero((c["state"] == AT_GRID) & ~c["lost"])
    cap = stochastic_round(rng, grid_case_capacity(model))
    g = r.grid_index[c["res"][queued]]
    small = g.astype(np.int16) if model.n_grids < 2**15 else g  # a radix sort when it fits
    order = np.argsort(small, kind="stable")  # by grid; within it first come, first served
    queued, g = queued[order], g[order]
    rank = np.arange(queued.size) - np.searchsorted(g, g)
    take = rank < cap[g]
    work, g = queued[take], g[take]
    model.log["grid_processed"] = work.size
    pro = grid_professional(model)[g]
    solved = rng.random(work.size) < np.clip(
        p["simple_solve_prob"] + p["professional_bonus"] * pro, 0, 1
    )
    c["professional"][work] = pro
    fixed = (c["kind"][work] == SIMPLE) & solved
    # the community fund lets the grid worker fix complex personal problems on the spot
    fundable = np.flatnonzero((c["kind"][work] == COMPLEX) & solved)
    if fundable.size and model.fund_balance > 0:
        cost = p["case_cost"]
        n_afford = (
            fundable.size if cost == 0 else int(min(fundable.size, model.fund_balance // cost))
        )
        fixed[fundable[:n_afford]] = True
        model.spend(n_afford * cost, fund=True)
    up = work[~fixed]
    c["state"][up] = AT_DEPARTMENT
    c["dept_week"][up] = t
    # layered approval (层层审批) of special funds for shared fixes delays the clock's start
    c["clock_week"][up] = t + p["approval_delay_weeks"] * (c["kind"][up] == SHARED)
    model.end_cases(work[fixed], RESOLVED)
