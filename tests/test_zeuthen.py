"""Zeuthen's monotonic concession protocol ends at the discrete Nash maximum.

Harsanyi (1956), Econometrica 24:144-157, shows Zeuthen's rule (the party with
the smaller risk concedes) makes the party whose offer has the smaller Nash
product concede, so the process ends at the Nash product's maximum over the
offers available; on a grid that is the discrete Nash maximum, computed here
by brute force.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import GENEVA, two_party_data

from sim.benchmarks import BargainingProblem, Solutions
from sim.core.compile import compile_params
from sim.core.utility import snap_to_grid
from sim.engine.runner import run
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols.zeuthen import GRID_LIMIT, Zeuthen, candidate_offers, zeuthen_risk

NO_BENCH = Solutions(None, None, {}, {})


def _grid_scenario(step=7, k_b=0.5, w=(0.1, 0.05)):
    data = two_party_data(protocol="zeuthen", rounds=200)
    data["issues"]["x"]["step"] = step
    data["parties"]["b"]["curvature"] = {"x": k_b}
    data["parties"]["a"]["walkaway"], data["parties"]["b"]["walkaway"] = w
    for party in data["parties"].values():  # a fixed disagreement point: Zeuthen ends at the discrete Nash max
        party["walkaway_drift"] = 0.0
    return scenario_from_dict(data)


def _discrete_nash(scenario):
    problem = BargainingProblem.from_scenario(scenario)
    axes = [np.arange(i.min, i.max + 1e-9, i.step) for i in scenario.issues]
    best, best_x = -np.inf, None
    for point in itertools.product(*axes):
        z = np.array([(v - i.min) / i.span for v, i in zip(point, scenario.issues, strict=True)])
        gains = problem.utilities(z) - problem.walkaway
        if np.all(gains >= 0) and np.prod(gains) > best:
            best, best_x = np.prod(gains), point
    return dict(zip(scenario.issue_ids, best_x, strict=True))


@pytest.mark.parametrize(("step", "k_b", "w"), [(7, 0.5, (0.1, 0.05)), (5, 1.0, (0.2, 0.0)), (3, 2.0, (0.0, 0.1))])
def test_one_issue_grid_ends_at_discrete_nash_max(step, k_b, w):
    s = _grid_scenario(step, k_b, w)
    out = run(s, solutions=NO_BENCH)
    assert out.agreement
    assert out.deal == pytest.approx(_discrete_nash(s))


def test_two_issue_grid_logroll_ends_at_discrete_nash_max():
    data = two_party_data(protocol="zeuthen", rounds=500)
    data["issues"] = {
        "p": {"min": 0, "max": 10, "step": 1},
        "q": {"min": 0, "max": 10, "step": 2},
    }
    data["parties"]["a"].update(ideal={"p": 0, "q": 0}, salience={"p": 0.9, "q": 0.3}, walkaway=0.1)
    data["parties"]["b"].update(ideal={"p": 10, "q": 10}, salience={"p": 0.4, "q": 0.8}, walkaway=0.1)
    s = scenario_from_dict(data)
    out = run(s, solutions=NO_BENCH)
    assert out.agreement
    assert out.deal == pytest.approx(_discrete_nash(s))


def test_continuous_issue_approaches_nash_solution():
    data = two_party_data(protocol="zeuthen", rounds=500)
    data["parties"]["b"]["curvature"] = {"x": 0.5}
    data["parties"]["a"]["walkaway"] = data["parties"]["b"]["walkaway"] = 0.0
    out = run(scenario_from_dict(data), solutions=NO_BENCH)
    assert out.deal["x"] == pytest.approx(100 / 3, abs=0.5)  # Nash: t = k / (1 + k)


def test_risk_formula():
    # risk = (U(own) - U(other)) / (U(own) - d): 0.8 vs 0.5 over d = 0.2 -> 0.5
    assert zeuthen_risk(np.array([0.8]), np.array([0.5]), np.array([0.2]))[0] == pytest.approx(0.5)
    assert zeuthen_risk(np.array([0.2]), np.array([0.1]), np.array([0.2]))[0] == 0.0


def test_offers_only_concede_monotonically():
    s = _grid_scenario()
    out = run(s, solutions=NO_BENCH)
    a_offers = out.history.positions[1:, 0, 0]
    b_offers = out.history.positions[1:, 1, 0]
    assert np.all(np.diff(a_offers) >= -1e-9)  # A (wants 0) concedes upward
    assert np.all(np.diff(b_offers) <= 1e-9)  # B (wants 100) concedes downward


def test_candidates_are_pareto_ordered():
    s = load_scenario(GENEVA)
    params = compile_params(s)
    cand = candidate_offers(params, 0)
    problem = BargainingProblem.from_scenario(s)
    u = problem.utilities(cand)[:, list(params.main)]
    assert np.all(np.diff(u[:, 0]) > 0) and np.all(np.diff(u[:, 1]) < 0)


def test_no_bargaining_set_no_deal():
    data = two_party_data(protocol="zeuthen")
    data["parties"]["a"]["walkaway"] = data["parties"]["b"]["walkaway"] = 0.8
    out = run(scenario_from_dict(data), solutions=NO_BENCH)
    assert not out.agreement and out.deal is None


def _audit_case(**b_extra):
    data = two_party_data(protocol="zeuthen", rounds=60)
    data["issues"]["x"]["step"] = 1
    data["parties"]["a"]["walkaway"] = 0.3
    data["parties"]["a"]["walkaway_drift"] = 0.01  # a's value of fighting on rises while they talk
    data["parties"]["b"].update(b_extra)
    return scenario_from_dict(data)


def test_deal_respects_the_walkaway_in_force():
    """The audit's case (issue #14): a deal at round t gave a party 0.70 against a walk-away of 0.80 in
    force. Now the disagreement point is the walk-away in force, and a deal never gives less."""
    out = run(_audit_case(), solutions=NO_BENCH)
    assert out.agreement
    assert out.walkaways["a"] == pytest.approx(min(0.3 + 0.01 * out.round, 1.0))
    assert out.utilities["a"] >= out.walkaways["a"] - 1e-12
    assert out.utilities["b"] >= out.walkaways["b"] - 1e-12


def test_deal_outside_a_win_set_is_not_ratified():
    """The audit's case (issue #14): a deal at 70 against a win-set bound of 76. The consent round now
    ratifies at home: the text fails in b's legislature, and no deal below the bound is struck."""
    out = run(_audit_case(ratification={"bounds": {"x": {"min": 76}}}), solutions=NO_BENCH)
    assert out.ratification_failures()
    assert not out.agreement or out.deal["x"] >= 76


