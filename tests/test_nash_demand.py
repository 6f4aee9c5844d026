"""Nash's demand game iterated with concessions (Nash 1953, Econometrica 21:128-140): closed forms."""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import two_party_data

from sim.benchmarks import Solutions
from sim.core.compile import compile_params
from sim.core.utility import (
    max_over_parties,
    min_over_parties,
    safe_divide,
    snap_to_grid,
    utilities,
    weighted_mean,
)
from sim.engine.runner import run
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols.base import consent_round
from sim.protocols.nash_demand import NashDemand, demand_candidates, demand_choices

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

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


# The implementation before issue #17 (utilities (B, M, P), every row at once), kept literally: the protocol must
# give its numbers bit for bit (the pinned hashes of tests/test_identity.py).


def _old_candidates(params, segment_points):
    low, high = params.red_lines_at(0)
    box_low, box_high = max_over_parties(low), min_over_parties(high)
    low_, high_ = box_low[:, None], box_high[:, None]  # not clipped where red lines exclude each other (issue #10)
    anchors = np.where(low_ <= high_, np.clip(params.prefs.ideal, low_, high_), params.prefs.ideal)  # (B, P, I)
    force = params.capability[..., None] * params.prefs.salience
    anchors = np.concatenate([anchors, weighted_mean(anchors, force)[:, None]], axis=1)
    steps = np.linspace(0.0, 1.0, segment_points + 2)[1:-1]
    points = [anchors]
    for a, b in itertools.combinations(range(anchors.shape[1]), 2):
        start, end = anchors[:, a, None], anchors[:, b, None]
        points.append(start + steps[None, :, None] * (end - start))
    return snap_to_grid(np.concatenate(points, axis=1), params.step, params.levels)


def _old_utilities(params, candidates):
    curvature = params.curvature_or_none
    prefs = params.prefs
    return utilities(
        candidates, prefs.ideal[:, None], prefs.weight[:, None], None if curvature is None else curvature[:, None]
    )


def _old_choices(u, demand, gain):
    """The old step's table and positions from utilities (B, M, P)."""
    slack = safe_divide(u - demand[:, None, :], gain[:, None, :], u - demand[:, None, :])  # (B, M, P)
    lowest, second = slack[..., 0].copy(), np.full(slack.shape[:-1], np.inf)
    for a in range(1, u.shape[-1]):
        value = slack[..., a]
        second = np.minimum(second, np.maximum(lowest, value))
        lowest = np.minimum(lowest, value)
    picks = np.empty(demand.shape, dtype=np.int64)
    for a in range(u.shape[-1]):
        own = slack[..., a]
        others = np.where(own <= lowest, second, lowest)
        score = np.where(own >= 0, others, -np.inf)
        picks[:, a] = np.where(np.isfinite(score).any(axis=-1), np.argmax(score, axis=-1), np.argmax(own, -1))
    return np.argmax(lowest, axis=-1), picks


class _OldNashDemand(NashDemand):
    """The old start and step (no ``name``: not registered)."""

    def start(self, params, streams):
        state = super().start(params, streams)
        candidates = _old_candidates(params, self.segment_points)
        assert np.array_equal(candidates, state.memory.candidates)
        return replace(state, memory=replace(state.memory, utility=_old_utilities(params, candidates)))

    def step(self, params, state, streams):
        active = self.active(params, state)
        t = state.t + 1
        memory = state.memory
        view = state.view(params, t)
        gain = np.maximum(memory.best - view.walkaway, 0.0)
        demand = view.walkaway + memory.level * gain
        cand = memory.candidates
        events = params.events
        moved = any(
            events.fields[k].startswith("prefs.") and events.rounds[events.event[k]] <= t
            for k in range(len(events.event))
        )
        u = _old_utilities(params, cand) if moved else memory.utility
        table, picks = _old_choices(u, demand, gain)
        rows = np.arange(params.batch)
        text = cand[rows, table]
        demands = np.empty_like(state.demands)
        for a in range(params.n_parties):
            demands[:, a] = cand[rows, picks[:, a]]

        def meets_demand(utility):
            return utility >= demand - 1e-12

        consent = consent_round(params, state, text, view, active, streams, also=meets_demand)
        kappa = np.maximum(1.0 - params.patience, self.min_concession)
        level = np.where(consent.agreed[:, None], memory.level, memory.level * (1.0 - kappa))
        return state.advance(
            params,
            active,
            consent=consent,
            text=text,
            demands=demands,
            aspiration=demand,
            memory=replace(memory, level=level),
        )


