"""Mesa's own tools work with the model: Scenario API, network space, SolaraViz."""

import warnings

import numpy as np
import pytest

from model import CommunityModel, ParameterError
from model.scenarios import SCENARIOS, CivicScenario, named_scenario, scenario_class


def test_scenario_class_is_generated_from_the_registry_with_status_quo_defaults():
    from mesa.experimental.scenarios import Scenario

    from model.params import PARAMS

    assert issubclass(CivicScenario, Scenario)
    defaults = CivicScenario._scenario_defaults
    assert set(defaults) == set(PARAMS) | {"scenario_name"}
    assert all(defaults[name] == p.default for name, p in PARAMS.items())
    assert CivicScenario.__annotations__["feedback_prob"] is float


def test_named_scenarios_are_instances_that_keep_their_name():
    for name in SCENARIOS:
        s = named_scenario(name)
        assert isinstance(s, CivicScenario) and s.scenario_name == name
        # what SolaraViz's Reset does: a new instance of the same type keeps the name
        assert type(s)(feedback_prob=0.3).scenario_name == name


def test_model_accepts_a_scenario_object_as_mesa_does():
    s = CivicScenario(rng=3, scenario_name="beijing_reform", n_residents=100, whistle=False)
    model = CommunityModel(scenario=s)
    assert model.scenario is s and model.scenario_name == "beijing_reform"
    assert model.params["n_residents"] == 100 and model._seed == 3
    # an explicitly set value wins over the scenario's lever of the same name
    assert "whistle" not in model.schedule_of_levers[0][1]
    assert model.schedule_of_levers[0][1]["feedback_prob"] == 0.9


def test_model_built_from_a_name_carries_a_mesa_scenario_with_its_values():
    model = CommunityModel(scenario="funding", rng=2, n_residents=120)
    assert type(model.scenario) is scenario_class("funding")
    assert model.scenario.n_residents == 120 and model.scenario.rng == 2


def test_same_seed_gives_the_same_run_by_name_or_by_scenario_object():
    a = CommunityModel(scenario="feedback_loop", rng=5, n_residents=150)
    b = CommunityModel(scenario=named_scenario("feedback_loop", rng=5, n_residents=150))
    for m in (a, b):
        for _ in range(3):
            m.step()
    assert a.measures == b.measures


def test_plain_mesa_scenario_fields_are_taken_as_parameters():
    from mesa.experimental.scenarios import Scenario

    model = CommunityModel(scenario=Scenario(rng=4, n_residents=80, scenario_name="funding"))
    assert model.n == 80 and model.scenario_name == "funding"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: CivicScenario(feedbak_prob=0.5), "did you mean feedback_prob"),
        (lambda: CivicScenario(scenario_name="bejing_reform"), "beijing_reform"),
        (lambda: CommunityModel(scenario=named_scenario("funding", rng=1), rng=2), "differs"),
        (lambda: CommunityModel(scenario=42), "scenario name"),
    ],
)
def test_bad_scenarios_are_refused_clearly(make, message):
    with pytest.raises(ParameterError, match=message):
        make()


def test_grid_index_is_the_array_and_grid_is_a_mesa_network_space():
    from mesa.discrete_space import Network

    model = CommunityModel(rng=1, n_residents=90)
    assert isinstance(model.grid_index, np.ndarray) and model.grid_index.shape == (90,)
    space = model.grid
    assert isinstance(space, Network) and model.grid is space  # built once
    assert len(space.agents) == 90
    r = model.residents[7]
    assert r.cell.coordinate == 7 and r in list(space[7].agents)
    ties = {a.index for a in r.neighbors}
    assert {c.coordinate for c in r.cell.neighborhood} == ties


def test_space_of_a_large_community_is_refused_not_built():
    from model import space

    model = CommunityModel(rng=1, n_residents=200)
    model.n = space.MAX_SPACE_RESIDENTS + 1  # pretend; building it would take minutes
    with pytest.raises(ValueError, match="too large"):
        _ = model.grid


