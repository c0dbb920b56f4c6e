"""The ``civicloop`` command: list parameters, run a scenario, benchmark, refresh the docs."""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

# only the registry here: Mesa, pandas, the dashboard and Dask are imported by the commands
# that need them, so that `--help`, `params` and spec checks start in a fraction of a second
from model.metrics import TAIL
from model.params import GROUPS, PARAMS, Param, ParameterError, parse_value
from model.scenarios import SCENARIOS

if TYPE_CHECKING:
    from model import CommunityModel


def _parse_sets(items: Sequence[str]) -> dict:
    values = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"--set expects name=value, got {item!r}")
        name, text = item.split("=", 1)
        values[name.strip()] = parse_value(name.strip(), text.strip())
    return values


def cmd_params(args: argparse.Namespace) -> int:
    """Print the parameter registry as a table."""
    if args.json:
        rows = [
            {
                "name": p.name, "type": p.type.__name__, "default": p.default, "low": p.low,
                "high": p.high, "choices": p.choices, "unit": p.unit, "group": p.group,
                "label_en": p.label_en, "label_zh": p.label_zh, "paper": p.paper,
                "description": p.description,
            }
            for p in PARAMS.values()
        ]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0

    def allowed(p: Param) -> str:
        text = p.allowed().replace("one of ", "").replace("a number in ", "")
        return text.replace("an integer in ", "")

    # columns as wide as their longest entry: the ranges and the 中文 labels line up
    width = max(len(allowed(p)) for p in PARAMS.values())
    unit_width = max(len(p.unit) + 1 for p in PARAMS.values())
    name_width = max(len(name) for name in PARAMS)
    for group, (en, zh) in GROUPS.items():
        print(f"\n{en} / {zh}")
        for p in PARAMS.values():
            if p.group != group:
                continue
            unit = f" {p.unit}" if p.unit else ""
            value = f"{p.default!r:>12}{unit:<{unit_width}s}"
            print(f"  {p.name:{name_width}s} {value} {allowed(p):{width}s} {p.label_zh}")
    print("\nScenarios: " + ", ".join(SCENARIOS))
    return 0


class LeverOverrideWarning(UserWarning):
    """A --set that does not do what it says: it replaces a lever of the named scenario (and
    then holds from week 0), or a network file overrides it."""


def _warn_scenario_levers(scenario: str, values: dict) -> None:
    """Say so when a --set replaces a lever the named scenario would switch on.

    The --set wins and holds from week 0 (docs/ODD.md, Scenarios), so the lever drops out of
    the scenario's schedule; `civicloop sweep` refuses the same in a spec.
    """
    levers = SCENARIOS.get(scenario, {}).get("levers", {})
    clash = sorted(set(values) & set(levers))
    if clash:
        one = len(clash) == 1
        warnings.warn(
            f"--set {', '.join(clash)}: scenario {scenario!r} would switch "
            f"{'it' if one else 'them'} on at reform_week; the --set "
            f"{'value holds' if one else 'values hold'} from week 0 instead, so "
            f"{'it is' if one else 'they are'} not in the lever schedule",
            LeverOverrideWarning,
            stacklevel=2,
        )


