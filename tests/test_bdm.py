"""Bueno de Mesquita's model as formalised by Scholz, Calbert & Smith (2011).

The vectorised kernel is checked against (1) numbers worked by hand from the
pinned equations and (2) a literal, loop-by-loop transcription of the spec in
issue #4 (itself the reference code of Scholz et al. 2011).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_strategies import scenario_tables
from test_contract import arrays, check_deal, same

from sim.core.acceptance import answers
from sim.core.compile import compile_params
from sim.core.streams import RunStreams
from sim.core.utility import safe_divide, snap_to_grid
from sim.engine.kernel import run_kernel
from sim.engine.model import NegotiationModel
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols.bdm import (
    VARIANTS,
    VOTES_PER_CHUNK,
    Bdm,
    bdm_challenges,
    bdm_forecast,
    bdm_moves,
    bdm_risk_exponents,
    bdm_win_probabilities,
    weighted_median,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_win_probabilities_by_hand():
    # positions 0, 0.5, 1; c = s = 1; r = 1; Delta = 1. Votes w_k(a,b) = |x_k-b| - |x_k-a|.
    # Denominator sum_k sum_a sum_b |w| = 4 (k at 0) + 2 (k at 0.5) + 4 (k at 1) = 10.
    # P(0 beats 0.5): only k at 0 votes for 0 over 0.5 (by 0.5)        -> 0.05
    # P(0.5 beats 0): k at 0.5 (0.5) and k at 1 (0.5)                  -> 0.10
    # P(0 beats 1):  k at 0 (1.0) and k at 0.5 (0)                     -> 0.10
    x = np.array([0.0, 0.5, 1.0])
    p = bdm_win_probabilities(x, np.ones(3), np.ones(3), np.array(1.0))
    assert p[0, 1] == pytest.approx(0.05)
    assert p[1, 0] == pytest.approx(0.10)
    assert p[0, 2] == pytest.approx(0.10)
    assert p[2, 0] == pytest.approx(0.10)


def _reference_round(x, c, s, delta):
    """The spec of issue #4, transcribed literally with loops (scalar maths only)."""
    n = len(x)

    def vote(k, a, b, r):
        return c[k] * s[k] * ((abs(x[k] - b) / delta) ** r[k] - (abs(x[k] - a) / delta) ** r[k])

    def prob(i, j, r):
        den = sum(abs(vote(k, x[a], x[b], r)) for k in range(n) for a in range(n) for b in range(n))
        return sum(max(0.0, vote(k, x[i], x[j], r)) for k in range(n)) / den

    def expected(p_view, i, j, r):  # E_p(i challenges j)
        rp = r[p_view]
        d = abs(x[i] - x[j]) / delta
        u_s = 2 - 4 * (0.5 - 0.5 * d) ** rp
        u_f = 2 - 4 * (0.5 + 0.5 * d) ** rp
        u_sq = 2 - 4 * 0.5**rp
        p = prob(i, j, r)
        return s[j] * (p * u_s + (1 - p) * u_f) + (1 - s[j]) * u_s - u_sq

    ones = [1.0] * n
    big_s = [sum(expected(i, j, i, ones) for j in range(n) if j != i) for i in range(n)]
    hi, lo = max(big_s), min(big_s)
    big_r = [(2 * v - hi - lo) / (hi - lo) if hi > lo else 0.0 for v in big_s]
    r = [(1 - q / 3) / (1 + q / 3) for q in big_r]
    new = []
    for i in range(n):
        conf, comp, capit = [], [], []
        for j in range(n):
            if x[j] == x[i]:
                continue
            e1 = expected(i, i, j, r)
            e2 = expected(i, j, i, r)
            if e2 > e1 > 0:
                conf.append((abs(x[j] - x[i]), x[j]))
            elif e2 > 0 > e1 and e2 > abs(e1):
                key = (abs(e1) * x[i] + abs(e2) * x[j]) / (abs(e1) + abs(e2))
                comp.append((key, x[i] + (x[j] - x[i]) * abs(e1 / e2)))
            elif e2 > 0 > e1 and e2 < abs(e1):
                capit.append((abs(x[j] - x[i]), x[j]))
        for options in (conf, comp, capit):
            if options:
                new.append(min(options, key=lambda o: o[0])[1])
                break
        else:
            new.append(x[i])
    return np.array(new), np.array(r)


