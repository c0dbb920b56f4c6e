from pathlib import Path

from model import PARAMS, docs

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def test_odd_generated_tables_are_current():
    text = ODD.read_text(encoding="utf-8")
    assert docs.render(text) == text, "docs/ODD.md is stale: run `civicloop docs`"


def test_odd_parameter_table_lists_every_parameter():
    text = ODD.read_text(encoding="utf-8")
    for name in PARAMS:
        assert f"`{name}`" in text


def test_readme_names_every_scenario():
    from model import SCENARIOS

    readme = (ODD.parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in SCENARIOS if f"`{name}`" not in readme]
    assert not missing, f"README.md does not name the scenarios {missing}"
