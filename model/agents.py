"""The four kinds of agent: residents, Party members, grid workers and departments.

Agents are the interface – users inspect, select and portray them as usual in Mesa – but
their hot state lives in the model's numpy arrays, which the weekly step updates in bulk.
Each agent therefore holds only its index and reads its state through properties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

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
        """Took part (reported, attended, deliberated or rated) in the last four weeks."""
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
        """Community cases this department can work per week."""
        return float(self.model.department_case_capacity())
