"""What happens around the table: the front line and which events occur, drawn once per run.

Both are exogenous to the talks (the negotiation does not move the front), so
a run draws their whole path at round 0 from its own random stream
(:mod:`sim.core.streams`): the stepped model and the batched engine see the
same world for the same seed.

The front line (a random walk with drift and jumps, in normalised units of
its issue):

    F(0) = start,   F(t) = clip(F(t-1) + drift + volatility * eps_t + jump_size * J_t, 0, 1)

with ``eps_t`` standard normal and ``J_t = 1`` with probability ``jump_rate``.
An event of probability q happens in a run when its uniform draw is below q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.params import KernelParams
from sim.core.streams import EVENTS, FRONT, JUMP, RunStreams

__all__ = ["World", "draw_world"]


@dataclass(frozen=True)
class World:
    """The exogenous world of B runs.

    Attributes:
        front: The front line by round, normalised, ``(B, L)``; None without a battlefield.
        fired: Whether each event happens in each run, ``(B, E)``.
    """

    front: np.ndarray | None
    fired: np.ndarray

    def front_at(self, t: int) -> np.ndarray | None:
        """The front line in round ``t``, ``(B,)`` (the last round drawn past the end)."""
        if self.front is None:
            return None
        return self.front[:, min(t, self.front.shape[1] - 1)]


def draw_world(params: KernelParams, streams: RunStreams) -> World:
    """Draw the front line's path and which events happen, for every row.

    Args:
        params: Parameters (the battlefield and the events).
        streams: One random stream per row.

    Returns:
        The world of the batch.
    """
    fired = streams.uniform((len(params.events.labels),), purpose=EVENTS) < params.events.probability
    front = params.front
    if front.issue < 0:
        return World(None, fired)
    length = params.floor_table.shape[1]
    shocks = streams.normal((length,), purpose=FRONT)
    jumps = streams.uniform((length,), purpose=JUMP) < front.jump_rate[:, None]
    steps = front.drift[:, None] + front.volatility[:, None] * shocks + front.jump_size[:, None] * jumps
    path = np.empty((params.batch, length))
    path[:, 0] = front.start
    for t in range(1, length):
        path[:, t] = np.clip(path[:, t - 1] + steps[:, t], 0.0, 1.0)
    return World(path, fired)
