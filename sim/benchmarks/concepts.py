"""Solution concepts on a bargaining problem (normalised issues).

* **Nash bargaining solution** (Nash 1950): ``argmax prod_a (U_a(x) - w_a)``
  over feasible texts with ``U_a(x) > w_a`` for all a.
* **Kalai–Smorodinsky** (Kalai & Smorodinsky 1975): the maximal point on the
  segment from the disagreement point w to the utopia point ``u*`` (each
  party's best utility in the bargaining set): ``max lam`` s.t.
  ``U_a(x) - w_a >= lam (u*_a - w_a)`` for all a. With three or more parties
  the texts attaining the largest lam need not be unique and some are
  Pareto-dominated, so the point returned is the **lexicographic maximin**
  of the normalised gains ``g_a = (U_a - w_a) / (u*_a - w_a)`` (Imai 1983):
  raise the smallest gain, fix the parties that cannot go higher, raise the
  next smallest, and so on. It is strongly Pareto-efficient and equals the
  Kalai–Smorodinsky point whenever that one is (always with two parties).
* **Pareto gap**: the largest utility gain every party could still get at
  once (0: weakly efficient); **Pareto gain**: the largest total utility gain
  with nobody losing (0: strongly efficient).
* **Pareto frontier** of two parties: the epsilon-constraint method,
  ``max U_b`` s.t. ``U_a >= u`` for a grid of u.
* **Weighted median** (Black 1948).

Equations and references in ``docs/MODEL.md`` §4.
"""

from __future__ import annotations

import numpy as np

from sim.benchmarks.one_issue import best_for_1d, kalai_smorodinsky_point_1d, nash_point_1d, weighted_median_1d
from sim.benchmarks.problem import BargainingProblem
from sim.benchmarks.solver import SmoothProgram

__all__ = [
    "best_for",
    "frontier",
    "kalai_smorodinsky_point",
    "leximin_point",
    "nash_point",
    "non_dominated",
    "pareto_gain_of",
    "pareto_improvement",
    "pareto_gap_of",
    "utopia_point",
    "weighted_median_point",
]


def _one_issue(problem: BargainingProblem) -> bool:
    """Whether the exact one-issue solvers apply (one issue, every party caring about it)."""
    return problem.n_issues == 1 and bool(np.all(problem.weight > 0))


def nash_point(problem: BargainingProblem, one_issue: bool = True) -> np.ndarray | None:
    """The Nash bargaining solution (normalised), or None if no text beats every walk-away.

    Args:
        problem: The bargaining problem.
        one_issue: Solve one-issue problems exactly by bisection
            (:mod:`sim.benchmarks.one_issue`) instead of by SLSQP.
    """
    if one_issue and _one_issue(problem) and np.all(problem.walkaway >= 0):  # concave only for w >= 0
        return nash_point_1d(problem)
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


LEXIMIN_TOLERANCE = 1e-6
"""A party whose normalised gain cannot rise more than this above the level is fixed there."""


def leximin_point(problem: BargainingProblem, base: np.ndarray, scale: np.ndarray) -> np.ndarray | None:
    """The lexicographic maximin of the gains ``g_a = (U_a(x) - base_a) / scale_a`` (Imai 1983).

    Stage k solves ``lam_k = max lam`` s.t. the parties fixed so far keep
    their levels and every free party has ``g >= lam``; then each free party
    j is tested: if ``max g_j`` (everyone else held at its level or at
    ``lam_k``) exceeds ``lam_k`` by no more than :data:`LEXIMIN_TOLERANCE`,
    j cannot be raised and is fixed at ``lam_k``. Parties with
    ``scale_a <= 0`` cannot gain and are held at ``U_a >= base_a``. At most
    one stage per party; with two parties (or whenever the max-lam text is
    unique) one stage. Testing "cannot be raised" by a maximisation, not by
    which constraints happen to bind at one optimum, is what makes the result
    strongly Pareto-efficient (theory: Imai 1983; /work/notes/theory.md §6).

    Args:
        problem: The bargaining problem.
        base: Disagreement utilities, ``(P,)``.
        scale: Normalisers (``u*_a - w_a``), ``(P,)``.

    Returns:
        The normalised text, or None if no text meets every base.
    """
    program = SmoothProgram(problem)
    scale = np.asarray(scale, dtype=float)
    free = scale > 0
    level = np.zeros(problem.n_parties)
    safe = np.where(free, scale, 1.0)
    x: np.ndarray | None = None
    while free.any():
        stage_base = np.where(free, base, base + level * scale)
        stage_scale = np.where(free, scale, 0.0)
        found = program.maximin(stage_base, stage_scale, None if x is None else [x])
        if found is None:
            return x
        x, lam = found
        floor = stage_base + lam * stage_scale - 1e-10  # the stage's levels, less solver noise
        best = np.full(problem.n_parties, -np.inf)
        for j in np.flatnonzero(free):
            best[j] = (program.maximise_utility(int(j), floor, x) - base[j]) / safe[j]
        blocked = free & (best <= lam + LEXIMIN_TOLERANCE)
        if not blocked.any():  # numerically every free party looks raisable: fix the least raisable one
            blocked = free & (best == best[free].min())
        level = np.where(blocked, lam, level)
        free &= ~blocked
    return x


