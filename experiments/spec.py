"""Experiment specs: small TOML files a student can read, diff and re-run.

A spec says what varies (scenarios, sweep axes or a sampled design), how often (replicates),
for how long (weeks), what to keep (metrics) and from which master seed. Every name is checked
against the parameter registry and ``model.scenarios``; errors name the file, the line and
the key. ``docs/EXPERIMENTS.md`` documents the format.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import PARAMS, SCENARIOS
from model.metrics import METRICS
from model.params import ParameterError, validate_one

__all__ = ["DESIGNS", "ExperimentSpec", "SpecError", "load_spec", "parse_spec"]

DESIGNS = ("latin", "sobol", "morris")
_TOP_KEYS = {
    "name", "description", "weeks", "replicates", "seed", "metrics", "base", "scenarios",
    "sweep", "design", "common_random_numbers", "analysis",
}  # fmt: skip
_NAME = re.compile(r"[A-Za-z0-9_-]+\Z")  # \Z: no trailing newline
#: Longest spec or scenario name: a scenario's name begins its run files' names, and a file
#: name may have at most 255 bytes.
MAX_NAME = 100


class SpecError(ValueError):
    """A spec that cannot be run; the message points at the file, line and key.

    The parts are kept too (``source``, ``line``, ``key``; ``code`` and ``fields`` for the
    common complaints, ``cause`` for a parameter the registry refused) so that a reader in
    another language can be told the same thing."""

    def __init__(
        self, message: str, source: str = "", line: int | None = None, key: str = "",
        code: str = "", cause: Exception | None = None, **fields: Any,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.source, self.line, self.key, self.code = source, line, key, code
        self.cause, self.fields = cause, fields


#: What ``[analysis]`` may hold.
_ANALYSIS_KEYS = {
    "threshold": "the outcome value that scenario discovery (PRIM) looks for runs above",
}


def _unknown(kind: str, name: str, known) -> str:
    """'unknown scenario 'x'; did you mean …? known: …' for a name not in ``known``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint}; known: {', '.join(known)}"


def _unknown_key(key: str, allowed) -> str:
    """'unknown key; did you mean …? allowed: …' for a key not in ``allowed``."""
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint}; allowed: {', '.join(sorted(allowed))}"


@dataclass
class ScenarioSpec:
    name: str
    base: str  # a name from model.scenarios
    params: dict[str, Any] = field(default_factory=dict)
    interventions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ExperimentSpec:
    name: str
    description: str
    weeks: int
    replicates: int
    seed: int
    metrics: list[str]
    base: dict[str, Any]
    scenarios: list[ScenarioSpec]
    sweep: dict[str, list[Any]]
    design: dict[str, Any] | None
    common_random_numbers: bool
    analysis: dict[str, Any]
    raw: dict[str, Any]
    source: str = "<string>"

    @property
    def fingerprint(self) -> str:
        """Hash of what determines the runs and their results (not name or description)."""
        content = {
            "weeks": self.weeks, "replicates": self.replicates, "seed": self.seed,
            "metrics": self.metrics, "base": self.base,
            "scenarios": [vars(s) for s in self.scenarios], "sweep": self.sweep,
            "design": self.design, "common_random_numbers": self.common_random_numbers,
        }  # fmt: skip
        text = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a TOML spec file."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: spec file not found")
    return parse_spec(read_spec_text(path), source=str(path))


