"""Benchmark solutions every run is measured against.

All solutions are computed on the normalised issue space (each issue scaled to
[0, 1]) and returned in the issues' own units. The deal must respect every
party's red lines, so the feasible set is the box
``L_i = max_a red_low_ai <= x_i <= H_i = min_a red_high_ai``.

Solution concepts (equations in ``docs/MODEL.md``):

* **Nash bargaining solution** (Nash 1950): ``argmax prod_a (U_a(x) - w_a)``
  over feasible texts with ``U_a(x) > w_a`` for all a; w_a = walk-away at
  round 0.
* **Kalai–Smorodinsky** (Kalai & Smorodinsky 1975): the maximal point on the
  segment from the disagreement point w to the utopia point ``u*`` (each
  party's best utility in the bargaining set): ``max lam`` s.t.
  ``U_a(x) - w_a >= lam (u*_a - w_a)`` for all a.
* **Compromise** (Achen 2006, in Thomson et al., *The European Union
  Decides*): per issue ``sum_a c_a s_ai p_ai / sum_a c_a s_ai`` with raw
  salience s and capability c.
* **Weighted median** (Black 1948): per issue, the median of the ideals
  weighted by ``c_a s_ai``; the Condorcet winner for single-peaked symmetric
  preferences on one issue.
* **Pareto frontier** of two parties: sampled with the epsilon-constraint
  method, ``max U_b`` s.t. ``U_a >= u`` for a grid of u.

Optimisation uses ``scipy.optimize.minimize(method="SLSQP")`` on a smooth
reformulation: auxiliary variables ``D_ai >= |x_i - p_ai|`` (two linear
constraints each) replace the kinked distance, so utilities
``sum_i w_ai (1 - D_ai) ** k_ai`` are smooth. For curvature <= 1 every
problem is convex and SLSQP finds the global optimum; for curvature > 1 the
solver restarts from several points and keeps the best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.benchmarks.concepts import (
    frontier,
    kalai_smorodinsky_point,
    nash_point,
    pareto_gain_of,
    pareto_gap_of,
    weighted_median_point,
)
from sim.benchmarks.discrete import (
    discrete_kalai_smorodinsky,
    discrete_nash,
    discrete_pareto_gain,
    discrete_pareto_gap,
)
from sim.benchmarks.problem import BargainingProblem
from sim.core.scenario import Scenario
from sim.core.utility import weighted_mean

__all__ = [
    "Solutions",
    "compromise",
    "kalai_smorodinsky",
    "nash_solution",
    "pareto_frontier",
    "pareto_gain",
    "pareto_gap",
    "solve",
    "weighted_median",
]


def _raw(scenario: Scenario, z: np.ndarray | None) -> dict[str, float] | None:
    if z is None:
        return None
    z = np.round(np.clip(z, 0.0, 1.0), 7)  # the solver's accuracy; no 1e-9 noise in tables
    return {i.id: float(i.min + zi * i.span) for i, zi in zip(scenario.issues, z, strict=True)}


def nash_solution(scenario: Scenario) -> dict[str, float] | None:
    """Nash bargaining solution (Nash 1950), in issue units; None if the set is empty."""
    return _raw(scenario, nash_point(BargainingProblem.from_scenario(scenario)))


def kalai_smorodinsky(scenario: Scenario) -> dict[str, float] | None:
    """Kalai–Smorodinsky solution (Kalai & Smorodinsky 1975), in issue units."""
    return _raw(scenario, kalai_smorodinsky_point(BargainingProblem.from_scenario(scenario)))


def compromise(scenario: Scenario) -> dict[str, float]:
    """Compromise model (Achen 2006): per issue ``sum c s p / sum c s``, raw salience."""
    x = np.array([[p.ideal[i.id] for i in scenario.issues] for p in scenario.parties])
    w = np.array([[p.capability * p.salience[i.id] for i in scenario.issues] for p in scenario.parties])
    return {i.id: float(v) for i, v in zip(scenario.issues, weighted_mean(x, w, axis=0), strict=True)}


def weighted_median(scenario: Scenario) -> dict[str, float]:
    """Per issue, the median of ideals weighted by capability x salience (Black 1948)."""
    out = {}
    for issue in scenario.issues:
        w = np.array([p.capability * p.salience[issue.id] for p in scenario.parties])
        x = np.array([p.ideal[issue.id] for p in scenario.parties])
        out[issue.id] = weighted_median_point(x, w)
    return out


def pareto_frontier(
    scenario: Scenario, parties: Sequence[str] | None = None, points: int = 41
) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Sampled Pareto frontier of two parties, within everyone's red lines.

    Args:
        scenario: The scenario.
        parties: Two party ids (default: the scenario's main parties).
        points: Number of epsilon-constraint samples.

    Returns:
        ``(utilities (M, 2), texts)`` sorted by the first party's utility.
    """
    a, b = parties or scenario.main_parties
    ids = scenario.party_ids
    utils, texts = frontier(BargainingProblem.from_scenario(scenario), ids.index(a), ids.index(b), points)
    return utils, [_raw(scenario, t) for t in texts]


