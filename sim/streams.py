"""Random streams: one ``numpy.random.Generator`` per negotiation.

Each run (row of a batch) draws from its own generator seeded by that run's
seed, so a run gives the same numbers whether it is stepped alone in the Mesa
model or computed inside a batch of thousands. Generators are created on the
first draw only, so protocols that draw nothing cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RunStreams", "spawn_seeds"]


class RunStreams:
    """Independent random streams for the rows of a batch.

    Args:
        generators: One generator per row (or None, to be made from ``seeds``).
        seeds: One integer seed per row, used when a row first draws.
    """

    def __init__(
        self,
        generators: Sequence[np.random.Generator | None] | None = None,
        seeds: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        if generators is None:
            generators = [None] * len(seeds if seeds is not None else [])
        self.generators = list(generators)
        self.seeds = None if seeds is None else np.asarray(seeds, dtype=np.int64)

    @classmethod
    def from_seeds(cls, seeds: Sequence[int] | np.ndarray) -> RunStreams:
        """Streams seeded by one integer seed per row (``default_rng(seed)``)."""
        return cls(seeds=seeds)

    def __len__(self) -> int:
        return len(self.generators)

    def generator(self, row: int) -> np.random.Generator:
        """The generator of one row (created from its seed on first use)."""
        gen = self.generators[row]
        if gen is None:
            gen = np.random.default_rng(int(self.seeds[row]))
            self.generators[row] = gen
        return gen

    def normal(self, shape: tuple[int, ...], rows: np.ndarray | None = None) -> np.ndarray:
        """Standard normal draws, ``(B, *shape)``; only ``rows`` draw (others get 0).

        Args:
            shape: Shape drawn per row.
            rows: Boolean mask of rows that draw; all rows when None.

        Returns:
            The draws.
        """
        return self._draw("standard_normal", shape, rows)

    def uniform(self, shape: tuple[int, ...], rows: np.ndarray | None = None) -> np.ndarray:
        """Uniform draws in [0, 1), ``(B, *shape)``; only ``rows`` draw (others get 0)."""
        return self._draw("random", shape, rows)

    def _draw(self, method: str, shape: tuple[int, ...], rows: np.ndarray | None) -> np.ndarray:
        out = np.zeros((len(self.generators), *shape))
        indices = range(len(self.generators)) if rows is None else np.flatnonzero(rows)
        for i in indices:
            out[i] = getattr(self.generator(i), method)(shape)
        return out


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