def test_choices_are_the_old_ones_bit_for_bit():
    # random utilities with ties (a coarse grid), parties without a possible gain (gain 0: slack unscaled),
    # demands nobody meets, one party (no "others"), and slacks that overflow (a tiny gain): the exact path
    rng = np.random.default_rng(11)
    for game in range(300):
        rows, m, p = int(rng.integers(1, 40)), int(rng.integers(1, 60)), int(rng.integers(1, 7))
        u = rng.random((rows, m, p)) if game % 2 else rng.integers(0, 8, (rows, m, p)) / 7
        demand = rng.random((rows, p)) * (1.5 if game % 5 == 0 else 0.9)
        gain = rng.random((rows, p)) * (rng.random((rows, p)) > 0.15)
        if game % 17 == 0:
            gain[0, 0] = 1e-310
        with np.errstate(over="ignore"):
            table, positions = _old_choices(u, demand, gain)
        slack = np.swapaxes(u, 1, 2) - demand[:, :, None]
        with np.errstate(over="ignore"):
            np.divide(slack, gain[:, :, None], out=slack, where=gain[:, :, None] > 0)
            new_table, new_positions = demand_choices(slack)
        assert np.array_equal(new_table, table) and np.array_equal(new_positions, positions)


def _rounds(protocol, params, seeds):
    from sim.engine.kernel import play

    return [(s.text, s.demands, s.utility, s.accepts, s.done, s.round, s.deal) for s in play(protocol, params, seeds)]


def _same(new, old):
    assert len(new) == len(old)
    for a, b in zip(new, old, strict=True):
        for u, v in zip(a, b, strict=True):
            assert np.array_equal(u, v, equal_nan=True)


def _on_options():
    """One continuous issue, one discrete (texts put on options), one on a grid."""
    data = two_party_data(protocol="nash_demand", rounds=40)
    levels = {"0": "none", "0.25": "some", "0.5": "half", "1": "all"}
    data["issues"]["y"] = {"min": 0, "max": 1, "levels": levels, "discrete": True}
    data["issues"]["z"] = {"min": 0, "max": 10, "step": 3}
    for party, ideal in zip(data["parties"].values(), (0.0, 1.0), strict=True):
        party["ideal"].update(y=ideal, z=10 * ideal)
        party["salience"].update(y=0.5, z=0.3)
    return scenario_from_dict(data)


@pytest.mark.parametrize("name", [*sorted(p.name for p in SCENARIOS.glob("*.toml")), "on-options"])
def test_protocol_gives_the_rounds_of_the_old_step(name):
    scenario = _on_options() if name == "on-options" else load_scenario(SCENARIOS / name)
    params = compile_params(scenario, 300)  # more rows than a chunk
    seeds = np.arange(300)
    _same(_rounds(NashDemand(), params, seeds), _rounds(_OldNashDemand(), params, seeds))


def test_protocol_gives_the_old_rounds_when_an_event_moves_preferences():
    data = tomllib.loads((SCENARIOS / "geneva-2025-11.toml").read_text())
    data["events"] = [
        {"label": "turn", "round": 6, "shift": {"parties.russia.ideal.nato": 0.3}, "probability": 0.5},
    ]
    params = compile_params(scenario_from_dict(data), 40)
    seeds = np.arange(40)
    _same(_rounds(NashDemand(), params, seeds), _rounds(_OldNashDemand(), params, seeds))
