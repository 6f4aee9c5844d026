"""The sweep runner: executor equivalence, resume after kill -9 and Ctrl-C, manifest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
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


@pytest.fixture(scope="module")
def serial_table(tmp_path_factory):
    e = experiment_from_dict(_spec(), "small.toml")
    directory = sweep(e, tmp_path_factory.mktemp("serial"), workers=1, progress=False)
    return read_results(directory)


def test_serial_sweep_rows_in_order(serial_table):
    assert len(serial_table) == 6 * 5 * 2 * 3
    assert serial_table["run"].tolist() == list(range(len(serial_table)))
    assert serial_table["seed"].is_unique


def test_process_pool_gives_the_same_rows(serial_table, tmp_path):
    e = experiment_from_dict(_spec(), "small.toml")
    table = read_results(sweep(e, tmp_path, workers=2, progress=False))
    pd.testing.assert_frame_equal(table, serial_table)


def test_dask_cluster_gives_the_same_rows(serial_table, tmp_path):
    from distributed import LocalCluster

    e = experiment_from_dict(_spec(), "small.toml")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        table = read_results(sweep(e, tmp_path, scheduler=cluster.scheduler_address, progress=False))
    pd.testing.assert_frame_equal(table, serial_table)


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


def _wait_for_chunks(directory, count, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(list(directory.glob("chunk-*.parquet"))) >= count:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("how", ["kill -9", "ctrl-c"])
def test_resume_after_interrupt_equals_uninterrupted_run(tmp_path, how):
    path = _slow_experiment(tmp_path)
    e = load_experiment(path)
    total = -(-e.rows // e.chunk_size)
    directory = sweep_dir(e, tmp_path / "interrupted")
    proc = _start(path, tmp_path / "interrupted")
    try:
        assert _wait_for_chunks(directory, 2, proc), "the sweep finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGKILL if how == "kill -9" else signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    kept = len(list(directory.glob("chunk-*.parquet")))
    assert 2 <= kept < total
    if how == "ctrl-c":
        assert proc.returncode == 130
        assert b"rerun the same command to resume" in proc.stderr.read()
    # resume: only the missing chunks are computed
    first_chunk_time = chunk_path(directory, 0).stat().st_mtime_ns
    resumed = _start(path, tmp_path / "interrupted")
    assert resumed.wait(timeout=120) == 0
    assert chunk_path(directory, 0).stat().st_mtime_ns == first_chunk_time
    table = read_results(directory)
    whole = read_results(sweep(e, tmp_path / "whole", workers=1, progress=False))
    assert table["run"].is_unique and len(table) == e.rows
    pd.testing.assert_frame_equal(table, whole)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert len(manifest["resumed"]) == 1


def test_a_second_sweep_into_the_same_folder_is_refused(tmp_path):
    import os

    from sim.core.errors import UserError

    e = experiment_from_dict(_spec(), "small.toml")
    directory = sweep_dir(e, tmp_path)
    directory.mkdir(parents=True)
    (directory / "sweep.lock").write_text(str(os.getpid()))  # a live process holds it
    with pytest.raises(UserError, match="another sweep"):
        sweep(e, tmp_path, workers=1, progress=False)
    (directory / "sweep.lock").write_text("999999999")  # a dead one: taken over
    sweep(e, tmp_path, workers=1, progress=False)
    assert not (directory / "sweep.lock").exists()


def test_resume_refuses_to_mix_code_versions(tmp_path):
    from sim.core.errors import UserError

    e = experiment_from_dict(_spec(), "small.toml")
    directory = sweep(e, tmp_path, workers=1, progress=False)
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["versions"]["negsim"] = "0.0.1"
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="resuming would mix their rows"):
        sweep(e, tmp_path, workers=1, progress=False)