def test_an_issue_the_two_main_parties_ignore_is_settled_for_the_rest_of_the_table():
    # A and B care only about x; C (a third party) only about y, ideal 7. Every y is the same to A and B,
    # so the offers take the y the whole table values most: C's 7 - not the low end of y's grid (which
    # the scale's direction would decide: read backwards, the low end is the other end)
    data = two_party_data(protocol="zeuthen", rounds=60)
    data["issues"] = {"x": {"min": 0, "max": 10, "step": 1}, "y": {"min": 0, "max": 10, "step": 1}}
    data["parties"]["a"].update(ideal={"x": 0, "y": 0}, salience={"x": 1.0, "y": 0.0}, walkaway=0.1)
    data["parties"]["b"].update(ideal={"x": 10, "y": 0}, salience={"x": 1.0, "y": 0.0}, walkaway=0.1)
    data["parties"]["c"] = {
        "name": "C",
        "capability": 0.5,
        "patience": 0.9,
        "walkaway": 0.0,
        "ideal": {"x": 5, "y": 7},
        "salience": {"x": 0.0, "y": 1.0},
    }
    out = run(scenario_from_dict(data), solutions=NO_BENCH)
    assert out.agreement
    assert out.deal["x"] == pytest.approx(5) and out.deal["y"] == pytest.approx(7)


# candidate_offers' grid texts and Pareto filter before issue #17 (itertools.product, a Python loop over every
# text), kept literally: the vectorised search must find the same offers, bit for bit.


def _old_grid_texts(params, problem, limit=GRID_LIMIT):
    if not all(len(options) or step > 0 for options, step in zip(params.levels, params.step, strict=True)):
        return None
    low, high = problem.box
    axes = []
    for i, step in enumerate(params.step):
        options = params.levels[i]
        if len(options):
            axes.append(options[(options >= low[i] - 1e-9) & (options <= high[i] + 1e-9)])
            continue
        k_lo = int(np.ceil(low[i] / step - 1e-9))
        k_hi = int(np.floor(high[i] / step + 1e-9))
        axes.append(np.arange(k_lo, k_hi + 1) * step)
    if np.prod([len(a) for a in axes], dtype=float) > limit:
        return None
    return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(axes))


