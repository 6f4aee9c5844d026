"""``negsim bench``: how fast each face of the kernel runs.

Measures, in one process run, runs per second of (a) the Mesa-stepped model,
(b) the batched engine on one core and (c) the batched engine on all cores
(a warm process pool, chunks of the same batch), the peak resident memory
of this process and its workers, and (d) the time a forecast of 2,000 draws
takes in a fresh process on one thread, interpreter start and imports
included (the goal: under 2 s for the Geneva scenario). Timings are
wall-clock; nothing here is a unit test.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
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

__all__ = ["bench", "bench_report", "forecast_seconds", "protocol_rates", "startup", "startup_report"]


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


FORECAST_CODE = """
import time
started = time.perf_counter()
from sim.engine.scenarios import load_scenario
from sim.experiments.forecast import forecast
imported = time.perf_counter()
forecast(load_scenario({path!r}), runs={runs}, protocol={protocol!r})
done = time.perf_counter()
import json
print(json.dumps({{"import": imported - started, "compute": done - imported}}))
"""
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def forecast_seconds(scenario: Scenario, protocol: str, runs: int = 2000) -> dict[str, float]:
    """A forecast of ``runs`` draws in a fresh Python process on one thread, wall-clock.

    Returns:
        ``total`` (interpreter start, imports, loading the file and the
        draws), ``import`` and ``compute`` (loading and drawing), in seconds.
    """
    code = FORECAST_CODE.format(path=str(Path(scenario.source).resolve()), runs=runs, protocol=protocol)
    env = {**os.environ, **ONE_THREAD}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    total = time.perf_counter() - started
    parts = json.loads(done.stdout.strip().splitlines()[-1])
    return {"total": total, "import": parts["import"], "compute": parts["compute"]}


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
    forecast_runs: int = 2000,
) -> dict[str, Any]:
    """Measure the three faces on one scenario.

    Args:
        scenario: The scenario (every run uses it, with its own seed).
        protocol: Protocol name (default: the scenario's).
        runs: Runs for the batched measurements (per core for the parallel one).
        stepped_runs: Runs of the stepped Mesa model.
        workers: Processes for the parallel measurement (default: all cores).
        forecast_runs: Draws of the timed forecast (0: skip it).

    Returns:
        ``stepped_runs_per_s``, ``batched_runs_per_s``,
        ``batched_parallel_runs_per_s``, ``peak_rss_mb``, ``flops`` (per kernel:
        flops per run-round, the rate reached on one core and its distance to
        1e9 flop/s; :mod:`sim.experiments.flops`),
        ``forecast_seconds`` (a fresh process, imports included) with
        ``forecast_import_seconds`` and ``forecast_compute_seconds``,,
        ``protocols`` (runs per second of every protocol, :func:`protocol_rates` on
        ``min(runs, 2000)`` rows) and context.
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
    timed = forecast_seconds(scenario, name, forecast_runs) if forecast_runs else None
    return {
        "stepped_runs_per_s": round(stepped, 1),
        "batched_runs_per_s": round(batched, 1),
        "batched_parallel_runs_per_s": round(parallel, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "speedup_batched_vs_stepped": round(batched / stepped, 1),
        "flops": flop_rates(scenario, runs),
        "forecast_runs": forecast_runs,
        "forecast_seconds": round(timed["total"], 2) if timed else None,
        "forecast_import_seconds": round(timed["import"], 2) if timed else None,
        "forecast_compute_seconds": round(timed["compute"], 2) if timed else None,
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
    text = head + "\n\n" + format_table(["engine", "runs", "runs/s", "vs stepped"], rows)
    if result.get("forecast_seconds") is not None:
        text += (
            f"\n\nForecast of {result['forecast_runs']:,} draws in a fresh process, one thread: "
            f"{result['forecast_seconds']:.2f} s (imports {result['forecast_import_seconds']:.2f} s, "
            f"loading and draws {result['forecast_compute_seconds']:.2f} s; goal for Geneva: under 2 s)"
        )
    return text + _flops_report(result)


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
