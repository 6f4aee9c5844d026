"""Fast exact solution concepts for one issue (one dimension).

The general solvers (:mod:`sim.benchmarks.concepts`) optimise over any number
of issues with SLSQP, up to seconds for 30 parties. On one issue every concept
below has an exact answer found by bisection on a monotone function, in about
a millisecond for 30 parties, so a backtest can solve hundreds of issues.
:func:`nash_point_1d` and :func:`kalai_smorodinsky_point_1d` take a
:class:`~sim.benchmarks.problem.BargainingProblem` with one issue;
:func:`sim.benchmarks.concepts.nash_point` and
:func:`~sim.benchmarks.concepts.kalai_smorodinsky_point` use them for every
one-issue problem (they agree with SLSQP to 1e-6; ``tests/test_one_issue.py``).

Model (the utility model of ``docs/MODEL.md`` on one normalised issue, z in
[0, 1]): party a with ideal ``p_a``, weight ``w_a > 0``, curvature
``k_a > 0`` and walk-away value ``d_a`` has

    U_a(z) = w_a (1 - |z - p_a|) ** k_a

On one issue the scenario's normalised salience is 1, so ``w_a = 1`` unless
given. The feasible texts are the box ``[low, high]`` (the red lines).

* **Nash** (Nash 1950; with bargaining powers ``beta_a``, the asymmetric
  solution of Kalai 1977, "Nonsymmetric Nash solutions and replications of
  2-person bargaining", *Int. J. Game Theory* 6:129-133):

      maximise  F(z) = sum_a beta_a log(U_a(z) - d_a)   over z with U_a(z) > d_a for all a

  ``U_a > d_a`` holds on the open interval ``|z - p_a| < r_a`` with
  ``r_a = 1 - (d_a / w_a) ** (1 / k_a)`` (``r_a = 1`` when ``d_a <= 0``), so
  the domain is an interval. ``log(U_a - d_a)`` is a concave, decreasing
  function of the distance ``t = |z - p_a|`` for every ``k_a > 0`` (its second
  derivative in t is ``-w k (1-t)^(k-2) [w (1-t)^k + (k-1) d] / f^2 < 0`` for
  ``d >= 0``), and t is convex in z: F is concave. Its right derivative is
  therefore decreasing, and bisection on its sign finds the maximiser to
  machine precision, kinks at the ideals included.
* **Kalai–Smorodinsky** (Kalai & Smorodinsky 1975, *Econometrica* 43:513-518):
  with the bargaining set ``S = {z in box: U_a(z) >= d_a for all a}`` and the
  utopia ``u*_a = max_S U_a = U_a(clip(p_a, S))``, the largest lam with a z
  where ``U_a(z) - d_a >= lam (u*_a - d_a)`` for all a. Each constraint is the
  interval ``|z - p_a| <= 1 - ((d_a + lam (u*_a - d_a)) / w_a) ** (1 / k_a)``;
  the intersection shrinks as lam grows, so bisection on lam finds the point.
  On one issue the largest lam is attained at a single text (the interval
  shrinks to a point), so this is also the lexicographic maximin of Imai
  (1983) that the general solver computes for three or more parties.
* **Compromise** (Achen 2006, in Thomson et al. (eds), *The European Union
  Decides*, CUP): ``sum_a c_a s_a p_a / sum_a c_a s_a``.
* **Weighted median** (Black 1948): the smallest ideal whose cumulative weight
  reaches half the total; on an exact half, the midpoint to the next ideal
  that carries weight (the weighted median of :func:`sim.solve`).

All functions take ideals on the normalised scale [0, 1] (divide by the
issue's span first) and return a normalised position, or None where the
concept is undefined (no text gives every party more than its walk-away).
"""

from __future__ import annotations

import numpy as np

from sim.benchmarks.problem import BargainingProblem

__all__ = [
    "best_for_1d",
    "compromise_1d",
    "kalai_smorodinsky_1d",
    "kalai_smorodinsky_point_1d",
    "nash_1d",
    "nash_point_1d",
    "utilities_1d",
    "weighted_median_1d",
]

