"""The pinned utility model: d = |x - p| / span, v = (1 - d) ** k, U = sum w v."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import four_party_data

from sim.core.compile import compile_params
from sim.core.utility import issue_values, snap_to_grid, utilities, within_red_lines
from sim.engine.scenarios import scenario_from_dict


def test_linear_value_is_one_minus_distance():
    # issue 3's pinned semantics, by hand: x = 0.3, p = 0.8 -> d = 0.5 -> v = 0.5
    v = issue_values(np.array([0.3]), np.array([[0.8]]), np.array([[1.0]]))
    assert v[0, 0] == pytest.approx(0.5)


def test_concave_value():
    # k = 0.5: v = (1 - 0.75) ** 0.5 = 0.5
    v = issue_values(np.array([0.0]), np.array([[0.75]]), np.array([[0.5]]))
    assert v[0, 0] == pytest.approx(0.5)


def test_utility_is_salience_weighted_sum_in_issue_units():
    data = four_party_data()
    s = scenario_from_dict(data)
    params = compile_params(s)
    deal = {"land": 0.4, "cap": 700.0, "bloc": 0.25}
    z = np.array([(deal[i.id] - i.min) / i.span for i in s.issues])
    got = utilities(z, params.prefs.ideal[0], params.prefs.weight[0], params.prefs.curvature[0])
    for a, party in enumerate(s.parties):
        total = sum(party.salience.values())
        expected = sum(
            party.salience[i.id] / total * (1 - abs(deal[i.id] - party.ideal[i.id]) / i.span) ** party.curvature[i.id]
            for i in s.issues
        )
        assert got[a] == pytest.approx(expected, abs=1e-12)


def test_batch_axis_broadcasts():
    rng = np.random.default_rng(0)
    ideal = rng.random((5, 3, 2))
    weight = rng.random((5, 3, 2))
    curv = rng.uniform(0.5, 2, (5, 3, 2))
    text = rng.random((5, 2))
    batched = utilities(text, ideal, weight, curv)
    one_by_one = np.array([utilities(text[b], ideal[b], weight[b], curv[b]) for b in range(5)])
    np.testing.assert_array_equal(batched, one_by_one)


def test_red_lines_and_grid():
    inside = within_red_lines(np.array([0.3, 0.9]), np.array([[0.0, 0.5], [0.4, 0.0]]), np.ones((2, 2)))
    assert inside.tolist() == [True, False]
    np.testing.assert_allclose(snap_to_grid(np.array([0.123, 0.5]), np.array([0.1, 0.0])), [0.1, 0.5])


def test_grid_ties_round_toward_the_middle_so_a_mirrored_scale_rounds_alike():
    from sim.core.utility import round_to_grid, snap_toward

    # n = 3 steps: 0.5 lies in the lower half (up, toward the middle), 2.5 in the upper half (down); numpy's
    # half-to-even gives 0 and 2, which are not mirror images (3 - 0 = 3); discrete options break ties alike
    np.testing.assert_array_equal(round_to_grid(np.array([0.5, 2.5, 0.49, 2.51, 1.2]), 3), [1, 2, 0, 3, 1])
    # float noise around a tie still counts as the tie
    assert round_to_grid(np.array([2.5 - 1e-12]), 3)[0] == 2
    k = np.linspace(0, 7, 141)  # every 0.05 step, ties included, on a scale of n = 7 steps
    away_from_middle = k != 3.5  # the midpoint itself has two nearest points, mirror images of each other
    np.testing.assert_array_equal(round_to_grid(7 - k, 7)[away_from_middle], 7 - round_to_grid(k, 7)[away_from_middle])
    # the text at the target: the nearest grid point is the one in the target's favour
    step = np.array([0.5])
    assert snap_toward(np.array([0.625]), np.array([0.625]), step)[0] == 0.5
    assert snap_toward(np.array([0.375]), np.array([0.375]), step)[0] == 0.5
    assert snap_toward(np.array([0.625]), np.array([0.9]), step)[0] == 1.0
    assert snap_toward(np.array([0.625]), np.array([0.1]), step)[0] == 0.5
