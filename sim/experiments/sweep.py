"""The sweep runner: chunks, executors, Parquet storage, resume.

``sweep(experiment)`` checks every sample of the design against the scenario
rules, estimates the cost and refuses it past the limits (see
:mod:`sim.experiments.budget`), then splits the design into chunks of
``chunk_size`` runs, computes them serially, on a local process pool or on a
Dask cluster (``distributed.Client(address).get_executor()``), and writes each
finished chunk to ``results/<experiment>/<hash8>/chunk-NNNNN.parquet``
(atomically: written to a temporary name, then renamed). Rerunning the same
command after an interrupt (Ctrl-C or kill -9) computes only the missing
chunks. A chunk's rows depend only on the experiment and the chunk's range,
and every worker computes with its numerical thread pools pinned to the same
count (one by default): every executor writes the same bytes. Each chunk
records the numerical settings it was computed under; a folder never mixes
rows of different settings, negsim versions or commits. One sweep writes a
folder at a time (an OS lock, released when the process dies), and a sweep
deletes only files sweeps make.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
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
from sim.core.threads import numerical_threads, numerics, pin_threads
from sim.engine.batch import outcome_table
from sim.engine.kernel import run_kernel
from sim.engine.scenarios import scenario_from_dict
from sim.experiments import budget
from sim.experiments.spec import Experiment, check_design
from sim.protocols import resolve_protocol

__all__ = [
    "ANALYSIS_FILES",
    "MANIFEST",
    "chunk_path",
    "chunk_task",
    "process_context",
    "read_results",
    "run_chunk",
    "sweep",
    "sweep_dir",
]

MANIFEST = "manifest.json"
LOCK = "sweep.lock"
ANALYSIS_FILES = (
    "agreement_heatmap.png",
    "outcome_heatmaps.png",
    "deal_distribution.png",
    "outcomes_vs_parameters.png",
    "sensitivity.png",
    "prim.png",
    "summary.json",
)
"""The files ``negsim analyze`` writes into a sweep's folder."""
NUMERICS_KEY = b"negsim.numerics"
"""Parquet metadata key of the numerical settings a chunk was computed under."""
_WRITTEN = r"(chunk-\d{5}\.parquet|" + "|".join(re.escape(n) for n in (MANIFEST, *ANALYSIS_FILES)) + ")"
_OWN = re.compile(rf"({_WRITTEN}(\.tmp)?|{re.escape(LOCK)})")
"""Names of the files sweeps and the analysis write in a results folder."""
_OWN_TMP = re.compile(rf"{_WRITTEN}\.tmp")
"""Names of their temporary files (the only files a sweep deletes)."""
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
            (design block), ``seeds``, ``outcomes``, ``start``, ``threads``
            (numerical threads) and ``pin`` (pin them for the whole process:
            in workers, which compute nothing else).

    Returns:
        The chunk's table: ``run`` index, seed, inputs and the requested
        outcomes; ``attrs["numerics"]`` holds the numerical settings.
    """
    threads = int(task.get("threads", 1))
    if task.get("pin"):
        pin_threads(threads)
    with numerical_threads(threads):
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
        table.attrs["numerics"] = numerics(threads)
    return table


def chunk_task(experiment: Experiment, columns: dict, seeds: np.ndarray, start: int, threads: int = 1) -> dict:
    """The task :func:`run_chunk` computes: rows ``start...`` with these design columns and seeds."""
    return {
        "scenario": dict(experiment.scenario.data),
        "source": experiment.scenario.source,
        "sha256": experiment.scenario.sha256,
        "protocol": experiment.protocol,
        "columns": columns,
        "seeds": seeds,
        "outcomes": list(experiment.outcomes),
        "start": start,
        "threads": threads,
    }


def _tasks(
    experiment: Experiment, design, todo: list[int], seeds: np.ndarray, threads: int, pin: bool
) -> Iterator[tuple[int, dict]]:
    size = experiment.chunk_size
    for index in todo:
        start, stop = index * size, min((index + 1) * size, design.rows)
        task = chunk_task(experiment, design.block(start, stop), seeds[start:stop], start, threads)
        task["pin"] = pin
        yield index, task


class _Folder:
    """A sweep's results folder: its manifest, and the numerical settings its rows were computed under."""

    def __init__(self, directory: Path, experiment: Experiment) -> None:
        self.directory = directory
        self.experiment = experiment
        self.manifest: dict[str, Any] = {}

    def write_chunk(self, index: int, table: pd.DataFrame) -> None:
        """Store a chunk (atomically), refusing rows computed under other numerical settings."""
        settings = table.attrs.get("numerics")
        recorded = self.manifest.get("numerics")
        if recorded is None:
            self.manifest["numerics"] = settings
            self.save_manifest()
        elif settings != recorded:
            raise UserError.at(
                str(self.directory),
                "",
                f"a worker computes under numerical settings {_settings(settings)}, but the rows here were computed "
                f"under {_settings(recorded)}: storing them would mix rows that may differ in the last digits. "
                "Give every worker the same libraries, or use another --out",
            )
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        metadata = {k: v for k, v in (arrow.schema.metadata or {}).items() if k != b"pandas"}
        pandas_meta = json.loads(arrow.schema.metadata[b"pandas"])
        pandas_meta.pop("attributes", None)
        metadata[b"pandas"] = json.dumps(pandas_meta).encode()
        metadata[NUMERICS_KEY] = json.dumps(settings, sort_keys=True).encode()
        target = chunk_path(self.directory, index)
        tmp = target.with_name(target.name + ".tmp")
        pq.write_table(arrow.replace_schema_metadata(metadata), tmp)
        os.replace(tmp, target)

    def save_manifest(self) -> None:
        path = self.directory / MANIFEST
        tmp = path.with_name(MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=2, default=str) + "\n")
        os.replace(tmp, path)


