"""`civicloop reproduce --quick`: every standard experiment runs and every claim is judged."""

import tomllib

import pytest

from experiments.reproduce import SPEC_DIR, SPECS, budget_search, quick_text, reproduce
from experiments.spec import load_spec


@pytest.mark.parametrize("name", SPECS)
def test_standard_specs_are_valid(name):
    spec = load_spec(SPEC_DIR / f"{name}.toml")
    assert spec.name == name and spec.replicates >= 2


def test_quick_specs_are_smaller():
    raw = tomllib.loads(quick_text((SPEC_DIR / "sensitivity.toml").read_text()))
    assert raw["base"]["n_residents"] == 500 and raw["design"]["samples"] == 4
    assert raw["name"] == "sensitivity_quick"


def test_the_quick_budget_search_reports_the_best_mix_beside_the_named_reforms(tmp_path):
    text = "\n".join(budget_search(tmp_path, quick=True, backend="processes", workers=2))
    assert "## Best plans for a budget" in text
    rows = [r for r in text.splitlines() if r.startswith("| best for ≤ ")]
    assert len(rows) == 3
    assert any("feedback_prob" in r for r in rows)  # at least one budget buys a searched mix
    for name in ("beijing_reform", "full_package"):
        assert any(r.startswith(f"| {name} | (named scenario) | 0.") for r in text.splitlines())
    assert (tmp_path / "optimize_budget_quick" / "report.md").is_file()


def test_quick_reproduction_judges_every_claim(tmp_path):
    report = reproduce(tmp_path, quick=True).read_text()
    for claim in ("1. Without intervention", "2. Participants are mostly retirees",
                  "3. Completion high", "4. A fixed first report", "5. Levers differ",
                  "5. Some levers work only together", "5. A settled circle",
                  "The service side binds"):  # fmt: skip
        line = next(row for row in report.splitlines() if claim in row)
        assert line.rstrip(" |").endswith(("yes", "no"))
    levers_differ = next(row for row in report.splitlines() if "5. Levers differ" in row)
    cells = [c.strip() for c in levers_differ.strip("| ").split("|")]
    assert "p = " in cells[1]  # the ANOVA's p-value is in the test; effect and CI are numbers
    assert all(float(c) == float(c) for c in cells[2:5]), cells
    for name in (*SPECS, "sensitivity_sobol"):
        assert (tmp_path / f"{name}_quick" / "analysis" / "report.md").is_file()
    assert "## Best plans for a budget" in report
    sobol = (tmp_path / "sensitivity_sobol_quick" / "analysis" / "report.md").read_text()
    assert "Global sensitivity of `participation_end` (sobol, SALib)" in sobol
    # resumable: a second call reruns nothing and reaches the same verdicts
    again = reproduce(tmp_path, quick=True).read_text()
    assert again.split("## Experiments")[0] == report.split("## Experiments")[0]


def test_the_data_reproduce_and_the_search_read_ship_inside_the_installed_package():
    """A plain `pip install .` carries only the packages and their package data: every file
    the commands read at run time must lie inside a package and match its package-data."""
    import fnmatch
    import tomllib
    from pathlib import Path

    import experiments
    from experiments import optimize, reproduce

    root = Path(experiments.__file__).parent
    config = tomllib.loads((root.parent / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["experiments"]
    for path in (optimize.POSTERIOR, reproduce.CALIBRATION):
        assert path.is_file(), path
        inside = path.resolve().relative_to(root.resolve()).as_posix()  # raises if outside
        assert any(fnmatch.fnmatch(inside, pattern) for pattern in shipped), inside