def read_spec_text(path: Path) -> str:
    """A spec file's text, UTF-8 (a byte-order mark, as Windows editors add, is left for
    :func:`parse_spec`, which reads past it whatever the text came from)."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None


def parse_spec(text: str, source: str = "<string>") -> ExperimentSpec:
    """Parse and validate spec text; raise :class:`SpecError` naming line and key."""
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the TOML
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {exc}", source, code="toml",
                        detail=str(exc)) from None  # fmt: skip
    return _Validator(text, source).spec(raw)


class _Validator:
    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    # -- error reporting -------------------------------------------------------------
    def locate(self, path: tuple[str, ...]) -> int | None:
        """Line number (1-based) where the key path is written, as best as can be found."""
        table: tuple[str, ...] = ()
        key = path[-1]
        pattern = re.compile(rf'(^|[\s{{,])"?{re.escape(key)}"?\s*=')
        fallback = None
        for number, line in enumerate(self.lines, 1):
            stripped = line.split("#", 1)[0].strip()
            header = re.match(r"^\[+\s*([^\]]+?)\s*\]+$", stripped)
            if header:
                table = tuple(p.strip().strip('"') for p in header.group(1).split("."))
                if table == path:
                    return number
                continue
            if pattern.search(stripped):
                if table == path[:-1] or (path[: len(table)] == table and table):
                    return number
                fallback = fallback or number
        return fallback

    def error(self, path: tuple[str, ...], message: str, code: str = "",
              cause: Exception | None = None, **fields: Any) -> SpecError:  # fmt: skip
        # a key the spec leaves implicit (a scenario written as a name has no ``from``) is
        # found where its table or key is written
        line = next((n for k in range(len(path), 0, -1) if (n := self.locate(path[:k]))), None)
        where = f"{self.source}:{line}" if line else self.source
        key = ".".join(path) if path else "spec"
        return SpecError(f"{where}: {key}: {message}", self.source, line, key, code, cause,
                         **fields)  # fmt: skip

    def param(self, path: tuple[str, ...], name: str, value: Any) -> Any:
        try:
            return validate_one(name, value)
        except ParameterError as exc:
            raise self.error(path, str(exc), cause=exc) from None

    # -- the spec ----------------------------------------------------------------------
    def spec(self, raw: dict[str, Any]) -> ExperimentSpec:
        unknown = set(raw) - _TOP_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise self.error((key,), _unknown_key(key, _TOP_KEYS), "unknown_key",
                             allowed=sorted(_TOP_KEYS))  # fmt: skip
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.error(("name",), "required: letters, digits, '_' or '-'", "name")
        if len(name) > MAX_NAME:
            raise self.error(("name",), f"at most {MAX_NAME} characters, got {len(name)}")
        if not isinstance(raw.get("description", ""), str):
            raise self.error(("description",), "must be a string (in quotes)")
        weeks = self.integer(raw, "weeks", 156, 1, 100_000)
        replicates = self.integer(raw, "replicates", 1, 1, 1_000_000)
        seed = self.integer(raw, "seed", None, 0, 2**63 - 1)
        metrics = raw.get("metrics", list(METRICS))
        if not isinstance(metrics, list) or not metrics:
            raise self.error(("metrics",), "must be a non-empty list of metric names")
        for m in metrics:
            if m not in METRICS:
                raise self.error(("metrics",), _unknown("metric", m, METRICS))
        repeated = sorted({m for m in metrics if metrics.count(m) > 1})
        if repeated:
            raise self.error(("metrics",), f"lists {', '.join(map(repr, repeated))} more than "
                             "once; name each metric once")  # fmt: skip
        base = self.params_table(raw.get("base", {}), ("base",))
        scenarios = self.scenarios(raw.get("scenarios", {"baseline": "baseline"}))
        if "sweep" in raw and "design" in raw:
            raise self.error(("design",), "use either [sweep] or [design], not both")
        sweep = self.sweep(raw.get("sweep", {}))
        design = self.design(raw["design"]) if "design" in raw else None
        self.not_also_fixed(base, scenarios, sweep or (design or {}).get("parameters", {}),
                            "sweep" if sweep else "design")  # fmt: skip
        crn = raw.get("common_random_numbers", True)
        if not isinstance(crn, bool):
            raise self.error(("common_random_numbers",), "must be true or false")
        analysis = raw.get("analysis", {})
        if not isinstance(analysis, dict):
            raise self.error(("analysis",), "must be a table")
        for key, value in analysis.items():
            if key not in _ANALYSIS_KEYS:
                raise self.error(("analysis", key), _unknown_key(key, _ANALYSIS_KEYS))
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(
                    ("analysis", key), f"must be a number ({_ANALYSIS_KEYS[key]}), got {value!r}"
                )
        return ExperimentSpec(
            name=name,
            description=str(raw.get("description", "")),
            weeks=weeks,
            replicates=replicates,
            seed=seed,
            metrics=list(metrics),
            base=base,
            scenarios=scenarios,
            sweep=sweep,
            design=design,
            common_random_numbers=crn,
            analysis=analysis,
            raw=raw,
            source=self.source,
        )

    def integer(self, raw, key, default, low, high) -> int:
        if key not in raw:
            if default is None:
                raise self.error((key,), "required: an integer", "required")
            return default
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error((key,), f"must be an integer in [{low}, {high}], got {value!r}",
                             "integer", low=low, high=high, value=value)  # fmt: skip
        return value

    def params_table(self, table: Any, path: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.error(path, "must be a table of parameter = value")
        return {k: self.param((*path, k), k, v) for k, v in table.items()}

    def scenarios(self, table: Any) -> list[ScenarioSpec]:
        if not isinstance(table, dict) or not table:
            raise self.error(("scenarios",), "must be a non-empty table of scenarios")
        out = []
        for name, body in table.items():
            path = ("scenarios", name)
            if not _NAME.match(name):
                raise self.error(path, "scenario names use letters, digits, '_' or '-'")
            if len(name) > MAX_NAME:
                raise self.error(path, f"scenario names have at most {MAX_NAME} characters "
                                 f"(they begin the run files' names), got {len(name)}")  # fmt: skip
            if isinstance(body, str):
                body = {"from": body}
            if not isinstance(body, dict):
                raise self.error(path, "must be a scenario name or a table")
            extra = set(body) - {"from", "set", "interventions"}
            if extra:
                key = sorted(extra)[0]
                allowed = ["from", "interventions", "set"]
                raise self.error((*path, key), _unknown_key(key, allowed), "unknown_key",
                                 allowed=allowed)  # fmt: skip
            base = body.get("from", name if name in SCENARIOS else "baseline")
            if base not in SCENARIOS:
                raise self.error((*path, "from"), _unknown("scenario", base, SCENARIOS),
                                 "unknown_scenario", name=base)  # fmt: skip
            params = self.params_table(body.get("set", {}), (*path, "set"))
            schedule = body.get("interventions", [])
            if not isinstance(schedule, list):
                raise self.error((*path, "interventions"), "must be a list of {week, set}")
            checked = []
            for item in schedule:
                if not isinstance(item, dict) or set(item) != {"week", "set"}:
                    raise self.error(
                        (*path, "interventions"), "each item needs exactly 'week' and 'set'"
                    )
                week = item["week"]
                if isinstance(week, bool) or not isinstance(week, int) or week < 0:
                    raise self.error((*path, "interventions"), "week must be an integer ≥ 0")
                checked.append(
                    {"week": week, "set": self.params_table(item["set"], (*path, "interventions"))}
                )
            out.append(ScenarioSpec(name, base, params, checked))
        return out

    def sweep(self, table: Any) -> dict[str, list[Any]]:
        if not isinstance(table, dict):
            raise self.error(("sweep",), "must be a table of parameter = [values]")
        out = {}
        for name, values in table.items():
            if not isinstance(values, list) or not values:
                raise self.error(("sweep", name), "must be a non-empty list of values")
            out[name] = [self.param(("sweep", name), name, v) for v in values]
            repeated = [v for i, v in enumerate(out[name]) if v in out[name][:i]]
            if repeated:
                raise self.error(
                    ("sweep", name),
                    f"lists {repeated[0]!r} more than once: each value is one point, and a "
                    "repeated point is the same runs with the same seeds, not more data; give "
                    "each value once (`replicates` sets how many runs each point gets)",
                )
        return out

    def not_also_fixed(self, base: dict, scenarios: list[ScenarioSpec], varied: dict,
                       table: str) -> None:  # fmt: skip
        """A parameter the sweep or design varies cannot also be fixed: the varied value would
        win without a word."""
        for path, fixed in [(("base",), base)] + [
            (("scenarios", sc.name, "set"), sc.params) for sc in scenarios
        ]:
            both = sorted(set(fixed) & set(varied))
            if both:
                raise self.error(
                    (*path, both[0]),
                    f"is also varied by [{table}], whose values would replace this one at every "
                    f"point; set it in one place only",
                )

    def design(self, table: Any) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.error(("design",), "must be a table")
        allowed = {"method", "samples", "parameters", "num_levels", "calc_second_order"}
        extra = set(table) - allowed
        if extra:
            key = sorted(extra)[0]
            raise self.error(("design", key), _unknown_key(key, allowed))
        method = table.get("method")
        if method not in DESIGNS:
            raise self.error(("design", "method"), f"must be one of {', '.join(DESIGNS)}")
        samples = table.get("samples")
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise self.error(("design", "samples"), "must be an integer ≥ 1")
        bounds = table.get("parameters")
        if not isinstance(bounds, dict) or not bounds:
            raise self.error(("design", "parameters"), "must be a table of name = [low, high]")
        checked = {}
        for name, pair in bounds.items():
            path = ("design", "parameters", name)
            p = PARAMS.get(name)
            if p is None:
                self.param(path, name, None)  # raises the registry's unknown-name message
            if p.type not in (int, float):
                raise self.error(path, "sampled designs vary numeric parameters only")
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.error(path, "must be [low, high]")
            low, high = (self.param(path, name, v) for v in pair)
            if not low < high:
                raise self.error(path, f"low must be below high, got [{low}, {high}]")
            checked[name] = [low, high]
        levels = table.get("num_levels", 4)
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
            raise self.error(("design", "num_levels"), "must be an integer ≥ 2")
        second = table.get("calc_second_order", False)
        if not isinstance(second, bool):
            raise self.error(("design", "calc_second_order"), "must be true or false")
        return {
            "method": method,
            "samples": samples,
            "parameters": checked,
            "num_levels": levels,
            "calc_second_order": second,
        }
