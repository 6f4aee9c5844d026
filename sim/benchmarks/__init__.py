"""Benchmark solutions every run is measured against.

``problem`` (the bargaining problem), ``solver`` (the smooth reformulation for
SLSQP), ``concepts`` (Nash, Kalai–Smorodinsky, Pareto gap and frontier,
weighted median on a problem) and ``solutions`` (all of them for a scenario,
in issue units).
"""

from sim.benchmarks.concepts import (
    best_for,
    frontier,
    kalai_smorodinsky_point,
    leximin_point,
    nash_point,
    pareto_gain_of,
    pareto_gap_of,
    pareto_improvement,
    utopia_point,
    weighted_median_point,
)
from sim.benchmarks.problem import BargainingProblem
from sim.benchmarks.solutions import (
    Solutions,
    compromise,
    kalai_smorodinsky,
    nash_solution,
    pareto_frontier,
    pareto_gain,
    pareto_gap,
    solve,
    weighted_median,
)

__all__ = [
    "BargainingProblem",
    "Solutions",
    "best_for",
    "compromise",
    "frontier",
    "kalai_smorodinsky",
    "kalai_smorodinsky_point",
    "leximin_point",
    "nash_point",
    "nash_solution",
    "pareto_frontier",
    "pareto_gain",
    "pareto_gain_of",
    "pareto_improvement",
    "pareto_gap",
    "pareto_gap_of",
    "solve",
    "utopia_point",
    "weighted_median",
    "weighted_median_point",
]
