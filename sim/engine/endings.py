"""How each run ended: one reason per row, read from the final kernel state.

The reasons (``ended_by``) are pinned: ``"deal"``, ``"round_limit"``,
``"walkout"``, ``"breakdown"`` and ``"ratification"``, extended by
``"no_bargaining_set"`` (zeuthen: no text both main parties accept). The
kernel records them as it goes (``State.ended_by``, indices into
:data:`sim.protocols.ENDINGS`); a run still going reads as ``"round_limit"``.
"""

from __future__ import annotations

import numpy as np

from sim.core.params import KernelParams
from sim.protocols import ENDINGS, State

__all__ = ["END_REASONS", "ended_by", "walked_out"]

END_REASONS = ("deal", "round_limit", "walkout", "breakdown", "ratification", "no_bargaining_set")
"""Every way a run can end, in the order tables list them."""


def walked_out(state: State) -> np.ndarray:
    """Which parties walked out of each run, ``(B, P)`` booleans."""
    return np.asarray(state.walked, dtype=bool)


def ended_by(params: KernelParams, state: State) -> np.ndarray:
    """The reason each run ended, ``(B,)`` strings from :data:`END_REASONS`."""
    names = np.array([name or "round_limit" for name in ENDINGS], dtype=object)
    return names[np.asarray(state.ended_by, dtype=np.int64)]
