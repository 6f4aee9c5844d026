"""How each run ended: one reason per row, read from the final kernel state.

The reasons (``ended_by``) are pinned: ``"deal"``, ``"round_limit"``,
``"walkout"``, ``"breakdown"`` and ``"ratification"``. Today the kernel can
end a run with a deal, at its round limit, or when a failed domestic
ratification ends the talks (``ratification_failure = "end"``); walk-outs and
breakdowns come with the scenario features of issue #12, which extend
:func:`ended_by` and :func:`walked_out` here (the state fields they read are
looked up by name, so a state without them reads as "none").
"""

from __future__ import annotations

import numpy as np

from sim.core.params import KernelParams
from sim.protocols import State

__all__ = ["END_REASONS", "ended_by", "walked_out"]

END_REASONS = ("deal", "round_limit", "walkout", "breakdown", "ratification")
"""Every way a run can end, in the order tables list them."""


def walked_out(state: State) -> np.ndarray:
    """Which parties walked out of each run, ``(B, P)`` booleans (none before walk-outs exist)."""
    found = getattr(state, "walked_out", None)
    if found is None:
        return np.zeros(state.accepts.shape, dtype=bool)
    return np.asarray(found, dtype=bool)


def ended_by(params: KernelParams, state: State) -> np.ndarray:
    """The reason each run ended, ``(B,)`` strings from :data:`END_REASONS`.

    A run with a deal ended by ``"deal"``; one a walk-out or a breakdown ended
    by that; one whose last round saw a failed ratification that ends the talks
    by ``"ratification"``; any other by ``"round_limit"``.
    """
    reason = np.full(params.batch, "round_limit", dtype=object)
    breakdown = getattr(state, "broke_down", None)
    if breakdown is not None:
        reason[np.asarray(breakdown, dtype=bool)] = "breakdown"
    reason[walked_out(state).any(axis=-1)] = "walkout"
    if params.ratification.ends_talks:
        reason[state.learned.failed.any(axis=-1) & state.done] = "ratification"
    reason[state.agreement] = "deal"
    return reason
