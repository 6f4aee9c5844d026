"""Counter-based random streams: Philox4x32-10 against Random123's known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.core.streams import RunStreams, philox4x32, spawn_seeds

# Random123 (Salmon, Moraes, Dror & Shaw 2011), tests/kat_vectors: philox4x32 10 rounds.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_philox_known_answers(counter, key, expected):
    out = philox4x32([np.array(c) for c in counter], [np.array(k) for k in key])
    assert tuple(int(w) for w in out) == expected


def test_draws_depend_only_on_seed_round_and_purpose():
    many = RunStreams.from_seeds([5, 6, 7])
    alone = RunStreams.from_seeds([6])
    np.testing.assert_array_equal(many.uniform((3,), t=4, purpose=2)[1], alone.uniform((3,), t=4, purpose=2)[0])
    masked = many.normal((2,), rows=np.array([False, True, False]), t=1, purpose=1)
    np.testing.assert_array_equal(masked[1], alone.normal((2,), t=1, purpose=1)[0])
    assert not masked[0].any() and not masked[2].any()
    assert not np.array_equal(many.uniform((3,), t=4, purpose=2), many.uniform((3,), t=5, purpose=2))


def test_uniform_and_normal_distributions():
    streams = RunStreams.from_seeds(spawn_seeds(0, 20000))
    u = streams.uniform((2,), t=3, purpose=2).ravel()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    z = streams.normal((1,), t=3, purpose=1).ravel()
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(np.corrcoef(u[::2], u[1::2])[0, 1]) < 0.03


def test_spawned_seeds_are_a_stable_prefix():
    assert spawn_seeds(3, 10).tolist() == spawn_seeds(3, 1000)[:10].tolist()
