"""Stage 2 – Party members reach out (党小组 → 居民).

Members' skill (the paper's "成员年龄大、学历低"): an untrained member is ``member_skill`` as
effective as a fully able one (``retired_member_skill`` if retired); training (党内教育培训,
``party_training``) moves each member that far towards full ability. Skill scales what a
member does: outreach here, organising in the branch (:mod:`model.branch`) and part-time grid
work (:mod:`model.grid`).

Each Party member contacts about ``party_outreach`` × skill households of the own building a
week (fewer when paperwork for assessment eats their time). Under "grid + branch" (网格+支部)
members also serve as part-time grid workers and visit ``branch_outreach_factor`` times as
often to collect problems. A contact is an opportunity, not a feeling: it raises the chance
of taking part this week (``mobilisation_weight``, in the decisions stage) and, under grid +
branch, removes the cost of reporting a problem collected at the door.

Reads ``party_outreach``, ``paperwork_share``, ``grid_plus_branch``, ``branch_outreach_factor``,
``member_skill``, ``retired_member_skill``, ``party_training``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .state import RETIRED

if TYPE_CHECKING:
    from .model import CommunityModel


def member_skill(model: CommunityModel) -> np.ndarray:
    """Each Party member's effectiveness (0–1, in ``party_index`` order)."""
    p = model.params
    retired = model.people.age_group[model.party_index] == RETIRED
    untrained = np.where(retired, p["retired_member_skill"], p["member_skill"])
    return untrained + (1 - untrained) * p["party_training"]


def able_members(model: CommunityModel, group: np.ndarray, size: int) -> np.ndarray:
    """Party members counted by skill (a fully able member counts 1), per group, where
    ``group`` gives each resident's group (building, compound or grid)."""
    return np.bincount(group[model.party_index], weights=model.member_skill, minlength=size)


def contact_chance(model: CommunityModel) -> np.ndarray:
    """Each resident's weekly chance of a call from a Party member of the building.

    Every member contacts Poisson(``reach`` × skill) households of the building at random,
    so a resident is contacted Poisson(``reach`` × Σ skill ÷ households) times,
    independently of the neighbours: called at least once with chance 1 − exp(−that)."""
    p, r = model.params, model.people
    reach = p["party_outreach"] * (1 - p["paperwork_share"])
    if p["grid_plus_branch"]:
        reach *= p["branch_outreach_factor"]
    members = able_members(model, r.building, model.n_buildings)
    per_household = reach * members / np.maximum(model.building_size, 1)
    return (1 - np.exp(-per_household))[r.building].astype(np.float32)


def party_members_reach_out(model: CommunityModel) -> None:
    r = model.people
    if not model.contact_chance.any():
        r.mobilised[:] = False
        return
    r.mobilised[:] = model.rng.random(model.n, dtype=np.float32) < model.contact_chance
