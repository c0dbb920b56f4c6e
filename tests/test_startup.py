"""Fast start: the CLI's help, the parameter listing and spec checks import no heavy stack."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("mesa", "solara", "dask", "distributed", "altair", "matplotlib", "pandas")


def imported_modules(code: list[str]) -> set[str]:
    """Top-level modules a fresh interpreter imports to run ``code`` (``-X importtime``)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize(
    "code",
    [
        ["-m", "experiments.cli", "--help"],
        ["-m", "experiments.cli", "params"],
        ["-m", "experiments.cli", "run", "--help"],
        [
            "-c",
            "from experiments.spec import load_spec; load_spec('experiments/specs/levers.toml')",
        ],  # fmt: skip
        ["-m", "experiments.cli", "sweep", "experiments/specs/levers.toml", "--dry-run"],
    ],
    ids=["help", "params", "run-help", "spec-check", "sweep-dry-run"],
)
def test_quick_commands_import_no_mesa_dashboard_or_dask(code):
    names = imported_modules(code)
    assert "model" in names  # the measurement itself works
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_model_package_still_offers_its_names_on_first_use():
    import model

    assert model.CommunityModel.__name__ == "CommunityModel"
    assert model.CivicScenario.__name__ == "CivicScenario"
    assert "Resident" in dir(model)
