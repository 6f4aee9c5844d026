"""A person in a seat (sim.protocols.seat) and saved sessions (sim.engine.session): same kernel, same run."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GENEVA, ROOT

from sim.core.errors import UserError
from sim.engine.model import NegotiationModel
from sim.engine.runner import run
from sim.engine.scenarios import load_scenario
from sim.engine.session import Move, Session, load_session, replay, replay_states, session_toml
from sim.protocols import Seat, next_text

TWO_PARTY = ROOT / "scenarios" / "classroom-two-party.toml"


def _states_equal(a, b) -> bool:
    keys = ("text", "demands", "utility", "walkaway", "accepts", "done", "agreement", "round", "deal", "ended_by")
    return a.t == b.t and all(np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True) for k in keys)


def _units(scenario, z: np.ndarray) -> dict[str, float]:
    return {i.id: float(v) for i, v in zip(scenario.issues, scenario.to_units(z), strict=True)}


def _played(scenario, protocol: str, seat: str, choose) -> Session:
    """A session played round by round on the Mesa model; ``choose(model, t, text)`` gives each move."""
    model = NegotiationModel(scenario, protocol)
    index = scenario.party_ids.index(seat)
    moves = []
    while not model.done:
        t = model.state.t + 1
        move = choose(model, t, next_text(model.protocol, model.params, model.state)[0])
        moves.append(move)
        from sim.engine.session import seat_of

        model.step(seat_of(scenario, index, move))
    return Session(
        scenario=scenario,
        file=str(scenario.source),
        base=scenario,
        seat=seat,
        protocol=protocol,
        seed=scenario.seed,
        rounds=scenario.rounds,
        moves=tuple(moves),
    ), model


def test_a_seat_that_supplies_nothing_plays_the_model_run_bit_for_bit():
    scenario = load_scenario(GENEVA)
    for protocol in ("mediated", "alternating"):
        plain = NegotiationModel(scenario, protocol).run_to_end()
        seated = NegotiationModel(scenario, protocol)
        while not seated.done:
            seated.step(Seat(1))
        assert all(_states_equal(a, b) for a, b in zip(plain.history, seated.history, strict=True))


def test_the_model_answer_given_from_outside_changes_nothing():
    """Answering exactly as the model does (its own answer, supplied by hand) gives the model's run."""
    scenario = load_scenario(GENEVA)
    plain = NegotiationModel(scenario, "mediated").run_to_end()
    seated = NegotiationModel(scenario, "mediated")
    for state in plain.history[1:]:
        seated.step(Seat(1, accepts=bool(state.accepts[0, 1])))
    assert _states_equal(plain.state, seated.state)


def test_mediated_seat_demand_pulls_the_next_draft_toward_it():
    """Ukraine asking for the army cap at the scale's top pulls the next draft up on that issue, and only there."""
    scenario = load_scenario(GENEVA)
    cap = scenario.issue_ids.index("army_cap")
    model = NegotiationModel(scenario, "mediated")
    text = next_text(model.protocol, model.params, model.state)[0]
    demand = text.copy()
    demand[cap] = 1.0
    model.step(Seat(1, accepts=False, demand=demand))
    plain = NegotiationModel(scenario, "mediated")
    plain.step(Seat(1, accepts=False, demand=text))  # objects, but asks for the text as it is: no pull
    after, before = model.state.memory.draft[0], plain.state.memory.draft[0]  # the drafts before red lines clip them
    assert after[cap] > before[cap]
    assert np.allclose(np.delete(after, cap), np.delete(before, cap))
    assert bool(model.state.accepts[0, 1]) is False


def test_alternating_seat_offer_is_the_text_on_the_table():
    scenario = load_scenario(TWO_PARTY)
    model = NegotiationModel(scenario, "alternating")
    offer = np.full(len(scenario.issues), 0.5)
    model.step(Seat(0, offer=offer))
    assert np.allclose(model.state.text[0], offer) or scenario.issues[0].step  # on the grid when there is one
    assert bool(model.state.accepts[0, 0])  # the proposer is not asked


def test_a_seat_in_a_protocol_that_cannot_seat_a_person_is_refused():
    scenario = load_scenario(GENEVA)
    model = NegotiationModel(scenario, "zeuthen")
    with pytest.raises(ValueError, match="cannot seat a person; playable: alternating, mediated"):
        model.step(Seat(0))


