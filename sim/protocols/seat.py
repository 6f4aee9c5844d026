"""A seat taken from outside: one party's answer, demand or offer supplied by a person (or a replay).

The protocols that can seat a person (``Protocol.playable``) consult a
:class:`Seat` in their ``step``: what the seat supplies replaces that party's
move in the round, and everything else (the other parties' strategies, the
mediator, ratification at home, walk-outs, breakdown, the random streams)
stays the model's. A seat that supplies nothing (every field None) plays the
model's own move, so a session where the person always takes the model's
suggestion is the model's run, bit for bit.

* ``accepts``: the seat's answer to the text on the table (any consent
  protocol; the proposer of ``alternating`` is not asked).
* ``demand``: ``mediated``: the text the seat asks the mediator for when it
  objects (or when its ratification fails); the mediator pulls the next
  draft toward it with the seat's usual weight (bias x capability x salience).
* ``offer``: ``alternating``: the text the seat proposes in its turn.

Texts are normalised (0 = the issue's ``min``, 1 = its ``max``), one value
per issue, the same for every row of the batch; the protocol puts them on the
issue's grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Seat"]


@dataclass(frozen=True)
class Seat:
    """One party's move in one round, supplied from outside the model.

    Attributes:
        party: Index of the party in the scenario's order.
        accepts: Its answer to the text on the table (None: the model's answer).
        demand: What it asks the text to become, ``(I,)`` normalised (None: the model's demand).
        offer: The text it proposes when it is the proposer, ``(I,)`` normalised (None: the model's offer).
    """

    party: int
    accepts: bool | None = None
    demand: np.ndarray | None = None
    offer: np.ndarray | None = None

    def answer(self, accepts: np.ndarray) -> np.ndarray:
        """The table's answers ``(B, P)`` with this seat's answer in its column (when it gave one)."""
        if self.accepts is None:
            return accepts
        out = accepts.copy()
        out[:, self.party] = bool(self.accepts)
        return out

    def put(self, texts: np.ndarray, text: np.ndarray | None) -> np.ndarray:
        """Per-party texts ``(B, P, I)`` with ``text`` in this seat's row (when given)."""
        if text is None:
            return texts
        out = texts.copy()
        out[:, self.party] = np.asarray(text, dtype=float)
        return out
