"""Drive a protocol over rounds on a batch of rows: the loop every face shares.

Light on purpose (numpy and the protocols only, no Mesa, no pandas): a single
run (:func:`sim.engine.runner.run`), the batched engine
(:func:`sim.engine.batch.run_many`) and forecasts all play rounds here; the
Mesa model steps the same :func:`sim.protocols.play_round` one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np

from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.protocols import Protocol, Seat, State, play_round

__all__ = ["COMPACT_MIN_ROWS", "COMPACT_SHARE", "play", "run_kernel"]


def play(
    protocol: Protocol, params: KernelParams, seeds: np.ndarray, seats: Mapping[int, Seat] | None = None
) -> Iterator[State]:
    """Every state of a batch from round 0 until every row has finished (or the round limit).

    Finished rows are left as they are by the kernel (masked); every state is
    kept by the caller if it wants a history (a single run does).

    Args:
        protocol: The protocol.
        params: The rows' parameters.
        seeds: One seed per row.
        seats: A seat's move by round (a replayed session; see :class:`~sim.protocols.seat.Seat`).
    """
    seats = seats or {}
    streams = RunStreams.from_seeds(seeds)
    state = protocol.start(params, streams)
    yield state
    limit = int(params.rounds.max()) if params.batch else 0
    while not state.done.all() and state.t < limit:
        state = play_round(protocol, params, state, streams, seats.get(state.t + 1))
        yield state


COMPACT_SHARE = 0.5
"""Drop finished rows from the arrays once fewer than this share of them are still running."""
COMPACT_MIN_ROWS = 256
"""Batches smaller than this are never compacted (copying would cost more than it saves)."""


def _take_rows(value: Any, keep: np.ndarray, batch: int) -> Any:
    """The rows ``keep`` of every batched array in a state (dataclasses field by field)."""
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _take_rows(getattr(value, f.name), keep, batch) for f in fields(value)})
    if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == batch:
        return value[keep]
    return value


def _put_rows(full: Any, part: Any, index: np.ndarray, batch: int) -> Any:
    """``full`` with its rows ``index`` replaced by ``part`` (whose scalars, like ``t``, win)."""
    if is_dataclass(full) and not isinstance(full, type):
        changes = {f.name: _put_rows(getattr(full, f.name), getattr(part, f.name), index, batch) for f in fields(full)}
        return replace(full, **changes)
    if isinstance(full, np.ndarray) and full.ndim and full.shape[0] == batch:
        out = full.copy()
        out[index] = part
        return out
    return part


def run_kernel(
    protocol: Protocol,
    params: KernelParams,
    seeds: np.ndarray,
    observe: Callable[[State], None] | None = None,
) -> State:
    """Drive a protocol on a batch until every row has finished.

    Finished rows are left as they are by the kernel (masked); the loop ends
    when every row has a deal or reached its round limit. Once fewer than
    :data:`COMPACT_SHARE` of a large batch's rows are still running, the
    finished ones are set aside and the rest go on in smaller arrays (every
    row's numbers, its random draws included, depend on that row alone, so
    this changes no result, only the time).

    Args:
        protocol: The protocol.
        params: The rows' parameters.
        seeds: One seed per row.
        observe: Called with the state of every row in round 0 and after
            every round (a forecast records the text round by round this way).

    Returns:
        The final state of every row.
    """
    streams = RunStreams.from_seeds(seeds)
    state = protocol.start(params, streams)
    if observe is not None:
        observe(state)
    limit = int(params.rounds.max()) if params.batch else 0
    full, index, batch = state, None, params.batch  # the whole batch, the rows still stepped, their count

    def whole(current: State) -> State:
        return current if index is None else _put_rows(full, current, index, len(seeds))

    while not state.done.all() and state.t < limit:
        state = play_round(protocol, params, state, streams)
        if observe is not None:
            observe(whole(state))
        running = np.flatnonzero(~state.done)
        if batch >= COMPACT_MIN_ROWS and 0 < len(running) < COMPACT_SHARE * batch:
            full = whole(state)
            index = running if index is None else index[running]
            state = _take_rows(state, running, batch)
            params = params.take(running)
            streams = RunStreams.from_seeds(streams.seeds[running])
            batch = len(running)
    return whole(state)
