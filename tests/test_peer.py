"""The peer benchmark (sim/experiments/peer.py): the session, its NegMAS translation, the CLI without NegMAS.

NegMAS is AGPL and never a dependency: the tests that run it are skipped
unless it is importable (install it by hand in a virtualenv of its own).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import GENEVA, ROOT

from sim.cli import main
from sim.core.compile import compile_params
from sim.core.errors import UserError
from sim.engine.scenarios import load_scenario
from sim.experiments.peer import INSTALL, negmas_problems, peer_scenario, peer_spec

HAS_NEGMAS = importlib.util.find_spec("negmas") is not None
needs_negmas = pytest.mark.skipif(not HAS_NEGMAS, reason="NegMAS is an optional tool: pip install negmas")


def triangle(x: float, start: float, middle: float, end: float) -> float:
    """NegMAS's TriangularFun as its documentation defines it (bias 0, scale 1)."""
    if x <= start or x >= end:
        return 0.0
    return (x - start) / (middle - start) if x <= middle else (end - x) / (end - middle)


def test_the_session_has_the_size_of_the_issue():
    scenario = peer_scenario()
    assert (len(scenario.parties), len(scenario.issues), scenario.rounds) == (4, 3, 100)
    assert scenario.protocol == "alternating"
    assert {p.strategy for p in scenario.parties} == {"linear"}
    assert all(i.step is None and not i.discrete for i in scenario.issues)
    assert negmas_problems(scenario) == []


def test_spec_carries_weights_values_walkaways_and_concession():
    scenario = peer_scenario()
    spec = peer_spec(scenario)
    assert spec["n_steps"] == 100 and spec["one_offer_per_step"] is True
    assert spec["issues"] == [("x", 0.0, 100.0), ("y", 0.0, 100.0), ("z", 0.0, 100.0)]
    assert [p["id"] for p in spec["parties"]] == ["a", "b", "c", "d"]
    for party, negotiator in zip(scenario.parties, spec["parties"], strict=True):
        total = sum(party.salience.values())
        assert negotiator["weights"] == pytest.approx({k: v / total for k, v in party.salience.items()})
        assert sum(negotiator["weights"].values()) == pytest.approx(1.0)
        for issue in scenario.issues:
            p = party.ideal[issue.id]
            assert negotiator["triangles"][issue.id] == (p - 100.0, p, p + 100.0)
        assert negotiator["reserved_value"] == party.walkaway
        assert negotiator["exponent"] == 1.0  # Faratin's beta = 1: NegMAS's linear aspiration


def test_spec_utilities_are_negsims():
    """sum_i w_i tri_i(x) (NegMAS's functions) equals negsim's U_a = sum_i w_i (1 - |z_i - p_i|) on random texts."""
    scenario = peer_scenario()
    spec = peer_spec(scenario)
    params = compile_params(scenario, 1)
    z = np.random.default_rng(5).random((50, 3))
    for row in z:
        x = scenario.to_units(row)
        theirs = [
            sum(p["weights"][i] * triangle(float(v), *p["triangles"][i]) for i, v in zip("xyz", x, strict=True))
            for p in spec["parties"]
        ]
        np.testing.assert_allclose(theirs, params.utilities(row[None, :])[0], atol=1e-12)


def test_a_scenario_the_peer_cannot_express_is_refused_by_field():
    problems = [f"{p.field}: {p.message}" for p in negmas_problems(load_scenario(GENEVA))]
    assert any(p.startswith("parties.russia.red_lines.nato: must be absent") for p in problems)
    assert any(p.startswith("parties.us.must_agree_on") for p in problems)
    assert any(p.startswith("issues.army_cap: must be continuous") for p in problems)
    with pytest.raises(UserError, match="cannot express"):
        peer_spec(load_scenario(GENEVA))


def test_bench_peer_without_negmas_is_one_line_exit_2(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "negmas", None)  # import negmas now raises ImportError
    assert main(["bench", "--peer"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("negsim: error: --peer: needs NegMAS") and INSTALL in err


def test_negmas_is_imported_only_by_the_peer_benchmark_and_never_a_dependency():
    importers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "sim").rglob("*.py")
        if re.search(r"^\s*(import negmas|from negmas)", path.read_text(), re.MULTILINE)
    ]
    assert importers == ["sim/experiments/peer.py"]
    assert "negmas" not in Path(ROOT / "pyproject.toml").read_text().lower()


@needs_negmas
def test_negmas_session_is_the_same_problem():
    from sim.experiments.peer import negmas_session

    scenario = peer_scenario()
    mechanism = negmas_session(peer_spec(scenario))
    params = compile_params(scenario, 1)
    assert mechanism.n_steps == 100 and len(mechanism.negotiators) == 4
    assert [n.ufun.reserved_value for n in mechanism.negotiators] == [p.walkaway for p in scenario.parties]
    for row in np.random.default_rng(6).random((20, 3)):
        outcome = tuple(float(v) for v in scenario.to_units(row))
        theirs = [float(n.ufun(outcome)) for n in mechanism.negotiators]
        np.testing.assert_allclose(theirs, params.utilities(row[None, :])[0], atol=1e-12)
    state = mechanism.run()
    assert state.step <= 100


@needs_negmas
def test_bench_peer_json(capsys):
    assert main(["bench", "--peer", "--runs", "200", "--stepped-runs", "4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for path in ("negsim_batched", "negsim_run", "negsim_model", "negmas"):
        assert result[f"{path}_sessions_per_s"] > 0
    assert result["ratio_batched"] == pytest.approx(
        result["negsim_batched_sessions_per_s"] / result["negmas_sessions_per_s"], rel=0.01
    )
    assert (result["parties"], result["issues"], result["rounds"]) == (4, 3, 100)
    assert result["negsim_agreement"] and 1 <= result["negsim_rounds"] <= 100
