"""The Solara dashboard for policy staff: explore and compare scenarios, in 中文 or English.

Start it with ``civicloop dashboard`` (loopback only by default). Everything here works with
no network access: the page's JavaScript comes from the ``solara-assets`` package and the
charts are matplotlib images. Widgets are generated from the parameter registry; all text
comes from the registry, ``model.scenarios`` and the message catalogue (``i18n.py`` beside it).

The drawing and export helpers are plain functions so they can be tested without a browser;
the components at the bottom only wire them to widgets. All state lives inside the page
component, so two browser sessions never share settings or models.
"""

from __future__ import annotations

import asyncio
import io
import math
import threading
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import solara  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from model.model import CommunityModel  # noqa: E402
from model.params import GROUPS, PARAMS, Param, defaults  # noqa: E402
from model.scenarios import SCENARIOS  # noqa: E402

from .i18n import (  # noqa: E402
    choice_label,
    group_label,
    param_help,
    param_label,
    scenario_description,
    scenario_label,
    t,
)

#: Okabe–Ito colours (safe for the common forms of colour blindness).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
#: Dashboard ranges narrower than the registry's, to keep the page responsive.
UI_LIMITS = {
    "n_residents": (50, 10_000),
    "department_budget": (0, 1000),
    "community_fund": (0, 1000),
    "reform_week": (0, 156),
}
#: Parameters not offered as widgets (a file path is not for a web page).
HIDDEN = {"network_file"}
GROUP_SERIES = ("retired", "working", "youth", "low_income", "party")

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")


def _use_cjk_font() -> bool:
    """Let matplotlib draw Chinese: register a system CJK font it has not cached yet."""
    import glob

    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if not known & set(CJK_FONTS):
        for pattern in ("/usr/share/fonts/**/wqy-*.tt[cf]", "/usr/share/fonts/**/NotoSansCJK*"):
            for path in glob.glob(pattern, recursive=True):
                font_manager.fontManager.addfont(path)
        known = {f.name for f in font_manager.fontManager.ttflist}
    available = [f for f in CJK_FONTS if f in known]
    plt.rcParams["font.sans-serif"] = [*available, "DejaVu Sans"]
    return bool(available)


HAS_CJK_FONT = _use_cjk_font()


# ---------------------------------------------------------------------- pure helpers
def split_settings(settings: dict[str, Any]) -> tuple[dict, dict, int]:
    """Settings on screen → (values from week 0, levers switched at the reform week, week).

    Lever widgets show the values that switch on at ``reform_week`` (as a scenario's levers
    do); every other parameter holds from the start.
    """
    week = int(settings["params"]["reform_week"])
    diff = {
        k: v for k, v in settings["params"].items() if v != PARAMS[k].default and k != "reform_week"
    }
    levers = {k: v for k, v in diff.items() if PARAMS[k].lever}
    fixed = {k: v for k, v in diff.items() if not PARAMS[k].lever}
    return fixed, levers, week


def build_model(settings: dict[str, Any]) -> CommunityModel:
    """A model from the dashboard's settings (seed and parameter values on screen)."""
    fixed, levers, week = split_settings(settings)
    schedule = [{"week": week, "set": levers}] if levers else []
    return CommunityModel(rng=settings["seed"], interventions=schedule, **fixed)


def layout(model: CommunityModel) -> np.ndarray:
    """Positions laid out by compound (a grid of blocks), building (sub-blocks), household."""
    n_c = model.n_compounds
    cols_c = int(np.ceil(np.sqrt(n_c)))
    b_start, b_size = model.building_start, model.building_size
    first_b = np.searchsorted(model.compound[b_start], np.arange(n_c))
    b_rank = np.arange(model.n_buildings) - first_b[model.compound[b_start]]
    per_c = np.bincount(model.compound[b_start], minlength=n_c)
    cols_b = np.ceil(np.sqrt(per_c)).astype(int)[model.compound[b_start]]
    r_rank = np.arange(model.n) - b_start[model.building]
    cols_r = np.ceil(np.sqrt(b_size)).astype(int)[model.building]
    c = model.compound
    b = model.building
    cx, cy = c % cols_c, c // cols_c
    bx, by = b_rank[b] % cols_b[b], b_rank[b] // cols_b[b]
    rx, ry = r_rank % cols_r, r_rank // cols_r
    x = cx * 1.0 + (bx + rx / np.maximum(cols_r, 1) * 0.8) / np.maximum(cols_b[b], 1) * 0.9
    y = cy * 1.0 + (by + ry / np.maximum(cols_r, 1) * 0.8) / np.maximum(cols_b[b], 1) * 0.9
    return np.column_stack([x, -y])


