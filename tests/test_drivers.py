"""Drivers: one-at-a-time swings and Sobol' indices rank the judgement that matters first."""

from __future__ import annotations

import io

import pytest
from conftest import GENEVA, two_party_data

from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.experiments.drivers import Judgement, drivers, judgements, label_of, tornado_figure


def split_with_an_idle_issue():
    """The two-party split, A's walk-away a range 0.5-0.9 (a deal iff below 0.8), plus an issue nobody cares about."""
    data = two_party_data(rounds=60)
    data["issues"]["y"] = {"min": 0, "max": 100}
    for p in "ab":
        data["parties"][p]["walkaway_drift"] = 0.0
        data["parties"][p]["salience"]["y"] = 0.0
    data["parties"]["a"]["ideal"]["y"] = 20
    data["parties"]["b"]["ideal"]["y"] = 70
    data["parties"]["a"]["walkaway"] = {"low": 0.5, "high": 0.9}
    data["parties"]["b"]["walkaway"] = 0.2
    return scenario_from_dict(data)


def test_the_only_parameter_that_matters_ranks_first():
    s = split_with_an_idle_issue()
    found = [
        Judgement("parties.a.ideal.y", "A's ideal on y", 20, 0, 100, False),
        Judgement("parties.a.walkaway", "A's walk-away", 0.7, 0.5, 0.9, True),
        Judgement("parties.b.ideal.y", "B's ideal on y", 70, 0, 100, False),
    ]
    out = drivers(s, runs=100, sobol=64, found=found)
    first, *rest = out
    assert first["parameter"] == "parties.a.walkaway" and first["rank"] == 1
    # at 0.5 every run deals, at 0.9 none does (the threshold is 0.8)
    assert first["p_deal"]["low"] == 1.0 and first["p_deal"]["high"] == 0.0 and first["p_deal"]["swing"] == -1.0
    assert first["sobol"]["p_deal"]["ST"] > 0.5
    for d in rest:
        assert d["p_deal"]["swing"] == 0.0 and d["largest_issue_shift"] == 0.0
        assert abs(d["sobol"]["p_deal"]["ST"]) < 0.05


def test_with_default_swings_the_wide_range_still_ranks_first():
    s = split_with_an_idle_issue()
    out = drivers(s, runs=100, sobol=None)
    assert out[0]["parameter"] == "parties.a.walkaway" and out[0]["written"]
    assert all(d["sobol"] is None for d in out)
    assert abs(out[0]["p_deal"]["swing"]) > max(abs(d["p_deal"]["swing"]) for d in out[1:])


def test_judgements_cover_every_kind_with_swings_inside_the_allowed_values():
    # Geneva writes (almost) every judgement as a range (issue #15); some are set back to points here, to check
    # the default swings of each kind
    points = {
        "parties.russia.patience": 0.97,
        "parties.ukraine.walkaway": 0.6,
        "parties.ukraine.salience.territory": 0.95,
        "parties.ukraine.red_lines.army_cap.min": 600,
        "parties.russia.red_lines.territory.soften": 0.005,
        "scenario.mediator_bias.russia": 1.5,
    }
    s = load_scenario(GENEVA).with_values(points)
    found = {j.path: j for j in judgements(s)}
    assert list(found)[: len(s.ranges)] == sorted(s.ranges)  # ranges first, as written
    assert all(found[p].written for p in s.ranges) and not any(found[p].written for p in points)
    assert found["scenario.opening.territory"].low == 0.0 and found["scenario.opening.territory"].base == 1.0
    assert found["parties.russia.patience"].high == pytest.approx(0.99)
    assert found["parties.ukraine.salience.territory"].high == 1.0  # clipped to [0, 1]
    walk = found["parties.ukraine.walkaway"]
    assert (walk.low, walk.high) == pytest.approx((0.55, 0.65))
    # a red line's swing stays on its side of the party's ideal: Ukraine's army-cap minimum 600 +- 47.5
    cap = found["parties.ukraine.red_lines.army_cap.min"]
    assert (cap.low, cap.high) == pytest.approx((552.5, 647.5))
    assert "parties.us.ratification.bounds.sanctions_relief.max" in found
    assert "parties.ukraine.ratification.logistic.midpoint" in found
    assert "parties.russia.red_lines.territory.soften" in found
    assert "scenario.mediator_bias.russia" in found
    assert label_of(s, "parties.ukraine.walkaway") == "Ukraine: walk-away"
    assert label_of(s, "scenario.mediator_bias.russia") == "mediator's bias toward Russia"


def test_walkaway_paths_swing_their_points():
    data = two_party_data(rounds=16)
    del data["parties"]["b"]["walkaway_drift"]
    data["parties"]["b"]["walkaway_path"] = [[0, 0.35], [4, 0.40], [6, 0.55], [16, 0.65]]
    s = scenario_from_dict(data)
    found = {j.path: j for j in judgements(s)}
    assert "parties.b.walkaway" not in found  # B's walk-away is a path
    point = found["parties.b.walkaway_path.2.1"]
    assert point.label == "B: walk-away at round 6" and (point.low, point.high) == pytest.approx((0.5, 0.6))


def test_tornado_figure_draws():
    s = split_with_an_idle_issue()
    fig = tornado_figure(s, drivers(s, runs=20, sobol=None))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"
