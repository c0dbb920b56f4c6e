"""From a spec to the list of runs: points of the design, scenarios, replicates and seeds.

Each run's seed comes from the master seed and the run's identity through numpy's
``SeedSequence``, so a run gets the same seed whatever the backend, the number of workers or
the order in which runs finish. With common random numbers (the default) the identity used
for seeding is the replicate alone: every scenario and point of replicate *r* sees the same
random stream, which makes paired comparisons sharp.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from model import PARAMS, SCENARIOS

from .spec import ExperimentSpec, SpecError


@dataclass(frozen=True)
class Run:
    run_id: str
    scenario: str  # the spec's scenario name
    base_scenario: str  # the model.scenarios entry it starts from
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]  # every explicitly set parameter: base, scenario set, point
    point_values: dict[str, Any]  # only the values that vary across points
    interventions: tuple = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "scenario": self.scenario,
            "base_scenario": self.base_scenario,
            "point": self.point,
            "replicate": self.replicate,
            "seed": self.seed,
            "params": self.params,
            "interventions": list(self.interventions),
        }

    def resolved(self) -> dict[str, Any]:
        """``as_dict()`` plus what the run will do: its lever schedule (the scenario's levers
        at reform_week, then the interventions) and the levers in effect once it has run."""
        from .provenance import lever_schedule, levers_after

        schedule = lever_schedule(self.base_scenario, self.params, self.interventions)
        return {
            **self.as_dict(),
            "lever_schedule": schedule,
            "levers": levers_after(self.params, schedule),
        }


def point_label(values: dict[str, Any]) -> str:
    """A design point named by its values: ``grid_capacity=20, whistle=True`` (``–``: none)."""
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items()) or "–"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def salib_problem(design: dict[str, Any]) -> dict[str, Any]:
    names = list(design["parameters"])
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [design["parameters"][n] for n in names],
    }


#: The most runs one experiment plans (each run is planned in memory before any starts).
MAX_RUNS = 1_000_000


def planned_points(spec: ExperimentSpec) -> int:
    """How many design points the spec asks for, counted without building them."""
    d = spec.design
    if d is not None:
        k = len(d["parameters"])
        per_sample = {"latin": 1, "morris": k + 1}.get(
            d["method"], 2 * k + 2 if d.get("calc_second_order") else k + 2
        )
        return d["samples"] * per_sample
    return math.prod(len(v) for v in spec.sweep.values()) if spec.sweep else 1


def design_points(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """The parameter values of each point: a full factorial, a sampled design, or one point."""
    total = planned_points(spec) * len(spec.scenarios) * spec.replicates
    if total > MAX_RUNS:
        raise SpecError(
            f"{spec.source}: {total:,} runs ({planned_points(spec):,} points × "
            f"{len(spec.scenarios)} scenarios × {spec.replicates} replicates); one experiment "
            f"plans at most {MAX_RUNS:,}: lower `samples`, the sweep's values or `replicates`, "
            "or split it into several specs"
        )
    if spec.design is not None:
        sampled = _sample(spec)
        points = [_typed(row) for row in sampled]
        # a design's own repeats (Morris trajectories share levels) are its estimator's; the
        # ones rounding makes are not
        repeats = len({tuple(p.items()) for p in sampled}) - len({tuple(p.items()) for p in points})
        if repeats and spec.common_random_numbers:  # without, a repeat is one more sample
            ints = [k for k in spec.design["parameters"] if PARAMS[k].type is int]
            _design_warning(spec, f"{repeats} of {len(points)} points repeat an earlier one once "
                            f"{', '.join(ints)} {'is' if len(ints) == 1 else 'are'} rounded to "
                            "whole numbers: with common random numbers a repeated point is the "
                            "same runs with the same seeds, not more data; widen the range, "
                            "take fewer samples, or sweep the integers in [sweep]")  # fmt: skip
        return points
    if spec.sweep:
        names = list(spec.sweep)
        return [dict(zip(names, combo)) for combo in itertools.product(*spec.sweep.values())]
    return [{}]


def _sample(spec: ExperimentSpec) -> list[dict[str, float]]:
    from SALib.sample import latin, morris, sobol

    d = spec.design
    problem = salib_problem(d)
    seed = int(np.random.SeedSequence(spec.seed).generate_state(1)[0])
    n = d["samples"]
    if d["method"] == "sobol" and n & (n - 1):
        _design_warning(spec, f"samples = {n} is not a power of 2: Sobol' points keep their "
                        f"balance only at powers of 2 (e.g. {1 << (n.bit_length() - 1)} or "
                        f"{1 << n.bit_length()})")  # fmt: skip
    if d["method"] == "morris" and d["num_levels"] % 2:
        _design_warning(spec, f"num_levels = {d['num_levels']} is odd: Morris trajectories "
                        "are balanced only with an even number of levels (e.g. 4)")  # fmt: skip
    with warnings.catch_warnings():  # SALib's own wording of the same two cautions
        warnings.simplefilter("ignore", UserWarning)
        if d["method"] == "latin":
            x = latin.sample(problem, n, seed=seed)
        elif d["method"] == "sobol":
            x = sobol.sample(problem, n, calc_second_order=d["calc_second_order"], seed=seed)
        else:
            x = morris.sample(problem, n, num_levels=d["num_levels"], seed=seed)
    return [dict(zip(problem["names"], map(float, row))) for row in x]


_WARNED: set[str] = set()  # each caution once per process (the spec is planned repeatedly)


def _design_warning(spec: ExperimentSpec, text: str) -> None:
    message = f"{spec.source}: [design] {text}"
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, PlanWarning, stacklevel=4)


def _typed(row: dict[str, float]) -> dict[str, Any]:
    """Integer parameters take the nearest integer of a sampled value."""
    return {k: int(round(v)) if PARAMS[k].type is int else v for k, v in row.items()}


def run_seed(master: int, scenario: str, point: int, replicate: int, common: bool) -> int:
    identity = (replicate,) if common else (zlib.crc32(scenario.encode()), point, replicate)
    state = np.random.SeedSequence(master, spawn_key=identity).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1  # a non-negative 63-bit integer


def check_plan(spec: ExperimentSpec, points: list[dict[str, Any]]) -> None:
    """Refuse plans the model would refuse run by run, or that would silently drop a lever.

    Values from ``[base]``, ``[sweep]`` or ``[design]`` hold from week 0 and, being explicit,
    win over a named scenario's lever of the same name – which would silently switch that
    lever off for the scenario. Such a spec is refused; the value belongs in the scenario's
    ``set`` or ``interventions``.
    """
    from model.params import ParameterError, check_consistency, check_mid_run, defaults

    shared = set(spec.base) | set(points[0])
    for sc in spec.scenarios:
        clash = sorted(shared & set(SCENARIOS[sc.base]["levers"]) - set(sc.params))
        if clash:
            raise SpecError(
                f"{spec.source}: scenarios.{sc.name}: its scenario {sc.base!r} switches "
                f"{', '.join(clash)} on at reform_week, but [base]/[sweep]/[design] also set "
                f"{'it' if len(clash) == 1 else 'them'} from week 0, which would switch the "
                "scenario's lever off; give the value in this scenario's `interventions` "
                "(at its reform week) or `set` (from week 0) instead, or use a scenario without "
                "that lever"
            )
        own = sorted(set(sc.params) & set(SCENARIOS[sc.base]["levers"]))
        if own:
            warnings.warn(
                f"{spec.source}: scenarios.{sc.name}.set: {', '.join(own)} "
                f"{'holds' if len(own) == 1 else 'hold'} from week 0 (the burn-in included), "
                f"not from reform_week, where scenario {sc.base!r} would switch "
                f"{'it' if len(own) == 1 else 'them'} on: for another value at the reform week, "
                "give it in `interventions = [{ week = …, set = { … } }]`",
                PlanWarning,
                stacklevel=3,
            )
        for i, item in enumerate(sc.interventions):
            try:
                check_mid_run(item["set"], f"scenarios.{sc.name}.interventions[{i}]")
            except ParameterError as exc:
                raise SpecError(f"{spec.source}: {exc}") from None
        for values in points:
            try:
                check_consistency({**defaults(), **spec.base, **sc.params, **values})
            except ParameterError as exc:
                where = f" at point {values}" if values else ""
                named = [n for n in {**spec.base, **sc.params, **values}
                         if re.search(rf"\b{n}\b", str(exc))]  # fmt: skip
                origin = "; ".join(f"{n} from {_set_in(n, sc, values)}" for n in named)
                raise SpecError(
                    f"{spec.source}: scenarios.{sc.name}{where}: {exc}"
                    + (f" ({origin})" if origin else "")
                ) from None
    check_horizon(spec, points)
    check_network_files(spec, points)


def _set_in(name: str, sc, values: dict[str, Any]) -> str:
    """The part of the spec whose value of ``name`` a run uses (the last one wins)."""
    if name in values:
        return "[sweep]/[design]"
    return f"scenarios.{sc.name}.set" if name in sc.params else "[base]"


class PlanWarning(UserWarning):
    """A plan that runs but may not do what was meant (shown, not refused)."""


def check_horizon(spec: ExperimentSpec, points: list[dict[str, Any]]) -> None:
    """Levers that would switch on after the last week never act.

    Refused, unless the spec varies ``reform_week`` on purpose (a sweep or design over it):
    then the points past the horizon are reported as a warning and run as planned.
    """
    from .provenance import lever_schedule

    swept = "reform_week" in spec.sweep or (
        spec.design is not None and "reform_week" in spec.design["parameters"]
    )
    late = []
    for sc in spec.scenarios:
        for values in points:
            params = {**spec.base, **sc.params, **values}
            own = {i["week"] for i in sc.interventions}  # the rest come at reform_week
            for item in lever_schedule(sc.base, params, sc.interventions):
                if item["week"] >= spec.weeks:
                    late.append((sc.name, values, item["week"], item["week"] in own))
    if not late:
        return
    name, values, week, own = late[0]
    at = f" at point {values}" if values else ""
    text = (
        f"{spec.source}: scenarios.{name}{at}: levers switch on at week {week}, but runs last "
        f"{spec.weeks} weeks (0–{spec.weeks - 1}), so they would never act"
        + (f" ({len(late)} scenario/point combinations in all)" if len(late) > 1 else "")
    )
    if swept:
        warnings.warn(text, PlanWarning, stacklevel=3)
    else:
        fix = "that intervention's `week`" if own else "`reform_week`"
        raise SpecError(f"{text}; raise `weeks` or lower {fix}")


def check_network_files(spec: ExperimentSpec, points: list[dict[str, Any]]) -> None:
    """Open and check every network file the runs would read, before any run starts."""
    from model.network import NetworkFileError, load_network_file
    from model.params import defaults

    def where(name: str, sc, values: dict[str, Any]) -> str:
        """``_set_in`` as a message's path: ``sweep``, ``scenarios.NAME`` or ``base``."""
        found = _set_in(name, sc, values)
        short = {"[sweep]/[design]": "sweep", "[base]": "base"}
        return short.get(found, found.removesuffix(".set"))

    from model.network import ATTRIBUTE_PARAMS

    seen: dict[tuple, tuple[int, list[str]]] = {}
    for sc in spec.scenarios:
        for values in points:
            params = {**defaults(), **spec.base, **sc.params, **values}
            if not params["network_file"]:
                continue
            key = (params["network_file"], params["building_size"],
                   params["buildings_per_compound"])  # fmt: skip
            if key not in seen:
                try:
                    hood = load_network_file(params)
                    seen[key] = (hood.building.size, list(hood.attributes))
                except NetworkFileError as exc:
                    raise SpecError(
                        f"{spec.source}: {where('network_file', sc, values)}: {exc}"
                    ) from None
            n, attributes = seen[key]
            explicit = {**spec.base, **sc.params, **values}
            given = explicit.get("n_residents")
            if given is not None and given != n:
                raise SpecError(
                    f"{spec.source}: {where('n_residents', sc, values)}: n_residents = {given} "
                    f"but the network file {params['network_file']!r} "
                    f"({where('network_file', sc, values)}) sets the community: {n} "
                    "households; drop n_residents or the network file"
                )
            for attribute in attributes:
                for name in (x for x in ATTRIBUTE_PARAMS.get(attribute, ()) if x in explicit):
                    raise SpecError(
                        f"{spec.source}: {where(name, sc, values)}: {name} has no effect: the "
                        f"network file {params['network_file']!r} gives each household's "
                        f"{attribute}; drop {name} or the file's {attribute!r} attribute"
                    )


def plan_runs(spec: ExperimentSpec) -> list[Run]:
    """Every run of the experiment, in a stable order (scenario, point, replicate)."""
    points = design_points(spec)
    check_plan(spec, points)
    width = max(4, len(str(len(points) - 1)))
    rep_width = max(3, len(str(spec.replicates - 1)))
    runs = []
    for sc in spec.scenarios:
        for i, values in enumerate(points):
            params = {**spec.base, **sc.params, **values}
            for r in range(spec.replicates):
                runs.append(
                    Run(
                        run_id=f"{sc.name}__p{i:0{width}d}__r{r:0{rep_width}d}",
                        scenario=sc.name,
                        base_scenario=sc.base,
                        point=i,
                        replicate=r,
                        seed=run_seed(spec.seed, sc.name, i, r, spec.common_random_numbers),
                        params=params,
                        point_values=values,
                        interventions=tuple(sc.interventions),
                    )
                )
    return runs
