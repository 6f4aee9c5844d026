"""negsim bench reports the pinned keys (speed goals live in the benchmark, not here)."""

from __future__ import annotations

import json

from conftest import GENEVA

from sim.cli import main


def test_bench_json_keys(capsys):
    args = ["bench", str(GENEVA), "--runs", "300", "--stepped-runs", "3", "--forecast-runs", "50", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("stepped_runs_per_s", "batched_runs_per_s", "batched_parallel_runs_per_s", "peak_rss_mb"):
        assert result[key] > 0
    assert result["forecast_runs"] == 50
    assert result["forecast_seconds"] >= result["forecast_import_seconds"] + result["forecast_compute_seconds"] > 0
    assert result["protocol"] == "mediated" and result["runs"] == 300
    from sim import protocol_names

    assert set(result["protocols"]) == set(protocol_names()) and min(result["protocols"].values()) > 0


def test_bench_table(capsys):
    args = ["bench", str(GENEVA), "--runs", "200", "--stepped-runs", "2", "--protocol", "compromise"]
    assert main([*args, "--forecast-runs", "20"]) == 0
    out = capsys.readouterr().out
    assert "Mesa-stepped model" in out and "batched engine, 1 core" in out
    assert "Forecast of 20 draws in a fresh process, one thread: " in out
