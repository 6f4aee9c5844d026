"""Benchmark solutions against their closed forms.

Sources of the expected numbers:
* Nash (1950), "The Bargaining Problem", Econometrica 18: with a linear
  frontier U_a = 1 - t, U_b = t the product (U_a - w_a)(U_b - w_b) is
  maximal at t = (1 - w_a + w_b) / 2 (equal gains); with U_b = t ** k,
  first-order conditions give t = k / (1 + k).
* Kalai & Smorodinsky (1975), Econometrica 43: the point where
  (U_a - w_a) / (u*_a - w_a) = (U_b - w_b) / (u*_b - w_b); with U_a = 1 - t,
  U_b = sqrt(t): 1 - t = sqrt(t), t = ((sqrt(5) - 1) / 2) ** 2.
* Kalai-Smorodinsky with three parties: Imai (1983), "Individual monotonicity
  and lexicographic maxmin solution", Econometrica 51(2): with U_1 = 1 - x,
  U_2 = x, U_3 = y (utilities on S = {u1 + u2 <= 1, u3 <= 1}) the largest
  common share of the utopia (1, 1, 1) is lam = 0.5, attained by every
  (0.5, 0.5, t), t in [0.5, 1]; the lexicographic maximin is (0.5, 0.5, 1)
  (/work/notes/theory.md section 6, worked by hand).
* Strong vs weak Pareto efficiency: at the text (x, y) = (0.5, 0.5) of the same
  problem nobody can gain all at once (gap 0: weakly efficient), but party 3
  gains 0.5 with nobody losing (gain 0.5: not strongly efficient).
* Compromise: Achen (2006) in Thomson et al., The European Union Decides.
* Weighted median: Black (1948), the median voter.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GENEVA, two_party_data
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.benchmarks import (
    BargainingProblem,
    compromise,
    frontier,
    kalai_smorodinsky,
    kalai_smorodinsky_point,
    nash_point,
    nash_solution,
    pareto_frontier,
    pareto_gain,
    pareto_gain_of,
    pareto_gap,
    pareto_gap_of,
    solve,
    weighted_median,
    weighted_median_point,
)
from sim.engine.scenarios import load_scenario, scenario_from_dict


def _split(w_a=0.0, w_b=0.0, k_b=1.0, **extra):
    data = two_party_data()
    data["parties"]["a"]["walkaway"] = w_a
    data["parties"]["b"]["walkaway"] = w_b
    data["parties"]["b"]["curvature"] = {"x": k_b}
    for path, value in extra.items():
        party, key = path.split("__")
        data["parties"][party][key] = value
    return scenario_from_dict(data)


def test_nash_splits_gains_equally_one_linear_issue():
    assert nash_solution(_split())["x"] == pytest.approx(50.0, abs=1e-5)


@pytest.mark.parametrize(("w_a", "w_b"), [(0.2, 0.1), (0.0, 0.4), (0.3, 0.3)])
def test_nash_with_walkaways(w_a, w_b):
    expected = 100 * (1 - w_a + w_b) / 2
    assert nash_solution(_split(w_a, w_b))["x"] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("k", [0.5, 0.8, 2.0])
def test_nash_with_curvature(k):
    assert nash_solution(_split(k_b=k))["x"] == pytest.approx(100 * k / (1 + k), abs=1e-3)


def test_kalai_smorodinsky_curved_closed_form():
    expected = 100 * ((np.sqrt(5) - 1) / 2) ** 2  # 38.1966...
    assert kalai_smorodinsky(_split(k_b=0.5))["x"] == pytest.approx(expected, abs=1e-4)


def test_kalai_smorodinsky_linear_equals_equal_gains():
    assert kalai_smorodinsky(_split(0.2, 0.1))["x"] == pytest.approx(45.0, abs=1e-4)


def test_red_lines_bind_nash():
    s = _split()
    s = s.with_values({"parties.a.red_lines.x.max": 30})
    assert nash_solution(s)["x"] == pytest.approx(30.0, abs=1e-6)


def test_no_bargaining_set_gives_none():
    s = _split(0.7, 0.7)  # U_a + U_b = 1 < 1.4
    assert nash_solution(s) is None
    assert kalai_smorodinsky(s) is None
    assert solve(s).as_dict()["nash"] is None


def _logroll_problem():
    # A cares 0.8 about issue 1, B 0.8 about issue 2: trading beats splitting.
    return BargainingProblem(
        ideal=np.array([[0.0, 0.0], [1.0, 1.0]]),
        weight=np.array([[0.8, 0.2], [0.2, 0.8]]),
        curvature=np.ones((2, 2)),
        red_low=np.zeros((2, 2)),
        red_high=np.ones((2, 2)),
        walkaway=np.zeros(2),
    )


def test_nash_logrolls():
    np.testing.assert_allclose(nash_point(_logroll_problem()), [0.0, 1.0], atol=1e-6)


def test_pareto_frontier_matches_piecewise_linear_closed_form():
    # Frontier of the logroll: U_b = 4 (1 - U_a) for U_a >= 0.8, else 1 - U_a / 4.
    utils, _ = frontier(_logroll_problem(), 0, 1, points=21)
    u_a, u_b = utils[:, 0], utils[:, 1]
    expected = np.where(u_a >= 0.8, 4 * (1 - u_a), 1 - 0.25 * u_a)
    np.testing.assert_allclose(u_b, expected, atol=1e-6)
    assert len(utils) >= 15


def test_pareto_gap():
    p = _logroll_problem()
    assert pareto_gap_of(p, np.array([0.5, 0.5])) == pytest.approx(0.3, abs=1e-6)
    assert pareto_gap_of(p, np.array([0.0, 1.0])) == pytest.approx(0.0, abs=1e-7)


def _three_party_problem(walkaway=(0.0, 0.0, 0.0)):
    # Parties 1 and 2 split issue x (ideals 0 and 1); party 3 cares only about issue y (ideal 1).
    return BargainingProblem(
        ideal=np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
        weight=np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
        curvature=np.ones((3, 2)),
        red_low=np.zeros((3, 2)),
        red_high=np.ones((3, 2)),
        walkaway=np.array(walkaway),
    )


def test_kalai_smorodinsky_three_parties_is_the_strongly_efficient_leximin():
    # Imai (1983): max-lam texts are (0.5, t), t in [0.5, 1]; the leximin is (0.5, 1), utilities (0.5, 0.5, 1)
    p = _three_party_problem()
    z = kalai_smorodinsky_point(p)
    np.testing.assert_allclose(z, [0.5, 1.0], atol=1e-6)
    np.testing.assert_allclose(p.utilities(z), [0.5, 0.5, 1.0], atol=1e-6)
    assert pareto_gain_of(p, z) == pytest.approx(0.0, abs=1e-6)  # strongly efficient


def test_kalai_smorodinsky_three_parties_with_walkaways():
    # d = (0.2, 0.1, 0.3): utopias (0.9, 0.8, 1); lam solves 0.2 + 0.7 lam = 1 - (0.1 + 0.7 lam): lam = 0.5,
    # x = 0.45 (U_1 = 0.55, U_2 = 0.45); party 3 is not blocked at 0.5 and rises to its utopia: y = 1
    p = _three_party_problem((0.2, 0.1, 0.3))
    np.testing.assert_allclose(kalai_smorodinsky_point(p), [0.45, 1.0], atol=1e-6)


def test_weakly_but_not_strongly_efficient_text():
    # (0.5, 0.5): nobody can gain all at once (gap 0), but party 3 gains 0.5 with nobody losing
    p = _three_party_problem()
    text = np.array([0.5, 0.5])
    assert pareto_gap_of(p, text) == pytest.approx(0.0, abs=1e-7)
    assert pareto_gain_of(p, text) == pytest.approx(0.5, abs=1e-6)
    assert pareto_gain_of(p, np.array([0.3, 1.0])) == pytest.approx(0.0, abs=1e-6)


def test_pareto_gain_of_the_logroll_split():
    # the split (0.5, 0.5) gives (0.5, 0.5); the trade (0, 1) gives (0.8, 0.8): total gain 0.6 (the largest,
    # since U_A + U_B = 1 + 0.6 (z_fund - z_zone) is largest at the trade)
    assert pareto_gain_of(_logroll_problem(), np.array([0.5, 0.5])) == pytest.approx(0.6, abs=1e-6)


def test_outcome_json_reports_strong_efficiency():
    from dataclasses import replace

    from sim.engine.runner import run

    out = run(_split(), protocol="compromise")
    assert out.to_dict()["pareto_efficient"] is True and out.to_dict()["pareto_gain"] == 0.0
    weak = replace(out, pareto_gap=0.0, pareto_gain=0.5)
    assert weak.to_dict()["pareto_gap"] == 0.0
    assert weak.to_dict()["pareto_gain"] == 0.5 and weak.to_dict()["pareto_efficient"] is False


def test_pareto_gain_in_units():
    s = _split()
    assert pareto_gain(s, {"x": 40.0}) == pytest.approx(0.0, abs=1e-7)


def test_compromise_by_hand():
    # classroom-logroll (docs/scenarios.md, "hand-worked answers"): equal capabilities, A's saliences
    # zone 0.8 / fund 0.2 at (0, 0), B's 0.2 / 0.8 at (100, 100). Achen's (2006) compromise, the
    # capability x salience weighted mean: zone (0 x 0.8 + 100 x 0.2) / 1 = 20, fund 80.
    c = compromise(load_scenario(GENEVA.parent / "classroom-logroll.toml"))
    assert c["zone"] == pytest.approx(20) and c["fund"] == pytest.approx(80)
    # unequal capabilities weigh in: capability 3 for B puts the zone at (0 x 0.8 + 100 x 0.6) / 1.4
    s = load_scenario(GENEVA.parent / "classroom-logroll.toml").with_values({"parties.b.capability": 3.0})
    assert compromise(s)["zone"] == pytest.approx(60 / 1.4)


def test_weighted_median_by_hand():
    # weights 1, 1, 3 at 0, 5, 10: total 5, half 2.5 reached at 10
    assert weighted_median_point(np.array([0.0, 5.0, 10.0]), np.array([1.0, 1.0, 3.0])) == 10.0
    # weights 2, 1, 1: half 2 reached exactly at 0 -> midpoint to 5
    assert weighted_median_point(np.array([0.0, 5.0, 10.0]), np.array([2.0, 1.0, 1.0])) == 2.5
    assert weighted_median_point(np.array([3.0, 1.0, 2.0]), np.ones(3)) == 2.0


def test_weighted_median_of_scenario_uses_capability_times_salience():
    s = scenario_from_dict(two_party_data())
    s = s.with_values({"parties.a.capability": 3.0})
    assert weighted_median(s)["x"] == 0.0


def test_two_party_frontier_of_scenario_and_gap_in_units():
    s = _split()
    utils, texts = pareto_frontier(s, points=11)
    np.testing.assert_allclose(utils.sum(axis=1), 1.0, atol=1e-9)
    assert pareto_gap(s, {"x": 40.0}) == pytest.approx(0.0, abs=1e-7)


def test_geneva_benchmarks_respect_red_lines_and_walkaways():
    s = load_scenario(GENEVA)
    sol = solve(s)
    p = BargainingProblem.from_scenario(s)
    for point in (sol.nash, sol.kalai_smorodinsky):
        z = np.array([(point[i.id] - i.min) / i.span for i in s.issues])
        low, high = p.box
        assert np.all(z >= low - 1e-9) and np.all(z <= high + 1e-9)
        assert np.all(p.utilities(z) >= p.walkaway - 1e-9)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 200).map(lambda k: k / 2), min_size=1, max_size=9),  # half-km positions
    st.data(),
)
def test_weighted_median_is_the_condorcet_winner(positions, data):
    # Black (1948): with single-peaked symmetric preferences on one issue, the (weighted)
    # median beats or ties every alternative in a pairwise (weighted) majority vote.
    n = len(positions)
    weights = np.array(data.draw(st.lists(st.floats(0.01, 10), min_size=n, max_size=n)))
    x = np.array(positions)
    m = weighted_median_point(x, weights)
    for y in np.concatenate([x, np.linspace(0, 100, 41)]):
        for_m = weights[np.abs(x - m) < np.abs(x - y)].sum()
        for_y = weights[np.abs(x - y) < np.abs(x - m)].sum()
        assert for_m >= for_y - 1e-9
