"""``negsim backtest``: forecasts of real EU decisions, scored (issue #14).

Every method forecasts each issue of a DEU file (:mod:`sim.experiments.deu`)
on its 0-100 scale and is scored by the absolute error ``|forecast - outcome|``:
n, mean (MAE), median, the share within 10 points, and a paired bootstrap 95%
interval of its MAE minus the compromise model's (resampling issues, and
resampling whole proposals, since the issues of one proposal are not
independent).

**Methods** (all parameters fixed in advance, the same for every issue, none
fitted to outcomes):

* benchmarks, per issue, by the exact one-issue solvers
  (:mod:`sim.benchmarks.one_issue`) on the issue's scenario: ``compromise``
  (the anchor: ``sum c s x / sum c s`` over actors with a position, missing
  salience = 0; Achen 2006), ``weighted_median`` (Black 1948), ``nash`` and
  ``kalai_smorodinsky`` (walk-away 0);
* three candidates named before any score was seen (by the helper that built
  the first version of this backtest): ``nash_power`` (the asymmetric Nash
  solution with bargaining powers c x s; Kalai 1977), ``nash_reference`` (the
  Nash solution with every actor's walk-away at the utility of the recorded
  reference point, where recorded and the bargaining set is not empty) and
  ``blend`` (the equal-weight mean of the compromise and the weighted median;
  Clemen 1989, *Int. J. Forecasting* 5:559-583);
* the protocols, ``protocol.<name>`` for every registered protocol, run on
  each issue's scenario; the multi-issue ``exchange`` runs on each proposal's
  scenario (its issues together); ``protocol.bdm.literature`` is
  ``Bdm(variant="literature")``.

Usage::

    negsim backtest ../shared/data/deu3-train.tsv [--protocols P ...] [--out DIR] [--json]
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.benchmarks.one_issue import kalai_smorodinsky_1d, nash_1d, weighted_median_1d
from sim.engine.batch import run_many
from sim.engine.scenarios import scenario_from_dict
from sim.experiments.deu import (
    DEFAULT_ROUNDS,
    DEFAULT_WALKAWAY,
    ISSUE_KEY,
    SCALE_MAX,
    SCALE_MIN,
    DeuData,
    DeuIssue,
    by_proposal,
    issue_key,
    issue_scenario,
    proposal_scenario,
    read_deu,
    walkaway_values,
)
from sim.protocols import Protocol, get_protocol, protocol_names
from sim.report.forecasts import forecast_figure

__all__ = [
    "BASELINE",
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "MULTI_ISSUE",
    "PINNED_KEYS",
    "BacktestResult",
    "backtest_protocols",
    "benchmark_predictions",
    "format_scores",
    "protocol_predictions",
    "run_backtest",
    "score",
    "scores_json",
    "write_backtest",
]

BASELINE = "compromise"
BOOTSTRAP_SEED = 14
BOOTSTRAP_RESAMPLES = 2000
WITHIN = 10.0
"""Points of the 0-100 scale for the "within" share."""
PINNED_KEYS = ("n", "mae", "median_ae", "within10")
"""The keys of every method in ``--json`` (first, in this order)."""
MULTI_ISSUE = frozenset({"exchange"})
"""Protocols run on a proposal's issues together."""

_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {"bdm.literature": ("bdm", {"variant": "literature"})}


def backtest_protocols() -> list[str]:
    """The protocol runs a backtest can make: every registered protocol, then the variants."""
    return [*protocol_names(), *_VARIANTS]


def _protocol(name: str) -> Protocol:
    base, params = _VARIANTS.get(name, (name, {}))
    return get_protocol(base, **params)


# --------------------------------------------------------------------------
# Forecasts
# --------------------------------------------------------------------------
def _per_issue(issues: Sequence[DeuIssue], forecast: Callable[[DeuIssue], float | None]) -> np.ndarray:
    return np.array([np.nan if (value := forecast(issue)) is None else value for issue in issues], dtype=float)


def _on_scale(value: float | None) -> float | None:
    return None if value is None else SCALE_MIN + value * (SCALE_MAX - SCALE_MIN)


def _ideals(issue: DeuIssue) -> np.ndarray:
    return (issue.positions[issue.parties] - SCALE_MIN) / (SCALE_MAX - SCALE_MIN)


def _force(issue: DeuIssue) -> np.ndarray:
    return issue.capabilities[issue.parties] * issue.salience_or_zero[issue.parties]


def _walkaways(issue: DeuIssue, walkaway: float | str = DEFAULT_WALKAWAY) -> np.ndarray:
    return np.clip(walkaway_values(issue, walkaway)[issue.parties], 0.0, 1.0)


