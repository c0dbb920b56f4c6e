"""Dashboard logic without a browser: what runs, errors, comparison, exports, links, limits.

Pages are rendered with ``solara.render`` in a virtual kernel (as the server gives each
browser page) and driven by setting widget values and clicking buttons.
"""

import asyncio
import base64
import io
import re
import threading
import time

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
from matplotlib.colors import to_rgba

from experiments.dashboard import app as dash
from experiments.dashboard import figures as fg
from experiments.dashboard import runs as rn
from experiments.dashboard.i18n import MESSAGES, missing_translations, scenario_description, t
from experiments.plan import plan_runs
from experiments.spec import SpecError, parse_spec
from model import PARAMS, SCENARIOS, CommunityModel


# ---------------------------------------------------------------------- helpers
def _render():
    box, rc = solara.render(dash.Page(), handle_error=False)
    return box, rc


def _texts(rc, cls: str) -> list[str]:
    """Text of every element whose CSS classes include ``cls``."""
    out = []
    for w in rc.find(v.Html).widgets:
        if cls in (w.class_ or "").split():
            out.append("".join(c for c in w.children if isinstance(c, str)))
    return out


@solara.component
def _at(query: str):
    """The page as opened from a link with ``query``."""
    solara.routing.router_context.provide(solara.routing.Router(f"/?{query}", []))
    dash.Page()


def _open_tiers(rc) -> None:
    """Unfold the community and advanced settings (built only when opened)."""
    for panels in rc.find(v.ExpansionPanels).widgets:
        if "cl-tier" in (panels.class_ or ""):
            panels.v_model = 0


def _cards(rc) -> list[str]:
    return _texts(rc, "headline-value")


def _button(rc, text):
    return rc.find(v.Btn, children=[text])


def _let_go(slider, value) -> None:
    """Move a slider as the browser does: its value follows the drag, then a "change" when
    it is let go (or moved by a key)."""
    slider.v_model = value
    slider.fire_event("change", value)


def _all_strings(root) -> list[str]:
    """Every string a user can see or hear: children, labels, items, HTML."""
    seen, out = set(), []

    def walk(x):
        if id(x) in seen or isinstance(x, str):
            return
        seen.add(id(x))
        for c in getattr(x, "children", []) or []:
            if isinstance(c, str):
                out.append(c)
            else:
                walk(c)
        for slot in getattr(x, "v_slots", []) or []:
            c = slot.get("children")
            for cc in c if isinstance(c, list) else [c]:
                if cc is not None:
                    walk(cc)
        for name in ("label", "items", "value", "hint", "placeholder"):
            val = getattr(x, name, None)
            if isinstance(val, str):
                out.append(val)
            elif isinstance(val, list):
                out.extend(str(i) for i in val)
        attributes = getattr(x, "attributes", None) or {}
        out.extend(str(attributes[k]) for k in ("aria-label", "alt") if k in attributes)

    walk(root)
    return out


def _session(fn):
    """Run ``fn`` with an event loop (the page's tasks need one); ``fn`` may be async."""

    async def main():
        out = fn()
        return await out if asyncio.iscoroutine(out) else out

    return asyncio.run(main())


async def _wait_compared(rc, timeout=120.0):
    """Until the comparison has finished (it runs on the page's event loop, so wait on it)."""
    start = time.monotonic()
    while not (
        (_texts(rc, "comparison-result") or _texts(rc, "compare-error"))
        and not _button(rc, "开始对比").widget.disabled
    ):
        assert time.monotonic() - start < timeout, "timed out"
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------------- language
def test_every_label_and_help_text_exists_in_both_languages():
    assert missing_translations() == []
    assert all(p.label_zh and p.description_zh for p in PARAMS.values())


ALLOWED_ASCII = {"civicloop", "CSV", "PNG", "TOML", "HTML", "English", "sweep", "FILE", "out",
                 "DIR"}  # fmt: skip


def test_chinese_page_has_no_english_words_left(kernel_context):
    def check():
        box, rc = _render()
        _open_tiers(rc)
        words = set()
        for text in _all_strings(box):
            if text.startswith(("data:", "mdi-")):
                continue
            words |= set(re.findall(r"[A-Za-z]{2,}", re.sub(r"<[^>]+>", "", text)))
        assert words <= ALLOWED_ASCII, words - ALLOWED_ASCII

    _session(check)


def test_chinese_help_texts_name_no_internal_identifiers():
    from experiments.dashboard.i18n import param_help, param_label

    for p in PARAMS.values():
        if p.name in rn.HIDDEN:
            continue
        text = param_label(p, "zh") + param_help(p, "zh")
        assert not re.search(r"[a-z]+_[a-z]+|Beta|Bush|trace|results", text), (p.name, text)
        assert "在职年龄" not in text


def test_charts_fall_back_to_english_without_a_chinese_font(monkeypatch):
    monkeypatch.setattr(fg, "HAS_CJK_FONT", False)
    view = fg.ChartView("groups", "zh", 156, None)
    assert view.fig.axes[0].get_title() == MESSAGES["chart_groups"]["en"]
    monkeypatch.setattr(fg, "HAS_CJK_FONT", True)
    view = fg.ChartView("groups", "zh", 156, None)
    assert view.fig.axes[0].get_title() == MESSAGES["chart_groups"]["zh"]


def test_font_search_uses_the_font_manager_families_of_every_platform():
    for family in ("Microsoft YaHei", "SimHei", "PingFang SC", "Noto Sans CJK SC"):
        assert family in fg.CJK_FAMILIES
    assert fg.find_cjk_font() == [f for f in fg.CJK_FAMILIES if f in fg.find_cjk_font()]


# ---------------------------------------------------------------------- what runs
def test_first_screen_shows_the_status_quo_run_to_the_horizon(kernel_context):
    def check():
        _, rc = _render()
        cards = _cards(rc)
        assert cards[0] == "156"
        model = rn.run_to(rn.build_model(rn.settings_for("baseline")), 156)
        assert cards[1] == f"{model.measures['participation_rate']:.0%}"
        assert len(rc.find(v.Html, tag="img").widgets) == 4  # neighbourhood and three charts

    _session(check)


def test_a_preset_change_runs_the_preset_at_once(kernel_context):
    def check():
        _, rc = _render()
        _button(rc, "重置").widget.click()
        _button(rc, "单步").widget.click()
        rc.find(v.Select, label="情景").widget.v_model = "综合施策"
        settings = rn.settings_for("full_package")
        settings["params"]["reform_week"] = 0
        _let_go(rc.find(v.Slider, label="改革启动周").widget, 0)
        for _ in range(3):
            _button(rc, "单步").widget.click()
        model = rn.run_to(rn.build_model(settings), 4)
        assert _cards(rc)[:3] == [
            "4",
            f"{model.measures['participation_rate']:.0%}",
            f"{model.measures['satisfaction_rate']:.0%}",
        ]
        baseline = rn.run_to(rn.build_model(rn.settings_for("baseline")), 4)
        assert baseline.measures["satisfaction_rate"] != model.measures["satisfaction_rate"]

    _session(check)


