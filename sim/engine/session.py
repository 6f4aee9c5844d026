"""A played session: a person in one party's seat, saved as a file and replayed to the same run.

A session file (TOML) holds what is needed to play the run again: the
scenario file (and its sha256, so a changed file is noticed), the values set
away from the file, the protocol, seed and round limit, the seat, and every
move the person made::

    [session]
    scenario = "scenarios/geneva-2025-11.toml"
    scenario_sha256 = "9f2c..."
    seat = "ukraine"
    protocol = "mediated"
    seed = 7
    rounds = 40
    player = "Ana"
    [session.changes]
    "parties.ukraine.walkaway" = 0.65

    [[moves]]                # mediated: answer the mediator's text
    round = 1
    answer = "object"        # accept | object
    demand = { donetsk = 0.4, nato = 0.3, army_cap = 800000, guarantee = 0.9 }

    [[moves]]                # alternating, the seat's turn: its offer (every issue)
    round = 2
    offer = { ... }

Values are in the issues' units. A round without a move is played by the
model's own agent in the seat; a move without a demand (or offer) takes the
model's demand (or offer) with the person's answer. The moves are turned into
:class:`~sim.protocols.seat.Seat` records that the protocol consults, so the
replay goes through the same kernel as any run: stepped one round at a time
(:func:`replay`, the Mesa model) or played in one go (:func:`replay_states`,
the kernel loop), with the same states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from pydantic import ValidationError

from sim.core.compile import compile_params
from sim.core.errors import Problem, UserError
from sim.core.scenario import Scenario
from sim.core.scenario.fields import Real, Rounds, Seed, Strict, Text
from sim.core.scenario.messages import pydantic_problems
from sim.core.tomlfile import read_toml
from sim.engine.kernel import play
from sim.engine.model import NegotiationModel
from sim.engine.scenarios import load_scenario
from sim.protocols import PROTOCOLS, Seat, State, playable_protocols

__all__ = [
    "ANSWERS",
    "Move",
    "Session",
    "load_session",
    "replay",
    "replay_states",
    "seat_of",
    "session_from_dict",
    "session_toml",
]

ANSWERS = {"mediated": ("accept", "object"), "alternating": ("accept", "reject")}
"""The answers a seated person can give, by protocol."""


class MoveSpec(Strict):
    """One ``[[moves]]`` entry."""

    round: Rounds
    answer: Text | None = None
    demand: dict[str, Real] | None = None
    offer: dict[str, Real] | None = None


class HeaderSpec(Strict):
    """The ``[session]`` table."""

    scenario: Text
    scenario_sha256: Text | None = None
    seat: Text
    protocol: Text
    seed: Seed
    rounds: Rounds
    player: Text = ""
    changes: dict[str, Any] = {}


class SessionSpec(Strict):
    """A whole session file."""

    session: HeaderSpec
    moves: list[MoveSpec] = []


@dataclass(frozen=True)
class Move:
    """What the person in the seat did in one round.

    Attributes:
        round: The round (1, 2, ...).
        answer: ``accept``, ``object`` (mediated) or ``reject`` (alternating); None in
            the seat's own turn to propose (alternating).
        demand: What it asked the text to become, by issue, in the issues' units (mediated).
        offer: The text it proposed, by issue (alternating, its turn).
    """

    round: int
    answer: str | None = None
    demand: dict[str, float] | None = None
    offer: dict[str, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The move as a ``[[moves]]`` table (empty fields left out)."""
        out: dict[str, Any] = {"round": self.round}
        for key in ("answer", "demand", "offer"):
            value = getattr(self, key)
            if value is not None:
                out[key] = dict(value) if isinstance(value, dict) else value
        return out


@dataclass(frozen=True)
class Session:
    """A validated session.

    Attributes:
        scenario: The scenario as played (the file with ``changes`` applied).
        file: The scenario file as written in the session.
        base: The scenario file as loaded (before ``changes``).
        seat: Id of the party the person played.
        protocol: Protocol name (one a person can play).
        seed: Seed of the run.
        rounds: Round limit.
        player: The name the person typed (may be empty).
        changes: Scenario values set away from the file, by dotted path.
        moves: The person's moves, by increasing round.
        source: The session file (or ``<session>``).
    """

    scenario: Scenario
    file: str
    base: Scenario
    seat: str
    protocol: str
    seed: int
    rounds: int
    player: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    moves: tuple[Move, ...] = ()
    source: str = "<session>"

    @property
    def seat_index(self) -> int:
        """The seat's index in the scenario's party order."""
        return self.scenario.party_ids.index(self.seat)

    def seats(self) -> dict[int, Seat]:
        """The moves as kernel seats, by round (normalised texts)."""
        return {move.round: seat_of(self.scenario, self.seat_index, move) for move in self.moves}

    def model(self) -> NegotiationModel:
        """A fresh model of this session's run at round 0 (nobody has moved yet)."""
        return NegotiationModel(self.scenario, self.protocol, self.seed, self.rounds)


