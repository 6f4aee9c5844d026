"""Bargaining strategies for the alternating-offers protocol.

A strategy sets a party's *target utility* each round: the utility it asks for
when it proposes and the least it accepts when it responds.

* Time-dependent tactics (Faratin, Sierra & Jennings 1998, "Negotiation
  decision functions for autonomous agents", Robotics and Autonomous Systems
  24:159-182): ``alpha(t) = (t / T) ** (1 / beta)`` and the target falls from 1
  to the walk-away value by the deadline T:

      target(t) = w(t) + (1 - alpha(t)) * (1 - w(t))

  ``boulware`` (beta = 0.2: holds firm, concedes late), ``linear`` (beta = 1),
  ``conceder`` (beta = 5: concedes early).
* ``tit_for_tat`` — relative tit-for-tat in utility space (Faratin et al.
  1998, imitative tactics; Baarslag, Hindriks & Jonker 2013, "A tit for tat
  negotiation strategy for real-time bilateral negotiations"): a party closes
  the same share of the gap between its ideal and its walk-away value as the
  others have closed toward it:

      c(t) = (U(last offer received) - U(first offer received)) / (1 - U(first offer received))
      target(t) = 1 - clip(c, 0, 1) * (1 - w(t))

* ``equilibrium`` — the stationary subgame-perfect strategy of Rubinstein
  (1982), generalised to any Pareto frontier (Binmore, Rubinstein & Wolinsky
  1986); two parties only; see :mod:`sim.protocols.alternating`.
"""

from __future__ import annotations

import numpy as np

from sim.core.schema import STRATEGIES, strategy_names
from sim.core.utility import safe_divide

__all__ = ["STRATEGIES", "TIME_BETA", "strategy_names", "time_dependent_target", "tit_for_tat_target"]

TIME_BETA = {"linear": 1.0, "boulware": 0.2, "conceder": 5.0}
"""Faratin et al.'s concession exponent beta of each time-dependent tactic."""


def time_dependent_target(
    walkaway: np.ndarray, beta: np.ndarray, t: int | np.ndarray, deadline: np.ndarray
) -> np.ndarray:
    """Faratin et al. (1998) time-dependent target utility.

    Args:
        walkaway: Walk-away values at round t, ``(B, P)``.
        beta: Concession exponents, ``(B, P)``.
        t: Round.
        deadline: Round limit T per row, ``(B,)``.

    Returns:
        Targets, ``(B, P)``: 1 at t = 0, the walk-away value at t = T.
    """
    share = np.clip(np.asarray(t, dtype=float) / deadline, 0.0, 1.0)[..., None]
    alpha = share ** (1.0 / beta)
    return walkaway + (1.0 - alpha) * (1.0 - walkaway)


def tit_for_tat_target(walkaway: np.ndarray, first_seen: np.ndarray, last_seen: np.ndarray) -> np.ndarray:
    """Relative tit-for-tat target (utility space).

    Args:
        walkaway: Walk-away values, ``(B, P)``.
        first_seen: Utility of the first offer each party received, ``(B, P)``
            (NaN before any).
        last_seen: Utility of the latest offer each party received, ``(B, P)``.

    Returns:
        Targets, ``(B, P)``; 1 before any offer was received.
    """
    share = safe_divide(last_seen - first_seen, 1.0 - first_seen)
    share = np.where(np.isnan(first_seen), 0.0, np.clip(share, 0.0, 1.0))
    return np.maximum(1.0 - share * (1.0 - walkaway), walkaway)
