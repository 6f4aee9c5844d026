"""The Mesa model and the kernel: one kernel, two faces."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from conftest import GENEVA, four_party_data

from sim.core.compile import compile_params
from sim.core.streams import RunStreams
from sim.engine.agents import PartyAgent
from sim.engine.model import NegotiationModel
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols import get_protocol, play_round, protocol_names


def test_model_steps_and_agents_report_their_rows():
    s = load_scenario(GENEVA)
    model = NegotiationModel(s)
    assert isinstance(model, mesa.Model)
    agents = list(model.agents)
    assert [a.party.id for a in agents] == s.party_ids
    assert all(isinstance(a, PartyAgent) for a in agents)
    model.step()
    model.step()
    assert model.state.t == 2
    for agent in agents:
        assert agent.utility == model.state.utility[0, agent.index]
        assert agent.walkaway == model.state.walkaway[0, agent.index]
    table = model.datacollector.get_agent_vars_dataframe()
    assert len(table) == 3 * len(s.parties)  # rounds 0, 1, 2
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame["round"]) == [0, 1, 2]
    model.run_to_end()
    assert not model.running and model.done
    model.step()  # stepping a finished model changes nothing
    assert model.state.t == len(model.history) - 1


def _kernel_batch(scenario, params, seeds, name):
    protocol = get_protocol(name)
    streams = RunStreams.from_seeds(seeds)
    state = protocol.start(params, streams)
    for _ in range(int(params.rounds.max())):  # a protocol that never finishes a row fails, not hangs
        if state.done.all():
            break
        state = play_round(protocol, params, state, streams)
    assert state.done.all(), f"{name}: rows still running after the round limit"
    return state


@pytest.mark.parametrize("name", protocol_names())
def test_mesa_model_equals_batched_kernel_row_by_row(name):
    s = scenario_from_dict(four_party_data())  # has drafting noise, so seeds matter
    n = 12 if name != "zeuthen" else 4
    params = compile_params(s, n)
    rng = np.random.default_rng(5)
    walk = params.walkaways.start + rng.uniform(-0.1, 0.1, params.walkaways.start.shape)
    params = params.with_arrays({"walkaways.start": walk})
    seeds = np.arange(100, 100 + n)
    batch = _kernel_batch(s, params, seeds, name)
    for row in range(n):
        model = NegotiationModel(s, name, seed=int(seeds[row]), params=params.take(slice(row, row + 1)))
        model.run_to_end()
        model.release()
        one = model.state
        assert one.agreement[0] == batch.agreement[row]
        assert one.round[0] == batch.round[row]
        np.testing.assert_allclose(one.deal[0], batch.deal[row], atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(one.utility[0], batch.utility[row], atol=1e-12)
