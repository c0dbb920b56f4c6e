"""Speed against two reference models, measured in one run (``civicloop bench --against``).

The references are small scripts outside this project: the same participation mechanics
written as plain Mesa (one object per resident, what a Mesa user would otherwise run) and as
bare numpy (roughly the speed limit of such a model in Python). Machines differ by 2× or
more and one machine drifts from hour to hour, so only ratios measured one after another in
one shell mean anything; each seed's three measurements run back to back, each in a fresh
process, and the medians over seeds are what to quote.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

#: The reference scripts, each with the size its README measures it at (residents, weeks).
REFERENCES = {
    "mesa": ("naive_mesa_participation.py", 10_000, 8),
    "numpy": ("vectorized_participation.py", 100_000, 30),
}
#: civicloop's side of the comparison: the numpy reference's size.
RESIDENTS, WEEKS = 100_000, 30


class MeasurementFailed(RuntimeError):
    """A timed program ended with an error or printed no JSON line."""


def _json_line(command: Sequence[str], what: str) -> dict:
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise MeasurementFailed(
            f"{what} failed (exit code {done.returncode}) without a JSON line: "
            + (" | ".join(tail) or "no output")
        )
    return json.loads(lines[-1])


def check_folder(folder: Path) -> None:
    """A clear error unless ``folder`` holds both reference scripts."""
    missing = [name for name, _, _ in REFERENCES.values() if not (folder / name).is_file()]
    if missing:
        raise ValueError(
            f"{folder}: no {' or '.join(missing)} here; --against needs the folder of the two "
            f"reference scripts ({', '.join(name for name, _, _ in REFERENCES.values())})"
        )


def measure_seed(
    folder: Path, seed: int, residents: int = RESIDENTS, weeks: int = WEEKS
) -> dict[str, float]:
    """One seed: the Mesa reference, the numpy reference and civicloop, in that order."""
    row: dict[str, float] = {"seed": seed}
    for key, (script, n, steps) in REFERENCES.items():
        command = [sys.executable, str(folder / script), "--n", str(n), "--steps", str(steps),
                   "--seed", str(seed)]  # fmt: skip
        row[key] = float(_json_line(command, f"{script} (seed {seed})")["agent_steps_per_s"])
    command = [sys.executable, "-m", "experiments.cli", "bench", "--residents", str(residents),
               "--steps", str(weeks), "--seed", str(seed)]  # fmt: skip
    row["civicloop"] = float(
        _json_line(command, f"civicloop bench (seed {seed})")["resident_steps_per_s"]
    )
    row["x_mesa"] = round(row["civicloop"] / row["mesa"], 3)
    row["x_numpy"] = round(row["civicloop"] / row["numpy"], 3)
    return row


def against(
    folder: Path,
    seeds: Sequence[int],
    residents: int = RESIDENTS,
    weeks: int = WEEKS,
    report: Callable[[dict], None] = lambda row: None,
) -> dict[str, float]:
    """Every seed's row (passed to ``report`` as it comes) and the medians of the ratios."""
    check_folder(folder)
    rows = []
    for seed in seeds:
        rows.append(measure_seed(folder, seed, residents, weeks))
        report(rows[-1])
    return {
        "seeds": len(rows),
        "residents": residents,
        "weeks": weeks,
        **{
            f"median_{k}": statistics.median(r[k] for r in rows)
            for k in ("mesa", "numpy", "civicloop", "x_mesa", "x_numpy")
        },  # fmt: skip
    }
