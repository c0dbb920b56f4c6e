"""Analysis of a finished (or partly finished) sweep folder: ``civicloop analyze DIR``.

Writes into ``DIR/analysis/``: tables of means with 95 % confidence intervals across
replicates (per scenario and point), scenario effects against a reference scenario (paired
by point and replicate), figures of weekly series with bands and of scenario effects (PNG and
SVG), global sensitivity indices (SALib: Morris or Sobol) when the design is one, scenario
discovery with PRIM (EMA Workbench, the optional extra ``prim``: ``pip install -e '.[prim]'``)
for sampled designs, and ``report.md`` tying it together.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from model.metrics import METRICS, SUMMARY

from .plan import design_points, point_label, salib_problem
from .spec import load_spec

#: Run-level outcomes summarised in the tables (from ``model.summary()``).
OUTCOMES = (
    "participation_end",
    "mean_efficacy_end",
    "satisfaction_rate_end",
    "completion_rate_end",
    "resolution_rate_end",
    "response_time_mean_end",
    "retired_share_of_participants_end",
    "budget_spent_total",
)
#: Weekly series drawn with confidence bands, when the sweep kept them.
SERIES = ("participation_rate", "mean_efficacy", "satisfaction_rate", "completion_rate")
#: Okabe–Ito colours: distinguishable with the common forms of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def mean_ci(values: pd.Series | np.ndarray) -> tuple[float, float, float, int]:
    """Mean and t-based 95 % confidence interval across replicates."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(x.mean())
    if n == 1:
        return m, float("nan"), float("nan"), 1
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half, n


#: Outcomes that are shares: their intervals are cut at 0 and 1 (a t-interval of a few
#: replicates near a bound reaches past it).
SHARES = frozenset(OUTCOMES) - {"response_time_mean_end", "budget_spent_total"}


def summarise(frame: pd.DataFrame, by: list[str], outcomes=OUTCOMES) -> pd.DataFrame:
    rows = []
    for key, group in frame.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        for o in outcomes:
            if o in group:
                m, lo, hi, n = mean_ci(group[o])
                if o in SHARES:
                    lo, hi = max(lo, 0.0), min(hi, 1.0)  # NaN (one run) stays NaN
                row.update({o: m, f"{o}_lo": lo, f"{o}_hi": hi})
                row["n"] = n
        rows.append(row)
    return pd.DataFrame(rows)


def scenario_effects(frame: pd.DataFrame, reference: str, outcome: str) -> pd.DataFrame:
    """Each scenario minus the reference, paired by point and replicate."""
    ref = frame[frame.scenario == reference].set_index(["point", "replicate"])[outcome]
    rows = []
    for name, group in frame.groupby("scenario", sort=False):
        if name == reference:
            continue
        diff = group.set_index(["point", "replicate"])[outcome] - ref
        m, lo, hi, n = mean_ci(diff.dropna())
        rows.append({"scenario": name, "effect": m, "lo": lo, "hi": hi, "n": n})
    return pd.DataFrame(rows)


def _save(fig, folder: Path, stem: str) -> list[str]:
    names = []
    for ext in ("png", "svg"):
        path = folder / f"{stem}.{ext}"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        names.append(path.name)
    return names


#: Up to this many design points get a panel each in the weekly figures; more are pooled.
MAX_PANELS = 12


def weekly_bands(
    out: Path, summary: pd.DataFrame, metrics: list[str], by_point: bool = False
) -> pd.DataFrame:
    """Mean and 95 % band per scenario (and point) and week, from the per-run Parquet files."""
    import pyarrow.dataset as ds

    files = [out / "runs" / f"{r}.parquet" for r in summary.run_id]
    files = [str(f) for f in files if f.is_file()]
    if not files:
        return pd.DataFrame()
    keys = ["scenario", "point"] if by_point else ["scenario"]
    table = ds.dataset(files, format="parquet").to_table(columns=["run_id", "week", *metrics])
    weekly = table.to_pandas().merge(summary[["run_id", *keys]], on="run_id")
    grouped = weekly.groupby([*keys, "week"], sort=False)[metrics]
    mean, sem, count = grouped.mean(), grouped.sem(), grouped.count()
    tcrit = stats.t.ppf(0.975, np.maximum(count - 1, 1))
    lo = (mean - tcrit * sem).add_suffix("_lo")
    hi = (mean + tcrit * sem).add_suffix("_hi")
    band = pd.concat([mean, lo, hi], axis=1)
    return band.reset_index()