def test_solaraviz_builds_steps_and_resets_with_a_plot_and_the_network_space():
    import ipyvuetify as v
    import ipywidgets
    import solara
    from mesa.visualization import (
        Slider,
        SolaraViz,
        make_plot_component,
        make_space_component,
    )
    from mesa.visualization.components import AgentPortrayalStyle

    def portray(agent):
        return AgentPortrayalStyle(color="tab:blue" if agent.efficacy > 0.5 else "tab:red")

    model = solara.reactive(CommunityModel(scenario="beijing_reform", rng=1, n_residents=80))
    components = [make_space_component(portray), make_plot_component("participation_rate")]
    params = {"n_residents": 80, "feedback_prob": Slider("feedback", 0.2, 0.0, 1.0, 0.1)}

    @solara.component
    def Page():
        with solara.AppLayout():  # renders SolaraViz's sidebar (the controller) too
            SolaraViz(model, components=components, model_params=params)

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # no deprecated Mesa API in our path
        _, rc = solara.render(Page(), handle_error=False)
        assert len(rc.find(ipywidgets.Image).widgets) == 2  # the network and the plot
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert model.value.week == 1
        rc.find(v.Btn, children=["Reset"]).widget.click()
    rebuilt = model.value
    assert rebuilt.week == 0 and rebuilt.scenario_name == "beijing_reform"
    assert rebuilt.params["feedback_prob"] == 0.2 and rebuilt.n == 80
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert rebuilt.week == 1


def _mesa_view(model):
    """What Mesa knows of a model's agents: order, ids, kinds, attributes, the type sets."""
    agents = [(type(a).__name__, a.unique_id, dict(vars(a))) for a in model.agents]
    by_type = {cls.__name__: [a.unique_id for a in s] for cls, s in model.agents_by_type.items()}
    return agents, by_type, model.agent_id_counter


def test_residents_registered_in_bulk_are_what_one_at_a_time_registration_gives(monkeypatch):
    import model.agents as agents

    bulk = CommunityModel(rng=7, n_residents=400, burn_in_weeks=0)
    monkeypatch.setattr(agents, "_can_register_in_bulk", lambda model, classes: False)
    single = CommunityModel(rng=7, n_residents=400, burn_in_weeks=0)
    strip = lambda view: (  # noqa: E731 - the model attribute differs by instance only
        [(k, u, {**v, "model": None}) for k, u, v in view[0]],
        view[1],
        view[2],
    )
    assert strip(_mesa_view(bulk)) == strip(_mesa_view(single))
    assert all(bulk.residents[i].index == i for i in range(bulk.n))
    # Mesa's own bookkeeping goes on working: removing an agent, and adding one later
    gone = bulk.residents[5]
    gone.remove()
    assert gone not in bulk.agents and gone not in bulk.agents_by_type[type(gone)]
    from model.agents import Resident

    late = Resident(bulk, 5)
    assert late.unique_id == bulk.agent_id_counter - 1 == single.agent_id_counter
    assert late in bulk.agents_by_type[Resident]


def test_residents_are_made_one_at_a_time_when_someone_observes_the_models_agents():
    from mesa.model import ModelSignals

    import model.agents as agents

    class Visitor(agents.Resident):
        pass

    class Watcher:
        def __init__(self):
            self.seen = []

        def added(self, signal):
            self.seen.append(signal)

    m = CommunityModel(rng=2, n_residents=100, burn_in_weeks=0)
    assert agents._can_register_in_bulk(m, [Visitor])
    watcher = Watcher()
    m.observe("agents", ModelSignals.AGENT_ADDED, watcher.added)
    assert not agents._can_register_in_bulk(m, [Visitor])
    made = agents.create_residents(m, [(Visitor, np.arange(3))])
    assert len(watcher.seen) == 3 and all(isinstance(a, Visitor) for a in made)