CASES = [
    ([0.0, 0.3, 1.0], [1.0, 0.5, 0.8], [0.9, 0.6, 0.7]),
    ([0.0, 0.5, 0.6, 1.0], [0.35, 0.2, 0.3, 0.15], [0.9, 1.0, 0.3, 0.6]),
    ([0.1, 0.9, 0.4, 0.2, 0.7], [1, 2, 1, 3, 1], [0.2, 0.9, 0.5, 0.5, 1.0]),
]


@pytest.mark.parametrize(("x", "c", "s"), CASES)
def test_one_round_matches_literal_spec(x, c, s):
    x, c, s = (np.array(v, dtype=float) for v in (x, c, s))
    delta = np.array(x.max() - x.min())
    expected, r_ref = _reference_round(x, c, s, float(delta))
    np.testing.assert_allclose(bdm_risk_exponents(x, c * s, s, delta), r_ref, atol=1e-12)
    np.testing.assert_allclose(bdm_moves(x, c * s, s, delta), expected, atol=1e-12)


def test_several_rounds_match_literal_spec():
    x, c, s = (np.array(v, dtype=float) for v in CASES[1])
    delta = np.array(x.max() - x.min())
    ref = x.copy()
    for _ in range(6):
        ref, _ = _reference_round(ref, c, s, float(delta))
        x = bdm_moves(x, c * s, s, delta)
        np.testing.assert_allclose(x, ref, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=2, max_size=6, unique=True),
    st.data(),
)
def test_risk_exponents_match_the_literal_spec_and_reach_both_ends(x, data):
    # r_i = (1 - R_i / 3) / (1 + R_i / 3) with R_i the security S_i rescaled to [-1, 1] (Scholz et al.
    # 2011, eq. 6-7): the most secure actor gets r = 0.5, the least secure r = 2.
    n = len(x)
    c = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    s = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    x = np.array(x)
    delta = np.array(max(x.max() - x.min(), 1e-6))
    r = bdm_risk_exponents(x, c * s, s, delta)
    _, r_ref = _reference_round(x, c, s, float(delta))
    np.testing.assert_allclose(r, r_ref, atol=1e-9)
    if np.ptp(r_ref) > 1e-9:  # not every actor equally secure
        assert r.min() == pytest.approx(0.5) and r.max() == pytest.approx(2.0)


def test_forecast_is_power_weighted_mean():
    assert bdm_forecast(np.array([0.0, 1.0]), np.array([1.0, 3.0])) == pytest.approx(0.75)


def test_geneva_bdm_writes_every_actor_every_round():
    from conftest import GENEVA

    from sim.engine.runner import run
    from sim.engine.scenarios import load_scenario

    s = load_scenario(GENEVA)
    out = run(s, protocol="bdm")
    assert out.forecast and out.round == out.end_round
    assert out.history.positions.shape == (out.end_round + 1, len(s.parties), len(s.issues))
    # round 0 = ideals
    for a, party in enumerate(s.parties):
        for k, iid in enumerate(s.issue_ids):
            assert out.history.positions[0, a, k] == pytest.approx(party.ideal[iid])


def test_a_forecast_across_a_red_line_is_not_signed_by_that_party():
    # two equal actors at 0 and 100: by symmetry the forecast is 50; B's red line is 70, so B would not
    # sign; A gets 0.5, above its walk-away (0.2 - 0.005 per round), so A would.
    from conftest import two_party_data

    from sim.engine.runner import run
    from sim.engine.scenarios import scenario_from_dict

    data = two_party_data()
    data["parties"]["b"]["red_lines"] = {"x": {"min": 70}}
    out = run(scenario_from_dict(data), protocol="bdm")
    assert out.deal["x"] == pytest.approx(50)
    assert out.accepts == {"a": True, "b": False}