def seat_of(scenario: Scenario, party: int, move: Move) -> Seat:
    """A move as the kernel's :class:`~sim.protocols.seat.Seat` (texts normalised)."""

    def normalised(text: dict[str, float] | None) -> np.ndarray | None:
        if text is None:
            return None
        return np.array([(text[i.id] - i.min) / i.span for i in scenario.issues])

    accepts = None if move.answer is None else move.answer == "accept"
    return Seat(party, accepts, normalised(move.demand), normalised(move.offer))


def load_session(path: str | Path) -> Session:
    """Read and validate a session file (its scenario path: as written, else relative to the file).

    Raises:
        UserError: Listing every problem found, one line each.
    """
    source = str(path)
    data = read_toml(path)  # size, encoding, syntax and nesting checked as for scenario files
    return session_from_dict(data, source, Path(path).parent)


def _scenario_path(written: str, folder: Path | None) -> Path:
    path = Path(written)
    if path.is_absolute() or path.exists() or folder is None:
        return path
    beside = folder / written
    return beside if beside.exists() else path


def session_from_dict(data: dict, source: str = "<session>", folder: Path | None = None) -> Session:
    """Validate session data (see :func:`load_session`); every problem is reported at once.

    Args:
        data: The parsed file.
        source: Name of the file, for messages.
        folder: Where the file lies (its scenario path may be relative to it).

    Raises:
        UserError: One line per problem (file, field, what is allowed).
    """
    try:
        spec = SessionSpec.model_validate(data)
    except ValidationError as exc:
        raise UserError(pydantic_problems(source, exc, SessionSpec)) from None
    head = spec.session
    problems: list[Problem] = []

    def bad(where: str, message: str) -> None:
        problems.append(Problem(source, where, message))

    if head.protocol not in playable_protocols():
        allowed = ", ".join(playable_protocols())
        known = "" if head.protocol in PROTOCOLS else "an unknown protocol; "
        raise UserError.at(source, "session.protocol", f"{known}must be one a person can play: {allowed}")
    try:
        base = load_scenario(_scenario_path(head.scenario, folder))
    except UserError as exc:
        reason = "; ".join(p.message for p in exc.problems)
        raise UserError.at(source, "session.scenario", f"cannot load {head.scenario}: {reason}") from None
    if head.scenario_sha256 is not None and head.scenario_sha256 != base.sha256:
        bad(
            "session.scenario_sha256",
            f"{head.scenario} has changed since the session was played "
            f"(sha256 {head.scenario_sha256[:12]}... then, {base.sha256[:12]}... now)",
        )
    scenario = base
    if head.changes:
        try:
            scenario = base.with_values(head.changes, source=f"{source}: session.changes")
        except UserError as exc:
            problems += exc.problems
    if head.seat not in base.party_ids:
        bad("session.seat", f"must be a party of {base.name}: {', '.join(base.party_ids)}; got {head.seat!r}")
    if problems:
        raise UserError(problems)
    moves = tuple(_moves(spec.moves, scenario, head, bad))
    if problems:
        raise UserError(problems)
    return Session(
        scenario=scenario,
        file=head.scenario,
        base=base,
        seat=head.seat,
        protocol=head.protocol,
        seed=int(head.seed),
        rounds=int(head.rounds),
        player=head.player,
        changes=dict(head.changes),
        moves=moves,
        source=source,
    )


