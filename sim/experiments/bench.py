"""``negsim bench``: how fast each face of the kernel runs.

Measures, in one process run, runs per second of (a) the Mesa-stepped model,
(b) the batched engine on one core and (c) the batched engine on all cores
(a warm process pool, chunks of the same batch), and the peak resident memory
of this process and its workers. Timings are wall-clock; nothing here is a
unit test.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import resource
import time
from typing import Any

import numpy as np

from sim.core.compile import compile_params
from sim.core.scenario import Scenario
from sim.core.streams import spawn_seeds
from sim.engine.kernel import run_kernel
from sim.engine.model import NegotiationModel
from sim.engine.scenarios import scenario_from_dict
from sim.experiments.flops import FLOP_LIMIT, flop_rates
from sim.protocols import protocol_names, resolve_protocol

__all__ = ["bench", "bench_report", "protocol_rates", "startup", "startup_report"]


def _batched(scenario: Scenario, protocol: str, seeds: np.ndarray) -> int:
    params = compile_params(scenario, len(seeds))
    run_kernel(resolve_protocol(scenario, protocol), params, seeds)
    return len(seeds)


def _worker_chunk(task: tuple[dict, str, np.ndarray]) -> int:
    data, protocol, seeds = task
    return _batched(scenario_from_dict(data), protocol, seeds)


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # Linux reports kilobytes


def protocol_rates(scenario: Scenario, runs: int = 2_000) -> dict[str, float]:
    """Runs per second of every protocol on the scenario in the batched engine, one core (CPU time).

    Each protocol plays ``runs`` rows in one batch after a warm-up of 100 rows (which also fills
    the caches kept per bargaining problem, e.g. zeuthen's candidate offers).
    """
    out: dict[str, float] = {}
    for name in protocol_names():
        protocol = resolve_protocol(scenario, name)
        run_kernel(protocol, compile_params(scenario, 100), spawn_seeds(0, 100))  # warm-up
        params, seeds = compile_params(scenario, runs), spawn_seeds(1, runs)
        started = time.process_time()
        run_kernel(protocol, params, seeds)
        out[name] = round(runs / (time.process_time() - started), 1)
    return out


def bench(
    scenario: Scenario,
    protocol: str | None = None,
    runs: int = 20_000,
    stepped_runs: int = 200,
    workers: int | None = None,
) -> dict[str, Any]:
    """Measure the three faces on one scenario.

    Args:
        scenario: The scenario (every run uses it, with its own seed).
        protocol: Protocol name (default: the scenario's).
        runs: Runs for the batched measurements (per core for the parallel one).
        stepped_runs: Runs of the stepped Mesa model.
        workers: Processes for the parallel measurement (default: all cores).

    Returns:
        ``stepped_runs_per_s``, ``batched_runs_per_s``,
        ``batched_parallel_runs_per_s``, ``peak_rss_mb``, ``flops`` (per kernel:
        flops per run-round, the rate reached on one core and its distance to
        1e9 flop/s; :mod:`sim.experiments.flops`), ``protocols`` (runs per
        second of every protocol, :func:`protocol_rates` on ``min(runs, 2000)``
        rows) and context.
    """
    from sim.experiments.sweep import process_context

    name = resolve_protocol(scenario, protocol).name
    cores = workers or os.cpu_count() or 1
    started = time.perf_counter()
    for seed in range(stepped_runs):
        model = NegotiationModel(scenario, name, seed=seed).run_to_end()
        model.release()
    stepped = stepped_runs / (time.perf_counter() - started)

    _batched(scenario, name, spawn_seeds(0, 100))  # warm-up
    seeds = spawn_seeds(1, runs)
    started = time.perf_counter()
    _batched(scenario, name, seeds)
    batched = runs / (time.perf_counter() - started)

    total = runs * cores
    seeds = spawn_seeds(2, total)
    chunks = np.array_split(seeds, cores * 2)
    data = dict(scenario.data)
    with cf.ProcessPoolExecutor(max_workers=cores, mp_context=process_context()) as pool:
        list(pool.map(_worker_chunk, [(data, name, spawn_seeds(3, 100))] * cores))  # warm the workers
        started = time.perf_counter()
        done = sum(pool.map(_worker_chunk, [(data, name, c) for c in chunks]))
        parallel = done / (time.perf_counter() - started)
    return {
        "stepped_runs_per_s": round(stepped, 1),
        "batched_runs_per_s": round(batched, 1),
        "batched_parallel_runs_per_s": round(parallel, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "speedup_batched_vs_stepped": round(batched / stepped, 1),
        "flops": flop_rates(scenario, runs),
        "protocols": protocol_rates(scenario, min(runs, 2_000)),
        "scenario": scenario.name,
        "protocol": name,
        "runs": runs,
        "stepped_runs": stepped_runs,
        "cores": cores,
    }


def bench_report(result: dict[str, Any]) -> str:
    """The measurements as a table."""
    from sim.report.tables import format_table

    rows = [
        ["Mesa-stepped model", f"{result['stepped_runs']}", f"{result['stepped_runs_per_s']:,.0f}", "1x"],
        [
            "batched engine, 1 core",
            f"{result['runs']}",
            f"{result['batched_runs_per_s']:,.0f}",
            f"{result['batched_runs_per_s'] / result['stepped_runs_per_s']:,.0f}x",
        ],
        [
            f"batched engine, {result['cores']} cores",
            f"{result['runs'] * result['cores']}",
            f"{result['batched_parallel_runs_per_s']:,.0f}",
            f"{result['batched_parallel_runs_per_s'] / result['stepped_runs_per_s']:,.0f}x",
        ],
    ]
    head = f"{result['scenario']} / {result['protocol']}: runs per second (peak RSS {result['peak_rss_mb']:.0f} MB)"
    return head + "\n\n" + format_table(["engine", "runs", "runs/s", "vs stepped"], rows) + _flops_report(result)


def _flops_report(result: dict[str, Any]) -> str:
    from sim.report.tables import format_table

    if "flops" not in result:
        return ""
    rows = [
        [
            name,
            f"{k['flops_per_run_round']:,}",
            f"{k['run_rounds_per_s']:,.0f}",
            f"{k['flop_per_s']:.3g}",
            f"{k['limit_ratio']:.2f}x",
        ]
        for name, k in result["flops"].items()
    ]
    head = (
        f"\n\nflops (analytic count per run and round, a lower bound; batched engine, 1 core, CPU time; "
        f"limit {FLOP_LIMIT:.0e} flop/s)\n\n"
    )
    return head + format_table(["kernel", "flops/run-round", "run-rounds/s", "flop/s", "limit / rate"], rows)


def _wall(command: list[str], repeats: int) -> float:
    """Median wall time of a whole process, in seconds."""
    import statistics
    import subprocess

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def startup(scenario_path: str, repeats: int = 5) -> dict[str, Any]:
    """Start-up costs as a user meets them: whole processes, median of ``repeats`` runs after a warm-up.

    Wall time of ``negsim --help``, ``negsim run --no-figures`` and ``negsim run``
    on the scenario, of a bare ``python -c pass`` for reference, and how many
    modules ``import sim`` loads.

    Args:
        scenario_path: The scenario file.
        repeats: Runs per command (the median is reported).
    """
    import subprocess
    import sys
    import tempfile

    python = sys.executable
    cli = [python, "-m", "sim.cli"]
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "python_bare_s": [python, "-c", "pass"],
            "help_s": [*cli, "--help"],
            "run_no_figures_s": [*cli, "run", scenario_path, "--no-figures", "--out", f"{out}/a"],
            "run_s": [*cli, "run", scenario_path, "--out", f"{out}/b"],
        }
        for command in commands.values():  # warm the file cache
            subprocess.run(command, check=True, capture_output=True)
        result: dict[str, Any] = {name: round(_wall(c, repeats), 3) for name, c in commands.items()}
    count = subprocess.run(
        [python, "-c", "import sys, sim; print(len(sys.modules))"], check=True, capture_output=True, text=True
    )
    result["import_sim_modules"] = int(count.stdout)
    result["repeats"] = repeats
    result["scenario"] = scenario_path
    return result


def startup_report(result: dict[str, Any]) -> str:
    """Start-up figures as a table."""
    from sim.report.tables import format_table

    rows = [
        ["python -c pass", f"{result['python_bare_s']:.3f}"],
        ["negsim --help", f"{result['help_s']:.3f}"],
        ["negsim run --no-figures", f"{result['run_no_figures_s']:.3f}"],
        ["negsim run (with figures)", f"{result['run_s']:.3f}"],
    ]
    head = (
        f"start-up on {result['scenario']}: wall seconds, median of {result['repeats']} "
        f"(import sim loads {result['import_sim_modules']} modules)"
    )
    return head + "\n" + format_table(["command", "wall s"], rows)
