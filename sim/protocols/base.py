"""The protocol contract: every bargaining protocol is a plug of this shape.

A protocol turns the parties' state into offers and answers, round by round,
on arrays with a leading batch axis (B rows). A subclass of :class:`Protocol`
with a ``name`` is registered by being defined: a new file in
``sim/protocols/`` is found without editing any other file. It implements:

* ``start(params, streams) -> State``: round 0, the starting positions;
* ``step(params, state, streams) -> State``: one round, returns a new state.

Rows that have finished are left unchanged by ``step`` (masked by
:meth:`State.advance`). Both the Mesa model (B = 1) and the batched engine
drive protocols through this interface.

**The consent round.** A protocol in which parties give their consent
(``forecast = False``) settles each round with :func:`consent_round`: the
red lines and walk-aways in force (softened, learnt from failed
ratifications), every party's answer, domestic ratification of a text the
table agreed, what the failing parties learn, and an early end when the
scenario says a failed ratification ends the talks. It then hands the result
to :meth:`State.advance` (``consent=...``), which records answers,
utilities, walk-aways and what was learnt. A protocol that skips it drops
ratification and guarantors; the contract test catches that.

**Memory.** What a protocol carries from round to round beyond the common
fields (the mediator's draft, the offers made so far) is a frozen dataclass
of arrays with a leading batch axis, its :class:`Memory`; ``advance`` masks
the fields that changed.

**Parameters.** A protocol's own numbers (grid limits, iteration counts) are
constructor arguments with defaults; constructors only store them, so a
protocol is a plain, clonable object (``protocol.get_params()``) that can be
set per run.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

import numpy as np

from sim.core.acceptance import (
    Learned,
    TableView,
    after_ratification,
    agreement_at_table,
    answers,
    judged_utilities,
    net_utilities,
    table_view,
)
from sim.core.errors import Problem
from sim.core.params import KernelParams
from sim.core.scenario import RuleContext
from sim.core.streams import BREAKDOWN, RunStreams
from sim.core.world import World, draw_world
from sim.protocols.seat import Seat

__all__ = [
    "ENDINGS",
    "REGISTRY",
    "ConsentRound",
    "Memory",
    "Protocol",
    "Seat",
    "State",
    "consent_round",
    "next_text",
    "play_round",
]

ENDINGS = ("", "deal", "round_limit", "ratification", "walkout", "breakdown", "no_bargaining_set")
"""How a run ended (``State.ended_by`` holds the index; "" while running): a deal, the round limit, a failed
ratification that ends the talks, a walk-out of a party whose consent is needed, a breakdown (the
per-round risk), or no text both main parties could accept (zeuthen)."""
_DEAL, _LIMIT, _RATIFICATION, _WALKOUT, _BREAKDOWN = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Memory:
    """A protocol's own state between rounds: subclass it with array fields ``(B, ...)``."""


def _masked(new: Any, old: Any, active: np.ndarray, everyone: bool) -> Any:
    """``new`` on active rows, ``old`` elsewhere (a record field by field, only fields that changed)."""
    if new is old or everyone:
        return new
    if isinstance(new, Memory | Learned):
        changes = {}
        for f in fields(new):
            value, before = getattr(new, f.name), getattr(old, f.name)
            if value is not before:
                changes[f.name] = _masked(value, before, active, everyone)
        return replace(new, **changes)
    mask = active.reshape(active.shape + (1,) * (np.ndim(new) - 1))
    return np.where(mask, new, old)


@dataclass(frozen=True)
class ConsentRound:
    """The outcome of one consent round (see :func:`consent_round`).

    Attributes:
        view: Walk-aways and red lines in force.
        accepts: Each party's answer, ``(B, P)``.
        utility: Each party's (net) utility of the text, ``(B, P)``.
        agreed: Rows whose deal was struck and ratified, ``(B,)``.
        failed: Parties whose ratification failed, ``(B, P)``.
        ended: Rows the failure ends (``ratification_failure = "end"``), ``(B,)``.
        learned: What the parties know after this round.
    """

    view: TableView
    accepts: np.ndarray
    utility: np.ndarray
    agreed: np.ndarray
    failed: np.ndarray
    ended: np.ndarray
    learned: Learned


