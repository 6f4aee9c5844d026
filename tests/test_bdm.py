"""Bueno de Mesquita's model as formalised by Scholz, Calbert & Smith (2011).

The vectorised kernel is checked against (1) numbers worked by hand from the
pinned equations and (2) a literal, loop-by-loop transcription of the spec in
issue #4 (itself the reference code of Scholz et al. 2011).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.protocols.bdm import bdm_forecast, bdm_moves, bdm_risk_exponents, bdm_win_probabilities


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
