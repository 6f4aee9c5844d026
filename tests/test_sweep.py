"""The sweep runner: executor equivalence, resume after kill -9 and Ctrl-C, manifest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import tomli_w
from conftest import GENEVA

from sim.experiments.spec import experiment_from_dict, load_experiment
from sim.experiments.sweep import chunk_path, read_results, sweep, sweep_dir


def _spec(rows_per_chunk: int = 50, runs: int = 3, scenario=GENEVA, protocol: str = "mediated") -> dict:
    return {
        "experiment": {
            "name": "small",
            "scenario": str(scenario),
            "protocol": protocol,
            "design": "grid",
            "runs": runs,
            "seed": 4,
            "chunk_size": rows_per_chunk,
        },
        "uncertainties": {
            "parties.russia.walkaway_drift": {"low": -0.02, "high": 0.0, "points": 6},
            "parties.ukraine.walkaway": {"low": 0.4, "high": 0.7, "points": 5},
        },
        "levers": {"scenario.mediator_bias.russia": {"values": [1.0, 2.0]}},
        "outcomes": {"names": ["agreement", "round", "deal.army_cap", "utility.ukraine", "distance_to_nash"]},
    }


LOOPBACK_CLUSTER = {
    "n_workers": 2,
    "threads_per_worker": 1,
    "processes": True,
    "host": "127.0.0.1",
    "dashboard_address": "127.0.0.1:0",
}
"""The loopback-only Dask recipe of docs/experiments.md: every socket on 127.0.0.1."""


def chunk_bytes(directory) -> dict[str, bytes]:
    """Every stored chunk's bytes, by name."""
    return {p.name: p.read_bytes() for p in sorted(directory.glob("chunk-*.parquet"))}


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    e = experiment_from_dict(_spec(), "small.toml")
    return sweep(e, tmp_path_factory.mktemp("serial"), workers=1, progress=False)


@pytest.fixture(scope="module")
def serial_table(serial_run):
    return read_results(serial_run)


def test_serial_sweep_rows_in_order(serial_table):
    assert len(serial_table) == 6 * 5 * 2 * 3
    assert serial_table["run"].tolist() == list(range(len(serial_table)))
    assert serial_table["seed"].is_unique
    assert serial_table["distance_to_nash"].nunique() > 10  # many distinct Nash problems solved


def test_process_pool_writes_the_same_bytes(serial_run, tmp_path):
    e = experiment_from_dict(_spec(), "small.toml")
    assert chunk_bytes(sweep(e, tmp_path, workers=2, progress=False)) == chunk_bytes(serial_run)