def consent_round(
    params: KernelParams,
    state: State,
    text: np.ndarray,
    view: TableView,
    active: np.ndarray,
    streams: RunStreams,
    also: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
    seat: Seat | None = None,
) -> ConsentRound:
    """Answers to ``text``, then domestic ratification where the whole table accepts.

    Args:
        params: Parameters.
        state: The state before this round (for what was learnt so far).
        text: The text on the table, ``(B, I)``.
        view: Walk-aways and red lines in force this round (:func:`sim.core.acceptance.table_view`).
        active: Rows that play this round, ``(B,)``.
        streams: The rows' random streams (ratification draws).
        also: A further condition for each party's yes, ``(B, P)``, or a
            function of the parties' utilities giving one (e.g. an offer worth
            at least what the responder would ask next round).
        seat: A seat answered from outside (:class:`~sim.protocols.seat.Seat`): its
            answer replaces the party's own.

    Returns:
        The round's answers, deals, failures and what was learnt.
    """
    t = state.t + 1
    accepts, utility = answers(params, text, view)
    if also is not None:
        accepts &= also(utility) if callable(also) else also
    if seat is not None:
        accepts = seat.answer(accepts)
    accepts |= state.walked  # a guarantor that walked out is no longer asked
    agreed, failed = agreement_at_table(params, text, utility, accepts, active, streams, t)
    return ConsentRound(
        view=view,
        accepts=accepts,
        utility=utility,
        agreed=agreed,
        failed=failed,
        ended=failed.any(axis=-1) & params.ratification.ends_talks,
        learned=after_ratification(params, state.learned, failed),
    )


