"""A readable analysis: points named by values, per-point figures, defined columns, ETA."""

import io
from pathlib import Path

import pandas as pd
import pytest

from experiments import analyze as analyze_module
from experiments import provenance
from experiments.cli import main
from experiments.sweep import Progress
from model.docs import replace_block

ROOT = Path(__file__).resolve().parents[1]
SPEC = """
name = "readable"
weeks = 10
replicates = 2
seed = 5
metrics = ["participation_rate", "satisfaction_rate"]

[base]
n_residents = 100

[scenarios]
baseline = "baseline"
reform = { from = "beijing_reform", set = { reform_week = 4 } }

[sweep]
grid_capacity = [20.0, 30.0]
"""


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readable")
    spec = folder / "s.toml"
    spec.write_text(SPEC)
    out = folder / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    return out


def test_report_and_tables_name_points_by_their_values(sweep_dir, capsys):
    assert main(["analyze", str(sweep_dir)]) == 0
    report = (sweep_dir / "analysis" / "report.md").read_text()
    assert "| reform | 1 | grid_capacity=30 |" in report
    by_point = pd.read_csv(sweep_dir / "analysis" / "by_point.csv")
    assert set(by_point.point_values) == {"grid_capacity=20", "grid_capacity=30"}
    summary = pd.read_parquet(sweep_dir / "summary.parquet")
    assert set(summary.point_label) == {"grid_capacity=20", "grid_capacity=30"}
    assert "means over the last 10 weeks" in report


def test_analyze_announces_its_stages(sweep_dir, capsys):
    assert main(["analyze", str(sweep_dir), "--outcome", "mean_efficacy_end"]) == 0
    err = capsys.readouterr().err
    assert "analyze: 8 finished runs of 8" in err and "analyze: weekly figures" in err
    assert "analyze: done" in err
    assert main(["analyze", str(sweep_dir), "--quiet"]) == 0
    assert "analyze:" not in capsys.readouterr().err


def test_weekly_figures_have_a_panel_per_point_and_mark_the_reform_week(sweep_dir, monkeypatch):
    figures = []
    monkeypatch.setattr(analyze_module, "_save", lambda fig, folder, stem: figures.append(fig)
                        or [f"{stem}.png"])  # fmt: skip
    summary = pd.read_parquet(sweep_dir / "summary.parquet")
    band = analyze_module.weekly_bands(sweep_dir, summary, ["participation_rate"], by_point=True)
    labels = {0: "grid_capacity=20", 1: "grid_capacity=30"}
    markers = analyze_module.reform_weeks(summary)
    assert markers[("reform", 1)] == [4] and markers[("baseline", 0)] == []
    analyze_module.plot_series(band, ["participation_rate"], sweep_dir, labels, markers)
    axes = [ax for ax in figures[0].axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["grid_capacity=20", "grid_capacity=30"]
    for ax in axes:
        vertical = [line for line in ax.get_lines() if list(line.get_xdata()) == [4, 4]]
        assert len(vertical) == 1
    key = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert "levers switch on (in the scenario's colour)" in key  # grey: not one scenario's


def test_summary_counts_are_integers(sweep_dir):
    summary = pd.read_parquet(sweep_dir / "summary.parquet")
    for col in ("weeks", "residents", "cases_received_total", "end_window_weeks"):
        assert str(summary[col].dtype) == "Int64", col
    assert (summary.weeks == 10).all()


def test_column_definitions_in_experiments_md_are_current():
    text = (ROOT / "docs" / "EXPERIMENTS.md").read_text(encoding="utf-8")
    expected = replace_block(text, "columns", provenance.columns_markdown())
    assert text == expected, "docs/EXPERIMENTS.md is stale: run `civicloop docs`"
    for column in ("overrides", "lever_schedule", "participation_rate", "participation_end"):
        assert f"| `{column}` |" in text


def test_eta_learns_from_the_runs_finished_so_far():
    stream = io.StringIO()
    progress = Progress(total=10, done=0, quiet=False, stream=stream, parallel=2)
    progress.update(False, 4.0)  # 9 runs left × 4 s ÷ 2 workers
    assert stream.getvalue().splitlines()[-1] == "sweep: 1/10 runs, 0 failed, ETA 18 s"
    assert progress.eta() == pytest.approx(18.0)
    progress.update(False, 2.0)  # mean 3 s, 8 left
    assert progress.eta() == pytest.approx(12.0)
