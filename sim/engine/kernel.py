"""Drive a protocol over rounds on a batch of rows: the loop both faces share.

No pandas and no Mesa here: a single run (:func:`sim.engine.runner.run`) and the
batched engine (:func:`sim.engine.batch.run_many`) both play rounds with
:func:`play`; the Mesa model steps the same :func:`sim.protocols.play_round`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import numpy as np

from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.protocols import Protocol, State, play_round

__all__ = ["play", "run_kernel"]


def play(protocol: Protocol, params: KernelParams, seeds: np.ndarray) -> Iterator[State]:
    """Every state of a batch from round 0 until every row has finished (or the round limit).

    Finished rows are left as they are by the kernel (masked). The Mesa model
    steps the same rounds one at a time (:class:`~sim.engine.model.NegotiationModel`).
    """
    streams = RunStreams.from_seeds(seeds)
    state = protocol.start(params, streams)
    yield state
    limit = int(params.rounds.max()) if params.batch else 0
    while not state.done.all() and state.t < limit:
        state = play_round(protocol, params, state, streams)
        yield state


def run_kernel(protocol: Protocol, params: KernelParams, seeds: np.ndarray) -> State:
    """Drive a protocol on a batch until every row has finished; the last state."""
    (last,) = deque(play(protocol, params, seeds), maxlen=1)  # keep only the last state
    return last
