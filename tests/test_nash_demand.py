"""Nash's demand game: the candidate texts when red lines exclude each other."""

from __future__ import annotations

import numpy as np
from conftest import two_party_data

from sim.core.compile import compile_params
from sim.engine.scenarios import scenario_from_dict
from sim.protocols.nash_demand import demand_candidates


def test_red_lines_that_exclude_each_other_leave_the_ideals_unclipped():
    # A's red line x <= 30, B's x >= 70: no text is inside both. Clipping into that empty box would put
    # every anchor at one end (numpy's clip returns the upper bound), favouring one direction of the scale
    data = two_party_data()
    data["parties"]["a"]["red_lines"] = {"x": {"max": 30}}
    data["parties"]["b"]["red_lines"] = {"x": {"min": 70}}
    candidates = demand_candidates(compile_params(scenario_from_dict(data)), segment_points=3)[0, :, 0]
    np.testing.assert_allclose(candidates[:3], [0.0, 1.0, 0.5])  # the ideals and their compromise
    np.testing.assert_allclose(sorted(candidates), sorted(1 - candidates))  # a set symmetric about the middle


def test_red_lines_that_overlap_clip_the_ideals_into_them():
    data = two_party_data()
    data["parties"]["a"]["red_lines"] = {"x": {"max": 60}}
    data["parties"]["b"]["red_lines"] = {"x": {"min": 20}}
    candidates = demand_candidates(compile_params(scenario_from_dict(data)), segment_points=3)[0, :, 0]
    np.testing.assert_allclose(candidates[:3], [0.2, 0.6, 0.4])