_BISECTIONS = 200
"""Enough halvings to reach adjacent floating-point numbers on [0, 1]."""


def _party_arrays(
    ideal: np.ndarray | list[float],
    walkaway: np.ndarray | list[float] | float | None,
    weight: np.ndarray | list[float] | float | None,
    curvature: np.ndarray | list[float] | float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(ideal, dtype=float).ravel()
    n = p.size

    def full(value, default: float) -> np.ndarray:
        if value is None:
            return np.full(n, default)
        return np.broadcast_to(np.asarray(value, dtype=float), (n,)).astype(float)

    w, k, d = full(weight, 1.0), full(curvature, 1.0), full(walkaway, 0.0)
    if n == 0:
        raise ValueError("need at least one party")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(d))):
        raise ValueError("ideals and walk-away values must be finite")
    if np.any(w <= 0) or np.any(k <= 0):
        raise ValueError("weights and curvatures must be > 0")
    return p, w, k, d


def utilities_1d(
    z: float | np.ndarray,
    ideal: np.ndarray | list[float],
    weight: np.ndarray | list[float] | float | None = None,
    curvature: np.ndarray | list[float] | float | None = None,
) -> np.ndarray:
    """Every party's utility ``w_a (1 - |z - p_a|) ** k_a`` of position(s) z.

    Args:
        z: Normalised position(s), scalar or ``(M,)``.
        ideal: Normalised ideals, ``(P,)``.
        weight: Weights ``w_a > 0`` (default 1).
        curvature: Exponents ``k_a > 0`` (default 1, linear).

    Returns:
        ``(P,)`` for a scalar z, ``(M, P)`` for an array.
    """
    p, w, k, _ = _party_arrays(ideal, None, weight, curvature)
    dist = np.abs(np.asarray(z, dtype=float)[..., None] - p)
    return w * np.clip(1.0 - dist, 0.0, 1.0) ** k


