"""The batched engine: N negotiations at once on numpy arrays.

``run_many`` builds one row of :class:`~sim.params.KernelParams` per run
(the scenario's numbers, with any parameter overridden by its path in the
scenario file), drives the very same protocol kernel the Mesa model steps,
masks rows that finish early, and returns one table row per run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.benchmarks.solutions import BargainingProblem
from sim.core.errors import Problem, UserError
from sim.core.params import KernelParams
from sim.core.scenario import Scenario, get_path
from sim.core.streams import RunStreams, spawn_seeds
from sim.engine.model import resolve_protocol
from sim.protocols import Protocol, State
from sim.protocols.strategies import STRATEGIES

__all__ = ["SCENARIO_FIELD", "ParameterSlot", "apply_values", "parameter_slot", "run_kernel", "run_many"]

SCENARIO_FIELD = "scenario"
"""Slot field of paths applied by re-validating the scenario (no direct kernel slot)."""


@dataclass(frozen=True)
class ParameterSlot:
    """Where a scenario path lives in :class:`KernelParams`.

    Attributes:
        path: The dotted path in the scenario file.
        field: The KernelParams field.
        index: Index into the field's non-batch axes.
        low: Lowest allowed value (None: unbounded).
        high: Highest allowed value.
        low_open: Whether ``low`` itself is excluded.
        allowed: The sentence an error shows.
        offset: Subtracted before scaling (issue minimum, for positions).
        scale: Divided by after the offset (issue span, for positions).
        categories: Allowed names, for categorical parameters (strategy).
        integer: Whether values must be integers.
    """

    path: str
    field: str
    index: tuple[int, ...]
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    allowed: str = "a finite number"
    offset: float = 0.0
    scale: float = 1.0
    categories: tuple[str, ...] | None = None
    integer: bool = False

    def encode(self, values: Any, source: str = "") -> np.ndarray:
        """Check ``values`` against the allowed range and turn them into kernel units.

        Raises:
            UserError: Naming the path, what is allowed and the first bad value.
        """
        if self.categories is not None:
            names = np.asarray(values, dtype=object)
            bad = [v for v in names if v not in self.categories]
            if bad:
                raise UserError.at(source, self.path, f"must be one of {', '.join(self.categories)}; got {bad[0]!r}")
            return np.array([self.categories.index(v) for v in names], dtype=np.int64)
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise UserError.at(source, self.path, f"must be {self.allowed}; got a non-number") from None
        ok = np.isfinite(array)
        if self.low is not None:
            ok &= array > self.low if self.low_open else array >= self.low
        if self.high is not None:
            ok &= array <= self.high
        if self.integer:
            ok &= array == np.round(array)
        if not ok.all():
            first = array[~ok].flat[0]
            raise UserError.at(source, self.path, f"must be {self.allowed}; got {first:g}")
        if self.integer:
            return array.astype(np.int64)
        return (array - self.offset) / self.scale


def parameter_slot(scenario: Scenario, path: str, source: str = "") -> ParameterSlot:
    """The kernel slot of a scenario path, e.g. ``parties.russia.walkaway``.

    Raises:
        UserError: If the path names nothing the batched engine can vary.
    """
    keys = path.split(".")
    parties, issues = scenario.party_ids, scenario.issue_ids

    def fail(message: str) -> UserError:
        return UserError.at(source, path, message)

    if keys[0] == "parties" and len(keys) >= 3:
        if keys[1] not in parties:
            raise fail(f"unknown party {keys[1]!r}; parties: {', '.join(parties)}")
        a = parties.index(keys[1])
        simple = {
            "capability": ("capability", 0.0, None, False, "a number >= 0"),
            "patience": ("patience", 0.0, 1.0, True, "a number in (0, 1]"),
            "walkaway": ("walkaway", 0.0, 1.0, False, "a number in [0, 1]"),
            "walkaway_drift": ("drift", None, None, False, "a finite number"),
        }
        if len(keys) == 3 and keys[2] in ("walkaway", "walkaway_drift") and scenario.parties[a].walkaway_path:
            raise fail(f"{keys[1]} has a walkaway_path; vary its points in the scenario file instead")
        if len(keys) == 3 and keys[2] in simple:
            field, low, high, low_open, allowed = simple[keys[2]]
            return ParameterSlot(path, field, (a,), low, high, low_open, allowed)
        if len(keys) == 3 and keys[2] == "strategy":
            return ParameterSlot(path, "strategy", (a,), categories=STRATEGIES)
        per_issue = {
            "ideal": ("ideal", True, None, None, False),
            "salience": ("salience", False, 0.0, 1.0, False),
            "curvature": ("curvature", False, 0.0, None, True),
        }
        if len(keys) == 4 and keys[2] in per_issue:
            if keys[3] not in issues:
                raise fail(f"unknown issue {keys[3]!r}; issues: {', '.join(issues)}")
            i = issues.index(keys[3])
            issue = scenario.issues[i]
            field, positional, low, high, low_open = per_issue[keys[2]]
            if positional:
                allowed = f"a number in [{issue.min:g}, {issue.max:g}] (the issue's min..max)"
                return ParameterSlot(path, field, (a, i), issue.min, issue.max, False, allowed, issue.min, issue.span)
            allowed = "a number > 0" if low_open else "a number in [0, 1]"
            return ParameterSlot(path, field, (a, i), low, high, low_open, allowed)
        if len(keys) == 5 and keys[2] == "red_lines" and keys[4] in ("min", "max"):
            if keys[3] not in issues:
                raise fail(f"unknown issue {keys[3]!r}; issues: {', '.join(issues)}")
            i = issues.index(keys[3])
            issue = scenario.issues[i]
            allowed = f"a number in [{issue.min:g}, {issue.max:g}] (the issue's min..max)"
            field = "red_low" if keys[4] == "min" else "red_high"
            return ParameterSlot(path, field, (a, i), issue.min, issue.max, False, allowed, issue.min, issue.span)
    if keys[0] == "scenario":
        if len(keys) == 3 and keys[1] == "mediator_bias":
            if keys[2] not in parties:
                raise fail(f"unknown party {keys[2]!r}; parties: {', '.join(parties)}")
            return ParameterSlot(path, "bias", (parties.index(keys[2]),), 0.0, None, False, "a number >= 0")
        if path == "scenario.noise":
            return ParameterSlot(path, "noise", (), 0.0, None, False, "a number >= 0")
        if path == "scenario.rounds":
            return ParameterSlot(path, "rounds", (), 1.0, None, False, "an integer >= 1", integer=True)
        if len(keys) == 3 and keys[1] == "opening" and isinstance(scenario.opening, dict):
            if keys[2] not in issues:
                raise fail(f"unknown issue {keys[2]!r}; issues: {', '.join(issues)}")
            i = issues.index(keys[2])
            issue = scenario.issues[i]
            allowed = f"a number in [{issue.min:g}, {issue.max:g}] (the issue's min..max)"
            return ParameterSlot(path, "opening", (i,), issue.min, issue.max, False, allowed, issue.min, issue.span)
    fixed = (
        (keys[0] == "issues" and len(keys) >= 3 and keys[2] in ("min", "max", "step", "levels", "label", "unit"))
        or (keys[0] == "parties" and len(keys) >= 3 and keys[2] in ("name", "must_agree_on"))
        or (
            keys[0] == "scenario"
            and len(keys) >= 2
            and keys[1]
            in ("name", "title", "mediator", "main_parties", "protocol", "seed", "sources", "ratification_failure")
        )
        or (keys[0] == "scenario" and path == "scenario.opening")
        or keys[0] == "coalitions"
    )
    if fixed:
        raise fail("cannot vary within one sweep (it changes the scenario's shape); make a second scenario file")
    try:
        get_path(scenario.data, path)
    except (KeyError, IndexError, TypeError, ValueError):
        if not (keys[0] == "parties" and len(keys) >= 3 and keys[1] in parties):
            raise fail("no such number in the scenario") from None
    return ParameterSlot(path, SCENARIO_FIELD, (), allowed="a value the scenario file allows here")


def apply_values(params: KernelParams, scenario: Scenario, values: Mapping[str, Any], source: str = "") -> KernelParams:
    """Parameters with per-row values set at scenario paths.

    Paths with a kernel slot (walk-aways, ideals, saliences, bias, ...) are
    written straight into the arrays. Any other number of the scenario file
    (a path point, a ratification threshold, a red line's softening, ...) is
    applied by validating a variant of the scenario for each distinct
    combination of such values and stacking their arrays: correct for any
    path, at about a thousand distinct variants per second.

    Args:
        params: Base parameters (B rows).
        scenario: The scenario they come from (for the path mapping).
        values: ``{path: array of B values}``.
        source: Name used in error messages.

    Returns:
        New parameters; normalised weights are recomputed when saliences change.
    """
    changed: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    slots: dict[str, ParameterSlot] = {}
    for path in values:
        try:
            slots[path] = parameter_slot(scenario, path, source)
        except UserError as exc:
            problems += exc.problems
    if problems:
        raise UserError(problems)
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
        target = changed.setdefault(slot.field, getattr(params, slot.field).copy())
        target[(slice(None), *slot.index)] = encoded
    if problems:
        raise UserError(problems)
    if "salience" in changed:
        salience = changed["salience"]
        total = salience.sum(axis=-1, keepdims=True)
        if np.any(total <= 0):
            raise UserError.at(source, "salience", "every party needs at least one salience > 0 in every run")
        changed["weight"] = salience / total
    return replace(params, **changed)


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
            cache[key] = KernelParams.from_scenario(variant, 1, rounds)
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


def run_kernel(protocol: Protocol, params: KernelParams, seeds: np.ndarray) -> State:
    """Drive a protocol on a batch until every row has finished.

    Finished rows are left as they are by the kernel (masked); the loop ends
    when every row has a deal or reached its round limit.
    """
    streams = RunStreams.from_seeds(seeds)
    state = protocol.start(params, streams)
    limit = int(params.rounds.max()) if params.batch else 0
    while not state.done.all() and state.t < limit:
        state = protocol.step(params, state, streams)
    return state


def _nash_distances(params: KernelParams, scenario: Scenario, deal: np.ndarray) -> np.ndarray:
    """RMS distance of each row's deal to its Nash solution, solving each distinct problem once."""
    out = np.full(params.batch, np.nan)
    cache: dict[bytes, np.ndarray | None] = {}
    low, high = params.red_lines_at(0)
    walk = params.walkaway_at(0)
    arrays = (params.ideal, params.weight, params.curvature, low, high, walk)
    for row in range(params.batch):
        if np.isnan(deal[row]).any():
            continue
        key = b"".join(np.ascontiguousarray(a[row]).tobytes() for a in arrays)
        if key not in cache:
            cache[key] = BargainingProblem(*(a[row] for a in arrays)).nash()
        nash = cache[key]
        if nash is not None:
            out[row] = math.sqrt(float(np.mean((deal[row] - nash) ** 2)))
    return out


def run_many(
    scenario: Scenario,
    params: Mapping[str, Sequence[Any] | np.ndarray] | None = None,
    protocol: str | Protocol | None = None,
    seeds: Sequence[int] | np.ndarray | None = None,
    rounds: int | None = None,
    nash: bool = True,
    source: str = "",
) -> pd.DataFrame:
    """Run N negotiations at once with the batched kernel.

    Args:
        scenario: The scenario every run starts from.
        params: ``{path: values}`` with one value per run, paths as in the
            scenario file (``"parties.russia.walkaway"``,
            ``"scenario.mediator_bias.russia"``, ...).
        protocol: Protocol name or instance (default: the scenario's).
        seeds: One seed per run (default: spawned from the scenario's seed
            with ``numpy.random.SeedSequence``).
        rounds: Round limit (default: the scenario's, or the
            ``scenario.rounds`` column).
        nash: Whether to compute each run's distance to its Nash solution
            (solved once per distinct bargaining problem).
        source: Name used in error messages.

    Returns:
        One row per run: ``seed``, the input columns, ``agreement``,
        ``round`` (nullable), ``end_round``, ``deal.<issue>`` (NaN without a
        deal), ``utility.<party>`` (of the deal, or the walk-away value without
        one), ``walkaway.<party>`` and ``distance_to_nash``.
    """
    params = dict(params or {})
    lengths = {len(v) for v in params.values()}
    if seeds is not None:
        lengths.add(len(seeds))
    if len(lengths) > 1:
        raise UserError.at(source, "params", f"every column needs the same length; got {sorted(lengths)}")
    n = lengths.pop() if lengths else 1
    if seeds is None:
        seeds = spawn_seeds(scenario.seed, n)
    else:
        if any(not isinstance(s, int | np.integer) or not 0 <= int(s) < 2**63 for s in seeds):
            raise UserError.at(source, "seeds", "must be integers in [0, 2**63 - 1]")
        seeds = np.asarray(seeds, dtype=np.int64)
    proto = resolve_protocol(scenario, protocol)
    kernel = apply_values(KernelParams.from_scenario(scenario, n, rounds), scenario, params, source)
    state = run_kernel(proto, kernel, seeds)
    return outcome_table(scenario, kernel, state, seeds, params, nash)


def outcome_table(
    scenario: Scenario,
    params: KernelParams,
    state: State,
    seeds: np.ndarray,
    inputs: Mapping[str, Any],
    nash: bool,
) -> pd.DataFrame:
    """One row per run of a finished batch (see :func:`run_many`)."""
    columns: dict[str, Any] = {"seed": np.asarray(seeds, dtype=np.int64)}
    for path, values in inputs.items():
        columns[path] = np.asarray(values)
    agreement = state.agreement.copy()
    columns["agreement"] = agreement
    columns["round"] = pd.array(np.where(agreement, state.round, 0), dtype="Int64")
    columns["round"][~agreement] = pd.NA
    columns["end_round"] = state.round.astype(np.int64)
    deal = scenario.to_units(np.where(agreement[:, None], state.deal, np.nan), on_grid=True)
    for k, issue in enumerate(scenario.issues):
        columns[f"deal.{issue.id}"] = deal[:, k]
    utility = np.where(agreement[:, None], state.utility, state.walkaway)
    for a, pid in enumerate(scenario.party_ids):
        columns[f"utility.{pid}"] = utility[:, a]
    for a, pid in enumerate(scenario.party_ids):
        columns[f"walkaway.{pid}"] = state.walkaway[:, a]
    if nash:
        columns["distance_to_nash"] = _nash_distances(
            params, scenario, np.where(agreement[:, None], state.deal, np.nan)
        )
    return pd.DataFrame(columns)
