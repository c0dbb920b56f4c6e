"""civicloop's model: resident participation under Party-building-led community governance.

The names below are imported on first use, so that listing parameters or checking an
experiment spec does not pay for importing Mesa (and with it pandas and scipy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .params import PARAMS, ParameterError
from .scenarios import SCENARIOS

if TYPE_CHECKING:
    from .agents import Department, GridWorker, PartyMember, Resident
    from .model import CommunityModel
    from .scenarios import CivicScenario, named_scenario

__all__ = [
    "PARAMS",
    "SCENARIOS",
    "CivicScenario",
    "CommunityModel",
    "Department",
    "GridWorker",
    "ParameterError",
    "PartyMember",
    "Resident",
    "named_scenario",
]

_LAZY = {
    "CommunityModel": ".model",
    "Resident": ".agents",
    "PartyMember": ".agents",
    "GridWorker": ".agents",
    "Department": ".agents",
    "CivicScenario": ".scenarios",
    "named_scenario": ".scenarios",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
