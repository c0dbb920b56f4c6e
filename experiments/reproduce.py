"""``civicloop reproduce``: run the standard experiments and test the paper's claims.

Runs every spec in :data:`SPECS` with the sweep engine, analyses each, and writes
``REPORT.md``: a table of the claims (the stylised facts of ``docs/ODD.md`` §1 and the lever
ranking) with effect sizes, 95 % confidence intervals and whether the runs support each one,
followed by the experiments' own reports. ``--quick`` runs smaller communities and fewer
replicates so the whole thing takes minutes; its verdicts are weaker for it.
"""

from __future__ import annotations

import copy
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w
from scipy import stats

from .analyze import analyze, markdown_table, mean_ci
from .spec import parse_spec
from .sweep import run_sweep

SPEC_DIR = Path(__file__).resolve().parent / "specs"
SPECS = (
    "baseline_cycle",
    "levers",
    "combinations",
    "hysteresis",
    "sensitivity",
    "cost_effectiveness",
)
QUICK = {"replicates": 4, "n_residents": 500, "samples": 4}


def quick_text(text: str) -> str:
    """A smaller version of a spec: fewer replicates, a smaller community, a smaller design."""
    raw = copy.deepcopy(tomllib.loads(text))
    raw["name"] = f"{raw['name']}_quick"
    raw["replicates"] = min(raw.get("replicates", 1), QUICK["replicates"])
    raw.setdefault("base", {})["n_residents"] = QUICK["n_residents"]
    if "design" in raw:
        raw["design"]["samples"] = min(raw["design"]["samples"], QUICK["samples"])
    return tomli_w.dumps(raw)


SOBOL_TOP = 4  # parameters carried from the Morris screening to Sobol indices


def sobol_text(morris_dir: Path, quick: bool) -> str:
    """Stage 2 of the sensitivity analysis: Sobol indices of the most influential parameters.

    The parameters with the largest Morris μ* keep their screening bounds; the spec is
    written next to the results (``spec.toml``), so the choice is on record.
    """
    screening = pd.read_csv(morris_dir / "analysis" / "sensitivity_participation_end.csv")
    top = screening.nlargest(SOBOL_TOP, "mu_star").parameter.tolist()
    morris = tomllib.loads((morris_dir / "spec.toml").read_text(encoding="utf-8"))
    raw = {
        "name": "sensitivity_sobol" + ("_quick" if quick else ""),
        "description": "Sobol indices of the parameters with the largest Morris effects: "
        + ", ".join(top),
        "weeks": morris["weeks"],
        "replicates": 1,
        "seed": 1007,
        "metrics": morris["metrics"],
        "base": morris["base"],
        "design": {
            "method": "sobol",
            "samples": 8 if quick else 64,
            "calc_second_order": False,
            "parameters": {n: morris["design"]["parameters"][n] for n in top},
        },
    }
    return tomli_w.dumps(raw)


def _weekly(out: Path) -> pd.DataFrame:
    summary = pd.read_parquet(out / "summary.parquet")
    weekly = pd.read_parquet(out / "runs")
    return weekly.merge(summary[["run_id", "scenario", "replicate", "point"]], on="run_id")


def _window(weekly: pd.DataFrame, col: str, lo: int, hi: int) -> pd.DataFrame:
    w = weekly[weekly.week.between(lo, hi)]
    return w.groupby(["scenario", "point", "replicate"])[col].mean()


def _claim(claim: str, test: str, values: np.ndarray, supported_if: str, bound: float = 0.0):
    m, lo, hi, n = mean_ci(values)
    ok = (lo > bound) if supported_if == "above" else (hi < bound)
    return {
        "claim": claim,
        "test": test,
        "effect": m,
        "lo": lo,
        "hi": hi,
        "runs": n,
        "supported": "yes" if ok else "no",
    }