class NetworkView:
    """The neighbourhood drawn once; each week only the residents' colours change.

    Rebuilding the figure every step cost ~180 ms; updating colours costs a few.
    """

    MAX_EDGES = 3000  # ties drawn (a sample): enough to show the structure, cheap to render

    def __init__(self, model: CommunityModel, pos: np.ndarray, lang: str) -> None:
        self.fig = Figure(figsize=(6.4, 5.2), dpi=90)
        ax = self.fig.add_axes((0.0, 0.08, 0.88, 0.86))
        adj = model.adjacency.tocoo()
        keep = adj.row < adj.col
        rows, cols = adj.row[keep], adj.col[keep]
        if rows.size > self.MAX_EDGES:
            pick = np.random.default_rng(0).choice(rows.size, self.MAX_EDGES, replace=False)
            rows, cols = rows[pick], cols[pick]
        ax.add_collection(
            LineCollection(
                np.stack([pos[rows], pos[cols]], axis=1),
                colors="#bbbbbb",
                linewidths=0.3,
                antialiased=False,
            )
        )
        size = max(2.0, 4000 / max(model.n, 1))
        self.by_efficacy = ax.scatter(
            *pos.T, c=model.efficacy, cmap="viridis", vmin=0, vmax=1, s=size, linewidths=0
        )
        self.by_participation = ax.scatter(*pos.T, c="#BBBBBB", s=size, linewidths=0)
        ax.scatter(
            *pos[model.party].T, s=size * 2.2, facecolors="none", edgecolors="black", linewidths=0.6
        )
        centres = np.array([pos[model.grid_index == g].mean(axis=0) for g in range(model.n_grids)])
        ax.scatter(*centres.T, marker="s", s=60, c=OKABE_ITO[3], edgecolors="white")
        cax = self.fig.add_axes((0.9, 0.15, 0.025, 0.7))
        self.fig.colorbar(self.by_efficacy, cax=cax, label=t("efficacy", lang))
        self.legend_efficacy = [
            plt.Line2D(
                [], [], ls="", marker="o", mfc="none", mec="black", label=t("party_member", lang)
            ),
            plt.Line2D([], [], ls="", marker="s", color=OKABE_ITO[3], label=t("grid_worker", lang)),
        ]
        self.legend_participation = [
            plt.Line2D([], [], ls="", marker="o", color=OKABE_ITO[1], label=t("took_part", lang)),
            plt.Line2D([], [], ls="", marker="o", color="#BBBBBB", label=t("did_not", lang)),
            *self.legend_efficacy,
        ]
        self.cax = cax
        self.ax = ax
        ax.set_title(t("network_title", lang), fontsize=10)
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.axis("off")

    def update(self, model: CommunityModel, colour_by: str) -> Figure:
        participation = colour_by == "participation"
        self.by_participation.set_visible(participation)
        self.by_efficacy.set_visible(not participation)
        self.cax.set_visible(not participation)
        if participation:
            recent = model.recent_participation()
            self.by_participation.set_facecolors(np.where(recent, OKABE_ITO[1], "#BBBBBB"))
        else:
            self.by_efficacy.set_array(model.efficacy)
        handles = self.legend_participation if participation else self.legend_efficacy
        self.ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=4,
            fontsize=7,
            frameon=False,
        )
        return self.fig


