"""The sweep runner: chunks, executors, Parquet storage, resume.

``sweep(experiment)`` splits the design into chunks of ``chunk_size`` runs,
computes them serially, on a local process pool or on a Dask cluster
(``distributed.Client(address).get_executor()``), and writes each finished
chunk to ``results/<experiment>/<hash8>/chunk-NNNNN.parquet`` (atomically:
written to a temporary name, then renamed). Rerunning the same command after an
interrupt (Ctrl-C or kill -9) computes only the missing chunks. A chunk's rows
depend only on the experiment and the chunk's range, so every executor gives
the same rows, and no row is lost or duplicated.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.core.compile import compile_params
from sim.core.errors import UserError
from sim.core.scenario import Scenario
from sim.core.slots import apply_values
from sim.core.streams import spawn_seeds
from sim.engine.batch import outcome_table
from sim.engine.kernel import run_kernel
from sim.engine.scenarios import scenario_from_dict
from sim.experiments.spec import Experiment
from sim.protocols import resolve_protocol

__all__ = [
    "MANIFEST",
    "chunk_path",
    "process_context",
    "read_results",
    "run_chunk",
    "sweep",
    "stored_state",
    "sweep_dir",
]

MANIFEST = "manifest.json"
ROOT = Path(__file__).resolve().parents[2]


def sweep_dir(experiment: Experiment, out_root: Path | str = "results") -> Path:
    """``<out_root>/<experiment>/<first 8 hex of the experiment's SHA-256>/``."""
    return Path(out_root) / experiment.name / experiment.sha256[:8]


def chunk_path(directory: Path, index: int) -> Path:
    """The Parquet file of chunk ``index``."""
    return directory / f"chunk-{index:05d}.parquet"


_SCENARIOS: dict[str, Scenario] = {}


def run_chunk(task: dict[str, Any]) -> pd.DataFrame:
    """Compute one chunk (runs in a worker process or on a Dask worker).

    Args:
        task: ``scenario`` (data), ``sha256``, ``protocol``, ``columns``
            (design block), ``seeds``, ``outcomes``, ``start``.

    Returns:
        The chunk's table: ``run`` index, seed, inputs and the requested outcomes.
    """
    key = task["sha256"]
    if key not in _SCENARIOS:
        _SCENARIOS.clear()
        _SCENARIOS[key] = scenario_from_dict(task["scenario"], task.get("source", "<scenario>"))
    scenario = _SCENARIOS[key]
    seeds = np.asarray(task["seeds"], dtype=np.int64)
    n = len(seeds)
    protocol = resolve_protocol(scenario, task["protocol"])
    params = apply_values(compile_params(scenario, n), scenario, task["columns"])
    state = run_kernel(protocol, params, seeds)
    outcomes = task["outcomes"]
    table = outcome_table(scenario, params, state, seeds, task["columns"], nash="distance_to_nash" in outcomes)
    keep = ["seed", *task["columns"], *outcomes]
    table = table[keep]
    table.insert(0, "run", np.arange(task["start"], task["start"] + n, dtype=np.int64))
    return table


def _tasks(experiment: Experiment, todo: list[int], seeds: np.ndarray) -> Iterator[tuple[int, dict]]:
    design = experiment.build_design()
    size = experiment.chunk_size
    for index in todo:
        start, stop = index * size, min((index + 1) * size, design.rows)
        yield (
            index,
            {
                "scenario": dict(experiment.scenario.data),
                "source": experiment.scenario.source,
                "sha256": experiment.scenario.sha256,
                "protocol": experiment.protocol,
                "columns": design.block(start, stop),
                "seeds": seeds[start:stop],
                "outcomes": list(experiment.outcomes),
                "start": start,
            },
        )


