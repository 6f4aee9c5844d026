"""A sweep's cost, estimated before it starts, and refused past the user's limits.

Before any chunk runs, :func:`estimate` times a pilot: a few rows spread over
the design, run exactly as a chunk runs them (nothing is stored), doubled in
size until the pilot takes a measurable time. From it come the computing time
of the whole design on the available workers and the memory of one chunk
(measured with ``tracemalloc``, which sees numpy's arrays). :func:`check` then
refuses a sweep whose rows, time or memory exceed the limits of
:data:`sim.core.schema.SWEEP_LIMITS` (``negsim sweep --max-runs``,
``--max-minutes``, ``--max-memory`` raise them).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.errors import UserError
from sim.core.schema import SWEEP_LIMITS
from sim.experiments.samplers import Design
from sim.experiments.spec import Experiment

__all__ = ["WORKER_MB", "Estimate", "before_design", "check", "estimate", "limits_with_defaults"]

WORKER_MB = 200
"""Resident memory of an idle worker process (Python, numpy, scipy, pandas, pyarrow), in MB."""
PILOT_SECONDS = 0.25
"""The pilot grows until it takes this long (or reaches :data:`PILOT_ROWS`)."""
PILOT_ROWS = 256


@dataclass(frozen=True)
class Estimate:
    """What a sweep will cost.

    Attributes:
        rows: Runs to compute (the chunks not yet stored).
        seconds: Estimated wall-clock computing time.
        memory_mb: Estimated peak resident memory on this machine (driver and local workers).
        chunk_mb: Estimated memory one chunk takes while computed.
        parallel: Chunks computed at once.
    """

    rows: int
    seconds: float
    memory_mb: float
    chunk_mb: float
    parallel: int

    def describe(self) -> str:
        """E.g. ``"about 3 min on 2 workers, peak memory about 900 MB"``."""
        if self.seconds < 90:
            duration = f"{max(self.seconds, 1):.0f} s"
        elif self.seconds < 90 * 60:
            duration = f"{self.seconds / 60:.0f} min"
        else:
            duration = f"{self.seconds / 3600:.1f} h"
        workers = f"{self.parallel} worker{'s' if self.parallel > 1 else ''}"
        return f"about {duration} on {workers}, peak memory about {self.memory_mb:,.0f} MB"


def limits_with_defaults(limits: Mapping[str, float] | None) -> dict[str, float]:
    """The sweep limits: the defaults of :data:`SWEEP_LIMITS`, overridden by ``limits``."""
    out = {key: float(item.default) for key, item in SWEEP_LIMITS.items()}
    out.update({k: float(v) for k, v in (limits or {}).items() if v is not None})
    return out


def _rss_mb() -> float:
    """This process's resident memory now, in MB."""
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def _design_mb(experiment: Experiment) -> float:
    """Memory of the design's columns, a seed per row, and the temporaries of building them."""
    return experiment.rows * (len(experiment.parameters) + 1) * 8 * 3 / 1e6


def before_design(experiment: Experiment) -> Estimate:
    """What can be known before the design is built: its rows and the memory building it takes."""
    return Estimate(experiment.rows, 0.0, _rss_mb() + _design_mb(experiment), 0.0, 1)


def _pilot_task(experiment: Experiment, design: Design, seeds: np.ndarray, rows: np.ndarray, task: Callable) -> dict:
    columns = {path: values[rows] for path, values in design.columns.items()}
    return task(experiment, columns, seeds[rows], 0)


def estimate(
    experiment: Experiment,
    design: Design,
    seeds: np.ndarray,
    todo_rows: int,
    parallel: int,
    local_workers: int,
    run: Callable[[dict], Any],
    task: Callable[[Experiment, dict, np.ndarray, int], dict],
) -> Estimate:
    """Time and measure a pilot of the design, and scale it up.

    Args:
        experiment: The experiment.
        design: Its design (every row already checked).
        seeds: Every run's seed.
        todo_rows: Rows still to compute.
        parallel: Chunks computed at once (workers, or a cluster's threads).
        local_workers: Worker processes on this machine (0: serial, or a cluster).
        run: Computes a task (``run_chunk``).
        task: Builds a task from columns, seeds and a start row.

    Returns:
        The estimate.
    """
    rows = design.rows
    n, per_row, elapsed = 0, 0.0, 0.0
    if todo_rows and rows > 8:
        n = 4
        while True:
            pick = np.unique(np.linspace(0, rows - 1, min(n, rows)).round().astype(np.int64))
            start = time.perf_counter()
            run(_pilot_task(experiment, design, seeds, pick, task))
            elapsed = time.perf_counter() - start
            per_row = elapsed / len(pick)
            if elapsed >= PILOT_SECONDS or n >= PILOT_ROWS or 4 * n > rows:
                break
            n *= 4
    chunk_mb = 0.0
    if todo_rows:
        sizes = [m for m in (8, 32) if m <= rows] or [rows]
        peaks = []
        for m in sizes:
            pick = np.unique(np.linspace(0, rows - 1, m).round().astype(np.int64))
            tracemalloc.start()
            try:
                run(_pilot_task(experiment, design, seeds, pick, task))
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        slope = max((peaks[-1] - peaks[0]) / (sizes[-1] - sizes[0]), 0.0) if len(sizes) > 1 else peaks[0] / sizes[0]
        chunk = min(experiment.chunk_size, rows)
        chunk_mb = (peaks[0] + slope * max(chunk - sizes[0], 0)) / 1e6
    design_mb = _design_mb(experiment)
    table_mb = min(experiment.chunk_size, rows) * (len(design.columns) + len(experiment.outcomes) + 2) * 8 / 1e6
    in_flight = 2 * max(parallel, 1) * table_mb
    memory = _rss_mb() + design_mb + in_flight
    memory += local_workers * (WORKER_MB + chunk_mb) if local_workers else (chunk_mb if parallel <= 1 else 0.0)
    seconds = todo_rows * per_row / max(1, min(parallel, -(-todo_rows // experiment.chunk_size)))
    return Estimate(todo_rows, seconds, memory, chunk_mb, parallel)


def check(experiment: Experiment, cost: Estimate, limits: Mapping[str, float]) -> None:
    """Refuse a sweep past its limits.

    Raises:
        UserError: Naming the experiment file, the estimate and the flag that raises the limit.
    """
    problems = []
    runs = SWEEP_LIMITS["runs"]
    if experiment.rows > limits["runs"]:
        problems.append(
            f"the design has {experiment.rows:,} runs, more than the limit of {limits['runs']:,.0f} "
            f"(raise it with {runs.flag})"
        )
    minutes = SWEEP_LIMITS["minutes"]
    if cost.seconds > 60 * limits["minutes"]:
        problems.append(
            f"estimated computing time {cost.seconds / 60:,.1f} min ({cost.describe()}) exceeds the limit of "
            f"{limits['minutes']:g} min (raise it with {minutes.flag}, or use fewer runs or more workers)"
        )
    memory = SWEEP_LIMITS["memory"]
    if cost.memory_mb > limits["memory"]:
        problems.append(
            f"estimated peak memory {cost.memory_mb:,.0f} MB"
            + (f" ({cost.chunk_mb:,.0f} MB per chunk)" if cost.chunk_mb else " (the design itself)")
            + " exceeds the limit "
            f"of {limits['memory']:,.0f} MB (raise it with {memory.flag}, or lower chunk_size or --workers)"
        )
    if problems:
        raise UserError([UserError.at(experiment.source, "experiment", p).problems[0] for p in problems])
