"""A student at the table: one party's seat under ``mediated`` or ``alternating``, the others played by the model.

:class:`Game` holds one seated run. Each round :meth:`Game.turn` says what
the student faces (the text on the table, the seat's utility of it against
its walk-away and red lines in force, the other parties' last moves, and
what the model's own agent would do in the seat); :meth:`Game.move` plays
the student's move through the kernel (a :class:`~sim.protocols.seat.Seat`
the protocol consults). At the end :meth:`Game.result` compares the
student's result with the model's own agent in the same seat (the same run
without the student) and with the benchmarks; :meth:`Game.session` is the
session to save (:func:`sim.engine.session.session_toml`) and replay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.core.acceptance import answers, net_utilities
from sim.core.errors import UserError
from sim.core.scenario import Scenario
from sim.engine.model import NegotiationModel
from sim.engine.session import ANSWERS, Move, Session, seat_of
from sim.protocols import ENDINGS, next_text, play_round
from sim.protocols.alternating import Alternating
from sim.ui.classroom import solutions_for

__all__ = ["Game", "Result", "Turn", "replay_game", "replay_report"]


@dataclass(frozen=True)
class Turn:
    """What the student faces in one round.

    Attributes:
        round: The round about to be played.
        proposes: Whether the seat proposes this round (alternating), rather than answers.
        proposer: Name of the party whose offer is on the table (alternating) or "the mediator".
        text: The text on the table, by issue in the issues' units (the model's offer when the seat proposes).
        utility: The seat's utility of that text.
        walkaway: The seat's walk-away value in force this round.
        red_lines: The seat's red lines in force, ``{issue: (low, high)}`` in the issues' units.
        inside: Whether the text respects every red line of the seat.
        suggestion: What the model's own agent would do: ``answer`` and ``demand`` (mediated) or ``offer``.
        others: The other parties' last moves, one sentence each.
        choices: The answers the student may give (empty when proposing).
    """

    round: int
    proposes: bool
    proposer: str
    text: dict[str, float]
    utility: float
    walkaway: float
    red_lines: dict[str, tuple[float, float]]
    inside: bool
    suggestion: dict[str, Any]
    others: list[str]
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    """How the student did, against the model's own agent in the seat and the benchmarks.

    Attributes:
        deal: Whether the student's run ended in a deal.
        round: The round it ended.
        ended_by: How it ended.
        utility: The seat's utility (of the deal, or its walk-away value at the end without one).
        model_deal: Whether the model's own agent reached a deal in the seat.
        model_round: The round the model's run ended.
        model_utility: The seat's utility in the model's run.
        benchmarks: The seat's utility at each benchmark solution (None where none exists).
    """

    deal: bool
    round: int
    ended_by: str
    utility: float
    model_deal: bool
    model_round: int
    model_utility: float
    benchmarks: dict[str, float | None]

    def sentences(self, seat: str) -> list[str]:
        """The comparison in words."""
        yours = f"deal in round {self.round}" if self.deal else f"no deal ({self.ended_by.replace('_', ' ')})"
        model = f"deal in round {self.model_round}" if self.model_deal else f"no deal after {self.model_round} rounds"
        diff = self.utility - self.model_utility
        verdict = "the same as" if abs(diff) < 5e-4 else ("better than" if diff > 0 else "worse than")
        lines = [
            f"You: {yours}; {seat}'s utility {self.utility:.3f}.",
            f"The model's own agent in {seat}'s seat: {model}; utility {self.model_utility:.3f}.",
            f"You did {verdict} the model's agent ({diff:+.3f}).",
        ]
        marks = [f"{name.replace('_', '-')} {u:.3f}" for name, u in self.benchmarks.items() if u is not None]
        if marks:
            lines.append(f"{seat}'s utility at the benchmarks: " + ", ".join(marks) + ".")
        return lines


class Game:
    """One student in one seat (the other parties play the model).

    Args:
        scenario: The scenario as the sliders set it.
        seat: Id of the party the student plays.
        protocol: ``mediated`` or ``alternating``.
        seed: Seed of the run.
        rounds: Round limit.
        file: The scenario file (as the session file will name it).
        base: The scenario as loaded from that file.
        changes: Values set away from the file, ``{path: value}``.
        player: The student's name.

    Raises:
        UserError: If the protocol cannot seat a person or the seat is not a party.
    """

    def __init__(
        self,
        scenario: Scenario,
        seat: str,
        protocol: str,
        seed: int,
        rounds: int,
        file: str,
        base: Scenario | None = None,
        changes: dict[str, Any] | None = None,
        player: str = "",
    ) -> None:
        if protocol not in ANSWERS:
            raise UserError.at("play", "protocol", f"a person can play {', '.join(ANSWERS)}; got {protocol!r}")
        if seat not in scenario.party_ids:
            raise UserError.at("play", "seat", f"must be one of {', '.join(scenario.party_ids)}; got {seat!r}")
        self.session = Session(
            scenario=scenario,
            file=file,
            base=base or scenario,
            seat=seat,
            protocol=protocol,
            seed=int(seed),
            rounds=int(rounds),
            player=player,
            changes=dict(changes or {}),
        )
        self.model: NegotiationModel = self.session.model()
        self.moves: list[Move] = []

    @property
    def scenario(self) -> Scenario:
        """The scenario played."""
        return self.session.scenario

    @property
    def index(self) -> int:
        """The seat's index in the party order."""
        return self.session.seat_index

    @property
    def done(self) -> bool:
        """Whether the run has ended."""
        return self.model.done

    def _units(self, z: np.ndarray) -> dict[str, float]:
        values = self.scenario.to_units(z, on_grid=True)
        return {i.id: float(v) for i, v in zip(self.scenario.issues, values, strict=True)}

    def turn(self) -> Turn:
        """What the student faces in the next round."""
        model, s, k = self.model, self.scenario, self.index
        t = model.state.t + 1
        now = model.params.at_round(t, model.state.world.fired)
        view = model.state.view(now, t)
        text = next_text(model.protocol, model.params, model.state)
        accepts, utility = answers(now, text, view)
        proposes = isinstance(model.protocol, Alternating) and Alternating.proposer(t, len(s.parties)) == k
        low = s.to_units(view.low[0, k])
        high = s.to_units(view.high[0, k])
        inside = bool(np.all((text[0] >= view.low[0, k] - 1e-12) & (text[0] <= view.high[0, k] + 1e-12)))
        if isinstance(model.protocol, Alternating):
            proposer = s.parties[Alternating.proposer(t, len(s.parties))].name
        else:
            proposer = "the mediator"
        return Turn(
            round=t,
            proposes=proposes,
            proposer=proposer,
            text=self._units(text[0]),
            utility=float(utility[0, k]),
            walkaway=float(view.walkaway[0, k]),
            red_lines={i.id: (float(lo), float(hi)) for i, lo, hi in zip(s.issues, low, high, strict=True)},
            inside=inside,
            suggestion=self._suggestion(text, bool(accepts[0, k]), proposes),
            others=self._others(),
            choices=() if proposes else ANSWERS[self.session.protocol],
        )

    def _suggestion(self, text: np.ndarray, accepts: bool, proposes: bool) -> dict[str, Any]:
        """The model's own move in the seat: its offer, or its answer (and demand) to the text."""
        if proposes:
            return {"offer": self._units(text[0])}
        model = self.model
        after = play_round(model.protocol, model.params, model.state, model.streams)  # streams are stateless
        out: dict[str, Any] = {
            "answer": "accept" if bool(after.accepts[0, self.index]) else ANSWERS[self.session.protocol][1]
        }
        if self.session.protocol == "mediated":
            out["demand"] = self._units(after.demands[0, self.index])
        return out

    def _others(self) -> list[str]:
        """The other parties' moves in the last round, in words."""
        model, s = self.model, self.scenario
        state = model.state
        if state.t == 0:
            return ["Round 0: the opening text is on the table; nobody has answered yet."]
        lines = []
        if isinstance(model.protocol, Alternating):
            q = Alternating.proposer(state.t, len(s.parties))
            who = "You" if q == self.index else s.parties[q].name
            lines.append(f"Round {state.t}: {who} offered " + _words(s, self._units(state.text[0])) + ".")
        for k, party in enumerate(s.parties):
            if k == self.index:
                continue
            answer = "accepted" if state.accepts[0, k] else "objected"
            if isinstance(model.protocol, Alternating):
                if Alternating.proposer(state.t, len(s.parties)) == k:
                    continue
                answer = "accepted" if state.accepts[0, k] else "rejected"
            line = f"{party.name} {answer}"
            if not state.accepts[0, k] and not isinstance(model.protocol, Alternating):
                line += ", asking for " + _words(s, self._units(state.demands[0, k]))
            lines.append(line + ".")
        return lines

    def move(
        self, answer: str | None = None, demand: dict[str, float] | None = None, offer: dict[str, float] | None = None
    ) -> None:
        """Play the student's move in the next round (values in the issues' units).

        Raises:
            UserError: If the run is over, or the move does not fit the round (an answer when the
                seat must propose, a demand with an acceptance, ...).
        """
        if self.done:
            raise UserError.at("play", "move", "the run is over")
        t = self.model.state.t + 1
        proposes = self.turn_proposes(t)
        if proposes:
            answer, demand = None, None
        elif answer not in ANSWERS[self.session.protocol]:
            raise UserError.at(
                "play", "answer", f"must be one of {', '.join(ANSWERS[self.session.protocol])}; got {answer!r}"
            )
        if answer == "accept":
            demand = None
        move = Move(t, answer, _clean(demand), _clean(offer) if proposes else None)
        self.model.step(seat_of(self.scenario, self.index, move))
        self.moves.append(move)
        self.session = _with_moves(self.session, self.moves)

    def turn_proposes(self, t: int) -> bool:
        """Whether the seat proposes in round ``t``."""
        return (
            self.session.protocol == "alternating" and Alternating.proposer(t, len(self.scenario.parties)) == self.index
        )

    def result(self) -> Result:
        """The student's result against the model's own agent in the seat and the benchmarks (once done)."""
        s, k = self.scenario, self.index
        mine = self.model.state
        theirs = NegotiationModel(s, self.session.protocol, self.session.seed, self.session.rounds).run_to_end().state
        benchmarks: dict[str, float | None] = {}
        params = self.model.params
        for name, text in solutions_for(s).as_dict().items():
            if text is None:
                benchmarks[name] = None
                continue
            z = np.array([[(text[i.id] - i.min) / i.span for i in s.issues]])
            benchmarks[name] = float(net_utilities(params, z)[0, k])
        return Result(
            deal=bool(mine.agreement[0]),
            round=int(mine.t),
            ended_by=_ending(mine),
            utility=_seat_utility(mine, k),
            model_deal=bool(theirs.agreement[0]),
            model_round=int(theirs.t),
            model_utility=_seat_utility(theirs, k),
            benchmarks=benchmarks,
        )


