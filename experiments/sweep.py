"""Run a sweep: plan, skip what is done, execute on a backend, stream results to disk.

Layout of an output folder::

    DIR/manifest.json         the spec, its fingerprint, package versions, git commit, times
    DIR/spec.toml             the spec file as given
    DIR/runs/<run_id>.parquet weekly series of one run (written atomically)
    DIR/status/<run_id>.json  the run's summary row or its error (written last: "done")
    DIR/summary.parquet       one row per run: identity, parameters, seed, summary figures

A run counts as done when its JSON says ``ok`` and its Parquet file exists, so a sweep killed
at any moment resumes where it stopped without losing or repeating a run. Failed runs are
recorded with their error and tried again on the next invocation.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from model import PARAMS

from . import executors, provenance, results
from .plan import Run, plan_runs, point_label
from .provenance import git_commit, package_versions
from .spec import ExperimentSpec

__all__ = ["SweepError", "git_commit", "package_versions", "run_sweep", "write_summary"]


class SweepError(RuntimeError):
    """A sweep that must not start (for example a different spec in the same folder)."""


def execute(task: dict[str, Any]) -> dict[str, Any]:
    """Worker side: run one model, write its weekly series and its summary row."""
    run = task["run"]
    runs_dir = Path(task["out"]) / "runs"
    start = time.perf_counter()
    row: dict[str, Any] = {"run_id": run["run_id"], "status": "ok", "error": ""}
    try:
        from model.model import CommunityModel  # not needed to plan or check a sweep

        model = CommunityModel(
            scenario=run["base_scenario"],
            interventions=run["interventions"],
            rng=run["seed"],
            **run["params"],
        )
        record = provenance.from_model(model, run["seed"], weeks=task["weeks"])
        record.update(task.get("code") or {})  # the coordinator's version and commit
        for _ in range(task["weeks"]):
            model.step()
        frame = model.datacollector.get_model_vars_dataframe()[task["metrics"]]
        frame = results.tidy_weekly(frame).reset_index(drop=True)
        frame.insert(0, "week", range(len(frame)))
        frame.insert(0, "run_id", run["run_id"])
        results.write_frame(
            frame,
            runs_dir / f"{run['run_id']}.parquet",
            metadata=provenance.parquet_metadata({"run_id": run["run_id"], **record}),
            descriptions=provenance.column_descriptions(),
        )
        row.update(results.run_summary(model))
        row.update(civicloop_version=record["civicloop_version"], git_commit=record["git_commit"])
    except Exception as exc:  # recorded, never fatal to the sweep
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        row["traceback"] = traceback.format_exc(limit=5)
    row["seconds"] = round(time.perf_counter() - start, 4)
    results.write_json(row, Path(task["out"]) / "status" / f"{run['run_id']}.json")
    return {"run_id": run["run_id"], "status": row["status"], "error": row["error"],
            "seconds": row["seconds"]}  # fmt: skip


def is_done(out: Path, run_id: str) -> bool:
    marker = out / "status" / f"{run_id}.json"
    if not marker.is_file() or not (out / "runs" / f"{run_id}.parquet").is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("status") == "ok"
    except (OSError, ValueError):
        return False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Progress:
    """A progress bar on a terminal, plain lines otherwise, nothing when quiet.

    The ETA learns from the runs finished so far: their mean duration (as the workers
    measured it) times the runs left, divided by the runs in parallel. Starting the workers
    and importing the model therefore do not inflate it, as a rate since the start would.
    """

    def __init__(self, total: int, done: int, quiet: bool, stream=None, parallel: int = 1):
        self.total, self.done, self.failed = total, done, 0
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.parallel = max(1, parallel)
        self.durations: list[float] = []
        self.last_line = 0.0
        self.bar = None
        if not quiet and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="run", file=self.stream)
        elif not quiet:
            start = f"{done}/{total} runs already done" if done else f"{total} runs to do"
            print(f"sweep: {start}", file=self.stream, flush=True)

    def eta(self) -> float:
        """Seconds left, from the mean duration of the runs finished so far (NaN before)."""
        if not self.durations:
            return float("nan")
        mean = sum(self.durations) / len(self.durations)
        return (self.total - self.done) * mean / min(self.parallel, max(self.total - self.done, 1))

    def update(self, failed: bool, seconds: float | None = None) -> None:
        self.done += 1
        self.failed += failed
        if seconds is not None:
            self.durations.append(float(seconds))
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(failed=self.failed, eta=f"{self.eta():.0f}s")
            return
        now = time.monotonic()
        first = len(self.durations) == 1
        if self.quiet or (now - self.last_line < 10 and self.done < self.total and not first):
            return
        self.last_line = now
        print(
            f"sweep: {self.done}/{self.total} runs, {self.failed} failed, ETA {self.eta():.0f} s",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def prepare(spec: ExperimentSpec, out: Path) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """Create or reopen an output folder; refuse one that holds another spec's results.

    Returns the folder's manifest (empty for a new folder) and, when the spec only asks for
    more replicates than the folder holds, (replicates there, replicates now)."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out} is a file, not a folder; choose a folder for the results")
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError:
            raise SweepError(f"{manifest_path} is unreadable; use a new --out folder") from None
        changes = spec_differences(old.get("spec", {}), _as_json(spec.raw))
        # more replicates and nothing else: the runs there are this spec's first replicates
        more = _more_replicates(old.get("spec", {}), spec)
        if not more and (old.get("fingerprint") != spec.fingerprint or changes):
            shown = "\n".join(f"  {c}" for c in changes[:20])
            more = f"\n  … and {len(changes) - 20} more" if len(changes) > 20 else ""
            raise SweepError(
                f"{out} holds results of a different spec ({old.get('name')!r}); it differs "
                f"from this one ({spec.name!r}) in:\n{shown}{more}\nUse a new --out folder, "
                "or delete the old one to start over."
            )
        kept = old.get("network_files", {})  # folders from before this record: unchecked
        now = network_file_hashes(spec)
        changed = sorted(path for path, digest in kept.items() if now.get(path) != digest)
        if changed:
            raise SweepError(
                f"{out} holds runs on other contents of the network file(s) "
                f"{', '.join(map(repr, changed))}: the file changed since those runs (or a "
                "relative path now names another file); restore it, or use a new --out folder"
            )
        return old, more
    if out.exists() and any(not _unstarted(entry) for entry in out.iterdir()):
        raise SweepError(f"{out} is not empty and holds no sweep manifest; choose another folder")
    return {}, None


