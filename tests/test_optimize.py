"""``civicloop optimize``: the spec, the search's outputs, resume and backends."""

import re

import numpy as np
import pandas as pd
import pytest

from experiments.cli import main
from experiments.optimize import load_optimize_spec, optimize, parse_optimize_spec, policy_key
from experiments.spec import SpecError

SMALL = """
name = "small"
weeks = 60
reform_week = 4
replicates = 2
seed = 7
population = 6
evaluations = 12
budget = 40.0
reevaluate_replicates = 2
posterior_draws = 2
draw_replicates = 1
objectives = ["participation", "working_participation", "needs_met", "cost"]

[base]
n_residents = 300
burn_in_weeks = 20

[levers]
feedback_prob = [0.0, 1.0]
whistle = [false, true]
assessment = ["trace", "results"]
resident_incentive = [0.0, 1.0]
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "says"),
    [
        ("feedback_prob = [0.0, 1.0]", "aspiration = [0.5, 0.9]", 20, "not a lever"),
        ("resident_incentive = [0.0, 1.0]", "resident_incentive = [0.0, 3.0]", 23, "[0, 1]"),
        ('"cost"]', '"happiness"]', 13, "unknown objective"),
        ("budget = 40.0", "budget = -1", 9, "budget"),
        ("posterior_draws = 2", "posterior_draws = -2", 11, "posterior_draws"),
        ("draw_replicates = 1", "draw_replicates = 0", 12, "[1, 1000]"),
        (
            "burn_in_weeks = 20",
            "burn_in_weeks = 20\naspiration = 0.8",
            18,
            "drawn from the calibration posterior",
        ),
    ],
)
def test_spec_errors_name_the_file_line_and_key(old, new, line, says):
    with pytest.raises(SpecError) as err:
        parse_optimize_spec(SMALL.replace(old, new), "budget.toml")
    assert f"budget.toml:{line}:" in str(err.value)
    assert says in str(err.value)


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimize")
    spec_file = folder / "small.toml"
    spec_file.write_text(SMALL)
    out = folder / "out"
    assert main(["optimize", str(spec_file), "--out", str(out), "--backend", "serial"]) == 0
    return spec_file, out


def _stored(out):
    return pd.concat(pd.read_parquet(p) for p in sorted((out / "evaluations").glob("*.parquet")))


def test_every_front_policy_respects_the_budget_on_the_search_seeds(searched):
    spec_file, out = searched
    spec = load_optimize_spec(spec_file)
    rows = _stored(out)
    search = rows[~rows.fresh]
    base = search[search.key == search.key.iloc[0]]  # the status quo is evaluated first
    spent = base.set_index("replicate").spent_per_year
    cost = (search.spent_per_year - search.replicate.map(spent)).groupby(search.key).mean()
    front = pd.read_parquet(out / "pareto.parquet").query("kind == 'front'")
    assert len(front) >= 1
    for _, row in front.iterrows():
        levers = {n: row[f"lever_{n}"] for n in spec.levers}
        levers = {k: (v.item() if hasattr(v, "item") else v) for k, v in levers.items()}
        assert cost[policy_key(levers)] <= spec.budget


def test_named_scenarios_are_placed_beside_the_front(searched):
    _, out = searched
    frame = pd.read_parquet(out / "pareto.parquet")
    assert {"beijing_reform", "full_package", "feedback_loop"} <= set(frame.policy)
    assert frame.non_dominated.any()
    assert (out / "report.md").read_text().startswith("# small")
    assert (out / "tradeoff.png").stat().st_size > 1000


def test_every_exported_policy_passes_a_sweep_dry_run(searched, capsys):
    _, out = searched
    files = sorted((out / "policies").glob("*.toml"))
    assert files
    for f in files:
        assert main(["sweep", str(f), "--dry-run"]) == 0
    assert "interventions" in capsys.readouterr().out


def test_every_exported_policy_opens_in_the_dashboard_with_its_levers(searched):
    from experiments.dashboard import runs as rn

    spec_file, out = searched
    spec = load_optimize_spec(spec_file)
    frame = pd.read_parquet(out / "pareto.parquet")
    front = frame.query("kind == 'front'")
    assert (frame.query("kind == 'named'").policy_file == "").all()
    assert sorted(front.policy_file) == sorted(
        f"policies/{f.name}" for f in (out / "policies").glob("*.toml"))  # fmt: skip
    named_in_report = re.findall(r"policies/policy_\d{3}\.toml", (out / "report.md").read_text())
    assert named_in_report and set(named_in_report) <= set(front.policy_file)
    for _, row in front.iterrows():
        f = out / row["policy_file"]
        settings = rn.settings_from_spec(f.read_text(encoding="utf-8"), f.name)
        fixed, levers, week = rn.split_settings(settings)
        assert week == spec.reform_week and settings["weeks"] == spec.weeks
        assert fixed == spec.base
        for name in spec.levers:
            value = row[f"lever_{name}"]
            value = value.item() if hasattr(value, "item") else value
            expected = pytest.approx(value) if isinstance(value, float) else value
            assert settings["params"][name] == expected, name


def test_a_search_killed_by_sigkill_resumes_to_the_same_front(searched, tmp_path):
    """A real crash (SIGKILL mid-search): no partial file is read back, nothing is lost or
    run twice, and the finished search is the uninterrupted one."""
    import os
    import signal
    import subprocess
    import sys
    import time

    spec_file, out = searched
    crashed = tmp_path / "crashed"
    cmd = [sys.executable, "-m", "experiments.cli", "optimize", str(spec_file), "--out",
           str(crashed), "--backend", "serial"]  # fmt: skip
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    while len(list((crashed / "evaluations").glob("batch-*.parquet"))) < 2:
        assert child.poll() is None, "the search ended before it could be killed"
        assert time.monotonic() - start < 120, "no evaluations were stored"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert not (crashed / "pareto.parquet").exists()  # it really stopped mid-search
    stored = len(list((crashed / "evaluations").glob("batch-*.parquet")))
    assert main(["optimize", str(spec_file), "--out", str(crashed), "--backend", "serial"]) == 0
    assert len(list((crashed / "evaluations").glob("batch-*.parquet"))) > stored
    cols = ["key", "replicate", "fresh", "draw"]
    after, before = _stored(crashed), _stored(out)
    assert not after.duplicated(cols).any()
    assert set(map(tuple, after[cols].to_numpy())) == set(map(tuple, before[cols].to_numpy()))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "pareto.parquet"),
                                  pd.read_parquet(crashed / "pareto.parquet"))  # fmt: skip


def test_a_killed_search_resumes_without_losing_or_repeating_runs(searched, tmp_path):
    spec_file, out = searched
    spec = load_optimize_spec(spec_file)
    batches = sorted((out / "evaluations").glob("*.parquet"))
    # a copy of the search, killed before its last three batches reached the disk (the last
    # generation, the fresh seeds and the posterior draws)
    crashed = tmp_path / "crashed"
    (crashed / "evaluations").mkdir(parents=True)
    assert len(batches) == 5
    for b in batches[:-3]:
        (crashed / "evaluations" / b.name).write_bytes(b.read_bytes())
    optimize(spec, crashed, backend="serial")
    before, after = _stored(out), _stored(crashed)
    cols = ["key", "replicate", "fresh", "draw"]
    assert not after.duplicated(cols).any()
    assert set(map(tuple, after[cols].to_numpy())) == set(map(tuple, before[cols].to_numpy()))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "pareto.parquet"),
                                  pd.read_parquet(crashed / "pareto.parquet"))  # fmt: skip


def test_the_front_is_re_run_on_posterior_draws_with_paired_seeds(searched):
    _, out = searched
    frame = pd.read_parquet(out / "pareto.parquet")
    fresh = _stored(out).query("fresh")
    drawn = fresh[fresh.draw >= 0]
    # every policy and the status quo on both draws, one paired seed each
    assert set(map(tuple, drawn[["key", "draw"]].to_numpy())) == {
        (k, d) for k in [*frame.key, policy_key({})] for d in (0, 1)}  # fmt: skip
    assert drawn.groupby("draw").size().nunique() == 1
    # the draws are different communities: the same policy does not give the same result
    assert drawn.groupby("key").participation.nunique().max() == 2
    assert frame.non_dominated_share.between(0, 1).all()
    for o in ("participation", "working_participation", "needs_met", "cost"):
        assert (frame[f"{o}_draw_min"] <= frame[f"{o}_draw_max"]).all()
    assert "posterior draws" in (out / "report.md").read_text()


def test_the_front_does_not_depend_on_the_backend(searched, tmp_path):
    spec_file, out = searched
    spec = load_optimize_spec(spec_file)
    optimize(spec, tmp_path / "processes", backend="processes", workers=2)
    other = pd.read_parquet(tmp_path / "processes" / "pareto.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "pareto.parquet"), other)


@pytest.mark.parametrize(
    ("levers", "scenario"),
    [
        ({}, "baseline"),
        ({"grid_plus_branch": True, "online_platform": True, "feedback_prob": 0.7,
          "deliberation_every_weeks": 3, "assessment": "results"}, "baseline"),
        ({}, "full_package"),
    ],
)  # fmt: skip
def test_a_policy_from_the_shared_pre_reform_state_is_the_run_from_scratch(levers, scenario):
    """The snapshot shortcut changes nothing: the same row, bit for bit, and the same weeks."""
    from experiments.optimize import _model, evaluate

    task = {"key": "k", "levers": levers, "scenario": scenario, "replicate": 0, "fresh": False,
            "weeks": 40, "reform_week": 12, "seed": 11,
            "base": {"n_residents": 300, "burn_in_weeks": 10}}  # fmt: skip
    assert evaluate(task) == evaluate(task, from_scratch=True)
    assert evaluate(task) == evaluate(task)  # a copy each time: the cached state is untouched
    a, b = _model(task), _model(task, from_scratch=True)
    for _ in range(task["weeks"] - task["reform_week"]):
        a.step()
        b.step()
    weekly = [m.datacollector.get_model_vars_dataframe() for m in (a, b)]
    pd.testing.assert_frame_equal(*weekly, check_exact=True)
    if levers or scenario != "baseline":  # the levers really switched on at the reform week
        assert a.params != _model({**task, "levers": {}, "scenario": "baseline"}).params


def test_the_front_is_the_same_on_a_dask_cluster(searched, tmp_path):
    distributed = pytest.importorskip("distributed")
    spec_file, out = searched
    spec = load_optimize_spec(spec_file)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:  # fmt: skip
        optimize(spec, tmp_path / "dask", backend="dask", scheduler=cluster.scheduler_address)
    fronts = [pd.read_parquet(d / "pareto.parquet") for d in (out, tmp_path / "dask")]
    pd.testing.assert_frame_equal(*fronts)


TOY = """
name = "toy"
weeks = 60
reform_week = 4
replicates = 2
seed = 3
population = 20
evaluations = 600
budget = 20.0
objectives = ["participation", "needs_met"]

