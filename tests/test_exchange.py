"""The exchange model (Stokman & van Oosten 1994) against hand-worked cases, and as a protocol.

Source of the equations: Stokman, F. N. & Van Oosten, R. (1994), "The
exchange of voting positions: an object-oriented model of policy networks",
in Bueno de Mesquita & Stokman (eds), *European Community Decision Making*,
Yale UP; as summarised in Arregui, Stokman & Thomson (2006), ch. 5 of Thomson
et al. (eds), *The European Union Decides*, CUP. With W = sum c s per issue:

    O = sum c s x / W                         expected outcome (compromise)
    dO = c s dx / W                           outcome shift when one actor moves by dx
    G_i = s_ip dp - s_iq dq,  G_j = s_jq dq - s_jp dp
    equal gain: dq = dp (s_ip + s_jp) / (s_iq + s_jq)
    size: dp <= min(c_j s_jp |x_ip - x_jp| / W_p, |x_ip - O_p|), dq likewise
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.benchmarks import Solutions, compromise
from sim.core.acceptance import answers
from sim.core.utility import snap_to_grid
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict
from sim.protocols.exchange import (
    RELATIVE_TOLERANCE,
    Exchange,
    ExchangeMemory,
    exchange_model,
    exchange_round,
    exchange_rounds,
    expected_outcomes,
    min_gain_of,
    possible_exchanges,
    rows_min_gain,
    rows_outcomes,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_expected_outcome_is_the_compromise_closed_form():
    # issue 0: (2*60*100 + 1*20*0) / (2*60 + 1*20) = 12000 / 140; issue 1: actor 0 has no position
    x = np.array([[100.0, np.nan], [0.0, 40.0]])
    s = np.array([[60.0, 30.0], [20.0, np.nan]])
    out = expected_outcomes(x, s, np.array([2.0, 1.0]))
    assert out[0] == pytest.approx(12000 / 140)
    assert out[1] == pytest.approx(40.0)  # nobody with weight: the plain mean of the positions


def test_two_actors_partner_moves_all_the_way():
    """Hand computation (c = (2, 1), x_0 = (100, 0), x_1 = (0, 100), s_0 = (60, 30), s_1 = (20, 50)).

    W = (140, 110); O = (12000/140, 5000/110) = (85.714, 45.455). Actor 0 is above
    O on issue 0 and below on issue 1, actor 1 the other way round: opposite
    sides on both. Ratios 60/30 = 2 > 20/50 = 0.4: actor 0 demands issue 0.
    r = (60 + 20) / (30 + 50) = 1.
    dp_max = min(1*20*100/140, 100 - 85.714) = 100/7; dq_max = min(2*30*100/110, 100 - 45.455) = 600/11.
    dp = min(100/7, (600/11)/1) = 100/7, dq = 100/7.
    Actor 1 moves (100/7)*140/20 = 100 on issue 0 (to 100); actor 0 moves
    (100/7)*110/60 = 1100/42 on issue 1. Gain = (100/7)(60*50 - 30*20)/80 = 3000/7,
    and equal: 60*100/7 - 30*100/7 = 50*100/7 - 20*100/7 = 3000/7.
    Forecast: issue 0: 100; issue 1: 500/11 + 100/7 = 4600/77. Then both sit at 100 on
    issue 0 (= O): nobody is on a side, no more exchanges.
    """
    result = exchange_model([[100, 0], [0, 100]], [[60, 30], [20, 50]], [2, 1])
    assert result.positions == pytest.approx(np.array([[100, 1100 / 42], [100, 100]]))
    assert result.forecast == pytest.approx([100, 4600 / 77])
    assert result.initial_forecast == pytest.approx([12000 / 140, 5000 / 110])
    assert len(result.exchanges) == 1 and result.rounds == 1 and result.converged
    ex = result.exchanges[0]
    assert (ex.i, ex.j, ex.p, ex.q) == (0, 1, 0, 1)
    assert ex.shift_p == pytest.approx(100 / 7)
    assert ex.shift_q == pytest.approx(100 / 7)
    assert ex.gain == pytest.approx(3000 / 7)


def test_two_actors_demanders_own_move_limits_the_exchange():
    """Hand computation (c = (1, 1), x_0 = (100, 0), x_1 = (0, 100), s_0 = (80, 10), s_1 = (20, 30)).

    W = (100, 40); O = (80, 75). Ratios 80/10 = 8 > 20/30: actor 0 demands issue 0.
    r = (80 + 20) / (10 + 30) = 2.5. dp_max = min(20*100/100, 100 - 80) = 20;
    dq_max = min(10*100/40, 100 - 75) = 25, so dq_max / r = 10 < 20: dp = 10, dq = 25.
    Actor 0 moves 25*40/10 = 100 on issue 1 (all the way, to 100); actor 1 moves
    10*100/20 = 50 on issue 0 (to 50). Gain = 10 (80*30 - 10*20) / 40 = 550; check:
    80*10 - 10*25 = 550 = 30*25 - 20*10. Forecast (80 + 10, 75 + 25) = (90, 100).
    """
    result = exchange_model([[100, 0], [0, 100]], [[80, 10], [20, 30]], [1, 1])
    assert result.positions == pytest.approx(np.array([[100, 100], [50, 100]]))
    assert result.forecast == pytest.approx([90, 100])
    (ex,) = result.exchanges
    assert (ex.shift_p, ex.shift_q, ex.gain) == pytest.approx((10, 25, 550))


def test_outcome_does_not_pass_the_demanders_position():
    """Hand computation with a third actor beyond the demander on issue 0.

    c = (1, 1, 1); issue 0: x = (60, 0, 100), s = (50, 50, 20); issue 1: x = (0, 100, -),
    s = (30, 40, -). W = (120, 70); O = (5000/120, 4000/70) = (41.667, 57.143).
    Ratios 50/30 > 50/40: actor 0 demands issue 0; r = (50 + 50) / (30 + 40) = 10/7.
    dp_max = min(50*60/120 = 25, 60 - 41.667 = 55/3) = 55/3 (the outcome cap binds);
    dq_max = min(30*100/70, 100 - 57.143) = 300/7, / r = 30 > 55/3: dp = 55/3, dq = 550/21.
    Actor 1 moves (55/3)*120/50 = 44 (to 44): O_0 = 60 exactly, actor 0's position.
    Actor 0 moves (550/21)*70/30 = 550/9 on issue 1. O_1 = 400/7 + 550/21 = 250/3.
    Gain = (55/3)(50*40 - 30*50)/70 = 2750/21.
    """
    x = [[60, 0], [0, 100], [100, np.nan]]
    s = [[50, 30], [50, 40], [20, np.nan]]
    result = exchange_model(x, s, [1, 1, 1])
    expected = np.array([[60, 550 / 9], [44, 100], [100, np.nan]])
    np.testing.assert_allclose(result.positions, expected, rtol=1e-12)
    assert result.forecast == pytest.approx([60, 250 / 3])
    (ex,) = result.exchanges
    assert (ex.shift_p, ex.shift_q, ex.gain) == pytest.approx((55 / 3, 550 / 21, 2750 / 21))


@pytest.mark.parametrize(
    ("x", "s", "c"),
    [
        # actors 0 and 1 are on the same side of issue 1 (actor 2 pulls O_1 below both): no exchange
        ([[100, 100], [0, 100], [np.nan, 0]], [[80, 20], [20, 80], [0, 50]], [1.0, 2.0, 1.0]),
        # equal salience ratios (60/30 = 40/20): nothing to trade
        ([[100, 0], [0, 100]], [[60, 30], [40, 20]], [1.0, 2.0]),
        # actor 0 does not care about issue 1
        ([[100, 0], [0, 100]], [[60, 0], [20, 50]], [1.0, 2.0]),
    ],
)
def test_no_exchange_leaves_the_compromise(x, s, c):
    result = exchange_model(x, s, c)
    assert result.exchanges == ()
    np.testing.assert_array_equal(result.positions, np.array(x, dtype=float))
    assert result.forecast == pytest.approx(expected_outcomes(x, s, c))


def test_actors_on_opposite_sides_of_both_issues_exchange():
    """Two actors are always on opposite sides of the outcome (it lies between them): they trade.

    c = (1, 2), x_0 = (100, 100), x_1 = (0, 0), s_0 = (80, 20), s_1 = (20, 80).
    W = (120, 180); O = (8000/120, 2000/180) = (66.667, 11.111). r = (80 + 20) / (20 + 80) = 1.
    dp_max = min(2*20*100/120, 100 - 66.667) = 100/3; dq_max = min(20*100/180, 100 - 11.111) = 100/9.
    dp = dq = 100/9. Actor 1 moves (100/9)*120/40 = 100/3 up on issue 0; actor 0 moves
    (100/9)*180/20 = 100 down on issue 1 (to 0). Gain = (100/9)(80*80 - 20*20)/100 = 2000/3.
    """
    result = exchange_model([[100, 100], [0, 0]], [[80, 20], [20, 80]], [1.0, 2.0])
    ex = result.exchanges[0]
    assert (ex.move_p, ex.move_q, ex.gain) == pytest.approx((100 / 3, -100, 2000 / 3))
    assert result.positions[:, 1] == pytest.approx([0, 0])


def test_each_pair_of_actors_appears_once():
    gain, _, _ = possible_exchanges([[100, 0], [0, 100]], [[60, 30], [20, 50]], [2, 1])
    assert np.count_nonzero(gain) == 1 and gain[0, 1, 0, 1] > 0


def _random_proposal(rng: np.random.Generator, actors: int, issues: int):
    x = rng.choice([0.0, 25.0, 50.0, 75.0, 100.0], size=(actors, issues))
    x[rng.random((actors, issues)) < 0.2] = np.nan
    s = rng.choice([0.0, 20.0, 40.0, 60.0, 80.0, 100.0], size=(actors, issues))
    c = rng.uniform(0.05, 4.0, actors)
    return x, s, c


@pytest.mark.parametrize("seed", range(6))
def test_random_proposals_converge_with_equal_gains_and_no_trading_back(seed):
    rng = np.random.default_rng(seed)
    x, s, c = _random_proposal(rng, actors=12, issues=4)
    result = exchange_model(x, s, c)
    assert result.converged
    w = np.nansum(np.where(np.isnan(x), 0, c[:, None] * s), axis=0)
    for ex in result.exchanges:  # the equal-gain rate: G_i = G_j = reported gain
        gain_i = s[ex.i, ex.p] * ex.shift_p - s[ex.i, ex.q] * ex.shift_q
        gain_j = s[ex.j, ex.q] * ex.shift_q - s[ex.j, ex.p] * ex.shift_p
        assert gain_i == pytest.approx(ex.gain) and gain_j == pytest.approx(ex.gain)
        # the moves give the shifts: dO = c s dx / W
        assert abs(ex.move_p) * c[ex.j] * s[ex.j, ex.p] / w[ex.p] == pytest.approx(ex.shift_p)
        assert abs(ex.move_q) * c[ex.i] * s[ex.i, ex.q] / w[ex.q] == pytest.approx(ex.shift_q)
    # each actor moved one way only on each issue, and the moves add up to the final positions
    signs: dict[tuple[int, int], set[float]] = {}
    total = np.zeros_like(x)
    for ex in result.exchanges:
        signs.setdefault((ex.j, ex.p), set()).add(np.sign(ex.move_p))
        signs.setdefault((ex.i, ex.q), set()).add(np.sign(ex.move_q))
        total[ex.j, ex.p] += ex.move_p
        total[ex.i, ex.q] += ex.move_q
    assert all(len(seen) == 1 for seen in signs.values())
    np.testing.assert_allclose(result.positions, x + total, atol=1e-9)
    assert np.allclose(expected_outcomes(result.positions, s, c), result.forecast)
    assert len(result.exchanges) > 0


def test_theory_notes_closed_form_two_actors():
    """/work/notes/theory.md section 5, worked by hand there.

    A: x = (0, 0), s = (0.8, 0.2), c = 1; B: x = (100, 100), s = (0.2, 0.8), c = 2.
    O = (33.333, 88.889). A demands p; A moves 100 on q, B moves 33.333 on p;
    gains 6.6667 each; new O = (22.222, 100). Then both sit at O on q: no more exchanges.
    """
    result = exchange_model([[0, 0], [100, 100]], [[0.8, 0.2], [0.2, 0.8]], [1, 2])
    assert result.initial_forecast == pytest.approx([100 / 3, 800 / 9])
    (ex,) = result.exchanges
    assert ex.gain == pytest.approx(20 / 3)
    np.testing.assert_allclose(result.positions, [[0, 100], [200 / 3, 100]])
    assert result.forecast == pytest.approx([200 / 9, 100])


def _two_issue_data(rounds=10):
    def party(name, cap, ideal, salience):
        return {
            "name": name,
            "capability": cap,
            "patience": 0.9,
            "walkaway": 0.0,
            "ideal": dict(zip(("p", "q"), ideal, strict=True)),
            "salience": dict(zip(("p", "q"), salience, strict=True)),
        }

    return {
        "scenario": {"name": "trade", "rounds": rounds},
        "issues": {"p": {"min": 0, "max": 100}, "q": {"min": 0, "max": 100}},
        "parties": {"a": party("A", 1.0, (0, 0), (0.8, 0.2)), "b": party("B", 2.0, (100, 100), (0.2, 0.8))},
    }


NONE = Solutions(None, None, {}, {})


def test_protocol_plays_the_closed_form():
    # the same two actors as a scenario: round 1 trades, round 2 finds nothing and ends the run
    out = run(scenario_from_dict(_two_issue_data()), protocol="exchange", solutions=NONE)
    assert out.agreement and out.round == 2 and out.forecast
    assert out.deal["p"] == pytest.approx(200 / 9) and out.deal["q"] == pytest.approx(100)
    np.testing.assert_allclose(out.history.positions[1], [[0, 100], [200 / 3, 100]])
    assert out.accepts == {"a": True, "b": True}  # walk-aways 0: everyone would sign


def test_protocol_round_limit_and_one_issue():
    out = run(scenario_from_dict(_two_issue_data(rounds=1)), protocol="exchange", solutions=NONE)
    assert out.round == 1 and out.deal["p"] == pytest.approx(200 / 9)  # the limit stops it after one round
    data = _two_issue_data()
    data["issues"].pop("q")
    for p in data["parties"].values():
        p["ideal"].pop("q")
        p["salience"].pop("q")
    one = scenario_from_dict(data)
    out = run(one, Exchange(), solutions=NONE)
    assert out.round == 1 and out.deal["p"] == pytest.approx(compromise(one)["p"])  # nothing to trade


def test_protocol_matches_the_model_on_random_proposals():
    rng = np.random.default_rng(5)
    x, s, c = _random_proposal(rng, actors=8, issues=3)
    x = np.nan_to_num(x, nan=50.0)  # a scenario party has an ideal everywhere
    result = exchange_model(x, s, c)
    data = {
        "scenario": {"name": "random", "rounds": 100},
        "issues": {f"i{k}": {"min": 0, "max": 100} for k in range(3)},
        "parties": {
            f"a{a}": {
                "name": f"A{a}",
                "capability": float(c[a]),
                "patience": 0.9,
                "walkaway": 0.0,
                "ideal": {f"i{k}": float(x[a, k]) for k in range(3)},
                "salience": {f"i{k}": float(s[a, k]) / 100 for k in range(3)},
            }
            for a in range(8)
            if s[a].sum() > 0
        },
    }
    kept = [a for a in range(8) if s[a].sum() > 0]
    again = exchange_model(x[kept], s[kept], c[kept])
    out = run(scenario_from_dict(data), protocol="exchange", solutions=NONE)
    assert [out.deal[f"i{k}"] for k in range(3)] == pytest.approx(list(again.forecast), abs=1e-9)
    assert out.round == again.rounds + 1  # the last round finds no exchange
    assert result.converged


def test_reading_every_scale_backwards_mirrors_the_forecast():
    # every vote, gain and move of the exchange model depends on distances only, so reversing the scales
    # (x -> 1 - x) must mirror the forecast; ties within float noise (an actor at the expected outcome, two
    # equal gains) are broken the same way on both sides (TIE), which a plain np.sign / np.argmax did not
    rng = np.random.default_rng(10)
    for _ in range(200):
        n, m = int(rng.integers(2, 6)), int(rng.integers(2, 4))
        x = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=(n, m))  # simple values: ties are common
        s = rng.choice([0.1, 0.5, 1.0], size=(n, m))
        c = rng.choice([0.5, 1.0], size=n)
        first = exchange_model(x, s, c).forecast
        second = exchange_model(1.0 - x, s, c).forecast
        np.testing.assert_allclose(second, 1.0 - first, atol=1e-9)


def test_rows_at_once_give_each_row_its_own_round_bit_for_bit():
    """exchange_rounds (every row at once, only the exchanges i < j, p != q scored) against exchange_round row by
    row: the same positions, directions and trades, round after round, on random rows with ties (positions and
    saliences on a coarse grid), zero saliences and zero capabilities."""
    rng = np.random.default_rng(17)
    trades = 0
    for game in range(60):
        rows, actors, issues = int(rng.integers(1, 12)), int(rng.integers(2, 10)), int(rng.integers(1, 6))
        x = rng.integers(0, 5, (rows, actors, issues)) / 4 if game % 2 else rng.random((rows, actors, issues))
        s = rng.choice([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], (rows, actors, issues)) if game % 3 else rng.random(x.shape)
        c = rng.uniform(0.05, 4.0, (rows, actors)) * (rng.random((rows, actors)) > 0.1)
        direction = np.zeros(x.shape)
        floor = rows_min_gain(x, s, RELATIVE_TOLERANCE)
        assert np.array_equal(floor, [min_gain_of(x[r], s[r], RELATIVE_TOLERANCE) for r in range(rows)])
        for round_number in range(1, 6):
            new, turned, traded = exchange_rounds(x, s, c, direction, floor)
            for r in range(rows):
                one, one_turned, made = exchange_round(x[r], s[r], c[r], direction[r], floor[r], round_number)
                assert np.array_equal(new[r], one) and np.array_equal(turned[r], one_turned)
                assert traded[r] == bool(made)
                trades += len(made)
            outcomes = [expected_outcomes(new[r], s[r], c[r]) for r in range(rows)]
            assert np.array_equal(rows_outcomes(new, s, c), np.array(outcomes))
            x, direction = new, turned
    assert trades > 1000  # the rows do trade


class _RowByRow(Exchange):
    """The protocol's step before issue #17, literally: one row at a time (no ``name``: not registered)."""

    @staticmethod
    def _forecast(params, x):
        out = np.array([expected_outcomes(x[b], params.prefs.salience[b], params.capability[b]) for b in range(len(x))])
        return out.reshape(len(x), params.n_issues)

    def step(self, params, state, streams):
        active = self.active(params, state)
        t = state.t + 1
        x = state.demands.copy()
        direction = state.memory.direction.copy()
        traded = np.zeros(params.batch, dtype=bool)
        for b in np.flatnonzero(active):
            sal, cap = params.prefs.salience[b], params.capability[b]
            min_gain = min_gain_of(params.prefs.ideal[b], sal, self.relative_tolerance)
            x[b], direction[b], trades = exchange_round(x[b], sal, cap, direction[b], min_gain, t)
            traded[b] = bool(trades)
        raw = self._forecast(params, x)
        forecast = snap_to_grid(raw, params.step, params.levels)
        view = state.view(params, t)
        accepts, utility = answers(params, forecast, view)
        return state.advance(
            params,
            active,
            ~traded | (t >= params.rounds),
            text=forecast,
            demands=x,
            utility=utility,
            walkaway=view.walkaway,
            accepts=accepts,
            memory=ExchangeMemory(direction=direction, raw=raw),
        )


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.toml")))
def test_protocol_gives_the_rounds_of_the_row_by_row_step(name):
    from sim.core.compile import compile_params
    from sim.engine.kernel import play
    from sim.engine.scenarios import load_scenario

    params = compile_params(load_scenario(SCENARIOS / name), 3)
    seeds = np.array([4, 5, 6])
    rounds = [list(play(proto, params, seeds)) for proto in (Exchange(), _RowByRow())]
    assert len(rounds[0]) == len(rounds[1])
    for new, old in zip(*rounds, strict=True):
        for field in ("text", "demands", "utility", "accepts", "done", "round", "deal"):
            assert np.array_equal(getattr(new, field), getattr(old, field), equal_nan=True), field
        assert np.array_equal(new.memory.raw, old.memory.raw)
        assert np.array_equal(new.memory.direction, old.memory.direction)


def test_relative_tolerance_must_not_be_negative():
    with pytest.raises(ValueError, match="relative_tolerance"):
        Exchange(relative_tolerance=-1e-9)


def test_rows_in_chunks_give_the_rounds_of_the_row_by_row_step(monkeypatch):
    from sim.core.compile import compile_params
    from sim.engine.kernel import play
    from sim.engine.scenarios import load_scenario
    from sim.protocols import exchange

    monkeypatch.setattr(exchange, "EXCHANGES_PER_CHUNK", 600)  # Geneva: 6 pairs x 7**2 issue pairs -> 2 rows
    params = compile_params(load_scenario(SCENARIOS / "geneva-2025-11.toml"), 5)
    seeds = np.arange(5)
    rounds = [list(play(proto, params, seeds)) for proto in (Exchange(), _RowByRow())]
    for new, old in zip(*rounds, strict=True):
        assert np.array_equal(new.demands, old.demands) and np.array_equal(new.text, old.text)
