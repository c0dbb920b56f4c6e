import pytest

from model import PARAMS, SCENARIOS, CommunityModel, ParameterError
from model.params import parse_value, validate_one


def test_unknown_parameter_names_the_closest_valid_ones():
    with pytest.raises(ParameterError, match="did you mean feedback_prob"):
        CommunityModel(feedbak_prob=0.5)


def test_out_of_range_value_states_the_allowed_range():
    with pytest.raises(ParameterError, match=r"feedback_prob=1\.5.*\[0, 1\]"):
        CommunityModel(feedback_prob=1.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("whistle", 1),
        ("n_residents", 10.5),
        ("assessment", "audit"),
        ("feedback_prob", "x"),
        ("feedback_prob", float("nan")),
        ("grid_plus_branch", "yes"),
    ],
)
def test_wrong_type_or_choice_is_rejected_with_what_is_allowed(name, value):
    with pytest.raises(ParameterError, match="expected"):
        validate_one(name, value)


def test_numpy_values_from_frames_and_arrays_are_taken_as_python_ones():
    import numpy as np

    assert validate_one("whistle", np.True_) is True
    assert validate_one("grid_households", np.int64(100)) == 100
    assert CommunityModel(n_residents=200, whistle=np.bool_(True)).params["whistle"] is True
    a, b = CommunityModel(rng=np.int64(3), n_residents=200), CommunityModel(rng=3, n_residents=200)
    assert (a.people.efficacy == b.people.efficacy).all()  # a seed read from a frame
    with pytest.raises(ParameterError, match="expected true or false"):
        validate_one("whistle", np.int64(1))  # a number is still not a yes/no


@pytest.mark.parametrize("rng", [-1, 1.5, True, "7"])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused_naming_rng(rng):
    with pytest.raises(ParameterError, match=r"rng=.* is not allowed: expected a seed"):
        CommunityModel(rng=rng, n_residents=200)


def test_command_line_strings_parse_to_the_registry_type():
    assert parse_value("whistle", "true") is True
    assert parse_value("n_residents", "500") == 500
    assert parse_value("assessment", "results") == "results"
    with pytest.raises(ParameterError, match="integer"):
        parse_value("n_residents", "5.5")
    with pytest.raises(ParameterError, match=r"^n_residents=10 is not allowed"):
        parse_value("n_residents", "10")  # as typed, not "10.0"


def test_every_parameter_default_is_valid_and_documented():
    for name, p in PARAMS.items():
        assert validate_one(name, p.default) == p.default
        assert p.label_en and p.label_zh and p.description, name


def test_every_scenario_lever_is_a_registered_lever():
    for name, s in SCENARIOS.items():
        for lever, value in s["levers"].items():
            assert PARAMS[lever].lever, (name, lever)
            validate_one(lever, value)
        assert s["description"] and s["label_zh"] and s["paper"]


def test_required_scenarios_exist():
    required = {"baseline", "beijing_reform", "full_package"}
    assert required <= set(SCENARIOS)
    # one scenario per lever of the design brief
    levers = {k for s in SCENARIOS.values() for k in s["levers"]}
    for lever in (
        "feedback_prob",
        "whistle",
        "push_down_share",
        "assessment",
        "resident_incentive",
        "worker_performance_pay",
        "department_budget",
        "professional_share",
        "grid_plus_branch",
        "online_platform",
        "deliberation_every_weeks",
    ):
        assert lever in levers


def test_unknown_scenario_suggests_known_names():
    with pytest.raises(ParameterError, match="feedback_loop"):
        CommunityModel(scenario="feedback_lop")


def test_seed_keyword_is_refused_in_favour_of_rng():
    with pytest.raises(ParameterError, match="rng"):
        CommunityModel(seed=1)


def test_inconsistent_age_shares_are_refused():
    with pytest.raises(ParameterError, match="retired_share \\+ youth_share"):
        CommunityModel(retired_share=0.7, youth_share=0.5)


def test_traits_drawn_at_set_up_cannot_be_changed_by_an_intervention():
    from model.params import SETUP_ONLY

    for name in SETUP_ONLY:
        assert not PARAMS[name].mid_run, name
    with pytest.raises(ParameterError, match="prefers_online_youth"):
        CommunityModel(
            n_residents=100, interventions=[{"week": 3, "set": {"prefers_online_youth": 0.1}}]
        )
