"""Alternating offers: Rubinstein's closed form, convergence to Nash, strategies.

Expected numbers:
* Rubinstein (1982), Econometrica 50:97-109: with one linear issue (the pie)
  and disagreement 0, the first proposer's share is (1 - d2) / (1 - d1 d2).
* Binmore, Rubinstein & Wolinsky (1986), RAND J. Econ. 17:176-188: with a
  disagreement point, shares of the surplus over it follow the same formula;
  as both discount factors tend to 1 the equilibrium tends to the Nash
  bargaining solution (here: t = k / (1 + k) when U_b = t ** k).
* BRW (1986) with unequal discount rates (/work/notes/theory.md 1b): with
  per-period factors delta_i = exp(-r_i D), as the period D -> 0 the
  equilibrium tends to the *asymmetric* Nash solution
  argmax (u_1 - d_1)^alpha (u_2 - d_2)^(1 - alpha), alpha = ln delta_2 /
  (ln delta_1 + ln delta_2) = r_2 / (r_1 + r_2): party 1's exponent is
  proportional to its own patience. Per unit time 0.9 and 0.8: alpha =
  0.679272; the exact share at D = 0.01 is 0.679630.
* Outside options (Shaked & Sutton 1984; BRW 1986; theory.md 1c): unit pie,
  common delta = 0.9, party 2 may opt out for w when responding: if
  w <= delta / (1 + delta) = 0.473684 the option is irrelevant, x* =
  (0.526316, 0.473684); else x* = (1 - w, w) and y* = (delta (1 - w),
  1 - delta (1 - w)): w = 0.6 gives (0.4, 0.6) and (0.36, 0.64). Read as a
  disagreement point instead, w = 0.3 gives party 2
  0.3 + 0.7 * 0.9 / 1.9 = 0.631579.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import GENEVA, two_party_data

from sim.benchmarks import BargainingProblem, Solutions
from sim.benchmarks.one_issue import nash_1d
from sim.core.compile import compile_params
from sim.core.errors import UserError
from sim.engine.runner import run
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols.alternating import Alternating, concede_along, reference_points, rubinstein_offers

NO_BENCH = Solutions(None, None, {}, {})


def _pie(d1, d2, w1=0.0, w2=0.0, k_b=1.0, strategy="equilibrium", breakdown=0.0):
    data = two_party_data(protocol="alternating", breakdown_risk=breakdown)
    data["issues"]["x"].update(min=0, max=1)
    data["parties"]["a"]["ideal"]["x"] = 0
    data["parties"]["b"]["ideal"]["x"] = 1
    for pid, delta, w in (("a", d1, w1), ("b", d2, w2)):
        data["parties"][pid].update(patience=delta, walkaway=w, walkaway_drift=0.0, strategy=strategy)
    data["parties"]["b"]["curvature"] = {"x": k_b}
    return scenario_from_dict(data)


@pytest.mark.parametrize(("d1", "d2"), [(0.9, 0.9), (0.8, 0.95), (0.95, 0.6), (0.5, 0.5), (0.99, 0.9)])
def test_rubinstein_first_proposer_share(d1, d2):
    out = run(_pie(d1, d2), solutions=NO_BENCH)
    assert out.agreement and out.round == 1
    assert out.utilities["a"] == pytest.approx((1 - d2) / (1 - d1 * d2), abs=1e-8)
    assert out.utilities["a"] + out.utilities["b"] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(("w1", "w2"), [(0.2, 0.1), (0.0, 0.3)])
def test_rubinstein_with_disagreement_point(w1, w2):
    d1, d2 = 0.9, 0.8
    out = run(_pie(d1, d2, w1, w2), solutions=NO_BENCH)
    share = (1 - d2) / (1 - d1 * d2)
    assert out.utilities["a"] - w1 == pytest.approx(share * (1 - w1 - w2), abs=1e-8)


@pytest.mark.parametrize(
    ("p", "d1", "d2", "w1", "w2"), [(0.1, 0.9, 0.9, 0.0, 0.0), (0.3, 0.95, 0.8, 0.0, 0.0), (0.1, 0.9, 0.9, 0.2, 0.1)]
)
def test_equilibrium_with_breakdown_risk_follows_binmore_rubinstein_wolinsky(p, d1, d2, w1, w2):
    """BRW (1986) with breakdown probability p after a rejection and breakdown payoff = impasse value = the
    walk-away: effective discount a_i = delta_i (1 - p), first proposer's surplus share (1 - a2) / (1 - a1 a2).
    p = 0.1, delta = 0.9: 1 / 1.81 = 0.552486 (theory notes section 1a')."""
    out = run(_pie(d1, d2, w1, w2, breakdown=p), solutions=NO_BENCH)
    a1, a2 = d1 * (1 - p), d2 * (1 - p)
    assert out.agreement and out.round == 1
    assert out.utilities["a"] - w1 == pytest.approx((1 - a2) / (1 - a1 * a2) * (1 - w1 - w2), abs=1e-8)
    if (p, d1, d2) == (0.1, 0.9, 0.9) and w1 == 0:
        assert out.utilities["a"] == pytest.approx(0.552486, abs=1e-6)


@pytest.mark.parametrize("k", [0.5, 2.0])
def test_equilibrium_tends_to_nash_as_patience_tends_to_one(k):
    nash_t = k / (1 + k)
    errors = []
    for delta in (0.9, 0.99, 0.999):
        out = run(_pie(delta, delta, k_b=k), solutions=NO_BENCH)
        errors.append(abs(out.deal["x"] - nash_t))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 2e-3


def test_second_proposer_offer_is_first_players_continuation_value():
    s = _pie(0.9, 0.7)
    problem = BargainingProblem.from_scenario(s)
    x_star, y_star = rubinstein_offers(problem, np.array([0.9, 0.7]), np.zeros(2))
    u_x, u_y = problem.utilities(x_star), problem.utilities(y_star)
    assert u_y[0] == pytest.approx(0.9 * u_x[0], abs=1e-9)
    assert u_x[1] == pytest.approx(0.7 * u_y[1], abs=1e-9)


def test_equilibrium_needs_two_parties():
    data = load_scenario(GENEVA).data
    data = {
        **data,
        "parties": {**data["parties"], "russia": {**data["parties"]["russia"], "strategy": "equilibrium"}},
    }
    with pytest.raises(UserError, match="parties.russia.strategy: equilibrium needs exactly two parties"):
        scenario_from_dict(data, "g.toml")


def test_concede_along_hits_target_utility():
    ideal = np.array([[0.0, 0.0]])
    ref = np.array([[1.0, 0.5]])
    weight = np.array([[0.5, 0.5]])
    for curv in (np.ones((1, 2)), np.array([[0.5, 2.0]])):
        x = concede_along(ideal, ref, weight, curv, np.array([0.8]))
        u = np.sum(weight * (1 - np.abs(x - ideal)) ** curv)
        assert u == pytest.approx(0.8, abs=1e-12)
    # a target below the reference's utility stops at the reference
    x = concede_along(ideal, ref, weight, np.ones((1, 2)), np.array([0.1]))
    np.testing.assert_allclose(x, ref)


def test_reference_is_weighted_mean_of_the_others():
    s = load_scenario(GENEVA)
    p = compile_params(s)
    ref = reference_points(p)[0]
    force = p.capability[0][:, None] * p.prefs.salience[0]
    # Ukraine's reference on army_cap: the others' weighted mean ideal (inside the red-line box)
    k = s.issue_ids.index("army_cap")
    others = [0, 2, 3]
    mean = (force[others, k] * p.prefs.ideal[0, others, k]).sum() / force[others, k].sum()
    low = p.red_lines.low[0, :, k].max()
    assert ref[1, k] == pytest.approx(max(mean, low))


@pytest.mark.parametrize("strategy", ["linear", "boulware", "conceder"])
def test_symmetric_time_based_agents_split_evenly(strategy):
    out = run(_pie(0.95, 0.95, strategy=strategy), solutions=NO_BENCH)
    assert out.agreement
    assert out.deal["x"] == pytest.approx(0.5, abs=0.05)


def test_boulware_agrees_later_than_conceder():
    rounds = {s: run(_pie(0.99, 0.99, strategy=s), solutions=NO_BENCH).round for s in ("boulware", "conceder")}
    assert rounds["boulware"] > rounds["conceder"]


def test_hard_bargainer_gets_more_against_a_conceder():
    data = _pie(0.99, 0.99, strategy="conceder").data
    data["parties"]["a"]["strategy"] = "boulware"
    out = run(scenario_from_dict(data), solutions=NO_BENCH)
    assert out.agreement and out.utilities["a"] > out.utilities["b"]


def test_tit_for_tat_mirrors_and_deadlocks_with_itself():
    both = run(_pie(0.99, 0.99, strategy="tit_for_tat"), solutions=NO_BENCH)
    assert not both.agreement  # nobody moves first: the classic TFT stalemate
    data = _pie(0.99, 0.99, strategy="linear").data
    data["parties"]["b"]["strategy"] = "tit_for_tat"
    mixed = run(scenario_from_dict(data), solutions=NO_BENCH)
    assert mixed.agreement


def test_geneva_alternating_deal_respects_red_lines_and_walkaways():
    s = load_scenario(GENEVA)
    out = run(s, protocol="alternating", seed=3)  # seed 3: a run that ends in a deal (seed 7 breaks down)
    assert out.agreement
    for party in s.parties:
        for iid, (lo, hi) in party.red_lines.items():
            assert lo - 1e-9 <= out.deal[iid] <= hi + 1e-9
        assert out.utilities[party.id] >= out.walkaways[party.id] - 1e-9


@pytest.mark.parametrize(("d1", "d2"), [(0.5, 0.5), (0.7, 0.95), (0.99, 0.6), (0.9, 0.9)])
def test_equilibrium_on_a_grid_still_agrees_in_round_one(d1, d2):
    # rounding the stationary offer onto the grid must not leave the responder below its
    # continuation value (Rubinstein 1982: agreement without delay)
    data = _pie(d1, d2).data
    data["issues"]["x"]["step"] = 0.01
    out = run(scenario_from_dict(data), solutions=NO_BENCH)
    assert out.agreement and out.round == 1
    assert out.utilities["a"] == pytest.approx((1 - d2) / (1 - d1 * d2), abs=0.01)


@pytest.mark.parametrize("name", sorted(p.name for p in (GENEVA.parent).glob("*.toml")))
def test_closed_form_offers_agree_with_bisection_on_every_shipped_scenario(name):
    """Issue #17: the closed-form concession (exact for straight-line values, Newton for curved ones) replaces a
    50-step bisection; deals, rounds and utilities agree with the bisection's to 1e-12."""
    from sim.protocols.alternating import Alternating

    s = load_scenario(GENEVA.parent / name)
    fast = run(s, protocol=Alternating(), solutions=NO_BENCH)
    slow = run(s, protocol=Alternating(offer_solver="bisection"), solutions=NO_BENCH)
    assert fast.agreement == slow.agreement and fast.round == slow.round and fast.end_round == slow.end_round
    for pid in s.party_ids:
        assert fast.utilities[pid] == pytest.approx(slow.utilities[pid], abs=1e-12)
    if fast.deal:
        for i in s.issues:
            assert fast.deal[i.id] == pytest.approx(slow.deal[i.id], abs=1e-12 * i.span)


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0, 3.0])
def test_concession_solves_the_utility_equation(k):
    """U(lam) = sum_i w_i (1 - lam d_i) ** k = target, against the bisection to 1e-12, on random rows."""
    rng = np.random.default_rng(3)
    ideal, reference = rng.uniform(0, 1, (50, 3)), rng.uniform(0, 1, (50, 3))
    weight = rng.dirichlet(np.ones(3), 50)
    curvature = np.full((50, 3), k)
    target = rng.uniform(0.3, 1.0, 50)
    fast = concede_along(ideal, reference, weight, curvature, target)
    slow = concede_along(ideal, reference, weight, curvature, target, solver="bisection")
    np.testing.assert_allclose(fast, slow, atol=1e-12)


