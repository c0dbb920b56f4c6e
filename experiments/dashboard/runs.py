"""What the dashboard runs: settings → model, replicated comparisons, exports, links.

Plain functions (no widgets) so they are tested without a browser. *Settings* are one dict::

    {"scenario": "baseline", "seed": 0, "weeks": 156, "params": {name: value, ...}}

``params`` holds every registry parameter as shown on screen. Lever values switch on at
``reform_week`` (as a named scenario's levers do); every other parameter holds from week 0.
The model on screen is always rebuilt from the settings and replayed to the week on screen,
so what is set is what runs, and every export can be reproduced from its stamp.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.model import CommunityModel
from model.params import PARAMS, Param, ParameterError, defaults, parse_value
from model.scenarios import SCENARIOS

from ..spec import SpecError
from .i18n import choice_label, param_label, param_name, scenario_label, t

HORIZON = 156  # three years: the paper's cycle of reform and disappointment
END_WEEKS = 52  # "at the end" = mean of the last fiscal year, as the model's _end figures
#: Dashboard ranges narrower than the registry's, to keep the page responsive.
UI_LIMITS = {
    "department_budget": (0, 1000),
    "community_fund": (0, 1000),
    "reform_week": (0, 520),
}
#: Parameters not offered as widgets (a file path is not for a web page).
HIDDEN = {"network_file"}
#: Parameters that only apply when another one has a given value, by name prefix.
APPLIES_WHEN = {
    "ws_": ("network_kind", "watts_strogatz"),
    "ties_": ("network_kind", "nested_sbm"),
    "whistle_deadline": ("whistle", True),
}


# ---------------------------------------------------------------------- limits
@dataclass(frozen=True)
class Limits:
    """Caps for a server shared on an intranet, set by whoever starts it.

    ``civicloop dashboard --max-residents … --max-replicates … --max-jobs …`` passes them
    to the server process as environment variables.
    """

    max_residents: int = 20_000
    max_replicates: int = 30
    max_weeks: int = 520
    max_jobs: int = 2  # heavy jobs (comparisons, long replays) at once, all sessions together
    queue_seconds: float = 20.0  # how long a job waits for a free slot before "busy"

    @classmethod
    def from_env(cls) -> Limits:
        def get(name: str, default: float, kind=int):
            raw = os.environ.get(f"CIVICLOOP_DASHBOARD_{name.upper()}")
            return kind(raw) if raw else default

        return cls(
            max_residents=get("max_residents", cls.max_residents),
            max_replicates=get("max_replicates", cls.max_replicates),
            max_weeks=get("max_weeks", cls.max_weeks),
            max_jobs=max(1, get("max_jobs", cls.max_jobs)),
            queue_seconds=get("queue_seconds", cls.queue_seconds, float),
        )


LIMITS = Limits.from_env()


class Busy(RuntimeError):
    """No slot for heavy work freed up in time."""


class WorkGate:
    """At most ``slots`` heavy jobs at once across every session of this server."""

    def __init__(self, slots: int) -> None:
        self._sem = threading.BoundedSemaphore(slots)
        self.slots = slots

    @contextmanager
    def slot(self, wait: float) -> Iterator[None]:
        if not self._sem.acquire(timeout=wait):
            raise Busy("no free slot")
        try:
            yield
        finally:
            self._sem.release()


#: Comparisons (seconds to minutes) and replays (under a second or two, bounded by the caps)
#: queue separately, so that a page can always be reset while others compare.
GATE = WorkGate(LIMITS.max_jobs)
REPLAYS = WorkGate(LIMITS.max_jobs)


def ui_range(p: Param, limits: Limits = LIMITS) -> tuple[float, float]:
    low, high = UI_LIMITS.get(p.name, (p.low, p.high))
    if p.name == "n_residents":
        high = min(high, limits.max_residents)
    return low, high


# ---------------------------------------------------------------------- settings
def settings_for(scenario: str = "baseline", seed: int = 0, weeks: int = HORIZON) -> dict:
    """Settings of a preset: the defaults with the preset's lever values."""
    return {
        "scenario": scenario,
        "seed": int(seed),
        "weeks": int(weeks),
        "params": {**defaults(), **SCENARIOS[scenario]["levers"]},
    }


def with_preset(settings: dict, scenario: str) -> dict:
    """The settings with another preset's levers; community, residents, services stay."""
    params = dict(settings["params"])
    for k, p in PARAMS.items():
        if p.lever:
            params[k] = SCENARIOS[scenario]["levers"].get(k, p.default)
    return {**settings, "scenario": scenario, "params": params}


