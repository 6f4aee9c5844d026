"""Many runs on the batched engine, kept as plain arrays (no table).

Forecasts, drivers and scores all need the same thing: N rows of a scenario
with some numbers set per row (by their path in the file) and one seed per
row, run with the protocol kernel (:func:`sim.engine.batch.run_kernel`), and
read back as arrays in issue units, optionally round by round. Rows are run
in chunks so that memory stays flat however many there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.compile import compile_params
from sim.core.scenario import Scenario
from sim.core.slots import apply_values
from sim.engine.endings import ended_by, walked_out
from sim.engine.kernel import run_kernel
from sim.engine.outcome import final_utilities
from sim.protocols import Protocol, State, resolve_protocol

__all__ = ["CHUNK", "RunRows", "run_rows"]

CHUNK = 10_000
"""Rows per kernel call."""


@dataclass(frozen=True)
class RunRows:
    """What N runs gave, in issue units (B rows, P parties, I issues, R rounds run).

    Attributes:
        horizon: Each row's round limit before any extension, ``(B,)``.
        agreement: Whether each row struck a deal (in the rounds run), ``(B,)``.
        deal_round: The round of the deal, -1 without one, ``(B,)``.
        end_round: The round each row ended, ``(B,)``.
        deal: The deal per issue, NaN without one, ``(B, I)``.
        final_text: The text on the table when the row ended (the deal if any), ``(B, I)``.
        utility: Each party's utility at the end (of the deal, or its walk-away value), ``(B, P)``.
        walkaway: Each party's walk-away value at the end, ``(B, P)``.
        ended_by: How each row ended (:data:`sim.engine.endings.END_REASONS`), ``(B,)``.
        walked_out: Which parties walked out, ``(B, P)``.
        text: The text on the table by round, ``(R + 1, B, I)`` (None unless asked for).
        positions: Each party's stated position by round, ``(R + 1, B, P, I)`` (None unless asked for).
        utility_by_round: Utility of the text by round (frozen once a row ends), ``(R + 1, B, P)`` or None.
        walkaway_by_round: Walk-away values by round (frozen once a row ends), ``(R + 1, B, P)`` or None.
    """

    horizon: np.ndarray
    agreement: np.ndarray
    deal_round: np.ndarray
    end_round: np.ndarray
    deal: np.ndarray
    final_text: np.ndarray
    utility: np.ndarray
    walkaway: np.ndarray
    ended_by: np.ndarray
    walked_out: np.ndarray
    text: np.ndarray | None = None
    positions: np.ndarray | None = None
    utility_by_round: np.ndarray | None = None
    walkaway_by_round: np.ndarray | None = None

    @property
    def runs(self) -> int:
        """Number of rows B."""
        return len(self.agreement)


class _Recorder:
    """Collects the per-round fields of a batch (an ``observe`` callback of ``run_kernel``)."""

    def __init__(self, positions: bool) -> None:
        self.frames: dict[str, list[np.ndarray]] = {"text": [], "utility": [], "walkaway": []}
        if positions:
            self.frames["demands"] = []

    def __call__(self, state: State) -> None:
        for name, frames in self.frames.items():
            frames.append(getattr(state, name))

    def stacked(self, length: int) -> dict[str, np.ndarray]:
        """The records as arrays of ``length`` rounds (the last round repeated when all rows ended early)."""
        out = {}
        for name, frames in self.frames.items():
            frames = frames + [frames[-1]] * (length - len(frames))
            out[name] = np.stack(frames[:length])
        return out


def _chunk(
    scenario: Scenario,
    protocol: Protocol,
    columns: Mapping[str, Any],
    seeds: np.ndarray,
    rounds: int | None,
    history: bool,
    positions: bool,
    source: str,
) -> dict[str, np.ndarray]:
    n = len(seeds)
    params = apply_values(compile_params(scenario, n, rounds), scenario, columns, source)
    horizon = params.rounds.copy()
    if rounds is not None and "scenario.rounds" not in columns:
        horizon = np.full(n, scenario.rounds, dtype=np.int64)
    if rounds is not None:
        params = params.with_arrays({"rounds": np.maximum(params.rounds, rounds)})
    recorder = _Recorder(positions) if history else None
    state = run_kernel(protocol, params, seeds, observe=recorder)
    agreement = state.agreement.copy()
    out = {
        "horizon": horizon,
        "agreement": agreement,
        "deal_round": np.where(agreement, state.round, -1).astype(np.int64),
        "end_round": state.round.astype(np.int64),
        "deal": scenario.to_units(np.where(agreement[:, None], state.deal, np.nan), on_grid=True),
        "final_text": scenario.to_units(np.where(agreement[:, None], state.deal, state.text), on_grid=True),
        "utility": final_utilities(state),
        "walkaway": state.walkaway.copy(),
        "ended_by": ended_by(params, state),
        "walked_out": walked_out(state),
    }
    if recorder is not None:
        length = int(params.rounds.max()) + 1
        frames = recorder.stacked(length)
        out["text"] = scenario.to_units(frames["text"], on_grid=True)
        out["utility_by_round"] = frames["utility"]
        out["walkaway_by_round"] = frames["walkaway"]
        if positions:
            out["positions"] = scenario.to_units(frames["demands"])
    return out


def run_rows(
    scenario: Scenario,
    columns: Mapping[str, Any] | None = None,
    seeds: np.ndarray | None = None,
    protocol: str | Protocol | None = None,
    rounds: int | None = None,
    history: bool = False,
    positions: bool = False,
    source: str = "",
    chunk: int = CHUNK,
) -> RunRows:
    """Run rows of a scenario on the batched engine.

    Args:
        scenario: The scenario every row starts from.
        columns: ``{path: values}``, one value per row (paths as in the file).
        seeds: One seed per row.
        protocol: Protocol name or instance (default: the scenario's).
        rounds: Run every row to at least this many rounds (a calendar date past
            the scenario's horizon); ``horizon`` keeps each row's own limit.
        history: Whether to keep the text, utilities and walk-aways round by round.
        positions: Whether to keep each party's stated position round by round too (with ``history``).
        source: Name used in error messages.
        chunk: Rows per kernel call.

    Returns:
        The rows' results.
    """
    columns = {path: np.asarray(values) for path, values in (columns or {}).items()}
    seeds = np.asarray(seeds if seeds is not None else [scenario.seed], dtype=np.int64)
    proto = resolve_protocol(scenario, protocol)
    parts = []
    for start in range(0, len(seeds), chunk):
        stop = min(start + chunk, len(seeds))
        block = {path: values[start:stop] for path, values in columns.items()}
        parts.append(_chunk(scenario, proto, block, seeds[start:stop], rounds, history, positions, source))
    merged: dict[str, np.ndarray] = {}
    for key in parts[0]:
        if key in ("text", "positions", "utility_by_round", "walkaway_by_round"):
            length = max(p[key].shape[0] for p in parts)
            merged[key] = np.concatenate([_pad(p[key], length) for p in parts], axis=1)
        else:
            merged[key] = np.concatenate([p[key] for p in parts], axis=0)
    return RunRows(**merged)


def _pad(frames: np.ndarray, length: int) -> np.ndarray:
    """Repeat the last round until ``length`` rounds (rows that ended keep their last values)."""
    if frames.shape[0] >= length:
        return frames
    return np.concatenate([frames, np.repeat(frames[-1:], length - frames.shape[0], axis=0)])
