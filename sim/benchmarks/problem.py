"""The bargaining problem of one negotiation: parties' utilities over the texts inside every red line."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.core.compile import compile_params
from sim.core.params import KernelParams
from sim.core.scenario import Scenario
from sim.core.utility import utilities

__all__ = ["BargainingProblem"]


class BargainingProblem:
    """The bargaining set of one negotiation, on normalised issues.

    The deal must respect every party's red lines, so the feasible set is the
    box ``L_i = max_a red_low_ai <= x_i <= H_i = min_a red_high_ai``.

    Args:
        ideal: Ideals, ``(P, I)`` in [0, 1].
        weight: Normalised salience, ``(P, I)``.
        curvature: Exponents, ``(P, I)``.
        red_low: Lower red lines, ``(P, I)``.
        red_high: Upper red lines, ``(P, I)``.
        walkaway: Disagreement utilities, ``(P,)``.
    """

    def __init__(
        self,
        ideal: np.ndarray,
        weight: np.ndarray,
        curvature: np.ndarray,
        red_low: np.ndarray,
        red_high: np.ndarray,
        walkaway: np.ndarray,
    ) -> None:
        self.ideal = np.asarray(ideal, dtype=float)
        self.weight = np.asarray(weight, dtype=float)
        self.curvature = np.asarray(curvature, dtype=float)
        self.red_low = np.asarray(red_low, dtype=float)
        self.red_high = np.asarray(red_high, dtype=float)
        self.walkaway = np.asarray(walkaway, dtype=float)
        self._box: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_params(cls, params: KernelParams, row: int = 0) -> BargainingProblem:
        """The problem of one row of kernel parameters (red lines and walk-away at round 0)."""
        low, high = params.red_lines_at(0)
        return cls(
            params.prefs.ideal[row],
            params.prefs.weight[row],
            params.prefs.curvature[row],
            low[row],
            high[row],
            params.walkaway_at(0)[row],
        )

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> BargainingProblem:
        """The problem of a scenario."""
        return cls.from_params(compile_params(scenario))

    def subset(self, parties: Sequence[int]) -> BargainingProblem:
        """The same issues and box, seen by some of the parties only."""
        idx = list(parties)
        problem = BargainingProblem(
            self.ideal[idx],
            self.weight[idx],
            self.curvature[idx],
            self.red_low,
            self.red_high,
            self.walkaway[idx],
        )
        problem._box = self.box  # red lines of everyone still bind
        return problem

    @property
    def n_parties(self) -> int:
        """Number of parties P."""
        return self.ideal.shape[0]

    @property
    def n_issues(self) -> int:
        """Number of issues I."""
        return self.ideal.shape[1]

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """Feasible bounds per issue: inside every party's red lines."""
        if self._box is None:
            low = np.clip(self.red_low.max(axis=0), 0.0, 1.0)
            high = np.clip(self.red_high.min(axis=0), 0.0, 1.0)
            self._box = (low, high)
        return self._box

    @property
    def feasible(self) -> bool:
        """Whether any text satisfies every red line."""
        low, high = self.box
        return bool(np.all(low <= high + 1e-12))

    def utilities(self, x: np.ndarray) -> np.ndarray:
        """Utilities of normalised text(s) ``x`` (``(..., I)`` -> ``(..., P)``)."""
        return utilities(np.asarray(x, dtype=float), self.ideal, self.weight, self.curvature)