def _unstarted(entry: Path) -> bool:
    """What a sweep stopped before its manifest was written can have left: a temporary file
    or an empty ``runs``/``status`` folder (older versions made them first)."""
    if entry.is_dir():
        return entry.name in ("runs", "status") and all(_unstarted(e) for e in entry.iterdir())
    return entry.name.startswith(".") and entry.name.endswith(".tmp")


def _more_replicates(old_raw: Any, spec: ExperimentSpec) -> tuple[int, int] | None:
    """(before, now) if the spec differs from the folder's only by more replicates.

    A run's identity and seed come from the master seed, its scenario, point and replicate
    number, never from how many replicates there are, so the runs on disk are exactly the
    first replicates of the larger spec and the sweep can go on with the rest."""
    if not isinstance(old_raw, dict):
        return None
    before = old_raw.get("replicates", 1)
    if not isinstance(before, int) or not before < spec.replicates:
        return None
    if spec_differences({**old_raw, "replicates": spec.replicates}, _as_json(spec.raw)):
        return None
    return before, spec.replicates


def network_file_hashes(spec: ExperimentSpec) -> dict[str, str]:
    """Content hash of every network file the spec names, by the path as written: the
    fingerprint holds only the path, and a resumed sweep must not mix two networks."""
    import hashlib

    paths = {d.get("network_file") for d in (spec.base, *(s.params for s in spec.scenarios))}
    paths.update(spec.sweep.get("network_file", []))
    return {
        str(path): hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
        for path in sorted(p for p in paths if p)
        if Path(path).is_file()
    }