def test_levers_switch_on_at_the_reform_week_and_are_listed():
    settings = rn.settings_for("whistle_and_report")
    settings["params"]["reform_week"] = 3
    model = rn.run_to(rn.build_model(settings), 3)
    assert model.params["whistle"] is False
    model.step()
    assert model.params["whistle"] is True
    changes = {name: week for name, _, _, week in rn.differences(settings)}
    assert changes == {"whistle": 3}
    assert dash.reform_marker(settings) == 3
    chart = fg.ChartView("closure", "en", 156, 3)
    assert any(ln.get_label().startswith("levers on") for ln in chart.fig.axes[0].get_lines())


def test_weekly_charts_fit_participation_and_share_their_week_ticks():
    model = rn.run_to(rn.build_model(rn.settings_for("baseline", weeks=156)), 156)
    frame = rn.weekly_frame(model)
    top = frame[[c for c in frame if c.startswith("participation_rate")]].max().max()
    views = {k: fg.ChartView(k, "en", 156, None) for k in fg.ChartView.CHARTS}
    assert views["groups"].fig.axes[0].get_ylim() == (0, fg.ChartView.LOWEST_SHARE)  # week 0
    for view in views.values():
        view.update(frame)
        view.render()
    assert top < views["groups"].fig.axes[0].get_ylim()[1] <= min(1.0, 2.5 * top), top
    assert views["closure"].fig.axes[0].get_ylim() == (0, 1)  # closure and satisfaction: whole
    ticks = {k: tuple(v.fig.axes[0].get_xticks()) for k, v in views.items()}
    assert len(set(ticks.values())) == 1, ticks


def test_run_to_the_end_stops_at_the_horizon(kernel_context):
    def check():
        _, rc = _render()
        _button(rc, "重置").widget.click()
        assert _cards(rc)[0] == "0"
        _button(rc, "运行到底").widget.click()
        assert _cards(rc)[0] == "156"
        assert _button(rc, "单步").widget.disabled and _button(rc, "运行").widget.disabled

    _session(check)


def test_running_stops_by_itself_at_the_horizon(kernel_context):
    async def main():
        _, rc = _render()
        rc.find(v.Select, label="速度").widget.v_model = "每帧13周"
        _button(rc, "重置").widget.click()
        _button(rc, "运行").widget.click()
        for _ in range(400):
            await asyncio.sleep(0.05)
            if _cards(rc)[0] == "156" and _button(rc, "运行").widgets:
                break
        assert _cards(rc)[0] == "156"
        assert _button(rc, "运行").widget.disabled  # stopped, not paused mid-way

    asyncio.run(main())


def test_changed_settings_are_not_described_as_the_preset_and_late_levers_are_flagged(
    kernel_context,
):
    def check():
        _, rc = _render()
        assert _texts(rc, "preset-explanation") == [scenario_description("baseline", "zh")]
        assert not _texts(rc, "before-reform")
        _, rc = solara.render(_at("feedback_prob=0.5&weeks=40"), handle_error=False)
        # a lever moved on the status quo: not "no reform"; it would switch on at week 52
        assert _texts(rc, "preset-explanation") == ["以现状为基础，改动了 1 项设置（列于图下方）。"]
        assert _texts(rc, "before-reform") == [MESSAGES["before_reform"]["zh"]]
        _, rc = solara.render(_at("feedback_prob=0.5&lang=en"), handle_error=False)
        assert _texts(rc, "preset-explanation") == [
            "Based on Status quo, with one setting changed: it is listed under the figures."
        ]
        _, rc = solara.render(_at("feedback_prob=0.5&whistle=true&lang=en"), handle_error=False)
        said = _texts(rc, "preset-explanation")[0]
        assert said.startswith("Based on Status quo, with 2 settings changed")

    _session(check)


# ---------------------------------------------------------------------- errors
def test_bad_settings_keep_the_previous_model_with_a_message_next_to_the_control(
    kernel_context,
):
    def check():
        _, rc = _render()
        _open_tiers(rc)
        before = _cards(rc)
        _let_go(rc.find(v.Slider, label="退休居民比例").widget, 0.9)
        errors = _texts(rc, "param-error")
        assert errors == ["退休居民比例与青年比例之和不能超过100%（现为 90% + 20%）。"]
        assert _cards(rc) == before  # the previous model is kept …
        assert _button(rc, "单步").widget.disabled  # … and cannot be stepped by mistake
        assert _texts(rc, "stale-run")
        _let_go(rc.find(v.Slider, label="退休居民比例").widget, 0.3)
        assert _texts(rc, "param-error") == [] and not _texts(rc, "stale-run")
        tiers = [w.v_model for w in rc.find(v.ExpansionPanels).widgets]
        assert tiers == [0, 0, 0]  # fixing it folds no section the user had opened

    _session(check)


def test_a_slider_dragged_through_many_steps_rebuilds_the_run_once_when_let_go(
    kernel_context, monkeypatch
):
    builds = []
    real = dash.rn.build_model
    monkeypatch.setattr(dash.rn, "build_model", lambda s: builds.append(s) or real(s))

    def check():
        _, rc = _render()
        _open_tiers(rc)
        slider = rc.find(v.Slider, label="退休居民比例").widget
        before = len(builds)
        for share in (0.31, 0.32, 0.33, 0.34, 0.35):  # what a drag sends, step by step
            slider.v_model = share
        assert len(builds) == before
        slider.fire_event("change", 0.35)  # let go
        assert len(builds) == before + 1
        assert builds[-1]["params"]["retired_share"] == 0.35
        assert "当前 35%" in " ".join(_texts(rc, "cl-param-value"))

    _session(check)


def test_a_slider_stays_where_the_user_put_it_while_an_earlier_move_is_applied(kernel_context):
    def check():
        _, rc = _render()
        slider = rc.find(v.Slider, label="反馈闭环").widget
        slider.v_model = 0.23  # three key presses: the browser is already here …
        slider.fire_event("change", 0.21)  # … when the first press's report is applied
        assert slider.v_model == 0.23  # not pushed back to 0.21 under the user's hands
        assert "当前 21%" in " ".join(_texts(rc, "cl-param-value"))  # what runs is said
        slider.fire_event("change", 0.23)
        assert "当前 23%" in " ".join(_texts(rc, "cl-param-value")) and slider.v_model == 0.23
        rc.find(v.Select, label="情景").widget.v_model = "反馈闭环"  # set elsewhere: shown
        assert rc.find(v.Slider, label="反馈闭环").widget.v_model == 0.9

    _session(check)


