"""Solution concepts on a bargaining problem (normalised issues).

* **Nash bargaining solution** (Nash 1950): ``argmax prod_a (U_a(x) - w_a)``
  over feasible texts with ``U_a(x) > w_a`` for all a.
* **Kalai–Smorodinsky** (Kalai & Smorodinsky 1975): the maximal point on the
  segment from the disagreement point w to the utopia point ``u*`` (each
  party's best utility in the bargaining set): ``max lam`` s.t.
  ``U_a(x) - w_a >= lam (u*_a - w_a)`` for all a.
* **Pareto gap**: the largest utility gain every party could still get.
* **Pareto frontier** of two parties: the epsilon-constraint method,
  ``max U_b`` s.t. ``U_a >= u`` for a grid of u.
* **Weighted median** (Black 1948).

Equations and references in ``docs/MODEL.md`` §4.
"""

from __future__ import annotations

import numpy as np

from sim.benchmarks.problem import BargainingProblem
from sim.benchmarks.solver import SmoothProgram

__all__ = [
    "best_for",
    "frontier",
    "kalai_smorodinsky_point",
    "nash_point",
    "non_dominated",
    "pareto_gap_of",
    "utopia_point",
    "weighted_median_point",
]


def nash_point(problem: BargainingProblem) -> np.ndarray | None:
    """The Nash bargaining solution (normalised), or None if no text beats every walk-away."""
    program = SmoothProgram(problem)
    inner = program.maximin(problem.walkaway, np.ones(problem.n_parties))
    if inner is None or inner[1] <= 1e-9:
        return None
    w = problem.walkaway

    def objective(z: np.ndarray) -> float:
        return -float(np.sum(np.log(np.maximum(program.u(z) - w, 1e-300))))

    def jac(z: np.ndarray) -> np.ndarray:
        g = np.maximum(program.u(z) - w, 1e-300)
        return -(program.du(z) / g[:, None]).sum(axis=0)

    cons = [
        {"type": "ineq", "fun": lambda z: program.u(z) - w - 1e-12, "jac": program.du},
        program.abs_constraints(),
    ]
    starts = [program.lift(inner[0])]
    if np.any(problem.curvature > 1.0):
        starts += [program.lift(x) for x in program.starts()]
        starts = [z for z in starts if np.all(program.u(z) > w)]
    best = program.solve(objective, jac, cons, starts)
    return None if best is None else program.split(best[0])[0]


def utopia_point(problem: BargainingProblem) -> np.ndarray | None:
    """Each party's best utility among texts giving everyone its walk-away."""
    program = SmoothProgram(problem)
    inner = program.maximin(problem.walkaway, np.ones(problem.n_parties))
    if inner is None or inner[1] < -1e-9:
        return None
    return np.array([program.maximise_utility(a, problem.walkaway, inner[0]) for a in range(problem.n_parties)])


def kalai_smorodinsky_point(problem: BargainingProblem) -> np.ndarray | None:
    """The Kalai–Smorodinsky solution (normalised), or None if no bargaining set."""
    utopia = utopia_point(problem)
    if utopia is None:
        return None
    scale = np.maximum(utopia - problem.walkaway, 1e-12)
    found = SmoothProgram(problem).maximin(problem.walkaway, scale)
    return None if found is None else found[0]


def pareto_gap_of(problem: BargainingProblem, x: np.ndarray) -> float:
    """Largest utility gain available to *every* party over text ``x``.

    0 means ``x`` is (weakly) Pareto-efficient within the red lines.
    """
    found = SmoothProgram(problem).maximin(problem.utilities(x), np.ones(problem.n_parties))
    return 0.0 if found is None else max(found[1], 0.0)


def best_for(
    problem: BargainingProblem, b: int, a: int, floor: float, start: np.ndarray | None = None
) -> np.ndarray | None:
    """The text maximising ``U_b`` subject to ``U_a >= floor`` (inside the red lines).

    Args:
        b: Party whose utility is maximised.
        a: Party whose utility is bounded below.
        floor: The bound on ``U_a``.
        start: Starting text (default: a's ideal clipped to the box).

    Returns:
        The normalised text, or None if no text gives ``U_a >= floor``.
    """
    if not problem.feasible:
        return None
    low, high = problem.box
    pair = problem.subset([a, b])
    pair_program = SmoothProgram(pair)
    best_a = np.clip(problem.ideal[a], low, high)
    if pair.utilities(best_a)[0] < floor - 1e-12:
        return None
    starts = [pair_program.lift(best_a if start is None else start)]
    if np.any(pair.curvature > 1.0):  # not convex: restart from the box centre and both ideals
        starts += [pair_program.lift(x) for x in pair_program.starts()]
    cons = [
        {"type": "ineq", "fun": lambda z: pair_program.u(z)[0] - floor, "jac": lambda z: pair_program.du(z)[0:1]},
        pair_program.abs_constraints(),
    ]
    found = pair_program.solve(lambda z: -pair_program.u(z)[1], lambda z: -pair_program.du(z)[1], cons, starts)
    if found is None and start is not None:
        found = pair_program.solve(
            lambda z: -pair_program.u(z)[1], lambda z: -pair_program.du(z)[1], cons, [pair_program.lift(best_a)]
        )
    return None if found is None else pair_program.split(found[0])[0]


def frontier(problem: BargainingProblem, a: int, b: int, points: int = 41) -> tuple[np.ndarray, np.ndarray]:
    """Pareto frontier of parties a and b (ignoring the others' preferences).

    Returns:
        ``(utilities (M, 2), texts (M, I))`` sorted by U_a.
    """
    if not problem.feasible:
        return np.zeros((0, 2)), np.zeros((0, problem.n_issues))
    pair = problem.subset([a, b])
    low, high = problem.box
    best_a = np.clip(problem.ideal[a], low, high)
    best_b = np.clip(problem.ideal[b], low, high)
    u_lo = pair.utilities(best_b)[0]
    u_hi = pair.utilities(best_a)[0]
    texts = []
    start = best_b
    for u in np.linspace(u_lo, u_hi, points):
        found = best_for(problem, b, a, u, start)
        if found is not None:
            start = found
            texts.append(found)
    texts_arr = np.array(texts).reshape(-1, problem.n_issues)
    utils = pair.utilities(texts_arr)
    keep = non_dominated(utils)
    order = np.argsort(utils[keep, 0])
    return utils[keep][order], texts_arr[keep][order]


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Indices of the points no other point weakly dominates (with a tolerance)."""
    keep = []
    for i, p in enumerate(points):
        dominated = np.any(np.all(points >= p - 1e-9, axis=1) & np.any(points > p + 1e-7, axis=1))
        if not dominated:
            keep.append(i)
    return np.array(keep, dtype=int)


def weighted_median_point(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted median of ``values``: the point where half the weight lies on each side.

    The smallest value whose cumulative weight reaches half the total; when the
    cumulative weight equals exactly half there, the midpoint to the next value.
    """
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    total = w.sum()
    if total <= 0:
        return float(np.median(v))
    cum = np.cumsum(w)
    k = int(np.searchsorted(cum, total / 2 - 1e-12 * total))
    if abs(cum[k] - total / 2) <= 1e-12 * total and k + 1 < len(v):
        return float((v[k] + v[k + 1]) / 2)
    return float(v[k])