def _moves(specs: list[MoveSpec], scenario: Scenario, head: HeaderSpec, bad) -> list[Move]:
    """The moves, checked against the protocol, the seat's turns and the issues' scales."""
    out: list[Move] = []
    allowed = ANSWERS[head.protocol]
    seat = scenario.party_ids.index(head.seat)
    previous = 0
    for k, move in enumerate(specs):
        where = f"moves[{k}]"
        if move.round <= previous:
            bad(f"{where}.round", f"must be after the previous move's round ({previous}); got {move.round}")
        if move.round > head.rounds:
            bad(f"{where}.round", f"must be at most the round limit ({head.rounds}); got {move.round}")
        previous = max(previous, move.round)
        proposes = head.protocol == "alternating" and (move.round - 1) % len(scenario.parties) == seat
        if proposes and move.answer is not None:
            bad(f"{where}.answer", f"{head.seat} proposes in round {move.round} and is not asked; give an offer")
        elif not proposes and move.answer not in allowed:
            bad(f"{where}.answer", f"must be one of {', '.join(allowed)}; got {move.answer!r}")
        if move.demand is not None and head.protocol != "mediated":
            bad(f"{where}.demand", "only in the mediated protocol (alternating: an offer in the seat's turn)")
        if move.demand is not None and move.answer == "accept":
            bad(f"{where}.demand", "only with answer = object (an accepting party demands nothing)")
        if move.offer is not None and not proposes:
            bad(f"{where}.offer", f"only in {head.seat}'s own turn to propose (alternating)")
        texts = {}
        for key in ("demand", "offer"):
            text = getattr(move, key)
            if text is not None:
                texts[key] = _text(text, scenario, f"{where}.{key}", bad)
        out.append(Move(int(move.round), move.answer, texts.get("demand"), texts.get("offer")))
    return out


def _text(text: dict[str, float], scenario: Scenario, where: str, bad) -> dict[str, float]:
    """A text by issue in the issues' units: every issue named, each within its scale."""
    ids = scenario.issue_ids
    for key in text:
        if key not in ids:
            bad(f"{where}.{key}", f"unknown issue; issues: {', '.join(ids)}")
    missing = [i for i in ids if i not in text]
    if missing:
        bad(where, f"missing {', '.join(missing)}; name every issue ({', '.join(ids)})")
    for issue in scenario.issues:
        if issue.id not in text:
            continue
        value = float(text[issue.id])
        if not issue.min <= value <= issue.max:
            bad(f"{where}.{issue.id}", f"must be in [{issue.min:g}, {issue.max:g}]; got {value:g}")
    return {i.id: float(text[i.id]) for i in scenario.issues if i.id in text}


def session_toml(session: Session, note: str = "") -> str:
    """A session as a file :func:`load_session` reads back to the same session.

    Args:
        session: The session.
        note: A comment line for the top of the file (e.g. the result).
    """
    head: dict[str, Any] = {
        "scenario": session.file,
        "scenario_sha256": session.base.sha256,
        "seat": session.seat,
        "protocol": session.protocol,
        "seed": session.seed,
        "rounds": session.rounds,
        "player": session.player,
    }
    if session.changes:
        head["changes"] = dict(session.changes)
    data = {"session": head, "moves": [m.as_dict() for m in session.moves]}
    lines = [f"# A negsim session: {session.player or 'a player'} in {session.seat}'s seat ({session.protocol})."]
    lines.append("# Replay it with: negsim replay THIS-FILE")
    if note:
        lines.append(f"# {note}")
    return "\n".join(lines) + "\n\n" + tomli_w.dumps(data)


def replay(session: Session) -> NegotiationModel:
    """The session played again round by round (the Mesa model), to its end.

    Raises:
        UserError: If a move comes after the run has ended.
    """
    model = session.model()
    seats = session.seats()
    while not model.done and model.state.t < session.rounds:
        model.step(seats.get(model.state.t + 1))
    _check_ended(session, model.state)
    return model


def replay_states(session: Session) -> list[State]:
    """Every state of the session played again in one go (the kernel loop, no Mesa)."""
    params = compile_params(session.scenario, 1, session.rounds)
    protocol = PROTOCOLS[session.protocol]()
    states = list(play(protocol, params, np.array([session.seed], dtype=np.int64), session.seats()))
    _check_ended(session, states[-1])
    return states


def _check_ended(session: Session, state: State) -> None:
    late = [k for k, move in enumerate(session.moves) if move.round > state.t]
    if late:
        k = late[0]
        raise UserError.at(
            session.source,
            f"moves[{k}].round",
            f"the run ended in round {state.t}; a move in round {session.moves[k].round} is never played",
        )
