"""Ranges: ``{low, high[, value]}`` anywhere a number goes.

A range stands for a judgement: a single run uses its point ``value`` (the
midpoint when absent); Monte Carlo designs and forecasts draw from it.
"""

from __future__ import annotations

from typing import Any

from sim.core.errors import Problem
from sim.core.scenario.messages import dotted

__all__ = ["RANGE_KEYS", "is_range", "resolve_ranges"]

RANGE_KEYS = {"low", "high", "value"}


def is_range(node: Any) -> bool:
    return isinstance(node, dict) and {"low", "high"} <= set(node) and set(node) <= RANGE_KEYS


def resolve_ranges(node: Any, source: str, loc: tuple, ranges: dict[str, tuple[float, float]], problems: list) -> Any:
    """Replace every range by its point value; record the ranges by path."""
    if is_range(node):
        low, high = node["low"], node["high"]
        nums = [v for v in node.values()]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums):
            problems.append(Problem(source, dotted(loc), "a range's low, high, value must be numbers"))
            return node.get("value", low)
        if low > high:
            problems.append(Problem(source, dotted(loc), f"range must have low <= high; got {low} > {high}"))
        value = node.get("value", (low + high) / 2)
        if not low <= value <= high:
            problems.append(Problem(source, dotted(loc), f"range value must lie in [{low}, {high}]; got {value}"))
        if isinstance(low, int) and isinstance(high, int) and "value" not in node:
            value = (low + high) / 2
            value = int(value) if value == int(value) else value
        ranges[dotted(loc)] = (float(low), float(high))
        return value
    if isinstance(node, dict):
        return {k: resolve_ranges(v, source, (*loc, k), ranges, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_ranges(v, source, (*loc, i), ranges, problems) for i, v in enumerate(node)]
    return node
