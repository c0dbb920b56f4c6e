import mesa
import pandas as pd
import pytest

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


def _frame_and_efficacy(seed: int) -> tuple[pd.DataFrame, bytes]:
    m = CommunityModel(rng=seed, n_residents=1500, scenario="full_package", reform_week=3)
    for _ in range(12):
        m.step()
    return m.datacollector.get_model_vars_dataframe(), m.people.efficacy.tobytes()


def test_the_tie_product_computed_alongside_the_week_gives_identical_runs(monkeypatch):
    from model import network

    monkeypatch.setattr(network, "BACKGROUND_TIES", 10**12)  # inline
    inline = _frame_and_efficacy(3)
    monkeypatch.setattr(network, "BACKGROUND_TIES", 0)  # in the worker thread
    alongside = _frame_and_efficacy(3)
    pd.testing.assert_frame_equal(inline[0], alongside[0])
    assert inline[1] == alongside[1]


def _in_child(queue) -> None:
    queue.put(_frame_and_efficacy(4)[1])


def test_a_process_forked_after_the_tie_thread_started_still_runs(monkeypatch):
    import multiprocessing as mp

    from model import network

    monkeypatch.setattr(network, "BACKGROUND_TIES", 0)
    expected = _frame_and_efficacy(4)[1]  # the parent's pool thread now exists
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_in_child, args=(queue,))
    child.start()
    got = queue.get(timeout=60)  # a child reusing the parent's dead thread would hang
    child.join(10)
    assert got == expected


def test_a_week_that_fails_midway_leaves_no_pending_work_in_the_model(monkeypatch):
    import pickle

    import model.model as mm
    from model import network

    monkeypatch.setattr(network, "BACKGROUND_TIES", 0)
    m = CommunityModel(rng=1, n_residents=600, burn_in_weeks=1)

    def broken(model):
        raise RuntimeError("a stage failed")

    monkeypatch.setattr(mm, "outcomes_reach_residents", broken)
    with pytest.raises(RuntimeError, match="a stage failed"):
        m.step()
    pickle.dumps(m)  # the product started that week was collected, not left in the model


def test_the_tie_product_still_works_once_the_interpreter_has_shut_its_pool(monkeypatch):
    import numpy as np

    from model import network

    monkeypatch.setattr(network, "BACKGROUND_TIES", 0)
    m = CommunityModel(rng=2, n_residents=600, burn_in_weeks=0)
    expected = m._mean_of_ties @ m.people.efficacy
    network.Alongside(m._mean_of_ties, m.people.efficacy).result()  # the pool exists
    network._pool[1].shutdown()  # as at interpreter exit, for a thread still stepping
    try:
        got = network.Alongside(m._mean_of_ties, m.people.efficacy).result()
    finally:
        network._pool = None
    np.testing.assert_array_equal(got, expected)


def test_a_model_built_with_any_named_scenario_pickles_and_continues_identically():
    import pickle

    from model.scenarios import SCENARIOS

    for name in SCENARIOS:
        m = CommunityModel(scenario=name, n_residents=300, rng=1, burn_in_weeks=0, reform_week=1)
        m.step()
        copy = pickle.loads(pickle.dumps(m))  # the generated scenario classes are found
        m.step()
        copy.step()
        assert m.measures == copy.measures, name
