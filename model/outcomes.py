"""Stage 6 – outcomes reach residents, or do not; residents learn from them.

An outcome's value to the resident, in the order residents feel them (the paper's
"让群众感受到自己的期盼有回应"): a fix the resident knows of (told, ``feedback_prob``, or
noticed, ``notice_prob``) is worth 1 when it met the need and ``irrelevant_fix_value`` when
it did not, less when late (halved every ``lateness_halflife_weeks`` beyond
``patience_weeks``); being told honestly that nothing could be done is worth
``told_unresolved_value`` (below the ``aspiration``); a paper-only closure (纸面办结) and
silence are worth 0 – "it didn't matter". A personal fix meets the need with ``case_relevance``
(a reported problem is known); a building's shared fix as far as its residents' needs are
known (:func:`model.grid.relevance`), or with ``codecided_relevance`` when residents decided
it together (议事协商).

Learning (switched off by ``learning = false``): general efficacy follows Bush–Mosteller
aspiration learning, trust lost faster than regained (``learning_gain`` < ``learning_loss``);
the resident's own record counts the report as fixed when the resident knows it was fixed,
and as unfixed otherwise (the first report weighs ``first_outcome_weight``). Word of mouth
(口碑) pulls efficacy towards what the ties feel, and residents learn, with
``hearsay_weight``, from the mean value of their ties' outcomes of the week before (what
neighbours tell of their reports).

Satisfaction is measured as the published 满意率 is: a return call (回访) to every resident
whose registered case ended, answered by those who feel it matters (log-odds
``callback_base`` + ``efficacy_weight``·efficacy); answering is taking part (rating the
outcome), being told is not.

Reads ``feedback_prob``, ``professional_bonus``, ``notice_prob``, ``case_relevance``,
``codecided_relevance``, ``blind_relevance``,
``irrelevant_fix_value``, ``told_unresolved_value``, ``patience_weeks``,
``lateness_halflife_weeks``, ``aspiration``, ``learning``, ``learning_gain``,
``learning_loss``, ``first_outcome_weight``, ``callback_base``, ``efficacy_weight``,
``hearsay_weight``, ``word_of_mouth``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .grid import grid_professional, relevance
from .state import (
    ABANDONED,
    CLOSED_ON_PAPER,
    FIRST_FIXED,
    FIRST_NOT_FIXED,
    NEVER,
    RESOLVED,
    SHARED,
)
from .stats import sigmoid

if TYPE_CHECKING:
    from .model import CommunityModel

_TOTAL_KEY = {RESOLVED: "resolved", CLOSED_ON_PAPER: "paper", ABANDONED: "abandoned"}


def end_cases(model: CommunityModel, idx: np.ndarray, outcome: int) -> None:
    """End open cases (they leave the table when it is compacted, at the end of the case
    stages) and queue their outcome for the residents."""
    if idx.size == 0:
        return
    rows = model.cases.take(idx)
    rows["outcome"] = np.full(idx.size, outcome, dtype=np.int8)
    rows["rt"] = (model.week - rows["week"]).astype(np.float32)
    model.ended.append(rows)
    model.cases.end(idx)
    summoned = rows["summoned"]
    if summoned.any():  # did the department answer the committee in time? (督办)
        waited = model.week - rows["summon_week"][summoned]
        in_time = waited <= model.params["whistle_deadline_weeks"]
        model.log["summons_ended"] += int(summoned.sum())
        model.log["summons_met"] += int(in_time.sum()) if outcome == RESOLVED else 0
        model.log["summons_wait"] += int(waited.sum())
    model.totals[_TOTAL_KEY[outcome]] += idx.size
    model.log[_TOTAL_KEY[outcome]] += idx.size
    model.log["met" if outcome == RESOLVED else "unmet"] += idx.size


def fix_shared(model: CommunityModel, buildings: np.ndarray) -> None:
    """A building's shared problem is fixed: pending, unreported ones clear too."""
    if buildings.size == 0:
        return
    model.shared_open[buildings] = False
    r = model.people
    who = model.members(np.unique(buildings))
    waiting = who[(r.issue_kind[who] == SHARED) & r.pending[who]]
    r.issue_week[waiting] = NEVER
    model.log["met"] += waiting.size


