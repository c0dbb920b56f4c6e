"""``civicloop optimize``: the spec, the search's outputs, resume and backends."""

import pandas as pd
import pytest

from experiments.cli import main
from experiments.optimize import load_optimize_spec, optimize, parse_optimize_spec
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
        ("feedback_prob = [0.0, 1.0]", "aspiration = [0.5, 0.9]", 18, "not a lever"),
        ("resident_incentive = [0.0, 1.0]", "resident_incentive = [0.0, 3.0]", 21, "[0, 1]"),
        ('"cost"]', '"happiness"]', 11, "unknown objective"),
        ("budget = 40.0", "budget = -1", 9, "budget"),
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
    from experiments.optimize import policy_key

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


def test_a_killed_search_resumes_without_losing_or_repeating_runs(searched, tmp_path):
    spec_file, out = searched
    spec = load_optimize_spec(spec_file)
    batches = sorted((out / "evaluations").glob("*.parquet"))
    # a copy of the search, killed before its last two batches reached the disk
    crashed = tmp_path / "crashed"
    (crashed / "evaluations").mkdir(parents=True)
    for b in batches[:-2]:
        (crashed / "evaluations" / b.name).write_bytes(b.read_bytes())
    optimize(spec, crashed, backend="serial")
    before, after = _stored(out), _stored(crashed)
    assert not after.duplicated(["key", "replicate", "fresh"]).any()
    cols = ["key", "replicate", "fresh"]
    assert set(map(tuple, after[cols].to_numpy())) == set(map(tuple, before[cols].to_numpy()))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "pareto.parquet"),
                                  pd.read_parquet(crashed / "pareto.parquet"))  # fmt: skip


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
