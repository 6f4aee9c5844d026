"""Discrete issues: texts, offers and deals take only the labelled options (packages of options)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import GENEVA

from sim.benchmarks import BargainingProblem, solve
from sim.benchmarks.discrete import discrete_kalai_smorodinsky, discrete_nash
from sim.core.errors import UserError
from sim.engine.runner import run
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols import protocol_names


def _packages_data(rounds: int = 40) -> dict:
    """Two parties over two discrete issues of three options each (a logroll is possible)."""
    levels = {"0": "none", "0.5": "half", "1": "all"}
    return {
        "scenario": {"name": "packages", "rounds": rounds, "seed": 1},
        "issues": {
            "land": {"min": 0, "max": 1, "levels": levels, "discrete": True},
            "bloc": {"min": 0, "max": 1, "levels": levels, "discrete": True},
        },
        "parties": {
            "r": {
                "name": "R",
                "capability": 1.0,
                "patience": 0.9,
                "walkaway": 0.3,
                "walkaway_drift": -0.005,
                "ideal": {"land": 1.0, "bloc": 0.0},
                "salience": {"land": 0.9, "bloc": 0.3},
            },
            "u": {
                "name": "U",
                "capability": 1.0,
                "patience": 0.9,
                "walkaway": 0.3,
                "walkaway_drift": -0.005,
                "ideal": {"land": 0.0, "bloc": 1.0},
                "salience": {"land": 0.3, "bloc": 0.9},
            },
        },
    }


@pytest.mark.parametrize("protocol", protocol_names())
def test_every_deal_is_a_package_of_options(protocol):
    s = scenario_from_dict(_packages_data())
    out = run(s, protocol=protocol)
    assert out.deal is not None or not out.agreement
    for values in [out.deal or {}, *([out.benchmarks["nash"]] if out.benchmarks["nash"] else [])]:
        for iid, value in values.items():
            assert value in (0.0, 0.5, 1.0), (protocol, iid, value)
    texts = out.history.text
    assert np.isin(texts, [0.0, 0.5, 1.0]).all()


def test_benchmarks_over_packages_match_brute_force():
    """Nash and Kalai-Smorodinsky over the 9 packages, by enumeration (written here independently)."""
    s = scenario_from_dict(_packages_data())
    sol = solve(s)
    problem = BargainingProblem.from_scenario(s)
    texts = np.array(list(itertools.product([0, 0.5, 1], repeat=2)), dtype=float)
    gains = problem.utilities(texts) - problem.walkaway
    nash = texts[np.argmax(np.where((gains > 0).all(1), gains.prod(1), -1))]
    assert [sol.nash["land"], sol.nash["bloc"]] == nash.tolist() == [1.0, 1.0]  # the logroll
    utopia = gains.max(axis=0)
    ks = texts[np.argmax(np.min(gains / utopia, axis=1))]
    assert [sol.kalai_smorodinsky["land"], sol.kalai_smorodinsky["bloc"]] == ks.tolist()
    assert sol.exact


def test_mixed_discrete_and_continuous_solves_each_package():
    data = _packages_data()
    data["issues"]["bloc"] = {"min": 0, "max": 1}
    s = scenario_from_dict(data)
    problem = BargainingProblem.from_scenario(s)
    levels = (np.array([0.0, 0.5, 1.0]), np.zeros(0))
    point, exact = discrete_nash(problem, levels)
    assert exact and point[0] in (0.0, 0.5, 1.0)
    # brute force: the continuous issue on a fine grid for each option
    best = max(
        (np.prod(problem.utilities(np.array([a, b])) - problem.walkaway), a)
        for a in (0.0, 0.5, 1.0)
        for b in np.linspace(0, 1, 2001)
        if np.all(problem.utilities(np.array([a, b])) > problem.walkaway)
    )
    assert point[0] == best[1]
    ks, exact = discrete_kalai_smorodinsky(problem, levels)
    assert exact and ks[0] in (0.0, 0.5, 1.0)


def test_forecasts_report_the_option_and_the_raw_value():
    s = scenario_from_dict(_packages_data())
    data = run(s, protocol="compromise").to_dict()
    # raw: (0.9 * 1 + 0.3 * 0) / 1.2 = 0.75, halfway between two options: the one nearer the middle
    assert data["forecast_raw"] == {"land": 0.75, "bloc": 0.75}
    assert data["deal_options"] == {"land": "half", "bloc": "half"}


def test_discrete_needs_levels():
    data = _packages_data()
    del data["issues"]["land"]["levels"]
    with pytest.raises(UserError, match="issues.land.discrete: needs levels"):
        scenario_from_dict(data)


def test_geneva_with_options_runs():
    s = load_scenario(GENEVA)
    variant = s.with_values({"issues.nato.discrete": True})
    out = run(variant, protocol="mediated")
    nato = variant.issue("nato")
    assert all(any(abs(v - level) < 1e-9 for level in nato.levels) for v in out.history.text[:, 1])


def test_run_many_measures_the_distance_to_the_nash_package():
    """issue #15: the batched engine's distance_to_nash uses the Nash solution over packages, as a single run does
    (it took the continuous Nash point, so the two disagreed on any scenario with a discrete issue)."""
    from sim.engine.batch import run_many

    data = _packages_data()
    data["issues"]["land"]["levels"] = {"0": "none", "1": "all"}  # two options: the continuous Nash lies between
    data["issues"]["bloc"] = {"min": 0, "max": 1}  # and one continuous issue, equally weighted
    for pid in ("r", "u"):
        data["parties"][pid]["salience"] = {"land": 0.5, "bloc": 0.5}
    s = scenario_from_dict(data)
    one = run(s, protocol="mediated")
    assert one.agreement and one.benchmarks["nash"]["land"] in (0.0, 1.0)
    table = run_many(s, {"parties.r.walkaway": [s.party("r").walkaway]}, seeds=[s.seed], protocol="mediated")
    assert table["distance_to_nash"][0] == pytest.approx(one.distance_to_nash, abs=1e-9)


@pytest.mark.parametrize(("text", "target"), [(0.0, 0.5), (1.0, 0.5), (0.5, 0.0), (0.5, 1.0)])
def test_a_text_on_an_option_stays_there_whichever_side_the_target_is(text, target):
    # Found by the mirror property (tests/test_properties.py): an equilibrium offer at the top option,
    # rounded toward a responder below it, dropped one option; at the bottom option it stayed.
    from sim.core.utility import snap_to_levels

    levels = (np.array([0.0, 0.5, 1.0]),)
    assert snap_to_levels(np.array([text]), levels, np.array([target]))[0] == text
    assert snap_to_levels(np.array([1.0 - text]), levels, np.array([1.0 - target]))[0] == 1.0 - text
