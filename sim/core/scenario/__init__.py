"""Scenario files: TOML in, a validated :class:`Scenario` out.

One module per concern: ``fields`` (types of single values), ``spec`` (the
file's tables), ``messages`` (validation errors as one-line problems),
``ranges`` (``{low, high, value}`` anywhere a number goes), ``paths`` (dotted
paths into the tables), ``rules`` (rules that span fields) and ``model`` (the
validated scenario and the loader).
"""

from sim.core.scenario.fields import IDENTIFIER, NAME
from sim.core.scenario.model import (
    Battlefield,
    Coalition,
    Event,
    Issue,
    Party,
    Ratification,
    Scenario,
    date_of_round,
    load_scenario,
    round_of_date,
    scenario_from_dict,
)
from sim.core.scenario.paths import canonical_sha256, get_path, set_path
from sim.core.scenario.rules import RULES, Rule, RuleContext, look_ahead_problems

__all__ = [
    "IDENTIFIER",
    "NAME",
    "RULES",
    "Battlefield",
    "Coalition",
    "Event",
    "Issue",
    "Party",
    "Ratification",
    "Rule",
    "RuleContext",
    "Scenario",
    "canonical_sha256",
    "date_of_round",
    "get_path",
    "load_scenario",
    "look_ahead_problems",
    "round_of_date",
    "scenario_from_dict",
    "set_path",
]