# --------------------------------------------------------------------------
# The literature variant (Bueno de Mesquita 1994; /work/notes/theory.md section 4)
# --------------------------------------------------------------------------
def test_literature_win_probabilities_by_hand():
    # positions 0, 0.5, 1; c = s = 1; r = 1; Delta = 1. Contest 0 vs 0.5: votes w_k = |x_k - 0.5| - |x_k - 0|:
    # k at 0: +0.5, k at 0.5: -0.5, k at 1: -0.5. P(0 beats 0.5) = 0.5 / 1.5 = 1/3, P(0.5 beats 0) = 2/3.
    # Contest 0 vs 1: +1, 0, -1: P = 1/2 each.
    x = np.array([0.0, 0.5, 1.0])
    p = bdm_win_probabilities(x, np.ones(3), np.ones(3), np.array(1.0), per_contest=True)
    assert p[0, 1] == pytest.approx(1 / 3) and p[1, 0] == pytest.approx(2 / 3)
    assert p[0, 2] == pytest.approx(0.5) and p[2, 0] == pytest.approx(0.5)
    assert p[0, 0] == 0.5  # nobody votes in a contest of a position with itself


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=8), st.data())
def test_literature_probabilities_of_a_contest_sum_to_one(x, data):
    # Bueno de Mesquita (1994): P(i beats j) + P(j beats i) = 1 (the reference variant's sum is about 2 / N**2)
    n = len(x)
    c = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    s = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    r = np.array(data.draw(st.lists(st.floats(0.5, 2), min_size=n, max_size=n)))
    x = np.array(x)
    p = bdm_win_probabilities(x, c * s, r, np.array(max(x.max() - x.min(), 1e-3)), per_contest=True)
    np.testing.assert_allclose(p + p.T, 1.0, atol=1e-12)


def test_reference_probabilities_do_not_sum_to_one():
    # the audit's finding, kept in the pinned variant: on 30 actors P(i beats j) + P(j beats i) is tiny
    rng = np.random.default_rng(3)
    x, c, s = rng.uniform(0, 1, 30), rng.uniform(0.1, 1, 30), rng.uniform(0.1, 1, 30)
    p = bdm_win_probabilities(x, c * s, np.ones(30), np.array(x.max() - x.min()))
    assert np.max(p + p.T) < 0.05


def test_weighted_median_closed_forms():
    # /work/notes/theory.md section 4: x = (0, 0.5, 1), w = (1, 1, 1) -> 0.5; x = (0, 1), w = (1, 1) -> 0.5
    # (exact half: the midpoint); x = (0, 0.4, 1), w = (2, 1, 2) -> 0.4
    assert weighted_median(np.array([0.0, 0.5, 1.0]), np.ones(3)) == 0.5
    assert weighted_median(np.array([0.0, 1.0]), np.ones(2)) == 0.5
    assert weighted_median(np.array([1.0, 0.0, 0.4]), np.array([2.0, 2.0, 1.0])) == 0.4
    batch = weighted_median(np.array([[0.0, 1.0, 0.2], [0.9, 0.1, 0.5]]), np.array([[1.0, 1.0, 3.0], [1.0, 1.0, 0.0]]))
    np.testing.assert_allclose(batch, [0.2, 0.5])  # the second row: an exact half, midpoint of 0.1 and 0.9
    assert bdm_forecast(np.array([0.0, 1.0, 0.2]), np.array([1.0, 1.0, 3.0]), "literature") == 0.2


def _play(x, c, s, variant, rounds=6):
    delta = np.array(x.max() - x.min())
    for _ in range(rounds):
        x = bdm_moves(x, c * s, s, delta, variant)
    return bdm_forecast(x, c * s, variant)


