"""The allowed values of every number a user can give, in one place.

A :class:`Domain` is a range of allowed numbers with the sentence that says
it ("a number in [0, 1]"). The scenario validator, the sweep slots, the
experiment files and the command-line flags all check values against these
domains and print the same sentence, so a rule and its message change in one
place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BATTLEFIELD_NUMBERS",
    "COUNT",
    "DISCOUNT",
    "Domain",
    "HEADER_NUMBERS",
    "HEADER_PARTY_NUMBERS",
    "MAX_SEED",
    "NON_NEGATIVE",
    "PARTY_ISSUE_NUMBERS",
    "PARTY_NUMBERS",
    "POINTS",
    "PORT",
    "POSITIVE",
    "REAL",
    "RISK",
    "ROUNDS",
    "SEED",
    "SHARE",
    "STRATEGIES",
    "UNIT",
    "WALKOUT",
    "issue_domain",
    "strategy_names",
]

MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Domain:
    """Allowed numbers: ``low <= x <= high`` (open ends where said), optionally integers.

    Attributes:
        allowed: What a message says is allowed, e.g. ``"a number in [0, 1]"``.
        low: Lowest allowed value (None: unbounded).
        high: Highest allowed value (None: unbounded).
        low_open: Whether ``low`` itself is excluded.
        high_open: Whether ``high`` itself is excluded.
        integer: Whether only integers are allowed.
    """

    allowed: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def contains(self, value: Any) -> bool:
        """Whether one value is allowed (booleans are not numbers; NaN and inf are never allowed)."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        return bool(self.mask(np.asarray(value, dtype=float)))

    def mask(self, values: np.ndarray) -> np.ndarray:
        """Which of an array of numbers are allowed (vectorised)."""
        ok = np.isfinite(values)
        if self.low is not None:
            ok &= values > self.low if self.low_open else values >= self.low
        if self.high is not None:
            ok &= values < self.high if self.high_open else values <= self.high
        if self.integer:
            ok &= values == np.round(values)
        return ok

    def message(self, got: Any) -> str:
        """``"must be <allowed>; got <got>"``."""
        return f"must be {self.allowed}; got {got}"


REAL = Domain("a finite number")
NON_NEGATIVE = Domain("a number >= 0", low=0.0)
POSITIVE = Domain("a number > 0", low=0.0, low_open=True)
UNIT = Domain("a number in [0, 1]", low=0.0, high=1.0)
DISCOUNT = Domain("a number in (0, 1]", low=0.0, high=1.0, low_open=True)
SHARE = DISCOUNT
ROUNDS = Domain("an integer >= 1", low=1, integer=True)
COUNT = ROUNDS
POINTS = Domain("an integer >= 2", low=2, integer=True)
SEED = Domain("an integer in [0, 2**63 - 1]", low=0, high=MAX_SEED, integer=True)
PORT = Domain("an integer in 0..65535", low=0, high=65535, integer=True)
RISK = Domain("a number in [0, 1)", low=0.0, high=1.0, high_open=True)
WALKOUT = Domain("an integer >= 0 (0: never)", low=0, integer=True)


PARTY_NUMBERS: dict[str, tuple[str, Domain]] = {
    "capability": ("capability", NON_NEGATIVE),
    "patience": ("patience", DISCOUNT),
    "walkaway": ("walkaways.start", UNIT),
    "walkaway_drift": ("walkaways.drift", REAL),
    "front_sensitivity": ("walkaways.front_sensitivity", REAL),
    "walkout_after": ("walkaways.walkout_after", WALKOUT),
}
"""Per-party numbers with a kernel slot: file key -> (KernelParams field, domain)."""

PARTY_ISSUE_NUMBERS: dict[str, tuple[str, Domain]] = {
    "salience": ("prefs.salience", UNIT),
    "curvature": ("prefs.curvature", POSITIVE),
}
"""Per-party, per-issue numbers (not positions) with a kernel slot."""

HEADER_PARTY_NUMBERS: dict[str, tuple[str, Domain]] = {
    "mediator_bias": ("mediation.bias", NON_NEGATIVE),
    "mediator_lean": ("mediation.lean", RISK),
}
"""``[scenario]`` tables of per-party numbers with a kernel slot."""

HEADER_NUMBERS: dict[str, tuple[str, Domain]] = {
    "noise": ("mediation.noise", NON_NEGATIVE),
    "mediator_misperception": ("mediation.misperception", NON_NEGATIVE),
    "breakdown_risk": ("breakdown_risk", RISK),
    "rounds": ("rounds", ROUNDS),
}
"""``[scenario]`` numbers with a kernel slot."""

BATTLEFIELD_NUMBERS: dict[str, tuple[str, Domain, str]] = {
    "start": ("front.start", REAL, "position"),
    "drift": ("front.drift", REAL, "distance"),
    "volatility": ("front.volatility", NON_NEGATIVE, "distance"),
    "jump_rate": ("front.jump_rate", UNIT, "number"),
    "jump_size": ("front.jump_size", REAL, "distance"),
}
"""``[battlefield]`` numbers: key -> (field, domain, unit): a position on the front's issue, a distance along
it (issue units, scaled by the span in the kernel), or a plain number."""


def issue_domain(low: float, high: float) -> Domain:
    """Positions on an issue: ``[min, max]`` of its scale."""
    return Domain(f"a number in [{low:g}, {high:g}] (the issue's min..max)", low=low, high=high)


STRATEGIES = ("linear", "boulware", "conceder", "tit_for_tat", "equilibrium")
"""Strategy names of the alternating protocol; a party's code in the kernel is its index here."""


def strategy_names() -> list[str]:
    """The strategy names a scenario may use."""
    return list(STRATEGIES)
