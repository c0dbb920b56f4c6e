"""The Solara dashboard for policy staff: explore and compare scenarios, in 中文 or English.

Start it with ``civicloop dashboard`` (loopback only by default). Everything here works with
no network access: the page's JavaScript comes from the ``solara-assets`` package and the
charts are matplotlib images. Widgets are generated from the parameter registry; all text
comes from the registry, ``model.scenarios`` and the message catalogue (``i18n.py``).

What is set is what runs: every change of a setting rebuilds the model from the settings
and replays it (without drawing) to the week on screen, so the page, the link and every
export always describe one and the same run. Logic lives in ``runs.py`` and drawing in
``figures.py``; the components here only wire them to widgets. All state lives inside the
page component, so two browser sessions never share settings or models.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import html
import io
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import solara
import solara.lab

from model.metrics import WINDOW
from model.model import CommunityModel
from model.params import PARAMS, Param, ParameterError
from model.scenarios import SCENARIOS

from . import figures as fg
from . import runs as rn
from .i18n import (
    choice_label,
    param_help,
    param_label,
    param_name,
    scenario_description,
    scenario_label,
    t,
)
from .runs import LIMITS, Busy

SPEEDS = {"speed_slow": 1, "speed_medium": 4, "speed_fast": 13}
FRAME_SECONDS = 0.05  # pause between animation frames (drawing takes longer)

CSS = """
.cl-page { max-width: 100%; overflow-x: hidden; color: #1f2328; padding: 0 8px 64px 8px;
  box-sizing: border-box; }