def test_literature_variant_is_invariant_to_reversing_the_scale():
    # theory.md section 4: every distance, vote, probability and move size is unchanged under x -> 1 - x,
    # so forecast(1 - x) = 1 - forecast(x) exactly (up to rounding) in every random small game
    rng = np.random.default_rng(14)
    for _ in range(1000):
        n = int(rng.integers(3, 7))
        x, c, s = rng.uniform(0, 1, n), rng.uniform(0.1, 1, n), rng.uniform(0.1, 1, n)
        assert _play(1 - x, c, s, "literature") == pytest.approx(1 - _play(x, c, s, "literature"), abs=1e-9)


def test_reference_variant_is_not_invariant_to_reversing_the_scale():
    # the audit's finding (1,080 of 3,000 games there): the reference's compromise choice depends on the direction
    rng = np.random.default_rng(14)
    broken = 0
    for _ in range(300):
        n = int(rng.integers(3, 7))
        x, c, s = rng.uniform(0, 1, n), rng.uniform(0.1, 1, n), rng.uniform(0.1, 1, n)
        broken += abs(_play(1 - x, c, s, "reference") - (1 - _play(x, c, s, "reference"))) > 1e-9
    assert broken > 30


def test_literature_compromise_takes_the_smallest_move():
    # Three actors where the reference and the literature pick different compromises: check the rule directly
    x = np.array([0.0, 0.45, 0.5, 1.0])
    c = np.array([1.0, 0.2, 3.0, 1.0])
    s = np.array([0.9, 0.2, 0.9, 0.9])
    delta = np.array(1.0)
    r = bdm_risk_exponents(x, c * s, s, delta, True)
    e1, e2 = bdm_challenges(x, c * s, s, r, delta, True)
    new = bdm_moves(x, c * s, s, delta, "literature")
    for i in range(4):
        comp = [(abs((x[j] - x[i]) * e1[i, j] / e2[i, j]), j) for j in range(4) if j != i and e2[i, j] > 0 > e1[i, j]]
        conf = [j for j in range(4) if j != i and e2[i, j] > e1[i, j] > 0]
        if comp and not conf:
            move, j = min(comp)
            assert abs(new[i] - x[i]) == pytest.approx(move)


def test_protocol_variants_and_scale_reversal_of_a_run():
    from conftest import two_party_data

    from sim.benchmarks import Solutions
    from sim.engine.runner import run

    data = two_party_data()
    data["parties"]["c"] = {**data["parties"]["a"], "name": "C", "ideal": {"x": 30}, "capability": 2.0}
    data["parties"]["b"]["salience"] = {"x": 0.4}
    mirrored = scenario_from_dict(data)
    for party in data["parties"].values():
        party["ideal"] = {"x": 100 - party["ideal"]["x"]}
    reversed_ = scenario_from_dict(data)
    none = Solutions(None, None, {}, {})
    first = run(mirrored, Bdm(variant="literature"), solutions=none)
    second = run(reversed_, Bdm(variant="literature"), solutions=none)
    assert first.deal["x"] == pytest.approx(100 - second.deal["x"], abs=1e-9)
    assert Bdm().get_params() == {"variant": "reference", "tolerance": 0.0}
    with pytest.raises(ValueError):
        Bdm(variant="median")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenario_tables(max_parties=4, max_issues=3))
def test_literature_variant_keeps_the_protocol_contract(data):
    # the checks of tests/test_contract.py (written from the scenario's numbers) on the non-default variant
    scenario = scenario_from_dict(data)
    proto = Bdm(variant="literature", tolerance=1e-6)
    seeds = np.array([scenario.seed, scenario.seed + 1], dtype=np.int64)
    params = compile_params(scenario, len(seeds))
    state = run_kernel(proto, params, seeds)
    for row in range(len(seeds)):
        check_deal(scenario, params, state, row, forecast=True)
    again = proto.step(params, state, RunStreams.from_seeds(seeds))
    for row in np.flatnonzero(state.done):
        assert same(arrays(again, row), arrays(state, row))
    model = NegotiationModel(scenario, proto, int(seeds[0]), params=params.take(slice(0, 1))).run_to_end()
    model.release()
    assert same(arrays(model.state, 0), arrays(state, 0))