def _as_json(value: Any) -> Any:
    """The spec as it reads back from manifest.json (TOML dates become strings)."""
    return json.loads(json.dumps(value, default=str))


def spec_differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Every key where two specs differ, as ``key: old → new`` lines (name included)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            where = f"{path}.{key}" if path else key
            if key not in new:
                out.append(f"{where}: {old[key]!r} → (absent)")
            elif key not in old:
                out.append(f"{where}: (absent) → {new[key]!r}")
            else:
                out += spec_differences(old[key], new[key], where)
        return out
    return [] if old == new else [f"{path or 'spec'}: {old!r} → {new!r}"]


def run_sweep(
    spec: ExperimentSpec,
    out: str | Path,
    backend: str = "processes",
    workers: int = 2,
    scheduler: str | None = None,
    quiet: bool = False,
    spec_text: str | None = None,
) -> dict[str, int]:
    """Execute every run of ``spec`` not yet done in ``out``; return counts."""
    out = Path(out)
    executor = executors.get(backend)
    runs = plan_runs(spec)  # checks the plan (network files included) before writing anything
    if backend == "dask" and scheduler:
        executors.check_scheduler(scheduler)  # likewise the cluster
    previous, more = prepare(spec, out)
    if more and not quiet:
        print(f"sweep: {out} holds replicates 1–{more[0]}; adding {more[0] + 1}–{more[1]}",
              file=sys.stderr)  # fmt: skip
    todo = [r for r in runs if not is_done(out, r.run_id)]
    versions, commit = package_versions(), git_commit()  # git and metadata: ask once
    manifest = {
        "name": spec.name,
        "fingerprint": spec.fingerprint,
        "spec": spec.raw,
        "network_files": network_file_hashes(spec),
        "planned_runs": len(runs),
        "versions": versions,
        "git_commit": commit,
        "started": previous.get("started", _now()),
        "sessions": [*previous.get("sessions", []), {
            "started": _now(), "backend": backend, "workers": workers, "todo": len(todo),
            "versions": versions, "git_commit": commit}],
        "finished": None,
    }  # fmt: skip
    if (
        previous.get("git_commit") not in (None, manifest["git_commit"])
        or previous.get("versions", manifest["versions"]) != manifest["versions"]
    ):
        print(
            f"sweep: warning: resuming {out} with other code than its first session "
            f"({previous.get('git_commit')} → {manifest['git_commit']}); each session's "
            "versions are in manifest.json",
            file=sys.stderr,
        )
        manifest["git_commit"], manifest["versions"] = previous["git_commit"], previous["versions"]
    # the manifest first: a folder stopped at any later moment is a sweep that resumes
    out.mkdir(parents=True, exist_ok=True)
    results.write_json(manifest, out / "manifest.json")
    for folder in (out, out / "runs", out / "status"):
        folder.mkdir(exist_ok=True)
        for stale in folder.glob(".*.tmp"):  # left by a killed writer
            stale.unlink(missing_ok=True)
    if spec_text is not None and (more or not (out / "spec.toml").exists()):
        results.write_text(spec_text, out / "spec.toml")
    code = {"civicloop_version": versions["civicloop"], "git_commit": commit}
    tasks = (
        {"run": r.as_dict(), "weeks": spec.weeks, "metrics": spec.metrics, "out": str(out),
         "code": code}
        for r in todo
    )  # fmt: skip
    t_start = time.monotonic()
    parallel = 1 if backend == "serial" else workers
    progress = Progress(len(runs), len(runs) - len(todo), quiet, parallel=parallel)
    failed = 0
    reasons: Counter = Counter()
    interrupted = False
    try:
        for result in executor(execute, tasks, workers=workers, scheduler=scheduler):
            bad = result["status"] != "ok"
            failed += bad
            if bad:
                reasons[result["error"]] += 1
            progress.update(bad, result.get("seconds"))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.close()
        drop_unfinished(out, runs)
        # even when interrupted: what is done is summarised, and the next call resumes
        summary = write_summary(
            runs, out / "status", out / "summary.parquet", spec=spec, manifest=manifest
        )
    if interrupted:
        results.write_json(manifest, out / "manifest.json")
        ok = int((summary["status"] == "ok").sum())
        raise KeyboardInterrupt(f"{ok} of {len(runs)} runs finished and kept")
    manifest["finished"] = _now()
    manifest["sessions"][-1]["finished"] = manifest["finished"]
    manifest["sessions"][-1]["failed"] = failed
    # the coordinator's own peak memory (workers are separate processes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    manifest["sessions"][-1]["coordinator_peak_rss_mb"] = round(peak, 1)
    manifest["sessions"][-1]["seconds"] = round(time.monotonic() - t_start, 2)
    results.write_json(manifest, out / "manifest.json")
    return {"planned": len(runs), "ran": len(todo), "failed": failed,
            "reasons": reasons.most_common()}  # fmt: skip


