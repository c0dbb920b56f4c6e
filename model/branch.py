"""Stage 2b – the compound Party branch (党支部) organises activities and meetings.

Activities and deliberation meetings happen because a branch organises them, within its
organising time: ``branch_capacity`` hours a week per fully able member (members counted by
skill, :func:`model.outreach.able_members`), less what paperwork eats (``paperwork_share``).
A compound deliberation meeting (议事协商, every ``deliberation_every_weeks``) takes
``meeting_hours`` and comes first; then the buildings' activities due this week (党建活动,
every ``activity_every_weeks``, staggered) take ``activity_hours`` each, in random order,
while time lasts. What is not held waits for its next turn.

The agenda (paper: "活动形式单一, 开会、学文件与念稿"): under results-based assessment, or
when the branch takes its agenda from residents (民情恳谈, ``resident_agenda``), an event is
about what residents raised, and meets their needs as far as these are known
(:func:`model.grid.relevance`, ``results_relevance``). Otherwise the assessment sets the
agenda – meetings, reading documents, staged activities – relevant with
``formalist_relevance``. Residents decide whether to go in the next stage
(:mod:`model.decisions`), expecting of an event what the building's recent events were
about (``model.event_reputation``: the share that met their needs, learned at
``activity_weight`` per event held, frozen with ``learning``); a meeting whose agenda was not
theirs co-decides nothing.

Reads ``branch_capacity``, ``paperwork_share``, ``meeting_hours``, ``activity_hours``,
``deliberation_every_weeks``, ``activity_every_weeks``, ``assessment``, ``resident_agenda``,
``results_relevance``, ``formalist_relevance``, ``activity_weight``, ``learning``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .grid import relevance
from .outreach import able_members

if TYPE_CHECKING:
    from .model import CommunityModel


def branch_hours(model: CommunityModel) -> np.ndarray:
    """Organising hours each compound's branch has a week."""
    p = model.params
    able = able_members(model, model.people.compound, model.n_compounds)
    return p["branch_capacity"] * (1 - p["paperwork_share"]) * able


def agenda_from_residents(params: dict) -> bool:
    return params["assessment"] == "results" or bool(params["resident_agenda"])


def event_relevance(model: CommunityModel, buildings: np.ndarray) -> np.ndarray:
    """Chance an event for the given buildings is about what their residents need."""
    p = model.params
    if agenda_from_residents(p):
        return relevance(model, p["results_relevance"], buildings)
    return np.full(buildings.size, p["formalist_relevance"])


def branches_organise(model: CommunityModel) -> None:
    """Decide which meetings and activities are held this week and what they are about."""
    p, rng, t = model.params, model.rng, model.week
    hours = model.branch_hours.copy()
    meeting = np.zeros(model.n_compounds, dtype=bool)
    every = p["deliberation_every_weeks"]
    if every and t % every == 0:
        meeting = hours >= p["meeting_hours"]
        hours[meeting] -= p["meeting_hours"]
    # a meeting is about a compound's needs: as well known as its buildings' on average
    known = np.bincount(
        model.building_compound, weights=event_relevance(model, np.arange(model.n_buildings))
    ) / np.maximum(np.bincount(model.building_compound), 1)
    model.meeting_held = meeting
    model.meeting_relevant = meeting & (rng.random(model.n_compounds) < known)
    every = p["activity_every_weeks"]
    due = np.flatnonzero(np.arange(model.n_buildings) % every == t % every)
    due = due[rng.permutation(due.size)]
    compound = model.building_compound[due]
    by_compound = np.argsort(compound, kind="stable")
    due, compound = due[by_compound], compound[by_compound]
    turn = np.arange(due.size) - np.searchsorted(compound, compound)  # 0, 1, … per compound
    held = np.sort(due[(turn + 1) * p["activity_hours"] <= hours[compound]])
    model.activity_held = held
    model.activity_relevant = rng.random(held.size) < event_relevance(model, held)
    if p["learning"]:  # residents learn what the building's events are usually about
        w = p["activity_weight"]
        rep = model.event_reputation
        rep[held] += w * (model.activity_relevant - rep[held])
        met = np.flatnonzero(meeting[model.building_compound])
        rep[met] += w * (model.meeting_relevant[model.building_compound[met]] - rep[met])
    model.log["branch_events"] += held.size + int(meeting.sum())
    model.log["branch_relevant"] += int(model.activity_relevant.sum())
    model.log["branch_relevant"] += int(model.meeting_relevant.sum())
