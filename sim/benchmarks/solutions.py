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
from scipy.optimize import minimize

from sim.core.compile import compile_params
from sim.core.params import KernelParams
from sim.core.scenario import Scenario
from sim.core.threads import one_blas_thread
from sim.core.utility import utilities, weighted_mean

__all__ = [
    "BargainingProblem",
    "Solutions",
    "compromise",
    "kalai_smorodinsky",
    "nash_solution",
    "pareto_frontier",
    "pareto_gap",
    "solve",
    "weighted_median",
    "weighted_median_point",
]

_D_MAX = 1.0 - 1e-9
_TOL = 1e-12


class BargainingProblem:
    """The bargaining set of one negotiation, on normalised issues.

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
        return self.ideal.shape[0]

    @property
    def n_issues(self) -> int:
        return self.ideal.shape[1]

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """Feasible bounds per issue: inside every party's red lines."""
        if getattr(self, "_box", None) is None:
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

    # -- smooth reformulation: z = (x, D) ---------------------------------
    def _split(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_issues
        return z[:n], z[n:].reshape(self.n_parties, n)

    def _lift(self, x: np.ndarray) -> np.ndarray:
        d = np.minimum(np.abs(x[None, :] - self.ideal), _D_MAX)
        return np.concatenate([x, d.ravel()])

    def _u(self, z: np.ndarray) -> np.ndarray:
        _, d = self._split(z)
        return np.sum(self.weight * (1.0 - d) ** self.curvature, axis=-1)

    def _du(self, z: np.ndarray) -> np.ndarray:
        """Jacobian of utilities w.r.t. z, ``(P, I + P*I)``."""
        p, n = self.n_parties, self.n_issues
        _, d = self._split(z)
        grad = -self.weight * self.curvature * (1.0 - d) ** (self.curvature - 1.0)
        jac = np.zeros((p, n + p * n))
        for a in range(p):
            jac[a, n + a * n : n + (a + 1) * n] = grad[a]
        return jac

    def _abs_constraints(self) -> dict:
        """Linear constraints ``D_ai - (x_i - p_ai) >= 0`` and ``D_ai + (x_i - p_ai) >= 0``."""
        p, n = self.n_parties, self.n_issues
        rows = []
        rhs = []
        for sign in (-1.0, 1.0):
            a_mat = np.zeros((p * n, n + p * n))
            for a in range(p):
                for i in range(n):
                    a_mat[a * n + i, i] = sign
                    a_mat[a * n + i, n + a * n + i] = 1.0
            rows.append(a_mat)
            rhs.append(sign * self.ideal.ravel())
        mat = np.vstack(rows)
        vec = np.concatenate(rhs)
        return {"type": "ineq", "fun": lambda z: mat @ z - vec, "jac": lambda z: mat}

    def _bounds(self) -> list[tuple[float, float]]:
        low, high = self.box
        return list(zip(low, high, strict=True)) + [(0.0, _D_MAX)] * (self.n_parties * self.n_issues)

    def _starts(self) -> list[np.ndarray]:
        """Starting texts: the box centre and each party's ideal clipped to the box."""
        low, high = self.box
        starts = [(low + high) / 2]
        if np.any(self.curvature > 1.0):
            starts += [np.clip(p, low, high) for p in self.ideal]
        return starts

    def _solve(self, objective, jac, constraints, starts) -> tuple[np.ndarray, float] | None:
        best = None
        with one_blas_thread():  # the same digits with any number of BLAS threads
            for z0 in starts:
                res = minimize(
                    objective,
                    z0,
                    jac=jac,
                    method="SLSQP",
                    bounds=self._bounds(),
                    constraints=constraints,
                    options={"maxiter": 500, "ftol": _TOL},
                )
                feasible = all(np.all(c["fun"](res.x) >= -1e-7) for c in constraints)
                if feasible and (best is None or res.fun < best[1]):
                    best = (res.x, float(res.fun))
        return best

    def _maximin(self, base: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, float] | None:
        """``max lam`` s.t. ``U_a(x) >= base_a + lam * scale_a`` for all a."""
        if not self.feasible:
            return None
        nz = self.n_issues + self.n_parties * self.n_issues

        def gains(y: np.ndarray) -> np.ndarray:
            return self._u(y[:nz]) - base - y[nz] * scale

        def gains_jac(y: np.ndarray) -> np.ndarray:
            return np.hstack([self._du(y[:nz]), -scale[:, None]])

        abs_c = self._abs_constraints()
        cons = [
            {"type": "ineq", "fun": gains, "jac": gains_jac},
            {
                "type": "ineq",
                "fun": lambda y: abs_c["fun"](y[:nz]),
                "jac": lambda y: np.hstack([abs_c["jac"](y[:nz]), np.zeros((2 * (nz - self.n_issues), 1))]),
            },
        ]
        starts = []
        for x in self._starts():
            z = self._lift(x)
            lam = np.min((self._u(z) - base) / scale)
            starts.append(np.append(z, lam))
        objective_grad = np.zeros(nz + 1)
        objective_grad[-1] = -1.0
        bounds = self._bounds() + [(None, None)]
        best = None
        with one_blas_thread():  # the same digits with any number of BLAS threads
            for y0 in starts:
                res = minimize(
                    lambda y: -y[-1],
                    y0,
                    jac=lambda y: objective_grad,
                    method="SLSQP",
                    bounds=bounds,
                    constraints=cons,
                    options={"maxiter": 500, "ftol": _TOL},
                )
                ok = all(np.all(c["fun"](res.x) >= -1e-7) for c in cons)
                if ok and (best is None or res.x[-1] > best[1]):
                    best = (res.x[: self.n_issues], float(res.x[-1]))
        return best

    def _maximise_utility(self, party: int, floor: np.ndarray, start: np.ndarray) -> float:
        """``max U_party`` s.t. ``U_a >= floor_a`` for all a, from a feasible start."""
        cons = [
            {"type": "ineq", "fun": lambda z: self._u(z) - floor, "jac": self._du},
            self._abs_constraints(),
        ]
        best = self._solve(
            lambda z: -self._u(z)[party],
            lambda z: -self._du(z)[party],
            cons,
            [self._lift(start)] + [self._lift(x) for x in self._starts()],
        )
        return -best[1] if best else float(self.utilities(start)[party])

    def nash(self) -> np.ndarray | None:
        """The Nash bargaining solution (normalised), or None if no text beats every walk-away."""
        inner = self._maximin(self.walkaway, np.ones(self.n_parties))
        if inner is None or inner[1] <= 1e-9:
            return None
        w = self.walkaway

        def objective(z: np.ndarray) -> float:
            return -float(np.sum(np.log(np.maximum(self._u(z) - w, 1e-300))))

        def jac(z: np.ndarray) -> np.ndarray:
            g = np.maximum(self._u(z) - w, 1e-300)
            return -(self._du(z) / g[:, None]).sum(axis=0)

        cons = [
            {"type": "ineq", "fun": lambda z: self._u(z) - w - 1e-12, "jac": self._du},
            self._abs_constraints(),
        ]
        starts = [self._lift(inner[0])]
        if np.any(self.curvature > 1.0):
            starts += [self._lift(x) for x in self._starts()]
            starts = [z for z in starts if np.all(self._u(z) > w)]
        best = self._solve(objective, jac, cons, starts)
        return None if best is None else self._split(best[0])[0]

    def utopia(self) -> np.ndarray | None:
        """Each party's best utility among texts giving everyone its walk-away."""
        inner = self._maximin(self.walkaway, np.ones(self.n_parties))
        if inner is None or inner[1] < -1e-9:
            return None
        return np.array([self._maximise_utility(a, self.walkaway, inner[0]) for a in range(self.n_parties)])

    def kalai_smorodinsky(self) -> np.ndarray | None:
        """The Kalai–Smorodinsky solution (normalised), or None if no bargaining set."""
        utopia = self.utopia()
        if utopia is None:
            return None
        scale = np.maximum(utopia - self.walkaway, 1e-12)
        found = self._maximin(self.walkaway, scale)
        return None if found is None else found[0]

    def pareto_gap(self, x: np.ndarray) -> float:
        """Largest utility gain available to *every* party over text ``x``.

        0 means ``x`` is (weakly) Pareto-efficient within the red lines.
        """
        found = self._maximin(self.utilities(x), np.ones(self.n_parties))
        return 0.0 if found is None else max(found[1], 0.0)

    def best_for(self, b: int, a: int, floor: float, start: np.ndarray | None = None) -> np.ndarray | None:
        """The text maximising ``U_b`` subject to ``U_a >= floor`` (inside the red lines).

        Args:
            b: Party whose utility is maximised.
            a: Party whose utility is bounded below.
            floor: The bound on ``U_a``.
            start: Starting text (default: a's ideal clipped to the box).

        Returns:
            The normalised text, or None if no text gives ``U_a >= floor``.
        """
        if not self.feasible:
            return None
        low, high = self.box
        pair = self.subset([a, b])
        best_a = np.clip(self.ideal[a], low, high)
        if pair.utilities(best_a)[0] < floor - 1e-12:
            return None
        starts = [pair._lift(best_a if start is None else start)]
        if np.any(pair.curvature > 1.0):  # not convex: restart from the box centre and both ideals
            starts += [pair._lift(x) for x in pair._starts()]
        cons = [
            {"type": "ineq", "fun": lambda z: pair._u(z)[0] - floor, "jac": lambda z: pair._du(z)[0:1]},
            pair._abs_constraints(),
        ]
        found = pair._solve(lambda z: -pair._u(z)[1], lambda z: -pair._du(z)[1], cons, starts)
        if found is None and start is not None:
            found = pair._solve(lambda z: -pair._u(z)[1], lambda z: -pair._du(z)[1], cons, [pair._lift(best_a)])
        return None if found is None else pair._split(found[0])[0]

    def frontier(self, a: int, b: int, points: int = 41) -> tuple[np.ndarray, np.ndarray]:
        """Pareto frontier of parties a and b (ignoring the others' preferences).

        Returns:
            ``(utilities (M, 2), texts (M, I))`` sorted by U_a.
        """
        if not self.feasible:
            return np.zeros((0, 2)), np.zeros((0, self.n_issues))
        pair = self.subset([a, b])
        low, high = self.box
        best_a = np.clip(self.ideal[a], low, high)
        best_b = np.clip(self.ideal[b], low, high)
        u_lo = pair.utilities(best_b)[0]
        u_hi = pair.utilities(best_a)[0]
        texts = []
        start = best_b
        for u in np.linspace(u_lo, u_hi, points):
            found = self.best_for(b, a, u, start)
            if found is not None:
                start = found
                texts.append(found)
        texts_arr = np.array(texts).reshape(-1, self.n_issues)
        utils = pair.utilities(texts_arr)
        keep = _non_dominated(utils)
        order = np.argsort(utils[keep, 0])
        return utils[keep][order], texts_arr[keep][order]


def _non_dominated(points: np.ndarray) -> np.ndarray:
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


def _raw(scenario: Scenario, z: np.ndarray | None) -> dict[str, float] | None:
    if z is None:
        return None
    z = np.round(np.clip(z, 0.0, 1.0), 7)  # the solver's accuracy; no 1e-9 noise in tables
    return {i.id: float(i.min + zi * i.span) for i, zi in zip(scenario.issues, z, strict=True)}


def nash_solution(scenario: Scenario) -> dict[str, float] | None:
    """Nash bargaining solution (Nash 1950), in issue units; None if the set is empty."""
    return _raw(scenario, BargainingProblem.from_scenario(scenario).nash())


def kalai_smorodinsky(scenario: Scenario) -> dict[str, float] | None:
    """Kalai–Smorodinsky solution (Kalai & Smorodinsky 1975), in issue units."""
    return _raw(scenario, BargainingProblem.from_scenario(scenario).kalai_smorodinsky())


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
    utils, texts = BargainingProblem.from_scenario(scenario).frontier(ids.index(a), ids.index(b), points)
    return utils, [_raw(scenario, t) for t in texts]


def pareto_gap(scenario: Scenario, deal: dict[str, float]) -> float:
    """Largest utility gain every party could get over ``deal`` (0 = Pareto-efficient)."""
    z = np.array([(deal[i.id] - i.min) / i.span for i in scenario.issues])
    return BargainingProblem.from_scenario(scenario).pareto_gap(z)


@dataclass(frozen=True)
class Solutions:
    """Benchmark solutions of a scenario, in issue units (None where undefined)."""

    nash: dict[str, float] | None
    kalai_smorodinsky: dict[str, float] | None
    compromise: dict[str, float]
    weighted_median: dict[str, float]

    def as_dict(self) -> dict[str, dict[str, float] | None]:
        """``{"nash": {...}, "kalai_smorodinsky": ..., "compromise": ..., "weighted_median": ...}``."""
        return {
            "nash": self.nash,
            "kalai_smorodinsky": self.kalai_smorodinsky,
            "compromise": self.compromise,
            "weighted_median": self.weighted_median,
        }


def solve(scenario: Scenario) -> Solutions:
    """All benchmark solutions of a scenario.

    Args:
        scenario: The scenario.

    Returns:
        The solutions, each ``{issue: value}`` in the issue's units.
    """
    problem = BargainingProblem.from_scenario(scenario)
    return Solutions(
        nash=_raw(scenario, problem.nash()),
        kalai_smorodinsky=_raw(scenario, problem.kalai_smorodinsky()),
        compromise=compromise(scenario),
        weighted_median=weighted_median(scenario),
    )