@dataclass(frozen=True)
class State:
    """The state of B negotiations after round ``t``.

    Attributes:
        t: Rounds played (0 = starting positions).
        text: The text (or forecast) on the table this round, ``(B, I)``,
            normalised.
        demands: Each party's stated position this round, ``(B, P, I)``.
        utility: Each party's utility of the text, ``(B, P)``.
        walkaway: Each party's walk-away value this round, ``(B, P)``.
        aspiration: Each party's aspiration level this round, ``(B, P)``.
        accepts: Whether each party accepts the text, ``(B, P)``.
        done: Whether the row has finished, ``(B,)``.
        agreement: Whether the row ended in a deal, ``(B,)``.
        round: Round of the deal (or of the end, when no deal), ``(B,)``; -1
            while running.
        deal: The agreed text, ``(B, I)``; NaN without a deal.
        learned: What parties learnt from failed ratifications.
        memory: The protocol's own state (its :class:`Memory` subclass).
        world: The front line and which events happen (drawn at round 0).
        below: Rounds in a row each party has judged the text worse than
            fighting on, ``(B, P)``.
        walked: Parties that walked out, ``(B, P)``.
        ended_by: How each row ended, an index in :data:`ENDINGS`, ``(B,)``.
    """

    t: int
    text: np.ndarray
    demands: np.ndarray
    utility: np.ndarray
    walkaway: np.ndarray
    aspiration: np.ndarray
    accepts: np.ndarray
    done: np.ndarray
    agreement: np.ndarray
    round: np.ndarray
    deal: np.ndarray
    learned: Learned
    memory: Memory
    world: World
    below: np.ndarray
    walked: np.ndarray
    ended_by: np.ndarray

    @classmethod
    def initial(
        cls, params: KernelParams, streams: RunStreams, text: np.ndarray, memory: Memory | None = None
    ) -> State:
        """Round 0: every party at its ideal, ``text`` on the table, the world drawn from the rows' streams."""
        b = params.batch
        return cls(
            t=0,
            text=text,
            demands=params.prefs.ideal.copy(),
            utility=net_utilities(params, text),
            walkaway=params.walkaway_at(0),
            aspiration=np.ones((b, params.n_parties)),
            accepts=np.zeros((b, params.n_parties), dtype=bool),
            done=np.zeros(b, dtype=bool),
            agreement=np.zeros(b, dtype=bool),
            round=np.full(b, -1, dtype=np.int64),
            deal=np.full((b, params.n_issues), np.nan),
            learned=Learned.nothing(params),
            memory=Memory() if memory is None else memory,
            world=draw_world(params, streams),
            below=np.zeros((b, params.n_parties), dtype=np.int64),
            walked=np.zeros((b, params.n_parties), dtype=bool),
            ended_by=np.zeros(b, dtype=np.int8),
        )

    def view(self, params: KernelParams, t: int) -> TableView:
        """Walk-aways and red lines in force in round ``t`` (softened, learnt, moved by the front)."""
        return table_view(params, self.learned, t, self.world.front_at(t))

    def advance(
        self,
        params: KernelParams,
        active: np.ndarray,
        agreed: np.ndarray | None = None,
        ended: np.ndarray | None = None,
        consent: ConsentRound | None = None,
        **values: Any,
    ) -> State:
        """The next state: ``values`` replace fields on ``active`` rows only.

        Rows in ``agreed`` record a deal at round ``t + 1`` (their text);
        active rows reaching their round limit without a deal finish with no
        agreement.

        Args:
            params: The parameters (for the round limits).
            active: Rows that played this round, ``(B,)``.
            agreed: Rows that reached a deal this round, ``(B,)``.
            ended: Rows that end without a deal this round, ``(B,)``.
            consent: A :func:`consent_round`: its answers, utilities,
                walk-aways in force, deals, early ends and what was learnt.
            **values: New values for any per-round field (``text``,
                ``demands``, ...), ``memory`` or ``learned``.

        Returns:
            The new state.
        """
        if consent is not None:
            values = {
                "accepts": consent.accepts,
                "utility": consent.utility,
                "walkaway": consent.view.walkaway,
                "learned": consent.learned,
                **values,
            }
            agreed = consent.agreed if agreed is None else agreed | consent.agreed
            ended = consent.ended if ended is None else ended | consent.ended
        if agreed is None:
            agreed = np.zeros_like(active)
        t = self.t + 1
        everyone = bool(active.all())
        changed = {key: _masked(new, getattr(self, key), active, everyone) for key, new in values.items()}
        agreed = agreed & active
        expired = active & ~agreed & (t >= params.rounds)
        if ended is not None:
            expired |= active & ~agreed & ended
        text = changed.get("text", self.text)
        limit = active & ~agreed & (t >= params.rounds)
        ended_by = np.where(agreed, _DEAL, np.where(limit, _LIMIT, np.where(expired, _RATIFICATION, self.ended_by)))
        return replace(
            self,
            t=t,
            done=self.done | agreed | expired,
            agreement=self.agreement | agreed,
            round=np.where(agreed | expired, t, self.round),
            deal=np.where(agreed[:, None], text, self.deal),
            ended_by=ended_by.astype(np.int8),
            **changed,
        )

    def end(self, rows: np.ndarray, ending: str) -> State:
        """The same state with ``rows`` ended without a deal in this round, for the reason ``ending``."""
        rows = rows & ~self.done
        if not rows.any():
            return self
        return replace(
            self,
            done=self.done | rows,
            round=np.where(rows, self.t, self.round),
            ended_by=np.where(rows, ENDINGS.index(ending), self.ended_by).astype(np.int8),
        )


def _walkouts(params: KernelParams, before: State, after: State, played: np.ndarray) -> State:
    """Count rounds below the walk-away; a party that reaches ``walkout_after`` walks out.

    A party whose consent every issue needs (a principal) ends the talks; a
    guarantor's walk-out ends only its part: it is no longer asked (see
    :func:`consent_round`) and no longer pulls the mediated text.
    """
    judged = judged_utilities(params, after.text)
    below = np.where(played[:, None], np.where(judged < after.walkaway, before.below + 1, 0), before.below)
    limit = params.walkaways.walkout_after
    live = played & ~after.done
    out = (limit > 0) & (below >= limit) & ~before.walked & live[:, None]
    state = replace(after, below=below, walked=before.walked | out)
    principal = np.all(params.prefs.consent == 1.0, axis=-1)
    return state.end((out & principal).any(axis=-1), "walkout")