@pytest.mark.parametrize("k_b", [1.0, 0.5])
def test_unequal_rates_tend_to_the_asymmetric_nash_solution(k_b):
    # theory.md 1b: per unit time delta = (0.9, 0.8); period D: delta_i = 0.9 ** D, 0.8 ** D
    alpha = math.log(0.8) / (math.log(0.9) + math.log(0.8))  # party 1's exponent, 0.679272
    assert alpha == pytest.approx(0.679272, abs=1e-6)
    nash = nash_1d([0.0, 1.0], power=[alpha, 1 - alpha], curvature=[1.0, k_b])  # the asymmetric Nash text
    errors = []
    for period in (0.1, 0.01, 0.001):
        out = run(_pie(0.9**period, 0.8**period, k_b=k_b), solutions=NO_BENCH)
        assert out.agreement and out.round == 1
        errors.append(abs(out.deal["x"] - nash))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-4
    if k_b == 1.0:
        assert nash == pytest.approx(1 - 0.679272, abs=1e-6)  # party 1 gets alpha of the pie
        out = run(_pie(0.9**0.01, 0.8**0.01), solutions=NO_BENCH)
        assert out.utilities["a"] == pytest.approx(0.679630, abs=1e-6)  # the exact share at D = 0.01


def _option_run(w2, walkaway_as):
    return run(_pie(0.9, 0.9, w2=w2), Alternating(walkaway_as=walkaway_as), solutions=NO_BENCH)


