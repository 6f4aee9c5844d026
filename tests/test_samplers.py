"""Samplers: Latin hypercube strata, grids, SALib schemes, seeding."""

from __future__ import annotations

import numpy as np

from sim.experiments.samplers import Parameter, make_design

A = Parameter("a", "uncertainty", 0.0, 10.0)
B = Parameter("b", "uncertainty", -1.0, 1.0)
L = Parameter("l", "lever", values=(1.0, 2.0, 3.0))


def test_latin_hypercube_hits_every_stratum_once():
    # McKay, Beckman & Conover (1979): n samples, each of n equal strata per dimension hit once.
    d = make_design("lhs", [A, B], runs=20, seed=3)
    for p in (A, B):
        strata = np.floor((d.columns[p.path] - p.low) / (p.high - p.low) * 20).astype(int)
        assert sorted(strata.tolist()) == list(range(20))


def test_levers_cross_every_sample():
    d = make_design("montecarlo", [A, L], runs=4, seed=1)
    assert d.rows == 12
    a = d.columns["a"].reshape(4, 3)
    assert np.all(a == a[:, :1])  # each sample meets all three lever values
    assert d.columns["l"].reshape(4, 3).tolist() == [[1.0, 2.0, 3.0]] * 4


def test_same_seed_same_design_other_seed_other_design():
    first = make_design("lhs", [A, B], runs=10, seed=5)
    again = make_design("lhs", [A, B], runs=10, seed=5)
    other = make_design("lhs", [A, B], runs=10, seed=6)
    assert np.array_equal(first.columns["a"], again.columns["a"])
    assert not np.array_equal(first.columns["a"], other.columns["a"])


def test_sobol_and_morris_shapes_and_bounds():
    sobol = make_design("sobol", [A, B], runs=16, seed=0)
    assert sobol.rows == 16 * (2 * 2 + 2) and sobol.sampled == ("a", "b")
    morris = make_design("morris", [A, B], runs=6, seed=0)
    assert morris.rows == 6 * 3
    for d in (sobol, morris):
        assert d.columns["a"].min() >= 0 and d.columns["a"].max() <= 10


def test_grid_is_full_factorial_with_replications():
    d = make_design("grid", [Parameter("a", "uncertainty", 0.0, 1.0, points=3), L], runs=2, seed=0)
    assert d.rows == 3 * 3 * 2
    pairs = set(zip(d.columns["a"].tolist(), d.columns["l"].tolist(), strict=True))
    assert len(pairs) == 9
