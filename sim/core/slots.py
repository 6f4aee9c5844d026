"""Where a scenario number lives in the kernel arrays, and how to set it per row.

A sweep or a forecast varies numbers by their path in the scenario file
(``parties.russia.walkaway``). :func:`parameter_slot` maps a path to a field
of :class:`~sim.core.params.KernelParams` (written straight into the arrays,
fast) or, for any other number of the file, to a validated variant of the
scenario (correct for any path, about a thousand variants a second).
:func:`apply_values` sets a column of values, one per row. Every value is
checked against the same :mod:`~sim.core.schema` domain as in a file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core import schema
from sim.core.compile import compile_params
from sim.core.errors import Problem, UserError
from sim.core.params import KernelParams
from sim.core.scenario import Scenario, get_path
from sim.core.scenario.messages import domain_at
from sim.core.scenario.paths import KernelTarget, kernel_target
from sim.core.scenario.samples import check_samples
from sim.core.schema import Domain, shown
from sim.core.table_slots import apply_table_values, split_table_values

__all__ = ["SCENARIO_FIELD", "ParameterSlot", "apply_values", "check_values", "parameter_slot"]

SCENARIO_FIELD = "scenario"
"""Slot field of paths applied by re-validating the scenario (no direct kernel slot)."""

FIXED_KEYS = {
    "issues": ("min", "max", "step", "levels", "label", "unit", "discrete"),
    "parties": ("name", "must_agree_on", "voice_on"),
    "scenario": (
        "name",
        "title",
        "mediator",
        "main_parties",
        "protocol",
        "seed",
        "as_of",
        "sources",
        "ratification_failure",
        "start_date",
        "round_days",
    ),
    "battlefield": ("issue",),
}
"""Keys that change a scenario's shape: they cannot vary within one sweep."""


@dataclass(frozen=True)
class ParameterSlot:
    """Where a scenario path lives in :class:`KernelParams`.

    Attributes:
        path: The dotted path in the scenario file.
        field: The KernelParams field, dotted (``"prefs.ideal"``), or
            :data:`SCENARIO_FIELD` for a validated variant.
        index: Index into the field's non-batch axes.
        domain: The allowed values (as in a scenario file).
        offset: Subtracted before scaling (issue minimum, for positions).
        scale: Divided by after the offset (issue span, for positions).
        categories: Allowed names, for categorical parameters (strategy).
    """

    path: str
    field: str
    index: tuple[int, ...]
    domain: Domain = schema.REAL
    offset: float = 0.0
    scale: float = 1.0
    categories: tuple[str, ...] | None = None

    def problem(self, values: Any, source: str = "", describe: Callable[[int], str] | None = None) -> Problem | None:
        """The first value not allowed (naming its sample when ``describe`` is given), or None."""
        if self.categories is not None:
            names = np.asarray(values, dtype=object).ravel()
            bad = [k for k, v in enumerate(names) if not isinstance(v, str) or v not in self.categories]
            if not bad:
                return None
            message = f"must be one of {', '.join(self.categories)}; got {shown(names[bad[0]])}"
            return Problem(source, self.path, f"{message} ({describe(bad[0])})" if describe else message)
        try:
            array = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError, OverflowError):
            return Problem(source, self.path, self.domain.message("a non-number"))
        ok = self.domain.mask(array)
        if ok.all():
            return None
        first = int(np.flatnonzero(~ok)[0])
        message = self.domain.message(f"{array[first]:g}")
        return Problem(source, self.path, f"{message} ({describe(first)})" if describe else message)

    def encode(self, values: Any, source: str = "") -> np.ndarray:
        """Check ``values`` against the allowed range and turn them into kernel units.

        Raises:
            UserError: Naming the path, what is allowed and the first bad value.
        """
        problem = self.problem(values, source)
        if problem is not None:
            raise UserError(problem)
        if self.categories is not None:
            return np.array([self.categories.index(v) for v in np.asarray(values, dtype=object)], dtype=np.int64)
        array = np.asarray(values, dtype=float)
        if self.domain.integer:
            return array.astype(np.int64)
        return (array - self.offset) / self.scale


def parameter_slot(scenario: Scenario, path: str, source: str = "") -> ParameterSlot:
    """The kernel slot of a scenario path, e.g. ``parties.russia.walkaway``.

    Raises:
        UserError: If the path names nothing the batched engine can vary.
    """
    keys = path.split(".")

    def fail(message: str) -> UserError:
        return UserError.at(source, path, message)

    battlefield = scenario.battlefield.issue if scenario.battlefield else None
    target = kernel_target(path, scenario.party_ids, scenario.issue_ids, battlefield)
    if isinstance(target, KernelTarget):
        pathed = keys[0] == "parties" and keys[2] in ("walkaway", "walkaway_drift")
        if pathed and scenario.party(keys[1]).walkaway_path:
            raise fail(f"{keys[1]} has a walkaway_path; vary its points in the scenario file instead")
        if target.category is not None:
            return ParameterSlot(path, target.field, target.index, categories=target.category)
        if target.unit == "number":
            return ParameterSlot(path, target.field, target.index, target.domain)
        issue = scenario.issues[target.issue]
        if target.unit == "position":
            domain = schema.issue_domain(issue.min, issue.max)
            return ParameterSlot(path, target.field, target.index, domain, issue.min, issue.span)
        return ParameterSlot(path, target.field, target.index, target.domain, 0.0, issue.span)
    if target.startswith("unknown"):
        raise fail(target)
    if keys[0] == "events" and len(keys) == 3 and keys[2] == "probability" and keys[1].isdigit():
        if int(keys[1]) >= len(scenario.events):
            raise fail(f"no event {keys[1]}; the scenario has {len(scenario.events)}")
        return ParameterSlot(path, "events.probability", (int(keys[1]),), schema.UNIT)
    if keys[0] == "scenario" and len(keys) == 3 and keys[1] == "opening" and isinstance(scenario.opening, dict):
        if keys[2] not in scenario.issue_ids:
            raise fail(f"unknown issue {keys[2]!r}; issues: {', '.join(scenario.issue_ids)}")
        i = scenario.issue_ids.index(keys[2])
        issue = scenario.issues[i]
        return ParameterSlot(
            path, "mediation.opening", (i,), schema.issue_domain(issue.min, issue.max), issue.min, issue.span
        )
    depth = 1 if keys[0] == "scenario" else 2
    fixed = keys[0] in ("coalitions", "events") or path == "scenario.opening"
    fixed |= len(keys) > depth and keys[depth] in FIXED_KEYS.get(keys[0], ())
    if fixed:
        raise fail("cannot vary within one sweep (it changes the scenario's shape); make a second scenario file")
    try:
        get_path(scenario.data, path)
    except (KeyError, IndexError, TypeError, ValueError):
        if not (keys[0] == "parties" and len(keys) >= 3 and keys[1] in scenario.party_ids):
            raise fail("no such number in the scenario") from None
    return ParameterSlot(path, SCENARIO_FIELD, (), domain_at(path) or schema.REAL)


