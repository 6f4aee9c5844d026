"""Solution concepts over packages of options: problems with discrete issues.

A discrete issue takes only its labelled options, so the texts are packages:
one option per discrete issue (and any value on the continuous ones). The
solution concepts are then taken over the packages:

* **all issues discrete**: every package is enumerated (up to
  :data:`PACKAGE_LIMIT`) and the concept is evaluated exactly on the finite
  set: the Nash solution maximises ``prod_a (U_a(x) - w_a)`` over packages
  with ``U_a(x) > w_a``; Kalai–Smorodinsky maximises the smallest
  normalised gain ``(U_a(x) - w_a) / (u*_a - w_a)`` (utopia ``u*`` over the
  same packages), ties broken lexicographically on the next smallest gains;
* **discrete and continuous issues**: for each package of the discrete
  issues (up to :data:`MIXED_PACKAGE_LIMIT`) the continuous issues are solved
  with the discrete ones fixed, and the best package is kept;
* past the limits the continuous relaxation is solved and rounded to the
  nearest package (``Solutions.exact`` says which).
"""

from __future__ import annotations

import itertools

import numpy as np

from sim.benchmarks.concepts import nash_point, utopia_point
from sim.benchmarks.problem import BargainingProblem
from sim.benchmarks.solver import SmoothProgram
from sim.core.utility import snap_to_levels

__all__ = [
    "MIXED_PACKAGE_LIMIT",
    "PACKAGE_LIMIT",
    "discrete_kalai_smorodinsky",
    "discrete_nash",
    "discrete_pareto_gain",
    "discrete_pareto_gap",
    "packages",
]

PACKAGE_LIMIT = 200_000
"""The most packages enumerated when every issue is discrete."""

MIXED_PACKAGE_LIMIT = 64
"""The most packages of the discrete issues solved one by one when some issues are continuous."""


def packages(problem: BargainingProblem, levels: tuple[np.ndarray, ...], limit: int) -> np.ndarray | None:
    """Every package of options of the discrete issues inside the red-line box, ``(M, D)``; None past ``limit``.

    Args:
        problem: The bargaining problem.
        levels: Normalised options per issue (empty for continuous issues).
        limit: The most packages.
    """
    low, high = problem.box
    axes = [
        options[(options >= low[i] - 1e-9) & (options <= high[i] + 1e-9)]
        for i, options in enumerate(levels)
        if len(options)
    ]
    if np.prod([len(a) for a in axes], dtype=float) > limit:
        return None
    return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(axes))


def _fixed(
    problem: BargainingProblem, discrete: list[int], package: np.ndarray
) -> tuple[BargainingProblem, np.ndarray]:
    """The problem over the continuous issues with the discrete ones fixed at a package.

    Utilities are additive over issues, so the fixed issues add a constant
    ``c_a = sum_{i in D} w_ai v_ai(package)`` to each party's utility: the
    reduced problem keeps the continuous issues and lowers each walk-away by
    ``c_a``. Returns the reduced problem and the constants ``c`` (``(P,)``).
    """
    n = problem.n_issues
    continuous = [i for i in range(n) if i not in discrete]
    text = np.zeros(n)
    text[discrete] = package
    values = (1.0 - np.abs(text[discrete] - problem.ideal[:, discrete])) ** problem.curvature[:, discrete]
    constant = (problem.weight[:, discrete] * values).sum(axis=1)
    sub = BargainingProblem(
        problem.ideal[:, continuous],
        problem.weight[:, continuous],
        problem.curvature[:, continuous],
        problem.red_low[:, continuous],
        problem.red_high[:, continuous],
        problem.walkaway - constant,
    )
    return sub, constant


def _merge(n: int, discrete: list[int], package: np.ndarray, rest: np.ndarray) -> np.ndarray:
    text = np.zeros(n)
    text[discrete] = package
    text[[i for i in range(n) if i not in discrete]] = rest
    return text


def _lexmax(gains: np.ndarray) -> int:
    """The row whose sorted gains are lexicographically largest (smallest first)."""
    ordered = np.sort(gains, axis=1)
    return int(np.lexsort(ordered.T[::-1])[-1])


