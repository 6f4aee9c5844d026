"""Exact one-issue solution concepts: closed forms, and agreement with the general SLSQP solver.

Sources of the expected numbers:
* Nash (1950), *Econometrica* 18:155-162, and the asymmetric solution of Kalai
  (1977), *Int. J. Game Theory* 6:129-133: with U_1 = 1 - x, U_2 = x (ideals 0
  and 1), walk-aways d and powers b, the first-order condition
  b_1 / (1 - x - d_1) = b_2 / (x - d_2) gives x = (b_2 (1 - d_1) + b_1 d_2) / (b_1 + b_2).
* Kalai & Smorodinsky (1975), *Econometrica* 43:513-518: with U_a = 1 - x and
  U_b = sqrt(x) (utopias 1 and 1), 1 - x = sqrt(x) gives x = ((sqrt(5) - 1) / 2) ** 2;
  with walk-aways 0 and linear utilities on one issue, the largest equal
  share of every party's utopia is the midpoint of the two extreme ideals.
* Weighted median: Black (1948), "On the rationale of group decision-making",
  *J. Political Economy* 56:23-34.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.benchmarks import BargainingProblem, best_for, kalai_smorodinsky_point, nash_point, solve
from sim.benchmarks.one_issue import (
    compromise_1d,
    kalai_smorodinsky_1d,
    kalai_smorodinsky_point_1d,
    nash_1d,
    nash_point_1d,
    utilities_1d,
    weighted_median_1d,
)
from sim.engine.scenarios import scenario_from_dict


def test_nash_two_symmetric_parties_is_the_midpoint():
    assert nash_1d([0.0, 1.0]) == pytest.approx(0.5, abs=1e-12)
    assert nash_1d([0.2, 0.6]) == pytest.approx(0.4, abs=1e-12)


@pytest.mark.parametrize(("d1", "d2", "b1", "b2"), [(0.0, 0.0, 2.0, 1.0), (0.2, 0.1, 1.0, 1.0), (0.3, 0.0, 1.0, 3.0)])
def test_nash_closed_form_with_walkaways_and_powers(d1, d2, b1, b2):
    expected = (b2 * (1 - d1) + b1 * d2) / (b1 + b2)  # Kalai (1977) first-order condition, see the module docstring
    assert nash_1d([0.0, 1.0], walkaway=[d1, d2], power=[b1, b2]) == pytest.approx(expected, abs=1e-12)


def test_nash_three_parties_closed_form():
    # maximise 2 log(1 - x) + log(x): -2 / (1 - x) + 1 / x = 0, x = 1/3
    assert nash_1d([0.0, 0.0, 1.0]) == pytest.approx(1 / 3, abs=1e-12)


def test_nash_at_a_kink():
    # ideals 0, 0.5, 0.5, 1: symmetric about 0.5, where the log-Nash product has a kink; the maximiser is the kink
    assert nash_1d([0.0, 0.5, 0.5, 1.0]) == pytest.approx(0.5, abs=1e-12)


def test_nash_undefined_when_no_text_beats_every_walkaway():
    assert nash_1d([0.0, 1.0], walkaway=[0.6, 0.6]) is None  # needs x < 0.4 and x > 0.6
    assert nash_1d([0.3, 0.7], walkaway=[1.0, 0.0]) is None  # nothing beats one's ideal


def test_kalai_smorodinsky_closed_forms():
    assert kalai_smorodinsky_1d([0.0, 0.1, 0.9, 0.3]) == pytest.approx(0.45, abs=1e-12)  # midpoint of extremes
    golden = ((math.sqrt(5) - 1) / 2) ** 2
    assert kalai_smorodinsky_1d([0.0, 1.0], curvature=[1.0, 0.5]) == pytest.approx(golden, abs=1e-12)
    # walk-aways (0.2, 0): utopias 1 and 0.8; (0.8 - x) / 0.8 = x / 0.8, x = 0.4
    assert kalai_smorodinsky_1d([0.0, 1.0], walkaway=[0.2, 0.0]) == pytest.approx(0.4, abs=1e-12)
    assert kalai_smorodinsky_1d([0.0, 1.0], walkaway=[0.7, 0.7]) is None


def test_weighted_median_and_compromise_closed_forms():
    assert weighted_median_1d([0, 10, 100], [1, 1, 1]) == 10
    assert weighted_median_1d([0, 100], [1, 1]) == 50  # exactly half: the midpoint
    assert weighted_median_1d([0, 100, 40], [1, 3, 1]) == 100
    assert weighted_median_1d([0, np.nan, 40], [1, 5, 2]) == 40  # no position: left out
    assert compromise_1d([0, 100, np.nan], [1, 3, 9], [1, 1, 1]) == pytest.approx(75)
    assert compromise_1d([0, 100], [1, 3], [np.nan, 1]) == pytest.approx(100)


def test_utilities_1d():
    assert utilities_1d(0.25, [0.0, 1.0], curvature=[1.0, 2.0]) == pytest.approx([0.75, 0.0625])


def _problem(ideal, walkaway, curvature, low=0.0, high=1.0) -> BargainingProblem:
    n = len(ideal)
    red_low = np.zeros((n, 1))
    red_high = np.ones((n, 1))
    red_low[0, 0], red_high[-1, 0] = low, high  # red lines of the first and last party bound the box
    return BargainingProblem(
        ideal=np.array(ideal, dtype=float)[:, None],
        weight=np.ones((n, 1)),
        curvature=np.array(curvature, dtype=float)[:, None],
        red_low=red_low,
        red_high=red_high,
        walkaway=np.array(walkaway, dtype=float),
    )


@pytest.mark.parametrize(
    ("ideal", "walkaway", "curvature"),
    [
        ([0.1, 0.8], [0.0, 0.0], [1.0, 1.0]),
        ([0.1, 0.8, 0.5], [0.2, 0.1, 0.0], [1.0, 0.5, 1.0]),
        ([0.0, 0.3, 0.9, 0.95], [0.0, 0.3, 0.1, 0.0], [2.0, 1.0, 0.7, 1.0]),
        ([0.2, 0.4, 0.4, 1.0], [0.05, 0.0, 0.0, 0.2], [1.0, 1.0, 1.5, 0.8]),
    ],
)
def test_one_issue_solutions_match_the_general_solver(ideal, walkaway, curvature):
    problem = _problem(ideal, walkaway, curvature)
    assert nash_point_1d(problem)[0] == pytest.approx(nash_point(problem, one_issue=False)[0], abs=1e-6)
    ks = kalai_smorodinsky_point(problem, one_issue=False)[0]
    assert kalai_smorodinsky_point_1d(problem)[0] == pytest.approx(ks, abs=1e-6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_exact_and_slsqp_agree_to_1e6_on_random_problems(data):
    """solve() uses the bisection solvers on one issue only because they agree with SLSQP to 1e-6."""
    n = data.draw(st.integers(2, 5))
    ideal = data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    walkaway = data.draw(st.lists(st.floats(0.0, 0.5), min_size=n, max_size=n))
    curvature = data.draw(st.lists(st.sampled_from([0.5, 0.8, 1.0, 1.5, 2.0]), min_size=n, max_size=n))
    low = data.draw(st.floats(0.0, 0.3))
    high = data.draw(st.floats(0.7, 1.0))
    problem = _problem(ideal, walkaway, curvature, low, high)
    for exact, general in ((nash_point_1d, nash_point), (kalai_smorodinsky_point_1d, kalai_smorodinsky_point)):
        fast, slow = exact(problem), general(problem, one_issue=False)
        if fast is None or slow is None:
            # undefined for one only at the edge: the set of texts beating every walk-away is a point
            other = slow if fast is None else fast
            assert other is None or np.min(problem.utilities(other) - problem.walkaway) < 1e-6
            continue
        assert fast[0] == pytest.approx(slow[0], abs=1e-6), exact.__name__


def test_solve_uses_the_exact_solver_on_one_issue():
    data = {
        "scenario": {"name": "t", "rounds": 5},
        "issues": {"x": {"min": 0, "max": 100}},
        "parties": {
            f"p{k}": {
                "name": f"P{k}",
                "capability": 1.0,
                "patience": 0.9,
                "walkaway": 0.0,
                "ideal": {"x": float(x)},
                "salience": {"x": 1.0},
            }
            for k, x in enumerate((0, 0, 100))
        },
    }
    solutions = solve(scenario_from_dict(data))
    assert solutions.nash["x"] == pytest.approx(100 / 3, abs=1e-5)  # 2 log(1 - x) + log(x): x = 1/3
    assert solutions.kalai_smorodinsky["x"] == pytest.approx(50.0, abs=1e-9)  # midpoint of the extreme ideals


@pytest.mark.parametrize("k_a", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("floor", [0.0, 0.3, 0.64, 0.99])
def test_best_for_one_issue_closed_form_and_slsqp(k_a, floor):
    # U_a = (1 - z) ** k_a >= floor  <=>  z <= 1 - floor ** (1 / k_a); b (ideal 1) takes the largest such z
    one = _problem([0.0, 1.0], [0.0, 0.0], [k_a, 1.0])
    z = best_for(one, 1, 0, floor)
    assert z[0] == pytest.approx(1 - floor ** (1 / k_a), abs=1e-12)
    # the general SLSQP path on the same problem with a second issue nobody cares about
    two = BargainingProblem(
        ideal=np.array([[0.0, 0.5], [1.0, 0.5]]),
        weight=np.array([[1.0, 0.0], [1.0, 0.0]]),
        curvature=np.array([[k_a, 1.0], [1.0, 1.0]]),
        red_low=np.zeros((2, 2)),
        red_high=np.ones((2, 2)),
        walkaway=np.zeros(2),
    )
    assert best_for(two, 1, 0, floor)[0] == pytest.approx(z[0], abs=1e-6)
    assert best_for(one, 1, 0, 1.01) is None  # nothing gives a more than its ideal
