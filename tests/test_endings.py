"""How talks end besides a deal: breakdown risk, walk-outs (sim.protocols.base.play_round)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import two_party_data
from scipy.stats import binom

from sim.benchmarks import Solutions
from sim.engine.batch import run_many
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict

NO_BENCH = Solutions(None, None, {}, {})


def _stuck(rounds: int = 30, **header) -> dict:
    """Two parties whose walk-aways (0.9, fixed) no text can meet: only the round limit or a failure ends it."""
    data = two_party_data(rounds=rounds, **header)
    for party in data["parties"].values():
        party["walkaway"], party["walkaway_drift"] = 0.9, 0.0
    return data


@pytest.mark.parametrize("p", [0.05, 0.2])
def test_share_still_negotiating_after_t_rounds_is_one_minus_p_to_the_t(p):
    """Binmore, Rubinstein & Wolinsky (1986) exogenous breakdown: with no other ending, P(still talking after t
    rounds) = (1 - p) ** t. Over 4,000 runs each count lies in the 99.9% binomial band."""
    s = scenario_from_dict(_stuck(breakdown_risk=p))
    n = 4000
    table = run_many(s, {"scenario.noise": [0.0] * n}, protocol="mediated", seeds=list(range(n)), nash=False)
    assert set(table["ended_by"].astype(str)) <= {"breakdown", "round_limit"}
    ended = np.where(table["ended_by"].astype(str) == "breakdown", table["end_round"], np.inf)
    for t in (1, 5, 10, 20):
        still = int(np.sum(ended > t))
        lo, hi = binom.interval(0.999, n, (1 - p) ** t)
        assert lo <= still <= hi, (t, still, (1 - p) ** t * n)


def test_no_breakdown_without_risk():
    out = run(scenario_from_dict(_stuck()), protocol="mediated", solutions=NO_BENCH)
    assert out.ended_by == "round_limit" and out.end_round == 30


def test_breakdown_is_reproducible_and_the_same_stepped_and_batched():
    s = scenario_from_dict(_stuck(breakdown_risk=0.1))
    stepped = [run(s, protocol="alternating", seed=k, solutions=NO_BENCH) for k in range(8)]
    table = run_many(s, protocol="alternating", seeds=list(range(8)), nash=False)
    assert [o.end_round for o in stepped] == table["end_round"].tolist()
    assert [o.ended_by for o in stepped] == table["ended_by"].astype(str).tolist()


def _walkout(n: int) -> dict:
    """The mediator (b) tables its own ideal and a has no pull (capability 0): the text stays below a's fixed
    walk-away from round 1, so a would rather fight on."""
    data = two_party_data(rounds=30)
    data["scenario"]["mediator"] = "b"
    data["scenario"]["opening"] = "mediator"
    data["parties"]["a"].update(walkaway=0.5, walkaway_drift=0.0, walkout_after=n, capability=0.0)
    data["parties"]["b"].update(walkaway=0.0, walkaway_drift=0.0)
    return data


@pytest.mark.parametrize("n", [1, 3, 7])
def test_walkout_comes_exactly_n_rounds_after_the_text_falls_below_the_walkaway(n):
    out = run(scenario_from_dict(_walkout(n)), protocol="mediated", solutions=NO_BENCH)
    below = out.history.utility[1:, 0] < out.history.walkaway[1:, 0]
    assert below.all()  # from round 1 on, a judges the text worse than fighting on
    first = 1
    assert out.ended_by == "walkout" and out.walked_out == "a"
    assert out.end_round == first + n - 1
    assert not out.agreement


def test_a_guarantor_walking_out_ends_only_its_part():
    """The US signs only for the guarantee; when it walks out, Russia and Ukraine go on and may still agree."""
    data = two_party_data(rounds=40)
    data["issues"]["g"] = {"label": "guarantee", "min": 0, "max": 1}
    for pid, ideal in (("a", 0.0), ("b", 1.0)):
        data["parties"][pid]["ideal"]["g"] = ideal
        data["parties"][pid]["salience"]["g"] = 0.2
    data["parties"]["u"] = {
        "name": "U",
        "capability": 0.1,
        "patience": 0.9,
        "walkaway": 0.99,
        "ideal": {"x": 50, "g": 0.0},
        "salience": {"x": 0.0, "g": 1.0},
        "must_agree_on": ["g"],
        "walkout_after": 2,
    }
    out = run(scenario_from_dict(data), protocol="mediated", solutions=NO_BENCH)
    assert out.walked_out == "u"
    assert out.ended_by != "walkout"
    assert out.agreement
    walked_at = int(np.argmax(out.history.walked[:, 2]))
    assert walked_at == 2


def test_run_record_says_how_it_ended():
    out = run(scenario_from_dict(_walkout(2)), protocol="mediated", solutions=NO_BENCH)
    data = out.to_dict()
    assert data["ended_by"] == "walkout" and data["walked_out"] == "a"