def outcome_values(
    model: CommunityModel, e: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """What each ended case was worth to its reporter (see the module's docstring), and
    whether the reporter knows the problem was fixed."""
    p, rng, r = model.params, model.rng, model.people
    k = e["res"].size
    bonus = p["professional_bonus"]
    pro_grid = grid_professional(model)[r.grid_index[e["res"]]]
    told = ~e["lost"] & (rng.random(k) < np.clip(p["feedback_prob"] + bonus * pro_grid, 0, 1))
    resolved = e["outcome"] == RESOLVED
    # a personal problem was reported, so it is known; a building's shared fix meets what
    # residents needed as far as their needs are known, or as they co-decided it
    top = np.clip(p["case_relevance"] + bonus * e["professional"], 0, 1)
    shared = e["kind"] == SHARED
    chance = np.where(shared, relevance(model, top, r.building[e["res"]]), top)
    chance = np.where(e["codecided"], p["codecided_relevance"], chance)
    relevant = rng.random(k) < chance
    late = np.maximum(e["rt"] - p["patience_weeks"], 0) / p["lateness_halflife_weeks"]
    fix_value = np.where(relevant, 1.0, p["irrelevant_fix_value"]) * 0.5**late
    known_fix = resolved & (told | (rng.random(k) < p["notice_prob"]))
    honest_no = (e["outcome"] == ABANDONED) & told
    value = np.where(known_fix, fix_value, np.where(honest_no, p["told_unresolved_value"], 0.0))
    return value.astype(np.float32), known_fix


def outcomes_reach_residents(model: CommunityModel) -> None:
    p, rng, r = model.params, model.rng, model.people
    if not model.ended:
        return
    e = {k: np.concatenate([x[k] for x in model.ended]) for k in model.ended[0]}
    res = e["res"]
    value, known_fix = outcome_values(model, e)
    learn(model, res, value, 1.0)
    model.heard_value[res] = value  # the ties hear of it next week
    model.heard[res] = True
    if p["learning"]:
        weight = np.where(e["first"], p["first_outcome_weight"], 1.0).astype(np.float32)
        np.add.at(r.record_fixed, res, weight * known_fix)
        np.add.at(r.record_unfixed, res, weight * ~known_fix)
    first = e["first"]
    r.first_outcome[res[first]] = np.where(
        e["outcome"][first] == RESOLVED, FIRST_FIXED, FIRST_NOT_FIXED
    )
    r.first_outcome_week[res[first]] = model.week
    ended_for, n_ended = np.unique(res, return_counts=True)
    r.open_cases[ended_for] -= n_ended.astype(np.int16)
    # deliberation meetings report back on the compound's co-decided cases
    co = e["codecided"]
    np.add.at(model.codecided_ended, r.compound[res[co]], 1)
    np.add.at(model.codecided_fixed, r.compound[res[co]], e["outcome"][co] == RESOLVED)
    # the return call (回访): every registered case that ended; answering is taking part
    called = ~e["lost"]
    answer = sigmoid(p["callback_base"] + p["efficacy_weight"] * r.efficacy[res])
    answered = called & (rng.random(res.size) < answer)
    model.participated[res[answered]] = True
    model.log["ended"] += res.size
    model.log["answered"] += int(answered.sum())
    model.log["satisfied"] += int((answered & (value >= p["aspiration"])).sum())
    model.log["answered_fixed"] += int((answered & known_fix).sum())
    model.log["rt"] = np.bincount(e["rt"].astype(np.int64))  # response times in whole weeks


def learn(model: CommunityModel, idx: np.ndarray, value: np.ndarray, weight: float) -> None:
    """Aspiration learning (Bush–Mosteller): losses weigh more than gains."""
    p = model.params
    if idx.size == 0 or weight == 0 or not p["learning"]:
        return
    eff = model.people.efficacy
    e = eff[idx]
    s = value - p["aspiration"]
    step = np.where(s >= 0, p["learning_gain"] * s * (1 - e), p["learning_loss"] * s * e)
    eff[idx] = np.clip(e + weight * step, 0.0, 1.0)


def word_of_mouth(model: CommunityModel) -> None:
    """口碑: residents learn from what happened to their ties' reports last week (weight
    ``hearsay_weight``), and efficacy drifts towards what the ties feel (``word_of_mouth``)."""
    p, r = model.params, model.people
    if not p["learning"]:
        return
    learn(model, model.hearers, model.hearsay, p["hearsay_weight"])
    if p["word_of_mouth"]:
        pull = model.neighbour_efficacy - r.efficacy
        pull *= model._has_ties
        pull *= np.float32(p["word_of_mouth"])
        r.efficacy += pull
        np.clip(r.efficacy, 0, 1, out=r.efficacy)
