"""Fast slots for the numbers the compiler spreads into tables.

:mod:`sim.core.slots` writes walk-aways, ideals, saliences, red-line bounds
and the mediator's numbers straight into the kernel arrays; any other number
of a scenario file used to be applied through a validated variant of the
scenario per distinct value (about a thousand a second). Forecasts draw every
range of a file and explanations swing every judgement, so the common
"other" numbers get slots here too:

* ``parties.<p>.red_lines.<i>.soften`` and ``.cost`` (red lines that soften,
  audience costs);
* ``parties.<p>.ratification.bounds.<i>.{min, max}``, ``.min_utility`` and,
  for a party that has one, ``.logistic.{midpoint, steepness}`` (win-sets);
* ``parties.<p>.walkaway_path.<k>.1`` and ``issues.<i>.no_deal_path.<k>.1``
  (the values of path points: each row's table is interpolated exactly as the
  compiler does, with ``numpy.interp``).

A path point's round (``.<k>.0``), a logistic rule a party does not have,
and anything else still go through validated variants. Every value is
checked against the same :mod:`~sim.core.schema` domain as in a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core import schema
from sim.core.errors import Problem, UserError
from sim.core.params import KernelParams
from sim.core.scenario import Scenario
from sim.core.schema import Domain

__all__ = ["TableSlot", "apply_table_values", "split_table_values", "table_slot"]

WALKAWAY_TABLE = "walkaways.table"
FLOOR_TABLE = "floor_table"


@dataclass(frozen=True)
class TableSlot:
    """Where a number lives that the compiler spreads into a table.

    Attributes:
        path: The dotted path in the scenario file.
        field: The KernelParams field, dotted; :data:`WALKAWAY_TABLE` and
            :data:`FLOOR_TABLE` are rebuilt row by row from their paths.
        index: Index into the field's non-batch axes (party, issue); for path
            tables ``(party or issue, point)``.
        domain: The allowed values (as in a scenario file).
        offset: Subtracted before scaling (issue minimum, for positions).
        scale: Divided by after the offset (issue span, for positions and distances).
    """

    path: str
    field: str
    index: tuple[int, ...]
    domain: Domain = schema.REAL
    offset: float = 0.0
    scale: float = 1.0

    def encode(self, values: Any, source: str = "") -> np.ndarray:
        """Check ``values`` against the allowed range and turn them into kernel units.

        Raises:
            UserError: Naming the path, what is allowed and the first bad value.
        """
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise UserError.at(source, self.path, self.domain.message("a non-number")) from None
        ok = self.domain.mask(array)
        if not ok.all():
            raise UserError.at(source, self.path, self.domain.message(f"{array[~ok].flat[0]:g}"))
        return (array - self.offset) / self.scale


def _party_table_slot(scenario: Scenario, path: str, keys: list[str]) -> TableSlot | None:
    if keys[1] not in scenario.party_ids:
        return None
    a = scenario.party_ids.index(keys[1])
    party = scenario.parties[a]
    issues = scenario.issue_ids
    if len(keys) == 5 and keys[2] == "red_lines" and keys[3] in issues and keys[4] in ("soften", "cost"):
        i = issues.index(keys[3])
        if keys[4] == "soften":
            return TableSlot(path, "red_lines.soften", (a, i), schema.NON_NEGATIVE, 0.0, scenario.issues[i].span)
        return TableSlot(path, "red_lines.cost", (a, i), schema.UNIT)
    if len(keys) >= 4 and keys[2] == "ratification":
        rest = keys[3:]
        if len(rest) == 3 and rest[0] == "bounds" and rest[1] in issues and rest[2] in ("min", "max"):
            i = issues.index(rest[1])
            issue = scenario.issues[i]
            field = "ratification.low" if rest[2] == "min" else "ratification.high"
            return TableSlot(path, field, (a, i), schema.issue_domain(issue.min, issue.max), issue.min, issue.span)
        if rest == ["min_utility"]:
            return TableSlot(path, "ratification.min_utility", (a,), schema.UNIT)
        has_logistic = party.ratification is not None and party.ratification.midpoint is not None
        if has_logistic and rest == ["logistic", "midpoint"]:
            return TableSlot(path, "ratification.midpoint", (a,), schema.UNIT)
        if has_logistic and rest == ["logistic", "steepness"]:
            return TableSlot(path, "ratification.steepness", (a,), schema.POSITIVE)
        return None
    points = party.walkaway_path or ()
    if len(keys) == 5 and keys[2] == "walkaway_path" and keys[4] == "1" and _index(keys[3], len(points)) is not None:
        return TableSlot(path, WALKAWAY_TABLE, (a, int(keys[3])), schema.UNIT)
    return None


def _index(key: str, length: int) -> int | None:
    return int(key) if key.isdigit() and int(key) < length else None


def table_slot(scenario: Scenario, path: str) -> TableSlot | None:
    """The table slot of a scenario path, or None when it has none (see the module doc)."""
    keys = path.split(".")
    if keys[0] == "parties" and len(keys) >= 4:
        return _party_table_slot(scenario, path, keys)
    if keys[0] == "issues" and len(keys) == 5 and keys[2] == "no_deal_path" and keys[4] == "1":
        if keys[1] not in scenario.issue_ids:
            return None
        i = scenario.issue_ids.index(keys[1])
        issue = scenario.issues[i]
        if _index(keys[3], len(issue.no_deal_path)) is None:
            return None
        return TableSlot(path, FLOOR_TABLE, (i, int(keys[3])), schema.issue_domain(issue.min, issue.max))
    return None


def _table_prefix(path: str) -> str | None:
    keys = path.split(".")
    if len(keys) >= 3 and keys[2] in ("walkaway_path", "no_deal_path"):
        return ".".join(keys[:3])
    return None


def split_table_values(
    scenario: Scenario, values: Mapping[str, Any]
) -> tuple[dict[str, TableSlot], dict[str, Any], dict[str, Any]]:
    """Split ``{path: values}`` into the paths with a table slot and the rest.

    A path's points go through validated variants together when any point of
    the same path does (its round, say), so that one path is built one way.

    Returns:
        ``(slots, table values, other values)``.
    """
    slots = {path: slot for path in values if (slot := table_slot(scenario, path)) is not None}
    slow_prefixes = {_table_prefix(p) for p in values if p not in slots} - {None}
    slots = {p: s for p, s in slots.items() if _table_prefix(p) not in slow_prefixes}
    table = {p: values[p] for p in slots}
    rest = {p: v for p, v in values.items() if p not in slots}
    return slots, table, rest


def _path_tables(params: KernelParams, scenario: Scenario, encoded: dict[TableSlot, np.ndarray]) -> dict:
    """Walk-away and no-deal tables rebuilt row by row from the varied path points."""
    arrays: dict[str, np.ndarray] = {}
    by_owner: dict[tuple[str, int], dict[int, np.ndarray]] = {}
    for slot, column in encoded.items():
        by_owner.setdefault((slot.field, slot.index[0]), {})[slot.index[1]] = column
    for (field, owner), columns in by_owner.items():
        if field == WALKAWAY_TABLE:
            party = scenario.parties[owner]
            points = list(party.walkaway_path or ())
            shift = 0
            if points[0][0] > 0:  # as the compiler does: the path starts from the round-0 walk-away
                points.insert(0, (0.0, party.walkaway))
                shift = 1
            table = arrays.setdefault(field, params.walkaways.table.copy())
            where = (slice(None), owner)
        else:
            issue = scenario.issues[owner]
            points, shift = list(issue.no_deal_path), 0
            table = arrays.setdefault(field, params.floor_table.copy())
            where = (slice(None), slice(None), owner)
        rounds = np.array([r for r, _ in points], dtype=float)
        base = np.array([v for _, v in points], dtype=float)
        length = table.shape[-1] if field == WALKAWAY_TABLE else table.shape[1]
        grid = np.arange(length)
        out = np.empty((params.batch, length))
        for b in range(params.batch):
            v = base.copy()
            for k, column in columns.items():
                v[k + shift] = column[b]
            out[b] = np.interp(grid, tuple(rounds), tuple(v))
        if field == FLOOR_TABLE:
            out = (out - issue.min) / issue.span
        table[where] = out
    return arrays


def apply_table_values(
    params: KernelParams,
    scenario: Scenario,
    slots: Mapping[str, TableSlot],
    values: Mapping[str, Any],
    source: str = "",
) -> KernelParams:
    """Parameters with per-row values written at table slots (see :func:`split_table_values`).

    Args:
        params: Base parameters (B rows).
        scenario: The scenario they come from.
        slots: The table slot of each path.
        values: ``{path: array of B values}``.
        source: Name used in error messages.

    Raises:
        UserError: Naming each path whose values are not allowed.
    """
    problems: list[Problem] = []
    encoded: dict[TableSlot, np.ndarray] = {}
    for path, slot in slots.items():
        try:
            encoded[slot] = slot.encode(values[path], source)
        except UserError as exc:
            problems += exc.problems
    if problems:
        raise UserError(problems)
    paths = {s: c for s, c in encoded.items() if s.field in (WALKAWAY_TABLE, FLOOR_TABLE)}
    changed = _path_tables(params, scenario, paths)
    for slot, column in encoded.items():
        if slot in paths:
            continue
        target = changed.setdefault(slot.field, params.array(slot.field).copy())
        target[(slice(None), *slot.index)] = column
    return params.with_arrays(changed) if changed else params
