"""negsim bench reports the pinned keys (speed goals live in the benchmark, not here)."""

from __future__ import annotations

import json

from conftest import GENEVA

from sim.cli import main


def test_bench_json_keys(capsys):
    assert main(["bench", str(GENEVA), "--runs", "300", "--stepped-runs", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("stepped_runs_per_s", "batched_runs_per_s", "batched_parallel_runs_per_s", "peak_rss_mb"):
        assert result[key] > 0
    assert result["protocol"] == "mediated" and result["runs"] == 300
    from sim import protocol_names

    assert set(result["protocols"]) == set(protocol_names()) and min(result["protocols"].values()) > 0


def test_bench_table(capsys):
    assert main(["bench", str(GENEVA), "--runs", "200", "--stepped-runs", "2", "--protocol", "compromise"]) == 0
    out = capsys.readouterr().out
    assert "Mesa-stepped model" in out and "batched engine, 1 core" in out
