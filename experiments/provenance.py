"""What produced a result: resolved parameters, lever schedule, seed, version, git commit.

Every output says what produced it, in two forms: as columns where one row is one run (a
CSV travels without its metadata) and as Parquet key–value metadata under ``civicloop.*``
keys, so ``pyarrow.parquet.read_metadata(path).metadata`` answers without reading the data.
The lever schedule is computed here from the scenario, the explicit values and the
interventions, the same way the model builds it, so a sweep's ``--dry-run`` can show it
without building a model (a test holds the two together).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from model.params import PARAMS, defaults, validate
from model.scenarios import SCENARIOS

PACKAGES = (
    "civicloop", "mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "dask",
    "distributed", "SALib",
)  # fmt: skip
#: Prefix of every Parquet key–value metadata key civicloop writes.
KEY = "civicloop"


def package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def version() -> str:
    try:
        return metadata.version("civicloop")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def git_commit() -> str:
    """The checkout's commit (``-dirty`` with uncommitted changes), asked once per process."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=5,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (commit + ("-dirty" if dirty else "")) if commit else "unknown"


def code_identity() -> dict[str, str]:
    return {"civicloop_version": version(), "git_commit": git_commit()}


def lever_schedule(
    scenario: str, explicit: dict[str, Any], interventions: list | tuple = ()
) -> list[dict[str, Any]]:
    """``[{"week", "set"}]`` as the model applies it: scenario levers at ``reform_week``
    (minus those set explicitly, which win), then the interventions, sorted by week."""
    explicit = validate(explicit)
    week = explicit.get("reform_week", PARAMS["reform_week"].default)
    levers = {k: v for k, v in SCENARIOS[scenario]["levers"].items() if k not in explicit}
    schedule = [{"week": int(week), "set": validate(levers)}] if levers else []
    schedule += [{"week": int(i["week"]), "set": validate(i["set"])} for i in interventions]
    return sorted(schedule, key=lambda item: item["week"])


def levers_after(explicit: dict[str, Any], schedule: list[dict[str, Any]]) -> dict[str, Any]:
    """Levers that differ from the status quo once the whole schedule has switched on."""
    values = {**defaults(), **validate(explicit)}
    for item in schedule:
        values.update(item["set"])
    return {
        k: v for k, v in values.items() if PARAMS[k].group == "levers" and v != PARAMS[k].default
    }


def describe(
    scenario: str,
    seed: Any,
    explicit: dict[str, Any],
    interventions: list | tuple = (),
    weeks: int | None = None,
    code: dict[str, str] | None = None,
    schedule: list[dict[str, Any]] | None = None,
    residents: int | None = None,
) -> dict[str, Any]:
    """The provenance record of one run.

    ``explicit`` are the values set on top of the status quo (``--set``, a spec's base, set
    and point values); ``params`` in the record is every parameter at week 0 and
    ``lever_schedule`` what switches on later. ``code`` (version and commit) is asked of
    git when not given. A network file sets the community's size: ``params["n_residents"]``
    is then ``residents`` (the households built), or None when not known yet.
    """
    explicit = dict(sorted(validate(explicit).items()))
    if schedule is None:
        schedule = lever_schedule(scenario, explicit, interventions)
    params = {**defaults(), **explicit}
    if params.get("network_file"):
        params["n_residents"] = residents
    return {
        "scenario": scenario,
        "seed": seed,
        "weeks": weeks,
        "overrides": explicit,
        "lever_schedule": schedule,
        "levers": levers_after(explicit, schedule),
        "params": params,
        **(code or code_identity()),
    }


def from_model(model, seed: Any, weeks: int | None = None) -> dict[str, Any]:
    """The provenance record of a model as built (its Mesa scenario holds the explicit values)."""
    schedule = [{"week": int(w), "set": dict(v)} for w, v in model.schedule_of_levers]
    explicit = {k: v for k, v in model.scenario.explicit().items() if k in PARAMS}
    return describe(model.scenario_name, seed, explicit, weeks=weeks, schedule=schedule,
                    residents=model.n)  # fmt: skip


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def columns(record: dict[str, Any]) -> dict[str, Any]:
    """The record as flat columns (JSON text for the nested parts) for a one-run row."""
    return {
        "overrides": _json(record["overrides"]),
        "lever_schedule": _json(record["lever_schedule"]),
        "resolved_params": _json(record["params"]),
        "civicloop_version": record["civicloop_version"],
        "git_commit": record["git_commit"],
    }


