"""Dashboard logic without a browser: layout, charts, export, comparison, widgets."""

import asyncio

import ipyvuetify as v
import numpy as np
import pytest
import solara

from experiments.dashboard import app as dash
from experiments.dashboard.i18n import MESSAGES, missing_translations
from experiments.plan import plan_runs
from experiments.spec import parse_spec
from model import PARAMS, SCENARIOS


def test_every_label_and_help_text_exists_in_both_languages():
    assert missing_translations() == []
    assert all(p.label_zh and p.description_zh for p in PARAMS.values())


def test_layout_keeps_each_building_together():
    model = dash.build_model(dash.settings_for("baseline"))
    pos = dash.layout(model)
    same = model.building == 3
    inside = np.linalg.norm(pos[same] - pos[same].mean(axis=0), axis=1).max()
    other_centre = pos[model.building == 30].mean(axis=0)
    assert inside < np.linalg.norm(pos[same].mean(axis=0) - other_centre) / 2


def test_charts_carry_titles_in_the_chosen_language():
    model = dash.build_model(dash.settings_for("baseline"))
    for _ in range(5):
        model.step()
    for lang in ("en", "zh"):
        fig = dash.draw_charts(dash.weekly_frame(model), lang)
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        assert titles[0] == MESSAGES["chart_groups"][lang]
        net = dash.draw_network(model, dash.layout(model), "participation", lang)
        assert net.axes[0].get_title() == MESSAGES["network_title"][lang]


def test_preset_settings_switch_levers_at_the_reform_week():
    settings = dash.settings_for("whistle_and_report")
    settings["params"]["reform_week"] = 3
    model = dash.build_model(settings)
    for _ in range(3):
        model.step()
    assert model.params["whistle"] is False
    model.step()
    assert model.params["whistle"] is True


def test_exported_toml_round_trips_through_the_sweep_parser():
    settings = dash.settings_for("feedback_loop", seed=7)
    settings["params"].update(n_residents=500, reform_week=20)
    spec = parse_spec(dash.scenario_toml(settings, replicates=3, weeks=40))
    runs = plan_runs(spec)
    assert spec.weeks == 40 and spec.replicates == 3 and spec.seed == 7
    chosen = [r for r in runs if r.scenario == "feedback_loop"]
    assert chosen[0].params == {"n_residents": 500, "reform_week": 20}
    assert chosen[0].interventions == ({"week": 20, "set": {"feedback_prob": 0.9}},)
    assert {r.scenario for r in runs} == {"feedback_loop", "baseline"}


def test_comparison_of_a_preset_with_itself_shows_no_difference():
    runs = dash.compare(dash.settings_for("baseline"), "baseline", replicates=3, weeks=20)
    assert set(runs.scenario) == {"chosen", "other"} and len(runs) == 2 * 3 * 20
    diffs = dash.end_differences(runs, "en")
    assert (diffs["Δ"] == 0).all()


def test_comparison_shows_the_reform_effect_with_an_interval():
    settings = dash.settings_for("full_package")
    settings["params"].update(reform_week=0, n_residents=600)
    runs = dash.compare(settings, "baseline", replicates=4, weeks=40)
    diffs = dash.end_differences(runs, "en").set_index("Measure")
    assert diffs.loc["Participation", "Δ"] > 0.1


@solara.component
def InAppLayout():
    """As the server shows it: the page inside Solara's app layout (sidebar included)."""
    with solara.AppLayout():
        dash.Page()


def _render():
    box, rc = solara.render(InAppLayout(), handle_error=False)
    return rc


def _button(rc, text):
    return rc.find(v.Btn, children=[text])


def test_page_steps_switches_language_and_applies_presets(kernel_context):
    async def session():  # the page's tasks need a running event loop, as in the server
        rc = _render()
        _button(rc, "单步").assert_single()
        _button(rc, "单步").widget.click()
        assert rc.find(v.Html, class_="headline-value").widgets[0].children == ["1"]
        _button(rc, MESSAGES["language"]["zh"]).widget.click()  # to English
        _button(rc, "Step").assert_single()
        assert not rc.find(v.Btn, children=["单步"]).widgets
        rc.find(v.Select, label="Scenario").widget.v_model = "Whistle and report"
        assert rc.find(v.Switch, label="Whistle & report").widget.v_model is True
        _button(rc, "Reset").widget.click()  # rebuilds the model, keeps the settings
        assert rc.find(v.Switch, label="Whistle & report").widget.v_model is True
        assert rc.find(v.Html, class_="headline-value").widgets[0].children == ["0"]

    asyncio.run(session())


def test_slider_steps_keep_every_default_on_a_step():
    for p in PARAMS.values():
        if p.type is float:
            low, high = dash.UI_LIMITS.get(p.name, (p.low, p.high))
            step = dash.slider_step(p.default, low, high)
            assert round(p.default / step) * step == pytest.approx(p.default, abs=1e-9)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_preset_builds_a_model(name):
    model = dash.build_model(dash.settings_for(name))
    model.step()
    assert model.week == 1
