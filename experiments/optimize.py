"""Best plans for a budget: multi-objective policy search over the levers (``civicloop optimize``).

A street office does not ask what one lever does alone, but which mix of measures a yearly
budget buys, and whom it reaches. The search is pymoo's NSGA-II for mixed variables
(``MixedVariableGA`` with rank-and-crowding survival): real, integer, boolean and choice
levers in one chromosome, noisy objectives averaged over paired replicates (common random
numbers: every policy meets the same seeds), and the budget as a constraint.

Evaluations run on the sweep engine's executors. Each policy's seeds come from the master
seed and the replicate number only, so a result does not depend on the backend or on which
worker ran it. Every generation's evaluations are written to ``DIR/evaluations/`` before the
next is asked for. After a crash the same command replays the search from its seed: pymoo
asks for the same policies again, the stored ones are read back rather than re-run, and the
search continues where it stopped.

Every policy of one seed is the status quo until the reform week, so each worker runs that
part once per seed and base parameters and continues each policy from a copy (the same
numbers as a run from week 0, bit for bit; see :func:`_pre_reform`). The coordinator keeps
only an index of the stored evaluations and reads each generation's rows back from disk.

Honest fronts: the final front, the single levers, ``beijing_reform`` and ``full_package``
are re-evaluated with fresh seeds and, with ``posterior_draws``, on parameter sets drawn from
the calibration posterior; the output marks which policies stay non-dominated, and in what
share of the draws.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import pickle
import random
import resource
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model import PARAMS, SCENARIOS, CommunityModel

from . import executors, results
from .analyze import mean_ci
from .spec import SpecError, _Validator

#: The objectives a spec may ask for: (weekly metric averaged over the last year, sense).
OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "participation": ("participation_rate", "max", "long-run participation (参与率)"),
    "working_participation": ("participation_rate_working", "max",
                              "participation of working-age residents (中青年参与)"),
    "needs_met": ("needs_met_rate", "max", "share of all problems really fixed"),
    "satisfaction": ("satisfaction_rate", "max", "return-call satisfaction (满意率)"),
    "cost": ("budget_spent", "min", "extra spending over the status quo, 10k CNY a year"),
}  # fmt: skip
_KEYS = {
    "name", "description", "weeks", "reform_week", "replicates", "seed", "evaluations",
    "population", "budget", "objectives", "base", "levers", "reevaluate_replicates",
    "posterior_draws", "draw_replicates",
}  # fmt: skip
#: The calibration's posterior (``civicloop calibrate``): parameter draws and their weights.
POSTERIOR = Path(__file__).resolve().parent / "calibration" / "posterior.parquet"
WEEKS_PER_YEAR = 52
#: ``--quick``: a small search the tests run (caps on the spec's own settings).
QUICK: dict[str, Any] = {
    "population": 6,
    "evaluations": 12,
    "replicates": 2,
    "reevaluate_replicates": 2,
    "posterior_draws": 3,
    "draw_replicates": 1,
    "base": {"n_residents": 300},
}


def quick_spec(spec: OptimizeSpec) -> OptimizeSpec:
    """The ``--quick`` variant: the spec with :data:`QUICK`'s caps (the tests' small search)."""
    spec = dataclasses.replace(spec)
    for key, value in QUICK.items():
        setattr(spec, key, min(getattr(spec, key), value) if key != "base" else
                {**spec.base, **value})  # fmt: skip
    spec.evaluations = max(spec.evaluations, spec.population)
    return spec


#: Named scenarios evaluated beside the search's front, so a user sees what it gained.
COMPARATORS = ("beijing_reform", "full_package")


@dataclass
class OptimizeSpec:
    name: str
    description: str
    weeks: int
    reform_week: int
    replicates: int
    seed: int
    evaluations: int
    population: int
    budget: float
    objectives: list[str]
    base: dict[str, Any]
    levers: dict[str, dict[str, Any]]  # name → {"kind": real|integer|bool|choice, …}
    reevaluate_replicates: int
    posterior_draws: int = 0
    draw_replicates: int = 2
    source: str = "<string>"


def load_optimize_spec(path: str | Path) -> OptimizeSpec:
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: spec file not found")
    return parse_optimize_spec(path.read_text(encoding="utf-8"), str(path))


def parse_optimize_spec(text: str, source: str = "<string>") -> OptimizeSpec:
    """Parse and validate an optimisation spec; errors name the file, line and key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {exc}") from None
    v = _Validator(text, source)
    unknown = set(raw) - _KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise v.error((key,), f"unknown key; allowed: {', '.join(sorted(_KEYS))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise v.error(("name",), "required: a short name")
    weeks = v.integer(raw, "weeks", 156, 2, 10_000)
    reform_week = v.integer(raw, "reform_week", 52, 0, weeks - 1)
    if weeks - reform_week < WEEKS_PER_YEAR:
        raise v.error(("weeks",), f"must leave at least {WEEKS_PER_YEAR} weeks after "
                      f"reform_week ({reform_week}): objectives are measured over the last "
                      "year")  # fmt: skip
    replicates = v.integer(raw, "replicates", 4, 1, 1000)
    seed = v.integer(raw, "seed", 0, 0, 2**63 - 1)
    population = v.integer(raw, "population", 40, 4, 10_000)
    evaluations = v.integer(raw, "evaluations", 500, population, 10_000_000)
    reeval = v.integer(raw, "reevaluate_replicates", 2 * replicates, 1, 1000)
    budget = raw.get("budget")
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 0:
        raise v.error(("budget",), "required: the annual budget ceiling for extra spending, "
                      "10k CNY a year (a number ≥ 0)")  # fmt: skip
    objectives = raw.get("objectives", ["participation", "working_participation",
                                        "needs_met", "cost"])  # fmt: skip
    if not isinstance(objectives, list) or len(objectives) < 2:
        raise v.error(("objectives",), f"a list of two or more of: {', '.join(OBJECTIVES)}")
    for o in objectives:
        if o not in OBJECTIVES:
            raise v.error(("objectives",), f"unknown objective {o!r}; allowed: "
                          f"{', '.join(OBJECTIVES)}")  # fmt: skip
    base = v.params_table(raw.get("base", {}), ("base",))
    for key in base:
        if PARAMS[key].lever:
            raise v.error(("base", key), "is a lever: levers belong in [levers] (the search "
                          "sets them), not in [base]")  # fmt: skip
    table = raw.get("levers")
    if not isinstance(table, dict) or not table:
        raise v.error(("levers",), "required: a table of decision levers with their ranges")
    levers = {k: _lever(v, k, x) for k, x in table.items()}
    draws = v.integer(raw, "posterior_draws", 0, 0, 1000)
    draw_replicates = v.integer(raw, "draw_replicates", 2, 1, 1000)
    if draws:
        sampled = set(posterior_parameters())
        for key in base:
            if key in sampled:
                raise v.error(("base", key), "is drawn from the calibration posterior when "
                              "posterior_draws > 0; remove it from [base] or set "
                              "posterior_draws = 0")  # fmt: skip
    return OptimizeSpec(name, str(raw.get("description", "")), weeks, reform_week, replicates,
                        seed, evaluations, population, float(budget), list(objectives), base,
                        levers, reeval, draws, draw_replicates, source)  # fmt: skip


def posterior_parameters(path: Path = POSTERIOR) -> list[str]:
    """The parameters the calibration's posterior holds (its columns but the weight)."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise SpecError(f"{path}: the calibration posterior is missing (run `civicloop "
                        "calibrate`, or set posterior_draws = 0)")  # fmt: skip
    return [c for c in pq.read_schema(path).names if c != "weight"]


def posterior_draws(spec: OptimizeSpec, path: Path = POSTERIOR) -> list[dict[str, float]]:
    """``spec.posterior_draws`` parameter sets drawn by weight from the posterior (seeded)."""
    if not spec.posterior_draws:
        return []
    frame = pd.read_parquet(path)
    weights = frame.pop("weight").to_numpy(dtype=float)
    rng = np.random.default_rng([spec.seed, 13])
    picks = rng.choice(len(frame), size=spec.posterior_draws, p=weights / weights.sum())
    return [{k: float(frame.iloc[i][k]) for k in frame.columns} for i in picks]


def _lever(v: _Validator, name: str, value: Any) -> dict[str, Any]:
    path = ("levers", name)
    p = PARAMS.get(name)
    if p is None:
        raise v.error(path, "not a parameter (`civicloop params` lists them)")
    if not p.lever:
        raise v.error(path, "not a lever: only levers are decisions; community and "
                      "behavioural parameters stay fixed (set them in [base])")  # fmt: skip
    if p.type is bool:
        if value not in ([False, True], [True, False], "bool"):
            raise v.error(path, 'a boolean lever takes [false, true] (or "bool")')
        return {"kind": "bool"}
    if p.choices:
        if not isinstance(value, list) or len(value) < 2:
            raise v.error(path, f"a list of two or more choices from {list(p.choices)}")
        for c in value:
            v.param(path, name, c)
        return {"kind": "choice", "options": list(value)}
    if not (isinstance(value, list) and len(value) == 2):
        raise v.error(path, "a range [low, high] within the registry's bounds "
                      f"({p.allowed()})")  # fmt: skip
    low, high = (v.param(path, name, x) for x in value)
    if not low < high:
        raise v.error(path, f"low ({low}) must be below high ({high})")
    return {"kind": "integer" if p.type is int else "real", "bounds": [low, high]}


# ------------------------------------------------------------------ evaluation
def policy_key(levers: dict[str, Any]) -> str:
    """A policy's identity: its lever values, canonical and rounded (stable across runs)."""
    canon = {k: (round(float(x), 9) if isinstance(x, float) else x) for k, x in
             sorted(levers.items())}  # fmt: skip
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()[:16]


def _seed(master: int, replicate: int, fresh: bool, draw: int = -1) -> int:
    """Paired seeds: every policy (and every posterior draw) meets the same replicate seeds."""
    stream = "draw" if draw >= 0 else "fresh" if fresh else "search"
    text = repr((master, "optimize", stream, replicate))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") % (
        2**63
    )