# The batch-first implementation that the contest-last kernel and the cycle memory replaced (issue #17), kept here
# literally: the protocol must give the same numbers, bit for bit (the pinned hashes of tests/test_identity.py).


def _old_win_probabilities(x, power, r, delta, per_contest=False):
    dist = np.abs(x[..., :, None] - x[..., None, :]) / delta[..., None, None]  # (k, a)
    dr = dist ** r[..., :, None]
    votes = power[..., :, None, None] * (dr[..., :, None, :] - dr[..., :, :, None])  # (k, a, b)
    if per_contest:
        return safe_divide(np.maximum(votes, 0.0).sum(axis=-3), np.abs(votes).sum(axis=-3), 0.5)
    den = np.abs(votes).sum(axis=(-3, -2, -1))[..., None, None]
    return safe_divide(np.maximum(votes, 0.0).sum(axis=-3), den)


def _old_expected_utility(p_win, s_target, d, r):
    u_s = 2.0 - 4.0 * (0.5 - 0.5 * d) ** r
    u_f = 2.0 - 4.0 * (0.5 + 0.5 * d) ** r
    u_sq = 2.0 - 4.0 * 0.5**r
    return s_target * (p_win * u_s + (1.0 - p_win) * u_f) + (1.0 - s_target) * u_s - u_sq


def _old_challenges(x, power, sal, r, delta, per_contest=False):
    p = _old_win_probabilities(x, power, r, delta, per_contest)
    d = np.abs(x[..., :, None] - x[..., None, :]) / delta[..., None, None]
    r_i = r[..., :, None]
    e1 = _old_expected_utility(p, sal[..., None, :], d, r_i)
    e2 = _old_expected_utility(np.swapaxes(p, -1, -2), sal[..., :, None], d, r_i)
    return e1, e2


def _old_risk_exponents(x, power, sal, delta, per_contest=False):
    ones = np.ones_like(x)
    _, e2 = _old_challenges(x, power, sal, ones, delta, per_contest)
    n = x.shape[-1]
    s = (e2 * (1.0 - np.eye(n))).sum(axis=-1)
    s_max = s.max(axis=-1, keepdims=True)
    s_min = s.min(axis=-1, keepdims=True)
    spread = s_max - s_min
    big_r = safe_divide(2.0 * s - s_max - s_min, spread)
    return (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)


def _old_moves(x, power, sal, delta, variant="reference"):
    literature = variant == "literature"
    r = _old_risk_exponents(x, power, sal, delta, literature)
    e1, e2 = _old_challenges(x, power, sal, r, delta, literature)
    xi = x[..., :, None]
    xj = x[..., None, :]
    valid = xi != xj
    gap = np.abs(xj - xi)
    conf = valid & (e2 > e1) & (e1 > 0)
    comp = valid & (e2 > 0) & (e1 < 0) & (e2 > np.abs(e1))
    capit = valid & (e2 > 0) & (e1 < 0) & (e2 < np.abs(e1))
    inf = np.inf

    def pick(mask, key):
        return np.argmin(np.where(mask, key, inf), axis=-1)[..., None]

    to_conf = np.take_along_axis(np.broadcast_to(xj, gap.shape), pick(conf, gap), -1)[..., 0]
    a1, a2 = np.abs(e1), np.abs(e2)
    with np.errstate(divide="ignore", invalid="ignore"):
        comp_to = xi + (xj - xi) * np.abs(e1 / e2)
        comp_key = np.abs(comp_to - xi) if literature else (a1 * xi + a2 * xj) / (a1 + a2)
    to_comp = np.take_along_axis(comp_to, pick(comp, comp_key), -1)[..., 0]
    to_capit = np.take_along_axis(np.broadcast_to(xj, gap.shape), pick(capit, gap), -1)[..., 0]
    return np.where(conf.any(-1), to_conf, np.where(comp.any(-1), to_comp, np.where(capit.any(-1), to_capit, x)))