def split_settings(settings: dict) -> tuple[dict, dict, int]:
    """Settings → (values from week 0, levers switched at the reform week, that week)."""
    week = int(settings["params"]["reform_week"])
    diff = {
        k: v for k, v in settings["params"].items() if v != PARAMS[k].default and k != "reform_week"
    }
    levers = {k: v for k, v in diff.items() if PARAMS[k].lever}
    fixed = {k: v for k, v in diff.items() if not PARAMS[k].lever}
    return fixed, levers, week


def differences(settings: dict) -> list[tuple[str, Any, Any, int | None]]:
    """(name, status-quo value, value on screen, week it applies from or None) per change."""
    fixed, levers, week = split_settings(settings)
    out = [(k, PARAMS[k].default, v, None) for k, v in fixed.items()]
    out += [(k, PARAMS[k].default, v, week) for k, v in levers.items()]
    return out


def applies(p: Param, params: dict) -> bool:
    """Does the parameter matter with the other settings as they are?"""
    for prefix, (name, value) in APPLIES_WHEN.items():
        if p.name.startswith(prefix) and params.get(name) != value:
            return False
    return True


def tier(p: Param) -> str:
    """levers (the paper's policy levers and their timing), community, or advanced.

    Derived from the registry: levers are ``Param.lever`` plus the lever group's timing;
    community settings are the community group except its technical network choices (a
    choice and what depends on it); residents' behaviour and services are advanced.
    """
    if p.lever or p.group == "levers":
        return "levers"
    if p.group == "community":
        technical = p.choices is not None or any(p.name.startswith(x) for x in APPLIES_WHEN)
        return "advanced" if technical else "community"
    return "advanced"


def preset_changes(settings: dict) -> int:
    """How many parameters differ from the settings' preset."""
    preset = settings_for(settings["scenario"])["params"]
    return sum(v != preset[k] for k, v in settings["params"].items())


def same_as_preset(settings: dict) -> bool:
    return preset_changes(settings) == 0


def chosen_label(settings: dict, lang: str) -> str:
    preset = scenario_label(settings["scenario"], lang)
    return preset if same_as_preset(settings) else t("on_screen_based", lang, preset=preset)


# ---------------------------------------------------------------------- runs
def build_model(settings: dict) -> CommunityModel:
    """A model from the settings; raises ``ParameterError`` (a ValueError) if they clash."""
    fixed, levers, week = split_settings(settings)
    schedule = [{"week": week, "set": levers}] if levers else []
    return CommunityModel(rng=settings["seed"], interventions=schedule, reform_week=week, **fixed)


def run_to(model: CommunityModel, week: int) -> CommunityModel:
    """Step the model (without drawing) until ``week`` weeks have run."""
    while model.week < week:
        model.step()
    return model


def grid_ids(model: CommunityModel) -> np.ndarray:
    """Each resident's grid worker (``model.grid`` is the Mesa space)."""
    return np.asarray(model.grid_index)


def weekly_frame(model: CommunityModel) -> pd.DataFrame:
    """One row per week run; ``week`` counts from 1, so the last row is the week on screen."""
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame.insert(0, "week", np.arange(1, len(frame) + 1))
    return frame


def compare(settings: dict, other: str, replicates: int, weeks: int, progress=None) -> pd.DataFrame:
    """Replicates of the settings on screen ("chosen") and of a preset ("other").

    The preset keeps everything on screen except the levers (a fair comparison: same
    community, same reform week), and replicate *r* of both uses seed ``seed + r``
    (common random numbers). Returns one row per run and week.
    """
    other_settings = with_preset(settings, other)
    frames = []
    for k, (role, s) in enumerate((("chosen", settings), ("other", other_settings))):
        for r in range(replicates):
            model = run_to(build_model({**s, "seed": settings["seed"] + r}), weeks)
            frame = weekly_frame(model)
            frame["scenario"], frame["replicate"] = role, r
            frames.append(frame)
            if progress is not None:
                progress(100 * (k * replicates + r + 1) / (2 * replicates))
    runs = pd.concat(frames, ignore_index=True)
    runs.attrs.update(settings=settings, other=other, replicates=replicates, weeks=weeks)
    return runs


