"""Nash's demand game iterated with concessions (Nash 1953, Econometrica 21:128-140): closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import two_party_data

from sim.benchmarks import Solutions
from sim.core.compile import compile_params
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict
from sim.protocols.nash_demand import NashDemand, demand_candidates

NO_BENCH = Solutions(None, None, {}, {})


def _split(patience_a: float = 0.9, patience_b: float = 0.9):
    data = two_party_data(protocol="nash_demand", rounds=60)
    for pid, delta in (("a", patience_a), ("b", patience_b)):
        data["parties"][pid].update(walkaway=0.0, walkaway_drift=0.0, patience=delta)
    return scenario_from_dict(data)


def test_symmetric_parties_split_evenly_in_the_first_feasible_round():
    """Demands 0.9 ** (t - 1) each are jointly feasible first when 2 * 0.9 ** (t - 1) <= 1, i.e. t = 8
    (0.9 ** 7 = 0.478); the surplus left is shared evenly: the midpoint (theory notes section 3)."""
    out = run(_split(), solutions=NO_BENCH)
    t = 1 + int(np.ceil(np.log(0.5) / np.log(0.9)))
    assert t == 8
    assert out.agreement and out.round == t
    assert out.deal == {"x": pytest.approx(50.0)}
    assert out.utilities == {"a": pytest.approx(0.5), "b": pytest.approx(0.5)}


@pytest.mark.parametrize("concession", [0.05, 0.2, 0.5])
def test_even_split_for_any_equal_concession_rate(concession):
    out = run(_split(1 - concession, 1 - concession), solutions=NO_BENCH)
    assert out.deal["x"] == pytest.approx(50.0)


def test_the_more_patient_party_gets_more():
    out = run(_split(0.9, 0.97), solutions=NO_BENCH)
    assert out.agreement and out.utilities["b"] > 0.5 > out.utilities["a"]


def test_candidates_lie_inside_every_red_line():
    data = two_party_data(protocol="nash_demand")
    data["parties"]["a"]["red_lines"] = {"x": {"max": 40}}
    data["parties"]["b"]["ideal"]["x"] = 100
    s = scenario_from_dict(data)
    from sim.core.compile import compile_params

    texts = demand_candidates(compile_params(s), NashDemand().segment_points)
    assert texts.max() <= 0.4 + 1e-12 and texts.min() >= 0.0


def test_parameters_are_constructor_arguments():
    proto = NashDemand(segment_points=10, min_concession=0.05)
    assert proto.get_params() == {"segment_points": 10, "min_concession": 0.05}
    assert "segment_points=10" in repr(proto)


def test_red_lines_that_exclude_each_other_leave_the_ideals_unclipped():
    # A's red line x <= 30, B's x >= 70: no text is inside both. Clipping into that empty box would put
    # every anchor at one end (numpy's clip returns the upper bound), favouring one direction of the scale
    data = two_party_data()
    data["parties"]["a"]["red_lines"] = {"x": {"max": 30}}
    data["parties"]["b"]["red_lines"] = {"x": {"min": 70}}
    candidates = demand_candidates(compile_params(scenario_from_dict(data)), segment_points=3)[0, :, 0]
    np.testing.assert_allclose(candidates[:3], [0.0, 1.0, 0.5])  # the ideals and their compromise
    np.testing.assert_allclose(sorted(candidates), sorted(1 - candidates))  # a set symmetric about the middle


def test_red_lines_that_overlap_clip_the_ideals_into_them():
    data = two_party_data()
    data["parties"]["a"]["red_lines"] = {"x": {"max": 60}}
    data["parties"]["b"]["red_lines"] = {"x": {"min": 20}}
    candidates = demand_candidates(compile_params(scenario_from_dict(data)), segment_points=3)[0, :, 0]
    np.testing.assert_allclose(candidates[:3], [0.2, 0.6, 0.4])
