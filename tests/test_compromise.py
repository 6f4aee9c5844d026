"""The compromise protocol reproduces the compromise benchmark (Achen 2006)."""

from __future__ import annotations

import pytest
from conftest import GENEVA

from sim.engine.runner import run
from sim.engine.scenarios import load_scenario


def test_compromise_protocol_equals_benchmark_and_is_one_shot():
    s = load_scenario(GENEVA).with_values({"issues.army_cap.step": 1})
    out = run(s, protocol="compromise")
    assert out.agreement and out.round == 1
    bench = out.benchmarks["compromise"]
    for issue in s.issues:
        iid = issue.id
        if issue.discrete:  # the forecast is the benchmark's value, put on the nearest option (issue #15's files)
            assert out.raw_deal[iid] == pytest.approx(bench[iid], abs=1e-9)
            nearest = min(issue.levels, key=lambda level: abs(level - bench[iid]))
            assert out.deal[iid] == nearest
            continue
        assert out.deal[iid] == pytest.approx(bench[iid], abs=0.5 if iid == "army_cap" else 1e-9)
    assert any(issue.discrete for issue in s.issues)