def claims(root: Path, suffix: str = "") -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Evaluate the paper's claims from the experiments' folders."""
    rows = []
    base = _weekly(root / f"baseline_cycle{suffix}")
    start = _window(base, "participation_rate", 3, 16)
    end = _window(base, "participation_rate", 143, 155)
    rows.append(
        _claim(
            "1. Without intervention participation decays",
            "participation weeks 143–155 minus weeks 3–16",
            (end - start).to_numpy(),
            "below",
        )
    )
    share = _window(base, "retired_share_of_participants", 104, 155)
    pop = _window(base, "retired_share_of_population", 104, 155)
    rows.append(
        _claim(
            "2. Participants are mostly retirees",
            "retired share of participants minus of population",
            (share - pop).to_numpy(),
            "above",
        )
    )
    working = _window(base, "participation_rate_working", 104, 155)
    overall = _window(base, "participation_rate", 104, 155)
    rows.append(
        _claim(
            "2. Working-age residents are under-represented",
            "working-age rate ÷ overall rate − 1",
            (working / overall - 1).to_numpy(),
            "below",
        )
    )
    gap = _window(base, "completion_rate", 52, 155) - _window(base, "satisfaction_rate", 52, 155)
    rows.append(
        _claim(
            "3. Completion high, satisfaction much lower",
            "completion minus satisfaction (≥ 0.2 counts as much lower)",
            gap.to_numpy(),
            "above",
            0.2,
        )
    )
    summary = pd.read_parquet(root / f"baseline_cycle{suffix}" / "summary.parquet")
    rows.append(
        _claim(
            "4. A fixed first report brings more re-reporting",
            "re-report ratio minus 1",
            summary.rereport_ratio.dropna().to_numpy() - 1,
            "above",
        )
    )

    levers = pd.read_parquet(root / f"levers{suffix}" / "summary.parquet")
    ref = levers[levers.scenario == "baseline"].set_index(["point", "replicate"])
    effects = {}
    for name, g in levers[levers.scenario != "baseline"].groupby("scenario"):
        effects[name] = (
            g.set_index(["point", "replicate"]).participation_end - ref.participation_end
        ).to_numpy()
    anova_p = stats.f_oneway(*effects.values()).pvalue
    rows.append(
        {
            "claim": "5. Levers differ in effect",
            "test": "one-way ANOVA of the participation effects of the single levers",
            "effect": float(anova_p),
            "lo": float("nan"),
            "hi": float("nan"),
            "runs": sum(map(len, effects.values())),
            "supported": "yes" if anova_p < 0.01 else "no",
        }
    )
    ranking = pd.DataFrame(
        [
            {"lever": n, **dict(zip(("effect", "lo", "hi", "runs"), mean_ci(e)))}
            for n, e in effects.items()
        ]
    ).sort_values("effect", ascending=False)

    comb = pd.read_parquet(root / f"combinations{suffix}" / "summary.parquet")
    p = comb.pivot_table(index="replicate", columns="scenario", values="participation_end")
    inter = (p["FW"] - p["F"] - p["W"] + p["none"]).to_numpy()
    rows.append(
        _claim(
            "5. Some levers work only together",
            "feedback × whistle-with-results interaction on participation",
            inter,
            "above",
        )
    )

    hyst = _weekly(root / f"hysteresis{suffix}")
    early = _window(hyst, "participation_rate", 13 + 40, 13 + 52).xs("on13", level="scenario")
    late = _window(hyst, "participation_rate", 104 + 40, 104 + 52).xs("on104", level="scenario")
    rows.append(
        _claim(
            "5. A settled circle is slower to break than to prevent",
            "participation 40–52 weeks after the reform: on at week 13 minus on at week 104",
            (early - late).to_numpy(),
            "above",
        )
    )
    return rows, ranking


def reproduce(
    out: str | Path = "reports",
    quick: bool = False,
    backend: str = "processes",
    workers: int = 2,
    progress: bool = False,
) -> Path:
    """Run every standard experiment into ``out`` (resumable) and write ``out/REPORT.md``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if quick else ""
    timings = {}
    for name in SPECS:
        text = (SPEC_DIR / f"{name}.toml").read_text(encoding="utf-8")
        if quick:
            text = quick_text(text)
        start = time.monotonic()
        spec = parse_spec(text, source=f"{name}.toml")
        folder = out / f"{name}{suffix}"
        run_sweep(
            spec, folder, backend=backend, workers=workers, quiet=not progress, spec_text=text
        )
        analyze(folder)
        timings[name] = time.monotonic() - start
    start = time.monotonic()
    text = sobol_text(out / f"sensitivity{suffix}", quick)
    spec = parse_spec(text, source="sensitivity_sobol.toml")
    folder = out / spec.name
    run_sweep(spec, folder, backend=backend, workers=workers, quiet=not progress, spec_text=text)
    analyze(folder)
    timings["sensitivity_sobol"] = time.monotonic() - start
    rows, ranking = claims(out, suffix)
    lines = [
        f"# Reproduction report{' (quick)' if quick else ''}",
        "",
        "Each claim of the source paper (as stated in `docs/ODD.md` §1) is tested with "
        "replicated runs: mean effect, 95 % confidence interval, and whether the interval "
        "supports the claim."
        + (" Quick mode: 500 households and 4 replicates, so intervals are wide." if quick else ""),
        "",
        markdown_table(pd.DataFrame(rows)),
        "## Levers ranked by their effect on participation (end of year 3, paired with the "
        "baseline)",
        "",
        markdown_table(ranking),
        "## Experiments",
        "",
    ]
    for name in (*SPECS, "sensitivity_sobol"):
        lines.append(
            f"- `{name}` ({timings[name]:.0f} s): [report]({name}{suffix}/analysis/report.md)"
        )
    lines += ["", f"Total time: {sum(timings.values()):.0f} s."]
    report = out / "REPORT.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report