def _nash_reference(issue: DeuIssue) -> float | None:
    if math.isnan(issue.reference):
        return None
    return _on_scale(nash_1d(_ideals(issue), _walkaways(issue, "reference")))


def benchmark_predictions(issues: Sequence[DeuIssue]) -> dict[str, np.ndarray]:
    """Forecasts of the benchmarks and the three candidates (everything but the protocols).

    Args:
        issues: The issues.

    Returns:
        ``{method: forecasts (N,)}`` on 0-100, NaN where a method is undefined.
    """
    predictions = {
        "compromise": _per_issue(issues, lambda issue: issue.compromise),
        "weighted_median": _per_issue(
            issues, lambda issue: weighted_median_1d(issue.positions[issue.parties], _force(issue))
        ),
        "nash": _per_issue(issues, lambda issue: _on_scale(nash_1d(_ideals(issue), _walkaways(issue)))),
        "kalai_smorodinsky": _per_issue(
            issues, lambda issue: _on_scale(kalai_smorodinsky_1d(_ideals(issue), _walkaways(issue)))
        ),
        "nash_power": _per_issue(issues, lambda issue: _on_scale(nash_1d(_ideals(issue), power=_force(issue)))),
        "nash_reference": _per_issue(issues, _nash_reference),
    }
    predictions["blend"] = 0.5 * (predictions["compromise"] + predictions["weighted_median"])
    return predictions


def _run_task(task: tuple[dict[str, Any], list[str], list[str]]) -> tuple[dict[str, tuple[list[float], int]], float]:
    """Run protocols on one scenario: ``({name: (deal per issue key (NaN: none), end round)}, CPU seconds)``."""
    start = time.process_time()
    data, keys, names = task
    scenario = scenario_from_dict(data, str(data["scenario"]["title"]))
    out = {}
    for name in names:
        table = run_many(scenario, protocol=_protocol(name), nash=False)
        out[name] = ([float(table[f"deal.{key}"].iloc[0]) for key in keys], int(table["end_round"].iloc[0]))
    return out, time.process_time() - start