def _texts(problem: BargainingProblem, levels: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """Every package as a full text when every issue is discrete, else None."""
    if not all(len(options) for options in levels):
        return None
    return packages(problem, levels, PACKAGE_LIMIT)


def discrete_nash(problem: BargainingProblem, levels: tuple[np.ndarray, ...]) -> tuple[np.ndarray | None, bool]:
    """The Nash solution over packages: ``(text or None, exact)``."""
    texts = _texts(problem, levels)
    if texts is not None:
        gains = problem.utilities(texts) - problem.walkaway
        ok = np.all(gains > 1e-12, axis=1)
        if not ok.any():
            return None, True
        product = np.where(ok, np.prod(np.maximum(gains, 1e-300), axis=1), -np.inf)
        return texts[int(np.argmax(product))], True
    discrete = [i for i, options in enumerate(levels) if len(options)]
    choices = packages(problem, levels, MIXED_PACKAGE_LIMIT)
    if choices is None:
        point = nash_point(problem)
        return (None if point is None else snap_to_levels(point, levels)), False
    best, best_value = None, -np.inf
    for package in choices:
        sub, _ = _fixed(problem, discrete, package)
        rest = nash_point(sub)
        if rest is None:
            continue
        point = _merge(problem.n_issues, discrete, package, rest)
        value = float(np.sum(np.log(np.maximum(problem.utilities(point) - problem.walkaway, 1e-300))))
        if value > best_value:
            best, best_value = point, value
    return best, True


def discrete_kalai_smorodinsky(
    problem: BargainingProblem, levels: tuple[np.ndarray, ...]
) -> tuple[np.ndarray | None, bool]:
    """Kalai–Smorodinsky over packages (lexicographic on normalised gains): ``(text or None, exact)``."""
    w = problem.walkaway
    texts = _texts(problem, levels)
    if texts is not None:
        u = problem.utilities(texts)
        ok = np.all(u >= w - 1e-12, axis=1)
        if not ok.any():
            return None, True
        utopia = u[ok].max(axis=0)
        gains = (u[ok] - w) / np.maximum(utopia - w, 1e-12)
        return texts[ok][_lexmax(gains)], True
    discrete = [i for i, options in enumerate(levels) if len(options)]
    choices = packages(problem, levels, MIXED_PACKAGE_LIMIT)
    if choices is None:
        return None, False
    subs = [_fixed(problem, discrete, package) for package in choices]
    tops = [None if (top := utopia_point(sub)) is None else top + constant for sub, constant in subs]
    if all(top is None for top in tops):
        return None, True
    utopia = np.max([top for top in tops if top is not None], axis=0)
    best, best_value = None, -np.inf
    for package, (sub, constant), top in zip(choices, subs, tops, strict=True):
        if top is None:
            continue
        found = SmoothProgram(sub).maximin(w - constant, np.maximum(utopia - w, 1e-12))
        if found is not None and found[1] > best_value:
            best, best_value = _merge(problem.n_issues, discrete, package, found[0]), found[1]
    return best, True


def discrete_pareto_gap(problem: BargainingProblem, levels: tuple[np.ndarray, ...], x: np.ndarray) -> float | None:
    """The largest gain every party could still get over ``x`` among packages (all issues discrete), else None."""
    texts = _texts(problem, levels)
    if texts is None:
        return None
    if not len(texts):  # no package inside every red line: nothing to gain within them
        return 0.0
    gains = problem.utilities(texts) - problem.utilities(x)
    return float(max(gains.min(axis=1).max(), 0.0))


def discrete_pareto_gain(problem: BargainingProblem, levels: tuple[np.ndarray, ...], x: np.ndarray) -> float | None:
    """The largest total gain over ``x`` with nobody losing, among packages (all issues discrete), else None."""
    texts = _texts(problem, levels)
    if texts is None:
        return None
    gains = problem.utilities(texts) - problem.utilities(x)
    nobody_loses = np.all(gains >= -1e-12, axis=1)
    if not nobody_loses.any():  # x itself is not a package inside every red line: nothing to compare
        return 0.0
    return float(max(gains[nobody_loses].sum(axis=1).max(), 0.0))