def _acceptable_radius(w: np.ndarray, k: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Distance from the ideal within which ``w (1 - t) ** k >= level`` (``inf`` for level <= 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        radius = 1.0 - (np.maximum(level, 0.0) / w) ** (1.0 / k)
    return np.where(level <= 0, np.inf, radius)


def nash_1d(
    ideal: np.ndarray | list[float],
    walkaway: np.ndarray | list[float] | float | None = None,
    power: np.ndarray | list[float] | float | None = None,
    weight: np.ndarray | list[float] | float | None = None,
    curvature: np.ndarray | list[float] | float | None = None,
    low: float = 0.0,
    high: float = 1.0,
) -> float | None:
    """The (asymmetric) Nash bargaining solution on one issue, exactly.

    ``argmax_z sum_a beta_a log(U_a(z) - d_a)`` over the box ``[low, high]``
    (see the module docstring for why the objective is concave).

    Args:
        ideal: Normalised ideals ``p_a``, ``(P,)``.
        walkaway: Disagreement utilities ``d_a >= 0`` (default 0).
        power: Bargaining powers ``beta_a >= 0`` (default 1: the symmetric
            solution of Nash 1950). Parties with power 0 are left out,
            constraint included.
        weight: Utility weights ``w_a > 0`` (default 1).
        curvature: Exponents ``k_a > 0`` (default 1).
        low: Lower end of the feasible box.
        high: Upper end of the feasible box.

    Returns:
        The normalised solution, or None if no z in the box gives every
        party more than its walk-away value.
    """
    p, w, k, d = _party_arrays(ideal, walkaway, weight, curvature)
    beta = np.ones_like(p) if power is None else np.broadcast_to(np.asarray(power, dtype=float), p.shape)
    if np.any(beta < 0) or not np.any(beta > 0):
        raise ValueError("powers must be >= 0 and not all 0")
    if np.any(d < 0):
        raise ValueError("walk-away values must be >= 0 (the objective is concave only then)")
    keep = beta > 0
    p, w, k, d, beta = p[keep], w[keep], k[keep], d[keep], beta[keep]
    if np.any(d >= w):
        return None
    radius = _acceptable_radius(w, k, d)
    lo = max(low, float(np.max(p - radius)))
    hi = min(high, float(np.min(p + radius)))
    if lo > hi or (lo == hi and (lo > low or hi < high)):
        return None  # empty, or a single point where somebody gets exactly its walk-away
    if lo == hi:
        return lo

    def right_derivative(z: float) -> float:
        dist = np.abs(z - p)
        sign = np.where(z >= p, -1.0, 1.0)  # moving right: away from ideals at or left of z
        slope = sign * w * k * (1.0 - dist) ** (k - 1.0)
        return float(np.sum(beta * slope / (w * (1.0 - dist) ** k - d)))

    # F is concave on (lo, hi): bisect on the sign of its right derivative. Only midpoints are
    # evaluated, never the ends (where U_a = d_a and the derivative is infinite).
    a, b = lo, hi
    for _ in range(_BISECTIONS):
        mid = 0.5 * (a + b)
        if mid in (a, b):
            break
        if right_derivative(mid) > 0:
            a = mid
        else:
            b = mid
    return 0.5 * (a + b)


def kalai_smorodinsky_1d(
    ideal: np.ndarray | list[float],
    walkaway: np.ndarray | list[float] | float | None = None,
    weight: np.ndarray | list[float] | float | None = None,
    curvature: np.ndarray | list[float] | float | None = None,
    low: float = 0.0,
    high: float = 1.0,
) -> float | None:
    """The Kalai–Smorodinsky solution on one issue, exactly.

    Args:
        ideal: Normalised ideals ``p_a``, ``(P,)``.
        walkaway: Disagreement utilities ``d_a`` (default 0).
        weight: Utility weights ``w_a > 0`` (default 1).
        curvature: Exponents ``k_a > 0`` (default 1).
        low: Lower end of the feasible box.
        high: Upper end of the feasible box.

    Returns:
        The normalised solution, or None if the bargaining set (texts giving
        every party at least its walk-away) is empty.
    """
    p, w, k, d = _party_arrays(ideal, walkaway, weight, curvature)
    radius0 = _acceptable_radius(w, k, d)
    s_lo = max(low, float(np.max(p - radius0)))
    s_hi = min(high, float(np.min(p + radius0)))
    if s_lo > s_hi:
        return None
    utopia = w * (1.0 - np.abs(np.clip(p, s_lo, s_hi) - p)) ** k
    scale = np.maximum(utopia - d, 1e-12)

    def interval(lam: float) -> tuple[float, float]:
        r = _acceptable_radius(w, k, d + lam * scale)
        return max(s_lo, float(np.max(p - r))), min(s_hi, float(np.min(p + r)))

    lo_lam, hi_lam = 0.0, 1.0
    if interval(1.0)[0] <= interval(1.0)[1]:
        lo_lam = 1.0
    else:
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo_lam + hi_lam)
            if mid in (lo_lam, hi_lam):
                break
            a, b = interval(mid)
            if a <= b:
                lo_lam = mid
            else:
                hi_lam = mid
    a, b = interval(lo_lam)
    return 0.5 * (a + b)


def compromise_1d(
    ideal: np.ndarray | list[float],
    capability: np.ndarray | list[float],
    salience: np.ndarray | list[float],
) -> float:
    """The compromise model ``sum c s p / sum c s`` (Achen 2006).

    Parties with a NaN ideal are left out; a NaN salience counts as 0.

    Args:
        ideal: Positions (any scale), ``(P,)``.
        capability: Capabilities ``c_a >= 0``, ``(P,)``.
        salience: Saliences ``s_a >= 0`` (raw), ``(P,)``.

    Returns:
        The forecast; the plain mean of the ideals if every weight is 0; NaN
        if no party has an ideal.
    """
    x = np.asarray(ideal, dtype=float)
    force = np.asarray(capability, dtype=float) * np.nan_to_num(np.asarray(salience, dtype=float))
    has = ~np.isnan(x)
    if not has.any():
        return float("nan")
    x, force = x[has], force[has]
    total = force.sum()
    return float(force @ x / total) if total > 0 else float(x.mean())


def weighted_median_1d(values: np.ndarray | list[float], weights: np.ndarray | list[float]) -> float:
    """Weighted median (Black 1948): half the weight on each side.

    The smallest value whose cumulative weight reaches half the total; where
    the cumulative weight there is exactly half, the midpoint to the next
    value that carries weight (so that reversing the scale mirrors the
    median). Values that are NaN are left out; weights must be >= 0.

    Args:
        values: Ideals, ``(P,)``.
        weights: Weights (e.g. capability x salience), ``(P,)``.

    Returns:
        The weighted median; the plain median if every weight is 0; NaN if
        there are no values.
    """
    v = np.asarray(values, dtype=float)
    w = np.nan_to_num(np.asarray(weights, dtype=float))
    has = ~np.isnan(v)
    v, w = v[has], w[has]
    if v.size == 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    total = w.sum()
    if total <= 0:
        return float(np.median(v))
    cum = np.cumsum(w)
    k = int(np.searchsorted(cum, total / 2 - 1e-12 * total))
    later = np.flatnonzero(w[k + 1 :] > 0)  # the next value that carries weight
    if abs(cum[k] - total / 2) <= 1e-12 * total and later.size:
        return float((v[k] + v[k + 1 + later[0]]) / 2)
    return float(v[k])


def _problem_arrays(problem: BargainingProblem) -> dict:
    if problem.n_issues != 1:
        raise ValueError(f"a one-issue problem is needed; got {problem.n_issues} issues")
    low, high = problem.box
    return {
        "ideal": problem.ideal[:, 0],
        "walkaway": problem.walkaway,
        "weight": problem.weight[:, 0],
        "curvature": problem.curvature[:, 0],
        "low": float(low[0]),
        "high": float(high[0]),
    }


def nash_point_1d(problem: BargainingProblem) -> np.ndarray | None:
    """The Nash solution of a one-issue bargaining problem, ``(1,)`` normalised, or None.

    None when the red lines exclude each other or no text gives every party
    more than its walk-away value (as :func:`sim.benchmarks.concepts.nash_point`),
    or when a walk-away is negative (the log-Nash product need not be concave
    then; :func:`~sim.benchmarks.concepts.nash_point` solves those by SLSQP).
    """
    if not problem.feasible:
        return None
    arrays = _problem_arrays(problem)
    if np.any(arrays["walkaway"] < 0):
        return None
    z = nash_1d(**arrays)
    return None if z is None else np.array([z])


def kalai_smorodinsky_point_1d(problem: BargainingProblem) -> np.ndarray | None:
    """The Kalai–Smorodinsky solution of a one-issue bargaining problem, ``(1,)`` normalised, or None."""
    if not problem.feasible:
        return None
    z = kalai_smorodinsky_1d(**_problem_arrays(problem))
    return None if z is None else np.array([z])


def best_for_1d(problem: BargainingProblem, b: int, a: int, floor: float) -> np.ndarray | None:
    """The text of a one-issue problem maximising ``U_b`` subject to ``U_a >= floor``, exactly.

    ``U_a >= floor`` holds on an interval around a's ideal (radius
    ``1 - (floor / w_a) ** (1 / k_a)``); inside the box, b's best text is the
    point of that interval nearest b's ideal (its utility is single-peaked).

    Returns:
        ``(1,)`` normalised, or None if no text in the box gives ``U_a >= floor``.
    """
    if not problem.feasible:
        return None
    low, high = (float(v[0]) for v in problem.box)
    p_a, p_b = float(problem.ideal[a, 0]), float(problem.ideal[b, 0])
    w_a, k_a = float(problem.weight[a, 0]), float(problem.curvature[a, 0])
    best_a = min(max(p_a, low), high)
    if w_a * (1.0 - abs(best_a - p_a)) ** k_a < floor - 1e-12:
        return None
    radius = float(_acceptable_radius(np.array([w_a]), np.array([k_a]), np.array([floor]))[0])
    lo, hi = max(low, p_a - radius), min(high, p_a + radius)
    if lo > hi:  # the floor is met (within 1e-12) only at a's best text
        return np.array([best_a])
    return np.array([min(max(p_b, lo), hi)])