@pytest.mark.parametrize(("w2", "share_1"), [(0.0, 0.526316), (0.3, 0.526316), (0.47, 0.526316), (0.6, 0.4)])
def test_outside_option_closed_form(w2, share_1):
    # theory.md 1c: the option binds only above delta / (1 + delta) = 0.473684
    out = _option_run(w2, "outside_option")
    assert out.agreement and out.round == 1
    assert out.utilities["a"] == pytest.approx(share_1, abs=1e-6)


def test_outside_option_second_proposal_and_impasse_contrast():
    s = _pie(0.9, 0.9, w2=0.6)
    problem = BargainingProblem.from_scenario(s)
    x_star, y_star = rubinstein_offers(problem, np.array([0.9, 0.9]), np.zeros(2), outside=np.array([0.0, 0.6]))
    np.testing.assert_allclose(problem.utilities(x_star), [0.4, 0.6], atol=1e-8)
    np.testing.assert_allclose(problem.utilities(y_star), [0.36, 0.64], atol=1e-8)
    # read as the disagreement point (today's default), the same w = 0.3 gives party 2 more
    impasse = _option_run(0.3, "impasse")
    assert impasse.utilities["b"] == pytest.approx(0.3 + 0.7 * 0.9 / 1.9, abs=1e-6)
    assert _option_run(0.3, "outside_option").utilities["b"] == pytest.approx(0.473684, abs=1e-6)


def test_walkaway_as_is_checked():
    assert Alternating().get_params()["walkaway_as"] == "impasse"
    with pytest.raises(ValueError, match="walkaway_as"):
        Alternating(walkaway_as="threat")


def test_reference_of_a_party_whose_weight_dwarfs_the_others_is_exact():
    # A's force on the issue is 1, B's 2.2e-16 at 0.75: A's reference is B's ideal, 0.75. Summing every
    # party and then taking A's share back out loses B entirely (1 + 2.2e-16 * 0.75 - 1 = 2.2e-16) and gave 1.0
    data = two_party_data(protocol="alternating")
    data["issues"]["x"].update(min=0, max=1)
    data["parties"]["a"].update(capability=1.0, ideal={"x": 1.0}, salience={"x": 1.0})
    data["parties"]["b"].update(capability=1.0, ideal={"x": 0.75}, salience={"x": 2.220446049250313e-16})
    ref = reference_points(compile_params(scenario_from_dict(data)))[0]
    assert ref[0, 0] == pytest.approx(0.75, abs=1e-12) and ref[1, 0] == pytest.approx(1.0, abs=1e-12)
