"""The protocol contract, checked on every registered protocol over random scenarios.

For every protocol in ``sim.protocols.PROTOCOLS`` (a new file in
``sim/protocols/`` joins automatically) and every generated scenario:

* a deal lies inside every signing party's red lines in force (softened, learnt, the front line as no-deal
  line) and gives it
  at least its walk-away in force (individually rational), judged on the
  issues it signs for;
* consent protocols: agreement implies that every party accepts;
* forecasting protocols: ``accepts`` says truthfully who would sign;
* finished rows are unchanged by another step;
* the stepped Mesa model and the batched kernel give the same rows;
* the same seed gives the same bytes.

The checks of red lines and walk-aways are written here from the scenario's
numbers (not with the kernel's acceptance functions), so they can fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scenario_strategies import scenario_tables

from sim.benchmarks import Solutions
from sim.core.compile import compile_params
from sim.core.streams import RunStreams
from sim.engine.kernel import run_kernel
from sim.engine.model import NegotiationModel
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict
from sim.protocols import PROTOCOLS, play_round

FAST = {"zeuthen": {"frontier_points": 31}}
"""Cheaper constructor arguments where a protocol's defaults are slow (the contract does not depend on them)."""

NO_BENCH = Solutions(None, None, {}, {})
TOL = 1e-9


def protocol(name: str):
    return PROTOCOLS[name](**FAST.get(name, {}))


def signs_for(scenario, party) -> np.ndarray:
    return np.array([i.id in party.must_agree_on for i in scenario.issues])


def in_force(scenario, params, state, row: int, t: int):
    """Red lines (issue units) and walk-aways in force at round t, from the scenario's numbers."""
    lo = np.array([i.min for i in scenario.issues])
    span = np.array([i.span for i in scenario.issues])
    low, high = [], []
    for a, party in enumerate(scenario.parties):
        plow = np.array([party.red_lines[i.id][0] for i in scenario.issues], dtype=float)
        phigh = np.array([party.red_lines[i.id][1] for i in scenario.issues], dtype=float)
        soften = np.array([party.red_soften[i.id] for i in scenario.issues]) * t
        plow, phigh = np.maximum(plow - soften, lo), np.minimum(phigh + soften, lo + span)
        for k, issue in enumerate(scenario.issues):
            if issue.no_deal_path:
                rounds, values = zip(*issue.no_deal_path, strict=True)
                plow[k] = max(plow[k], float(np.interp(t, rounds, values)))
            if scenario.battlefield and scenario.battlefield.issue == issue.id:  # the front is the no-deal line
                plow[k] = max(plow[k], issue.min + state.world.front_at(t)[row] * issue.span)
        learned_low = lo + state.learned.low[row, a] * span
        learned_high = lo + state.learned.high[row, a] * span
        plow, phigh = np.maximum(plow, learned_low), np.minimum(phigh, learned_high)
        signs = signs_for(scenario, party)
        low.append(np.where(signs, plow, -np.inf))
        high.append(np.where(signs, phigh, np.inf))
    return np.array(low), np.array(high)


def judged_utility(scenario, party, deal: dict[str, float]) -> float:
    """The utility a party judges a deal by: on the issues it signs for, net of audience costs there."""
    signs = signs_for(scenario, party)
    weights = np.array([party.salience[i.id] for i in scenario.issues]) * signs
    values, cost = [], 0.0
    for issue in scenario.issues:
        d = abs(deal[issue.id] - party.ideal[issue.id]) / issue.span
        values.append((1.0 - d) ** party.curvature[issue.id])
        low, high = party.red_lines[issue.id]
        crossed = (deal[issue.id] - low) / issue.span < -1e-9 or (deal[issue.id] - high) / issue.span > 1e-9
        if crossed and issue.id in party.must_agree_on:
            cost += party.red_cost[issue.id]
    return float(np.dot(weights, values) / weights.sum()) - cost if weights.sum() > 0 else 1.0


def check_deal(scenario, params, state, row: int, forecast: bool) -> None:
    if not state.agreement[row]:
        return
    t = int(state.round[row])
    deal_units = scenario.to_units(state.deal[row], on_grid=True)
    deal = dict(zip(scenario.issue_ids, deal_units, strict=True))
    low, high = in_force(scenario, params, state, row, t)
    walk = state.walkaway[row]
    span = np.array([i.span for i in scenario.issues])
    for a, party in enumerate(scenario.parties):
        if state.walked[row, a]:
            continue  # a guarantor that walked out is no longer asked
        # margins in normalised units (red lines) and in utility (walk-away); the kernel's tolerance is 1e-9
        line_margin = min(np.min((deal_units - low[a]) / span), np.min((high[a] - deal_units) / span))
        walk_margin = judged_utility(scenario, party, deal) - walk[a]
        inside, rational = line_margin >= -TOL, walk_margin >= -TOL
        if forecast:
            if abs(line_margin) > TOL and abs(walk_margin) > TOL:  # away from a boundary: the answer is clear
                assert bool(state.accepts[row, a]) == (inside and rational), (party.id, line_margin, walk_margin)
        else:
            assert state.accepts[row, a], f"{party.id} did not accept the deal"
            assert inside, f"the deal crosses {party.id}'s red lines in force by {-line_margin}"
            assert rational, f"the deal gives {party.id} {-walk_margin} less than its walk-away in force"


def arrays(state, row: int) -> list[np.ndarray]:
    return [
        state.agreement[row],
        state.round[row],
        state.deal[row],
        state.text[row],
        state.utility[row],
        state.accepts[row],
        state.walkaway[row],
        state.demands[row],
    ]


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("name", list(PROTOCOLS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenario_tables(max_parties=4, max_issues=3))
def test_protocol_contract(name, data):
    scenario = scenario_from_dict(data)
    proto = protocol(name)
    seeds = np.array([scenario.seed, scenario.seed + 1, scenario.seed + 2], dtype=np.int64)
    params = compile_params(scenario, len(seeds))
    state = run_kernel(proto, params, seeds)
    assert state.done.all(), "a row is still running at the round limit"
    assert np.all((state.round >= 1) & (state.round <= scenario.rounds))
    for row in range(len(seeds)):
        check_deal(scenario, params, state, row, proto.forecast)
    # finished rows are unchanged by another step
    if state.done.any():
        again = play_round(proto, params, state, RunStreams.from_seeds(seeds))
        for row in np.flatnonzero(state.done):
            assert same(arrays(again, row), arrays(state, row))
    # the stepped Mesa model gives the batched kernel's first row
    model = NegotiationModel(scenario, proto, int(seeds[0]), params=params.take(slice(0, 1))).run_to_end()
    model.release()
    assert same(arrays(model.state, 0), arrays(state, 0))


@pytest.mark.parametrize("name", list(PROTOCOLS))
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenario_tables(max_parties=3, max_issues=2, max_rounds=10))
def test_same_seed_same_bytes(name, data):
    scenario = scenario_from_dict(data)
    first = run(scenario, protocol(name), solutions=NO_BENCH)
    second = run(scenario, protocol(name), solutions=NO_BENCH)
    assert first.to_json() == second.to_json()
    assert first.rounds_csv() == second.rounds_csv()


def test_every_protocol_is_documented():
    for cls in PROTOCOLS.values():
        assert cls.summary and cls.reference and cls.__doc__
        assert cls.__module__ == f"sim.protocols.{cls.__module__.rsplit('.', 1)[-1]}"