def test_dask_cluster_writes_the_same_bytes(serial_run, tmp_path):
    from distributed import LocalCluster

    e = experiment_from_dict(_spec(), "small.toml")
    with LocalCluster(**LOOPBACK_CLUSTER) as cluster:
        directory = sweep(e, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert chunk_bytes(directory) == chunk_bytes(serial_run)


def test_rows_do_not_depend_on_the_numerical_thread_count(serial_table, tmp_path):
    e = experiment_from_dict(_spec(), "small.toml")
    table = read_results(sweep(e, tmp_path, workers=1, progress=False, threads=2))
    for column in serial_table:
        assert table[column].to_numpy().tobytes() == serial_table[column].to_numpy().tobytes(), column


def test_chunks_record_their_numerical_settings(serial_run):
    import pyarrow.parquet as pq

    manifest = json.loads((serial_run / "manifest.json").read_text())
    for path in serial_run.glob("chunk-*.parquet"):
        stored = json.loads(pq.read_schema(path).metadata[b"negsim.numerics"])
        assert stored == manifest["numerics"]
    assert manifest["numerics"]["threads"] == 1 and manifest["numerics"]["libraries"]


def test_resume_refuses_to_mix_numerical_settings(tmp_path):
    from sim.core.errors import UserError

    e = experiment_from_dict(_spec(), "small.toml")
    directory = sweep(e, tmp_path, workers=1, progress=False)
    chunk_path(directory, 1).unlink()  # as if interrupted
    with pytest.raises(UserError, match="resuming would mix rows that may differ in the last digits"):
        sweep(e, tmp_path, workers=1, progress=False, threads=2)
    assert not chunk_path(directory, 1).exists()
    sweep(e, tmp_path, workers=1, progress=False)  # the same settings resume


def test_dask_recipe_listens_on_loopback_only():
    import psutil
    from distributed import Client, LocalCluster

    with LocalCluster(**LOOPBACK_CLUSTER) as cluster, Client(cluster) as client:
        client.run(os.getpid)  # workers up
        me = psutil.Process()
        processes = [me, *me.children(recursive=True)]
        listening = [
            c.laddr for p in processes for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
        ]
    assert listening  # the scheduler, its dashboard, the workers and nannies
    assert {address.ip for address in listening} <= {"127.0.0.1", "::1"}, listening


def test_manifest_records_everything(tmp_path):
    e = experiment_from_dict(_spec(), "small.toml")
    directory = sweep(e, tmp_path, workers=1, progress=False, command=["negsim", "sweep", "small.toml"])
    assert directory == tmp_path / "small" / e.sha256[:8]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["sha256"] == e.sha256 and manifest["root_seed"] == 4
    assert manifest["experiment"]["scenario"]["sha256"] == e.scenario.sha256
    assert manifest["command"] == ["negsim", "sweep", "small.toml"]
    assert {"numpy", "pyarrow", "mesa", "negsim"} <= set(manifest["versions"])
    assert "git_commit" in manifest
    assert manifest["chunks"] == len(list(directory.glob("chunk-*.parquet")))


def _slow_experiment(tmp_path):
    """An experiment slow enough to interrupt: drafting noise draws per run and round."""
    import tomllib

    from sim.engine.scenarios import load_scenario

    data = tomllib.loads(GENEVA.read_text())
    data["scenario"]["noise"] = 0.03
    scenario = tmp_path / "noisy.toml"
    scenario.write_text(tomli_w.dumps(data))
    assert load_scenario(scenario).noise == 0.03  # the runs really draw noise (seeds matter)
    spec = _spec(rows_per_chunk=300, runs=60, scenario=scenario)
    path = tmp_path / "slow.toml"
    path.write_text(tomli_w.dumps(spec))
    return path


def _start(path, out):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "sweep",
            str(path),
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-analyze",
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _stop_after_chunks(directory, count, proc, timeout=120):
    """Freeze the sweep's process group (SIGSTOP) as soon as ``count`` chunks are stored."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(list(directory.glob("chunk-*.parquet"))) >= count:
            os.killpg(proc.pid, signal.SIGSTOP)
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


@pytest.mark.parametrize(("how", "resume_on"), [("kill -9", "serial"), ("ctrl-c", "serial"), ("kill -9", "dask")])
def test_resume_after_interrupt_equals_uninterrupted_run(tmp_path, how, resume_on):
    path = _slow_experiment(tmp_path)
    e = load_experiment(path)
    total = -(-e.rows // e.chunk_size)
    directory = sweep_dir(e, tmp_path / "interrupted")
    proc = _start(path, tmp_path / "interrupted")
    try:
        # frozen while it computes: the interrupt always lands mid-sweep, however fast the machine
        assert _stop_after_chunks(directory, 2, proc), proc.stderr.read().decode()
        kept = len(list(directory.glob("chunk-*.parquet")))
        assert 2 <= kept < total
        os.killpg(proc.pid, signal.SIGKILL if how == "kill -9" else signal.SIGINT)
        os.killpg(proc.pid, signal.SIGCONT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert len(list(directory.glob("chunk-*.parquet"))) == kept
    if how == "ctrl-c":
        assert proc.returncode == 130
        assert b"rerun the same command to resume" in proc.stderr.read()
    # resume: only the missing chunks are computed
    first_chunk_time = chunk_path(directory, 0).stat().st_mtime_ns
    if resume_on == "dask":
        from distributed import LocalCluster

        with LocalCluster(**LOOPBACK_CLUSTER) as cluster:
            sweep(e, tmp_path / "interrupted", scheduler=cluster.scheduler_address, progress=False)
    else:
        resumed = _start(path, tmp_path / "interrupted")
        assert resumed.wait(timeout=180) == 0, resumed.stderr.read().decode()
    assert chunk_path(directory, 0).stat().st_mtime_ns == first_chunk_time
    whole = sweep(e, tmp_path / "whole", workers=1, progress=False)
    assert chunk_bytes(directory) == chunk_bytes(whole)  # every row once, the same bytes
    assert read_results(directory)["run"].tolist() == list(range(e.rows))
    manifest = json.loads((directory / "manifest.json").read_text())
    assert len(manifest["resumed"]) == 1


def test_a_second_sweep_into_the_same_folder_is_refused(tmp_path):
    import fcntl

    from sim.core.errors import UserError

    e = experiment_from_dict(_spec(), "small.toml")
    directory = sweep_dir(e, tmp_path)
    directory.mkdir(parents=True)
    lock = directory / "sweep.lock"
    lock.write_text("4242\n")
    with open(lock) as held:  # another sweep holds the OS lock
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UserError, match=r"another sweep \(pid 4242\) is writing here"):
            sweep(e, tmp_path, workers=1, progress=False)
    # a stale lock file whose pid now belongs to a live process (pid 1): no lock is held, so it is taken over
    lock.write_text("1\n")
    sweep(e, tmp_path, workers=1, progress=False)
    assert not lock.exists()


def test_resume_refuses_to_mix_code_versions(tmp_path):
    from sim.core.errors import UserError

    e = experiment_from_dict(_spec(), "small.toml")
    directory = sweep(e, tmp_path, workers=1, progress=False)
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["versions"]["negsim"] = "0.0.1"
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="resuming would mix their rows"):
        sweep(e, tmp_path, workers=1, progress=False)
