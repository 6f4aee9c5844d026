"""Names of the choices a scenario may make that the kernel encodes as numbers."""

from __future__ import annotations

__all__ = ["STRATEGIES", "strategy_names"]

STRATEGIES = ("linear", "boulware", "conceder", "tit_for_tat", "equilibrium")
"""Strategy names of the alternating protocol; a party's code in the kernel is its index here."""


def strategy_names() -> list[str]:
    """The strategy names a scenario may use."""
    return list(STRATEGIES)
