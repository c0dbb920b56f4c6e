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


def party_members_reach_out(model: CommunityModel) -> None:
    p, rng, r = model.params, model.rng, model.people
    r.mobilised[:] = False
    reach = p["party_outreach"] * (1 - p["paperwork_share"])
    if p["grid_plus_branch"]:
        reach *= p["branch_outreach_factor"]
    members = model.party_index
    if reach <= 0 or members.size == 0:
        return
    b = np.repeat(r.building[members], rng.poisson(reach, members.size))
    start, size = model.building_start[b], model.building_size[b]
    r.mobilised[start + (rng.random(b.size) * size).astype(np.int64)] = True
