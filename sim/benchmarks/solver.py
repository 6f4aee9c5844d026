"""The solver plumbing: a smooth reformulation of the bargaining problem for SLSQP.

The utility ``sum_i w_ai (1 - |x_i - p_ai|) ** k_ai`` has a kink at every
ideal. Auxiliary variables ``D_ai >= |x_i - p_ai|`` (two linear constraints
each) replace the distance, so the variables are ``z = (x, D)`` and utilities
``sum_i w_ai (1 - D_ai) ** k_ai`` are smooth; at an optimum the constraints
bind where they matter. For curvature <= 1 every problem is convex and SLSQP
(``scipy.optimize.minimize``) finds the global optimum; for curvature > 1 the
solver restarts from several points and keeps the best. Every optimiser call
runs under one BLAS thread (:func:`sim.core.threads.one_blas_thread`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from sim.benchmarks.problem import BargainingProblem
from sim.core.threads import one_blas_thread

__all__ = ["D_MAX", "TOLERANCE", "SmoothProgram"]

D_MAX = 1.0 - 1e-9
TOLERANCE = 1e-12


class SmoothProgram:
    """A bargaining problem as smooth programs over ``z = (x, D)``.

    Args:
        problem: The bargaining problem.
    """

    def __init__(self, problem: BargainingProblem) -> None:
        self.problem = problem

    def split(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.problem.n_issues
        return z[:n], z[n:].reshape(self.problem.n_parties, n)

    def lift(self, x: np.ndarray) -> np.ndarray:
        d = np.minimum(np.abs(x[None, :] - self.problem.ideal), D_MAX)
        return np.concatenate([x, d.ravel()])

    def u(self, z: np.ndarray) -> np.ndarray:
        _, d = self.split(z)
        return np.sum(self.problem.weight * (1.0 - d) ** self.problem.curvature, axis=-1)

    def du(self, z: np.ndarray) -> np.ndarray:
        """Jacobian of utilities w.r.t. z, ``(P, I + P*I)``."""
        p, n = self.problem.n_parties, self.problem.n_issues
        _, d = self.split(z)
        grad = -self.problem.weight * self.problem.curvature * (1.0 - d) ** (self.problem.curvature - 1.0)
        jac = np.zeros((p, n + p * n))
        for a in range(p):
            jac[a, n + a * n : n + (a + 1) * n] = grad[a]
        return jac

    def abs_constraints(self) -> dict:
        """Linear constraints ``D_ai - (x_i - p_ai) >= 0`` and ``D_ai + (x_i - p_ai) >= 0``."""
        p, n = self.problem.n_parties, self.problem.n_issues
        rows = []
        rhs = []
        for sign in (-1.0, 1.0):
            a_mat = np.zeros((p * n, n + p * n))
            for a in range(p):
                for i in range(n):
                    a_mat[a * n + i, i] = sign
                    a_mat[a * n + i, n + a * n + i] = 1.0
            rows.append(a_mat)
            rhs.append(sign * self.problem.ideal.ravel())
        mat = np.vstack(rows)
        vec = np.concatenate(rhs)
        return {"type": "ineq", "fun": lambda z: mat @ z - vec, "jac": lambda z: mat}

    def bounds(self) -> list[tuple[float, float]]:
        low, high = self.problem.box
        return list(zip(low, high, strict=True)) + [(0.0, D_MAX)] * (self.problem.n_parties * self.problem.n_issues)

    def starts(self) -> list[np.ndarray]:
        """Starting texts: the box centre and each party's ideal clipped to the box."""
        low, high = self.problem.box
        starts = [(low + high) / 2]
        if np.any(self.problem.curvature > 1.0):
            starts += [np.clip(p, low, high) for p in self.problem.ideal]
        return starts

    def solve(self, objective, jac, constraints, starts) -> tuple[np.ndarray, float] | None:
        best = None
        with one_blas_thread():  # the same digits with any number of BLAS threads
            for z0 in starts:
                res = minimize(
                    objective,
                    z0,
                    jac=jac,
                    method="SLSQP",
                    bounds=self.bounds(),
                    constraints=constraints,
                    options={"maxiter": 500, "ftol": TOLERANCE},
                )
                feasible = all(np.all(c["fun"](res.x) >= -1e-7) for c in constraints)
                if feasible and (best is None or res.fun < best[1]):
                    best = (res.x, float(res.fun))
        return best

    def maximin(
        self, base: np.ndarray, scale: np.ndarray, starts: list[np.ndarray] | None = None
    ) -> tuple[np.ndarray, float] | None:
        """``max lam`` s.t. ``U_a(x) >= base_a + lam * scale_a`` for all a.

        A party with ``scale_a = 0`` is held at ``U_a >= base_a``. ``starts``
        are extra starting texts (tried first), e.g. a previous solution.
        """
        if not self.problem.feasible:
            return None
        nz = self.problem.n_issues + self.problem.n_parties * self.problem.n_issues

        def gains(y: np.ndarray) -> np.ndarray:
            return self.u(y[:nz]) - base - y[nz] * scale

        def gains_jac(y: np.ndarray) -> np.ndarray:
            return np.hstack([self.du(y[:nz]), -scale[:, None]])

        abs_c = self.abs_constraints()
        cons = [
            {"type": "ineq", "fun": gains, "jac": gains_jac},
            {
                "type": "ineq",
                "fun": lambda y: abs_c["fun"](y[:nz]),
                "jac": lambda y: np.hstack([abs_c["jac"](y[:nz]), np.zeros((2 * (nz - self.problem.n_issues), 1))]),
            },
        ]
        moving = scale > 0
        lifted = []
        for x in [*(starts or []), *self.starts()]:
            z = self.lift(x)
            lam = np.min((self.u(z)[moving] - base[moving]) / scale[moving]) if moving.any() else 0.0
            lifted.append(np.append(z, lam))
        objective_grad = np.zeros(nz + 1)
        objective_grad[-1] = -1.0
        bounds = self.bounds() + [(None, None)]
        best = None
        with one_blas_thread():  # the same digits with any number of BLAS threads
            for y0 in lifted:
                res = minimize(
                    lambda y: -y[-1],
                    y0,
                    jac=lambda y: objective_grad,
                    method="SLSQP",
                    bounds=bounds,
                    constraints=cons,
                    options={"maxiter": 500, "ftol": TOLERANCE},
                )
                ok = all(np.all(c["fun"](res.x) >= -1e-7) for c in cons)
                if ok and (best is None or res.x[-1] > best[1]):
                    best = (res.x[: self.problem.n_issues], float(res.x[-1]))
        return best

    def maximise_utility(self, party: int, floor: np.ndarray, start: np.ndarray) -> float:
        """``max U_party`` s.t. ``U_a >= floor_a`` for all a, from a feasible start."""
        cons = [
            {"type": "ineq", "fun": lambda z: self.u(z) - floor, "jac": self.du},
            self.abs_constraints(),
        ]
        best = self.solve(
            lambda z: -self.u(z)[party],
            lambda z: -self.du(z)[party],
            cons,
            [self.lift(start)] + [self.lift(x) for x in self.starts()],
        )
        return -best[1] if best else float(self.problem.utilities(start)[party])
