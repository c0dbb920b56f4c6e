"""Stage 4b – the community Party committee (社区党委) puts cases to the departments.

Every ``committee_convening_every_weeks`` the committee holds a joint meeting (联席会议) with
the departments ("组织协调各方资源"). It puts to them the escalated jobs that have cost
residents most waiting – households × weeks waited, a building's shared problem counting
once – up to ``committee_capacity`` per 1,000 households. A department acts on a case put to
it with its Party duty (一岗双责, ``department_party_duty``): it reports for the case (报到),
works it before anything else and with its full attention, cuts short any approval wait,
and owes an answer within ``whistle_deadline_weeks`` (under trace assessment an overdue
case may be closed on paper). A department that does not act leaves the case in the queue.

Whistle and report (街乡吹哨、部门报到, ``whistle``) is the committee's power to summon:
it may put cases every week, and departments are bound to report (``whistle_compliance``
when that is above their Party duty). A case is put once.

Reads ``committee_convening_every_weeks``, ``committee_capacity``, ``department_party_duty``,
``whistle``, ``whistle_compliance``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .departments import jobs
from .state import AT_DEPARTMENT
from .stats import stochastic_round

if TYPE_CHECKING:
    from .model import CommunityModel


def convening_every(params: dict) -> int:
    """Weeks between the committee's meetings with the departments (0 = never)."""
    return 1 if params["whistle"] else params["committee_convening_every_weeks"]


def duty(params: dict) -> float:
    """Chance a department acts on a case the committee puts to it."""
    if params["whistle"]:
        return max(params["department_party_duty"], params["whistle_compliance"])
    return params["department_party_duty"]


def committee_convenes(model: CommunityModel) -> None:
    p, rng, t, c = model.params, model.rng, model.week, model.cases
    every = convening_every(p)
    if not every or t % every:
        return
    model.log["committee_meetings"] += 1
    waiting = np.flatnonzero((c["state"] == AT_DEPARTMENT) & ~c["lost"] & ~c["summoned"])
    n_put = int(stochastic_round(rng, np.array(p["committee_capacity"] * model.n / 1000)))
    if not waiting.size or not n_put:
        return
    first, job_of, households = jobs(model, waiting)
    cost = households * (t - c["dept_week"][waiting[first]] + 1)  # household-weeks waited
    order = np.lexsort((first, -cost))  # ties: first reported first
    put = np.zeros(first.size, dtype=bool)
    put[order[:n_put]] = True
    acts = put & (rng.random(first.size) < duty(p))
    rows = waiting[put[job_of]]
    c["summoned"][rows] = True
    c["summon_week"][rows] = t
    pledged = waiting[acts[job_of]]
    c["pledged"][pledged] = True
    c["clock_week"][pledged] = np.minimum(c["clock_week"][pledged], t)
    model.log["escalated"] += rows.size
