"""civicloop's model: resident participation under Party-building-led community governance."""

from .agents import Department, GridWorker, PartyMember, Resident
from .model import CommunityModel
from .params import PARAMS, ParameterError
from .scenarios import SCENARIOS

__all__ = [
    "PARAMS",
    "SCENARIOS",
    "CommunityModel",
    "Department",
    "GridWorker",
    "ParameterError",
    "PartyMember",
    "Resident",
]