def _write_chunk(directory: Path, index: int, table: pd.DataFrame) -> None:
    target = chunk_path(directory, index)
    tmp = target.with_suffix(".parquet.tmp")
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp)
    os.replace(tmp, target)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in ("negsim", "numpy", "scipy", "pandas", "pyarrow", "mesa", "SALib", "dask", "distributed"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git_state() -> tuple[str | None, bool | None]:
    """The source tree's git commit and whether it has uncommitted changes (None, None outside git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "sim"], cwd=ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    return head.stdout.strip() or None, bool(status.stdout.strip())


def _write_manifest(directory: Path, experiment: Experiment, chunks: int, command: list[str]) -> None:
    path = directory / MANIFEST
    commit, dirty = _git_state()
    invocation = {"command": command, "git_commit": commit, "git_dirty": dirty, "versions": _versions()}
    if path.exists():
        manifest = json.loads(path.read_text())
        before = (manifest.get("versions", {}).get("negsim"), manifest.get("git_commit"))
        now = (invocation["versions"]["negsim"], commit)
        if any(directory.glob("chunk-*.parquet")) and (
            before[0] != now[0] or (before[1] and now[1] and before[1] != now[1])
        ):
            raise UserError.at(
                str(directory),
                "",
                f"holds runs of negsim {before[0]} (commit {str(before[1])[:10]}); this is negsim {now[0]} "
                f"(commit {str(now[1])[:10]}): resuming would mix their rows. Use another --out, or move "
                "this folder away to start again",
            )
        manifest.setdefault("resumed", []).append(invocation)
    else:
        manifest = {
            "experiment": experiment.resolved(),
            "sha256": experiment.sha256,
            "root_seed": experiment.seed,
            "rows": experiment.rows,
            "chunk_size": experiment.chunk_size,
            "chunks": chunks,
            "source": experiment.source,
            **invocation,
        }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def _executor(workers: int | None, scheduler: str | None):
    """``(executor, client)``: Dask when a scheduler address is given, else a process pool."""
    if scheduler:
        from distributed import Client

        client = Client(scheduler)
        return client.get_executor(), client
    pool = cf.ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=process_context(),
        initializer=_watch_driver,
        initargs=(os.getpid(),),
    )
    return pool, None


def _watch_driver(driver: int) -> None:
    """In a worker: exit when the sweep that started it is gone (e.g. after kill -9)."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(driver, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, daemon=True).start()


def process_context():
    """A forkserver context whose server has ``sim`` imported (fast worker start).

    Importing mesa switches the default start method to ``spawn``, which would
    re-import everything in every worker; a preloaded forkserver forks workers
    from a process that already has numpy, scipy and ``sim`` in memory.
    """
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.experiments.sweep"])
    return context


def sweep(
    experiment: Experiment,
    out_root: Path | str = "results",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    command: list[str] | None = None,
) -> Path:
    """Run (or resume) an experiment and store its results.

    Args:
        experiment: The validated experiment.
        out_root: Folder under which ``<experiment>/<hash8>/`` is written.
        workers: Local processes (1 = serial in this process; default: all cores).
        scheduler: Address of a Dask scheduler (``tcp://host:port``).
        progress: Show a tqdm progress bar.
        command: The command line, for the manifest.

    Returns:
        The results folder.
    """
    from tqdm import tqdm

    directory = sweep_dir(experiment, out_root)
    directory.mkdir(parents=True, exist_ok=True)
    with _lock(directory):
        return _sweep_locked(experiment, directory, workers, scheduler, progress, command, tqdm)


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """One sweep writes a results folder at a time (a stale lock of a dead process is taken over)."""
    path = directory / "sweep.lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
                os.kill(pid, 0)
            except (ValueError, ProcessLookupError, FileNotFoundError):
                path.unlink(missing_ok=True)  # the process that held it is gone
                continue
            except PermissionError:
                pass
            message = f"another sweep (pid {pid}) is writing here; wait for it or stop it"
            raise UserError.at(str(directory), "", message) from None
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _sweep_locked(experiment, directory, workers, scheduler, progress, command, tqdm) -> Path:
    for stale in directory.glob("*.tmp"):
        stale.unlink()
    rows = experiment.rows
    chunks = -(-rows // experiment.chunk_size)
    _write_manifest(directory, experiment, chunks, command or sys.argv)
    todo = [k for k in range(chunks) if not chunk_path(directory, k).exists()]
    if not todo:
        return directory
    seeds = spawn_seeds(experiment.seed, rows)
    done_rows = sum(min(experiment.chunk_size, rows - k * experiment.chunk_size) for k in range(chunks)) - sum(
        min(experiment.chunk_size, rows - k * experiment.chunk_size) for k in todo
    )
    bar = tqdm(total=rows, initial=done_rows, unit="run", disable=not progress, desc=experiment.name)
    try:
        if not scheduler and (workers == 1 or len(todo) == 1):
            for index, task in _tasks(experiment, todo, seeds):
                table = run_chunk(task)
                _write_chunk(directory, index, table)
                bar.update(len(table))
        else:
            executor, client = _executor(workers, scheduler)
            try:
                in_flight: dict[cf.Future, int] = {}
                limit = 2 * (workers or os.cpu_count() or 1) if not scheduler else 64
                tasks = _tasks(experiment, todo, seeds)
                for index, task in tasks:
                    in_flight[executor.submit(run_chunk, task)] = index
                    if len(in_flight) >= limit:
                        _drain(in_flight, directory, bar, block=True)
                while in_flight:
                    _drain(in_flight, directory, bar, block=True)
            except BaseException:
                for future in in_flight:
                    future.cancel()
                raise
            finally:
                if client is None:
                    executor.shutdown(wait=True, cancel_futures=True)
                else:
                    executor.shutdown(wait=False)
                    client.close()
    finally:
        bar.close()
    return directory


def _drain(in_flight: dict, directory: Path, bar, block: bool) -> None:
    finished, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED if block else cf.ALL_COMPLETED)
    for future in finished:
        index = in_flight.pop(future)
        table = future.result()
        _write_chunk(directory, index, table)
        bar.update(len(table))


def read_results(directory: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """The finished runs of a sweep, in run order (only the chunks written so far).

    Args:
        directory: The sweep's results folder.
        columns: Columns to read (default: all).
    """
    files = sorted(Path(directory).glob("chunk-*.parquet"))
    if not files:
        return pd.DataFrame(columns=columns or [])
    tables = [pq.read_table(f, columns=columns) for f in files]
    return pa.concat_tables(tables).to_pandas()


def stored_state(experiment: Experiment, out_root: Path | str = "results") -> str | None:
    """What a sweep's results folder already holds, in words, or None when it holds no chunk yet.

    ``"already complete: 117 of 117 runs stored in DIR; nothing to run"`` or
    ``"resuming: 2,048 of 16,384 runs already stored in DIR (4 of 32 chunks)"``.
    """
    directory = sweep_dir(experiment, out_root)
    rows, size = experiment.rows, experiment.chunk_size
    chunks = -(-rows // size)
    done = [k for k in range(chunks) if chunk_path(directory, k).exists()]
    if not done:
        return None
    stored = sum(min(size, rows - k * size) for k in done)
    if len(done) == chunks:
        return f"already complete: {stored:,} of {rows:,} runs stored in {directory}; nothing to run"
    return f"resuming: {stored:,} of {rows:,} runs already stored in {directory} ({len(done)} of {chunks} chunks)"