def test_a_sliders_value_is_the_one_meant_not_the_binary_sum(kernel_context, monkeypatch):
    builds = []
    real = dash.rn.build_model
    monkeypatch.setattr(dash.rn, "build_model", lambda s: builds.append(s) or real(s))

    def check():
        _, rc = _render()
        slider = rc.find(v.Slider, label="反馈闭环").widget
        moved = 0.35 + 0.106 - 0.2  # 0.25599999999999995, as a browser adds the steps
        slider.v_model = moved
        slider.fire_event("change", moved)
        assert builds[-1]["params"]["feedback_prob"] == 0.256
        assert "feedback_prob=0.256&" in rn.to_query(builds[-1]) + "&"

    _session(check)


def test_a_seed_that_is_not_a_number_is_explained_in_the_ui_language(kernel_context):
    def check():
        _, rc = _render()
        _open_tiers(rc)
        field = rc.find(v.TextField, label="随机种子").widget
        field.v_model = "abc"
        field.fire_event("keyup.enter")  # the field reports on Enter or when left
        assert _texts(rc, "param-error") == [MESSAGES["err_seed"]["zh"]]
        assert "随机种子" in _texts(rc, "stale-run")[0]  # named, in case its section is folded
        for panels in rc.find(v.ExpansionPanels).widgets:  # fold and unfold: built anew
            if "community" in (panels.class_ or ""):
                panels.v_model = None
                panels.v_model = 0
        field = rc.find(v.TextField, label="随机种子").widget
        assert field.v_model == "abc"  # kept as typed, not shown as the last valid seed
        field.v_model = "0"  # the last valid seed typed back
        field.fire_event("keyup.enter")
        assert _texts(rc, "param-error") == [] and _texts(rc, "stale-run") == []

    _session(check)


