"""The protocol interface: every bargaining protocol is a plug of this shape.

A protocol turns the parties' state into offers and answers, round by round,
on arrays with a leading batch axis (B rows). It has two methods:

* ``start(params, streams) -> State``: round 0, the starting positions;
* ``step(params, state, streams) -> State``: one round, returns a new state.

Rows that have finished are left unchanged by ``step`` (masked). Both the Mesa
model (B = 1) and the batched engine drive protocols through this interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from sim.core.params import KernelParams
from sim.core.streams import RunStreams

__all__ = ["Protocol", "State"]


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
        extra: Protocol-specific arrays (e.g. the mediator's draft).
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
    extra: dict

    @classmethod
    def initial(cls, params: KernelParams, text: np.ndarray, **extra: np.ndarray) -> State:
        """Round 0: every party at its ideal, ``text`` on the table."""
        from sim.core.acceptance import learned_constraints, net_utilities

        b = params.batch
        return cls(
            t=0,
            text=text,
            demands=params.ideal.copy(),
            utility=net_utilities(params, text),
            walkaway=params.walkaway_at(0),
            aspiration=np.ones((b, params.n_parties)),
            accepts=np.zeros((b, params.n_parties), dtype=bool),
            done=np.zeros(b, dtype=bool),
            agreement=np.zeros(b, dtype=bool),
            round=np.full(b, -1, dtype=np.int64),
            deal=np.full((b, params.n_issues), np.nan),
            extra={**learned_constraints(params), **extra},
        )

    def advance(
        self,
        params: KernelParams,
        active: np.ndarray,
        agreed: np.ndarray,
        ended: np.ndarray | None = None,
        **values: np.ndarray,
    ) -> State:
        """The next state: ``values`` replace fields on ``active`` rows only.

        Rows in ``agreed`` record a deal at round ``t + 1`` (their text);
        active rows reaching their round limit without a deal finish with no
        agreement.

        Args:
            params: The parameters (for the round limits).
            active: Rows that played this round, ``(B,)``.
            agreed: Rows that reached a deal this round, ``(B,)``.
            ended: Rows that end without a deal this round (e.g. a failed
                ratification when the scenario says so), ``(B,)``.
            **values: New arrays for any of the per-round fields
                (``text``, ``demands``, ...) or for keys of ``extra``.

        Returns:
            The new state.
        """
        t = self.t + 1
        changed: dict = {}
        extra = dict(self.extra)
        everyone = bool(active.all())
        for key, new in values.items():
            old = extra[key] if key in extra else getattr(self, key)
            if everyone:
                merged = new
            else:
                mask = active.reshape(active.shape + (1,) * (np.ndim(new) - 1))
                merged = np.where(mask, new, old)
            if key in extra:
                extra[key] = merged
            else:
                changed[key] = merged
        agreed = agreed & active
        expired = active & ~agreed & (t >= params.rounds)
        if ended is not None:
            expired |= active & ~agreed & ended
        text = changed.get("text", self.text)
        return replace(
            self,
            t=t,
            extra=extra,
            done=self.done | agreed | expired,
            agreement=self.agreement | agreed,
            round=np.where(agreed | expired, t, self.round),
            deal=np.where(agreed[:, None], text, self.deal),
            **changed,
        )


class Protocol(ABC):
    """A bargaining protocol working on batches of negotiations.

    Subclasses set ``name``, ``summary`` (one line) and ``reference`` (the
    paper it follows) and implement :meth:`start` and :meth:`step`.
    Constructors only store parameters.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    reference: ClassVar[str]
    uses_randomness: ClassVar[bool] = False
    forecast: ClassVar[bool] = False
    """True for forecasting models (bdm, compromise): their "deal" is a forecast
    that every party is assumed to sign; ``accepts`` says who actually would."""

    @abstractmethod
    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: the starting positions of every row."""

    @abstractmethod
    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """Play one round on every unfinished row and return the new state."""

    def active(self, params: KernelParams, state: State) -> np.ndarray:
        """Rows that play the next round."""
        return ~state.done & (state.t < params.rounds)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