def _settings(settings: Any) -> str:
    if not isinstance(settings, dict):
        return "unknown"
    libraries = ", ".join(f"{lib.get('library')} {lib.get('version')}" for lib in settings.get("libraries", []))
    return (
        f"(numpy {settings.get('numpy')}, scipy {settings.get('scipy')}, {libraries or 'no BLAS'}, "
        f"{settings.get('threads')} thread(s))"
    )


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


def _open_manifest(folder: _Folder, chunks: int, command: list[str], threads: int, local: bool) -> None:
    """Write a new manifest, or add this invocation to the existing one if resuming may not mix rows."""
    directory, experiment = folder.directory, folder.experiment
    path = directory / MANIFEST
    commit, dirty = _git_state()
    invocation = {
        "command": command,
        "git_commit": commit,
        "git_dirty": dirty,
        "versions": _versions(),
        "threads": threads,
    }
    stored = any(directory.glob("chunk-*.parquet"))
    if path.exists():
        try:
            manifest = json.loads(path.read_text())
            if not isinstance(manifest, dict):
                raise ValueError("not a table")
        except (OSError, ValueError) as exc:
            raise UserError.at(
                str(path), "", f"is not a sweep manifest ({exc}); move the folder away to start again"
            ) from None
        before = (manifest.get("versions", {}).get("negsim"), manifest.get("git_commit"))
        now = (invocation["versions"]["negsim"], commit)
        if stored and (before[0] != now[0] or (before[1] and now[1] and before[1] != now[1])):
            raise UserError.at(
                str(directory),
                "",
                f"holds runs of negsim {before[0]} (commit {str(before[1])[:10]}); this is negsim {now[0]} "
                f"(commit {str(now[1])[:10]}): resuming would mix their rows. Use another --out, or move "
                "this folder away to start again",
            )
        recorded = manifest.get("numerics")
        here = numerics(threads)
        if stored and local and recorded is not None and recorded != here:
            raise UserError.at(
                str(directory),
                "",
                f"holds rows computed under numerical settings {_settings(recorded)}; this sweep would compute "
                f"under {_settings(here)}: resuming would mix rows that may differ in the last digits. Use the "
                "same settings (--blas-threads), another --out, or move this folder away to start again",
            )
        if not stored:
            manifest["numerics"] = None
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
            "numerics": None,
            **invocation,
        }
    folder.manifest = manifest
    folder.save_manifest()