def _context():
    """A forkserver whose server has this module imported (fast worker start, as in sweeps)."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.experiments.backtest"])
    return context


def protocol_predictions(
    issues: Sequence[DeuIssue], protocols: Sequence[str] | None = None, workers: int = 2, rounds: int = DEFAULT_ROUNDS
) -> tuple[dict[str, np.ndarray], dict[str, int], float]:
    """Run protocols on every issue's scenario (multi-issue ones on every proposal's).

    Args:
        issues: The issues.
        protocols: Names from :func:`backtest_protocols` (default: all).
        workers: Worker processes (1: in this process).
        rounds: Round limit of every run.

    Returns:
        ``({"protocol.<name>": forecasts (N,)}, {"protocol.<name>": runs that ended at the round limit},
        CPU seconds of all runs)``; a forecast is NaN where the protocol ended
        without a deal or the issue has fewer than two parties.
    """
    names = list(protocols) if protocols is not None else backtest_protocols()
    single = [n for n in names if _VARIANTS.get(n, (n,))[0] not in MULTI_ISSUE]
    multi = [n for n in names if n not in single]
    tasks, targets = [], []
    for k, issue in enumerate(issues):
        if single and issue.parties.sum() >= 2:
            tasks.append((issue_scenario(issue, rounds=rounds), [ISSUE_KEY], single))
            targets.append([k])
    for members in by_proposal(issues).values():
        group = [issues[k] for k in members]
        if multi and np.any(np.array([issue.parties for issue in group]).sum(axis=0) > 0):
            keys = [issue_key(issue, j) for j, issue in enumerate(group)]
            if len(proposal_scenario(group, rounds=rounds)["parties"]) >= 2:
                tasks.append((proposal_scenario(group, rounds=rounds), keys, multi))
                targets.append(members)
    if workers > 1 and len(tasks) >= 4 * workers:  # a pool costs seconds to start: worth it for many runs
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
            results = list(pool.map(_run_task, tasks))
    else:
        results = [_run_task(task) for task in tasks]
    forecasts = {name: np.full(len(issues), np.nan) for name in names}
    at_limit = dict.fromkeys(names, 0)
    for (result, _), members in zip(results, targets, strict=True):
        for name, (deals, end_round) in result.items():
            forecasts[name][members] = np.clip(deals, SCALE_MIN, SCALE_MAX)  # a mean may round to 100 + 1e-14
            at_limit[name] += int(end_round >= rounds)
    cpu = float(sum(seconds for _, seconds in results))
    return (
        {f"protocol.{n}": v for n, v in forecasts.items()},
        {f"protocol.{n}": v for n, v in at_limit.items()},
        cpu,
    )


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------
def _bootstrap_mae_difference(
    errors: np.ndarray, baseline_errors: np.ndarray, groups: np.ndarray | None, seed: int, resamples: int
) -> tuple[float, float]:
    """95% percentile interval of ``MAE - MAE_baseline`` over paired resamples.

    Resamples issues (``groups`` None) or whole groups of issues (proposals)
    with replacement, from ``numpy.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    difference = errors - baseline_errors
    if groups is None:
        index = rng.integers(0, len(difference), size=(resamples, len(difference)))
        draws = difference[index].mean(axis=1)
    else:
        labels, inverse = np.unique(groups, return_inverse=True)
        sums = np.bincount(inverse, weights=difference, minlength=len(labels))
        counts = np.bincount(inverse, minlength=len(labels)).astype(float)
        index = rng.integers(0, len(labels), size=(resamples, len(labels)))
        draws = sums[index].sum(axis=1) / counts[index].sum(axis=1)
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def score(
    predictions: Mapping[str, np.ndarray],
    outcomes: np.ndarray,
    proposals: Sequence[str] | None = None,
    baseline: str = BASELINE,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, dict[str, Any]]:
    """Score forecasts against outcomes.

    Args:
        predictions: ``{method: forecasts (N,)}``, NaN where none.
        outcomes: Recorded outcomes ``(N,)``.
        proposals: Proposal id per issue, for the interval that resamples
            whole proposals.
        baseline: The method differences are taken against.
        seed: Seed of the bootstrap generator (the same for every method).
        resamples: Bootstrap resamples.

    Returns:
        ``{method: {"n", "mae", "median_ae", "within10", "mae_diff",
        "mae_diff_ci", "mae_diff_ci_proposals", "n_paired"}}``: within10 is a
        share in [0, 1]; ``mae_diff`` is the method's MAE minus the
        baseline's on the issues both forecast (``n_paired`` of them), with
        its 95% bootstrap intervals resampling issues and resampling
        proposals (None without a baseline or without proposals).
    """
    outcomes = np.asarray(outcomes, dtype=float)
    groups = None if proposals is None else np.asarray(proposals)
    base = np.asarray(predictions[baseline], dtype=float) if baseline in predictions else None
    table: dict[str, dict[str, Any]] = {}
    for method, forecast in predictions.items():
        error = np.abs(np.asarray(forecast, dtype=float) - outcomes)
        valid = ~np.isnan(error)
        e = error[valid]
        row: dict[str, Any] = {
            "n": int(valid.sum()),
            "mae": float(e.mean()) if e.size else math.nan,
            "median_ae": float(np.median(e)) if e.size else math.nan,
            "within10": float(np.mean(e <= WITHIN)) if e.size else math.nan,
            "mae_diff": None,
            "mae_diff_ci": None,
            "mae_diff_ci_proposals": None,
            "n_paired": 0,
        }
        if base is not None:
            base_error = np.abs(base - outcomes)
            paired = valid & ~np.isnan(base_error)
            row["n_paired"] = int(paired.sum())
            if paired.any():
                row["mae_diff"] = float(error[paired].mean() - base_error[paired].mean())
                row["mae_diff_ci"] = _bootstrap_mae_difference(error[paired], base_error[paired], None, seed, resamples)
                if groups is not None:
                    row["mae_diff_ci_proposals"] = _bootstrap_mae_difference(
                        error[paired], base_error[paired], groups[paired], seed, resamples
                    )
        table[method] = row
    return table