class _OldBdm(Bdm):
    """The protocol's old step: every issue of every row computed every round, batch first (no ``name``: not
    registered)."""

    def step(self, params, state, streams):
        active = self.active(params, state)
        t = state.t + 1
        x = np.swapaxes(state.demands, -1, -2)
        sal = np.swapaxes(params.prefs.salience, -1, -2)
        power = params.capability[:, None, :] * sal
        delta = state.memory.delta
        moving = delta > 0
        safe = np.where(moving, delta, 1.0)
        # The moves on contest-contiguous copies, the layout whose numbers the kernel gives (numpy's pairwise sum
        # of a contest's N**3 votes): on the swapped views (issues innermost in memory) numpy sums the reference
        # variant's denominator in plain order, a last-bit difference that the recalibrated scenarios (#15) show
        contests = [np.ascontiguousarray(a) for a in (x, power, sal, safe)]
        new_x = np.where(moving[..., None], _old_moves(*contests, self.variant), x)
        forecast = snap_to_grid(bdm_forecast(new_x, power, self.variant), params.step, params.levels)
        demands = np.swapaxes(new_x, -1, -2)
        settled = np.all(np.abs(new_x - x) <= max(self.tolerance, 1e-12), axis=(-2, -1))
        view = state.view(params, t)
        accepts, utility = answers(params, forecast, view)
        return state.advance(
            params,
            active,
            settled | (t >= params.rounds),
            text=forecast,
            demands=demands,
            utility=utility,
            walkaway=view.walkaway,
            accepts=accepts,
        )


def _random_games(rng, games):
    """Random games of 2..12 actors (8 and more: numpy's pairwise sums), with ties and zero weights."""
    for game in range(games):
        rows, issues, n = int(rng.integers(1, 30)), int(rng.integers(1, 5)), int(rng.integers(2, 13))
        x = (rng.random, lambda size: rng.integers(0, 5, size) / 4, lambda size: np.round(rng.random(size), 2))[
            game % 3
        ]((rows, issues, n))
        c = rng.random((rows, 1, n)) * (rng.random((rows, 1, n)) > 0.2)
        s = rng.random((rows, issues, n)) * (rng.random((rows, issues, n)) > 0.1)
        delta = x.max(-1) - x.min(-1)
        yield x, c * s, s, np.where(delta > 0, delta, 1.0)


@pytest.mark.parametrize("variant", VARIANTS)
def test_kernel_gives_the_batch_first_numbers_bit_for_bit(variant):
    literature = variant == "literature"
    for x, power, s, delta in _random_games(np.random.default_rng(17), 150):
        r = _old_risk_exponents(x, power, s, delta, literature)
        assert np.array_equal(bdm_risk_exponents(x, power, s, delta, literature), r)
        assert np.array_equal(
            bdm_win_probabilities(x, power, r, delta, literature),
            _old_win_probabilities(x, power, r, delta, literature),
        )
        new, old = bdm_challenges(x, power, s, r, delta, literature), _old_challenges(x, power, s, r, delta, literature)
        assert np.array_equal(new[0], old[0]) and np.array_equal(new[1], old[1])
        assert np.array_equal(bdm_moves(x, power, s, delta, variant), _old_moves(x, power, s, delta, variant))
        one = bdm_moves(x[:1, :1], power[:1, :1], s[:1, :1], delta[:1, :1], variant)  # a contest alone: the same
        assert np.array_equal(one, _old_moves(x, power, s, delta, variant)[:1, :1])


