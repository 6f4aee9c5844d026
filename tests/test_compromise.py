"""The compromise protocol reproduces the compromise benchmark (Achen 2006)."""

from __future__ import annotations

import pytest
from conftest import GENEVA

from sim.engine.runner import run
from sim.engine.scenarios import load_scenario


def test_compromise_protocol_equals_benchmark_and_is_one_shot():
    s = load_scenario(GENEVA).with_values({"issues.army_cap.step": 1})
    out = run(s, protocol="compromise")
    assert out.forecast and out.round == out.end_round == 1
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


def test_compromise_says_who_would_sign_it():
    # ideals 0 and 100, capabilities 1 and 3, one issue: the weighted mean is (0 x 1 + 100 x 3) / 4 = 75.
    # A values it 1 - 0.75 = 0.25, under its walk-away in round 1 (0.3 - 0.005): A would not sign;
    # B values it 0.75, over its 0.195: B would.
    from conftest import two_party_data

    from sim.engine.scenarios import scenario_from_dict

    data = two_party_data()
    data["parties"]["b"]["capability"] = 3.0
    data["parties"]["a"]["walkaway"] = 0.3
    out = run(scenario_from_dict(data), protocol="compromise")
    assert out.deal["x"] == pytest.approx(75)
    assert out.utilities == pytest.approx({"a": 0.25, "b": 0.75})
    assert out.accepts == {"a": False, "b": True}