def play_round(
    protocol: Protocol, params: KernelParams, state: State, streams: RunStreams, seat: Seat | None = None
) -> State:
    """One round of a protocol with the world around it: the Mesa model and the batched engine call this.

    The parameters in force this round (events that have happened applied),
    the protocol's step, then walk-outs and the risk that the talks break down
    after a round without a deal (Binmore, Rubinstein & Wolinsky 1986).
    Forecasting protocols are not exposed to walk-outs or breakdown.

    Args:
        protocol: The protocol.
        params: The rows' parameters.
        state: The state after the last round.
        streams: The rows' random streams.
        seat: One party's move this round supplied from outside (a person at
            the table, a replayed session); only protocols with ``playable``.

    Raises:
        ValueError: If a seat is given to a protocol that cannot seat a person.
    """
    t = state.t + 1
    now = params.at_round(t, state.world.fired)
    played = protocol.active(now, state)
    if seat is None:
        after = protocol.step(now, state, streams)
    elif not protocol.playable:
        playable = ", ".join(sorted(name for name, cls in REGISTRY.items() if cls.playable))
        raise ValueError(f"protocol {protocol.name!r} cannot seat a person; playable: {playable}")
    else:
        after = protocol.step(now, state, streams, seat=seat)
    if protocol.forecast:
        return after
    if now.has_walkouts:
        after = _walkouts(now, state, after, played)
    if np.any(now.breakdown_risk > 0):
        live = played & ~after.done
        draw = streams.uniform((), rows=live, t=t, purpose=BREAKDOWN)
        after = after.end(live & (draw < now.breakdown_risk), "breakdown")
    return after


def next_text(protocol: Protocol, params: KernelParams, state: State) -> np.ndarray:
    """The text the next round puts on the table before anyone answers, ``(B, I)`` normalised.

    For a person in a seat: the mediator's next draft (``mediated``), or the
    proposer's offer as the model would make it (``alternating``: when the
    seat proposes, the model's suggestion). Only protocols with ``playable``.
    """
    now = params.at_round(state.t + 1, state.world.fired)
    return protocol.table(now, state)


REGISTRY: dict[str, type[Protocol]] = {}
"""Every protocol class defined so far, by name (filled by subclassing)."""


class Protocol(ABC):
    """A bargaining protocol working on batches of negotiations.

    Subclasses set ``name``, ``summary`` (one line) and ``reference`` (the
    paper it follows), implement :meth:`start` and :meth:`step`, and may add
    file rules (:meth:`check`). Defining the class registers it.

    Attributes:
        name: The name a scenario or ``--protocol`` uses.
        summary: One line for ``negsim protocols``.
        reference: The paper the protocol follows.
        uses_randomness: Whether runs differ by seed.
        forecast: True for forecasting models (bdm, compromise): their "deal"
            is a forecast that every party is assumed to sign; ``accepts``
            says who actually would.
        listing_order: Where the protocol appears in listings and tables.
        playable: Whether a person can take a party's seat (:class:`~sim.protocols.seat.Seat`):
            ``step`` then takes a ``seat`` and :meth:`table` says the next text.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    reference: ClassVar[str]
    uses_randomness: ClassVar[bool] = False
    forecast: ClassVar[bool] = False
    listing_order: ClassVar[int] = 100
    playable: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name is None or inspect.isabstract(cls):
            return
        if name in REGISTRY and REGISTRY[name].__qualname__ != cls.__qualname__:
            raise TypeError(f"two protocols are named {name!r}: {REGISTRY[name].__module__} and {cls.__module__}")
        REGISTRY[name] = cls

    @abstractmethod
    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: the starting positions of every row."""

    @abstractmethod
    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """Play one round on every unfinished row and return the new state."""

    def table(self, params: KernelParams, state: State) -> np.ndarray:
        """The text the next round tables before anyone answers (playable protocols; see :func:`next_text`)."""
        raise NotImplementedError(f"protocol {self.name!r} cannot seat a person")

    @classmethod
    def check(cls, ctx: RuleContext) -> list[Problem]:
        """Problems with a scenario file's settings that belong to this protocol (default: none)."""
        return []

    def active(self, params: KernelParams, state: State) -> np.ndarray:
        """Rows that play the next round."""
        return ~state.done & (state.t < params.rounds)

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments (as stored), scikit-learn style."""
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        signature = inspect.signature(type(self).__init__)
        names = [p.name for p in signature.parameters.values() if p.kind in kinds and p.name != "self"]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