def _model_from_args(args: argparse.Namespace) -> CommunityModel:
    from model import CommunityModel

    values = _parse_sets(args.set)
    _warn_scenario_levers(args.scenario, values)
    model = CommunityModel(scenario=args.scenario, rng=args.seed, **values)
    if values.get("network_file") and "n_residents" in values and model.n != values["n_residents"]:
        warnings.warn(
            f"--set n_residents={values['n_residents']} is ignored: the network file "
            f"{values['network_file']!r} sets the community, {model.n} households",
            LeverOverrideWarning,
            stacklevel=2,
        )
    from model.network import ATTRIBUTE_PARAMS

    for attribute in model.neighbourhood.attributes:
        for name in (n for n in ATTRIBUTE_PARAMS.get(attribute, ()) if n in values):
            warnings.warn(
                f"--set {name}={values[name]} is ignored: the network file "
                f"{values['network_file']!r} gives each household's {attribute}",
                LeverOverrideWarning,
                stacklevel=2,
            )
    return model


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and print its summary; optionally save the weekly series."""
    from . import provenance, results

    if args.out:
        results.check_output_path(args.out, force=args.force)
    model = _model_from_args(args)
    record = provenance.from_model(model, args.seed, weeks=args.steps)
    horizon_warning(record["lever_schedule"], args.steps, strict=True)
    for _ in range(args.steps):
        model.step()
    s = results.run_summary(model)
    print(f"scenario {args.scenario}, seed {args.seed}, {model.n} households, {args.steps} weeks")
    print(f"overrides          {provenance.overrides_text(record['overrides'])}")
    print(f"lever schedule     {provenance.schedule_text(record['lever_schedule'])}")
    print(
        f"participation      {s['participation_start']:.3f} (week 0) -> "
        f"{s['participation_end']:.3f} ({_window_text(s)})"
    )
    print(
        f"completion rate    {s['completion_rate_end']:.3f}   satisfaction rate "
        f"{s['satisfaction_rate_end']:.3f}   resolution rate {s['resolution_rate_end']:.3f}"
    )
    print(
        f"response time      mean {s['response_time_mean_end']:.1f} weeks, "
        f"90th percentile {s['response_time_p90_end']:.1f} weeks"
    )
    print(
        f"retired share of participants {s['retired_share_of_participants_end']:.3f}; "
        f"budget spent {s['budget_spent_total']:.1f} (10k CNY)"
    )
    print(
        "re-reporting        odds ratio, first report fixed vs not (Mantel–Haenszel, 95 % CI) "
        f"{s['rereport_ratio']:.2f} [{s['rereport_ratio_lo']:.2f}, {s['rereport_ratio_hi']:.2f}]"
    )
    if args.out:
        frame = results.tidy_weekly(model.datacollector.get_model_vars_dataframe())
        frame = frame.reset_index(drop=True)
        frame.insert(0, "week", range(len(frame)))
        frame.insert(0, "seed", args.seed)
        frame.insert(0, "scenario", args.scenario)
        cols = provenance.columns(record)
        for name in ("overrides", "lever_schedule", "civicloop_version", "git_commit"):
            frame[name] = cols[name]
        path = results.write_frame(
            frame,
            args.out,
            metadata=provenance.parquet_metadata(record),
            descriptions=provenance.column_descriptions(),
        )
        print(f"weekly series written to {path}")
    return 0


def _window_text(summary: dict) -> str:
    weeks = int(summary.get("end_window_weeks", TAIL))
    return f"mean of the last {weeks} week{'s' if weeks != 1 else ''}"


def horizon_warning(schedule: list[dict], weeks: int, strict: bool) -> str | None:
    """A lever switching on at or after the last simulated week never acts: say so.

    ``strict`` (a single run) makes it an error; a sweep that varies the reform week on
    purpose gets a warning instead.
    """
    late = sorted({item["week"] for item in schedule if item["week"] >= weeks})
    if not late:
        return None
    text = (
        f"levers switch on at week {', '.join(map(str, late))}, but the run has only {weeks} "
        f"weeks (0–{weeks - 1}): they would never act"
    )
    if strict:
        raise ValueError(text + "; run more --steps or set reform_week lower")
    return text


def bench_dashboard(args: argparse.Namespace) -> int:
    """Step plus redraw of every figure, a replay to the horizon, and the first screen."""
    from experiments.dashboard.bench import measure

    print(json.dumps(measure(residents=args.residents, steps=args.steps or 156, seed=args.seed)))
    return 0


def bench_against(args: argparse.Namespace) -> int:
    """One JSON line per seed (the two references and civicloop, one after another), then
    the medians of the ratios."""
    from experiments import benchmark

    if args.dashboard or args.set:
        raise ValueError("--against times the default model: drop --dashboard and --set")
    seeds = _seed_list(args.seeds)
    try:
        summary = benchmark.against(
            Path(args.against),
            seeds,
            residents=args.residents or benchmark.RESIDENTS,
            weeks=args.steps or benchmark.WEEKS,
            report=lambda row: print(json.dumps(row), flush=True),
        )
    except benchmark.MeasurementFailed as exc:
        print(f"civicloop: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise ValueError(f"--seeds {text!r}: give seeds ≥ 0 separated by commas, e.g. 1,2,3")
    return seeds


def cmd_bench(args: argparse.Namespace) -> int:
    """Time the whole model and report peak memory as one JSON line: set-up (network and
    agents), the burn-in weeks, and the recorded weeks, whose rate is resident-steps/s."""
    if args.dashboard:
        return bench_dashboard(args)
    if args.against:
        return bench_against(args)
    from model import CommunityModel

    t0 = time.perf_counter()
    params = {"n_residents": args.residents or 100_000, **_parse_sets(args.set)}
    model = CommunityModel(rng=args.seed, **params)
    t1 = time.perf_counter()
    for _ in range(args.steps or 156):
        model.step()
    t2 = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row = {
        "residents": model.n,
        "steps": args.steps or 156,
        "seconds": round(t2 - t0, 4),
        "setup_seconds": round(t1 - t0 - model.burn_in_seconds, 4),
        "burn_in_weeks": model.params["burn_in_weeks"],
        "burn_in_seconds": round(model.burn_in_seconds, 4),
        "step_seconds": round(t2 - t1, 4),
        "resident_steps_per_s": round(model.n * (args.steps or 156) / max(t2 - t1, 1e-9)),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }
    print(json.dumps(row))
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Regenerate the generated tables in docs/ODD.md from the registry."""
    from model import docs

    path = Path(args.odd) if args.odd else Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
    if not path.is_file():
        raise ValueError(f"{path} not found: pass --odd PATH to the ODD document")
    changed = docs.update_odd(path)
    print(f"{path}: {'updated' if changed else 'already up to date'}")
    experiments_md = path.parent / "EXPERIMENTS.md"
    if experiments_md.is_file():
        from . import provenance

        old = experiments_md.read_text(encoding="utf-8")
        docs.write_block(experiments_md, "columns", provenance.columns_markdown())
        changed = experiments_md.read_text(encoding="utf-8") != old
        print(f"{experiments_md}: {'updated' if changed else 'already up to date'}")
    return 0