.cl-page *:focus-visible { outline: 3px solid #0b57d0 !important; outline-offset: 2px; }
.cl-page .v-select input:focus-visible { outline: none !important; }
.cl-page .v-select .v-input__slot:has(input:focus-visible) {
  outline: 3px solid #0b57d0; outline-offset: -1px; }  /* inside: the column clips its left edge */
.cl-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px;
  border-bottom: 1px solid #d0d7de; padding: 4px 0 8px 0; margin-bottom: 12px; }
.cl-head h1 { font-size: 1.35rem; margin: 0; font-weight: 600; }
.spec-drop .solara-file-drop { border: 1px dashed #8c959f; border-radius: 4px; padding: 8px;
  margin: 6px 0; font-size: 0.85rem; color: #57606a; min-height: 3em; }
.cl-head .cl-sub { color: #424a53; font-size: 0.9rem; }
.cl-body { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.cl-side { flex: 0 0 320px; max-width: 320px; min-width: 0; }
.cl-main { flex: 1 1 540px; min-width: 0; max-width: 100%; }
/* a phone: the run and its figures first, the settings below them (they were 2,000 px of
   sliders above the first result); the keyboard order stays settings first */
@media (max-width: 700px) { .cl-side { flex: 1 1 100%; max-width: 100%; }
  .cl-main { order: -1; } }
.cl-figs { display: grid !important; gap: 12px;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 470px), 1fr)); }
.cl-fig img, img.cl-fig { width: 100%; height: auto; display: block; }
.cl-cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.cl-card { flex: 1 1 7.5em; min-width: 7.5em; max-width: 12em; border: 1px solid #8c959f !important;
  border-radius: 6px; padding: 4px 8px; text-align: center; background: #fff; }
.cl-card .cl-card-label { font-size: 0.8rem; color: #424a53; }
.cards-note { display: block; font-size: 0.8rem; color: #424a53; margin: 0 0 8px 0; }
.cl-card .cl-card-value { font-size: 1.35rem; font-weight: 700; }
.cl-note { color: #1f2328; background: #eef4fb; border-left: 4px solid #0b57d0;
  padding: 6px 10px; margin: 6px 0; font-size: 0.9rem; }
.cl-error { color: #67060c; background: #fdecec; border-left: 4px solid #b00020;
  padding: 6px 10px; margin: 4px 0; font-size: 0.9rem; }
.cl-param { margin-bottom: 4px; }
.cl-param { border-bottom: 1px solid #eaeef2; padding-bottom: 2px; }
.cl-param .v-input { margin-top: 0; padding-top: 0; }
.cl-param .v-input__slider .v-input__slot { flex-wrap: wrap; }
.cl-param .v-input__slider .v-input__slot > .v-label { flex: 1 0 100%; max-width: 100%;
  white-space: normal; color: #1f2328 !important; margin-bottom: -4px; height: auto;
  line-height: 1.3; }
.cl-param .v-messages { display: none; }
.cl-param .v-input--switch .v-label { color: #1f2328 !important; }  /* not grey: not disabled */
.cl-param .v-select { margin-top: 12px; }
.cl-param .v-input__control > .v-input__details,
.cl-param .v-text-field__details { min-height: 0; }
.cl-param-value { font-size: 0.85rem; color: #1f2328; margin-top: -6px; }
.cl-param-help { font-size: 0.8rem; color: #424a53; }
.cl-sentence { font-size: 1.1rem; font-weight: 600; margin: 8px 0; }
.cl-table { border-collapse: collapse; max-width: 100%; font-size: 0.9rem; }
.cl-table th, .cl-table td { border-bottom: 1px solid #d0d7de; padding: 4px 8px;
  text-align: right; }
.cl-table th:first-child, .cl-table td:first-child { text-align: left; }
.cl-table-wrap { max-width: 100%; overflow-x: auto; margin-bottom: 48px; }
.cl-controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.replicates-slider { flex: 1 1 14em; min-width: 14em; }  /* a phone wraps it, not shrinks it */
.cl-status { font-size: 0.95rem; color: #1f2328; }
.cl-diff { font-size: 0.9rem; margin: 0; padding-left: 1.2em; }
.v-slider__thumb-label { color: #fff; }
"""


@dataclass
class Run:
    """The run on screen: the settings it was built from and its model.

    ``opening`` names a first screen shared by every visitor who opens the same link (the
    model at its horizon cannot change any more, so its pictures can be shared too).
    """

    settings: dict
    model: CommunityModel
    opening: str | None = None


#: First screens already computed, by link: the model (pickled, so each visitor gets an own
#: copy in milliseconds) and its pictures by (language, colouring). Solara renders the page
#: once at server start, so the status quo is ready before the first visitor arrives.
OPENINGS: dict[str, tuple[bytes, dict]] = {}
MAX_OPENINGS = 16
_openings_lock = threading.Lock()


def start(settings: dict, week: int) -> Run:
    """Build and replay; the caller keeps its previous run if this raises."""
    return Run(settings, rn.run_to(rn.build_model(settings), min(week, settings["weeks"])))


def opening(settings: dict) -> Run:
    """The settings run to their horizon, from the shared first screens when possible."""
    key = rn.to_query(settings, "")
    with _openings_lock:
        cached = OPENINGS.get(key)
    if cached is not None:
        return Run(settings, pickle.loads(cached[0]), key)
    run = start(settings, settings["weeks"])
    with _openings_lock:
        if len(OPENINGS) < MAX_OPENINGS:
            OPENINGS[key] = (pickle.dumps(run.model), {})
    return Run(settings, run.model, key)


def first_run(settings: dict) -> tuple[Run, dict]:
    """The page opens on an answer: the settings (from the link, or the status quo) run to
    the horizon. Settings that cannot run fall back to the status quo, with the reason."""
    try:
        return opening(settings), {}
    except Exception as exc:  # noqa: BLE001 – a link that cannot run opens the status quo
        fallback = rn.settings_for("baseline", settings["seed"], settings["weeks"])
        return opening(fallback), {"__exc__": exc}


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
        (t("backlog", lang), f"{m['backlog']:,.0f}"),
        (t("budget", lang), f"{m['budget_spent']:,.0f}"),
    ]


def spec_scenario_label(name: str, lang: str) -> str:
    """A scenario of an opened file as the page names it: a named scenario by its label, one
    saved from the page (``on_screen``) as the settings on screen, any other by its name."""
    if name in SCENARIOS:
        return scenario_label(name, lang)
    if name == "on_screen" or name.endswith("_on_screen"):
        return t("saved_on_screen", lang)
    return name


def error_places(errors: dict, lang: str) -> str:
    """The settings in error, as the page labels them (they may sit in a folded section)."""
    names = [t("seed", lang) if k == "seed" else param_label(PARAMS[k], lang)
             for k in errors if k == "seed" or k in PARAMS]  # fmt: skip
    return ("、".join(names) if lang == "zh" else ", ".join(names)) or t("settings_word", lang)


def headline_note(model: CommunityModel, lang: str) -> str:
    """What the cards show: rates over the measurement window, not a year's mean."""
    last = model.week
    if last == 0:  # after a reset: the burn-in's last weeks, not weeks "1–0"
        return t("cards_note_start", lang, window=WINDOW)
    return t("cards_note", lang, first=max(1, last - WINDOW + 1), last=last, window=WINDOW)


def reform_marker(settings: dict) -> int | None:
    """The week the levers switch on, if any lever differs from the status quo."""
    _, levers, week = rn.split_settings(settings)
    return week if levers and week <= settings["weeks"] else None


def brief_html(run: Run, lang: str, runs=None) -> bytes:
    """A one-page brief: the sentence, the figure, the settings (self-contained HTML).

    A comparison run for other settings than the run on screen is left out (the brief says
    so): the brief describes one set of settings, as every other file of the page does."""
    s = run.settings
    stale = runs is not None and runs.attrs["settings"] != s
    if stale:
        runs = None
    if runs is not None:
        labels = {"chosen": rn.chosen_label(runs.attrs["settings"], lang),
                  "other": scenario_label(runs.attrs["other"], lang)}  # fmt: skip
        fig = fg.draw_comparison(runs, labels, lang, reform_marker(runs.attrs["settings"]))
        sentence = rn.comparison_sentence(runs, lang)
        table = rn.comparison_table(runs, lang).to_html(index=False, border=0)
        lines = rn.stamp(runs.attrs["settings"], runs.attrs["weeks"], lang, runs)
    else:
        view = fg.ChartView("groups", lang, s["weeks"], reform_marker(s))
        view.update(rn.weekly_frame(run.model))
        fig = view
        sentence = t("brief_stale_compare" if stale else "brief_needs_compare", lang)
        table = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in headline(run.model, lang)
        )
        table = f"<table>{table}</table>"
        lines = rn.stamp(s, run.model.week, lang)
    image = base64.b64encode(
        fig.export_png() if isinstance(fig, fg.Blitted) else fg.png(fig, dpi=150)
    ).decode()
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in lines)
    title = t("brief_title", lang)
    doc = f"""<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>
<meta charset="utf-8"><title>{title}</title><style>
body{{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;max-width:46em;
margin:1.5em auto;color:#1f2328}} img{{max-width:100%}} table{{border-collapse:collapse}}
th,td{{text-align:left;padding:2px 8px;border-bottom:1px solid #ddd;font-size:.9em}}
th{{white-space:nowrap;vertical-align:top}}
@page{{size:A4;margin:15mm}}</style></head><body>
<h1>{title}</h1><p><strong>{html.escape(sentence)}</strong></p>
<img src="data:image/png;base64,{image}" alt="{html.escape(title)}">
{table}<h2>{t("brief_settings", lang)}</h2><table>{rows}</table></body></html>"""
    return doc.encode("utf-8")


# ---------------------------------------------------------------------- small components
@solara.component_vue("file_picker.vue")
def FilePicker(label: str, max_bytes: int, event_picked: Callable[[dict], None]):
    """A button opening the system's file dialog: the drop zone's way in by click or key."""


def picked_file(sent: dict) -> dict:
    """A chosen file as the drop zone gives one (name, size, a file object to read)."""
    try:
        data = base64.b64decode(sent.get("data") or "", validate=True)
    except ValueError:
        data = b""
    return {"name": sent.get("name") or "file", "size": int(sent.get("size") or 0),
            "file_obj": io.BytesIO(data)}  # fmt: skip


@solara.component
def Download(make, filename: str, label: str, mime_type: str, lang: str, classes=()):
    """A download button whose file is made only when clicked, from the latest state.

    Solara's FileDownload forgets a pending click whenever its data function changes, and a
    new closure on every render would do that; it would also raise a failure into the page.
    So the function handed over stays the same object and never raises.
    """
    latest = solara.use_ref(make)
    latest.current = make

    def data() -> bytes:
        try:
            return latest.current()
        except Exception:  # noqa: BLE001 – a failed export must not take the page down
            return t("err_export", lang).encode("utf-8-sig")

    stable = solara.use_memo(lambda: data, [])
    with solara.Div(classes=["cl-download", *classes]):
        solara.FileDownload(stable, filename=filename, label=label, mime_type=mime_type)


@solara.component
def Png(data: bytes, alt: str, classes: str = "cl-fig"):
    """An image with a text alternative (solara's figure widget has none)."""
    src = "data:image/png;base64," + base64.b64encode(data).decode()
    solara.v.Html(tag="img", attributes={"src": src, "alt": alt, "class": classes})


@solara.component
def Note(text: str, kind: str = "note", classes: list[str] | None = None):
    role = "alert" if kind == "error" else "status"
    solara.v.Html(
        tag="div",
        children=[text],
        class_=" ".join([f"cl-{kind}", *(classes or [])]),
        attributes={"role": role},
    )


@solara.component
def SettledSlider(
    label: str,
    value: float,
    low: float,
    high: float,
    step: float,
    on_value: Callable[[Any], None],
    integer: bool = False,
    thumb_label: bool = True,
):
    """A slider that reports its value when it is let go, clicked or moved by a key – not at
    every step of a drag, which the browser also sends: each report rebuilds the run and
    replays it to the week on screen (about a second), so a drag across twenty steps would
    queue twenty replays."""
    # The slider shows where the user put it, not the setting as last applied: each report
    # is applied (a replay of about a second) while later key presses are already on their
    # way, and pushing the applied value back would move the thumb back under the user's
    # hands (a press then lost, or counted from the wrong place). A value set elsewhere (a
    # preset, an opened file, a link) is shown as soon as it arrives.
    shown, set_shown = solara.use_state(value)
    reported = solara.use_ref(value)
    if value != reported.current and value != shown:
        reported.current = value  # set elsewhere
        shown = value
        set_shown(value)
    slider = solara.v.Slider(
        v_model=shown, on_v_model=set_shown, label=label, min=low, max=high, step=step,
        thumb_label=thumb_label, dense=False, hide_details=True,
    )  # fmt: skip

    def settled(widget, event, data) -> None:
        # the browser adds steps in binary floating point (0.35 + 0.106 = 0.45599999999999996):
        # 12 significant digits give the value meant, for the setting, its link and its files
        reported.current = int(data) if integer else float(f"{float(data):.12g}")
        on_value(reported.current)

    solara.v.use_event(slider, "change", settled)
    return slider


@solara.component
def ParamWidget(p: Param, value: Any, on_value, lang: str, show_help: bool, error: str = ""):
    """One registry parameter: its control, value with unit, range, help and any error."""
    label = param_label(p, lang)
    low, high = rn.ui_range(p)
    with solara.Column(gap="0px", classes=["cl-param", f"param-{p.name}"]):
        if p.type is bool:
            solara.Switch(label=label, value=bool(value), on_value=on_value)
        elif p.choices:
            names = {choice_label(c, lang): c for c in p.choices}
            solara.Select(
                label=label,
                values=list(names),
                value=choice_label(value, lang),
                on_value=lambda name: on_value(names[name]),
            )
        else:
            if p.type is int:
                SettledSlider(label, int(value), int(low), int(high), 1, on_value, integer=True)
            else:
                step = slider_step(low, high, p.default, value)

                def moved(new: float) -> None:
                    # the browser snaps a value off the grid to the nearest step and reports
                    # it; only a move by the user (at least half a step) changes the setting
                    if abs(new - float(value)) > step / 2:
                        on_value(new)

                SettledSlider(
                    label, float(value), float(low), float(high), step, moved,
                    thumb_label=not rn.is_share(p),  # its bubble would say 0.35, not 35 %
                )  # fmt: skip
            # the label carries the unit; the value line shows the numbers
            now = t("value_now", lang, value=rn.format_value(p, value, lang, unit=False))
            span = rn.format_range(p, low, high, lang, unit=False)
            sep = "；" if lang == "zh" else "; "
            solara.Text(f"{now}{sep}{span}", classes=["cl-param-value"])
        if show_help:
            solara.Text(param_help(p, lang), classes=["cl-param-help"])
        if error:
            Note(error, "error", classes=["param-error"])


def slider_step(low: float, high: float, *values: float) -> float:
    """The smallest of 1, 2, 5 × 10ᵏ that is at least 1 % of the range (an arrow key's move;
    PageUp and PageDown move a tenth of the range), but fine enough that every value given
    lies on a step.

    A slider's steps start at its minimum (low, low + step, …); it snaps a value between
    steps and reports the snapped value. A coarse step would silently change a default such
    as 0.234, or an opened file's 1.82 (to 0), so the step is refined (5, 2, 1, 0.5 …) until
    the default and the value shown are on the grid (to 10⁻⁶; beyond that the page ignores
    the snap).
    """
    import math

    def on_grid(step: float) -> bool:
        return all(abs(round((v - low) / step) * step - (v - low)) <= 1e-9 for v in values)

    one_percent = (high - low) / 100
    decade = math.floor(math.log10(one_percent))
    candidates = sorted(  # 1, 2, 5 × 10ᵏ from the decade above down to 10⁻⁶
        (m * 10.0**k for k in range(decade + 1, -7, -1) for m in (1, 2, 5)), reverse=True
    )
    coarsest = min(c for c in candidates if c >= one_percent * (1 - 1e-9))
    for step in candidates:
        if step <= coarsest and on_grid(step):
            return step
    return candidates[-1]


# ---------------------------------------------------------------------- the page
@solara.component
def Page():
    router = solara.use_router()
    init = solara.use_memo(lambda: rn.from_query(router.search), [])
    lang, set_lang = solara.use_state(init[1] or "zh")
    opened = solara.use_memo(lambda: first_run(init[0]), [])
    settings, set_settings = solara.use_state(init[0])
    run, set_run = solara.use_state(opened[0])
    errors, set_errors = solara.use_state(
        rn.explain_error(opened[1]["__exc__"], init[0]["params"], lang) if opened[1] else {}
    )
    url_problems = init[2]
    notice, set_notice = solara.use_state("")  # a passing problem (busy, a failed week)
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state("speed_medium")
    show_help, set_show_help = solara.use_state(False)
    colour_by, set_colour_by = solara.use_state("efficacy")
    other, set_other = solara.use_state("baseline")
    replicates, set_replicates = solara.use_state(min(10, LIMITS.max_replicates))
    result, set_result = solara.use_state(None)  # the last comparison (pandas frame)
    dropped, set_dropped = solara.use_state(None)  # a scenario file dropped, checked
    lock = solara.use_memo(threading.Lock, [])  # the model is stepped from two threads

    def publish(s: dict, language: str) -> None:
        """Put the settings in the address bar, so the link reproduces the view."""
        # no router outside the server (tests)
        with contextlib.suppress(AssertionError, AttributeError):
            router.push(f"{router.path or '/'}?{rn.to_query(s, language)}")

    def apply(new: dict, week: int | None = None, changed: str = "", address: bool = True) -> None:
        """Show ``new`` on screen and run it to the week on screen, or keep the old run;
        ``address``: put it in the address bar (not when it came from there)."""
        set_settings(new)
        target = run.model.week if week is None else week
        try:
            with rn.REPLAYS.slot(LIMITS.queue_seconds), lock:
                new_run = start(new, target)
        except Busy:
            set_notice("err_busy")
            return
        except Exception as exc:  # noqa: BLE001 – settings that cannot run: say so, keep the run
            messages = rn.explain_error(exc, new["params"], lang)
            if changed and changed not in messages:  # next to the control just moved
                messages = {changed: " ".join(messages.values())}
            set_errors(messages)
            set_playing(False)
            return
        set_errors({})
        set_notice("")
        set_run(new_run)
        set_version(lambda v: v + 1)
        if address:
            publish(new, lang)

    def read_spec(file: dict) -> None:
        """A dropped scenario file, checked; opened only when the user says so (the drop
        arrives on a thread of its own, and the run on screen is changed on the page's)."""
        name = file.get("name") or "file"
        try:
            # read no more than a scenario file can be: the browser sends what is read
            too_big = (file.get("size") or 0) > rn.MAX_SPEC_BYTES
            data = b"" if too_big else file["file_obj"].read(rn.MAX_SPEC_BYTES + 1)
            if too_big or len(data) > rn.MAX_SPEC_BYTES:
                raise ValueError(t("err_spec_bytes", lang, n=f"{rn.MAX_SPEC_BYTES:,}"))
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(t("err_spec_text", lang)) from None
            chosen, settings = rn.scenario_from_spec(text, source=name)
            set_dropped({"name": f"{name} · {spec_scenario_label(chosen, lang)}",
                         "settings": settings})  # fmt: skip
        except ValueError as exc:  # SpecError is a ValueError
            if isinstance(exc, rn.PageRefusal):
                error = t("err_spec", lang, why=exc.say(lang))
            elif type(exc) is ValueError:  # the page's own reasons above, in its language
                error = t("err_spec", lang, why=str(exc))
            elif lang == "zh" and (said := rn.spec_error_zh(exc)):  # the common ones
                error = t("err_spec", lang, why=said)
            else:  # the spec checker's rarer reasons, in English
                error = t("err_spec_checker", lang, why=str(exc))
            set_dropped({"name": name, "error": error})

    def open_spec() -> None:
        new = dropped["settings"]
        set_dropped(None)
        set_playing(False)
        apply(new, week=new["weeks"])

    def set_param(name: str):
        return lambda value: apply(
            {**settings, "params": {**settings["params"], name: value}}, changed=name
        )

    def set_top(key: str):
        return lambda value: apply({**settings, key: int(value)})

    def set_seed(text: str) -> None:
        try:
            seed = int(text.strip())
            if not 0 <= seed < 2**31:
                raise ValueError
        except ValueError:
            set_errors({"seed": t("err_seed", lang), "seed_text": text})  # shown as typed
            return
        apply({**settings, "seed": seed})

    def advance(weeks: int | None) -> bool:
        """Step the run on screen (to the horizon if ``weeks`` is None); False if it failed."""
        horizon = run.settings["weeks"]
        try:
            if weeks is None:
                with rn.REPLAYS.slot(LIMITS.queue_seconds), lock:
                    rn.run_to(run.model, horizon)
            else:
                with lock:
                    rn.run_to(run.model, min(run.model.week + weeks, horizon))
        except Busy:
            set_notice("err_busy")
            return False
        except Exception:  # noqa: BLE001 – a failing week stops the run, not the page
            set_notice("err_run")
            set_playing(False)
            return False
        finally:
            set_version(lambda v: v + 1)
        set_notice("")
        return True

    def step_once() -> None:
        advance(1)

    def run_to_end() -> None:
        set_playing(False)
        advance(None)

    def reset() -> None:
        set_playing(False)
        apply(settings, week=0)

    async def run_loop():
        # on the page's event loop (as Mesa's own controller does): state updates from a
        # plain thread would not reach this session's page
        while playing:
            await asyncio.sleep(FRAME_SECONDS)
            if not advance(SPEEDS[speed]) or run.model.week >= run.settings["weeks"]:
                set_playing(False)
                return

    solara.lab.use_task(
        run_loop, dependencies=[playing, run, speed], prefer_threaded=False, raise_error=False
    )

    def switch_language() -> None:
        new = "en" if lang == "zh" else "zh"
        set_lang(new)
        if errors:  # the messages follow the language
            fresh = dict(errors)
            try:
                rn.build_model(settings)
            except ParameterError as exc:
                fresh = rn.explain_error(exc, settings["params"], new)
            if "seed" in errors:  # a refused seed never reached the settings
                fresh.update(seed=t("err_seed", new), seed_text=errors.get("seed_text", ""))
            set_errors(fresh)
        publish(run.settings if not errors else settings, new)

    def follow_address() -> None:
        """The browser's Back and Forward show what the address says, as opening that link
        would: each change puts a new address in the history, so Back undoes it (a preset
        picked by mistake gives the levers moved before it back)."""
        new, new_lang, _ = rn.from_query(router.search)
        if (new_lang or "zh") != lang:
            set_lang(new_lang or "zh")
        if new != settings:
            apply(new, address=False)

    solara.use_effect(follow_address, [router.search])

    solara.Title("civicloop")
    solara.Style(CSS)
    invalid = bool(errors)
    at_end = run.model.week >= run.settings["weeks"]
    with solara.Column(classes=["cl-page"], gap="0px"):
        with solara.Row(classes=["cl-head"]):
            solara.HTML(tag="h1", unsafe_innerHTML=html.escape(t("title", lang)))
            solara.Text(t("subtitle", lang), classes=["cl-sub"])
            solara.v.Spacer()
            solara.Button(
                t("language", lang),
                on_click=switch_language,
                outlined=True,
                classes=["lang-switch"],
                attributes={"aria-label": f"{t('language', lang)} – {t('language_name', lang)}"},
            )  # fmt: skip
        with solara.Row(classes=["cl-body"], gap="16px"):
            with solara.Column(classes=["cl-side"], gap="4px"):
                Sidebar(
                    settings, lang, errors, show_help, set_show_help, apply, set_param, set_top,
                    set_seed, (dropped, read_spec, open_spec),
                )  # fmt: skip
            with solara.Column(classes=["cl-main"], gap="4px"):
                if url_problems:
                    told = rn.link_problems(router.search, url_problems, lang)
                    Note(t("err_url", lang, names=told))
                with solara.Row(classes=["cl-controls"]):
                    solara.Button(
                        t("pause", lang) if playing else t("run", lang),
                        on_click=lambda: set_playing(not playing),
                        disabled=invalid or (at_end and not playing),
                        color="primary",
                        classes=["run-button"],
                    )
                    solara.Button(
                        t("step", lang),
                        on_click=step_once,
                        disabled=playing or invalid or at_end,
                        classes=["step-button"],
                    )
                    solara.Button(
                        t("run_to_end", lang),
                        on_click=run_to_end,
                        disabled=invalid or at_end,
                        classes=["end-button"],
                    )
                    solara.Button(
                        t("reset", lang), on_click=reset, disabled=invalid, classes=["reset-button"]
                    )
                    labels = {t(k, lang): k for k in SPEEDS}
                    solara.Select(
                        label=t("speed", lang),
                        values=list(labels),
                        value=t(speed, lang),
                        on_value=lambda label: set_speed(labels[label]),
                        style={"max-width": "11em"},
                    )
                status = t("status_week", lang, week=run.model.week, horizon=run.settings["weeks"])
                if at_end:
                    status += ("。" if lang == "zh" else ". ") + t("at_horizon", lang)
                solara.Text(status, classes=["cl-status", "run-status"])
                if invalid:
                    Note(t("err_kept", lang, where=error_places(errors, lang)), "error",
                         classes=["stale-run"])  # fmt: skip
                if notice:
                    Note(t(notice, lang), "error", classes=["run-notice"])
                if lang == "zh" and not fg.HAS_CJK_FONT:
                    Note(t("no_cjk_font", lang), classes=["font-note"])
                with solara.Row(classes=["cl-cards", "headline"], gap="8px"):
                    for label, value in headline(run.model, lang):
                        with solara.Column(classes=["cl-card"], gap="0px"):
                            solara.Text(label, classes=["cl-card-label"])
                            solara.Text(value, classes=["cl-card-value", "headline-value"])
                if run.model.measures:
                    solara.Text(headline_note(run.model, lang), classes=["cards-note"])
                with solara.lab.Tabs():
                    with solara.lab.Tab(t("tab_now", lang)):
                        NowView(run, lang, colour_by, set_colour_by, version, lock)
                    with solara.lab.Tab(t("tab_compare", lang)):
                        CompareView(
                            settings, invalid, lang, (other, set_other),
                            (replicates, set_replicates), (result, set_result),
                        )  # fmt: skip
                    with solara.lab.Tab(t("tab_export", lang)):
                        ExportView(run, lang, other, replicates, result, lock)


@solara.component
def Tier(title: str, open_: bool, content, css_class: str):
    """A folding section whose controls are only built once it is opened: the page then
    opens with the levers' ~20 widgets instead of ~80 (faster first screen, lighter page)."""
    is_open, set_open = solara.use_state(open_)
    # an error inside opens the section; its fixing must not fold it under the user's hands
    solara.use_effect(lambda: set_open(True) if open_ else None, [open_])
    with (
        solara.v.ExpansionPanels(
            v_model=0 if is_open else None,
            on_v_model=lambda value: set_open(value == 0),
            class_=f"cl-tier {css_class}",
        ),
        solara.v.ExpansionPanel(),
    ):
        solara.v.ExpansionPanelHeader(children=[title])
        with solara.v.ExpansionPanelContent():
            if is_open:
                content()


@solara.component
def Sidebar(
    settings, lang, errors, show_help, set_show_help, apply, set_param, set_top, set_seed,
    scenario_file,
):  # fmt: skip
    """Scenario first (a preset, or a scenario file dropped in), then the paper's levers;
    community and advanced settings folded."""
    names = {scenario_label(n, lang): n for n in SCENARIOS}
    solara.Select(
        label=t("preset", lang),
        values=list(names),
        value=scenario_label(settings["scenario"], lang),
        on_value=lambda label: apply(rn.with_preset(settings, names[label])),
        classes=["preset-select"],
    )
    # the sidebar's children are the same few containers whatever is shown in them: a note
    # appearing or going among them made the browser move the sections below, which takes
    # the keyboard's focus from a slider moved by a key (its next press then went nowhere)
    with solara.Column(gap="0px", classes=["preset-about"]):
        if rn.same_as_preset(settings):
            solara.Text(
                scenario_description(settings["scenario"], lang), classes=["preset-explanation"]
            )
            paper = SCENARIOS[settings["scenario"]]["paper"]
            solara.Text(
                f"{t('paper_words', lang)}：{paper.replace('; ', '；')}"
                if lang == "zh"
                else f"{t('paper_words', lang)}: {paper}",
                classes=["cl-param-help"],
            )
        else:  # an opened file or moved levers: the preset's own description no longer holds
            n = rn.preset_changes(settings)
            solara.Text(
                t(
                    "preset_changed_one" if n == 1 else "preset_changed",
                    lang,
                    preset=scenario_label(settings["scenario"], lang),
                    n=n,
                ),
                classes=["preset-explanation"],
            )
    dropped, read_spec, open_spec = scenario_file
    with solara.Div(classes=["spec-drop"]):
        solara.FileDrop(label=t("open_spec", lang), on_file=read_spec, lazy=True)
        FilePicker(label=t("choose_spec", lang), max_bytes=rn.MAX_SPEC_BYTES,
                   event_picked=lambda f: read_spec(picked_file(f)))  # fmt: skip
    with solara.Column(gap="0px", classes=["spec-status"]):
        if dropped and "error" in dropped:
            Note(dropped["error"], "error", classes=["spec-error"])
        elif dropped:
            new = dropped["settings"]
            changed = [param_name(PARAMS[k], lang) for k, *_ in rn.differences(new)]
            names = ("、" if lang == "zh" else ", ").join(changed) or "–"
            Note(t("spec_ready", lang, name=dropped["name"], n=len(changed), names=names,
                   weeks=new["weeks"]), classes=["spec-ready"])  # fmt: skip
            solara.Button(t("open_file", lang), on_click=open_spec, color="primary",
                          classes=["spec-open"])  # fmt: skip
    with solara.Column(gap="0px", classes=["general-error"]):
        if errors.get(""):
            Note(errors[""], "error", classes=["param-error"])
    params = settings["params"]

    def widgets(tier: str, help_always: bool = False) -> None:
        for p in PARAMS.values():
            if rn.tier(p) == tier and p.name not in rn.HIDDEN and rn.applies(p, params):
                ParamWidget(
                    p, params[p.name], set_param(p.name), lang, show_help or help_always,
                    errors.get(p.name, ""),
                ).key(p.name)  # fmt: skip

    def community() -> None:
        SettledSlider(
            t("horizon", lang), settings["weeks"], 1, LIMITS.max_weeks, 1, set_top("weeks"),
            integer=True,
        )  # fmt: skip
        solara.Text(t("value_now", lang, value=f"{settings['weeks']} {t('weeks_unit', lang)}"),
                    classes=["cl-param-value"])  # fmt: skip
        # a text field parsed here: Solara's number field complains in English
        # a refused seed stays in the field as typed (folded and unfolded too), so that typing
        # the last valid one back is a change that clears the error
        solara.InputText(
            t("seed", lang), value=errors.get("seed_text", str(settings["seed"])),
            on_value=set_seed, classes=["seed-input"],
        )  # fmt: skip
        if errors.get("seed"):
            Note(errors["seed"], "error", classes=["param-error"])
        widgets("community")
        solara.Text(t("cap_note", lang, n=f"{LIMITS.max_residents:,}"), classes=["cl-param-help"])

    def advanced() -> None:
        solara.Text(t("advanced_note", lang), classes=["cl-param-help"])
        widgets("advanced", help_always=True)

    def has_error(tier: str) -> bool:
        return any(rn.tier(PARAMS[k]) == tier for k in errors if k in PARAMS)

    # keyed: a note appearing above them must not rebuild them (and fold them)
    Tier(t("tier_levers", lang), True, lambda: widgets("levers"), "tier-levers").key("levers")
    Tier(t("tier_community", lang), has_error("community") or "seed" in errors, community,
         "tier-community").key("community")  # fmt: skip
    Tier(t("tier_advanced", lang), has_error("advanced"), advanced, "tier-advanced").key("advanced")
    solara.Switch(label=t("show_help", lang), value=show_help, on_value=set_show_help)


@solara.component
def NowView(run: Run, lang, colour_by, set_colour_by, version, lock):
    s = run.settings
    marker = reform_marker(s)
    hood = solara.use_memo(lambda: fg.NeighbourhoodView(run.model, lang), [run, lang])
    charts = solara.use_memo(
        lambda: {k: fg.ChartView(k, lang, s["weeks"], marker) for k in fg.ChartView.CHARTS},
        [run, lang],
    )

    def draw() -> dict[str, bytes]:
        shared = OPENINGS.get(run.opening, (None, {}))[1] if run.opening else {}
        if run.model.week == s["weeks"] and (lang, colour_by) in shared:
            return shared[(lang, colour_by)]  # a first screen drawn before
        with lock:
            frame = rn.weekly_frame(run.model)
            hood.update(run.model, colour_by)
            out = {"hood": hood.render()}
            for k, view in charts.items():
                view.update(frame)
                out[k] = view.render()
        if run.opening and run.model.week == s["weeks"]:
            with _openings_lock:
                shared[(lang, colour_by)] = out
        return out

    images = solara.use_memo(draw, [run, version, colour_by, lang])
    solara.ToggleButtonsSingle(
        value=colour_by,
        on_value=set_colour_by,
        children=[
            solara.Button(t("by_efficacy", lang), value="efficacy"),
            solara.Button(t("by_participation", lang), value="participation"),
        ],
    )
    what = t("by_participation" if colour_by == "participation" else "by_efficacy", lang)
    titles = {
        "hood": (t("figure_alt_network", lang, what=what), hood),
        **{k: (t("figure_alt_chart", lang, what=t(fg.ChartView.TITLES[k], lang)), v)
           for k, v in charts.items()},
    }  # fmt: skip
    with solara.v.Html(tag="div", class_="cl-figs"):  # a CSS grid: 2 columns when wide
        for key, (alt, view) in titles.items():
            with solara.v.Html(tag="div", class_=f"cl-fig fig-{key}"):
                Png(images[key], alt)
                Download(
                    view.export_png,
                    filename=f"civicloop-{key}.png",
                    label=t("download_png", lang),
                    mime_type="image/png",
                    lang=lang,
                )
    solara.Text(t("differs", lang), style={"font-weight": "600"})
    lines = rn.labelled_params(s, lang)
    if lines:
        sep = "：" if lang == "zh" else ": "
        items = "".join(f"<li>{html.escape(k)}{sep}{html.escape(v)}</li>" for k, v in lines)
        solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["cl-diff", "differs-list"])
    else:
        solara.Text(t("differs_none", lang), classes=["differs-list"])
    _, levers, week = rn.split_settings(s)
    if levers and week >= s["weeks"]:  # levers switch on at the start of week `week`
        Note(t("before_reform", lang), classes=["before-reform"])


@solara.component
def CompareView(settings, invalid, lang, other_state, replicates_state, result_state):
    (other, set_other), (replicates, set_replicates) = other_state, replicates_state
    result, set_result = result_state
    failure, set_failure = solara.use_state(None)  # (kind, detail) of the last failure

    def compute(snapshot: dict, done: list) -> tuple[str, Any]:
        """The replicates, in a worker thread that touches no page state."""

        def progress(percent: float) -> None:
            done[0] = percent

        try:
            with rn.GATE.slot(LIMITS.queue_seconds):
                runs = rn.compare(snapshot, other, replicates, snapshot["weeks"], progress)
        except Busy:
            return "busy", None
        except ParameterError as exc:
            return "params", (exc, snapshot["params"])
        except Exception as exc:  # noqa: BLE001 – the page must survive any failure
            return "other", type(exc).__name__
        return "ok", runs

    async def work():
        # the page's state changes here, on the page's event loop, in turn with the reader's
        # clicks; only the arithmetic runs in a worker thread
        done = [0.0]
        future = asyncio.get_running_loop().run_in_executor(None, compute, settings, done)
        while not future.done():
            await asyncio.sleep(0.25)
            task.progress = done[0]
        kind, value = await future
        if kind == "ok":
            set_failure(None)
            set_result(value)
        else:
            set_failure((kind, value))

    task = solara.lab.use_task(work, dependencies=None, raise_error=False, prefer_threaded=False)
    Note(t("compare_hint", lang))
    with solara.Row(classes=["cl-controls"]):
        presets = {scenario_label(n, lang): n for n in SCENARIOS}
        solara.Select(
            label=t("compare_with", lang),
            values=list(presets),
            value=scenario_label(other, lang),
            on_value=lambda label: set_other(presets[label]),
            style={"max-width": "16em"},
        )
        with solara.Div(classes=["replicates-slider"]):
            solara.SliderInt(
                t("replicates", lang), value=replicates, min=2, max=LIMITS.max_replicates,
                on_value=set_replicates,
            )  # fmt: skip
        solara.Text(t("value_now", lang, value=str(replicates)), classes=["cl-status"])
        solara.Button(
            t("compare_button", lang),
            on_click=task,
            disabled=task.pending or invalid,
            color="primary",
            classes=["compare-button"],
        )
    if failure is not None or task.error:
        kind, detail = failure or ("other", None)
        if kind == "busy":
            msg = t("err_busy", lang)
        elif kind == "params":
            msg = " ".join(rn.explain_error(detail[0], detail[1], lang).values())
        else:
            msg = t("err_compare", lang) + ("。" if lang == "zh" else ".")
        Note(f"{t('err_compare', lang)}：{msg}" if lang == "zh" and kind != "other" else
             msg if kind == "other" else f"{t('err_compare', lang)}: {msg}", "error",
             classes=["compare-error"])  # fmt: skip
    if task.pending:
        solara.Text(t("comparing", lang))
        solara.ProgressLinear(value=task.progress or True)
    if result is not None:
        ComparisonResult(result, settings, other, replicates, lang)


@solara.component
def ComparisonResult(result, settings, other, replicates, lang):
    """A finished comparison, labelled with its own settings (stale ones say so)."""
    snap = result.attrs["settings"]
    changed = []
    if snap != settings:
        changed.append(t("stale_settings", lang))
    if result.attrs["other"] != other:
        changed.append(t("stale_other", lang))
    if result.attrs["replicates"] != replicates:
        changed.append(t("stale_replicates", lang))
    if changed:
        what = "、".join(changed) if lang == "zh" else ", ".join(changed)
        Note(t("stale", lang, what=what), classes=["stale-comparison"])
    labels = {"chosen": rn.chosen_label(snap, lang),
              "other": scenario_label(result.attrs["other"], lang)}  # fmt: skip
    if result.week.max() < snap["params"]["reform_week"]:
        Note(t("before_reform", lang))
    solara.Text(rn.comparison_sentence(result, lang), classes=["cl-sentence", "comparison-result"])
    fig = solara.use_memo(
        lambda: fg.draw_comparison(result, labels, lang, reform_marker(snap)), [id(result), lang]
    )
    # drawn once per comparison, at the width it is shown at on a wide screen (~1,100 px)
    image = solara.use_memo(lambda: fg.png(fig, dpi=160), [fig])
    Png(
        image,
        t("figure_alt_chart", lang, what=t("compare_title", lang, n=result.attrs["replicates"])),
    )
    table = rn.comparison_table(result, lang)
    with solara.Column(classes=["cl-table-wrap"], gap="4px"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=table.to_html(index=False, border=0, classes="cl-table"),
            classes=["comparison-table"],
        )
        solara.Text(t("end_note", lang), classes=["cl-param-help"])
        with solara.Row(classes=["cl-controls"]):
            Download(
                lambda: rn.comparison_csv(result, lang),
                filename="civicloop-comparison.csv",
                label=t("download_compare_csv", lang),
                mime_type="text/csv",
                lang=lang,
            )
            Download(
                lambda: fg.png(fig, dpi=150),
                filename="civicloop-comparison.png",
                label=t("download_png", lang),
                mime_type="image/png",
                lang=lang,
            )


def export_csv(model: CommunityModel, settings: dict) -> bytes:
    """The weekly series for analysis: variable names, each row saying what produced it
    (the scenario as the page names it, settings, lever schedule, seed, version, git commit;
    ``base_scenario`` is the model's, whose levers the schedule switches on)."""
    from experiments import provenance, results

    seed = settings["seed"]
    record = provenance.from_model(model, seed, weeks=model.week)
    frame = results.tidy_weekly(rn.weekly_frame(model))
    frame.insert(0, "seed", seed)
    frame.insert(0, "base_scenario", record["scenario"])
    frame.insert(0, "scenario", rn.scenario_name(settings))
    for name, value in provenance.columns(record).items():
        if name != "resolved_params":
            frame[name] = value
    return frame.to_csv(index=False).encode()


@solara.component
def ExportView(run: Run, lang, other, replicates, result, lock):
    Note(t("export_help", lang))

    def weekly() -> bytes:
        with lock:
            return rn.weekly_csv(run.model, run.settings, lang)

    def brief() -> bytes:
        with lock:
            return brief_html(run, lang, result)

    def data() -> bytes:
        with lock:
            return export_csv(run.model, run.settings)

    with solara.Column(gap="6px", style={"margin-bottom": "48px"}):
        Download(
            lambda: rn.scenario_toml(run.settings, other, replicates, lang).encode(),
            filename="civicloop-scenario.toml",
            label=t("download_toml", lang),
            mime_type="application/toml",
            lang=lang,
        )
        Download(
            weekly,
            filename=f"civicloop-weekly-{datetime.now():%Y%m%d}.csv",
            label=t("download_csv", lang),
            mime_type="text/csv",
            lang=lang,
        )
        Download(
            data,
            filename=f"civicloop-data-{datetime.now():%Y%m%d}.csv",
            label=t("download_data", lang),
            mime_type="text/csv",
            lang=lang,
        )
        Download(
            brief,
            filename="civicloop-brief.html",
            label=t("download_brief", lang),
            mime_type="text/html",
            lang=lang,
        )
        if result is None:
            solara.Text(t("brief_needs_compare", lang), classes=["cl-param-help"])
        solara.Text(t("link", lang), style={"font-weight": "600"})
        solara.Text(t("link_help", lang), classes=["cl-param-help"])
        query = rn.to_query(run.settings, lang)
        solara.HTML(
            tag="a",
            unsafe_innerHTML=html.escape(t("link", lang)),
            attributes={"href": f"?{query}"},
            classes=["view-link"],
        )


# re-exported for the benchmark and older callers
build_model = rn.build_model
settings_for = rn.settings_for
weekly_frame = rn.weekly_frame
param_name = param_name
