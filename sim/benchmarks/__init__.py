"""Benchmark solutions every run is measured against: the bargaining problem and its solution concepts."""

from sim.benchmarks.solutions import (
    BargainingProblem,
    Solutions,
    compromise,
    kalai_smorodinsky,
    nash_solution,
    pareto_frontier,
    pareto_gap,
    solve,
    weighted_median,
    weighted_median_point,
)

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
