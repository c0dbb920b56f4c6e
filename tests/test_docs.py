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
