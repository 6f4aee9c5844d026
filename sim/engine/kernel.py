"""Drive a protocol over rounds on a batch of rows: the loop both faces share.

No pandas and no Mesa here: a single run (:func:`sim.engine.runner.run`) and the
batched engine (:func:`sim.engine.batch.run_many`) both play rounds with
:func:`play`; the Mesa model steps the same :func:`sim.protocols.play_round`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np

from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.protocols import Protocol, State, play_round

__all__ = ["COMPACT_SHARE", "play", "run_kernel"]


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


def _rows(record: Any, index: np.ndarray, batch: int) -> Any:
    """The rows ``index`` of a state or record (every array with a leading batch axis)."""
    if isinstance(record, np.ndarray):
        return record[index] if record.ndim and record.shape[0] == batch else record
    if is_dataclass(record):
        values = {f.name: _rows(getattr(record, f.name), index, batch) for f in fields(record)}
        return replace(record, **values)
    return record


def _put(target: Any, index: np.ndarray, source: Any, batch: int) -> Any:
    """``target`` with its rows ``index`` taken from ``source`` (arrays copied on first write)."""
    if isinstance(target, np.ndarray):
        if not (target.ndim and target.shape[0] == batch):
            return target
        out = np.array(target, copy=True)
        out[index] = source
        return out
    if is_dataclass(target):
        values = {f.name: _put(getattr(target, f.name), index, getattr(source, f.name), batch) for f in fields(target)}
        return replace(target, **values)
    return target


COMPACT_SHARE = 0.5
"""Drop finished rows from the working batch once more than this share of it has finished."""


def run_kernel(protocol: Protocol, params: KernelParams, seeds: np.ndarray) -> State:
    """Drive a protocol on a batch until every row has finished; the last state of every row.

    Finished rows are set aside as the batch goes (once more than
    :data:`COMPACT_SHARE` of the working rows have finished), so the later
    rounds compute only on rows still negotiating; the result is the same as
    playing every row to the end (finished rows never change).
    """
    batch = params.batch
    if batch < 64:
        (last,) = deque(play(protocol, params, seeds), maxlen=1)  # keep only the last state
        return last
    streams = RunStreams.from_seeds(seeds)
    state = protocol.start(params, streams)
    final = state
    live = np.arange(batch)
    limit = int(params.rounds.max())
    while not state.done.all() and state.t < limit:
        state = play_round(protocol, params, state, streams)
        done = state.done
        if done.mean() > COMPACT_SHARE and not done.all():
            final = _put(final, live[done], _rows(state, np.flatnonzero(done), len(live)), batch)
            keep = np.flatnonzero(~done)
            state, params = _rows(state, keep, len(live)), params.take(keep)
            streams = RunStreams.from_seeds(streams.seeds[keep])
            live = live[keep]
    final = _put(final, live, state, batch)
    return replace(final, t=state.t)
