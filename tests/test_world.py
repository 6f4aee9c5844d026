"""The world around the table: the front line (a random walk with drift and jumps) and uncertain events."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import two_party_data

from sim.core.compile import compile_params
from sim.core.slots import apply_values
from sim.core.streams import RunStreams
from sim.core.world import draw_world
from sim.engine.batch import run_many
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict


def _front(**battlefield):
    data = two_party_data(rounds=40)
    data["battlefield"] = {"issue": "x", "start": 10.0, **battlefield}
    return data


def test_front_without_shocks_moves_by_its_drift_and_stays_inside_the_issue():
    """F(t) = clip(F(0) + drift t): 10 + 3t on [0, 100], so it reaches 100 in round 30 and stays."""
    s = scenario_from_dict(_front(drift=3.0))
    params = compile_params(s, 2)
    world = draw_world(params, RunStreams.from_seeds([1, 2]))
    expected = np.minimum(10 + 3 * np.arange(params.floor_table.shape[1]), 100) / 100
    np.testing.assert_allclose(world.front, np.vstack([expected, expected]), atol=1e-12)


def test_front_shocks_have_the_stated_mean_and_spread():
    """Increments drift + volatility * N(0, 1): over 4,000 runs the first step has mean 0.5 and sd 2 (issue
    units), within 4 standard errors."""
    s = scenario_from_dict(_front(start=50.0, drift=0.5, volatility=2.0))
    params = compile_params(s, 4000)
    world = draw_world(params, RunStreams.from_seeds(np.arange(4000)))
    step = (world.front[:, 1] - world.front[:, 0]) * 100
    assert abs(step.mean() - 0.5) < 4 * 2.0 / np.sqrt(4000)
    assert abs(step.std() - 2.0) < 4 * 2.0 / np.sqrt(2 * 4000)


def test_jumps_happen_at_their_rate():
    s = scenario_from_dict(_front(start=50.0, jump_rate=0.2, jump_size=5.0))
    params = compile_params(s, 5000)
    world = draw_world(params, RunStreams.from_seeds(np.arange(5000)))
    jumped = np.isclose((world.front[:, 1] - world.front[:, 0]) * 100, 5.0)
    assert abs(jumped.mean() - 0.2) < 4 * np.sqrt(0.2 * 0.8 / 5000)


def test_front_is_the_no_deal_line_and_moves_walkaways():
    """No deal goes below the front, and a party's walk-away moves by front_sensitivity x the front's move."""
    data = _front(drift=2.0)
    data["parties"]["b"]["front_sensitivity"] = 0.5
    data["parties"]["b"]["walkaway_drift"] = 0.0
    out = run(scenario_from_dict(data), protocol="mediated")
    h = out.history
    assert h.front is not None
    np.testing.assert_allclose(h.front, np.minimum(10 + 2 * np.arange(h.rounds + 1), 100))
    np.testing.assert_allclose(h.walkaway[:, 1], np.clip(0.2 + 0.5 * (h.front - 10) / 100, 0, 1))
    if out.agreement:
        assert out.deal["x"] >= h.front[out.round] - 1e-9


def _slow_split(rounds: int = 30) -> dict:
    """The split, with walk-aways (0.55, falling 0.005 a round) above the even split until round 10."""
    data = two_party_data(rounds=rounds)
    for party in data["parties"].values():
        party["walkaway"] = 0.55
    return data


def _event_data(**event):
    data = _slow_split()
    data["events"] = [{"label": "shock", "round": 6, **event}]
    return data


def test_an_event_changes_nothing_before_its_round():
    """The same run with and without an event (same seed) is identical up to the round before it."""
    base = run(scenario_from_dict(_slow_split()), protocol="mediated")
    assert base.history.rounds > 6
    shocked = run(scenario_from_dict(_event_data(shift={"parties.a.walkaway": 0.3})), protocol="mediated")
    last = min(5, base.history.rounds)
    np.testing.assert_array_equal(base.history.text[: last + 1], shocked.history.text[: last + 1])
    np.testing.assert_array_equal(base.history.walkaway[: last + 1], shocked.history.walkaway[: last + 1])
    assert shocked.history.walkaway[6, 0] == pytest.approx(base.history.walkaway[6, 0] + 0.3)


def test_a_set_event_holds_from_its_round_on():
    out = run(scenario_from_dict(_event_data(set={"parties.a.walkaway": 0.6})), protocol="mediated")
    h = out.history
    assert h.rounds > 6
    np.testing.assert_allclose(h.walkaway[6:, 0], 0.6 - 0.005 * np.arange(0, h.rounds - 5))  # 0.6 in round 6
    np.testing.assert_allclose(h.walkaway[:6, 0], 0.55 - 0.005 * np.arange(6))
    assert out.to_dict()["events"] == [{"label": "shock", "round": 6, "happened": out.end_round >= 6}]


def test_uncertain_events_happen_in_their_share_of_runs():
    s = scenario_from_dict(_event_data(shift={"parties.a.walkaway": 0.3}, probability=0.3))
    params = compile_params(s, 4000)
    world = draw_world(params, RunStreams.from_seeds(np.arange(4000)))
    assert abs(world.fired[:, 0].mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 4000)


def test_event_probability_can_be_swept():
    s = scenario_from_dict(_event_data(shift={"parties.a.walkaway": 0.5}, probability=0.5))
    table = run_many(s, {"events.0.probability": [0.0, 1.0]}, protocol="mediated", nash=False)
    assert table.loc[0, "agreement"] != table.loc[1, "agreement"] or table.loc[0, "round"] != table.loc[1, "round"]


def test_front_numbers_can_be_swept():
    """issue #15: a sweep (or a forecast's range) over [battlefield] numbers reaches the front in the kernel."""
    s = scenario_from_dict(_front(drift=0.0))
    changed = apply_values(compile_params(s, 2), s, {"battlefield.drift": [0.0, 3.0], "battlefield.start": [10, 20]})
    np.testing.assert_allclose(changed.front.drift, [0.0, 0.03])
    np.testing.assert_allclose(changed.front.start, [0.1, 0.2])
    table = run_many(s, {"battlefield.drift": [0.0, 3.0]}, protocol="mediated", nash=False)
    assert len(table) == 2