@pytest.mark.parametrize(("protocol", "seat"), [("mediated", "ukraine"), ("alternating", "russia")])
def test_saved_session_replays_to_the_same_run_stepped_and_batched(tmp_path, protocol, seat):
    """A person who always asks for a bit more than the text: the saved file replays to the same states."""
    scenario = load_scenario(GENEVA)
    index = scenario.party_ids.index(seat)

    def choose(model, t, text):
        ideal = model.params.prefs.ideal[0, index]
        if protocol == "alternating" and (t - 1) % len(scenario.parties) == index:
            return Move(t, offer=_units(scenario, text + 0.5 * (ideal - text)))
        if protocol == "alternating":
            return Move(t, "accept" if t > 20 else "reject")
        if t >= 12:
            return Move(t, "accept")
        return Move(t, "object", demand=_units(scenario, text + 0.3 * (ideal - text)))

    session, played = _played(scenario, protocol, seat, choose)
    path = tmp_path / "session.toml"
    path.write_text(session_toml(session, note="test"))
    loaded = load_session(path)
    assert loaded.moves == session.moves
    stepped = replay(loaded)
    batched = replay_states(loaded)
    assert len(stepped.history) == len(batched) == len(played.history)
    assert all(_states_equal(a, b) for a, b in zip(stepped.history, batched, strict=True))
    assert all(_states_equal(a, b) for a, b in zip(played.history, batched, strict=True))


def _write(tmp_path, body: str):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    return path


MOVE = '[[moves]]\nround = {}\nanswer = "{}"\n'
HEAD = f'[session]\nscenario = "{GENEVA}"\nseat = "ukraine"\nprotocol = "mediated"\nseed = 3\nrounds = 40\n'
"""Geneva's seed 3: the model's run ends in a deal (the file's own seed 7 ends in a breakdown)."""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HEAD.replace('"ukraine"', '"kyiv"'), "session.seat: must be a party of geneva-2025-11: russia, ukraine"),
        (HEAD.replace('"mediated"', '"zeuthen"'), "session.protocol: must be one a person can play: mediated, altern"),
        (HEAD.replace("seed = 3", "seed = -1"), "session.seed: must be an integer in [0, 2**63 - 1]; got -1"),
        (HEAD + MOVE.format(1, "maybe"), "moves[0].answer: must be one of accept, object; got 'maybe'"),
        (HEAD + MOVE.format(2, "accept") + MOVE.format(1, "accept"), "moves[1].round: must be after the previous"),
        (
            HEAD + '[[moves]]\nround = 1\nanswer = "object"\ndemand = { territory = 0.5 }\n',
            "moves[0].demand: missing nato, army_cap, security_guarantee, sanctions_relief, frozen_assets, recog",
        ),
        (HEAD + "[[moves]]\nround = 1\nbogus = 1\n", "moves.0.bogus: unknown key; allowed keys here: round, answer"),
        (HEAD.replace('scenario = "', 'scenario = "nowhere/'), "session.scenario: cannot load nowhere/"),
        (HEAD + 'scenario_sha256 = "abc"\n', "session.scenario_sha256: "),
        ("[session\n", "not valid TOML"),
    ],
)
def test_bad_session_file_one_line_per_problem(tmp_path, body, message):
    with pytest.raises(UserError) as info:
        load_session(_write(tmp_path, body))
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert lines[0].startswith(str(tmp_path / "bad.toml"))


def test_a_move_after_the_end_of_the_run_is_reported(tmp_path):
    end = run(load_scenario(GENEVA), protocol="mediated", seed=3).round  # no move played: the model's run
    path = _write(tmp_path, HEAD + '[[moves]]\nround = 39\nanswer = "accept"\n')
    with pytest.raises(UserError, match=rf"moves\[0\]\.round: the run ended in round {end}; a move in round 39"):
        replay(load_session(path))


def test_negsim_replay_prints_the_result_and_bad_files_get_one_line(tmp_path, capsys):
    from sim.cli import main

    path = tmp_path / "s.toml"
    path.write_text(HEAD + MOVE.format(1, "object") + MOVE.format(2, "accept"))
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    own = run(load_scenario(GENEVA), protocol="mediated", seed=3).round
    assert "a player in Ukraine's seat: mediated, seed 3, geneva-2025-11 (2 moves)." in out
    assert f"The model's own agent in Ukraine's seat: deal in round {own}" in out
    path.write_text(HEAD.replace("seed = 3", 'seed = "x"'))
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"negsim: error: {path}: session.seed: must be an integer in [0, 2**63 - 1]; got 'x'"]