def _ordered(scores: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Methods, best MAE first (undefined last), ties by name."""
    return sorted(scores, key=lambda m: (math.isnan(scores[m]["mae"]), scores[m]["mae"], m))


def format_scores(scores: Mapping[str, Mapping[str, Any]], at_limit: Mapping[str, int] | None = None) -> str:
    """The scores as a plain-text table, best MAE first."""
    head = (
        f"{'method':<28} {'n':>4} {'MAE':>7} {'median':>7} {'<=10':>6} {'dMAE':>7}  "
        f"{'95% CI (issues)':<17} {'95% CI (proposals)':<18} {'at limit':>8}"
    )
    lines = [head, "-" * len(head)]

    def interval(ci: Sequence[float] | None) -> str:
        return "" if ci is None else f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"

    for method in _ordered(scores):
        row = scores[method]
        diff = "" if row["mae_diff"] is None else f"{row['mae_diff']:+.2f}"
        limit = "" if at_limit is None or method not in at_limit else str(at_limit[method])
        lines.append(
            f"{method:<28} {row['n']:>4} {row['mae']:>7.2f} {row['median_ae']:>7.2f} "
            f"{100 * row['within10']:>5.0f}% {diff:>7}  {interval(row['mae_diff_ci']):<17} "
            f"{interval(row['mae_diff_ci_proposals']):<18} {limit:>8}"
        )
    return "\n".join(lines)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4) + 0.0  # + 0.0: no "-0.0"
    if isinstance(value, tuple | list):
        return [_rounded(v) for v in value]
    return value


def scores_json(scores: Mapping[str, Mapping[str, Any]], at_limit: Mapping[str, int] | None = None) -> str:
    """``{method: {"n", "mae", "median_ae", "within10", ...}}`` as JSON, best MAE first.

    The pinned keys come first (:data:`PINNED_KEYS`); then the MAE difference
    to the compromise model and its intervals, and for protocols the number
    of runs that ended at the round limit. Numbers rounded to 4 decimals.
    """
    table = {}
    for method in _ordered(scores):
        row = {key: _rounded(scores[method][key]) for key in PINNED_KEYS}
        row.update({key: _rounded(value) for key, value in scores[method].items() if key not in PINNED_KEYS})
        if at_limit is not None and method in at_limit:
            row["at_round_limit"] = at_limit[method]
        table[method] = row
    return json.dumps(table, indent=2) + "\n"


# --------------------------------------------------------------------------
# The whole backtest
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class BacktestResult:
    """Forecasts, scores and timings of one backtest.

    Attributes:
        data: What was read (the issues used, and the lines skipped).
        predictions: ``{method: forecasts (N,)}`` on 0-100.
        scores: See :func:`score`.
        at_limit: Per protocol, the runs that ended at the round limit.
        seconds: Wall time of the benchmarks (``benchmarks``) and of the
            protocol runs (``protocols``), and the CPU time of all protocol
            runs summed over the workers (``protocols_cpu``).
        workers: Worker processes of the protocol runs.
    """

    data: DeuData
    predictions: dict[str, np.ndarray] = field(repr=False)
    scores: dict[str, dict[str, Any]]
    at_limit: dict[str, int]
    seconds: dict[str, float]
    workers: int

    @property
    def outcomes(self) -> np.ndarray:
        """Recorded outcomes ``(N,)``."""
        return np.array([issue.outcome for issue in self.data.issues])


def run_backtest(
    path: str | Path,
    protocols: Sequence[str] | None = None,
    workers: int | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> BacktestResult:
    """Read a DEU file, forecast every issue with every method and score them.

    Args:
        path: The DEU file.
        protocols: Protocol runs (names from :func:`backtest_protocols`;
            default all; ``[]`` for none).
        workers: Worker processes for the protocols (default: up to 2 CPUs).
        rounds: Round limit of the protocol runs.
        seed: Bootstrap seed.
        resamples: Bootstrap resamples.

    Returns:
        The result.

    Raises:
        UserError: If the file cannot be read or its layout is wrong.
    """
    data = read_deu(path)
    issues = data.issues
    tick = time.perf_counter()
    predictions = benchmark_predictions(issues)
    seconds = {"benchmarks": time.perf_counter() - tick}
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    at_limit: dict[str, int] = {}
    names = backtest_protocols() if protocols is None else list(protocols)
    if names:
        tick = time.perf_counter()
        forecasts, at_limit, cpu = protocol_predictions(issues, names, workers, rounds)
        predictions.update(forecasts)
        seconds["protocols"] = time.perf_counter() - tick
        seconds["protocols_cpu"] = cpu
    outcomes = np.array([issue.outcome for issue in issues])
    scores = score(predictions, outcomes, [issue.proposal for issue in issues], BASELINE, seed, resamples)
    return BacktestResult(data, predictions, scores, at_limit, seconds, workers)


def write_backtest(result: BacktestResult, out: Path) -> list[Path]:
    """Write ``scores.json``, ``forecasts.csv`` and ``forecasts.png`` into ``out``."""
    import csv

    scores = out / "scores.json"
    scores.write_text(scores_json(result.scores, result.at_limit))
    table = out / "forecasts.csv"
    methods = list(result.predictions)
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["proposal", "issue", "outcome", *methods])
        for k, issue in enumerate(result.data.issues):
            values = [result.predictions[m][k] for m in methods]
            writer.writerow(
                [issue.proposal, issue.issue, issue.outcome, *("" if math.isnan(v) else round(v, 6) for v in values)]
            )
    ordered = [m for m in _ordered(result.scores) if m in result.predictions]
    title = f"{Path(result.data.source).name}: forecast vs recorded outcome (0-100), best MAE first"
    fig = forecast_figure({m: result.predictions[m] for m in ordered}, result.outcomes, title)
    figure = out / "forecasts.png"
    fig.savefig(figure, format="png")
    return [scores, table, figure]
