"""The four kinds of agent: residents, Party members, grid workers and departments.

Agents are the interface – users inspect, select and portray them as usual in Mesa – but
their hot state lives in the model's numpy arrays, which the weekly step updates in bulk.
Each agent therefore holds only its index and reads its state through properties.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import mesa
import numpy as np

try:  # Mesa 3.5's own set of registered agents (see create_residents)
    from mesa.agentset import _HardKeyAgentSet
except ImportError:  # another Mesa: agents are made one at a time
    _HardKeyAgentSet = None

if TYPE_CHECKING:
    from .model import CommunityModel

AGE_GROUPS = ("youth", "working", "retired")

#: Functional departments (职能部门) and the Chinese name of each.
DEPARTMENTS = (
    ("housing", "住建"),
    ("sanitation", "环卫"),
    ("civil_affairs", "民政"),
    ("public_security", "公安"),
    ("urban_management", "城管"),
)


class Resident(mesa.Agent):
    """A household (居民): has needs, decides whether to take part, learns from outcomes."""

    model: CommunityModel

    def __init__(self, model: CommunityModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def efficacy(self) -> float:
        """Perceived efficacy in [0, 1]: the sense that taking part matters."""
        return float(self.model.efficacy[self.index])

    @property
    def building(self) -> int:
        return int(self.model.building[self.index])

    @property
    def compound(self) -> int:
        return int(self.model.compound[self.index])

    @property
    def grid(self) -> int:
        return int(self.model.grid_index[self.index])

    @property
    def age_group(self) -> str:
        return AGE_GROUPS[int(self.model.age_group[self.index])]

    @property
    def low_income(self) -> bool:
        return bool(self.model.low_income[self.index])

    @property
    def employed(self) -> bool:
        return bool(self.model.employed[self.index])

    @property
    def prefers_online(self) -> bool:
        return bool(self.model.prefers_online[self.index])

    @property
    def participated_recently(self) -> bool:
        """Took part (reported, attended, deliberated or answered a return call) lately."""
        return bool(self.model.recent_participation()[self.index])

    @property
    def reports(self) -> int:
        return int(self.model.n_reports[self.index])

    @property
    def has_open_case(self) -> bool:
        return bool(self.model.has_case[self.index])

    @property
    def first_report_outcome(self) -> str:
        """What happened to the first report: 'none', 'resolved' or 'not_resolved'."""
        return ("none", "resolved", "not_resolved")[int(self.model.first_outcome[self.index])]

    @property
    def neighbors(self) -> list[Resident]:
        """Residents tied to this one in the social network."""
        adj = self.model.adjacency
        cols = adj.indices[adj.indptr[self.index] : adj.indptr[self.index + 1]]
        return [self.model.residents[int(j)] for j in cols]


def create_residents(model: CommunityModel, groups: list[tuple[type, np.ndarray]]) -> list:
    """One Mesa agent per household, ``groups`` of (agent class, indices) in creation order,
    registered with the model exactly as ``cls(model, index)`` one at a time would.

    Mesa registers agents one by one (a signal, a log message and two set insertions: about
    2.5 µs an agent, most of the set-up at a million residents). Here the agents get the
    attributes ``Agent.__init__`` gives them and join the model's agent sets in one update,
    in the same order and with the same ids. Pinned to Mesa 3.5's bookkeeping
    (``_all_agents``, ``_agents_by_type``, ``agent_id_counter``); wherever it does not look
    as expected – a newer Mesa, a class already registered, someone observing the model's
    agents – the agents are made one at a time instead. A test holds both ways equal.
    """
    agents: list = [None] * sum(len(which) for _, which in groups)
    # the collector is paused meanwhile: a million new objects would trigger its full
    # passes over every object made so far, which find nothing to free
    collecting = gc.isenabled()
    gc.disable()
    try:
        if _can_register_in_bulk(model, [cls for cls, _ in groups]):
            for cls, which in groups:
                _register_in_bulk(model, cls, which, agents)
        else:
            for cls, which in groups:
                for i in which.tolist():
                    agents[i] = cls(model, i)
    finally:
        if collecting:
            gc.enable()
    return agents


def _can_register_in_bulk(model: mesa.Model, classes: list[type]) -> bool:
    try:
        from mesa.model import ModelSignals

        observed = model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
    except (ImportError, AttributeError):  # not the Mesa this was written against
        return False
    by_type = getattr(model, "_agents_by_type", None)
    return (
        _HardKeyAgentSet is not None
        and not observed
        and isinstance(getattr(model, "_all_agents", None), _HardKeyAgentSet)
        and isinstance(getattr(model._all_agents, "_agents", None), dict)
        and isinstance(by_type, dict)
        and isinstance(getattr(model, "agent_id_counter", None), int)
        and not any(cls in by_type or cls._datasets for cls in classes)
        and all(cls.__init__ is Resident.__init__ for cls in classes)
    )


def _register_in_bulk(model: mesa.Model, cls: type, which: np.ndarray, out: list) -> None:
    new, first = object.__new__, model.agent_id_counter
    made = []
    for uid, i in enumerate(which.tolist(), start=first):
        agent = new(cls)
        # the attributes, in the order, that Agent.__init__ and Resident.__init__ set (one
        # by one: a __dict__.update would give each agent a dict of its own, +13 % memory)
        agent.model = model
        agent.unique_id = uid
        agent.pos = None
        agent.index = i
        out[i] = agent
        made.append(agent)
    model._all_agents._agents.update(dict.fromkeys(made))
    model.agent_id_counter = first + len(made)
    model._agents_by_type[cls] = _HardKeyAgentSet(made, random=model.random)


class PartyMember(Resident):
    """A resident who belongs to the building's Party group (党小组) and does outreach.

    With ``grid_plus_branch`` (网格+支部) the member also serves as a part-time grid worker
    (兼职网格员), adding capacity for simple cases in the grid.
    """

    @property
    def party_group(self) -> int:
        """The building's Party group (党小组)."""
        return self.building

    @property
    def party_branch(self) -> int:
        """The compound's Party branch (党支部)."""
        return self.compound


class GridWorker(mesa.Agent):
    """A grid worker (网格员) serving one grid with a finite weekly capacity and a queue."""

    model: CommunityModel

    def __init__(self, model: CommunityModel, grid: int) -> None:
        super().__init__(model)
        self.grid = int(grid)

    @property
    def professional(self) -> bool:
        """Certified professional social worker (专业社工)."""
        return bool(self.model.grid_professional()[self.grid])

    @property
    def capacity(self) -> float:
        """Cases per week left after pushed-down tasks and paperwork (incl. Party help)."""
        return float(self.model.grid_case_capacity()[self.grid])

    @property
    def queue_length(self) -> int:
        """Open cases waiting at this grid worker (lost reports are in nobody's queue)."""
        return int(self.model.grid_queue_lengths()[self.grid])

    @property
    def households(self) -> int:
        return int((self.model.grid_index == self.grid).sum())


class Department(mesa.Agent):
    """A functional department (职能部门) that handles escalated cases of one category."""

    model: CommunityModel

    def __init__(self, model: CommunityModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)
        self.name, self.name_zh = DEPARTMENTS[self.index]

    @property
    def queue_length(self) -> int:
        """Escalated cases waiting at this department (approval included)."""
        return int(self.model.department_queue_lengths()[self.index])

    @property
    def capacity(self) -> float:
        """Jobs (a personal case, or a building's shared problem) it works per week."""
        return float(self.model.department_case_capacity()[self.index])
