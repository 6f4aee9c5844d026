"""Random streams: one ``numpy.random.Generator`` per negotiation.

Each run (row of a batch) draws from its own generator seeded by that run's
seed, so a run gives the same numbers whether it is stepped alone in the Mesa
model or computed inside a batch of thousands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RunStreams", "spawn_seeds"]


class RunStreams:
    """Independent random streams for the rows of a batch.

    Args:
        generators: One generator per row.
    """

    def __init__(self, generators: Sequence[np.random.Generator]) -> None:
        self.generators = list(generators)

    @classmethod
    def from_seeds(cls, seeds: Sequence[int] | np.ndarray) -> RunStreams:
        """Streams seeded by one integer seed per row."""
        return cls([np.random.default_rng(int(s)) for s in seeds])

    def __len__(self) -> int:
        return len(self.generators)

    def take(self, index: np.ndarray) -> RunStreams:
        """The streams of the selected rows (shared, not copied)."""
        return RunStreams([self.generators[i] for i in np.flatnonzero(index)])

    def normal(self, shape: tuple[int, ...], rows: np.ndarray | None = None) -> np.ndarray:
        """Standard normal draws, ``(B, *shape)``; only ``rows`` draw (others get 0).

        Args:
            shape: Shape drawn per row.
            rows: Boolean mask of rows that draw; all rows when None.

        Returns:
            The draws.
        """
        out = np.zeros((len(self.generators), *shape))
        for i, gen in enumerate(self.generators):
            if rows is None or rows[i]:
                out[i] = gen.standard_normal(shape)
        return out


def spawn_seeds(root_seed: int, n: int) -> np.ndarray:
    """``n`` per-run seeds derived from one root seed with ``SeedSequence``.

    Args:
        root_seed: The experiment's seed.
        n: Number of runs.

    Returns:
        ``uint32`` seeds (stored per row so any run can be redone alone).
    """
    sequence = np.random.SeedSequence(root_seed)
    return np.array([child.generate_state(1)[0] for child in sequence.spawn(n)], dtype=np.int64)
