"""Result files as users expect: the umask's mode, no silent overwrite, no mixed sweeps."""

import os
import stat

import pytest

from experiments import results
from experiments.cli import main

TINY = """
name = "tiny"
weeks = 6
replicates = 1
seed = 7
metrics = ["participation_rate", "satisfaction_rate"]

[base]
n_residents = 100

[scenarios]
baseline = "baseline"
reform = { from = "beijing_reform", set = { reform_week = 2 } }
"""


@pytest.fixture()
def umask():
    """Run the test under a given umask and restore the caller's afterwards."""
    saved = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(saved)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_result_files_get_the_mode_the_umask_gives(tmp_path, umask, mask, expected):
    umask(mask)
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    out = tmp_path / "sweep"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    files = [out / "summary.parquet", out / "manifest.json", out / "spec.toml",
             *out.glob("runs/*.parquet"), *out.glob("status/*.json")]  # fmt: skip
    assert len(files) == 7
    for name in ("run.parquet", "run.csv"):
        assert main(["run", "--steps", "3", "--set", "n_residents=60",
                     "--out", str(tmp_path / name)]) == 0  # fmt: skip
        files.append(tmp_path / name)
    assert {f.name: oct(_mode(f)) for f in files} == {f.name: oct(expected) for f in files}


def test_run_out_onto_an_existing_file_is_refused_unless_forced(tmp_path, capsys):
    target = tmp_path / "run.parquet"
    target.write_bytes(b"precious")
    argv = ["run", "--steps", "3", "--set", "n_residents=60", "--out", str(target)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert target.read_bytes() == b"precious"
    assert main([*argv, "--force"]) == 0
    assert target.read_bytes()[:4] == b"PAR1"


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (('name = "tiny"', 'name = "tiny_renamed"'), "name: 'tiny' → 'tiny_renamed'"),
        (("weeks = 6", "weeks = 7"), "weeks: 6 → 7"),
        (("seed = 7\n", 'seed = 7\ndescription = "now with words"\n'),
         "description: (absent) → 'now with words'"),
    ],
)  # fmt: skip
def test_resuming_with_a_spec_that_differs_in_any_way_is_refused_with_the_difference(
    tmp_path, capsys, change, shown
):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    before = (out / "manifest.json").read_text()
    spec.write_text(TINY.replace(*change))
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "different spec" in err and shown in err
    assert (out / "manifest.json").read_text() == before


def test_analyze_of_another_outcome_writes_its_own_report(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    assert main(["analyze", str(out)]) == 0
    first = (out / "analysis" / "report.md").read_text()
    assert main(["analyze", str(out), "--outcome", "satisfaction_rate_end"]) == 0
    assert "report_satisfaction_rate_end.md" in capsys.readouterr().out
    assert (out / "analysis" / "report.md").read_text() == first
    assert (
        "satisfaction_rate_end"
        in (out / "analysis" / "report_satisfaction_rate_end.md").read_text()
    )


def test_atomic_write_keeps_no_temporary_file_and_honours_the_umask(tmp_path, umask):
    umask(0o027)
    path = results.write_json({"a": 1}, tmp_path / "x.json")
    assert _mode(path) == 0o640 and [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_experiment_specs_are_installed_with_the_package():
    """`pip install .` (no -e) must ship experiments/specs: reproduce and notebooks read them."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"].get("package-data", {}).get("experiments", [])
    specs = sorted((root / "experiments" / "specs").glob("*.toml"))
    assert specs
    for spec in specs:
        relative = spec.relative_to(root / "experiments").as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{relative} is not installed"