#: Pre-reform states each worker process keeps (pickled models, ~0.7 MB at 2,000 residents).
SNAPSHOTS = 32


@functools.lru_cache(maxsize=SNAPSHOTS)
def _pre_reform(seed: int, base: str, reform_week: int) -> bytes:
    """The status quo run to ``reform_week`` once per worker, as a pickled model.

    Before the reform week every policy of one seed and one set of base parameters is the
    same run: levers switch on only at ``reform_week``. A policy continues from a copy.
    """
    m = CommunityModel(rng=seed, reform_week=reform_week, **json.loads(base))
    for _ in range(reform_week):
        m.step()
    return pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL)


def _mid_run(task: dict[str, Any]) -> bool:
    """Can this policy start from the shared pre-reform state? (its levers all switch mid-run)"""
    scenario = task.get("scenario", "baseline")
    names = set(task["levers"]) | set(SCENARIOS[scenario]["levers"])
    return all(PARAMS[n].mid_run for n in names)


def _model(task: dict[str, Any], from_scratch: bool = False) -> CommunityModel:
    """The task's model at its reform week, its levers scheduled for that week."""
    scenario = task.get("scenario", "baseline")
    interventions = [{"week": task["reform_week"], "set": task["levers"]}] if task["levers"] else []
    if from_scratch or not _mid_run(task):
        m = CommunityModel(scenario=scenario, interventions=interventions or None,
                           rng=task["seed"], reform_week=task["reform_week"],
                           **task["base"])  # fmt: skip
        for _ in range(task["reform_week"]):
            m.step()
        return m
    base = json.dumps(task["base"], sort_keys=True)
    m = pickle.loads(_pre_reform(task["seed"], base, task["reform_week"]))
    m.reschedule(scenario, interventions or None)  # as a fresh model of this policy would
    return m