def _seat_utility(state, k: int) -> float:
    return float(state.utility[0, k] if state.agreement[0] else state.walkaway[0, k])


def _ending(state) -> str:
    return ENDINGS[int(state.ended_by[0])] or "round_limit"


def _clean(text: dict[str, float] | None) -> dict[str, float] | None:
    return None if text is None else {k: float(v) for k, v in text.items()}


def _with_moves(session: Session, moves: list[Move]) -> Session:
    return replace(session, moves=tuple(moves))


def _words(scenario: Scenario, text: dict[str, float]) -> str:
    return "; ".join(f"{i.label} {i.format(text[i.id])}" for i in scenario.issues)


def replay_game(session: Session) -> Game:
    """A saved session played again as a :class:`Game` (rounds without a move: the model's own move).

    Raises:
        UserError: If a move comes after the run has ended.
    """
    game = Game(
        session.scenario,
        session.seat,
        session.protocol,
        session.seed,
        session.rounds,
        session.file,
        session.base,
        session.changes,
        session.player,
    )
    moves = {m.round: m for m in session.moves}
    while not game.done:
        t = game.model.state.t + 1
        move = moves.get(t)
        if move is None:
            game.model.step()
        else:
            game.model.step(seat_of(game.scenario, game.index, move))
            game.moves.append(move)
    game.session = _with_moves(game.session, game.moves)
    late = [m for m in session.moves if m.round > game.model.state.t]
    if late:
        k = session.moves.index(late[0])
        raise UserError.at(
            session.source,
            f"moves[{k}].round",
            f"the run ended in round {game.model.state.t}; a move in round {late[0].round} is never played",
        )
    return game


def replay_report(session: Session, game: Game) -> list[str]:
    """A replayed session in words: who played what, where it ended, and how the player did."""
    s = game.scenario
    seat = s.party(session.seat).name
    state = game.model.state
    who = session.player or "a player"
    lines = [f"{who} in {seat}'s seat: {session.protocol}, seed {session.seed}, {s.name} ({len(session.moves)} moves)."]
    if state.agreement[0]:
        deal = s.to_units(state.deal[0], on_grid=True)
        words = "; ".join(f"{i.label} {i.format(v)}" for i, v in zip(s.issues, deal, strict=True))
        lines.append(f"Deal in round {int(state.round[0])}: {words}.")
    else:
        lines.append(f"No deal after {int(state.t)} rounds ({_ending(state).replace('_', ' ')}).")
    return lines + game.result().sentences(seat)
