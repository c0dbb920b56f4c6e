"""From a spec to the list of runs: points of the design, scenarios, replicates and seeds.

Each run's seed comes from the master seed and the run's identity through numpy's
``SeedSequence``, so a run gets the same seed whatever the backend, the number of workers or
the order in which runs finish. With common random numbers (the default) the identity used
for seeding is the replicate alone: every scenario and point of replicate *r* sees the same
random stream, which makes paired comparisons sharp.
"""

from __future__ import annotations

import itertools
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


def salib_problem(design: dict[str, Any]) -> dict[str, Any]:
    names = list(design["parameters"])
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [design["parameters"][n] for n in names],
    }


def design_points(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """The parameter values of each point: a full factorial, a sampled design, or one point."""
    if spec.design is not None:
        return [_typed(row) for row in _sample(spec)]
    if spec.sweep:
        names = list(spec.sweep)
        return [dict(zip(names, combo)) for combo in itertools.product(*spec.sweep.values())]
    return [{}]


def _sample(spec: ExperimentSpec) -> list[dict[str, float]]:
    from SALib.sample import latin, morris, sobol

    d = spec.design
    problem = salib_problem(d)
    seed = int(np.random.SeedSequence(spec.seed).generate_state(1)[0])
    if d["method"] == "latin":
        x = latin.sample(problem, d["samples"], seed=seed)
    elif d["method"] == "sobol":
        x = sobol.sample(problem, d["samples"], calc_second_order=d["calc_second_order"], seed=seed)
    else:
        x = morris.sample(problem, d["samples"], num_levels=d["num_levels"], seed=seed)
    return [dict(zip(problem["names"], map(float, row))) for row in x]


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
    from model.model import check_consistency, check_mid_run
    from model.params import ParameterError, defaults

    shared = set(spec.base) | set(points[0])
    for sc in spec.scenarios:
        clash = sorted(shared & set(SCENARIOS[sc.base]["levers"]) - set(sc.params))
        if clash:
            raise SpecError(
                f"{spec.source}: scenarios.{sc.name}: its scenario {sc.base!r} switches "
                f"{', '.join(clash)} on at reform_week, but [base]/[sweep]/[design] also set "
                f"{'it' if len(clash) == 1 else 'them'} from week 0, which would switch the "
                "scenario's lever off; set the value in this scenario's `set` or "
                "`interventions` instead, or use a scenario without that lever"
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
                raise SpecError(f"{spec.source}: scenarios.{sc.name}{where}: {exc}") from None


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
