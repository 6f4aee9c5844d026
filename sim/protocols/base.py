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

from sim.core.acceptance import Learned, TableView, after_ratification, agreement_at_table, answers, net_utilities
from sim.core.errors import Problem
from sim.core.params import KernelParams
from sim.core.scenario import RuleContext
from sim.core.streams import RunStreams

__all__ = ["REGISTRY", "ConsentRound", "Memory", "Protocol", "State", "consent_round"]


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

    Returns:
        The round's answers, deals, failures and what was learnt.
    """
    t = state.t + 1
    accepts, utility = answers(params, text, view)
    if also is not None:
        accepts &= also(utility) if callable(also) else also
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

    @classmethod
    def initial(cls, params: KernelParams, text: np.ndarray, memory: Memory | None = None) -> State:
        """Round 0: every party at its ideal, ``text`` on the table."""
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
        )

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
        return replace(
            self,
            t=t,
            done=self.done | agreed | expired,
            agreement=self.agreement | agreed,
            round=np.where(agreed | expired, t, self.round),
            deal=np.where(agreed[:, None], text, self.deal),
            **changed,
        )


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
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    reference: ClassVar[str]
    uses_randomness: ClassVar[bool] = False
    forecast: ClassVar[bool] = False
    listing_order: ClassVar[int] = 100

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
