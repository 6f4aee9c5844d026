"""Random streams: one counter-based stream per negotiation, evaluated in bulk.

Every random number a run uses is a pure function of the run's seed and of
*where* it is used: ``draw = Philox4x32-10(key = seed, counter = (purpose,
round, index, 0))`` (Salmon, Moraes, Dror & Shaw 2011, "Parallel random
numbers: as easy as 1, 2, 3", SC'11; the generator behind Random123, JAX and
oneMKL). So a run draws the same numbers whether it is stepped alone in the
Mesa model or computed inside a batch of a million, in any order, on any
worker, and a whole batch draws in one vectorised call.

Why not one ``numpy.random.Generator`` per run: creating one costs ~10 µs and
its draws cannot be vectorised across runs, which capped the batched engine
near 5,000 runs/s on the Geneva scenario; the counter-based stream keeps "one
seed drives every draw" and removes that cap. ``tests/test_streams.py`` checks
the implementation against Random123's published known-answer vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "BREAKDOWN",
    "EVENTS",
    "FRONT",
    "JUMP",
    "MISPERCEPTION",
    "NOISE",
    "RATIFICATION",
    "RunStreams",
    "philox4x32",
    "spawn_seeds",
]

NOISE = 1
"""Purpose code of the mediator's drafting noise."""
RATIFICATION = 2
"""Purpose code of the ratification draws."""
FRONT = 3
"""Purpose code of the front line's per-round shocks."""
JUMP = 4
"""Purpose code of the front line's breakthroughs."""
EVENTS = 5
"""Purpose code of whether each uncertain event happens."""
BREAKDOWN = 6
"""Purpose code of the per-round breakdown draws."""
MISPERCEPTION = 7
"""Purpose code of the mediator's errors about red lines."""

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def philox4x32(counter: Sequence[np.ndarray], key: Sequence[np.ndarray], rounds: int = 10) -> list[np.ndarray]:
    """Philox4x32 on arrays of 32-bit words (held in uint64), elementwise.

    Args:
        counter: Four arrays of counter words.
        key: Two arrays of key words.
        rounds: Rounds (10 is the standard Philox4x32-10).

    Returns:
        Four arrays of output words.
    """
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) & _MASK for c in counter)
    k0, k1 = (np.asarray(k, dtype=np.uint64) & _MASK for k in key)
    for _ in range(rounds):
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (p1 >> _32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _32) ^ c3 ^ k1, p0 & _MASK
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return [c0, c1, c2, c3]


class RunStreams:
    """The random streams of the rows of a batch (one seed per row).

    Args:
        seeds: One integer seed per row (in [0, 2**64)).
    """

    def __init__(self, seeds: Sequence[int] | np.ndarray) -> None:
        self.seeds = np.asarray(seeds, dtype=np.uint64)

    @classmethod
    def from_seeds(cls, seeds: Sequence[int] | np.ndarray) -> RunStreams:
        """Streams seeded by one integer seed per row."""
        return cls(seeds)

    def __len__(self) -> int:
        return len(self.seeds)

    def _words(self, purpose: int, t: int, n: int, rows: np.ndarray | None):
        index = np.arange(len(self.seeds)) if rows is None else np.flatnonzero(rows)
        seeds = self.seeds[index][:, None]
        k = np.arange(n, dtype=np.uint64)[None, :]
        counter = (np.uint64(purpose), np.uint64(t), k, np.uint64(0))
        counter = [np.broadcast_to(c, (len(index), n)) for c in counter]
        words = philox4x32(counter, (seeds & _MASK, seeds >> _32))
        return index, words

    @staticmethod
    def _unit(high: np.ndarray, low: np.ndarray) -> np.ndarray:
        """Two 32-bit words to a double in [0, 1) with 53 random bits."""
        return ((high >> np.uint64(5)) * np.uint64(1 << 26) + (low >> np.uint64(6))).astype(np.float64) / 2.0**53

    def uniform(self, shape: tuple[int, ...], rows: np.ndarray | None = None, t: int = 0, purpose: int = 0):
        """Uniform draws in [0, 1), ``(B, *shape)``; rows not in ``rows`` get 0.

        Args:
            shape: Shape drawn per row.
            rows: Boolean mask of rows that draw; all rows when None.
            t: The round (part of the counter).
            purpose: What the draws are for (part of the counter).
        """
        n = int(np.prod(shape))
        index, (w0, w1, _, _) = self._words(purpose, t, n, rows)
        out = np.zeros((len(self.seeds), n))
        out[index] = self._unit(w0, w1)
        return out.reshape((len(self.seeds), *shape))

    def normal(self, shape: tuple[int, ...], rows: np.ndarray | None = None, t: int = 0, purpose: int = 0):
        """Standard normal draws (Box–Muller), ``(B, *shape)``; rows not in ``rows`` get 0."""
        n = int(np.prod(shape))
        index, (w0, w1, w2, w3) = self._words(purpose, t, n, rows)
        u1 = 1.0 - self._unit(w0, w1)  # in (0, 1]
        u2 = self._unit(w2, w3)
        out = np.zeros((len(self.seeds), n))
        out[index] = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        return out.reshape((len(self.seeds), *shape))


def spawn_seeds(root_seed: int, n: int) -> np.ndarray:
    """``n`` per-run seeds derived from one root seed by ``numpy.random.SeedSequence``.

    The seeds are the first ``n`` words of ``SeedSequence(root_seed)``'s
    state, so row i's seed does not depend on how many rows follow it.

    Args:
        root_seed: The experiment's seed.
        n: Number of runs.

    Returns:
        Seeds in [0, 2**32) as int64 (stored per row, so any run can be redone alone).
    """
    return np.random.SeedSequence(root_seed).generate_state(n).astype(np.int64)
