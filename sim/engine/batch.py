"""The batched engine: N negotiations at once on numpy arrays.

``run_many`` builds one row of :class:`~sim.params.KernelParams` per run
(the scenario's numbers, with any parameter overridden by its path in the
scenario file), drives the very same protocol kernel the Mesa model steps,
masks rows that finish early, and returns one table row per run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.benchmarks import BargainingProblem, nash_point
from sim.benchmarks.discrete import discrete_nash
from sim.core.compile import compile_params
from sim.core.errors import UserError
from sim.core.params import KernelParams
from sim.core.scenario import Scenario
from sim.core.slots import apply_values
from sim.core.streams import spawn_seeds
from sim.engine.kernel import run_kernel
from sim.engine.outcome import final_utilities
from sim.protocols import ENDINGS, Protocol, State, resolve_protocol

__all__ = ["outcome_table", "run_many"]


def _nash_distances(params: KernelParams, scenario: Scenario, deal: np.ndarray) -> np.ndarray:
    """RMS distance of each row's deal to its Nash solution, solving each distinct problem once.

    With discrete issues the Nash solution is taken over packages of options, as
    :func:`sim.benchmarks.solutions.solve` takes it for a single run.

    Rows are grouped by their bargaining problem (``numpy.unique`` over the
    stacked arrays, no Python loop over rows); the distances are vectorised.
    """
    out = np.full(params.batch, np.nan)
    rows = np.flatnonzero(~np.isnan(deal).any(axis=-1))
    if not len(rows):
        return out
    low, high = params.red_lines_at(0)
    walk = params.walkaway_at(0)
    arrays = (params.prefs.ideal, params.prefs.weight, params.prefs.curvature, low, high, walk)
    stacked = np.concatenate([np.reshape(a[rows], (len(rows), -1)) for a in arrays], axis=1)
    unique, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    points = np.full((len(unique), params.n_issues), np.nan)
    options = any(len(levels) for levels in params.levels)  # discrete issues: the Nash package, as run() takes it
    for k, row in enumerate(rows[first]):
        problem = BargainingProblem(*(a[row] for a in arrays))
        found = discrete_nash(problem, params.levels)[0] if options else nash_point(problem)
        if found is not None:
            points[k] = found
    nash = points[np.ravel(inverse)]
    out[rows] = np.sqrt(np.mean((deal[rows] - nash) ** 2, axis=-1))
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
    kernel = apply_values(compile_params(scenario, n, rounds), scenario, params, source)
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
    utility = final_utilities(state)
    for a, pid in enumerate(scenario.party_ids):
        columns[f"utility.{pid}"] = utility[:, a]
    for a, pid in enumerate(scenario.party_ids):
        columns[f"walkaway.{pid}"] = state.walkaway[:, a]
    columns["ended_by"] = pd.Categorical.from_codes(np.maximum(state.ended_by, 0), categories=list(ENDINGS))
    first_out = np.argmax(state.walked, axis=-1)
    names = np.array(scenario.party_ids, dtype=object)
    columns["walked_out"] = np.where(state.walked.any(axis=-1), names[first_out], None)
    if nash:
        columns["distance_to_nash"] = _nash_distances(
            params, scenario, np.where(agreement[:, None], state.deal, np.nan)
        )
    return pd.DataFrame(columns)