def test_kernel_numbers_do_not_depend_on_the_memory_layout():
    # Geneva's round 0 with the issues innermost in memory (the protocol's own layout): numpy would sum the
    # reference denominator of such a view in another order than that of a contiguous copy (a last-bit
    # difference), the kernel gives the numbers of the contiguous copy whatever the layout
    params = compile_params(load_scenario(SCENARIOS / "geneva-2025-11.toml"), 3)
    x = np.swapaxes(np.ascontiguousarray(params.prefs.ideal), -1, -2)  # (B, I, P) view, issues innermost
    sal = np.swapaxes(np.ascontiguousarray(params.prefs.salience), -1, -2)
    power = params.capability[:, None, :] * sal
    delta = x.max(-1) - x.min(-1)
    votes = power[..., :, None, None] * np.abs(x[..., :, None, None] - x[..., None, None, :])
    assert not np.array_equal(votes.sum(axis=(-3, -2, -1)), np.ascontiguousarray(votes).sum(axis=(-3, -2, -1)))
    contiguous = [np.ascontiguousarray(a) for a in (x, power, sal, delta)]
    for variant in VARIANTS:
        moves = bdm_moves(x, power, sal, delta, variant)
        assert np.array_equal(moves, bdm_moves(*contiguous, variant))
        assert np.array_equal(moves, _old_moves(*contiguous, variant))


def _every_round(protocol, params, seeds):
    from sim.engine.kernel import play

    return [
        (s.t, s.text, s.demands, s.utility, s.accepts, s.done, s.round, s.deal) for s in play(protocol, params, seeds)
    ]


def _same_rounds(new, old):
    assert len(new) == len(old)
    for a, b in zip(new, old, strict=True):
        for u, v in zip(a, b, strict=True):
            assert np.array_equal(u, v, equal_nan=True)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.toml")))
def test_cycle_memory_gives_the_rounds_of_the_old_step(name, variant):
    """Positions remembered from a cycle are the ones computing them again gives: every round of every shipped
    scenario, bit for bit (most of their issues cycle within a few rounds: the memory is used)."""
    params = compile_params(load_scenario(SCENARIOS / name), 3)
    seeds = np.array([1, 2, 3])
    _same_rounds(_every_round(Bdm(variant), params, seeds), _every_round(_OldBdm(variant), params, seeds))


def test_cycle_memory_restarts_when_an_event_changes_the_moves():
    data = tomllib.loads((SCENARIOS / "geneva-2025-11.toml").read_text())
    data["events"] = [
        {"label": "shift", "round": 9, "set": {"parties.us.salience.territory": 0.05}, "probability": 0.5},
        {"label": "arms", "round": 15, "shift": {"parties.russia.capability": -0.2}, "probability": 0.7},
    ]
    params = compile_params(scenario_from_dict(data), 8)
    seeds = np.arange(8)
    assert params.events.probability.shape == (8, 2)
    _same_rounds(_every_round(Bdm(), params, seeds), _every_round(_OldBdm(), params, seeds))


def test_many_actors_in_several_chunks_give_the_rounds_of_the_old_step():
    # 10 actors: VOTES_PER_CHUNK // 10**3 = 131 contests at a time, 40 rows x 4 issues = 160 contests
    rng = np.random.default_rng(3)
    issues = {f"i{k}": {"min": 0, "max": 100} for k in range(4)}
    parties = {
        f"p{a}": {
            "name": f"P{a}",
            "capability": float(rng.uniform(0.1, 1)),
            "patience": 0.9,
            "walkaway": 0.0,
            "ideal": {i: float(rng.choice([0, 25, 40, 50, 75, 100])) for i in issues},
            "salience": {i: float(rng.uniform(0.1, 1)) for i in issues},
        }
        for a in range(10)
    }
    scenario = scenario_from_dict({"scenario": {"name": "many", "rounds": 12}, "issues": issues, "parties": parties})
    params = compile_params(scenario, 40)
    assert VOTES_PER_CHUNK // 10**3 < 40 * 4
    seeds = np.arange(40)
    for variant in VARIANTS:
        _same_rounds(_every_round(Bdm(variant), params, seeds), _every_round(_OldBdm(variant), params, seeds))
