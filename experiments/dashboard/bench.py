"""``civicloop bench --dashboard``: what a user of the page waits for, on this machine.

* one week's step plus redrawing every figure of the page (median and worst),
* a change of settings: rebuild, replay to the horizon without drawing, then draw once,
* the first screen: the whole page rendered (status quo run to its horizon).
"""

from __future__ import annotations

import time

import numpy as np

from . import figures as fg
from . import runs as rn


def redraw(model, views: dict, colour_by: str = "efficacy") -> None:
    frame = rn.weekly_frame(model)
    views["hood"].update(model, colour_by)
    views["hood"].render()
    for key in fg.ChartView.CHARTS:
        views[key].update(frame)
        views[key].render()


def make_views(model, settings: dict, lang: str) -> dict:
    from .app import reform_marker

    marker = reform_marker(settings)
    views = {"hood": fg.NeighbourhoodView(model, lang)}
    views.update({k: fg.ChartView(k, lang, settings["weeks"], marker) for k in fg.ChartView.CHARTS})
    return views


def first_screen_seconds() -> float:
    """The page as the server renders it for a new visitor (a virtual kernel, no browser)."""
    import asyncio

    import solara
    from solara.server import kernel, kernel_context

    from .app import Page

    context = kernel_context.VirtualKernelContext(
        id="bench", kernel=kernel.Kernel(), session_id="bench"
    )
    with context:

        async def render() -> float:
            start = time.perf_counter()
            solara.render(Page(), handle_error=False)
            return time.perf_counter() - start

        return asyncio.run(render())


def measure(residents: int | None = None, steps: int = 156, seed: int = 0,
            scenario: str = "full_package", lang: str = "zh") -> dict:  # fmt: skip
    """Timings in one dict (milliseconds and seconds, medians over the steps)."""
    settings = rn.settings_for(scenario, seed=seed)
    if residents:
        settings["params"]["n_residents"] = residents
    model = rn.build_model(settings)
    views = make_views(model, settings, lang)
    times = []
    for week in range(steps):
        start = time.perf_counter()
        model.step()
        redraw(model, views)
        if week >= 3:  # the first weeks warm up caches
            times.append(time.perf_counter() - start)
    start = time.perf_counter()
    model = rn.run_to(rn.build_model(settings), settings["weeks"])
    redraw(model, make_views(model, settings, lang))
    run_to_end = time.perf_counter() - start
    return {
        "residents": model.n,
        "scenario": scenario,
        "steps_timed": len(times),
        "step_redraw_ms_median": round(1000 * float(np.median(times)), 1),
        "step_redraw_ms_max": round(1000 * float(np.max(times)), 1),
        "run_to_week_156_s": round(run_to_end, 2),
        "first_screen_s": round(first_screen_seconds(), 2),
    }
