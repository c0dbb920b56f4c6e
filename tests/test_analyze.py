"""`civicloop analyze`: confidence intervals, figures, sensitivity and scenario discovery."""

import numpy as np
import pandas as pd
import pytest

from experiments.analyze import mean_ci, scenario_effects
from experiments.cli import main

DESIGN = """
name = "design"
weeks = 10
replicates = 1
seed = 3
metrics = ["participation_rate", "satisfaction_rate"]

[base]
n_residents = 120

[scenarios]
baseline = "baseline"

[design]
method = "{method}"
samples = {samples}
[design.parameters]
feedback_prob = [0.0, 1.0]
efficacy_weight = [0.0, 8.0]
"""


def test_mean_ci_matches_the_t_interval():
    m, lo, hi, n = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (m, n) == (2.5, 4)
    assert hi - m == pytest.approx(3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2, rel=1e-5)
    assert m - lo == pytest.approx(hi - m)


def test_intervals_of_shares_stay_within_0_and_1_and_other_outcomes_are_not_cut():
    from experiments.analyze import summarise

    frame = pd.DataFrame({"scenario": ["a"] * 3, "satisfaction_rate_end": [0.0, 0.01, 0.3],
                          "budget_spent_total": [0.0, 0.01, 0.3]})  # fmt: skip
    row = summarise(frame, ["scenario"]).iloc[0]
    m, lo, hi, _ = mean_ci(frame.satisfaction_rate_end)
    assert lo < 0 and row.satisfaction_rate_end_lo == 0.0 and row.satisfaction_rate_end_hi == hi
    assert row.budget_spent_total_lo == pytest.approx(lo)  # not a share: as computed


def test_runs_without_a_value_of_the_outcome_are_said_to_be_left_out():
    from experiments.analyze import missing_value_notes

    frame = pd.DataFrame({"scenario": ["a", "a", "b"], "rereport_ratio": [1.2, np.nan, np.nan],
                          "participation_end": [0.1, 0.2, 0.3]})  # fmt: skip
    assert missing_value_notes(frame, "participation_end") == []
    (note,) = missing_value_notes(frame, "rereport_ratio")
    assert note.startswith("2 of 3 finished runs have no value of `rereport_ratio`")
    assert "`a` 1, `b` 1" in note and "NaN when no stratum has both kinds" in note


def test_scenario_effects_are_paired_by_point_and_replicate():
    frame = pd.DataFrame({
        "scenario": ["a"] * 3 + ["b"] * 3,
        "point": [0, 0, 1] * 2,
        "replicate": [0, 1, 0] * 2,
        "y": [1.0, 5.0, 9.0, 1.5, 5.5, 9.5],
    })  # fmt: skip
    eff = scenario_effects(frame, "a", "y")
    assert eff.effect.iloc[0] == pytest.approx(0.5)
    assert eff.hi.iloc[0] - eff.lo.iloc[0] == pytest.approx(0.0)  # identical paired diffs


def _sweep(tmp_path, method, samples):
    spec = tmp_path / f"{method}.toml"
    spec.write_text(DESIGN.format(method=method, samples=samples))
    out = tmp_path / method
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    assert main(["analyze", str(out)]) == 0
    return out / "analysis"


def test_morris_design_gets_sensitivity_indices_and_figures(tmp_path):
    folder = _sweep(tmp_path, "morris", 4)
    report = (folder / "report.md").read_text()
    assert "Global sensitivity of `participation_end` (morris, SALib)" in report
    sens = pd.read_csv(folder / "sensitivity_participation_end.csv")
    assert set(sens.parameter) == {"feedback_prob", "efficacy_weight"}
    # both parameters move participation within ten weeks, so both get an effect
    by = sens.set_index("parameter").mu_star
    assert (by > 0).all() and by.notna().all()
    for stem in ("weekly_participation_rate", "weekly_satisfaction_rate"):
        assert (folder / f"{stem}.png").stat().st_size > 1000
        assert (folder / f"{stem}.svg").is_file()