def parquet_metadata(record: dict[str, Any]) -> dict[str, str]:
    """The record as Parquet key–value metadata: one ``civicloop.<field>`` key per field."""
    return {
        f"{KEY}.{k}": v if isinstance(v, str) else _json(v)
        for k, v in record.items()
        if v is not None
    }


def read(path: str | Path) -> dict[str, Any]:
    """The ``civicloop.*`` metadata of a Parquet file, JSON decoded."""
    import pyarrow.parquet as pq

    raw = pq.read_metadata(path).metadata or {}
    out = {}
    for key, value in raw.items():
        key = key.decode()
        if key.startswith(f"{KEY}."):
            text = value.decode()
            try:
                out[key[len(KEY) + 1 :]] = json.loads(text)
            except ValueError:
                out[key[len(KEY) + 1 :]] = text
    return out


def overrides_text(explicit: dict[str, Any]) -> str:
    """``feedback_prob=0.9, whistle=True`` or ``none`` for the console."""
    return ", ".join(f"{k}={v!r}" for k, v in explicit.items()) or "none"


def schedule_text(schedule: list[dict[str, Any]]) -> str:
    parts = [
        f"week {item['week']}: " + ", ".join(f"{k}={v!r}" for k, v in item["set"].items())
        for item in schedule
    ]
    return "; ".join(parts) or "none"


#: Columns of result files that are not weekly metrics, summary figures or parameters.
IDENTITY_COLUMNS = {
    "run_id": "the run's identity: <scenario>__p<point>__r<replicate>",
    "scenario": "the spec's scenario name (for `civicloop run`: the named scenario)",
    "base_scenario": "the named scenario (model.scenarios) the spec's scenario starts from",
    "point": "index of the design point (0-based); its values are the parameter columns",
    "point_label": "the design point's values, e.g. 'grid_capacity=20'",
    "replicate": "replicate number (0-based)",
    "seed": "the run's random seed (from the master seed and the run's identity)",
    "week": "week of the run (0-based; one step is one week)",
    "status": "ok, failed or not_run",
    "error": "why a failed run failed (exception type and message)",
    "seconds": "wall-clock seconds the run took",
    "overrides": "JSON: parameters set on top of the status quo from week 0",
    "lever_schedule": "JSON: [{week, set}] – levers that switch on later (the scenario's at "
    "reform_week, then interventions)",
    "resolved_params": "JSON: every parameter at week 0 (status quo + overrides; with a "
    "network file, n_residents is the households it built)",
    "civicloop_version": "civicloop's version that produced the row",
    "git_commit": "git commit of the code that produced the row (-dirty: uncommitted changes)",
}


def column_descriptions() -> dict[str, str]:
    """Definition of every column civicloop writes: identity, metrics, summary, parameters."""
    from model.metrics import METRICS, SUMMARY

    out = dict(IDENTITY_COLUMNS)
    out.update(METRICS)
    out.update(SUMMARY)
    out["end_window_weeks"] = "weeks averaged by the `_end` figures (the last 52, or fewer)"
    for name, p in PARAMS.items():
        unit = f" ({p.unit})" if p.unit else ""
        out.setdefault(name, f"parameter{unit}: {p.description}")
    return out


def columns_markdown() -> str:
    """The column definitions as Markdown tables (the generated block in EXPERIMENTS.md)."""
    from model.metrics import METRICS, SUMMARY

    def table(title: str, rows: dict[str, str]) -> list[str]:
        out = [f"**{title}**", "", "| column | definition |", "|---|---|"]
        out += [f"| `{k}` | {v.replace('|', '/')} |" for k, v in rows.items()]
        return [*out, ""]

    lines = table("Identity and provenance (run files, summary.parquet, exports)", IDENTITY_COLUMNS)
    lines += table("Weekly metrics (runs/*.parquet, `civicloop run --out`)", METRICS)
    lines += table("Run-level figures (summary.parquet)", {
        **SUMMARY,
        "end_window_weeks": "weeks averaged by the `_end` figures: the last 52, or every week "
        "of a shorter run",
    })  # fmt: skip
    lines += [
        "Every parameter that varies in a sweep (or is set in `[base]`) is also a column of "
        "summary.parquet, named as in the registry (docs/ODD.md lists them). Counts are "
        "integers; weekly rates and times are rounded to 6 decimals.",
        "",
    ]
    return "\n".join(lines)
