import mesa
import pandas as pd

from model import CommunityModel

from .conftest import run_frame


def test_same_rng_gives_identical_frames():
    pd.testing.assert_frame_equal(run_frame(seed=11, steps=40), run_frame(seed=11, steps=40))


def test_different_rng_gives_different_frames():
    a, b = run_frame(seed=11, steps=40), run_frame(seed=12, steps=40)
    assert not a.equals(b)


def test_runs_unchanged_under_mesa_batch_run():
    rows = mesa.batch_run(
        CommunityModel,
        parameters={"n_residents": 300, "feedback_prob": [0.2, 0.9]},
        rng=[5],
        max_steps=12,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 2
    by_feedback = {r["feedback_prob"]: r for r in rows}
    direct = run_frame(seed=5, steps=12, n_residents=300, feedback_prob=0.9).iloc[-1]
    assert by_feedback[0.9]["participation_rate"] == direct["participation_rate"]
    assert by_feedback[0.9]["mean_efficacy"] == direct["mean_efficacy"]


def test_a_copied_status_quo_rescheduled_is_the_scenario_built_afresh():
    import copy

    import pytest

    from model.params import ParameterError

    kw = {"n_residents": 300, "burn_in_weeks": 10, "reform_week": 8}
    shared = CommunityModel(rng=3, **kw)
    for _ in range(8):
        shared.step()
    interventions = [{"week": 8, "set": {"feedback_prob": 0.8}}]
    copied = copy.deepcopy(shared)
    copied.reschedule("beijing_reform", interventions)
    fresh = CommunityModel(scenario="beijing_reform", interventions=interventions, rng=3, **kw)
    for _ in range(30):
        fresh.step()
    for _ in range(22):
        copied.step()
    frames = [m.datacollector.get_model_vars_dataframe() for m in (copied, fresh)]
    pd.testing.assert_frame_equal(*frames, check_exact=True)
    assert copied.params["feedback_prob"] == 0.8 and copied.scenario_name == "beijing_reform"
    with pytest.raises(ParameterError, match="starts at week 8, but the run is at week 30"):
        copied.reschedule("funding")
    with pytest.raises(ParameterError, match="unknown scenario"):
        shared.reschedule("nope")
