"""Who says yes: guarantors, ratification (Putnam 1988), audience costs (Fearon 1994)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import two_party_data

from sim.benchmarks.solutions import Solutions
from sim.engine.batch import run_many
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict

NO_BENCH = Solutions(None, None, {}, {})


def _with_guarantor(must_agree_on=None, guarantee_red=None) -> dict:
    """A and B split x; G cares only about a guarantee g and hates any x above 10."""
    data = two_party_data()
    data["parties"]["b"].update(walkaway=0.4, walkaway_drift=0.0)  # B needs x >= 40
    data["issues"]["g"] = {
        "label": "guarantee",
        "min": 0,
        "max": 1,
        "levels": {"0": "none", "0.5": "conditional", "1": "Article-5-like"},
    }
    for pid in ("a", "b"):
        data["parties"][pid]["ideal"]["g"] = 0.5
        data["parties"][pid]["salience"]["g"] = 0.1
    g = {
        "name": "G",
        "capability": 0.5,
        "patience": 0.9,
        "walkaway": 0.3,
        "ideal": {"x": 0, "g": 0.5},
        "salience": {"x": 1.0, "g": 0.4},
        "red_lines": {"x": {"max": 10}},
    }
    if must_agree_on is not None:
        g["must_agree_on"] = must_agree_on
    if guarantee_red is not None:
        g["red_lines"]["g"] = guarantee_red
        g["ideal"]["g"] = 1.0
    data["parties"]["g"] = g
    return data


def test_guarantor_refusal_on_a_non_guarded_issue_does_not_block():
    blocked = run(scenario_from_dict(_with_guarantor()), solutions=NO_BENCH)
    assert not blocked.agreement  # G signs for everything: its red line x <= 10 blocks a split
    guarded = run(scenario_from_dict(_with_guarantor(["g"])), solutions=NO_BENCH)
    assert guarded.agreement
    assert guarded.deal["x"] > 10  # outside G's red line on x, which G does not sign for
    assert guarded.accepts["g"]


def test_guarantor_still_blocks_on_its_guarded_issue():
    out = run(scenario_from_dict(_with_guarantor(["g"], guarantee_red={"min": 0.9})), solutions=NO_BENCH)
    # the mediator keeps the text inside G's guarded red line, so the deal carries a strong guarantee
    assert out.agreement and out.deal["g"] >= 0.9 - 1e-9


def _ratifying(block: dict, failure: str = "continue") -> dict:
    data = two_party_data(ratification_failure=failure)
    data["parties"]["a"]["ratification"] = {"label": "parliament", **block}
    return data


def test_deal_outside_win_set_fails_ratification_and_bargaining_continues():
    plain = run(scenario_from_dict(two_party_data()), solutions=NO_BENCH)
    assert plain.agreement and plain.deal["x"] == pytest.approx(50)
    out = run(scenario_from_dict(_ratifying({"bounds": {"x": {"max": 40}}})), solutions=NO_BENCH)
    failures = out.ratification_failures()
    assert failures and failures[0] == {"round": plain.round, "party": "a"}
    assert out.agreement and out.round > plain.round
    assert out.deal["x"] <= 40 + 1e-9  # A's negotiator learnt its domestic bound


def test_failed_ratification_can_end_the_run():
    out = run(scenario_from_dict(_ratifying({"bounds": {"x": {"max": 40}}}, failure="end")), solutions=NO_BENCH)
    assert not out.agreement and out.deal is None
    assert out.end_round == out.ratification_failures()[0]["round"]
    assert out.to_dict()["ratification_failures"] == [{"round": out.end_round, "party": "a"}]


def test_min_utility_win_set():
    out = run(scenario_from_dict(_ratifying({"min_utility": 0.6})), solutions=NO_BENCH)
    assert out.ratification_failures()
    assert out.agreement and out.utilities["a"] >= 0.6 - 1e-9


def test_logistic_passage_probability():
    # P(pass) = 1 / (1 + exp(-k (U - m))); the table agrees at x = 50, U_a = 0.5.
    k, m = 8.0, 0.6
    expected = 1.0 / (1.0 + np.exp(-k * (0.5 - m)))  # = 0.31
    s = scenario_from_dict(_ratifying({"logistic": {"midpoint": m, "steepness": k}}, failure="end"))
    n = 3000
    table = run_many(s, {"parties.a.walkaway": np.full(n, 0.2)}, nash=False)
    share = table["agreement"].mean()
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / n)


def test_audience_cost_counts_in_utility():
    data = two_party_data()
    data["parties"]["a"]["red_lines"] = {"x": {"max": 40, "soften": 2.0, "cost": 0.1}}
    data["parties"]["b"].update(walkaway=0.55, walkaway_drift=0.0)  # B needs x >= 55
    s = scenario_from_dict(data)
    out = run(s, solutions=NO_BENCH)
    assert out.agreement and out.deal["x"] > 40  # the red line softened before the deal
    raw = 1 - out.deal["x"] / 100
    assert out.utilities["a"] == pytest.approx(raw - 0.1)  # the audience cost of crossing it
    assert out.round >= (out.deal["x"] - 40) / 2.0 - 1e-9  # not before the line had softened that far


def test_batched_equals_stepped_with_every_feature():
    data = _with_guarantor(["g"])
    data["scenario"].update(noise=0.02, mediator="g")
    data["parties"]["a"]["ratification"] = {
        "logistic": {"midpoint": 0.45, "steepness": 10},
        "bounds": {"x": {"max": 60}},
    }
    data["parties"]["b"]["red_lines"] = {"x": {"min": 55, "soften": 1.5, "cost": 0.05}}
    data["parties"]["b"]["walkaway_path"] = [[0, 0.25], [10, 0.2], [20, 0.1]]
    del data["parties"]["b"]["walkaway_drift"]
    data["issues"]["x"]["no_deal_path"] = [[0, 0], [30, 20]]
    data["coalitions"] = {"ag": {"members": ["a", "g"], "counter_text": True, "from_round": 2}}
    s = scenario_from_dict(copy.deepcopy(data))
    seeds = np.arange(8)
    drift = np.linspace(-0.01, 0.0, 8)
    table = run_many(s, {"parties.a.walkaway_drift": drift}, seeds=seeds, nash=False)
    for row in range(8):
        variant = s.with_values({"parties.a.walkaway_drift": float(drift[row])})
        out = run(variant, seed=int(seeds[row]), solutions=NO_BENCH)
        assert bool(table["agreement"][row]) == out.agreement
        assert table["end_round"][row] == out.end_round
        for pid in s.party_ids:
            assert abs(table[f"utility.{pid}"][row] - out.utilities[pid]) <= 1e-12


def test_a_text_worth_the_walkaway_up_to_float_rounding_is_accepted():
    # U_a = 1 - 0.7 = 0.30000000000000004 against a walk-away of 0.3; the mirror image of the same text
    # gives 0.29999999999999993: both are the walk-away, and both answers must be yes
    from sim.core.acceptance import TableView, answers
    from sim.core.compile import compile_params

    data = two_party_data()
    data["parties"]["a"].update(walkaway=0.3, walkaway_drift=0.0)
    params = compile_params(scenario_from_dict(data))
    view = TableView(np.array([[0.3, 0.0]]), np.zeros((1, 2, 1)), np.ones((1, 2, 1)))
    for text in (0.7, 1 - 0.30000000000000004 + 1e-16):
        accepts, utility = answers(params, np.array([[text]]), view)
        assert abs(utility[0, 0] - 0.3) < 1e-15 and accepts[0, 0]
    accepts, _ = answers(params, np.array([[0.7 + 1e-9]]), view)
    assert not accepts[0, 0]  # a real shortfall is still a no