def drop_unfinished(out: Path, runs: list[Run]) -> None:
    """Remove the weekly series of runs without an "ok" status: a worker stopped between
    writing a run's series and its status (a second Ctrl-C) left a complete file of a run
    the summary lists as not run, which ``DIR/runs`` read as a dataset would include."""
    for r in runs:
        path = out / "runs" / f"{r.run_id}.parquet"
        if path.is_file() and not is_done(out, r.run_id):
            path.unlink(missing_ok=True)


def write_summary(
    runs: list[Run],
    status_dir: Path,
    path: Path,
    spec: ExperimentSpec | None = None,
    manifest: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per planned run: identity, parameters, seed, provenance, summary (or error).

    The Parquet file's metadata holds the spec, the code that ran it and each run's
    overrides and lever schedule (``civicloop.*`` keys).
    """
    varying = sorted({k for r in runs for k in r.params})
    weeks = spec.weeks if spec is not None else None
    rows, overrides, schedules = [], {}, {}
    for r in runs:
        marker = status_dir / f"{r.run_id}.json"
        if marker.is_file():
            data = json.loads(marker.read_text(encoding="utf-8"))
            data.pop("traceback", None)
            data.pop("run_id", None)
        else:
            data = {"status": "not_run", "error": ""}
        residents = data.get("residents")  # a network file's size is known once it ran
        record = provenance.describe(
            r.base_scenario, r.seed, r.params, r.interventions, weeks=weeks,
            code={"civicloop_version": "", "git_commit": ""},
            residents=int(residents) if residents else None,
        )  # fmt: skip
        overrides[r.run_id], schedules[r.run_id] = record["overrides"], record["lever_schedule"]
        row: dict[str, Any] = {
            "run_id": r.run_id,
            "scenario": r.scenario,
            "base_scenario": r.base_scenario,
            "point": r.point,
            "point_label": point_label(r.point_values),
            "replicate": r.replicate,
            "seed": r.seed,
        }
        for name in varying:
            row[name] = r.params.get(name, PARAMS[name].default)
        row.update(provenance.columns(record))
        row.update(data)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in results.INTEGER_SUMMARY:  # counts stay integers (nullable: failed runs)
        if name in frame:
            frame[name] = frame[name].round().astype("Int64")
    meta = {"overrides": overrides, "lever_schedules": schedules}
    if spec is not None:
        meta.update(spec_name=spec.name, fingerprint=spec.fingerprint, spec=spec.raw)
    if manifest is not None:
        meta.update(versions=manifest.get("versions"), git_commit=manifest.get("git_commit"))
    results.write_frame(
        frame,
        path,
        metadata=provenance.parquet_metadata(meta),
        descriptions=provenance.column_descriptions(),
    )
    return frame
