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


def test_every_name_readme_imports_from_model_is_there():
    """The README's snippets are what a user copies first: each `from model import …` name
    (and each name it uses as from that import) must import."""
    import re

    import model

    readme = (ODD.parents[1] / "README.md").read_text(encoding="utf-8")
    names = {
        name.strip()
        for line in re.findall(r"from model import ([\w, ]+)", readme)
        for name in line.split(",")
    }
    assert "named_scenario" in names and "CommunityModel" in names
    missing = [n for n in names if not hasattr(model, n)]
    assert not missing, f"README imports {missing} from model, which has no such names"