class ChartsView:
    """Weekly charts drawn once; each week the lines get new data."""

    SERIES = (
        # axes, column, colour, style, message key
        (0, "participation_rate", "black", "-", "participation"),
        *((0, f"participation_rate_{g}", c, "-", g) for c, g in zip(OKABE_ITO, GROUP_SERIES)),
        (1, "completion_rate", OKABE_ITO[0], "-", "completion"),
        (1, "satisfaction_rate", OKABE_ITO[1], "-", "satisfaction"),
        (1, "resolution_rate", OKABE_ITO[2], "--", "resolution"),
        (2, "response_time_mean", OKABE_ITO[3], "-", "response_time"),
        (3, "backlog", OKABE_ITO[4], "-", "backlog"),
    )

    def __init__(self, lang: str) -> None:
        self.fig = Figure(figsize=(6.4, 7.0), dpi=90)
        self.fig.subplots_adjust(left=0.1, right=0.88, top=0.95, bottom=0.07, hspace=0.35)
        ax1, ax2, ax3 = self.fig.subplots(3, 1, sharex=True)
        twin = ax3.twinx()
        self.axes = (ax1, ax2, ax3, twin)
        self.lines = {}
        for i, col, colour, style, key in self.SERIES:
            (self.lines[col],) = self.axes[i].plot(
                [],
                [],
                color=colour,
                ls=style,
                lw=2 if col == "participation_rate" else 1.2,
                label=t(key, lang),
            )
        for ax, key in ((ax1, "chart_groups"), (ax2, "chart_closure"), (ax3, "chart_service")):
            ax.set_title(t(key, lang), fontsize=10)
        ax1.set_ylim(0, 1)
        ax2.set_ylim(0, 1)
        ax1.legend(fontsize=7, ncol=3, frameon=False, loc="upper right")
        ax2.legend(fontsize=7, ncol=3, frameon=False, loc="upper right")
        ax3.set_ylabel(t("response_time", lang), fontsize=8)
        twin.set_ylabel(t("backlog", lang), fontsize=8)
        ax3.set_xlabel(t("week", lang))

    def update(self, frame: pd.DataFrame) -> Figure:
        weeks = np.arange(len(frame))
        for col, line in self.lines.items():
            line.set_data(weeks, frame[col] if col in frame else np.zeros(len(frame)))
        self.axes[0].set_xlim(0, max(len(frame), 10))
        for ax in self.axes[2:]:
            ax.relim()
            ax.autoscale_view(scalex=False)
        return self.fig


def draw_network(model: CommunityModel, pos: np.ndarray, colour_by: str, lang: str) -> Figure:
    return NetworkView(model, pos, lang).update(model, colour_by)


def draw_charts(frame: pd.DataFrame, lang: str) -> Figure:
    return ChartsView(lang).update(frame)


def headline(model: CommunityModel, lang: str) -> list[tuple[str, str]]:
    m = model.measures
    if not m:
        return [(t("week", lang), "0")]
    pct = "{:.0%}".format
    return [
        (t("week", lang), str(model.week)),
        (t("participation", lang), pct(m["participation_rate"])),
        (t("satisfaction", lang), pct(m["satisfaction_rate"])),
        (t("completion", lang), pct(m["completion_rate"])),
        (t("efficacy", lang), f"{m['mean_efficacy']:.2f}"),
        (t("backlog", lang), f"{m['backlog']:.0f}"),
        (t("budget", lang), f"{m['budget_spent']:.0f}"),
    ]


def weekly_frame(model: CommunityModel) -> pd.DataFrame:
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame.insert(0, "week", range(len(frame)))
    return frame


def export_csv(model: CommunityModel, seed: int) -> bytes:
    """The weekly series as CSV, each row saying what produced it (settings, seed, code)."""
    from experiments import provenance, results

    record = provenance.from_model(model, seed, weeks=model.week)
    frame = results.tidy_weekly(weekly_frame(model))
    frame.insert(0, "seed", seed)
    frame.insert(0, "scenario", record["scenario"])
    for name, value in provenance.columns(record).items():
        if name != "resolved_params":
            frame[name] = value
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def scenario_toml(
    settings: dict[str, Any],
    compare_with: str = "baseline",
    replicates: int = 10,
    weeks: int = 156,
) -> str:
    """The scenario on screen as an experiment spec that ``civicloop sweep`` accepts."""
    import tomli_w

    fixed, levers, week = split_settings(settings)
    preset = settings["scenario"]
    preset_levers = {k: v for k, v in SCENARIOS[preset]["levers"].items() if v != PARAMS[k].default}
    name = preset if levers == preset_levers else "on_screen"
    if name == compare_with:
        name = f"{name}_on_screen"
    scenario: dict[str, Any] = {"from": "baseline"}
    if levers:
        scenario["interventions"] = [{"week": week, "set": levers}]
    spec = {
        "name": f"dashboard_{name}",
        "description": f"Saved from the civicloop dashboard on {date.today().isoformat()}",
        "weeks": int(weeks),
        "replicates": int(replicates),
        "seed": int(settings["seed"]),
        "base": {**fixed, "reform_week": week},
        "scenarios": {name: scenario, compare_with: compare_with},
    }
    return tomli_w.dumps(spec)