def _normalised(scenario: Scenario, deal: dict[str, float]) -> np.ndarray:
    return np.array([(deal[i.id] - i.min) / i.span for i in scenario.issues])


def pareto_gap(scenario: Scenario, deal: dict[str, float]) -> float:
    """Largest utility gain every party could get over ``deal`` at once (0 = weakly Pareto-efficient)."""
    z = _normalised(scenario, deal)
    problem = BargainingProblem.from_scenario(scenario)
    levels = _levels(scenario)
    gap = discrete_pareto_gap(problem, levels, z) if any(len(o) for o in levels) else None
    return pareto_gap_of(problem, z) if gap is None else gap


def pareto_gain(scenario: Scenario, deal: dict[str, float]) -> float:
    """Largest total utility gain over ``deal`` with nobody losing (0 = strongly Pareto-efficient)."""
    z = _normalised(scenario, deal)
    problem = BargainingProblem.from_scenario(scenario)
    levels = _levels(scenario)
    gain = discrete_pareto_gain(problem, levels, z) if any(len(o) for o in levels) else None
    return pareto_gain_of(problem, z) if gain is None else gain


def _levels(scenario: Scenario) -> tuple[np.ndarray, ...]:
    """Normalised options of each discrete issue (empty for the others)."""
    return tuple(
        np.array(sorted((v - i.min) / i.span for v in i.levels)) if i.discrete else np.zeros(0) for i in scenario.issues
    )


@dataclass(frozen=True)
class Solutions:
    """Benchmark solutions of a scenario, in issue units (None where undefined)."""

    nash: dict[str, float] | None
    kalai_smorodinsky: dict[str, float] | None
    compromise: dict[str, float]
    weighted_median: dict[str, float]
    exact: bool = True
    """False when a discrete problem had too many packages and was solved by its continuous relaxation."""

    def as_dict(self) -> dict[str, dict[str, float] | None]:
        """``{"nash": {...}, "kalai_smorodinsky": ..., "compromise": ..., "weighted_median": ...}``."""
        return {
            "nash": self.nash,
            "kalai_smorodinsky": self.kalai_smorodinsky,
            "compromise": self.compromise,
            "weighted_median": self.weighted_median,
        }


_SOLVED: dict[str, Solutions] = {}
"""Solutions by scenario content (its sha256), the most recent 32: a scenario run again is not solved again."""


def solve(scenario: Scenario) -> Solutions:
    """All benchmark solutions of a scenario (kept for the last 32 scenarios, by content).

    Args:
        scenario: The scenario.

    Returns:
        The solutions, each ``{issue: value}`` in the issue's units.
    """
    if scenario.sha256 not in _SOLVED:
        _SOLVED[scenario.sha256] = _solve(scenario)
        if len(_SOLVED) > 32:
            _SOLVED.pop(next(iter(_SOLVED)))
    return _SOLVED[scenario.sha256]


def _solve(scenario: Scenario) -> Solutions:
    problem = BargainingProblem.from_scenario(scenario)
    levels = _levels(scenario)
    if any(len(options) for options in levels):  # packages of options: the concepts over the discrete space
        nash, exact_nash = discrete_nash(problem, levels)
        ks, exact_ks = discrete_kalai_smorodinsky(problem, levels)
        return Solutions(
            nash=_raw(scenario, nash),
            kalai_smorodinsky=_raw(scenario, ks),
            compromise=compromise(scenario),
            weighted_median=weighted_median(scenario),
            exact=exact_nash and exact_ks,
        )
    return Solutions(
        nash=_raw(scenario, nash_point(problem)),
        kalai_smorodinsky=_raw(scenario, kalai_smorodinsky_point(problem)),
        compromise=compromise(scenario),
        weighted_median=weighted_median(scenario),
    )