def comparison_bands(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    from scipy import stats

    g = runs.groupby(["scenario", "week"], sort=False)[metric]
    out = g.agg(["mean", "sem", "count"]).reset_index()
    half = stats.t.ppf(0.975, np.maximum(out["count"] - 1, 1)) * out["sem"].fillna(0)
    out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    return out


#: Measures at the end: column, message key, kind ("rate" in percentage points, or a number
#: with its decimals).
END_MEASURES = (
    ("participation_rate", "participation", "rate"),
    ("satisfaction_rate", "satisfaction", "rate"),
    ("completion_rate", "completion", "rate"),
    ("resolution_rate", "resolution", "rate"),
    ("mean_efficacy", "efficacy", 3),  # 0.074 → 0.085: +0.011 reads as it adds up
    ("backlog", "backlog", 0),
    ("budget_spent", "budget_year", 0),
)
#: Running totals: "at the end" is what was added over the last END_WEEKS weeks.
CUMULATIVE = ("budget_spent",)


def end_differences(runs: pd.DataFrame) -> pd.DataFrame:
    """Per measure: mean of each arm and chosen − other, paired by seed, with a 95 % CI.

    Rates are in percent and their differences in percentage points.
    """
    from scipy import stats

    start = runs.week.max() - END_WEEKS
    last = runs[runs.week > start]
    rows = []
    for col, key, kind in END_MEASURES:
        if col in CUMULATIVE:  # the total at the end minus the total before the window
            by = runs.set_index(["scenario", "replicate", "week"])[col]
            end = by.xs(runs.week.max(), level="week")
            before = by.xs(start, level="week") if start >= 1 else 0.0
            per = (end - before).unstack(0)
        else:
            per = last.groupby(["scenario", "replicate"])[col].mean().unstack(0)
        scale = 100.0 if kind == "rate" else 1.0
        diff = (per["chosen"] - per["other"]).to_numpy() * scale
        m = float(diff.mean())
        if diff.size > 1 and diff.std(ddof=1) > 0:
            half = float(stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size))
        else:
            half = 0.0 if diff.size > 1 else float("nan")
        rows.append(
            {
                "measure": col,
                "key": key,
                "kind": kind,
                "other": float(per["other"].mean()) * scale,
                "chosen": float(per["chosen"].mean()) * scale,
                "diff": m,
                "lo": m - half,
                "hi": m + half,
            }
        )
    return pd.DataFrame(rows)


def _num(x: float, decimals: int = 0, sign: bool = False) -> str:
    text = f"{x:+,.{decimals}f}" if sign else f"{x:,.{decimals}f}"
    if float(text.replace(",", "")) == 0:  # "−0" and "+0" are nothing
        text = text.lstrip("+-")
    return text.replace("-", "−")


def comparison_sentence(runs: pd.DataFrame, lang: str) -> str:
    """The comparison in one sentence, e.g. "与现状相比，北京模式使满意率提高约 40 个百分点…"."""
    diffs = end_differences(runs).set_index("measure")
    s = runs.attrs["settings"]
    parts = []
    for col in ("participation_rate", "satisfaction_rate"):
        r = diffs.loc[col]
        measure = t(r["key"], lang) if lang == "zh" else t(r["key"], lang).lower()
        # whole points when the interval is wide; one decimal when it would round to nothing
        dec = 0 if min(abs(r["lo"]), abs(r["hi"])) >= 10 else 1
        lo, hi = _num(r["lo"], dec), _num(r["hi"], dec)
        if r["lo"] > 0:
            key = "sentence_up"
        elif r["hi"] < 0:
            key, lo, hi = "sentence_down", _num(-r["hi"], dec), _num(-r["lo"], dec)
        else:
            key, lo, hi = "sentence_same", _num(r["lo"], 1, True), _num(r["hi"], 1, True)
        parts.append(t(key, lang, measure=measure, d=_num(abs(r["diff"]), dec), lo=lo, hi=hi))
    intro = t(
        "sentence_intro",
        lang,
        other=scenario_label(runs.attrs["other"], lang),
        chosen=chosen_label(s, lang),
    )
    return (
        intro + t("sentence_and", lang).join(parts) + t("sentence_end", lang) + _costs(diffs, lang)
    )