def reform_weeks(summary: pd.DataFrame) -> dict[tuple[str, int], list[int]]:
    """Weeks at which levers switch on, per (scenario, point), from the lever schedules."""
    if "lever_schedule" not in summary:
        return {}
    out = {}
    for (scenario, point), g in summary.groupby(["scenario", "point"], sort=False):
        schedule = json.loads(g["lever_schedule"].iloc[0] or "[]")
        out[(scenario, int(point))] = sorted({int(item["week"]) for item in schedule})
    return out


def plot_series(
    band: pd.DataFrame,
    metrics: list[str],
    folder: Path,
    labels: dict[int, str] | None = None,
    markers: dict[tuple[str, int], list[int]] | None = None,
) -> list[str]:
    """One figure per metric; with a ``point`` column, one panel per design point (titled
    by its values). Dashed lines mark the weeks where each scenario's levers switch on."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markers = markers or {}
    points = list(dict.fromkeys(band["point"])) if "point" in band else [None]
    colours = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(dict.fromkeys(band.scenario))}
    cols = min(3, len(points))
    rows = -(-len(points) // cols)
    names = []
    for metric in metrics:
        fig, axes = plt.subplots(rows, cols, figsize=(7 if cols == 1 else 4.2 * cols, 3.8 * rows),
                                 squeeze=False, sharey=True)  # fmt: skip
        for ax, point in zip(axes.flat, points):
            part = band if point is None else band[band.point == point]
            marked = False
            for scenario, g in part.groupby("scenario", sort=False):
                colour = colours[scenario]
                ax.plot(g.week, g[metric], color=colour, label=scenario, lw=1.6)
                ax.fill_between(g.week, g[f"{metric}_lo"], g[f"{metric}_hi"], color=colour,
                                alpha=0.2)  # fmt: skip
                pts = [point] if point is not None else sorted({p for s, p in markers
                                                                if s == scenario})  # fmt: skip
                for week in sorted({w for p in pts for w in markers.get((scenario, p), [])}):
                    ax.axvline(week, color=colour, ls="--", lw=1)
                    marked = True
            if marked:  # one neutral key for every scenario's line, each in its own colour
                ax.plot([], [], color="#555", ls="--", lw=1,
                        label="levers switch on (in the scenario's colour)")  # fmt: skip
            ax.set_xlabel("week")
            if point is not None:
                ax.set_title((labels or {}).get(point, f"point {point}"), fontsize=9)
        for ax in axes.flat[len(points) :]:
            ax.set_visible(False)
        axes[0][0].set_ylabel(metric.replace("_", " "))
        axes[0][0].legend(fontsize=8, frameon=False)
        fig.suptitle(f"{metric.replace('_', ' ')}: mean and 95 % band across runs")
        fig.tight_layout()
        names += _save(fig, folder, f"weekly_{metric}")
        plt.close(fig)
    return names


def plot_effects(effects: pd.DataFrame, outcome: str, reference: str, folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(len(effects), 1)))
    y = np.arange(len(effects))
    err = np.vstack([effects.effect - effects.lo, effects.hi - effects.effect])
    ax.errorbar(effects.effect, y, xerr=err, fmt="o", color=PALETTE[0], capsize=3)
    ax.axvline(0, color="#777", lw=0.8)
    ax.set_yticks(y, effects.scenario)
    ax.set_xlabel(f"{outcome.replace('_', ' ')}: difference from {reference} (95 % CI)")
    names = _save(fig, folder, f"effects_{outcome}")
    plt.close(fig)
    return names


def sensitivity(spec, summary: pd.DataFrame, outcome: str) -> pd.DataFrame | None:
    """Morris or Sobol indices (SALib) of ``outcome`` per scenario, replicates averaged."""
    design = spec.design
    if design is None or design["method"] not in ("morris", "sobol"):
        return None
    from SALib.analyze import morris, sobol

    problem = salib_problem(design)
    x = np.array([[p[n] for n in problem["names"]] for p in design_points(spec)], dtype=float)
    rows = []
    for scenario, g in summary.groupby("scenario", sort=False):
        y = g.groupby("point")[outcome].mean().reindex(range(len(x))).to_numpy()
        if np.isnan(y).any():
            continue  # an incomplete design cannot be analysed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if design["method"] == "morris":
                res = morris.analyze(problem, x, y, num_levels=design["num_levels"])
                for i, name in enumerate(problem["names"]):
                    rows.append({
                        "scenario": scenario, "parameter": name, "mu_star": res["mu_star"][i],
                        "mu_star_conf": res["mu_star_conf"][i], "sigma": res["sigma"][i],
                    })  # fmt: skip
            else:
                res = sobol.analyze(problem, y, calc_second_order=design["calc_second_order"])
                for i, name in enumerate(problem["names"]):
                    rows.append({"scenario": scenario, "parameter": name,
                                 "S1": res["S1"][i], "S1_conf": res["S1_conf"][i],
                                 "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]})  # fmt: skip
    return pd.DataFrame(rows) if rows else None


def discover(spec, summary: pd.DataFrame, outcome: str, threshold: float) -> dict[str, Any]:
    """PRIM (EMA Workbench): which lever ranges keep ``outcome`` above ``threshold``?"""
    names = list(spec.design["parameters"]) if spec.design else list(spec.sweep)
    numeric = [n for n in names if pd.api.types.is_numeric_dtype(summary[n])]
    if not numeric:
        return {"status": "skipped", "reason": "no numeric parameters vary"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        return {
            "status": "skipped",
            "reason": "install the extra: pip install -e '.[prim]' in the repository",
        }
    x = summary[numeric].astype(float).reset_index(drop=True)
    y = summary[outcome].to_numpy() > threshold
    if y.all() or not y.any():
        return {"status": "skipped", "reason": f"every run is on one side of {threshold:.3f}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y).find_box()
    limits = box.box_lims[-1]
    restricted = [
        {"parameter": n, "low": float(limits[n][0]), "high": float(limits[n][1])}
        for n in numeric
        if (limits[n][0], limits[n][1]) != (x[n].min(), x[n].max())
    ]
    return {"status": "ok", "coverage": float(box.coverage), "density": float(box.density),
            "box": restricted, "threshold": threshold}  # fmt: skip


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    if frame is None or frame.empty:
        return "_(none)_\n"
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        cells = [
            ("" if np.isnan(v) else f"{v:.{digits}f}") if isinstance(v, float) else str(v)
            for v in row
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _with_ci(frame: pd.DataFrame, by: list[str], outcomes) -> pd.DataFrame:
    """Collapse mean/lo/hi columns into 'mean [lo, hi]' strings for the report."""
    out = frame[by + ["n"]].copy()
    for o in outcomes:
        if o in frame:
            out[o] = [
                f"{m:.3f} [{lo:.3f}, {hi:.3f}]" if not np.isnan(lo) else f"{m:.3f}"
                for m, lo, hi in zip(frame[o], frame[f"{o}_lo"], frame[f"{o}_hi"])
            ]
    return out


def coverage_notes(summary_all: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """What an unfinished sweep leaves out of the tables: scenarios without a finished run,
    and those with fewer than planned."""
    planned = summary_all.groupby("scenario", sort=False).size()
    done = summary.groupby("scenario", sort=False).size().reindex(planned.index, fill_value=0)
    if (done == planned).all():
        return []
    missing = [s for s in planned.index if done[s] == 0]
    partial = [
        f"`{s}` {done[s]} of {planned[s]}" for s in planned.index if 0 < done[s] < planned[s]
    ]
    parts = [f"{int(done.sum())} of {int(planned.sum())} planned runs finished"]
    if missing:
        parts.append(f"no finished run of {', '.join(f'`{s}`' for s in missing)}, which every "
                     "table and figure leaves out")  # fmt: skip
    if partial:
        parts.append(f"fewer runs than planned of {', '.join(partial)}")
    return ["; ".join(parts) + ". Run the same `civicloop sweep` command again to finish it."]


def missing_value_notes(summary: pd.DataFrame, outcome: str) -> list[str]:
    """Finished runs without a value of the outcome (NaN), which its tables leave out."""
    if outcome not in summary:
        return []
    missing = summary[outcome].isna()
    if not missing.any():
        return []
    by = summary[missing].groupby("scenario", sort=False).size()
    where = ", ".join(f"`{s}` {k}" for s, k in by.items())
    why = SUMMARY.get(outcome) or METRICS.get(outcome.removesuffix("_end"), "")
    why = f" ({why})" if "NaN" in why else ""
    return [f"{int(missing.sum())} of {len(summary)} finished runs have no value of `{outcome}` "
            f"and are left out of its tables and figures: {where}{why}."]  # fmt: skip


#: A Sobol' index whose 95 % interval is wider than this either way says little.
WIDE_SOBOL_CONF = 0.2


def sensitivity_notes(spec, summary: pd.DataFrame, sens: pd.DataFrame | None) -> list[str]:
    """Why sensitivity indices are missing for a scenario, or too uncertain to read."""
    design = spec.design
    if design is None or design["method"] not in ("morris", "sobol"):
        return []
    notes = []
    shown = set() if sens is None else set(sens.scenario)
    left = [s for s in dict.fromkeys(summary.scenario) if s not in shown]
    if left:
        notes.append(f"No {design['method']} indices for {', '.join(f'`{s}`' for s in left)}: "
                     "its design has points without a finished run.")  # fmt: skip
    if sens is not None and design["method"] == "sobol":
        widest = float(sens[["S1_conf", "ST_conf"]].abs().max().max())
        if widest > WIDE_SOBOL_CONF:
            notes.append(
                f"The Sobol' indices' 95 % intervals reach ±{widest:.2f} (with `samples` = "
                f"{design['samples']}): too wide to rank the parameters; raise `samples`."
            )
    return notes


def analyze(out: str | Path, outcome: str = "participation_end", progress: bool = False) -> Path:
    """Analyse the sweep in ``out``; return the path of the Markdown report.

    With ``progress``, each stage is announced on stderr as it starts (reading the weekly
    files of a large sweep and PRIM can take a while).
    """
    start = time.monotonic()

    def stage(text: str) -> None:
        if progress:
            print(f"analyze: {text} ({time.monotonic() - start:.0f} s)", file=sys.stderr,
                  flush=True)  # fmt: skip

    out = Path(out)
    if not (out / "summary.parquet").is_file():
        raise ValueError(f"{out} has no summary.parquet: run `civicloop sweep SPEC --out {out}`")
    spec_file = out / "spec.toml"
    if not spec_file.is_file():
        raise ValueError(f"{out} has no spec.toml; it was not written by `civicloop sweep`")
    spec = load_spec(spec_file)
    manifest_file = out / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{manifest_file}: unreadable ({exc}); the folder's record is damaged: run the "
            "sweep again into a new --out folder"
        ) from None
    if manifest.get("fingerprint") not in (None, spec.fingerprint):
        # [analysis] may be edited after a sweep (not in the fingerprint); the runs may not
        raise ValueError(
            f"{spec_file} no longer describes the runs in {out} (its fingerprint differs from "
            "manifest.json's): only its [analysis] table may be changed after the sweep"
        )
    summary_all = pd.read_parquet(out / "summary.parquet")
    if "status" not in summary_all:
        raise ValueError(f"{out / 'summary.parquet'} is not a sweep's summary (no status column)")
    recorded = sum(1 for _ in (out / "status").glob("*.json"))
    if recorded > int((summary_all.status != "not_run").sum()):
        # the sweep was stopped before it could summarise (kill -9): the runs on disk win
        from .plan import plan_runs
        from .sweep import write_summary

        summary_all = write_summary(plan_runs(spec), out / "status", out / "summary.parquet",
                                    spec=spec, manifest=manifest)  # fmt: skip
        print(f"analyze: {out / 'summary.parquet'} was older than the {recorded} runs "
              "recorded on disk; rewritten from their records", file=sys.stderr)  # fmt: skip
    summary = summary_all[summary_all.status == "ok"].copy()
    if summary.empty:
        raise ValueError(f"{out}: no finished runs to analyse")
    from model import PARAMS

    identity = {"point", "replicate", "seed", "seconds", *PARAMS}
    if (
        outcome not in summary
        or outcome in identity
        or not pd.api.types.is_numeric_dtype(summary[outcome])
    ):
        kind = "is not a run-level figure" if outcome in summary else "is not in summary.parquet"
        raise ValueError(
            f"outcome {outcome!r} {kind}; choose one of {', '.join(OUTCOMES)} (or another "
            "numeric *_end or *_total column of summary.parquet)"
        )
    folder = out / "analysis"
    folder.mkdir(exist_ok=True)
    notes = coverage_notes(summary_all, summary) + missing_value_notes(summary, outcome)
    stage(f"{len(summary)} finished runs of {len(summary_all)}: tables")
    scenarios = list(dict.fromkeys(summary.scenario))
    reference = "baseline" if "baseline" in scenarios else scenarios[0]
    labels = {i: point_label(v) for i, v in enumerate(design_points(spec))}
    by_scenario = summarise(summary, ["scenario"])
    by_point = summarise(summary, ["scenario", "point"])
    by_point.insert(2, "point_values", by_point.point.map(labels))
    by_scenario.to_csv(folder / "by_scenario.csv", index=False)
    by_point.to_csv(folder / "by_point.csv", index=False)
    effects = {o: scenario_effects(summary, reference, o) for o in (outcome, "budget_spent_total")}
    figures: list[str] = []
    metrics = [m for m in SERIES if m in spec.metrics]
    n_points = summary.point.nunique()
    per_point = 1 < n_points <= MAX_PANELS
    if metrics:
        stage(f"weekly series of {len(summary)} runs")
    band = weekly_bands(out, summary, metrics, by_point=per_point) if metrics else pd.DataFrame()
    if not band.empty:
        stage("weekly figures")
        figures += plot_series(band, metrics, folder, labels, reform_weeks(summary))
    if len(scenarios) > 1:
        figures += plot_effects(effects[outcome], outcome, reference, folder)
        effects[outcome].to_csv(folder / f"effects_{outcome}.csv", index=False)
    stage("sensitivity")
    sens = sensitivity(spec, summary, outcome)
    if sens is not None:
        sens.to_csv(folder / f"sensitivity_{outcome}.csv", index=False)
    notes += sensitivity_notes(spec, summary, sens)
    prim_result = None
    if spec.design is not None or len(spec.sweep) > 1:
        stage("scenario discovery (PRIM)")
        threshold = float(spec.analysis.get("threshold", summary[outcome].median()))
        prim_result = discover(spec, summary, outcome, threshold)
    elif spec.sweep:
        notes.append("Scenario discovery (PRIM) is left out: it needs a sampled design or a "
                     "sweep over two or more parameters; this one varies one.")  # fmt: skip
    for note in notes if progress else ():  # the report has them in any case
        print(f"analyze: note: {note}", file=sys.stderr)
    window = (
        int(summary["end_window_weeks"].min()) if "end_window_weeks" in summary
        else min(13, spec.weeks)
    )  # fmt: skip

    lines = [
        f"# {spec.name}: analysis",
        "",
        spec.description,
        "",
        f"- runs: {len(summary)} finished of {len(summary_all)} planned "
        f"({int((summary_all.status == 'failed').sum())} failed)",
        f"- weeks per run: {spec.weeks}; replicates: {spec.replicates}; master seed: {spec.seed}",
        f"- git commit: {manifest.get('git_commit')}; civicloop "
        f"{manifest.get('versions', {}).get('civicloop')}, mesa "
        f"{manifest.get('versions', {}).get('mesa')}",
        "",
        *[f"- **Note:** {note}" for note in notes],
        "",
        "Figures are means across runs with 95 % confidence intervals (t-based, across "
        f"replicates and points). Outcomes ending in `_end` are means over the last {window} "
        f"week{'s' if window != 1 else ''} of each run. Column definitions: "
        "docs/EXPERIMENTS.md.",
        "",
        "## Outcomes by scenario",
        "",
        markdown_table(_with_ci(by_scenario, ["scenario"], OUTCOMES[:5])),
    ]
    if len(scenarios) > 1:
        lines += [
            f"## Scenario effects on `{outcome}` (difference from `{reference}`, paired by point "
            "and replicate)",
            "",
            markdown_table(effects[outcome]),
            f"Cost: difference in `budget_spent_total` (10k CNY) from `{reference}`:",
            "",
            markdown_table(effects["budget_spent_total"]),
        ]
        gained = effects[outcome].merge(effects["budget_spent_total"], on="scenario",
                                        suffixes=("", "_cost"))  # fmt: skip
        # only where the extra cost is clearly positive; otherwise the ratio means nothing
        gained["per_100_units"] = (
            100 * gained["effect"] / gained["effect_cost"].where(gained["lo_cost"] > 0)
        )
        lines += [
            f"Cost-effectiveness: `{outcome}` gained per 100 units (10k CNY) of extra budget "
            "(blank where the extra cost's 95 % CI includes zero):",
            "",
            markdown_table(gained[["scenario", "effect", "effect_cost", "per_100_units"]]),
        ]
    if len(by_point.point.unique()) > 1:
        lines += [
            "## Outcomes by scenario and point",
            "",
            markdown_table(_with_ci(by_point, ["scenario", "point", "point_values"], (outcome,))),
            "Each point's parameters are also in `summary.parquet` (one column per parameter, "
            "and `point_label`).",
            "",
        ]
    if sens is not None:
        method = spec.design["method"]
        lines += [
            f"## Global sensitivity of `{outcome}` ({method}, SALib)",
            "",
            markdown_table(sens),
        ]
    if prim_result is not None:
        lines += ["## Scenario discovery (PRIM)", ""]
        if prim_result["status"] == "ok" and not prim_result["box"]:
            lines += [f"No box restricts the parameters: runs above {prim_result['threshold']:.3f}"
                      " are not concentrated in any range of them.", ""]  # fmt: skip
        elif prim_result["status"] == "ok":
            lines += [
                f"Runs with `{outcome}` above {prim_result['threshold']:.3f} are concentrated in "
                f"this box (coverage {prim_result['coverage']:.2f}, density "
                f"{prim_result['density']:.2f}):",
                "",
                markdown_table(pd.DataFrame(prim_result["box"])),
            ]
        else:
            lines += [f"Skipped: {prim_result['reason']}.", ""]
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{f}]({f})" for f in figures if f.endswith(".png")]
    # one report per outcome: analysing another outcome does not overwrite the first
    report = folder / ("report.md" if outcome == "participation_end" else f"report_{outcome}.md")
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stage("done")
    return report
