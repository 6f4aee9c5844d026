"""Scenarios as the engine accepts them: the file format's rules and every protocol's.

:func:`load_scenario` and :func:`scenario_from_dict` here are the public
loaders (``sim.load_scenario``): they check what :mod:`sim.core.scenario`
checks plus the protocol name and each protocol's own rules (e.g. the
``equilibrium`` strategy needs two parties), all problems at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.core import scenario as core
from sim.core.scenario import Scenario
from sim.protocols import scenario_rules

__all__ = ["load_scenario", "scenario_from_dict"]


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file (every rule, every protocol's).

    Raises:
        UserError: Listing every problem in the file.
    """
    return core.load_scenario(path, scenario_rules())


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate scenario tables already parsed into dicts (same rules as files).

    Raises:
        UserError: Listing every problem found.
    """
    return core.scenario_from_dict(data, source, scenario_rules())
