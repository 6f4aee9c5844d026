"""Where a scenario number lives in the kernel arrays, and how to set it per row.

A sweep or a forecast varies numbers by their path in the scenario file
(``parties.russia.walkaway``). :func:`parameter_slot` maps a path to a field
of :class:`~sim.core.params.KernelParams` (written straight into the arrays,
fast) or, for any other number of the file, to a validated variant of the
scenario (correct for any path, about a thousand variants a second).
:func:`apply_values` sets a column of values, one per row. Every value is
checked against the same :mod:`~sim.core.schema` domain as in a file, and
every row against the same rules (:func:`check_values`): what a file may not
hold, no sweep can set.
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
from sim.core.scenario.samples import check_samples
from sim.core.schema import STRATEGIES, Domain, shown

__all__ = ["SCENARIO_FIELD", "ParameterSlot", "apply_values", "check_values", "parameter_slot"]

SCENARIO_FIELD = "scenario"
"""Slot field of paths applied by re-validating the scenario (no direct kernel slot)."""

PARTY_NUMBERS = {
    "capability": "capability",
    "patience": "patience",
    "walkaway": "walkaways.start",
    "walkaway_drift": "walkaways.drift",
}
"""Per-party numbers with a kernel slot: path key -> field (the domain is the scenario file's)."""

PARTY_ISSUE_NUMBERS = {
    "salience": "prefs.salience",
    "curvature": "prefs.curvature",
}
"""Per-party, per-issue numbers (not positions) with a kernel slot."""


def _domain(path: str) -> Domain:
    """The allowed values of the scenario field at ``path`` (its type in the file's spec)."""
    return domain_at(path) or schema.REAL


FIXED_KEYS = {
    "issues": ("min", "max", "step", "levels", "label", "unit"),
    "parties": ("name", "must_agree_on"),
    "scenario": ("name", "title", "mediator", "main_parties", "protocol", "seed", "sources", "ratification_failure"),
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


def _position(path: str, field: str, index: tuple[int, ...], issue: Any) -> ParameterSlot:
    """A slot holding a position on an issue (normalised in the kernel)."""
    return ParameterSlot(path, field, index, schema.issue_domain(issue.min, issue.max), issue.min, issue.span)


def _party_slot(scenario: Scenario, path: str, keys: list[str], fail) -> ParameterSlot | None:
    parties, issues = scenario.party_ids, scenario.issue_ids
    if keys[1] not in parties:
        raise fail(f"unknown party {keys[1]!r}; parties: {', '.join(parties)}")
    a = parties.index(keys[1])
    if len(keys) == 3 and keys[2] in ("walkaway", "walkaway_drift") and scenario.parties[a].walkaway_path:
        raise fail(f"{keys[1]} has a walkaway_path; vary its points in the scenario file instead")
    if len(keys) == 3 and keys[2] in PARTY_NUMBERS:
        return ParameterSlot(path, PARTY_NUMBERS[keys[2]], (a,), _domain(path))
    if len(keys) == 3 and keys[2] == "strategy":
        return ParameterSlot(path, "strategy", (a,), categories=STRATEGIES)
    per_issue = len(keys) == 4 and keys[2] in ("ideal", *PARTY_ISSUE_NUMBERS)
    red_line = len(keys) == 5 and keys[2] == "red_lines" and keys[4] in ("min", "max")
    if per_issue or red_line:
        if keys[3] not in issues:
            raise fail(f"unknown issue {keys[3]!r}; issues: {', '.join(issues)}")
        i = issues.index(keys[3])
        if keys[2] == "ideal":
            return _position(path, "prefs.ideal", (a, i), scenario.issues[i])
        if red_line:
            field = "red_lines.low" if keys[4] == "min" else "red_lines.high"
            return _position(path, field, (a, i), scenario.issues[i])
        return ParameterSlot(path, PARTY_ISSUE_NUMBERS[keys[2]], (a, i), _domain(path))
    return None


def _header_slot(scenario: Scenario, path: str, keys: list[str], fail) -> ParameterSlot | None:
    parties, issues = scenario.party_ids, scenario.issue_ids
    if len(keys) == 3 and keys[1] == "mediator_bias":
        if keys[2] not in parties:
            raise fail(f"unknown party {keys[2]!r}; parties: {', '.join(parties)}")
        return ParameterSlot(path, "mediation.bias", (parties.index(keys[2]),), _domain(path))
    if path == "scenario.noise":
        return ParameterSlot(path, "mediation.noise", (), _domain(path))
    if path == "scenario.rounds":
        return ParameterSlot(path, "rounds", (), _domain(path))
    if len(keys) == 3 and keys[1] == "opening" and isinstance(scenario.opening, dict):
        if keys[2] not in issues:
            raise fail(f"unknown issue {keys[2]!r}; issues: {', '.join(issues)}")
        i = issues.index(keys[2])
        return _position(path, "mediation.opening", (i,), scenario.issues[i])
    return None


def parameter_slot(scenario: Scenario, path: str, source: str = "") -> ParameterSlot:
    """The kernel slot of a scenario path, e.g. ``parties.russia.walkaway``.

    Raises:
        UserError: If the path names nothing the batched engine can vary.
    """
    keys = path.split(".")

    def fail(message: str) -> UserError:
        return UserError.at(source, path, message)

    slot = None
    if keys[0] == "parties" and len(keys) >= 3:
        slot = _party_slot(scenario, path, keys, fail)
    elif keys[0] == "scenario":
        slot = _header_slot(scenario, path, keys, fail)
    if slot is not None:
        return slot
    depth = 1 if keys[0] == "scenario" else 2
    fixed = keys[0] == "coalitions" or path == "scenario.opening"
    fixed |= len(keys) > depth and keys[depth] in FIXED_KEYS.get(keys[0], ())
    if fixed:
        raise fail("cannot vary within one sweep (it changes the scenario's shape); make a second scenario file")
    try:
        get_path(scenario.data, path)
    except (KeyError, IndexError, TypeError, ValueError):
        if not (keys[0] == "parties" and len(keys) >= 3 and keys[1] in scenario.party_ids):
            raise fail("no such number in the scenario") from None
    return ParameterSlot(path, SCENARIO_FIELD, (), _domain(path))


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
    written straight into the arrays. Any other number of the scenario file
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
    problems = check_values(scenario, values, source)
    if problems:
        raise UserError(problems)
    slots = {path: parameter_slot(scenario, path, source) for path in values}
    general = [path for path, slot in slots.items() if slot.field == SCENARIO_FIELD]
    if general:
        params = _variant_params(params, scenario, {p: values[p] for p in general}, source)
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