[levers]
feedback_prob = [0.0, 1.0]
resident_incentive = [0.0, 1.0]
"""


def toy(task):
    """Two objectives with a known Pareto set under the budget: y = 0.4, 0.2 <= x <= 0.8.

    Each alone peaks at y = 0.5 (x = 0.2 or 0.8), but cost is 50 y over a budget of 20, so
    y = 0.4 is the best affordable. Seed noise is common to all policies (paired seeds).
    """
    from model import PARAMS, SCENARIOS

    lv = {**SCENARIOS[task["scenario"]]["levers"], **task["levers"]}
    x = lv.get("feedback_prob", PARAMS["feedback_prob"].default)
    y = lv.get("resident_incentive", PARAMS["resident_incentive"].default)
    noise = np.random.default_rng(task["seed"]).normal(0, 0.01)
    return {"participation": 1 - (x - 0.2) ** 2 - (y - 0.5) ** 2 + noise,
            "needs_met": 1 - (x - 0.8) ** 2 - (y - 0.5) ** 2 + noise,
            "working_participation": 0.0, "satisfaction": 0.0,
            "spent_per_year": 50.0 * y + noise}  # fmt: skip


def test_on_a_toy_objective_the_search_finds_the_known_front(tmp_path):
    spec = parse_optimize_spec(TOY, "toy.toml")
    optimize(spec, tmp_path, backend="serial", evaluate=toy)
    front = pd.read_parquet(tmp_path / "pareto.parquet").query("kind == 'front'")
    x, y = front.lever_feedback_prob, front.lever_resident_incentive
    assert len(front) >= 5
    assert ((y - 0.4).abs() < 0.03).all(), y.tolist()  # on the budget line
    assert x.between(0.17, 0.83).all(), x.tolist()  # between the two optima
    assert x.min() < 0.3 and x.max() > 0.7, x.tolist()  # and spread along the whole front
    assert front.within_budget.all()


def test_a_lever_that_cannot_change_mid_run_takes_the_full_run_and_is_refused():
    from experiments.optimize import _mid_run, evaluate
    from model.params import ParameterError

    task = {"key": "k", "levers": {"n_residents": 400}, "scenario": "baseline", "replicate": 0,
            "fresh": False, "weeks": 40, "reform_week": 12, "seed": 11,
            "base": {"n_residents": 300, "burn_in_weeks": 10}}  # fmt: skip
    assert not _mid_run(task)
    with pytest.raises(ParameterError, match="cannot change mid-run"):
        evaluate(task)
