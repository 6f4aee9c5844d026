"""Samplers: turn an experiment's parameters into a design (one row per run).

* ``grid`` — full factorial of every parameter's values (a ``{low, high}``
  range contributes ``points`` evenly spaced values), each combination
  repeated ``runs`` times (replications, with different seeds).
* ``lhs`` — Latin hypercube (McKay, Beckman & Conover 1979) of the ranged
  parameters via ``scipy.stats.qmc.LatinHypercube``, ``runs`` samples.
* ``sobol`` — Saltelli's scheme for Sobol' indices via
  ``SALib.sample.sobol.sample`` (N = ``runs``; N (2D + 2) rows).
* ``morris`` — Morris (1991) elementary-effects trajectories via
  ``SALib.sample.morris.sample`` (``runs`` trajectories; N (D + 1) rows).
* ``montecarlo`` — independent uniform draws from every range (the
  experiment's uncertainties and the ranges written in the scenario),
  ``runs`` draws.

Parameters given as a list of ``values`` (levers, typically) are crossed with
the sample in ``lhs`` and ``montecarlo`` designs: every sample meets every
combination. All samplers are seeded by the experiment's seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DESIGNS",
    "Design",
    "design_rows",
    "make_design",
    "Parameter",
    "salib_problem",
]

DESIGNS = ("grid", "lhs", "sobol", "morris", "montecarlo")


@dataclass(frozen=True)
class Parameter:
    """One varied input, addressed by its path in the scenario.

    Attributes:
        path: e.g. ``"parties.russia.walkaway_drift"``.
        kind: ``"uncertainty"`` or ``"lever"`` (EMA Workbench vocabulary).
        low: Lower bound of a range (None for a list of values).
        high: Upper bound of a range.
        values: Explicit values (None for a range).
        points: Grid points of a range in a ``grid`` design.
    """

    path: str
    kind: str
    low: float | None = None
    high: float | None = None
    values: tuple | None = None
    points: int = 5

    @property
    def ranged(self) -> bool:
        """Whether the parameter is a continuous range."""
        return self.values is None

    def grid_values(self) -> np.ndarray:
        """The values a grid design uses."""
        if self.values is not None:
            return np.asarray(self.values, dtype=object if isinstance(self.values[0], str) else float)
        return np.linspace(self.low, self.high, self.points)


@dataclass(frozen=True)
class Design:
    """A materialised design: ``columns[path]`` has one value per run.

    Attributes:
        columns: Values per parameter path, each of length ``rows``.
        rows: Number of runs.
        sampled: Paths of the parameters in the SALib problem (sobol, morris).
    """

    columns: dict[str, np.ndarray]
    rows: int
    sampled: tuple[str, ...] = ()

    def block(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """The rows ``[start, stop)``."""
        return {path: values[start:stop] for path, values in self.columns.items()}


def _product(axes: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The columns of ``itertools.product(*axes)`` (last axis fastest), built with numpy."""
    sizes = [len(a) for a in axes]
    return [np.tile(np.repeat(a, math.prod(sizes[k + 1 :])), math.prod(sizes[:k])) for k, a in enumerate(axes)]


def _cross(sample: dict[str, np.ndarray], n: int, listed: Sequence[Parameter]) -> tuple[dict, int]:
    """Every sample row meets every combination of the listed parameters."""
    combos = math.prod(len(p.values) for p in listed)
    columns = {path: np.repeat(values, combos) for path, values in sample.items()}
    for p, column in zip(listed, _product([p.grid_values() for p in listed]), strict=True):
        columns[p.path] = np.tile(column, n)
    return columns, n * combos


def salib_problem(parameters: Sequence[Parameter]) -> dict:
    """The SALib problem dict of the ranged parameters."""
    ranged = [p for p in parameters if p.ranged]
    return {
        "num_vars": len(ranged),
        "names": [p.path for p in ranged],
        "bounds": [[p.low, p.high] for p in ranged],
    }


def design_rows(design: str, parameters: Sequence[Parameter], runs: int) -> int:
    """The number of rows :func:`make_design` makes, computed without making them."""
    ranged = [p for p in parameters if p.ranged]
    combos = math.prod(len(p.values) for p in parameters if not p.ranged)
    if design == "grid":
        return math.prod(p.points if p.ranged else len(p.values) for p in parameters) * runs
    if design == "sobol":
        return runs * (2 * len(ranged) + 2)
    if design == "morris":
        return runs * (len(ranged) + 1)
    return runs * combos


def make_design(design: str, parameters: Sequence[Parameter], runs: int, seed: int) -> Design:
    """Build the design of an experiment.

    Args:
        design: One of :data:`DESIGNS`.
        parameters: The varied parameters (uncertainties then levers).
        runs: Replications (grid) or sample size (others).
        seed: The experiment's root seed.

    Returns:
        The design.
    """
    ranged = [p for p in parameters if p.ranged]
    listed = [p for p in parameters if not p.ranged]
    if design == "grid":
        axes = [p.grid_values() for p in parameters]
        columns = {p.path: np.repeat(column, runs) for p, column in zip(parameters, _product(axes), strict=True)}
        return Design(columns, math.prod(len(a) for a in axes) * runs)
    if design in ("sobol", "morris"):
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample

        problem = salib_problem(parameters)
        if design == "sobol":
            matrix = sobol_sample.sample(problem, runs, calc_second_order=True, seed=seed)
        else:
            matrix = morris_sample.sample(problem, runs, num_levels=4, seed=seed)
        sample = {p.path: matrix[:, k] for k, p in enumerate(ranged)}
        return Design(sample, len(matrix), tuple(problem["names"]))
    rng = np.random.default_rng(seed)
    if design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=max(len(ranged), 1), seed=rng).random(runs)
    else:  # montecarlo
        unit = rng.random((runs, max(len(ranged), 1)))
    sample = {p.path: p.low + unit[:, k] * (p.high - p.low) for k, p in enumerate(ranged)}
    columns, rows = _cross(sample, runs, listed)
    return Design(columns, rows)