def test_latin_design_gets_scenario_discovery(tmp_path):
    pytest.importorskip("ema_workbench")
    report = _sweep(tmp_path, "latin", 30) / "report.md"
    text = report.read_text()
    assert "## Scenario discovery (PRIM)" in text
    assert "concentrated in this box" in text and "efficacy_weight" in text


def test_analyze_takes_an_edited_analysis_table_but_refuses_a_spec_of_other_runs(tmp_path, capsys):
    out = _sweep(tmp_path, "latin", 4).parent
    spec = out / "spec.toml"
    original = spec.read_text()
    spec.write_text(original + "\n[analysis]\nthreshold = 0.05\n")  # set after the sweep
    assert main(["analyze", str(out)]) == 0
    spec.write_text(original.replace("samples = 4", "samples = 5"))  # not these runs
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 2
    assert "no longer describes the runs" in capsys.readouterr().err


def test_analyze_rewrites_a_summary_older_than_the_runs_on_disk(tmp_path, capsys):
    out = _sweep(tmp_path, "latin", 4).parent
    summary = pd.read_parquet(out / "summary.parquet")
    finished = int((summary.status == "ok").sum())
    stale = summary.copy()
    stale.loc[stale.index[:2], "status"] = "not_run"  # as left by a coordinator killed with -9
    stale.to_parquet(out / "summary.parquet")
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 0
    assert "rewritten from their records" in capsys.readouterr().err
    assert int((pd.read_parquet(out / "summary.parquet").status == "ok").sum()) == finished


def test_analyze_refuses_a_folder_without_a_sweep(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "no summary.parquet" in capsys.readouterr().err


def test_sobol_design_gets_first_and_total_order_indices(tmp_path):
    folder = _sweep(tmp_path, "sobol", 8)
    sens = pd.read_csv(folder / "sensitivity_participation_end.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(sens.columns)
    assert set(sens.parameter) == {"feedback_prob", "efficacy_weight"}
    assert sens.set_index("parameter").ST["efficacy_weight"] > 0
    report = (folder / "report.md").read_text()
    widest = sens[["S1_conf", "ST_conf"]].abs().max().max()  # 8 samples: wide, and said so
    assert widest > 0.2 and f"reach ±{widest:.2f} (with `samples` = 8)" in report


def test_an_unfinished_sweep_says_what_its_tables_leave_out(tmp_path, capsys):
    from experiments.analyze import coverage_notes

    spec = tmp_path / "two.toml"
    funding = 'reform = { from = "funding", set = { reform_week = 2 } }'
    spec.write_text(DESIGN.format(method="latin", samples=4).replace(
        'baseline = "baseline"', f'baseline = "baseline"\n{funding}'))  # fmt: skip
    out = tmp_path / "two"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    summary = pd.read_parquet(out / "summary.parquet")
    assert coverage_notes(summary, summary) == []  # finished: nothing to say
    for run_id in summary.run_id[summary.scenario == "reform"]:  # as if never run
        (out / "status" / f"{run_id}.json").unlink()
    (out / "status" / f"{summary.run_id[0]}.json").unlink()
    from experiments.plan import plan_runs
    from experiments.spec import load_spec
    from experiments.sweep import write_summary

    write_summary(plan_runs(load_spec(spec)), out / "status", out / "summary.parquet")
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 0
    said = capsys.readouterr().err
    report = (out / "analysis" / "report.md").read_text()
    for text in (said, report):
        assert "3 of 8 planned runs finished" in text and "no finished run of `reform`" in text
        assert "fewer runs than planned of `baseline` 3 of 4" in text


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ("scenario", "outcome 'scenario' is not a run-level figure"),
        ("seed", "outcome 'seed' is not a run-level figure"),
        ("nope", "outcome 'nope' is not in summary.parquet"),
    ],
)
def test_analyze_refuses_an_outcome_that_is_not_a_run_level_figure(
    tmp_path, capsys, outcome, message
):
    analysis = _sweep(tmp_path, "latin", 4)
    capsys.readouterr()
    assert main(["analyze", str(analysis.parent), "--outcome", outcome, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "participation_end" in err and "Traceback" not in err
