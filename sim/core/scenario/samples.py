"""The scenario rules over every sample of a design at once.

A sweep sets numbers of a scenario per run (``parties.russia.ideal.nato`` from
0 to 1). Each run's scenario must pass the very rules a file passes: an ideal
inside the party's own red line, a red line's min below its max, some
salience above 0, path values inside their issue, every protocol's own rule.
:func:`check_samples` puts each varied number into the scenario's tables as a
numpy array (one entry per sample) and runs the rules once over the arrays
(see :mod:`sim.core.scenario.rules` for how a rule handles arrays). Samples
that differ in a name (a strategy) are checked group by group, and a rule that
does not handle arrays is run sample by sample: slower, never skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sim.core.errors import Problem
from sim.core.scenario.paths import set_path
from sim.core.scenario.ranges import resolve_ranges
from sim.core.scenario.rules import RULES, Rule, RuleContext

__all__ = ["check_samples", "resolved_tables"]


def resolved_tables(data: Mapping[str, Any]) -> dict:
    """A scenario's tables with every range replaced by its point value."""
    return resolve_ranges(copy.deepcopy(dict(data)), "", (), {}, [])


def _is_numeric(column: np.ndarray) -> bool:
    return column.dtype.kind in "iuf"


def check_samples(
    data: Mapping[str, Any],
    columns: Mapping[str, np.ndarray],
    source: str,
    rules: tuple[Rule, ...] = RULES,
    describe: Callable[[int], str] | None = None,
) -> list[Problem]:
    """The problems the rules find in any sample; each rule's first offending sample only.

    Args:
        data: The scenario's tables (as in the file; ranges are resolved here).
        columns: ``{path: values}``, one value per sample (numbers or names).
        source: The name problems carry (the scenario's file).
        rules: The rules to check.
        describe: Names sample k for messages (default ``"sample k"``).

    Returns:
        One problem per rule and field at most, naming the first sample where it holds.
    """
    describe = describe or (lambda k: f"sample {k}")
    columns = {path: np.asarray(values) for path, values in columns.items()}
    rows = len(next(iter(columns.values()))) if columns else 0
    base = resolved_tables(data)
    if not rows:
        return []
    names = [path for path, column in columns.items() if not _is_numeric(column)]
    if names:
        keys = np.array([hash(tuple(str(columns[p][k]) for p in names)) for k in range(rows)])
        groups = [np.flatnonzero(keys == key) for key in dict.fromkeys(keys.tolist())]
    else:
        groups = [np.arange(rows)]
    found: dict[tuple[str, str], tuple[int, Problem]] = {}
    for rows_of_group in groups:
        first = int(rows_of_group[0])
        tables = copy.deepcopy(base)
        for path, column in columns.items():
            value = _plain(column[first]) if not _is_numeric(column) else column[rows_of_group]
            set_path(tables, path, value, source)
        for rule in rules:
            for sample, problem in _run(rule, tables, columns, rows_of_group, source, describe):
                key = (problem.field, getattr(rule, "__qualname__", repr(rule)))
                if key not in found or sample < found[key][0]:
                    found[key] = (sample, problem)
    return [problem for _, problem in sorted(found.values(), key=lambda item: item[0])]


def _run(
    rule: Rule,
    tables: dict,
    columns: Mapping[str, np.ndarray],
    rows: np.ndarray,
    source: str,
    describe: Callable[[int], str],
) -> list[tuple[int, Problem]]:
    """One rule over a group of samples, as ``(sample, problem)``: on the arrays, else sample by sample."""
    labels: dict[str, int] = {}

    def label(k: int) -> str:
        text = describe(int(rows[k]))
        labels[text] = int(rows[k])
        return text

    try:
        problems = rule(RuleContext(tables, source, describe=label))
    except (ValueError, TypeError):  # the rule tests numbers with `if`: not written for arrays
        return _one_by_one(rule, tables, columns, rows, source, describe)
    out = []
    for problem in problems:
        sample = next((k for text, k in labels.items() if problem.message.endswith(f" ({text})")), None)
        if sample is None:  # the same for every sample of the group (a name the design sets)
            sample = int(rows[0])
            problem = Problem(problem.source, problem.field, f"{problem.message} ({describe(sample)})")
        out.append((sample, problem))
    return out


def _one_by_one(
    rule: Rule,
    tables: dict,
    columns: Mapping[str, np.ndarray],
    rows: np.ndarray,
    source: str,
    describe: Callable[[int], str],
) -> list[tuple[int, Problem]]:
    """A rule run on each distinct sample's own tables, up to the first sample it finds a problem in."""
    seen: set[tuple] = set()
    one = copy.deepcopy(tables)  # one copy: each sample sets every varied path before the rule reads them
    for k in rows:
        combo = tuple(_plain(columns[path][k]) for path in columns)
        if combo in seen:
            continue
        seen.add(combo)
        for path, value in zip(columns, combo, strict=True):
            set_path(one, path, value, source)
        problems = rule(RuleContext(one, source))
        if problems:
            text = describe(int(k))
            return [(int(k), Problem(p.source, p.field, f"{p.message} ({text})")) for p in problems]
    return []


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
