"""Tables generated from the registry and metric definitions for ``docs/ODD.md``.

The ODD document holds each table between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
markers; ``civicloop docs`` rewrites them and a test fails when they are stale.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .metrics import METRICS, SUMMARY
from .params import GROUPS, PARAMS
from .scenarios import SCENARIOS


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


#: The calibration's record (``civicloop calibrate``), if this is a source checkout.
CALIBRATION = (
    Path(__file__).resolve().parents[1] / "experiments" / "calibration" / "calibration.json"
)


def _source(p) -> str:
    """The default's source, with the calibration's 95 % posterior interval where there is
    one; a parameter the data do not pin down stays an assumption (at its posterior median)."""
    if not CALIBRATION.exists():
        return p.source
    post = json.loads(CALIBRATION.read_text(encoding="utf-8")).get("posterior", {})
    if p.name not in post:
        return p.source
    lo, hi = post[p.name]["lo"], post[p.name]["hi"]
    if p.source == "calibrated":
        return f"calibrated (95 % posterior {lo:.3g} to {hi:.3g})"
    return f"{p.source}: posterior median, not pinned down by the data (95 % {lo:.3g} to {hi:.3g})"


def param_table() -> str:
    lines = []
    for group, (en, zh) in GROUPS.items():
        lines += [
            f"**{en} / {zh}**",
            "",
            "| name | default | allowed | unit | label | 中文 | paper's term | description "
            "| source |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for p in PARAMS.values():
            if p.group != group:
                continue
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        f"`{p.name}`",
                        repr(p.default),
                        p.allowed(),
                        p.unit,
                        p.label_en,
                        p.label_zh,
                        p.paper,
                        p.description,
                        _source(p),
                    )
                )  # fmt: skip
                + " |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def metric_table() -> str:
    lines = ["| column | definition |", "|---|---|"]
    lines += [f"| `{k}` | {_cell(v)} |" for k, v in METRICS.items()]
    return "\n".join(lines) + "\n"


def summary_table() -> str:
    lines = ["| figure | definition |", "|---|---|"]
    lines += [f"| `{k}` | {_cell(v)} |" for k, v in SUMMARY.items()]
    return "\n".join(lines) + "\n"


def scenario_table() -> str:
    lines = ["| scenario | 中文 | paper's words | levers | description |", "|---|---|---|---|---|"]
    for name, s in SCENARIOS.items():
        levers = ", ".join(f"`{k}={v!r}`" for k, v in s["levers"].items()) or "—"
        lines.append(
            f"| `{name}` | {s['label_zh']} | {_cell(s['paper'])} | {levers} | "
            f"{_cell(s['description'])} |"
        )
    return "\n".join(lines) + "\n"


TABLES = {
    "params": param_table,
    "metrics": metric_table,
    "summary": summary_table,
    "scenarios": scenario_table,
}


def replace_block(text: str, name: str, content: str, where: str = "document") -> str:
    """Put ``content`` between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", flags=re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{where} has no <!-- {name}:start/end --> block")
    return pattern.sub(lambda m: m.group(1) + content + m.group(2), text)


def render(text: str) -> str:
    """Replace every generated block in ``text`` with its current content."""
    for name, make in TABLES.items():
        text = replace_block(text, name, make(), "ODD document")
    return text


def _rewrite(path: Path, new: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)


def update_odd(path: Path) -> bool:
    """Rewrite the generated blocks of ``path``; return whether anything changed."""
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if new != old:
        _rewrite(path, new)
    return new != old


def write_block(path: str | Path, name: str, content: str) -> None:
    """Rewrite one generated block of a document (e.g. docs/VALIDATION.md)."""
    path = Path(path)
    _rewrite(path, replace_block(path.read_text(encoding="utf-8"), name, content, str(path)))