def kalai_smorodinsky_point(problem: BargainingProblem, one_issue: bool = True) -> np.ndarray | None:
    """The Kalai–Smorodinsky solution (normalised), or None if no bargaining set.

    With three or more parties, the lexicographic maximin of the normalised
    gains (:func:`leximin_point`; Imai 1983), which is strongly
    Pareto-efficient and equals the classic point whenever that one is.

    Args:
        problem: The bargaining problem.
        one_issue: Solve one-issue problems exactly by bisection
            (:mod:`sim.benchmarks.one_issue`) instead of by SLSQP.
    """
    if one_issue and _one_issue(problem):
        return kalai_smorodinsky_point_1d(problem)  # exact; on one issue the max-lam text is unique
    utopia = utopia_point(problem)
    if utopia is None:
        return None
    scale = np.maximum(utopia - problem.walkaway, 1e-12)
    return leximin_point(problem, problem.walkaway, scale)


def pareto_gap_of(problem: BargainingProblem, x: np.ndarray) -> float:
    """Largest utility gain available to *every* party over text ``x``.

    0 means ``x`` is *weakly* Pareto-efficient within the red lines: no text
    makes every party better off at once. Some party may still gain with
    nobody losing (see :func:`pareto_gain_of`).
    """
    found = SmoothProgram(problem).maximin(problem.utilities(x), np.ones(problem.n_parties))
    return 0.0 if found is None else max(found[1], 0.0)


def pareto_improvement(problem: BargainingProblem, x: np.ndarray) -> tuple[np.ndarray, float]:
    """The text that most raises the total utility over ``x`` with nobody losing, and that gain.

    ``y = argmax sum_a U_a(y)`` over feasible texts with ``U_a(y) >= U_a(x)``
    for all a (``x`` itself when no party can gain). Where a party is
    indifferent along some direction this picks the point the others prefer,
    so a text that is only weakly efficient becomes strongly efficient.

    Args:
        problem: The bargaining problem.
        x: A normalised text, ``(I,)``.

    Returns:
        ``(y, gain)`` with ``gain >= 0``.
    """
    x = np.clip(np.asarray(x, dtype=float), *problem.box)
    if not problem.feasible:
        return x, 0.0
    program = SmoothProgram(problem)
    floor = problem.utilities(x) - 1e-12
    cons = [
        {"type": "ineq", "fun": lambda z: program.u(z) - floor, "jac": program.du},
        program.abs_constraints(),
    ]
    ones = np.ones(problem.n_parties)
    found = program.solve(
        lambda z: -float(program.u(z).sum()),
        lambda z: -(ones @ program.du(z)),
        cons,
        [program.lift(x)] + [program.lift(s) for s in program.starts()],
    )
    if found is None:
        return x, 0.0
    gain = max(0.0, -found[1] - float(problem.utilities(x).sum()))
    return (np.clip(program.split(found[0])[0], *problem.box) if gain > 1e-12 else x), gain


def pareto_gain_of(problem: BargainingProblem, x: np.ndarray) -> float:
    """Largest total utility gain over text ``x`` with nobody losing.

    ``max sum_a (U_a(y) - U_a(x))`` over feasible texts y with
    ``U_a(y) >= U_a(x)`` for all a. 0 means ``x`` is *strongly*
    Pareto-efficient within the red lines: no party can gain without another
    losing. For curvature <= 1 the program is convex (a concave objective on
    a convex set) and SLSQP finds the global optimum; otherwise it restarts
    from the box centre and each ideal.

    Args:
        problem: The bargaining problem.
        x: A normalised text, ``(I,)``.

    Returns:
        The gain (>= 0).
    """
    return pareto_improvement(problem, x)[1]


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
    if problem.n_issues == 1 and problem.weight[a, 0] > 0:
        return best_for_1d(problem, b, a, floor)  # exact on one issue
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
    cumulative weight equals exactly half there, the midpoint to the next value
    (:func:`sim.benchmarks.one_issue.weighted_median_1d`).
    """
    return weighted_median_1d(values, weights)