def compare(
    settings: dict[str, Any], other: str, replicates: int, weeks: int, progress=None
) -> pd.DataFrame:
    """Replicates of the settings on screen ("chosen") and of a preset ("other").

    Replicate *r* of both uses seed ``seed + r`` (common random numbers), and the preset's
    levers switch on at the same week as on screen. Returns one row per run and week.
    """
    preset = settings_for(other, settings["seed"])
    preset["params"]["reform_week"] = settings["params"]["reform_week"]
    frames = []
    for k, (role, s) in enumerate((("chosen", settings), ("other", preset))):
        for r in range(replicates):
            model = build_model({**s, "seed": settings["seed"] + r})
            for _ in range(weeks):
                model.step()
            frame = weekly_frame(model)
            frame["scenario"], frame["replicate"] = role, r
            frames.append(frame)
            if progress is not None:
                progress(100 * (k * replicates + r + 1) / (2 * replicates))
    return pd.concat(frames, ignore_index=True)


def comparison_bands(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    from scipy import stats

    g = runs.groupby(["scenario", "week"], sort=False)[metric]
    out = g.agg(["mean", "sem", "count"]).reset_index()
    half = stats.t.ppf(0.975, np.maximum(out["count"] - 1, 1)) * out["sem"].fillna(0)
    out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    return out


def end_differences(runs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Chosen minus other over the last 13 weeks, paired by replicate, with a 95 % CI."""
    from scipy import stats

    last = runs[runs.week >= runs.week.max() - 12]
    metrics = {
        "participation_rate": "participation",
        "satisfaction_rate": "satisfaction",
        "completion_rate": "completion",
        "mean_efficacy": "efficacy",
        "budget_spent": "budget",
    }
    rows = []
    for col, key in metrics.items():
        per = last.groupby(["scenario", "replicate"])[col].mean().unstack(0)
        diff = (per["chosen"] - per["other"]).to_numpy()
        m = float(diff.mean())
        half = (
            float(stats.t.ppf(0.975, max(diff.size - 1, 1)) * diff.std(ddof=1) / np.sqrt(diff.size))
            if diff.size > 1
            else float("nan")
        )
        rows.append(
            {
                t("measure", lang): t(key, lang),
                "Δ": round(m, 3),
                t("ci", lang): f"[{m - half:.3f}, {m + half:.3f}]",
            }
        )
    return pd.DataFrame(rows)


def draw_comparison(runs: pd.DataFrame, labels: dict[str, str], lang: str) -> Figure:
    fig = Figure(figsize=(7.0, 5.0))
    axes = fig.subplots(2, 1, sharex=True)
    for ax, metric, key in zip(
        axes, ("participation_rate", "satisfaction_rate"), ("participation", "satisfaction")
    ):
        bands = comparison_bands(runs, metric)
        for colour, (scenario, b) in zip(OKABE_ITO, bands.groupby("scenario", sort=False)):
            label = labels[scenario]
            ax.plot(b.week, b["mean"], color=colour, label=label)
            ax.fill_between(b.week, b.lo, b.hi, color=colour, alpha=0.25)
        ax.set_ylabel(t(key, lang))
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8, frameon=False)
    axes[0].set_title(t("compare_title", lang), fontsize=10)
    axes[1].set_xlabel(t("week", lang))
    fig.tight_layout()
    return fig


def settings_for(scenario: str, seed: int = 0) -> dict[str, Any]:
    """Settings of a preset: the defaults with the preset's lever values."""
    return {
        "scenario": scenario,
        "seed": seed,
        "params": {**defaults(), **SCENARIOS[scenario]["levers"]},
    }


def slider_step(default: float, low: float, high: float) -> float:
    """About 1 % of the range, but fine enough that the default lies on a step.

    A slider snaps its value to a step and reports the snapped value; a coarse step would
    silently change a default such as 0.234.
    """
    step = 10.0 ** math.floor(math.log10((high - low) / 100))
    while step > 1e-6 and abs(round(default / step) * step - default) > 1e-9:
        step /= 10
    return step


# ---------------------------------------------------------------------- components
@solara.component
def ParamWidget(p: Param, value: Any, on_value, lang: str, show_help: bool):
    label = param_label(p, lang)
    low, high = UI_LIMITS.get(p.name, (p.low, p.high))
    with solara.Column(gap="0px", style={"margin-bottom": "6px"}):
        if p.type is bool:
            solara.Switch(label=label, value=value, on_value=on_value)
        elif p.choices:
            names = {choice_label(c, lang): c for c in p.choices}
            solara.Select(
                label=label,
                values=list(names),
                value=choice_label(value, lang),
                on_value=lambda name: on_value(names[name]),
            )
        elif p.type is int:
            solara.SliderInt(
                label, value=int(value), min=int(low), max=int(high), on_value=on_value
            )
        else:
            step = slider_step(p.default, low, high)
            solara.SliderFloat(
                label,
                value=float(value),
                min=float(low),
                max=float(high),
                step=step,
                on_value=on_value,
            )
        if show_help:
            solara.Text(param_help(p, lang), style={"font-size": "0.75em", "color": "#555"})


@solara.component
def Page():
    lang, set_lang = solara.use_state("zh")
    first = solara.use_memo(lambda: settings_for("baseline"), [])
    settings, set_settings = solara.use_state(first)
    first_model = solara.use_memo(lambda: build_model(first), [])
    model, set_model = solara.use_state(first_model)
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    show_help, set_show_help = solara.use_state(False)
    colour_by, set_colour_by = solara.use_state("efficacy")
    error, set_error = solara.use_state("")
    # what the Compare tab compares with, how often and how long (the export uses it too)
    comparison = (
        solara.use_state("baseline"),
        solara.use_state(5),
        solara.use_state(156),
    )
    lock = solara.use_memo(threading.Lock, [])
    pos = solara.use_memo(lambda: layout(model), [model])

    def reset(new_settings=None):
        s = new_settings or settings
        try:
            set_model(build_model(s))
            set_error("")
        except ValueError as exc:
            set_error(str(exc))
        set_playing(False)
        set_version(lambda v: v + 1)

    def set_param(name):
        def on_value(value):
            set_settings(lambda s: {**s, "params": {**s["params"], name: value}})

        return on_value

    def choose_preset(name):
        # a preset sets the levers; community, residents and services settings stay
        def update(s):
            params = dict(s["params"])
            for k, p in PARAMS.items():
                if p.lever:
                    params[k] = SCENARIOS[name]["levers"].get(k, p.default)
            return {**s, "scenario": name, "params": params}

        set_settings(update)

    def step_once():
        with lock:
            model.step()
        set_version(lambda v: v + 1)

    async def run_loop():
        # on the page's event loop (as Mesa's own controller does): state updates from a
        # plain thread would not reach this session's page
        while playing:
            await asyncio.sleep(0.05)
            with lock:
                model.step()
            set_version(lambda v: v + 1)

    solara.lab.use_task(run_loop, dependencies=[playing, model], prefer_threaded=False)

    with solara.AppBar():
        solara.AppBarTitle(t("title", lang))
    with solara.Sidebar():
        solara.Button(
            t("language", lang),
            on_click=lambda: set_lang("en" if lang == "zh" else "zh"),
            outlined=True,
            classes=["lang-switch"],
        )
        with solara.Card(t("preset", lang)):
            labels = {scenario_label(n, lang): n for n in SCENARIOS}
            solara.Select(
                label=t("preset", lang),
                values=list(labels),
                value=scenario_label(settings["scenario"], lang),
                on_value=lambda label: choose_preset(labels[label]),
            )
            solara.Text(
                f"{scenario_label(settings['scenario'], lang)} — "
                f"{scenario_description(settings['scenario'], lang)}",
                classes=["preset-explanation"],
            )
            solara.Text(
                f"{t('paper_words', lang)}: {SCENARIOS[settings['scenario']]['paper']}",
                style={"font-size": "0.8em", "font-style": "italic"},
            )
            solara.InputInt(
                t("seed", lang),
                value=settings["seed"],
                on_value=lambda v: set_settings(lambda s: {**s, "seed": int(v or 0)}),
            )
            with solara.Row():
                solara.Button(
                    t("step", lang), on_click=step_once, disabled=playing, classes=["step-button"]
                )
                solara.Button(
                    t("pause", lang) if playing else t("run", lang),
                    on_click=lambda: set_playing(not playing),
                    classes=["run-button"],
                )
                solara.Button(t("reset", lang), on_click=lambda: reset(), classes=["reset-button"])
            solara.Switch(label=t("show_help", lang), value=show_help, on_value=set_show_help)
            if error:
                solara.Error(f"{t('error', lang)}: {error}")
        for group in GROUPS:
            with solara.Details(group_label(group, lang), expand=group == "levers"):
                for p in PARAMS.values():
                    if p.group == group and p.name not in HIDDEN:
                        ParamWidget(
                            p, settings["params"][p.name], set_param(p.name), lang, show_help
                        )

    solara.Title("civicloop")
    with solara.lab.Tabs():
        with solara.lab.Tab(t("tab_now", lang)):
            NowView(model, pos, lang, colour_by, set_colour_by, version, lock)
        with solara.lab.Tab(t("tab_compare", lang)):
            CompareView(settings, lang, comparison)
        with solara.lab.Tab(t("tab_export", lang)):
            ExportView(settings, model, lang, comparison)


@solara.component
def NowView(model, pos, lang, colour_by, set_colour_by, version, lock):
    net_view = solara.use_memo(lambda: NetworkView(model, pos, lang), [model, lang])
    charts_view = solara.use_memo(lambda: ChartsView(lang), [model, lang])
    with lock:
        figures = headline(model, lang)
        frame = weekly_frame(model)
        net = net_view.update(model, colour_by)
        charts = charts_view.update(frame) if len(frame) else None
    with solara.Row(classes=["headline"]):
        for label, value in figures:
            with solara.Card(style={"min-width": "7em", "text-align": "center"}):
                solara.Text(label, style={"font-size": "0.8em"})
                solara.Text(
                    value,
                    style={"font-size": "1.5em", "font-weight": "bold"},
                    classes=["headline-value"],
                )
    solara.ToggleButtonsSingle(
        value=colour_by,
        on_value=set_colour_by,
        children=[
            solara.Button(t("by_efficacy", lang), value="efficacy"),
            solara.Button(t("by_participation", lang), value="participation"),
        ],
    )
    with solara.Columns([1, 1]):
        solara.FigureMatplotlib(net, format="png", dependencies=[version, colour_by, lang])
        if charts is not None:
            solara.FigureMatplotlib(charts, format="png", dependencies=[version, lang])
        else:
            solara.Info(t("no_data", lang))


@solara.component
def CompareView(settings, lang, comparison):
    (other, set_other), (replicates, set_replicates), (weeks, set_weeks) = comparison

    def work():
        runs = compare(settings, other, replicates, weeks, progress=task.progress)
        runs.attrs["other"] = other  # label the result with what was compared
        return runs

    task = solara.lab.use_task(work, dependencies=None)
    with solara.Row():
        presets = {scenario_label(n, lang): n for n in SCENARIOS}
        solara.Select(
            label=t("compare_with", lang),
            values=list(presets),
            value=scenario_label(other, lang),
            on_value=lambda label: set_other(presets[label]),
        )
        solara.SliderInt(
            t("replicates", lang), value=replicates, min=2, max=20, on_value=set_replicates
        )
        solara.SliderInt(t("weeks", lang), value=weeks, min=13, max=260, on_value=set_weeks)
        solara.Button(
            t("compare_button", lang),
            on_click=task,
            disabled=task.pending,
            classes=["compare-button"],
        )
    if task.pending:
        solara.Text(t("comparing", lang))
        solara.ProgressLinear(value=task.progress or True)
    elif task.finished and task.value is not None:
        runs = task.value
        labels = {
            "chosen": f"{t('on_screen', lang)} ({scenario_label(settings['scenario'], lang)})",
            "other": scenario_label(runs.attrs["other"], lang),
        }
        if runs.week.max() < settings["params"]["reform_week"]:
            solara.Warning(t("before_reform", lang))
        solara.FigureMatplotlib(
            draw_comparison(runs, labels, lang), format="png", dependencies=[id(runs), lang]
        )
        solara.Text(
            f"{t('difference', lang)}: {labels['chosen']} − {labels['other']}",
            style={"font-weight": "bold"},
            classes=["comparison-result"],
        )
        solara.DataFrame(end_differences(runs, lang))
    elif task.error:
        solara.Error(f"{t('error', lang)}: {task.exception}")


@solara.component
def ExportView(settings, model, lang, comparison):
    (other, _), (replicates, _), (weeks, _) = comparison
    solara.Text(t("export_help", lang))
    solara.FileDownload(
        lambda: scenario_toml(settings, other, replicates, weeks).encode(),
        filename="scenario.toml",
        label=t("download_toml", lang),
        mime_type="application/toml",
    )

    solara.FileDownload(
        lambda: export_csv(model, settings["seed"]),
        filename="weekly.csv",
        label=t("download_csv", lang),
        mime_type="text/csv",
    )
