"""Every result says what produced it: parameters, lever schedule, seed, version, commit."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments import provenance
from experiments.cli import main
from model import CommunityModel

SPEC = """
name = "prov"
weeks = 8
replicates = 1
seed = 7
metrics = ["participation_rate", "backlog", "response_time_mean"]

[base]
n_residents = 100

[scenarios]
baseline = "baseline"
reform = { from = "beijing_reform", set = { reform_week = 4 } }

[sweep]
grid_capacity = [20.0, 30.0]
"""


def _run(tmp_path, name, *sets, seed="3", scenario="baseline"):
    out = tmp_path / name
    argv = ["run", "--scenario", scenario, "--steps", "8", "--seed", seed, "--out", str(out),
            "--set", "n_residents=120", *[x for s in sets for x in ("--set", s)]]  # fmt: skip
    assert main(argv) == 0
    return out


def test_run_parquet_metadata_holds_overrides_schedule_seed_version_and_commit(tmp_path):
    out = _run(tmp_path, "run.parquet", "feedback_prob=0.9", "whistle=true", "reform_week=5",
               scenario="funding")  # fmt: skip
    keys = {k.decode() for k in pq.read_metadata(out).metadata}
    wanted = ("overrides", "lever_schedule", "seed", "civicloop_version", "git_commit", "params")
    assert {f"civicloop.{k}" for k in wanted} <= keys
    meta = provenance.read(out)
    assert meta["overrides"] == {"feedback_prob": 0.9, "n_residents": 120, "reform_week": 5,
                                 "whistle": True}  # fmt: skip
    assert meta["seed"] == 3 and meta["scenario"] == "funding"
    assert meta["lever_schedule"][0]["week"] == 5
    assert meta["lever_schedule"][0]["set"]["department_budget"] == 150.0
    assert meta["params"]["feedback_prob"] == 0.9 and len(meta["params"]) > 50
    assert meta["git_commit"] and meta["civicloop_version"]


def test_two_runs_with_different_settings_can_be_told_apart(tmp_path):
    a = _run(tmp_path, "a.parquet", "feedback_prob=0.9")
    b = _run(tmp_path, "b.csv", "feedback_prob=0.3")
    meta_a = provenance.read(a)
    frame_b = pd.read_csv(b)
    assert json.loads(frame_b["overrides"][0])["feedback_prob"] == 0.3
    assert meta_a["overrides"]["feedback_prob"] == 0.9
    assert pd.read_parquet(a)["overrides"].iloc[0] != frame_b["overrides"][0]


def test_console_line_names_the_overrides_and_the_schedule(tmp_path, capsys):
    _run(tmp_path, "r.parquet", "feedback_prob=0.9", "whistle=true")
    out = capsys.readouterr().out
    assert "overrides" in out and "feedback_prob=0.9" in out and "whistle=True" in out
    _run(tmp_path, "s.parquet", "reform_week=4", scenario="funding")
    assert "week 4: department_budget=150.0" in capsys.readouterr().out


def test_sweep_summary_holds_each_runs_overrides_and_the_scenarios_levers(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    meta = provenance.read(out / "summary.parquet")
    run_id = "reform__p0001__r000"
    assert meta["overrides"][run_id] == {"grid_capacity": 30.0, "n_residents": 100,
                                         "reform_week": 4}  # fmt: skip
    assert meta["lever_schedules"][run_id][0]["set"]["whistle"] is True
    assert meta["spec_name"] == "prov" and meta["git_commit"]
    summary = pd.read_parquet(out / "summary.parquet").set_index("run_id")
    assert json.loads(summary.loc[run_id, "lever_schedule"])[0]["week"] == 4
    assert json.loads(summary.loc["baseline__p0000__r000", "lever_schedule"]) == []
    assert json.loads(summary.loc[run_id, "resolved_params"])["grid_capacity"] == 30.0
    assert summary["git_commit"].str.len().gt(6).all()
    run_meta = provenance.read(out / "runs" / f"{run_id}.parquet")
    assert run_meta["run_id"] == run_id and run_meta["overrides"]["grid_capacity"] == 30.0


def test_dry_run_shows_each_runs_resolved_levers_and_schedule(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    assert main(["sweep", str(spec), "--dry-run"]) == 0
    runs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    reform = next(r for r in runs if r["scenario"] == "reform")
    assert reform["lever_schedule"] == [{"week": 4, "set": {
        "whistle": True, "whistle_deadline_weeks": 2, "feedback_prob": 0.9,
        "assessment": "results", "paperwork_share": 0.1}}]  # fmt: skip
    assert reform["levers"]["feedback_prob"] == 0.9
    assert next(r for r in runs if r["scenario"] == "baseline")["lever_schedule"] == []


@pytest.mark.parametrize(
    ("scenario", "params", "interventions"),
    [
        ("beijing_reform", {"feedback_prob": 0.5}, []),
        ("full_package", {"reform_week": 10}, [{"week": 3, "set": {"whistle": True}}]),
        ("baseline", {}, [{"week": 20, "set": {"feedback_prob": 0.6}}]),
        ("funding", {"n_residents": 60}, []),
    ],
)
def test_lever_schedule_is_computed_as_the_model_builds_it(scenario, params, interventions):
    model = CommunityModel(scenario=scenario, rng=1, interventions=interventions,
                           **{"n_residents": 60, **params})  # fmt: skip
    expected = [{"week": w, "set": v} for w, v in model.schedule_of_levers]
    assert provenance.lever_schedule(scenario, {"n_residents": 60, **params},
                                     interventions) == expected  # fmt: skip


def test_parquet_columns_carry_their_definitions(tmp_path):
    out = _run(tmp_path, "r.parquet")
    schema = pq.read_schema(out)
    described = {f.name for f in schema if f.metadata and b"description" in f.metadata}
    assert described == set(schema.names)
    assert b"last 4 weeks" in schema.field("participation_rate").metadata[b"description"]


def test_counts_are_integers_and_rates_have_no_float32_noise(tmp_path):
    frame = pd.read_parquet(_run(tmp_path, "r.parquet"))
    assert frame["backlog"].dtype == "int64" and frame["cases_received"].dtype == "int64"
    for value in frame["response_time_mean"]:
        assert value == round(value, 6)


def test_dashboard_csv_export_says_what_produced_it():
    from experiments.dashboard import app as dash

    settings = dash.settings_for("feedback_loop", seed=5)
    settings["params"].update(n_residents=100, reform_week=2)
    model = dash.build_model(settings)
    for _ in range(3):
        model.step()
    frame = pd.read_csv(pd.io.common.BytesIO(dash.export_csv(model, settings)))
    assert (frame["seed"] == 5).all() and frame["git_commit"].notna().all()
    assert (frame["scenario"] == "feedback_loop").all()  # as the page names it
    assert (frame["base_scenario"] == "baseline").all()  # whose levers the schedule switches
    assert json.loads(frame["lever_schedule"][0])[0]["set"]["feedback_prob"] == 0.9
    assert json.loads(frame["overrides"][0])["n_residents"] == 100
    settings["params"]["feedback_prob"] = 0.5  # a lever changed on the page
    changed = pd.read_csv(
        pd.io.common.BytesIO(dash.export_csv(dash.build_model(settings), settings))
    )
    assert (changed["scenario"] == "on_screen").all()


def test_a_network_files_community_size_is_what_the_record_says(tmp_path):
    import json

    import pyarrow.parquet as pq

    from experiments.cli import main

    net = tmp_path / "chain.edgelist"
    net.write_text("".join(f"{i} {i + 1}\n" for i in range(59)))  # 60 households
    out = tmp_path / "run.parquet"
    assert main(["run", "--steps", "2", "--set", f"network_file={net}", "--out", str(out)]) == 0
    meta = pq.read_schema(out).metadata
    key = next(k for k in meta if k.decode().endswith("params"))
    assert json.loads(meta[key])["n_residents"] == 60  # not the default 2,000