@contextmanager
def _stop_on_termination():
    """A polite stop (``kill``, a batch scheduler's SIGTERM, a closed terminal's SIGHUP) ends
    a sweep as Ctrl-C does: queued runs are dropped, the workers stop, what finished is
    summarised. Without this the coordinator died at once and left its workers behind."""

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    names = ("SIGTERM", "SIGHUP")
    sigs = [getattr(signal, n) for n in names if hasattr(signal, n)]
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, on_signal) for s in sigs} if main_thread else {}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) every run of an experiment spec; results stream to --out."""
    from .executors import BackendError
    from .plan import plan_runs
    from .spec import load_spec, read_spec_text

    spec = load_spec(args.spec)
    if args.dry_run:
        for run in plan_runs(spec):
            print(json.dumps(run.resolved(), ensure_ascii=False, default=str))
        return 0
    from .sweep import SweepError, run_sweep

    if not args.out:
        raise ValueError("--out DIR is required (except with --dry-run)")
    if args.scheduler and args.backend != "dask":
        raise ValueError("--scheduler needs --backend dask")
    if args.workers is not None and args.backend == "serial":
        raise ValueError("--workers sets the processes or dask backend's workers; "
                         "--backend serial runs one run at a time")  # fmt: skip
    try:
        with _stop_on_termination():
            counts = run_sweep(
                spec,
                args.out,
                backend=args.backend,
                workers=args.workers or 2,
                scheduler=args.scheduler,
                quiet=args.quiet,
                spec_text=read_spec_text(Path(args.spec)),
            )
    except (SweepError, BackendError) as exc:
        print(f"civicloop: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(
            f"{counts['planned']} runs planned, {counts['ran']} run now, "
            f"{counts['failed']} failed; results in {args.out}"
        )
    if counts["failed"]:
        print(
            f"civicloop: {counts['failed']} runs failed; their errors are in "
            f"{args.out}/summary.parquet (column 'error'); re-run the command to retry them",
            file=sys.stderr,
        )
        reasons = counts.get("reasons", [])
        for reason, n in reasons[:5]:
            print(f"  {n} × {reason}", file=sys.stderr)
        if len(reasons) > 5:
            print(f"  … and {len(reasons) - 5} other reasons", file=sys.stderr)
        return 3
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Means with 95 % CIs, figures, sensitivity and scenario discovery for a sweep folder."""
    from .analyze import analyze

    report = analyze(args.dir, outcome=args.outcome, progress=not args.quiet)
    if not args.quiet:
        print(f"report written to {report}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Start the Solara dashboard (loopback only unless --host says otherwise)."""
    from experiments.dashboard.serve import serve
    from model import PARAMS

    smallest = int(PARAMS["n_residents"].low)
    if args.max_residents is not None and args.max_residents < smallest:
        raise ValueError(
            f"--max-residents {args.max_residents}: a community has at least {smallest} "
            "households, so the cap must be at least that"
        )
    query = ""
    if args.open:  # checked before the server starts: a bad file is one line, not a page
        import dataclasses
        from pathlib import Path

        from experiments.dashboard import runs as rn
        from experiments.spec import read_spec_text

        path = Path(args.open)
        if not path.is_file():
            raise ValueError(f"{path}: scenario file not found")
        limits = rn.Limits.from_env()
        if args.max_residents is not None:
            limits = dataclasses.replace(limits, max_residents=args.max_residents)
        chosen, settings = rn.scenario_from_spec(read_spec_text(path), str(path),
                                                 args.scenario, limits)  # fmt: skip
        print(f"dashboard: opening scenario {chosen!r} of {path}", file=sys.stderr)
        query = rn.to_query(settings)  # no language: the page opens in its default
    elif args.scenario:
        raise ValueError("--scenario picks a scenario of the file given with --open")
    return serve(args.host, args.port, query=query, max_residents=args.max_residents,
                 max_replicates=args.max_replicates, max_jobs=args.max_jobs)  # fmt: skip


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate the uncertain behavioural parameters to published figures (ABC-SMC)."""
    from .calibrate import QUICK, calibrate, main_summary, write_validation

    settings = dict(QUICK) if args.quick else {}
    for key in ("population", "generations", "residents", "draws"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    result = calibrate(args.out, seed=args.seed, backend=args.backend, workers=args.workers,
                       scheduler=args.scheduler, **settings)  # fmt: skip
    print(main_summary(result))
    print(f"written to {args.out}/: calibration.json, posterior.parquet, checks.parquet, "
          "pairs.png, abc.db")  # fmt: skip
    if args.write:
        write_validation(result, args.write)
        print(f"{args.write} updated (copy calibration.json and posterior.parquet to "
              "experiments/calibration/ and set the registry's defaults to the posterior "
              "medians)")  # fmt: skip
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    """Multi-objective policy search over the levers within a budget (resumable)."""
    from .optimize import load_optimize_spec, optimize, quick_spec

    spec = load_optimize_spec(args.spec)
    if args.quick:
        spec = quick_spec(spec)
    summary = optimize(spec, args.out, backend=args.backend, workers=args.workers,
                       scheduler=args.scheduler)  # fmt: skip
    print(json.dumps(summary))
    print(f"written to {args.out}/: pareto.parquet, policies/, tradeoff.png, report.md")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Run every standard experiment and write a report of the paper's claims."""
    from .reproduce import reproduce

    report = reproduce(args.out, quick=args.quick, workers=args.workers,
                       progress=not args.quiet)  # fmt: skip
    print(f"report written to {report}")
    return 0


def _integer(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected {what}")
    return value


def _positive(text: str) -> int:
    return _integer(text, 1, "an integer ≥ 1")


def _non_negative(text: str) -> int:
    return _integer(text, 0, "an integer ≥ 0")


#: Largest seed, as in a sweep spec (results files store seeds as 64-bit integers).
MAX_SEED = 2**63 - 1


def _seed(text: str) -> int:
    value = _integer(text, 0, f"a seed in [0, {MAX_SEED}]")
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected a seed in "
                                         f"[0, {MAX_SEED}] (2**63 - 1)")  # fmt: skip
    return value


def _port(text: str) -> int:
    value = _integer(text, 1, "a port in [1, 65535]")
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected a port in [1, 65535]")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicloop",
        description="Resident participation under Party-building-led community governance.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("params", help="list every parameter (the registry)")
    p.add_argument("--json", action="store_true", help="print the registry as JSON")
    p.set_defaults(func=cmd_params)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="set a parameter from the start, burn-in included (repeatable); "
                            "see `civicloop params`")  # fmt: skip
        p.add_argument("--steps", type=_positive, default=156, help="weeks to simulate (156)")
        p.add_argument("--seed", type=_seed, default=0, help="random seed in [0, 2**63 - 1] (0)")

    p = sub.add_parser("run", help="run one scenario and print its summary")
    p.add_argument("--scenario", default="baseline", help="named scenario (baseline)")
    common(p)
    p.add_argument("--out", help="save the weekly series to FILE.parquet or FILE.csv")
    p.add_argument("--force", action="store_true", help="replace --out if it already exists")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="time the model; prints one JSON line")
    p.add_argument(
        "--residents",
        type=_positive,
        help="residents (100000; with --dashboard the page's default community)",
    )
    p.add_argument("--dashboard", action="store_true",
                   help="time one step plus the dashboard's redraw instead")  # fmt: skip
    p.add_argument("--against", metavar="DIR",
                   help="also run the two reference models in DIR (plain Mesa, bare numpy) "
                   "before civicloop for each seed and print the ratios and their "
                   "medians (civicloop: 100000 residents, 30 weeks, unless given)")  # fmt: skip
    p.add_argument("--seeds", default="1,2,3", help="seeds for --against (1,2,3)")
    common(p)
    p.set_defaults(func=cmd_bench, steps=None)  # 156 weeks alone, 30 with --against

    p = sub.add_parser("sweep", help="run an experiment spec (TOML); resumable")
    p.add_argument("spec", help="experiment spec, e.g. experiments/specs/example_small.toml")
    p.add_argument("--out", help="output folder (created; re-use it to resume)")
    p.add_argument("--backend", choices=("serial", "processes", "dask"), default="processes",
                   help="where runs execute (processes)")  # fmt: skip
    p.add_argument("--workers", type=_positive,
                   help="worker processes of the processes or dask backend (2)")  # fmt: skip
    p.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    p.add_argument("--dry-run", action="store_true", help="print the planned runs as JSON lines")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("analyze", help="analyse a sweep folder: CIs, figures, sensitivity")
    p.add_argument("dir", help="the --out folder of `civicloop sweep`")
    p.add_argument("--outcome", default="participation_end",
                   help="run-level outcome to analyse (participation_end)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("dashboard", help="start the dashboard for policy staff (Solara)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port (8765)")
    p.add_argument("--max-residents", type=_positive, help="largest community per page (20000)")
    p.add_argument("--max-replicates", type=_positive, help="most replicates per comparison (30)")
    p.add_argument("--max-jobs", type=_positive,
                   help="comparisons and replays at once, all users together (2)")  # fmt: skip
    p.add_argument("--open", metavar="FILE",
                   help="a scenario file to open: a spec saved from the page, or a policy of "
                   "`civicloop optimize` (DIR/policies/*.toml); prints its link")  # fmt: skip
    p.add_argument("--scenario", help="which scenario of --open's file (default: the first "
                   "that is not the plain status quo)")  # fmt: skip
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("calibrate", help="fit behavioural parameters to published figures "
                       "(ABC-SMC; resumes from OUT/abc.db)")  # fmt: skip
    p.add_argument("--out", required=True, help="folder for calibration.json, the posterior…")
    p.add_argument("--quick", action="store_true", help="a small run for tests (minutes)")
    p.add_argument("--population", type=_positive, help="particles per population (200)")
    p.add_argument("--generations", type=_positive, help="ABC-SMC populations (8)")
    p.add_argument("--residents", type=_positive, help="community size (2000)")
    p.add_argument("--draws", type=_positive, help="posterior draws for the checks (50)")
    p.add_argument("--seed", type=_seed, default=20261127, help="master seed")
    p.add_argument("--backend", choices=("serial", "processes", "dask"), default="processes")
    p.add_argument("--workers", type=_positive, default=2, help="worker processes (2)")
    p.add_argument("--scheduler", help="Dask scheduler address (with --backend dask)")
    p.add_argument("--write", help="rewrite the generated blocks of docs/VALIDATION.md")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("optimize", help="best mixes of levers for a budget (NSGA-II; resumable)")
    p.add_argument("spec", help="optimisation spec (TOML), e.g. experiments/specs/"
                   "optimize_budget.toml")  # fmt: skip
    p.add_argument("--out", required=True, help="folder for pareto.parquet, policies/, report")
    p.add_argument("--quick", action="store_true", help="a small search for tests (minutes)")
    p.add_argument("--backend", choices=("serial", "processes", "dask"), default="processes")
    p.add_argument("--workers", type=_positive, default=2, help="worker processes (2)")
    p.add_argument("--scheduler", help="Dask scheduler address (with --backend dask)")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("reproduce", help="run the standard experiments; report the claims")
    p.add_argument("--quick", action="store_true", help="smaller and fewer runs (minutes)")
    p.add_argument("--out", default="reports", help="output folder (reports/)")
    p.add_argument("--workers", type=_positive, default=2, help="worker processes (2)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("docs", help="regenerate the generated tables in docs/ODD.md")
    p.add_argument("--odd", help="path to ODD.md (default: the repository's docs/ODD.md)")
    p.set_defaults(func=cmd_docs)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """civicloop's own warnings as one plain line; others as Python shows them."""
    if category.__module__.startswith("experiments"):
        print(f"civicloop: warning: {message}", file=file or sys.stderr)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    from .executors import BackendError

    try:
        return args.func(args)
    except ValueError as exc:  # ParameterError, NetworkFileError, SpecError among them
        print(f"civicloop: error: {exc}", file=sys.stderr)
        return 2
    except BackendError as exc:  # e.g. an unreachable Dask scheduler
        print(f"civicloop: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `civicloop sweep --dry-run | head`
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(f"civicloop: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if args.command == "sweep":
            kept = f" ({exc.args[0]})" if exc.args else ""
            print(f"civicloop: interrupted; finished runs are kept and summarised{kept} – run "
                  "the same command again to resume", file=sys.stderr)  # fmt: skip
        elif args.command in ("calibrate", "optimize"):
            print("civicloop: interrupted; what was finished is kept in --out – run the "
                  "same command again to resume", file=sys.stderr)  # fmt: skip
        else:
            print("civicloop: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