def evaluate(task: dict[str, Any], from_scratch: bool = False) -> dict[str, Any]:
    """One policy × one replicate: the year-after objectives, measured like the spec asks.

    The run continues from the shared pre-reform state (:func:`_pre_reform`); with
    ``from_scratch`` it is built and run from week 0 instead (the same numbers, slower).
    """
    m = _model(task, from_scratch)
    for _ in range(task["weeks"] - task["reform_week"]):
        m.step()
    weekly = m.datacollector.get_model_vars_dataframe()
    last = weekly.iloc[-WEEKS_PER_YEAR:]
    row: dict[str, Any] = {}
    for name, (col, _, _) in OBJECTIVES.items():
        if name == "cost":  # budget_spent is cumulative: the last year's spending
            before = weekly[col].iloc[-WEEKS_PER_YEAR - 1] if len(weekly) > WEEKS_PER_YEAR else 0
            row["spent_per_year"] = float(weekly[col].iloc[-1] - before)
        else:
            row[name] = float(last[col].mean())
    return row


#: What identifies a stored evaluation.
IDENTITY = ("key", "replicate", "fresh", "draw")


class _Identified:
    """An evaluation function whose rows carry the task's identity (picklable for workers)."""

    def __init__(self, fn: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.fn = fn

    def __call__(self, task: dict[str, Any]) -> dict[str, Any]:
        return {**{k: task[k] for k in IDENTITY}, **self.fn(task)}


def _tasks(spec: OptimizeSpec, policies: dict[str, dict[str, Any]], replicates: int,
           fresh: bool, scenario: dict[str, str] | None = None,
           draws: list[dict[str, float]] | None = None) -> list[dict]:  # fmt: skip
    """Tasks grouped by (draw, replicate), so a worker's cached pre-reform states are reused."""
    master = spec.seed
    sets = list(enumerate(draws)) if draws else [(-1, {})]
    return [
        {"key": k, "levers": lv, "replicate": r, "fresh": fresh, "draw": d, "weeks": spec.weeks,
         "reform_week": spec.reform_week, "base": {**spec.base, **params},
         "scenario": (scenario or {}).get(k, "baseline"), "seed": _seed(master, r, fresh, d)}
        for d, params in sets
        for r in range(replicates)
        for k, lv in policies.items()
    ]  # fmt: skip


def objectives_of(rows: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Per policy and replicate: objectives, cost as extra spending over the paired baseline
    (the status quo on the same seed and, with posterior draws, the same draw)."""
    spent = baseline.set_index(["draw", "replicate"])["spent_per_year"]
    out = rows.copy()
    pairs = pd.MultiIndex.from_arrays([out["draw"], out["replicate"]])
    out["cost"] = out["spent_per_year"].to_numpy() - spent.reindex(pairs).to_numpy()
    return out


# ------------------------------------------------------------------ the search
def _variables(spec: OptimizeSpec) -> dict[str, Any]:
    from pymoo.core.variable import Binary, Choice, Integer, Real

    out = {}
    for name, lv in spec.levers.items():
        kind = lv["kind"]
        out[name] = (Real(bounds=tuple(lv["bounds"])) if kind == "real" else
                     Integer(bounds=tuple(lv["bounds"])) if kind == "integer" else
                     Binary() if kind == "bool" else Choice(options=lv["options"]))  # fmt: skip
    return out


def _plain(spec: OptimizeSpec, x: dict[str, Any]) -> dict[str, Any]:
    """pymoo's values as the registry's types (numpy scalars out)."""
    out = {}
    for name, value in x.items():
        t = PARAMS[name].type
        out[name] = bool(value) if t is bool else int(value) if t is int else (
            str(value) if PARAMS[name].choices else float(value))  # fmt: skip
    return out


class _Store:
    """Evaluations on disk, one Parquet file per batch.

    The coordinator keeps only an index of what is stored (the identity of each evaluation,
    a few dozen bytes each); the rows a generation needs are read back from disk with a
    filter on their policy keys, so memory does not grow with the stored rows.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        parts = sorted(folder.glob("batch-*.parquet"))
        self.known: set[tuple[str, int, bool, int]] = set()
        for part in parts:
            self._index(pd.read_parquet(part, columns=_columns(part, IDENTITY)))
        self.batches = len(parts)

    def _index(self, frame: pd.DataFrame) -> None:
        draw = frame["draw"] if "draw" in frame else pd.Series(-1, index=frame.index)
        ids = zip(frame["key"], frame["replicate"].astype(int), frame["fresh"].astype(bool),
                  draw.astype(int), strict=True)  # fmt: skip
        self.known.update(ids)

    def has(self, task: dict[str, Any]) -> bool:
        return (task["key"], task["replicate"], task["fresh"], task["draw"]) in self.known

    def add(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        frame = pd.DataFrame(rows)
        results.write_frame(frame, self.folder / f"batch-{self.batches:06d}.parquet")
        self.batches += 1
        self._index(frame)

    def rows(self, fresh: bool, keys: list[str] | None = None) -> pd.DataFrame:
        """The stored rows of these policies (all, without ``keys``), search or fresh."""
        import pyarrow.dataset as ds

        parts = sorted(self.folder.glob("batch-*.parquet"))
        if not parts:
            return pd.DataFrame(columns=list(IDENTITY))
        where = ds.field("fresh") == fresh
        if keys is not None:
            where = where & ds.field("key").isin(sorted(set(keys)))
        frame = ds.dataset(parts, format="parquet").to_table(filter=where).to_pandas()
        if "draw" not in frame:  # stored before posterior draws existed
            frame["draw"] = -1
        return frame.drop_duplicates(list(IDENTITY)).reset_index(drop=True)


def _columns(path: Path, wanted: tuple[str, ...]) -> list[str]:
    import pyarrow.parquet as pq

    names = set(pq.read_schema(path).names)
    return [c for c in wanted if c in names]


def _run(store: _Store, tasks: list[dict[str, Any]], backend: str, workers: int,
         scheduler: str | None, evaluate_fn: Callable[[dict[str, Any]], dict[str, Any]],
         ) -> None:  # fmt: skip
    """Run the tasks not yet on disk; keep numpy's and random's global state untouched."""
    todo = [t for t in tasks if not store.has(t)]
    if not todo:
        return
    state, pystate = np.random.get_state(), random.getstate()
    try:
        fn = _Identified(evaluate_fn)
        rows = list(executors.get(backend)(fn, todo, workers=workers, scheduler=scheduler))
    finally:
        np.random.set_state(state)
        random.setstate(pystate)
    store.add(rows)


def optimize(spec: OptimizeSpec, out: str | Path, backend: str = "processes", workers: int = 2,
             scheduler: str | None = None,
             evaluate: Callable[[dict[str, Any]], dict[str, Any]] = evaluate,
             ) -> dict[str, Any]:  # fmt: skip
    """Search, re-evaluate the front with fresh seeds, and write the outputs to ``out``.

    ``evaluate`` runs one task (a dict with ``levers``, ``scenario``, ``seed``, ``base``,
    ``weeks``, ``reform_week``) and returns its objectives and ``spent_per_year``; the
    default runs the model. Library users pass their own (a module-level function, so worker
    processes can import it), e.g. a cheap stand-in to test a search.
    """
    from pymoo.algorithms.moo.nsga2 import RankAndCrowdingSurvival
    from pymoo.core.mixed import MixedVariableGA
    from pymoo.core.problem import Problem

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    store = _Store(out / "evaluations")
    baseline_key = policy_key({})
    run = functools.partial(_run, store, backend=backend, workers=workers, scheduler=scheduler,
                            evaluate_fn=evaluate)  # fmt: skip
    run(_tasks(spec, {baseline_key: {}}, spec.replicates, False))
    senses = [OBJECTIVES[o][1] for o in spec.objectives]
    problem = Problem(vars=_variables(spec), n_obj=len(spec.objectives), n_ieq_constr=1)
    algorithm = MixedVariableGA(pop_size=spec.population, survival=RankAndCrowdingSurvival())
    algorithm.setup(problem, seed=spec.seed % 2**32)
    policies: dict[str, dict[str, Any]] = {}
    used = 0
    while used < spec.evaluations:
        pop = algorithm.ask()
        batch = [_plain(spec, ind.X) for ind in pop]
        keys = [policy_key(x) for x in batch]
        policies.update(zip(keys, batch, strict=True))
        run(_tasks(spec, dict(zip(keys, batch, strict=True)), spec.replicates, False))
        search = store.rows(False, [baseline_key, *keys])  # this generation's rows only
        search = search[search.replicate < spec.replicates]
        rows = objectives_of(search, search[search.key == baseline_key])
        means = rows.groupby("key")[[*dict.fromkeys([*spec.objectives, "cost"])]].mean()
        f = means.loc[keys, spec.objectives].to_numpy(dtype=float)
        f = np.where(np.array(senses) == "max", -f, f)  # pymoo minimises
        # the budget binds whether or not cost is also an objective
        g = (means.loc[keys, "cost"].to_numpy(dtype=float) - spec.budget).reshape(-1, 1)
        pop.set("F", f, "G", g)
        algorithm.tell(infills=pop)
        used += len(batch)
    front = [_plain(spec, x) for x in np.atleast_1d(algorithm.result().X)] if (
        algorithm.result().X is not None) else []  # fmt: skip
    search_seconds = time.monotonic() - start
    return finish(spec, out, store, front, run, search_seconds, used)


def _levers_of(scenario: str) -> dict[str, Any]:
    return dict(SCENARIOS[scenario]["levers"])


def comparators(spec: OptimizeSpec) -> dict[str, str]:
    """Single levers of the levers experiment, ``beijing_reform`` and ``full_package``."""
    from .calibrate import levers

    return {name: name for name in (*levers(), *COMPARATORS)}


def finish(spec: OptimizeSpec, out: Path, store: _Store, front: list[dict[str, Any]],
           run: Callable[[list[dict[str, Any]]], None], search_seconds: float,
           used: int) -> dict[str, Any]:  # fmt: skip
    """Re-evaluate front and comparators with fresh seeds (and posterior draws); mark the
    honest front; write the outputs."""
    start = time.monotonic()
    named = comparators(spec)
    front_keys = {policy_key(x): x for x in front}
    base_key = policy_key({})
    fresh = {**front_keys, base_key: {}}
    scen = {}
    for name in named:
        k = f"scenario:{name}"
        fresh[k], scen[k] = {}, name
    draws = posterior_draws(spec)
    run(_tasks(spec, fresh, spec.reevaluate_replicates, True, scen))
    if draws:
        run(_tasks(spec, fresh, spec.draw_replicates, True, scen, draws))
    stored = store.rows(True, list(fresh))
    rows = stored[(stored.draw < 0) & (stored.replicate < spec.reevaluate_replicates)]
    rows = objectives_of(rows, rows[rows.key == base_key])
    table = []
    for k, group in rows.groupby("key"):
        if k == base_key:
            continue
        rec: dict[str, Any] = {"policy": scen.get(k, k), "key": k,
                               "kind": "named" if k in scen else "front"}  # fmt: skip
        levers = _levers_of(scen[k]) if k in scen else front_keys[k]
        rec.update({f"lever_{n}": levers.get(n) for n in spec.levers})
        for o in spec.objectives:
            m, lo, hi, _ = mean_ci(group[o])
            rec.update({o: m, f"{o}_lo": lo, f"{o}_hi": hi})
        cost = rec["cost"] if "cost" in rec else float(group["cost"].mean())
        rec["within_budget"] = bool(cost <= spec.budget)
        table.append(rec)
    frame = pd.DataFrame(table)
    frame["non_dominated"] = _non_dominated(frame, spec) if len(frame) else []
    if draws and len(frame):
        drawn = stored[stored.draw.between(0, len(draws) - 1)
                       & (stored.replicate < spec.draw_replicates)]  # fmt: skip
        frame = _across_draws(frame, objectives_of(drawn, drawn[drawn.key == base_key]), spec)
    if len(frame):  # each front policy's runnable spec (sweep, dashboard), named in the table
        front_rows = frame.kind == "front"
        frame["policy_file"] = ""
        frame.loc[front_rows, "policy_file"] = [
            f"policies/policy_{i:03d}.toml" for i in range(int(front_rows.sum()))
        ]
    results.write_frame(frame, out / "pareto.parquet")
    _write_policies(spec, frame[frame.kind == "front"], out)
    summary = {
        "spec": spec.name, "evaluations": used, "search_seconds": round(search_seconds, 1),
        "reevaluation_seconds": round(time.monotonic() - start, 1),
        "front": int((frame.kind == "front").sum()) if len(frame) else 0,
        "front_non_dominated": int((frame.non_dominated & (frame.kind == "front")).sum())
        if len(frame) else 0,
        "posterior_draws": len(draws),
        "coordinator_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                         / 1024, 1),
    }  # fmt: skip
    results.write_json(summary, out / "optimize.json")
    if len(frame):
        _figure(frame, spec, out / "tradeoff.png")
        with results.atomic_file(out / "report.md", "w", encoding="utf-8") as fh:
            fh.write(report(frame, spec, summary))
    return summary


def _figure(frame: pd.DataFrame, spec: OptimizeSpec, path: Path) -> None:
    """Participation against cost, coloured by working-age participation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not {"participation", "cost"} <= set(frame):
        return
    colour = frame.get("working_participation", None)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for kind, marker in (("front", "o"), ("named", "s")):
        f = frame[frame.kind == kind]
        sc = ax.scatter(f["cost"], f["participation"], c=None if colour is None else
                        colour[f.index], cmap="viridis", marker=marker, s=45,
                        edgecolors=np.where(f.non_dominated, "black", "none"),
                        label="searched" if kind == "front" else "named scenarios")  # fmt: skip
    for _, r in frame[frame.kind == "named"].iterrows():
        ax.annotate(r["policy"], (r["cost"], r["participation"]), fontsize=7, alpha=0.7)
    ax.axvline(spec.budget, color="grey", ls="--", lw=1, label="budget ceiling")
    if colour is not None:
        fig.colorbar(sc, ax=ax, label="working-age participation")
    ax.set_xlabel("extra spending over the status quo (10k CNY a year)")
    ax.set_ylabel("participation, last year of the run")
    ax.set_title(f"{spec.name}: fresh-seed means (outlined: non-dominated)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(path)
    plt.close(fig)


BUDGET_SHARES = (0.25, 0.5, 1.0)


def best_for_budgets(frame: pd.DataFrame, spec: OptimizeSpec) -> list[dict[str, Any]]:
    """For a quarter, half and the whole budget: the searched policy with the highest
    fresh-seed participation that costs at most that much (None where none fits)."""
    ok = frame[frame.within_budget & (frame.kind == "front")]
    out = []
    for share in BUDGET_SHARES:
        cap = spec.budget * share
        pick = ok[ok["cost"] <= cap] if "cost" in ok else ok
        best = None if pick.empty or "participation" not in pick else (
            pick.loc[pick["participation"].idxmax()])  # fmt: skip
        out.append({"budget": cap, "best": best})
    return out


def _draws_note(r: pd.Series, spec: OptimizeSpec) -> str:
    if "non_dominated_share" not in r:
        return ""
    k = round(r["non_dominated_share"] * spec.posterior_draws)
    return (f"; across {spec.posterior_draws} posterior draws participation "
            f"{r['participation_draw_min']:.3f}–{r['participation_draw_max']:.3f}, "
            f"non-dominated in {k} of them / 后验抽样中 {k}/{spec.posterior_draws} 次非劣"
            )  # fmt: skip


def report(frame: pd.DataFrame, spec: OptimizeSpec, summary: dict[str, Any]) -> str:
    """The front in plain words, in English and Chinese: for a few budgets, the best mix."""
    drawn = spec.posterior_draws and "non_dominated_share" in frame
    lines = [
        f"# {spec.name}: best plans for a budget / 预算约束下的最优方案组合", "",
        f"{summary['evaluations']} policies searched (NSGA-II, pymoo), {spec.replicates} paired "
        f"replicates each; the front and the named scenarios re-run on "
        f"{spec.reevaluate_replicates} fresh seeds"
        + (f" and on {spec.posterior_draws} posterior draws of the calibration "
           f"({spec.draw_replicates} paired seeds each)" if drawn else "")
        + f". Levers switch on at week {spec.reform_week}; "
        "objectives are means over the last 52 weeks of the run, cost is extra spending over "
        "the same-seed status quo (10k CNY a year).", "",
        f"共搜索 {summary['evaluations']} 个方案；前沿方案与既定情景均以新的随机种子复核"
        + (f"，并在校准后验的 {spec.posterior_draws} 组参数抽样上复核" if drawn else "")
        + "。成本为相对现状每年新增支出（万元）。", "",
    ]  # fmt: skip
    for item in best_for_budgets(frame, spec):
        cap, best = item["budget"], item["best"]
        if best is None:
            lines += [f"- **Budget {cap:.0f} / 预算 {cap:.0f} 万元**: no searched policy fits "
                      "/ 无方案满足", ""]  # fmt: skip
            continue
        mix = ", ".join(f"{n} = {_show(best[f'lever_{n}'])}" for n in spec.levers)
        lo, hi = best["participation_lo"], best["participation_hi"]
        lines += [
            f"- **Budget {cap:.0f} / 预算 {cap:.0f} 万元**: {mix}. Participation "
            f"{best['participation']:.3f} [{lo:.3f}, {hi:.3f}]"
            + (f", cost {best['cost']:.0f}" if "cost" in best else "")
            + ("" if best["non_dominated"] else " (dominated on fresh seeds: uncertain)")
            + _draws_note(best, spec) + f". Its spec / 方案文件: `{best['policy_file']}` "
            f"(`civicloop sweep` runs it; `civicloop dashboard --open` shows it).", ""]  # fmt: skip
    named = frame[frame.kind == "named"].sort_values("participation", ascending=False)
    extra = " share of posterior draws non-dominated |" if drawn else ""
    lines += ["## Named scenarios on the same seeds / 既定情景对照", "",
              f"| scenario | participation | cost | within budget | non-dominated |{extra}",
              "|---|---:|---:|---|---|" + ("---:|" if drawn else "")]  # fmt: skip
    for _, r in named.iterrows():
        lines.append(f"| {r['policy']} | {r['participation']:.3f} | "
                     f"{r.get('cost', float('nan')):.0f} | {r['within_budget']} | "
                     f"{r['non_dominated']} |"
                     + (f" {r['non_dominated_share']:.2f} |" if drawn else ""))  # fmt: skip
    lines += ["", "What is uncertain / 不确定性: a policy that is dominated on fresh seeds, or "
              "whose intervals overlap its neighbours', is not reliably better than them. "
              + ("The search ran at the calibrated defaults; the posterior draws show how far "
                 "the results move with parameters the data do not pin down (a policy "
                 "non-dominated in few draws is a fragile choice). 搜索在校准默认参数下进行；"
                 "后验抽样显示参数不确定时结论的变化（仅在少数抽样中非劣的方案并不稳健）。"
                 if drawn else "The parameters are the calibrated defaults; the calibration's "
                 "posterior was not sampled (posterior_draws = 0). 参数为校准默认值，未抽样后验。"),
              "", "![trade-off](tradeoff.png)", ""]  # fmt: skip
    return "\n".join(lines)


def _across_draws(frame: pd.DataFrame, rows: pd.DataFrame, spec: OptimizeSpec) -> pd.DataFrame:
    """Per policy: each objective's range over the posterior draws (draw means over paired
    seeds), and the share of draws in which it stays non-dominated within the budget."""
    means = rows.groupby(["key", "draw"])[[*dict.fromkeys([*spec.objectives, "cost"])]].mean()
    order = list(frame["key"])
    out = frame.copy()
    for o in spec.objectives:
        per = means[o].groupby(level="key")
        out[f"{o}_draw_min"] = per.min().reindex(order).to_numpy()
        out[f"{o}_draw_max"] = per.max().reindex(order).to_numpy()
    stays = np.zeros(len(frame))
    drawn = sorted(set(means.index.get_level_values("draw")))
    for d in drawn:
        at = means.xs(d, level="draw").reindex(order)
        at = at.assign(within_budget=at["cost"].to_numpy() <= spec.budget)
        stays += np.array(_non_dominated(at.reset_index(drop=True), spec), dtype=float)
    out["non_dominated_share"] = stays / max(len(drawn), 1)
    return out


def _non_dominated(frame: pd.DataFrame, spec: OptimizeSpec) -> list[bool]:
    """Not dominated on the fresh-seed means by any within-budget policy (front or named)."""
    signs = np.array([-1.0 if OBJECTIVES[o][1] == "max" else 1.0 for o in spec.objectives])
    f = frame[spec.objectives].to_numpy(dtype=float) * signs
    ok = frame["within_budget"].to_numpy()
    out = []
    for i in range(len(f)):
        dominated = ok & np.all(f <= f[i], axis=1) & np.any(f < f[i], axis=1)
        out.append(bool(ok[i] and not dominated.any()))
    return out


def _write_policies(spec: OptimizeSpec, front: pd.DataFrame, out: Path) -> None:
    """One sweep spec per front policy: the levers switched on at the reform week."""
    import tomli_w

    (out / "policies").mkdir(parents=True, exist_ok=True)
    for i, (_, row) in enumerate(front.iterrows()):
        levers = {n: _native(row[f"lever_{n}"]) for n in spec.levers}
        text = tomli_w.dumps({
            "name": f"{spec.name}_{Path(row['policy_file']).stem}",
            "description": f"Policy {i} of the {spec.name} front (civicloop optimize)",
            "weeks": spec.weeks, "replicates": spec.reevaluate_replicates,
            "seed": spec.seed, "base": spec.base,
            "scenarios": {"baseline": "baseline", "policy": {
                "interventions": [{"week": spec.reform_week, "set": levers}]}},
        })  # fmt: skip
        with results.atomic_file(out / row["policy_file"], "w", encoding="utf-8") as fh:
            fh.write(text)


def _show(x: Any) -> str:
    x = _native(x)
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _native(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x