def _old_offers(params, row):
    a, b = params.main
    problem = BargainingProblem.from_params(params, row)
    pair = problem.subset([a, b])
    texts = _old_grid_texts(params, problem)
    assert texts is not None  # grid problems only here
    if len(texts) == 0:
        return np.zeros((0, params.n_issues))
    texts = snap_to_grid(texts, params.step, params.levels)
    u = pair.utilities(texts)
    ok = np.all(u >= pair.walkaway - 1e-12, axis=1)
    texts, u = texts[ok], u[ok]
    if len(texts) == 0:
        return texts
    # texts the two value alike: the one the table values most, then the one nearest b's best (issue #10)
    others = problem.utilities(texts).sum(axis=1)
    near_b = -np.abs(texts - np.clip(problem.ideal[b], *problem.box)).sum(axis=1)
    keys = np.round(np.column_stack([u, others, near_b]), 12)
    order = np.lexsort((-keys[:, 3], -keys[:, 2], -keys[:, 1], -keys[:, 0]))
    keep, best_b = [], -np.inf
    for k in order:
        if u[k, 1] > best_b + 1e-12:
            keep.append(k)
            best_b = u[k, 1]
    keep = keep[::-1]
    return texts[keep]


def _grid_problem(rng):
    data = two_party_data(protocol="zeuthen")
    n = int(rng.integers(1, 4))
    steps = [1, 2, 5, 10] if n < 3 else [2, 5, 10]  # at most 51 ** 3 texts: the grid is enumerated
    data["issues"] = {f"i{k}": {"min": 0, "max": 100, "step": float(rng.choice(steps))} for k in range(n)}
    for party in data["parties"].values():
        party["ideal"] = {f"i{k}": float(rng.choice([0, 30, 50, 100])) for k in range(n)}
        party["salience"] = {f"i{k}": float(rng.choice([0.2, 0.5, 1.0])) for k in range(n)}  # ties in utility
        party["curvature"] = {f"i{k}": float(rng.choice([0.5, 1.0, 2.0])) for k in range(n)}
        party["walkaway"] = float(rng.choice([0.0, 0.2, 0.4]))
    if rng.random() < 0.5:
        ideal = data["parties"]["a"]["ideal"]["i0"]
        data["parties"]["a"]["red_lines"] = {"i0": {"max": min(100.0, ideal + float(rng.choice([10, 40, 70])))}}
    return scenario_from_dict(data)


def test_grid_offers_are_the_old_ones_bit_for_bit():
    rng = np.random.default_rng(23)
    found = 0
    for _ in range(40):
        params = compile_params(_grid_problem(rng))
        new, old = candidate_offers(params, 0), _old_offers(params, 0)
        assert new.shape == old.shape and np.array_equal(new, old)
        found += len(new)
    assert found > 500
    # two issues alike for both parties: texts (p, q) and (q, p) tie in both utilities, and the first in the
    # grid's order (the last issue varying fastest) is the one kept
    data = two_party_data(protocol="zeuthen")
    data["issues"] = {k: {"min": 0, "max": 100, "step": 10} for k in ("p", "q")}
    for party, ideal in zip(data["parties"].values(), (0, 100), strict=True):
        party.update(ideal={"p": ideal, "q": ideal}, salience={"p": 0.5, "q": 0.5}, curvature={"p": 0.5, "q": 0.5})
    params = compile_params(scenario_from_dict(data))
    assert np.array_equal(candidate_offers(params, 0), _old_offers(params, 0))


def test_rows_sharing_a_problem_share_its_offers():
    data = two_party_data(protocol="zeuthen")
    data["issues"] = {"p": {"min": 0, "max": 100, "step": 5}, "q": {"min": 0, "max": 100, "step": 10}}
    for party, ideal in zip(data["parties"].values(), (0, 100), strict=True):
        party.update(ideal={"p": ideal, "q": 100 - ideal}, salience={"p": 1.0, "q": 0.4})
    params = compile_params(scenario_from_dict(data), 6)
    ideal = params.prefs.ideal.copy()
    ideal[[1, 4], 0, 0] = 0.3  # rows 1 and 4 share another problem, row 3 a third
    ideal[3, 1, 1] = 0.6
    params = params.with_arrays({"prefs.ideal": ideal})
    rows = Zeuthen()._candidates(params)
    for r in range(6):
        assert np.array_equal(rows[r], candidate_offers(params.take(slice(r, r + 1)), 0))
    assert rows[0] is rows[2] is rows[5] and rows[1] is rows[4]
    assert not np.array_equal(rows[0], rows[1]) and not np.array_equal(rows[0], rows[3])
