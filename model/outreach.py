"""Stage 2 – Party members reach out (党小组 → 居民).

Each Party member contacts about ``party_outreach`` households of the own building a week
(fewer when paperwork for assessment eats their time). Under "grid + branch" (网格+支部)
members also serve as part-time grid workers and visit ``branch_outreach_factor`` times as
often to collect problems. A contact is an opportunity, not a feeling: it raises the chance
of taking part this week (``mobilisation_weight``, in the decisions stage) and, under grid +
branch, removes the cost of reporting a problem collected at the door.

Reads ``party_outreach``, ``paperwork_share``, ``grid_plus_branch``, ``branch_outreach_factor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import CommunityModel


def contact_chance(model: CommunityModel) -> np.ndarray:
    """Each resident's weekly chance of a call from a Party member of the building.

    Every member contacts Poisson(``reach``) households of the building at random, so a
    resident is contacted Poisson(``reach`` × members ÷ households) times, independently of
    the neighbours: called at least once with chance 1 − exp(−that)."""
    p, r = model.params, model.people
    reach = p["party_outreach"] * (1 - p["paperwork_share"])
    if p["grid_plus_branch"]:
        reach *= p["branch_outreach_factor"]
    members = np.bincount(r.building[model.party_index], minlength=model.n_buildings)
    per_household = reach * members / np.maximum(model.building_size, 1)
    return (1 - np.exp(-per_household))[r.building].astype(np.float32)


def party_members_reach_out(model: CommunityModel) -> None:
    r = model.people
    if not model.contact_chance.any():
        r.mobilised[:] = False
        return
    r.mobilised[:] = model.rng.random(model.n, dtype=np.float32) < model.contact_chance