def _costs(diffs: pd.DataFrame, lang: str) -> str:
    """What it costs, in a second sentence: the last 52 weeks' spending always, the backlog
    when it clearly changes (a director reading only the sentence must not miss either)."""
    parts = []
    for col, always in (("budget_spent", True), ("backlog", False)):
        r = diffs.loc[col]
        clear = r["lo"] > 0 or r["hi"] < 0
        if not (clear or always):
            continue
        d, lo, hi = (_num(abs(x)) for x in (r["diff"], r["lo"], r["hi"]))
        if not clear:
            key, lo, hi = f"cost_{col}_same", _num(r["lo"], 0, True), _num(r["hi"], 0, True)
        elif r["diff"] > 0:
            key = f"cost_{col}_up"
        else:
            key, lo, hi = f"cost_{col}_down", _num(-r["hi"]), _num(-r["lo"])
        parts.append(t(key, lang, d=d, lo=lo, hi=hi))
    joined = t("sentence_and", lang).join(parts)
    return f" {joined[0].upper()}{joined[1:]}." if lang == "en" else f"{joined}。"


def comparison_table(runs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The differences over the last 52 weeks as an official reads them: UI language, units,
    no index."""
    s = runs.attrs["settings"]
    other, chosen = scenario_label(runs.attrs["other"], lang), chosen_label(s, lang)
    rows = []
    for _, r in end_differences(runs).iterrows():
        if r["kind"] == "rate":
            fmt = lambda x: f"{x:.1f}%"  # noqa: E731
            d = f"{_num(r['diff'], 1, True)} {t('pp', lang)}"
            ci = f"{_num(r['lo'], 1, True)} – {_num(r['hi'], 1, True)}"
        else:
            dec = int(r["kind"])
            fmt = lambda x, dec=dec: _num(x, dec)  # noqa: E731
            d = _num(r["diff"], dec, True)
            ci = f"{_num(r['lo'], dec, True)} – {_num(r['hi'], dec, True)}"
        rows.append(
            {
                t("measure", lang): t(r["key"], lang),
                other: fmt(r["other"]),
                chosen: fmt(r["chosen"]),
                t("difference", lang): d,
                t("ci", lang): ci,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- errors
def explain_error(exc: Exception, params: dict, lang: str) -> dict[str, str]:
    """A model's complaint as messages in the UI language, keyed by the parameter to fix.

    Keys are parameter names (the message goes next to that control) or ``""`` (shown
    next to the scenario). Internal names never reach the page.
    """
    text = str(exc)
    named = sorted((n for n in PARAMS if re.search(rf"\b{n}\b", text)), key=text.find)
    if len(named) >= 2 and "≤ 1" in text:
        a, b = PARAMS[named[0]], PARAMS[named[1]]
        msg = t(
            "err_sum",
            lang,
            a=param_name(a, lang),
            b=param_name(b, lang),
            va=format_value(a, params[a.name], lang),
            vb=format_value(b, params[b.name], lang),
        )
        return {b.name: msg}
    if len(named) == 1 and "not allowed" in text:
        p = PARAMS[named[0]]
        low, high = ui_range(p)
        allowed = format_range(p, low, high, lang)
        value = format_value(p, params.get(p.name), lang)
        return {
            p.name: t("err_range", lang, label=param_name(p, lang), value=value, allowed=allowed)
        }
    sep = "、" if lang == "zh" else ", "
    which = sep.join(param_name(PARAMS[n], lang) for n in named)
    which = f"（{which}）" if which and lang == "zh" else (f" ({which})" if which else "")
    return {(named[-1] if named else ""): t("err_generic", lang, which=which)}


# ---------------------------------------------------------------------- display of values
def is_share(p: Param) -> bool:
    """A float without unit between 0 and at most 1: a share or chance, shown in percent."""
    return p.type is float and not p.unit and p.low == 0 and p.high is not None and p.high <= 1


def format_range(p: Param, low: float, high: float, lang: str, unit: bool = True) -> str:
    """The range with the unit once, at the end: "0 – 1,000万元/年/千户"."""
    bare = (
        f"{low * 100:.3g}" if is_share(p) else (f"{int(low):,}" if p.type is int else f"{low:,.4g}")
    )
    return t("range", lang, low=bare, high=format_value(p, high, lang, unit))


def format_value(p: Param, value: Any, lang: str, unit: bool = True) -> str:
    """A value as a reader expects it: shares in percent, units, yes/no, choice names."""
    if value is None:
        return "–"
    if p.type is bool:
        return t("yes", lang) if value else t("no", lang)
    if p.choices:
        return choice_label(value, lang)
    if p.type is str:
        return str(value)
    from .i18n import unit_label

    unit = unit_label(p, lang) if unit else ""
    if is_share(p):
        return f"{float(value) * 100:.3g}%"
    text = f"{int(value):,}" if p.type is int else f"{float(value):,.4g}"
    if not unit:
        return text
    return f"{text} {unit}" if lang == "en" or unit[0].isascii() else f"{text}{unit}"


# ---------------------------------------------------------------------- stamps and exports
@cache
def version() -> str:
    """civicloop's version and, in a checkout, the git commit (read once)."""
    from importlib import metadata

    try:
        v = metadata.version("civicloop")
    except metadata.PackageNotFoundError:
        v = "unknown"
    try:
        root = Path(__file__).resolve().parents[2]
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
            timeout=5,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{v} ({commit})" if commit else v


def stamp(settings: dict, weeks_run: int, lang: str, runs: pd.DataFrame | None = None) -> list:
    """(label, value) lines that identify a result: settings, seed, weeks, version, time."""
    sep, (opening, closing) = ("；", "（）") if lang == "zh" else ("; ", (" (", ")"))
    changes = [
        f"{param_name(PARAMS[k], lang)} = {format_value(PARAMS[k], v, lang)}"
        + (f"{opening}{t('from_week', lang, week=w)}{closing}" if w is not None else "")
        for k, _, v, w in differences(settings)
    ]
    lines = [
        (t("stamp_scenario", lang), chosen_label(settings, lang)),
        (t("stamp_seed", lang), str(settings["seed"])),
        (t("stamp_weeks", lang), str(weeks_run)),
        (t("stamp_settings", lang), sep.join(changes) or t("differs_none", lang)),
    ]
    if runs is not None:
        lines += [
            (t("stamp_compared", lang), scenario_label(runs.attrs["other"], lang)),
            (t("stamp_replicates", lang), str(runs.attrs["replicates"])),
        ]
    lines += [
        (t("stamp_version", lang), f"civicloop {version()}"),
        (t("stamp_exported", lang), datetime.now().strftime("%Y-%m-%d %H:%M")),
        (t("link", lang), page_address() + "?" + to_query(settings, lang)),
    ]
    return lines


def page_address() -> str:
    """Where the reader opened the page (``http://host:port/``, from the request's headers,
    a proxy's forwarded ones first, under Solara's root path or a proxy's prefix), so that
    a downloaded file's link leads back to it; "" outside a page."""
    try:
        import solara.lab
        import solara.server.settings

        headers = solara.lab.headers.value or {}
        root = solara.server.settings.main.root_path or ""
    except Exception:  # noqa: BLE001 – no page, no address
        return ""

    def first(name: str) -> str:
        values = headers.get(name) or [""]
        return values[0].split(",")[0].strip()

    host = first("x-forwarded-host") or first("host")
    if not host:
        return ""
    prefix = (root or first("x-forwarded-prefix")).strip("/")
    return f"{first('x-forwarded-proto') or 'http'}://{host}/" + (f"{prefix}/" if prefix else "")


def _csv_with_stamp(frame: pd.DataFrame, lines: list) -> bytes:
    """CSV with ``# label: value`` lines on top (``pandas.read_csv(comment="#")`` skips
    them); UTF-8 with a byte-order mark so that Excel on Windows shows the Chinese."""
    buf = io.StringIO()
    for label, value in lines:
        buf.write(f"# {label}: {value}\n")
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


WEEKLY_COLUMNS = (
    ("participation_rate", "participation", "rate"),
    *((f"participation_rate_{g}", g, "rate")
      for g in ("retired", "working", "youth", "low_income", "party")),
    ("satisfaction_rate", "satisfaction", "rate"),
    ("completion_rate", "completion", "rate"),
    ("resolution_rate", "resolution", "rate"),
    ("mean_efficacy", "efficacy", 3),
    ("response_time_mean", "response_time", 2),
    ("backlog", "backlog", 0),
    ("budget_spent", "budget", 2),
)  # fmt: skip


def weekly_csv(model: CommunityModel, settings: dict, lang: str) -> bytes:
    """The weekly series of the run on screen in the UI language, rates in percent."""
    frame = weekly_frame(model)
    out = pd.DataFrame({t("week", lang): frame["week"]})
    for col, key, kind in WEEKLY_COLUMNS:
        if col not in frame:
            continue
        label = t(key, lang)
        if col.startswith("participation_rate_"):
            label = (
                f"{t('participation', lang)}：{label}"
                if lang == "zh"
                else f"{t('participation', lang)}: {label}"
            )
        if kind == "rate":
            out[f"{label} (%)"] = (frame[col] * 100).round(1)
        else:
            out[label] = frame[col].round(int(kind))
    return _csv_with_stamp(out, stamp(settings, model.week, lang))


def comparison_csv(runs: pd.DataFrame, lang: str) -> bytes:
    s = runs.attrs["settings"]
    return _csv_with_stamp(comparison_table(runs, lang), stamp(s, runs.attrs["weeks"], lang, runs))


def scenario_name(settings: dict) -> str:
    """The named scenario the settings' levers are, or ``on_screen`` once a lever was changed
    (what the page's exports call the run)."""
    _, levers, _ = split_settings(settings)
    preset = settings["scenario"]
    preset_levers = {k: v for k, v in SCENARIOS[preset]["levers"].items() if v != PARAMS[k].default}
    return preset if levers == preset_levers else "on_screen"


def scenario_toml(
    settings: dict, compare_with: str = "baseline", replicates: int = 10, lang: str = "en"
) -> str:
    """The scenario on screen as an experiment spec that ``civicloop sweep`` accepts; its
    comments and description in the page's language (the keys are the registry's names)."""
    import tomli_w

    fixed, _, week = split_settings(settings)
    name = scenario_name(settings)
    if name == compare_with:
        name = f"{name}_on_screen"
    # from the preset on screen, with the levers moved from it: the file opens as it was
    preset = settings["scenario"]
    scenario: dict[str, Any] = {"from": preset}
    theirs = SCENARIOS[preset]["levers"]
    moved = {
        k: v
        for k, v in settings["params"].items()
        if PARAMS[k].lever and k != "reform_week" and v != theirs.get(k, PARAMS[k].default)
    }
    if moved:
        scenario["interventions"] = [{"week": week, "set": moved}]
    spec = {
        "name": f"dashboard_{name}",
        "description": t("toml_description", lang, version=version()),
        "weeks": int(settings["weeks"]),
        "replicates": int(replicates),
        "seed": int(settings["seed"]),
        "base": {**fixed, "reform_week": week},
        "scenarios": {name: scenario, compare_with: compare_with},
    }
    head = t("toml_head", lang, version=version(), when=f"{datetime.now():%Y-%m-%d %H:%M}")
    return "".join(f"# {line}\n" for line in head.splitlines()) + tomli_w.dumps(spec)


# ---------------------------------------------------------------------- scenario files
#: Largest scenario file the page accepts (a spec is a few hundred bytes).
MAX_SPEC_BYTES = 64_000


class PageRefusal(SpecError):
    """Why the page cannot show a scenario file, in the reader's language: ``str()`` is the
    English message (the command line's), :meth:`say` gives it in ``lang``."""

    def __init__(self, source: str, scenario: str | None, key: str, **fields: Any) -> None:
        self.scenario, self.what = scenario, key
        super().__init__("", source, **fields)
        self.args = (self.say("en"),)

    def say(self, lang: str) -> str:
        where = self.source
        if self.scenario is not None:
            where += (f"：情景“{self.scenario}”" if lang == "zh"
                      else f": scenario {self.scenario!r}")  # fmt: skip
        return f"{where}{'：' if lang == 'zh' else ': '}{t(self.what, lang, **self.fields)}"


def spec_error_zh(exc: SpecError) -> str | None:
    """The spec checker's common complaints in Chinese (``None``: only said in English)."""
    where = exc.source + (f" 第 {exc.line} 行" if exc.line else "")
    where += f"，{exc.key}" if exc.key else ""
    f, cause = exc.fields, exc.cause
    if exc.code == "toml":
        at = re.search(r"at line (\d+), column (\d+)", f.get("detail", ""))
        place = f"（第 {at[1]} 行第 {at[2]} 列有误）" if at else ""
        return (f"{exc.source}：不是有效的 TOML 文件{place}。请打开本页导出的情景文件，"
                "或 civicloop 政策搜索导出的方案。")  # fmt: skip
    if isinstance(cause, ParameterError) and cause.kind == "unknown":
        hint = f"（是否想写：{'、'.join(cause.close)}？）" if cause.close else ""
        return f"{where}：没有名为“{cause.name}”的参数{hint}"
    if isinstance(cause, ParameterError) and cause.kind == "not_allowed":
        p = PARAMS[cause.name]
        shown = f"，即页面上的 {p.low * 100:g}–{p.high * 100:g}%" if is_share(p) else ""
        return (f"{where}：{p.label_zh}（{p.name}）不能取 {cause.value!r}；"
                f"允许：{p.allowed_zh()}{shown}")  # fmt: skip
    if exc.code == "name":
        return f'{where}：必须填写实验名称（字母、数字、“_”或“-”），例如 name = "my_scenario"'
    if exc.code == "integer":
        return f"{where}：须为 [{f['low']}, {f['high']}] 之间的整数，文件中为 {f['value']!r}"
    if exc.code == "required":
        return f"{where}：必须填写（一个整数）"
    if exc.code == "unknown_key":
        close = difflib.get_close_matches(exc.key.split(".")[-1], f["allowed"], n=1, cutoff=0.6)
        hint = f"（是否想写：{close[0]}？）" if close else ""
        return f"{where}：不认识的键{hint}；允许的键：{'、'.join(f['allowed'])}"
    if exc.code == "unknown_scenario":
        close = difflib.get_close_matches(f["name"], list(SCENARIOS), n=1, cutoff=0.6)
        hint = f"（是否想写：{close[0]}？）" if close else ""
        known = "、".join(f"{n}（{scenario_label(n, 'zh')}）" for n in SCENARIOS)
        return f"{where}：没有名为“{f['name']}”的预设情景{hint}；可用：{known}"
    return None


def settings_from_spec(text: str, source: str = "<file>", scenario: str | None = None,
                       limits: Limits = LIMITS) -> dict:  # fmt: skip
    """Settings of one scenario of an experiment spec (see :func:`scenario_from_spec`)."""
    return scenario_from_spec(text, source, scenario, limits)[1]


def scenario_from_spec(text: str, source: str = "<file>", scenario: str | None = None,
                       limits: Limits = LIMITS) -> tuple[str, dict]:  # fmt: skip
    """(name, settings) of one scenario of an experiment spec: a file saved from this page,
    a policy of ``civicloop optimize`` (``DIR/policies/*.toml``) or any spec with a
    scenario the page can show.

    The page shows levers switching on at one reform week, so the scenario's interventions
    must set levers only, all at one week; other parameters come from ``[base]`` or the
    scenario's ``set`` and hold from week 0. ``scenario`` picks one by name; by default the
    first that is not the plain status quo and that the page can show. Raises
    :class:`experiments.spec.SpecError` naming the file and what is wrong (by default, with
    the first scenario's reason).
    """
    from experiments.spec import parse_spec

    spec = parse_spec(text, source)
    if spec.sweep or spec.design:
        raise PageRefusal(source, None, "spec_sweeps")
    names = [s.name for s in spec.scenarios]
    if scenario is not None and scenario not in names:
        raise PageRefusal(source, None, "spec_no_scenario", name=scenario, names=", ".join(names))

    def plain(s) -> bool:
        return s.base == "baseline" and not s.params and not s.interventions

    if scenario is not None:
        candidates = [s for s in spec.scenarios if s.name == scenario]
    else:
        candidates = [s for s in spec.scenarios if not plain(s)] or spec.scenarios[:1]
    first_error = None
    for chosen in candidates:
        try:
            return chosen.name, _scenario_settings(spec, chosen, source, limits)
        except SpecError as exc:
            first_error = first_error or exc
    raise first_error


def _scenario_settings(spec, chosen, source: str, limits: Limits) -> dict:
    """Settings of the scenario ``chosen`` of ``spec``, or a PageRefusal saying why not."""
    early = sorted(k for k, v in {**spec.base, **chosen.params}.items()
                   if PARAMS[k].lever and v != PARAMS[k].default)  # fmt: skip
    if early:
        raise PageRefusal(source, chosen.name, "spec_early_levers", names=", ".join(early))
    settings = settings_for(chosen.base, weeks=spec.weeks)
    params = settings["params"]
    params.update(spec.base)
    params.update(chosen.params)
    weeks = sorted({item["week"] for item in chosen.interventions})
    if len(weeks) > 1:
        raise PageRefusal(source, chosen.name, "spec_many_weeks", weeks=", ".join(map(str, weeks)))
    for item in chosen.interventions:
        others = sorted(k for k in item["set"] if not PARAMS[k].lever)
        if others:
            raise PageRefusal(source, chosen.name, "spec_not_levers", names=", ".join(others))
        if chosen.base != "baseline" and item["week"] != params["reform_week"]:
            raise PageRefusal(source, chosen.name, "spec_preset_week", preset=chosen.base,
                              week=params["reform_week"], at=item["week"])  # fmt: skip
        params["reform_week"] = item["week"]
        params.update(item["set"])
    if not 1 <= spec.weeks <= limits.max_weeks:
        raise PageRefusal(source, None, "spec_weeks", weeks=spec.weeks, most=limits.max_weeks)
    if not 0 <= spec.seed < 2**31:
        raise PageRefusal(source, None, "spec_seed", seed=spec.seed, most=2**31 - 1)
    for name, value in params.items():
        p = PARAMS[name]
        if value == p.default:
            continue
        if name in HIDDEN:
            raise PageRefusal(source, chosen.name, "spec_hidden", name=name)
        low, high = ui_range(p, limits)
        if p.type in (int, float) and not low <= value <= high:
            raise PageRefusal(source, chosen.name, "spec_cap", name=name, value=value, low=low,
                              high=high)  # fmt: skip
    settings["seed"] = spec.seed
    return settings


# ---------------------------------------------------------------------- links
def to_query(settings: dict, lang: str = "") -> str:
    """The settings as a URL query: scenario, seed, weeks, language (left out when empty:
    the page's default) and what differs."""
    base = settings_for(settings["scenario"])["params"]
    q: dict[str, Any] = {
        "scenario": settings["scenario"],
        "seed": settings["seed"],
        "weeks": settings["weeks"],
    }
    if lang:
        q["lang"] = lang
    for k, v in settings["params"].items():
        if v != base[k]:
            q[k] = str(v).lower() if isinstance(v, bool) else v
    return urllib.parse.urlencode(q)


def from_query(search: str | None, limits: Limits = LIMITS) -> tuple[dict, str | None, list]:
    """Settings, language and the names that could not be used, from a URL query."""
    q = dict(urllib.parse.parse_qsl(search or ""))
    bad: list[str] = []
    scenario = q.pop("scenario", "baseline")
    if scenario not in SCENARIOS:
        bad.append("scenario")
        scenario = "baseline"
    settings = settings_for(scenario)
    lang = q.pop("lang", None)
    if lang not in (None, "en", "zh"):
        bad.append("lang")
        lang = None
    for key, cap in (("seed", 2**31 - 1), ("weeks", limits.max_weeks)):
        if key in q:
            raw = q.pop(key)
            try:
                value = int(raw)
                if not 0 <= value <= cap or (key == "weeks" and value < 1):
                    raise ValueError
                settings[key] = value
            except ValueError:
                bad.append(key)
    for name, raw in q.items():
        p = PARAMS.get(name)
        if p is None or name in HIDDEN:
            bad.append(name)
            continue
        try:
            value = parse_value(name, raw)
        except ParameterError:
            bad.append(name)
            continue
        low, high = ui_range(p, limits)
        if p.type in (int, float) and not low <= value <= high:
            bad.append(name)
            continue
        settings["params"][name] = value
    return settings, lang, bad


def link_problems(search: str | None, bad: list[str], lang: str, limits: Limits = LIMITS) -> str:
    """Each setting of a link that was not used, as the page names it: its label in the
    page's language, the value the link gave and what is allowed (not the internal name)."""
    q = dict(urllib.parse.parse_qsl(search or ""))

    def span(low, high) -> str:
        return t("url_range", lang, low=f"{low:g}", high=f"{high:g}")

    told = []
    for name in bad:
        value = q.get(name, "")
        p = None if name in HIDDEN else PARAMS.get(name)
        if name == "scenario":
            label, allowed = t("preset", lang), t("url_scenario", lang)
        elif name == "lang":
            label, allowed = "lang", t("url_or", lang).join(("en", "zh"))
        elif name in ("seed", "weeks"):
            label = t("seed" if name == "seed" else "horizon", lang)
            allowed = span(0, 2**31 - 1) if name == "seed" else span(1, limits.max_weeks)
        elif p is None:
            told.append(t("url_unknown", lang, name=name))
            continue
        else:
            label = param_name(p, lang)
            if p.choices is not None:
                allowed = t("url_or", lang).join(p.choices)
            elif p.type is bool:
                allowed = t("url_or", lang).join(("true", "false"))
            else:
                allowed = span(*ui_range(p, limits))
        told.append(t("url_value", lang, label=label, value=value, allowed=allowed))
    return "、".join(told) if lang == "zh" else "; ".join(told)


def labelled_params(settings: dict, lang: str) -> list[tuple[str, str]]:
    """Every parameter that differs from the status quo, labelled for a brief."""
    return [
        (param_label(PARAMS[k], lang), format_value(PARAMS[k], v, lang)
         + (f"（{t('from_week', lang, week=w)}）" if w is not None and lang == "zh"
            else f" ({t('from_week', lang, week=w)})" if w is not None else ""))
        for k, _, v, w in differences(settings)
    ]  # fmt: skip