def test_a_failing_comparison_leaves_the_page_working(kernel_context, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(rn, "compare", boom)

    async def check():
        _, rc = _render()
        _button(rc, "开始对比").widget.click()
        await _wait_compared(rc)
        assert "对比未能运行" in _texts(rc, "compare-error")[0]
        _button(rc, "重置").widget.click()
        _button(rc, "单步").widget.click()
        assert _cards(rc)[0] == "1"

    _session(check)


def test_a_failing_week_stops_the_run_with_a_message_and_reset_recovers(
    kernel_context, monkeypatch
):
    def check():
        _, rc = _render()
        _button(rc, "重置").widget.click()
        real = rn.run_to

        def broken(model, week):
            raise FloatingPointError("simulated")

        monkeypatch.setattr(rn, "run_to", broken)
        _button(rc, "单步").widget.click()
        assert _texts(rc, "run-notice") == [MESSAGES["err_run"]["zh"]]
        monkeypatch.setattr(rn, "run_to", real)
        _button(rc, "重置").widget.click()
        _button(rc, "单步").widget.click()
        assert _cards(rc)[0] == "1" and _texts(rc, "run-notice") == []

    _session(check)


def test_error_messages_name_parameters_in_the_ui_language():
    from model.params import ParameterError

    params = rn.settings_for("baseline")["params"]
    msgs = rn.explain_error(ParameterError("ws_k=1 is not allowed: expected …"), params, "zh")
    assert list(msgs) == ["ws_k"] and "ws_k" not in msgs["ws_k"]
    msgs = rn.explain_error(ValueError("something else"), params, "en")
    assert msgs == {"": t("err_generic", "en", which="")}


# ---------------------------------------------------------------------- comparison
@pytest.fixture(scope="module")
def reform_runs():
    settings = rn.settings_for("beijing_reform")
    settings["params"].update(reform_week=0, n_residents=600)
    return rn.compare(settings, "baseline", replicates=4, weeks=40)


def test_comparison_says_it_in_one_sentence_with_points_and_interval(reform_runs):
    # the wording of a clear rise, whatever this small run happens to show
    raised = reform_runs.copy()
    raised.attrs = reform_runs.attrs
    chosen = raised.scenario == "chosen"
    raised.loc[chosen, "satisfaction_rate"] = raised.loc[chosen, "satisfaction_rate"] + 0.3
    zh = rn.comparison_sentence(raised, "zh")
    assert zh.startswith("与现状相比，当前设置（基于北京模式）使") and zh.endswith("。")
    assert re.search(r"满意率提高约 \d+ 个百分点（95%区间 \d+–\d+）", zh), zh
    en = rn.comparison_sentence(raised, "en")
    assert "satisfaction by about" in en and "percentage points (95 % interval" in en
    table = rn.comparison_table(reform_runs, "zh")
    assert list(table.columns)[0] == "指标" and "个百分点" in table.iloc[1]["差异"]
    assert table.index.tolist() == list(range(len(table)))  # shown without the index


def test_the_sentence_says_what_it_costs_and_a_clear_change_of_backlog(reform_runs):
    costly = reform_runs.copy()
    costly.attrs = reform_runs.attrs
    chosen, other = costly.scenario == "chosen", costly.scenario == "other"
    for col in ("budget_spent", "backlog"):  # the other arm's, plus a steady amount
        costly.loc[chosen, col] = costly.loc[other, col].to_numpy()
    costly.loc[chosen, "budget_spent"] += 2.0 * costly.loc[chosen, "week"]  # 2 more a week
    more = int(2 * min(costly.week.max(), 52))  # these runs are shorter than 52 weeks
    zh = rn.comparison_sentence(costly, "zh")
    assert zh.endswith(f"。最后52周多支出约 {more} 万元（95%区间 {more}–{more}）。"), zh
    costly.loc[chosen, "backlog"] -= 12
    zh, en = rn.comparison_sentence(costly, "zh"), rn.comparison_sentence(costly, "en")
    assert zh.endswith("，积压案件减少约 12 件（95%区间 12–12）。"), zh
    assert en.endswith(f". It spends about {more} (10k CNY) more in the last 52 weeks (95 % "
                       f"interval {more} to {more}) and the backlog shrinks by about 12 cases "
                       "(95 % interval 12 to 12)."), en  # fmt: skip
    same = rn.comparison_sentence(
        rn.compare(rn.settings_for("baseline"), "baseline", replicates=3, weeks=20), "zh"
    )
    assert "最后52周支出无明显变化（95%区间 0–0 万元）" in same and "积压" not in same


def test_a_small_effect_is_said_with_a_decimal_not_rounded_to_nothing(reform_runs):
    shifted = reform_runs.copy()
    shifted.attrs = reform_runs.attrs
    same = shifted.scenario == "other"
    shifted.loc[~same, "participation_rate"] = shifted.loc[same, "participation_rate"].to_numpy()
    shifted.loc[~same, "participation_rate"] += 0.009  # 0.9 points in every replicate
    zh = rn.comparison_sentence(shifted, "zh")
    assert "参与率提高约 0.9 个百分点（95%区间 0.9–0.9）" in zh, zh


def test_the_comparison_chart_scales_each_share_to_what_it_shows(reform_runs):
    from experiments.dashboard import figures as fg

    fig = fg.draw_comparison(reform_runs, {"chosen": "a", "other": "b"}, "en", None)
    participation, satisfaction = fig.axes[:2]
    top = fg.comparison_bands(reform_runs, "participation_rate").hi.max()
    assert top < participation.get_ylim()[1] <= min(1.0, 2.5 * top)  # not 0–100 % for 5 %
    assert participation.get_ylim()[0] == 0 and satisfaction.get_ylim()[0] == 0


def test_spending_at_the_end_is_what_the_last_52_weeks_added():
    weeks = np.arange(1, 101)
    frames = []
    for role, per_week in (("chosen", 2.0), ("other", 1.0)):
        for r in range(3):
            f = pd.DataFrame({c: 0.5 for c, _, _ in rn.END_MEASURES}, index=weeks - 1)
            f["week"], f["scenario"], f["replicate"] = weeks, role, r
            f["budget_spent"] = per_week * weeks  # a running total
            frames.append(f)
    row = rn.end_differences(pd.concat(frames)).set_index("measure").loc["budget_spent"]
    assert (row["chosen"], row["other"], row["diff"]) == (104.0, 52.0, 52.0)


def test_comparison_of_a_preset_with_itself_shows_no_difference():
    runs = rn.compare(rn.settings_for("baseline"), "baseline", replicates=3, weeks=20)
    assert set(runs.scenario) == {"chosen", "other"} and len(runs) == 2 * 3 * 20
    assert (rn.end_differences(runs)["diff"] == 0).all()
    assert "无明显变化" in rn.comparison_sentence(runs, "zh")


def test_the_compared_preset_keeps_the_community_on_screen():
    settings = rn.settings_for("feedback_loop")
    settings["params"].update(n_residents=300, reform_week=5)
    other = rn.with_preset(settings, "whistle_and_report")
    assert other["params"]["n_residents"] == 300 and other["params"]["reform_week"] == 5
    assert other["params"]["feedback_prob"] == PARAMS["feedback_prob"].default


def test_a_comparison_from_earlier_settings_is_labelled_as_such(kernel_context):
    async def check():
        _, rc = _render()
        _open_tiers(rc)
        rc.find(v.Slider, label="重复次数").widget.v_model = 2
        _let_go(rc.find(v.Slider, label="运行周数").widget, 20)
        _button(rc, "开始对比").widget.click()
        await _wait_compared(rc)
        assert "与现状相比，现状" in _texts(rc, "comparison-result")[0]
        assert not _texts(rc, "stale-comparison")
        rc.find(v.Select, label="情景").widget.v_model = "吹哨报到"
        assert _texts(rc, "stale-comparison")
        assert "与现状相比，现状" in _texts(rc, "comparison-result")[0]  # its own labels

    _session(check)


# ---------------------------------------------------------------------- neighbourhood
def test_neighbourhood_is_one_tile_per_building_legible_at_10000_households():
    settings = rn.settings_for("baseline")
    settings["params"]["n_residents"] = 10_000
    model = rn.run_to(rn.build_model(settings), 5)
    view = fg.NeighbourhoodView(model, "en")
    view.update(model, "participation")
    assert len(view.tiles.get_paths()) == model.n_buildings
    values = view.tiles.get_array()
    assert values.min() >= 0 and values.max() <= 1 and values.std() > 0
    lay = fg.building_layout(model)
    corners = set(zip(lay["x"].tolist(), lay["y"].tolist()))
    assert len(corners) == model.n_buildings  # no two buildings on one tile
    # buildings of one compound sit together
    c0 = lay["compound"] == 0
    assert np.ptp(lay["x"][c0]) <= lay["size"][0] and np.ptp(lay["y"][c0]) <= lay["size"][1]
    png = view.render()
    assert png[:4] == b"\x89PNG" and view.export_png()[:4] == b"\x89PNG"


def _cloth(view, png: bytes, points) -> list[tuple]:
    """The colours drawn in the middle of the flags whose poles stand at ``points``
    (``(scatter, display pixels)`` pairs)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    verts = fg.FLAG.vertices
    cloth = verts[2:5]  # the cloth's corners, right of the pole
    dx, dy = (cloth.min(axis=0) + cloth.max(axis=0)) / 2
    out = []
    for scatter, (x, y) in points:
        # a marker is scaled so its largest coordinate lies at half its side, √size points
        scale = np.sqrt(scatter.get_sizes()[0]) / 2 / np.abs(verts).max() * view.fig.dpi / 72
        out.append(image.getpixel((int(x + dx * scale), int(image.height - y - dy * scale))))
    return out


def _rgb(colour) -> tuple:
    return tuple(round(255 * c) for c in to_rgba(colour)[:3])


def test_neighbourhood_marks_the_branches_meetings_and_activities_and_the_committee():
    """A meeting week (deliberation and joint meetings every 4 weeks): each compound's flag
    shows its branch's meeting and whether it was about residents' needs, the tiles of the
    buildings whose activity was held are outlined, and the committee's line and flag show
    the joint meeting and the cases it put to the departments; the next week they clear."""
    settings = rn.settings_for("baseline")
    settings["params"].update(deliberation_every_weeks=4, reform_week=0, resident_agenda=True)
    model = rn.run_to(rn.build_model(settings), 9)  # the last week run is week 8
    assert model.params["committee_convening_every_weeks"] == 4
    view = fg.NeighbourhoodView(model, "en")
    view.update(model, "efficacy")
    png = view.render()
    held, relevant = model.meeting_held, model.meeting_relevant
    assert held.any() and (held & relevant).any()  # the week shows what it should
    expected = np.where(held[:, None], to_rgba(fg.STAGED_COLOUR), fg.NO_EVENT)
    expected[held & relevant] = to_rgba(fg.RELEVANT_COLOUR)
    np.testing.assert_allclose(view.branches.get_facecolors(), expected)
    # … and the page's picture shows them: the middle of each flag's cloth
    poles = view.branches.get_offset_transform().transform(view.branches.get_offsets())
    flags = [(view.branches, p) for p in poles]
    want = [_rgb(fg.RELEVANT_COLOUR if r else fg.STAGED_COLOUR) for r in relevant[held]]
    assert [c for c, h in zip(_cloth(view, png, flags), held) if h] == want
    # activities: one outline per building whose activity was held, coloured by relevance
    acts = model.activity_held
    assert acts.size and len(view.activities.get_paths()) == acts.size
    centres = np.array([p.vertices[:4].mean(axis=0) for p in view.activities.get_paths()])
    lay = fg.building_layout(model)
    np.testing.assert_allclose(centres, np.column_stack([lay["x"], lay["y"]])[acts] + 0.45)
    edge = np.where(model.activity_relevant[:, None], to_rgba(fg.RELEVANT_COLOUR),
                    to_rgba(fg.STAGED_COLOUR))  # fmt: skip
    np.testing.assert_allclose(view.activities.get_edgecolors(), edge)
    # the committee's joint meeting and the cases it put to the departments
    answer, cases = view.committee_fields
    put = model.measures["cases_escalated_by_committee"]
    assert model.measures["committee_meetings"] == 1 and put > 0
    assert answer.get_text() == t("committee_held", "en") and cases.get_text() == f"{put:,.0f}"
    committee = [(view.committee, view.committee.get_offset_transform().transform((0.06, 0.12)))]
    assert _cloth(view, png, committee) == [_rgb(fg.COMMITTEE_COLOUR)]

    model.step()  # week 9: no meeting of either kind
    assert not model.meeting_held.any() and model.measures["committee_meetings"] == 0
    view.update(model, "efficacy")
    png = view.render()
    np.testing.assert_allclose(
        view.branches.get_facecolors(), np.tile(fg.NO_EVENT, (model.n_compounds, 1))
    )
    assert set(_cloth(view, png, flags)) == {(255, 255, 255)}
    assert len(view.activities.get_paths()) == model.activity_held.size
    assert answer.get_text() == t("committee_not_held", "en") and cases.get_text() == "0"
    assert _cloth(view, png, committee) == [(255, 255, 255)]


def test_neighbourhood_before_any_week_shows_no_party_event():
    settings = rn.settings_for("baseline")
    settings["params"]["burn_in_weeks"] = 0
    model = rn.build_model(settings)
    view = fg.NeighbourhoodView(model, "zh")
    view.update(model, "efficacy")
    assert view.render()[:4] == b"\x89PNG"
    assert len(view.activities.get_paths()) == 0
    assert view.committee_fields[1].get_text() == "0"


def test_grid_ids_are_each_residents_grid_worker():
    model = rn.build_model(rn.settings_for("baseline"))
    ids = rn.grid_ids(model)
    assert ids.shape == (model.n,) and ids.max() == model.n_grids - 1


# ---------------------------------------------------------------------- controls
def test_controls_come_in_tiers_derived_from_the_registry():
    tiers = {name: rn.tier(p) for name, p in PARAMS.items()}
    assert {n for n, t_ in tiers.items() if t_ == "levers"} == {
        n for n, p in PARAMS.items() if p.lever or p.group == "levers"
    }
    assert all(tiers[n] == "advanced" for n, p in PARAMS.items() if p.group == "residents")
    assert tiers["n_residents"] == "community" and tiers["network_kind"] == "advanced"


def test_settings_that_do_not_apply_are_hidden():
    params = rn.settings_for("baseline")["params"]
    assert not rn.applies(PARAMS["ws_k"], params) and rn.applies(PARAMS["ties_building"], params)
    assert not rn.applies(PARAMS["whistle_deadline_weeks"], params)
    params = rn.settings_for("whistle_and_report")["params"]
    assert rn.applies(PARAMS["whistle_deadline_weeks"], params)


def test_sliders_show_value_unit_and_range(kernel_context):
    def check():
        _, rc = _render()
        values = _texts(rc, "cl-param-value")
        assert "当前 20%；范围 0 – 100%" in values  # feedback loop
        assert "当前 35%；范围 0 – 95%" in values  # tasks pushed down
        assert "当前 52；范围 0 – 520" in values  # reform week: the unit is in the label
        assert rc.find(v.Slider, label="改革启动周").widgets
        assert rc.find(v.Slider, label="审批周期（周）").widgets  # a unit the name does not say
        # a share's bubble would show the raw fraction (0.35) beside "35%": it has none
        shares = rc.find(v.Slider, label="下派任务占比").widget
        assert shares.thumb_label is False
        assert rc.find(v.Slider, label="改革启动周").widget.thumb_label

    _session(check)


def test_english_help_names_other_settings_as_the_page_does_not_by_their_codes():
    from experiments.dashboard.i18n import param_help, param_name

    coded = sorted((n for n in PARAMS if "_" in n), key=len, reverse=True)  # not "aspiration"
    codes = re.compile(r"\b(" + "|".join(coded) + r")\b")
    for p in PARAMS.values():
        assert not codes.search(param_help(p, "en")), p.name
    late = param_help(PARAMS["patience_weeks"], "en")
    assert f"“{param_name(PARAMS['lateness_halflife_weeks'], 'en')}”" in late


def test_slider_steps_keep_every_default_on_a_step_counted_from_the_minimum():
    for p in PARAMS.values():
        if p.type is float:
            low, high = rn.ui_range(p)
            step = dash.slider_step(low, high, p.default)
            on = low + round((p.default - low) / step) * step
            assert on == pytest.approx(p.default, abs=1e-9), p.name


def test_slider_steps_keep_an_opened_files_values_on_a_step():
    # values of an exported policy; a step of 10 took 1.82 to 0, a step of 1 from 0.5 took 8 off
    for low, high, value in ((0, 1000, 1.82), (0, 1000, 120.48), (0, 1, 0.5456), (0.5, 104, 8.0)):
        step = dash.slider_step(low, high, value)
        assert low + round((value - low) / step) * step == pytest.approx(value, abs=1e-9)
    assert dash.slider_step(0, 1000, 0.0, 40.0) == 10.0  # coarse when nothing is off the grid
    assert dash.slider_step(0, 0.95, 0.35) == 0.01  # an arrow key moves 1 %, not 0.1 %
    assert dash.slider_step(0, 2, 0.0) == 0.02


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_preset_builds_a_model(name):
    model = rn.build_model(rn.settings_for(name))
    model.step()
    assert model.week == 1


# ---------------------------------------------------------------------- exports and links
def test_weekly_csv_is_stamped_and_ends_at_the_week_on_screen():
    settings = rn.settings_for("feedback_loop", seed=7)
    model = rn.run_to(rn.build_model(settings), 60)
    data = rn.weekly_csv(model, settings, "zh")
    text = data.decode("utf-8-sig")
    assert "# 随机种子: 7" in text and "# 版本: civicloop" in text
    assert "反馈闭环 = 90%（自第52周起）" in text  # Chinese brackets, no space
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert frame["周"].iloc[-1] == model.week == 60
    assert "参与率 (%)" in frame.columns
    assert frame["参与率 (%)"].map(lambda x: len(str(x)) <= 5).all()  # no 16-digit numbers


def test_a_downloads_link_leads_back_to_the_server_the_reader_opened(kernel_context):
    import solara.lab

    settings = rn.settings_for("feedback_loop", seed=7)
    link = dict(rn.stamp(settings, 0, "en"))["Link to this view"]
    assert link.startswith("?scenario=feedback_loop")  # no page: no address to give
    solara.lab.headers.set({"host": ["10.1.2.3:8765"]})
    link = dict(rn.stamp(settings, 0, "en"))["Link to this view"]
    assert link.startswith("http://10.1.2.3:8765/?scenario=feedback_loop")
    solara.lab.headers.set({"host": ["10.1.2.3:8765"], "x-forwarded-proto": ["https"],
                            "x-forwarded-host": ["gov.example"]})  # fmt: skip
    assert dict(rn.stamp(settings, 0, "en"))["Link to this view"].startswith(
        "https://gov.example/?scenario=feedback_loop"
    )
    solara.lab.headers.set({"host": ["gov.example"], "x-forwarded-prefix": ["/civicloop/"]})
    assert dict(rn.stamp(settings, 0, "en"))["Link to this view"].startswith(
        "http://gov.example/civicloop/?scenario="
    )  # served under a path of a shared server


def test_comparison_csv_and_brief_carry_the_sentence_and_settings(reform_runs):
    text = rn.comparison_csv(reform_runs, "zh").decode("utf-8-sig")
    assert "# 对比情景: 现状" in text and "# 重复次数: 4" in text
    table = pd.read_csv(io.StringIO(text), comment="#")
    assert list(table.columns) == ["指标", "现状", "当前设置（基于北京模式）", "差异", "95%区间"]
    run = dash.Run(reform_runs.attrs["settings"], rn.build_model(reform_runs.attrs["settings"]))
    brief = dash.brief_html(run, "zh", reform_runs).decode()
    assert rn.comparison_sentence(reform_runs, "zh") in brief
    assert "data:image/png;base64," in brief and "随机种子" in brief


def test_a_brief_after_the_settings_changed_leaves_the_old_comparison_out(reform_runs):
    settings = {**reform_runs.attrs["settings"]}
    settings["params"] = {**settings["params"], "online_platform": True}  # a lever changed
    run = dash.Run(settings, rn.build_model(settings))
    brief = dash.brief_html(run, "en", reform_runs).decode()
    assert rn.comparison_sentence(reform_runs, "en") not in brief
    assert "left out" in brief and "online_platform=true" in brief  # the settings on screen


def test_exported_toml_round_trips_through_the_sweep_parser():
    settings = rn.settings_for("feedback_loop", seed=7, weeks=40)
    settings["params"].update(n_residents=500, reform_week=20)
    text = rn.scenario_toml(settings, replicates=3)
    assert "seed is the sweep's master seed" in text  # not the page's seed + r
    spec = parse_spec(text)
    runs = plan_runs(spec)
    assert spec.weeks == 40 and spec.replicates == 3 and spec.seed == 7
    chosen = [r for r in runs if r.scenario == "feedback_loop"]
    assert chosen[0].params == {"n_residents": 500, "reform_week": 20}
    assert chosen[0].base_scenario == "feedback_loop" and chosen[0].interventions == ()


@pytest.mark.parametrize(
    ("preset", "moved"),
    [("whistle_and_report", {"feedback_prob": 0.51}), ("whistle_and_report", {"whistle": False}),
     ("baseline", {"whistle": True})],
)  # fmt: skip
def test_an_exported_preset_with_moved_levers_opens_as_that_preset_and_runs_as_the_page(
    preset, moved
):
    settings = rn.settings_for(preset, seed=5, weeks=60)
    settings["params"].update(n_residents=300, reform_week=10, **moved)
    text = rn.scenario_toml(settings)
    name, back = rn.scenario_from_spec(text, "saved.toml")
    assert back == settings and name == "on_screen"  # the preset, and what was moved from it
    run = next(r for r in plan_runs(parse_spec(text)) if r.scenario == name)
    assert run.base_scenario == preset and run.interventions[0]["set"] == moved
    swept = CommunityModel(scenario=preset, interventions=list(run.interventions), rng=5,
                           **run.params)  # fmt: skip
    page = rn.build_model(settings)
    for _ in range(30):
        swept.step()
        page.step()
    assert swept.params == page.params and (swept.people.efficacy == page.people.efficacy).all()


def test_the_chinese_pages_exported_toml_is_commented_in_chinese_and_plans_the_same_runs():
    settings = rn.settings_for("feedback_loop", seed=7, weeks=40)
    settings["params"].update(n_residents=500, reform_week=20)
    zh, en = rn.scenario_toml(settings, lang="zh"), rn.scenario_toml(settings, lang="en")
    comments = [line for line in zh.splitlines() if line.startswith("#")]
    assert comments and all(re.search("[\u4e00-\u9fff]", line) for line in comments[1:])
    assert "master seed" not in zh and "主种子" in zh and "仪表盘" in parse_spec(zh).description
    assert plan_runs(parse_spec(zh)) == plan_runs(parse_spec(en))


def test_a_link_restores_scenario_levers_seed_and_language():
    settings = rn.settings_for("whistle_and_report", seed=11, weeks=80)
    settings["params"].update(feedback_prob=0.5, n_residents=800)
    back, lang, bad = rn.from_query(rn.to_query(settings, "en"))
    assert back == settings and lang == "en" and bad == []
    _, _, bad = rn.from_query("scenario=nope&n_residents=99999999&feedback_prob=x&foo=1")
    assert set(bad) == {"scenario", "n_residents", "feedback_prob", "foo"}


def test_a_links_unused_settings_are_named_as_the_page_names_them_with_what_is_allowed():
    query = "feedback_prob=1.5&foo=1&whistle=maybe"
    _, _, bad = rn.from_query(query)
    zh = rn.link_problems(query, bad, "zh")
    assert "反馈闭环 = 1.5（允许：0 至 1）" in zh and "feedback_prob" not in zh
    assert "“foo”（不是本模型的设置）" in zh and "吹哨报到 = maybe（允许：true 或 false）" in zh
    en = rn.link_problems(query, bad, "en")
    assert "Feedback loop = 1.5 (allowed: 0 to 1)" in en and "feedback_prob" not in en


def test_the_page_opens_on_the_settings_of_a_link(kernel_context):
    def check():
        query = rn.to_query({**rn.settings_for("grid_plus_branch", seed=3, weeks=30)}, "en")

        _, rc = solara.render(_at(query), handle_error=False)
        _open_tiers(rc)
        assert rc.find(v.Switch, label="Grid + branch").widget.v_model is True
        assert _cards(rc)[0] == "30"
        assert rc.find(v.TextField, label="Seed").widget.v_model == "3"

    _session(check)


# ---------------------------------------------------------------------- scenario files
POLICY = """
name = "optimize_budget_policy_003"
description = "Policy 3 of the optimize_budget front (civicloop optimize)"
weeks = 60
replicates = 4
seed = 2001

[base]
n_residents = 600

[scenarios]
baseline = "baseline"

[[scenarios.policy.interventions]]
week = 30

[scenarios.policy.interventions.set]
feedback_prob = 0.8
whistle = true
assessment = "results"
"""


def test_a_policy_of_the_search_opens_with_its_levers_at_the_reform_week():
    settings = rn.settings_from_spec(POLICY, "policy_003.toml")
    assert settings["seed"] == 2001 and settings["weeks"] == 60
    expected = {"n_residents": 600, "reform_week": 30, "feedback_prob": 0.8, "whistle": True,
                "assessment": "results"}  # fmt: skip
    assert {k: settings["params"][k] for k in expected} == expected
    fixed, levers, week = rn.split_settings(settings)
    assert fixed == {"n_residents": 600} and week == 30
    assert levers == {"feedback_prob": 0.8, "whistle": True, "assessment": "results"}


def test_a_saved_scenario_opens_as_it_was_saved():
    settings = rn.settings_for("beijing_reform", seed=5, weeks=70)
    settings["params"].update(n_residents=700, reform_week=20, resident_incentive=0.3)
    back = rn.settings_from_spec(rn.scenario_toml(settings), "saved.toml")
    assert back["params"] == settings["params"] and back["scenario"] == "beijing_reform"
    assert (back["seed"], back["weeks"]) == (5, 70)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("week = 30", "week = 30\n[sweep]\nseed_offset = [1]", "unknown parameter"),
        ("[scenarios]", "[sweep]\nfeedback_prob = [0.2, 0.9]\n[scenarios]", "civicloop sweep"),
        ("feedback_prob = 0.8", "n_residents = 900", "belong in [base]"),
        ("n_residents = 600", "n_residents = 600\nwhistle = true", "set from week 0"),
        ("weeks = 60", "weeks = 9000", "this server runs 1 to"),
        ("n_residents = 600", "n_residents = 900000", "this server allows"),
        ("[scenarios]", '[scenarios.other]\nfrom = "funding"\n[scenarios]', "reform_week"),
    ],
)
def test_scenario_files_the_page_cannot_show_are_refused_with_the_reason(old, new, says):
    text = POLICY.replace(old, new, 1)
    if says == "reform_week":  # a preset switching at week 52 and interventions at week 30
        text = text.replace("[scenarios.other]", "[scenarios.policy]")
    with pytest.raises(SpecError) as err:
        rn.settings_from_spec(text, "p.toml")
    assert "p.toml" in str(err.value) and says in str(err.value), str(err.value)


def test_why_a_file_cannot_open_is_said_in_the_pages_language():
    from experiments.reproduce import SPEC_DIR

    text = (SPEC_DIR / "example_small.toml").read_text(encoding="utf-8")
    with pytest.raises(rn.PageRefusal) as err:
        rn.scenario_from_spec(text, "example_small.toml")
    assert "the dashboard opens one scenario" in str(err.value)  # the command line's words
    assert err.value.say("zh").startswith("example_small.toml：此文件扫描或抽样多组参数")
    with pytest.raises(rn.PageRefusal) as err:
        rn.scenario_from_spec(POLICY, "p.toml", scenario="nope")
    assert err.value.say("zh") == "p.toml：没有名为“nope”的情景；文件中有：baseline, policy"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("week,participation\n1,0.2\n", "p.toml：不是有效的 TOML 文件（第 1 行第 5 列有误）"),
        ('name="x"\nseed=1\n[base]\nfeedback_probb = 0.5\n',
         "p.toml 第 4 行，base.feedback_probb：没有名为“feedback_probb”的参数"
         "（是否想写：feedback_prob？）"),
        ('name="x"\nseed=1\n[base]\nfeedback_prob = 1.5\n',
         "p.toml 第 4 行，base.feedback_prob：反馈闭环（feedback_prob）不能取 1.5；"
         "允许：[0, 1] 之间的数，即页面上的 0–100%"),
        ('name="x"\nseed=1\nweeks = 0\n',
         "p.toml 第 3 行，weeks：须为 [1, 100000] 之间的整数，文件中为 0"),
        ('name="x"\n', "p.toml，seed：必须填写（一个整数）"),
        ("", "p.toml，name：必须填写实验名称"),
        ('name="x"\nseed=1\nweek = 10\n', "p.toml 第 3 行，week：不认识的键（是否想写：weeks？）"),
        ('name="x"\nseed=1\n[scenarios.a]\nfrom = "beijng"\n',
         "p.toml 第 4 行，scenarios.a.from：没有名为“beijng”的预设情景"
         "（是否想写：beijing_reform？）"),
    ],
)  # fmt: skip
def test_the_spec_checkers_common_reasons_are_said_in_chinese_with_line_and_key(text, says):
    with pytest.raises(SpecError) as err:
        rn.scenario_from_spec(text, "p.toml")
    assert rn.spec_error_zh(err.value).startswith(says), rn.spec_error_zh(err.value)


def test_a_spec_opens_at_its_first_scenario_the_page_can_show():
    from experiments.reproduce import SPEC_DIR

    # levers.toml begins with a baseline whose learning is frozen (not a lever): skipped
    text = (SPEC_DIR / "levers.toml").read_text(encoding="utf-8")
    name, settings = rn.scenario_from_spec(text, "levers.toml")
    assert name == "feedback_loop" and settings["scenario"] == "feedback_loop"
    with pytest.raises(SpecError, match="baseline_frozen"):  # asked for by name: the reason
        rn.scenario_from_spec(text, "levers.toml", scenario="baseline_frozen")


def test_two_intervention_weeks_or_an_unknown_scenario_are_refused():
    two = (
        POLICY + "\n[[scenarios.policy.interventions]]\nweek = 40\n"
        "[scenarios.policy.interventions.set]\nwhistle = false\n"
    )
    with pytest.raises(SpecError, match="one reform week"):
        rn.settings_from_spec(two, "p.toml")
    with pytest.raises(SpecError, match="the file has: baseline, policy"):
        rn.settings_from_spec(POLICY, "p.toml", scenario="nope")
    assert rn.settings_from_spec(POLICY, "p.toml", scenario="baseline")["params"] == (
        rn.settings_for("baseline", weeks=60)["params"] | {"n_residents": 600}
    )


def _drop(rc, monkeypatch, name: str, data: bytes) -> None:
    """What the browser does when a file is dropped on the page's drop zone."""
    from solara.components.file_drop import FileDropZone

    monkeypatch.setattr(FileDropZone, "get_files",
                        lambda self: [{"name": name, "size": len(data),
                                       "file_obj": io.BytesIO(data)}])  # fmt: skip
    rc.find(FileDropZone).widget.file_info = [{"name": name, "isFile": True, "size": len(data)}]


def test_a_chosen_file_reaches_the_page_as_a_dropped_one_does():
    sent = {"name": "p.toml", "size": 5, "data": base64.b64encode(b"a = 1").decode()}
    got = dash.picked_file(sent)
    assert (got["name"], got["size"], got["file_obj"].read()) == ("p.toml", 5, b"a = 1")
    assert dash.picked_file({"name": "", "size": None, "data": "%%%"})["file_obj"].read() == b""


def test_a_dropped_scenario_file_opens_on_screen_and_a_bad_one_is_explained(
    kernel_context, monkeypatch
):
    async def until(condition, timeout=30.0):
        start = time.monotonic()
        while not condition():
            assert time.monotonic() - start < timeout, "timed out"
            await asyncio.sleep(0.05)

    async def check():
        _, rc = _render()
        _drop(rc, monkeypatch, "big.toml", b"#" * (rn.MAX_SPEC_BYTES + 1))
        await until(lambda: _texts(rc, "spec-error"))
        assert "文件超过" in _texts(rc, "spec-error")[0]
        _drop(rc, monkeypatch, "bad.toml", POLICY.replace("weeks = 60", "weeks = 9000").encode())
        await until(lambda: "bad.toml" in "".join(_texts(rc, "spec-error")))
        (message,) = _texts(rc, "spec-error")
        assert message.startswith("无法打开此文件") and "bad.toml" in message
        _drop(rc, monkeypatch, "typo.toml", b"name = \n")  # the spec checker's, in Chinese
        await until(lambda: "typo.toml" in "".join(_texts(rc, "spec-error")))
        said = _texts(rc, "spec-error")[0]
        assert "typo.toml：不是有效的 TOML 文件（第 1 行第 8 列有误）" in said
        _drop(rc, monkeypatch, "rare.toml", POLICY.replace("weeks = 60", "metrics = []").encode())
        await until(lambda: "rare.toml" in "".join(_texts(rc, "spec-error")))
        assert "原因（英文）：" in _texts(rc, "spec-error")[0]  # a rarer one: says it is English
        assert _cards(rc)[0] == "156"  # the run on screen is kept
        _drop(rc, monkeypatch, "policy_003.toml", POLICY.encode())
        await until(lambda: _texts(rc, "spec-ready"))
        assert not _texts(rc, "spec-error")
        assert _texts(rc, "spec-ready")[0].startswith(
            "policy_003.toml · policy：与现状相比有 4 项设置不同"
            "（居民户数、反馈闭环、吹哨报到、考核方式）"
        )
        _button(rc, "打开此文件").widget.click()
        settings = rn.settings_from_spec(POLICY)
        model = rn.run_to(rn.build_model(settings), 60)
        assert _cards(rc)[:2] == ["60", f"{model.measures['participation_rate']:.0%}"]
        _open_tiers(rc)
        assert rc.find(v.TextField, label="随机种子").widget.v_model == "2001"
        assert not _texts(rc, "spec-ready")

    _session(check)


# ---------------------------------------------------------------------- intranet safety
def test_caps_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CIVICLOOP_DASHBOARD_MAX_RESIDENTS", "5000")
    monkeypatch.setenv("CIVICLOOP_DASHBOARD_MAX_JOBS", "1")
    limits = rn.Limits.from_env()
    assert limits.max_residents == 5000 and limits.max_jobs == 1
    assert rn.ui_range(PARAMS["n_residents"], limits)[1] == 5000
    _, _, bad = rn.from_query("n_residents=6000", limits)
    assert bad == ["n_residents"]


def test_heavy_work_is_bounded_across_sessions():
    gate = rn.WorkGate(2)
    running, peak, refused = [0], [0], []
    lock = threading.Lock()

    def job():
        try:
            with gate.slot(wait=0.05):
                with lock:
                    running[0] += 1
                    peak[0] = max(peak[0], running[0])
                time.sleep(0.3)
                with lock:
                    running[0] -= 1
        except rn.Busy:
            refused.append(1)

    threads = [threading.Thread(target=job) for _ in range(5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert peak[0] == 2 and len(refused) == 3


def test_several_sessions_compare_at_once_within_the_cap(monkeypatch):
    """Three pages press Compare together; at most max_jobs comparisons run at a time, the
    others wait their turn (or are told the server is busy) and every page stays usable."""
    from solara.server import kernel, kernel_context

    monkeypatch.setattr(rn, "GATE", rn.WorkGate(1))
    active, peak = [0], [0]
    real = rn.compare
    lock = threading.Lock()

    def counted(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(rn, "compare", counted)
    results = {}

    def session(i):
        context = kernel_context.VirtualKernelContext(
            id=f"k{i}", kernel=kernel.Kernel(), session_id=f"s{i}"
        )
        with context:

            async def main():
                _, rc = solara.render(_at("weeks=13&n_residents=500"), handle_error=False)
                rc.find(v.Slider, label="重复次数").widget.v_model = 2
                _button(rc, "开始对比").widget.click()
                await _wait_compared(rc, timeout=240)
                _button(rc, "重置").widget.click()
                _button(rc, "单步").widget.click()
                results[i] = (_texts(rc, "comparison-result"), _cards(rc)[0])

            asyncio.run(main())

    threads = [threading.Thread(target=session, args=(i,)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert peak[0] == 1
    assert len(results) == 3 and all(week == "1" for _, week in results.values())
    assert all(sentence for sentence, _ in results.values())


def test_the_cards_say_they_show_this_runs_last_four_weeks_not_a_years_mean():
    from model.metrics import WINDOW

    settings = rn.settings_for("baseline", seed=3, weeks=20)
    settings["params"].update(n_residents=300)
    model = rn.run_to(rn.build_model(settings), 10)
    cards = dict(dash.headline(model, "en"))
    assert cards["Participation"] == f"{model.measures['participation_rate']:.0%}"
    en, zh = dash.headline_note(model, "en"), dash.headline_note(model, "zh")
    assert f"weeks {10 - WINDOW + 1}–10 (the last {WINDOW})" in en and "52 weeks" in en
    assert f"第 {10 - WINDOW + 1}–10 周" in zh and "52 周" in zh
    assert en.startswith("One simulated run") and zh.startswith("单次模拟运行")  # not data
    start = rn.run_to(rn.build_model(settings), 0)  # after a reset: the settled status quo
    en, zh = dash.headline_note(start, "en"), dash.headline_note(start, "zh")
    assert f"last {WINDOW} weeks of the burn-in" in en and "预热期最后" in zh and "1–0" not in zh


def test_an_opened_files_scenario_is_named_as_the_page_names_it():
    settings = rn.settings_for("feedback_loop", seed=7, weeks=40)
    settings["params"]["feedback_prob"] = 0.5  # changed on the page: saved as on_screen
    chosen, _ = rn.scenario_from_spec(rn.scenario_toml(settings), "saved.toml")
    assert chosen == "on_screen" and dash.spec_scenario_label(chosen, "zh") == "页面保存的设置"
    assert dash.spec_scenario_label("beijing_reform", "en") == scenario_label_en("beijing_reform")
    assert dash.spec_scenario_label("policy", "zh") == "policy"  # a file's own name stays


def scenario_label_en(name: str) -> str:
    return SCENARIOS[name]["label_en"]


def test_a_settings_label_says_its_unit_once():
    from experiments.dashboard.i18n import param_label

    said = {(n, lang): param_label(PARAMS[n], lang) for n in PARAMS for lang in ("zh", "en")}
    assert said[("building_size", "zh")] == "每栋楼户数"  # not 每栋楼户数（户）
    assert said[("burn_in_weeks", "en")] == "Burn-in weeks"  # not Burn-in weeks (weeks)
    assert said[("report_base", "en")] == "Reporting propensity (intercept, log-odds)"
    assert said[("approval_delay_weeks", "zh")] == "审批周期（周）"
    assert not [s for s in said.values() if s.count("(") + s.count("（") > 1]
