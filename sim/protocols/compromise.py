"""``compromise``: the compromise model as a one-shot protocol.

The deal is, per issue, the capability x salience weighted mean of the ideals
(raw salience), in round 1:

    x_i = sum_a c_a s_ai p_ai / sum_a c_a s_ai

Like ``bdm`` it is a forecast of a collective decision, not a consented text:
``agreement`` is true and ``accepts`` reports whether each party would accept
the deal (red lines and walk-away value).

References:
    Achen, C. H. (2006). Evaluating political decision-making models. In
    Thomson, R., Stokman, F. N., Achen, C. H., & König, T. (eds), *The
    European Union Decides*. Cambridge University Press.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.acceptance import answers
from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.core.utility import snap_to_grid, weighted_mean
from sim.protocols.base import Memory, Protocol, State

__all__ = ["Compromise", "ForecastMemory", "compromise_text"]


def compromise_text(params: KernelParams) -> np.ndarray:
    """Per issue ``sum c s p / sum c s`` (raw salience), ``(B, I)``."""
    force = params.capability[..., None] * params.prefs.salience
    return weighted_mean(params.prefs.ideal, force)


@dataclass(frozen=True)
class ForecastMemory(Memory):
    """The forecast before it is put on an issue's grid or options, ``(B, I)`` (reported as the raw value)."""

    raw: np.ndarray


class Compromise(Protocol):
    """One-shot compromise: the weighted mean of the ideals."""

    name = "compromise"
    summary = "one-shot compromise model: the capability x salience weighted mean of the ideals"
    forecast = True
    reference = "Achen (2006) in Thomson et al., The European Union Decides"
    listing_order = 4

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: everyone at its ideal, the compromise on the table."""
        raw = compromise_text(params)
        return State.initial(params, streams, snap_to_grid(raw, params.step, params.levels), ForecastMemory(raw))

    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """Round 1: the compromise is the deal."""
        active = self.active(params, state)
        raw = compromise_text(params)
        text = snap_to_grid(raw, params.step, params.levels)
        view = state.view(params, state.t + 1)
        accepts, utility = answers(params, text, view)
        return state.advance(
            params,
            active,
            np.ones(params.batch, dtype=bool),
            text=text,
            utility=utility,
            walkaway=view.walkaway,
            accepts=accepts,
            memory=ForecastMemory(raw),
        )