def _connect(scheduler: str):
    """A Dask client, or a one-line error naming the address."""
    try:
        from distributed import Client

        return Client(scheduler, timeout="10s")
    except (OSError, ValueError, TypeError) as exc:
        raise UserError.at("--scheduler", "", f"cannot reach {scheduler}: {exc}") from None


def _worker_start(driver: int, threads: int) -> None:
    """In a pool worker: pin the numerical threads, and exit when the sweep that started it is gone."""
    import threading
    import time

    pin_threads(threads)

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


def _check_folder(directory: Path, force: bool) -> None:
    """Refuse a results folder that holds files sweeps do not make (unless ``force``)."""
    if directory.exists() and not directory.is_dir():
        raise UserError.at(str(directory), "", "exists and is not a folder")
    if not directory.is_dir() or force:
        return
    foreign = sorted(p.name for p in directory.iterdir() if not _OWN.fullmatch(p.name) or p.is_dir())
    if foreign:
        listed = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UserError.at(
            str(directory),
            "",
            f"holds files a sweep did not write ({listed}); move them away, use another --out, or pass --force",
        )


def sweep(
    experiment: Experiment,
    out_root: Path | str = "results",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    command: list[str] | None = None,
    limits: Mapping[str, float] | None = None,
    force: bool = False,
    threads: int = 1,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Run (or resume) an experiment and store its results.

    Args:
        experiment: The validated experiment.
        out_root: Folder under which ``<experiment>/<hash8>/`` is written.
        workers: Local processes (1 = serial in this process; default: all cores).
        scheduler: Address of a Dask scheduler (``tcp://host:port``).
        progress: Show a tqdm progress bar.
        command: The command line, for the manifest.
        limits: ``{"runs", "minutes", "memory"}`` overriding the defaults of
            :data:`sim.core.schema.SWEEP_LIMITS`.
        force: Write into a results folder even if it holds other files.
        threads: Numerical threads (BLAS, OpenMP) per worker; recorded with
            every chunk, and a folder's rows all share one setting.
        log: Receives one line about the estimated cost (e.g. ``print``).

    Returns:
        The results folder.

    Raises:
        UserError: If a sample breaks a scenario rule, the sweep exceeds a
            limit, the folder holds other files or another sweep's rows.
    """
    from tqdm import tqdm

    limits = budget.limits_with_defaults(limits)
    budget.check(experiment, budget.before_design(experiment), limits)  # rows, and the design's own memory
    design = check_design(experiment)  # every sample passes the scenario's rules, before any run
    directory = sweep_dir(experiment, out_root)
    _check_folder(directory, force)
    chunks = -(-design.rows // experiment.chunk_size)
    todo = [k for k in range(chunks) if not chunk_path(directory, k).exists()]
    todo_rows = sum(min(experiment.chunk_size, design.rows - k * experiment.chunk_size) for k in todo)
    seeds = spawn_seeds(experiment.seed, design.rows)
    client = _connect(scheduler) if scheduler else None
    try:
        if client is not None:
            parallel, local_workers = max(1, sum(client.nthreads().values())), 0
        else:
            parallel = 1 if workers == 1 or len(todo) <= 1 else (workers or os.cpu_count() or 1)
            local_workers = 0 if parallel == 1 else min(parallel, len(todo))
        with numerical_threads(threads):
            cost = budget.estimate(experiment, design, seeds, todo_rows, parallel, local_workers, run_chunk, chunk_task)
        budget.check(experiment, cost, limits)
        if log is not None and todo_rows:
            log(f"estimated cost: {cost.describe()}")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError.at(str(directory), "", f"cannot create: {exc.strerror or exc}") from None
        with _lock(directory):
            return _sweep_locked(
                experiment, design, seeds, directory, workers, client, progress, command, threads, tqdm
            )
    finally:
        if client is not None:
            client.close()


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """One sweep writes a results folder at a time.

    An OS lock (``flock``) on ``sweep.lock``: the kernel releases it when the
    process ends, however it ends, so a lock left by a killed sweep never
    blocks the folder, whatever process now has its pid. The file holds the
    writer's pid, for the message.
    """
    import fcntl

    path = directory / LOCK
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise UserError.at(
                str(directory), "", f"another sweep (pid {holder}) is writing here; wait for it or stop it"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous holder removed the file as we opened it: lock the new one
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _sweep_locked(experiment, design, seeds, directory, workers, client, progress, command, threads, tqdm) -> Path:
    for stale in directory.iterdir():  # only the temporary files sweeps make (an interrupted chunk)
        if _OWN_TMP.fullmatch(stale.name) and stale.is_file():
            stale.unlink()
    rows = design.rows
    chunks = -(-rows // experiment.chunk_size)
    todo = [k for k in range(chunks) if not chunk_path(directory, k).exists()]
    serial = client is None and (workers == 1 or len(todo) <= 1)
    folder = _Folder(directory, experiment)
    _open_manifest(folder, chunks, command or sys.argv, threads, local=client is None)
    if not todo:
        return directory
    done_rows = rows - sum(min(experiment.chunk_size, rows - k * experiment.chunk_size) for k in todo)
    bar = tqdm(total=rows, initial=done_rows, unit="run", disable=not progress, desc=experiment.name)
    try:
        tasks = _tasks(experiment, design, todo, seeds, threads, pin=not serial)
        if serial:
            for index, task in tasks:
                table = run_chunk(task)
                folder.write_chunk(index, table)
                bar.update(len(table))
        else:
            _parallel(tasks, folder, bar, workers, client, threads)
    finally:
        bar.close()
    return directory


def _parallel(tasks, folder: _Folder, bar, workers: int | None, client, threads: int) -> None:
    if client is not None:
        executor, limit = client.get_executor(), 64
    else:
        executor = cf.ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1,
            mp_context=process_context(),
            initializer=_worker_start,
            initargs=(os.getpid(), threads),
        )
        limit = 2 * (workers or os.cpu_count() or 1)
    in_flight: dict[cf.Future, int] = {}
    try:
        for index, task in tasks:
            in_flight[executor.submit(run_chunk, task)] = index
            if len(in_flight) >= limit:
                _drain(in_flight, folder, bar)
        while in_flight:
            _drain(in_flight, folder, bar)
    except BaseException:
        for future in in_flight:
            future.cancel()
        raise
    finally:
        if client is None:
            executor.shutdown(wait=True, cancel_futures=True)
        else:
            executor.shutdown(wait=False)


def _drain(in_flight: dict, folder: _Folder, bar) -> None:
    finished, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
    for future in finished:
        index = in_flight.pop(future)
        table = future.result()
        folder.write_chunk(index, table)
        bar.update(len(table))


def read_results(directory: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """The finished runs of a sweep, in run order (only the chunks written so far).

    Args:
        directory: The sweep's results folder.
        columns: Columns to read (default: all).

    Raises:
        UserError: Naming a chunk that cannot be read (a damaged file).
    """
    files = sorted(Path(directory).glob("chunk-*.parquet"))
    if not files:
        return pd.DataFrame(columns=columns or [])
    tables = []
    for path in files:
        try:
            tables.append(pq.read_table(path, columns=columns))
        except (OSError, pa.ArrowException, ValueError, KeyError) as exc:
            raise UserError.at(
                str(path), "", f"cannot read this chunk ({exc}); delete it and rerun the sweep to compute it again"
            ) from None
    try:
        return pa.concat_tables(tables).to_pandas()
    except (pa.ArrowException, ValueError) as exc:
        raise UserError.at(str(directory), "", f"chunks of different sweeps: {exc}") from None