def check_values(
    scenario: Scenario,
    values: Mapping[str, Any],
    source: str = "",
    describe: Callable[[int], str] | None = None,
) -> list[Problem]:
    """Every problem of setting per-row ``values`` on a scenario: paths, allowed values, the file's rules.

    Each row must make a scenario that its file could hold: every value in
    its field's domain, and every rule spanning fields (the scenario's
    rules, the protocols' included) true, checked on all rows at once.

    Args:
        scenario: The scenario the rows start from.
        values: ``{path: values}``, one per row.
        source: Name of the input the values come from, for messages.
        describe: Names row k in messages (default ``"sample k"``).

    Returns:
        The problems; a rule's problem names its first offending row.
    """
    problems: list[Problem] = []
    slots: dict[str, ParameterSlot] = {}
    for path in values:
        try:
            slots[path] = parameter_slot(scenario, path, source)
        except UserError as exc:
            problems += exc.problems
    for path, slot in slots.items():
        problem = slot.problem(values[path], source, describe or (lambda k: f"sample {k}"))
        if problem is not None:
            problems.append(problem)
    if problems or not values:
        return problems
    columns = {path: np.asarray(column) for path, column in values.items()}
    found = check_samples(scenario.data, columns, scenario.source, scenario.rules, describe)
    return [Problem(source or p.source, p.field, p.message) for p in found]


def apply_values(params: KernelParams, scenario: Scenario, values: Mapping[str, Any], source: str = "") -> KernelParams:
    """Parameters with per-row values set at scenario paths.

    Paths with a kernel slot (walk-aways, ideals, saliences, bias, ...) are
    written straight into the arrays, and so are the numbers of
    :mod:`sim.core.table_slots` (win-sets, softening, path points). Any other number of the scenario file
    (a path point, a ratification threshold, a red line's softening, ...) is
    applied by validating a variant of the scenario for each distinct
    combination of such values and stacking their arrays.

    Args:
        params: Base parameters (B rows).
        scenario: The scenario they come from (for the path mapping).
        values: ``{path: array of B values}``.
        source: Name used in error messages.

    Returns:
        New parameters; normalised weights are recomputed when saliences change.
    """
    changed: dict[str, np.ndarray] = {}
    problems = check_values(scenario, values, source)  # every row must be a scenario its file could hold
    if problems:
        raise UserError(problems)
    table_slots, table_values, values = split_table_values(scenario, values)  # sim.core.table_slots
    slots = {path: parameter_slot(scenario, path, source) for path in values}
    general = [path for path, slot in slots.items() if slot.field == SCENARIO_FIELD]
    if general:
        params = _variant_params(params, scenario, {p: values[p] for p in general}, source)
    if table_slots:
        params = apply_table_values(params, scenario, table_slots, table_values, source)
    for path, slot in slots.items():
        if slot.field == SCENARIO_FIELD:
            continue
        try:
            encoded = slot.encode(values[path], source)
        except UserError as exc:
            problems += exc.problems
            continue
        target = changed.setdefault(slot.field, params.array(slot.field).copy())
        target[(slice(None), *slot.index)] = encoded
    if problems:
        raise UserError(problems)
    if "prefs.salience" in changed:
        salience = changed["prefs.salience"]
        changed["prefs.weight"] = salience / salience.sum(axis=-1, keepdims=True)  # > 0: checked above
    return params.with_arrays(changed)


def _variant_params(params: KernelParams, scenario: Scenario, values: Mapping[str, Any], source: str) -> KernelParams:
    """Rows built from validated scenario variants (one per distinct combination of values)."""
    columns = {path: np.asarray(column, dtype=object) for path, column in values.items()}
    cache: dict[tuple, KernelParams] = {}
    rows = []
    for b in range(params.batch):
        combo = tuple(_plain(columns[path][b]) for path in columns)
        rounds = int(params.rounds[b])
        key = (*combo, rounds)
        if key not in cache:
            variant = scenario.with_values(dict(zip(columns, combo, strict=True)), source or scenario.source)
            cache[key] = compile_params(variant, 1, rounds)
        rows.append(cache[key])
    try:
        return KernelParams.stack(rows)
    except ValueError as exc:
        raise UserError.at(
            source, ", ".join(columns), f"changes {exc} between runs; vary it in separate sweeps"
        ) from None


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, so TOML validation sees ints and floats."""
    if isinstance(value, np.generic):
        return value.item()
    return value
