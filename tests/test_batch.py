"""The batched engine: same deal as the Mesa-stepped model, masked rows, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GENEVA, four_party_data

from sim.core.compile import compile_params
from sim.core.errors import UserError
from sim.core.slots import apply_values, parameter_slot
from sim.engine.batch import run_many
from sim.engine.model import NegotiationModel
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols import protocol_names


@pytest.fixture(scope="module")
def noisy():
    return scenario_from_dict(four_party_data())  # drafting noise: seeds matter


@pytest.mark.parametrize("name", protocol_names())
def test_batched_equals_stepped_for_every_protocol(noisy, name):
    n = 10 if name != "zeuthen" else 3
    rng = np.random.default_rng(7)
    params = {
        "parties.r.walkaway": rng.uniform(0.3, 0.6, n),
        "parties.u.walkaway_drift": rng.uniform(-0.01, 0.0, n),
        "scenario.mediator_bias.r": rng.uniform(0.5, 2.5, n),
        "parties.u.ideal.cap": rng.uniform(700, 1000, n),
    }
    seeds = np.arange(40, 40 + n)
    table = run_many(noisy, params, protocol=name, seeds=seeds, nash=False)
    for row in range(n):
        variant = noisy.with_values({path: float(values[row]) for path, values in params.items()})
        model = NegotiationModel(variant, name, seed=int(seeds[row])).run_to_end()
        model.release()
        state = model.state
        assert bool(table["agreement"][row]) == bool(state.agreement[0])
        assert table["end_round"][row] == state.round[0]
        for a, pid in enumerate(noisy.party_ids):
            expected = state.utility[0, a] if state.agreement[0] else state.walkaway[0, a]
            assert abs(table[f"utility.{pid}"][row] - expected) <= 1e-12
        if state.agreement[0]:
            deal = variant.to_units(state.deal[0], on_grid=True)
            for k, issue in enumerate(noisy.issues):
                assert abs(table[f"deal.{issue.id}"][row] - deal[k]) <= 1e-12


def test_table_columns_and_distance_to_nash():
    s = load_scenario(GENEVA)
    table = run_many(s, {"parties.russia.walkaway_drift": [-0.002, -0.01]}, seeds=[3, 2])  # seed 3: a deal
    expected = ["seed", "parties.russia.walkaway_drift", "agreement", "round", "end_round"]
    expected += [f"deal.{i}" for i in s.issue_ids] + [f"utility.{p}" for p in s.party_ids]
    assert list(table.columns[: len(expected)]) == expected
    assert "distance_to_nash" in table
    from sim.engine.runner import run

    one = run(s.with_values({"parties.russia.walkaway_drift": -0.002}), seed=3)
    assert one.agreement and one.distance_to_nash is not None
    assert table["distance_to_nash"][0] == pytest.approx(one.distance_to_nash, abs=1e-6)


def test_rows_that_finish_early_keep_their_result():
    s = load_scenario(GENEVA)
    drift = np.array([0.0, -0.02, -0.05])  # later and earlier deals in one batch
    together = run_many(s, {"parties.ukraine.walkaway_drift": drift}, seeds=[5, 5, 5], nash=False)
    assert together["end_round"].nunique() > 1
    for k in range(3):
        alone = run_many(s, {"parties.ukraine.walkaway_drift": drift[k : k + 1]}, seeds=[5], nash=False)
        assert together.iloc[k].drop("seed").equals(alone.iloc[0].drop("seed"))


def test_default_seeds_come_from_seedsequence():
    s = load_scenario(GENEVA)
    table = run_many(s, {"parties.russia.walkaway": [0.5, 0.5, 0.5]}, nash=False)
    expected = np.random.SeedSequence(s.seed).generate_state(3).astype(np.int64)
    assert table["seed"].tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("path", "values", "fragment"),
    [
        (
            "parties.russia.patience",
            [0.9, 1.2],
            "parties.russia.patience: must be a number in (0, 1]; got 1.2",
        ),
        ("parties.zz.walkaway", [0.1], "unknown party 'zz'"),
        ("parties.russia.ideal.moon", [0.1], "unknown issue 'moon'"),
        ("parties.russia.ideal.army_cap", [10], "must be a number in [50, 1000]"),
        ("parties.russia.strategy", ["sly"], "must be one of linear, boulware"),
        ("issues.army_cap.max", [900], "cannot vary within one sweep"),
        ("parties.russia.ratification.min_utility", [2.0], "must be a number in [0, 1]"),
        ("scenario.rounds", [2.5], "an integer in [1, 10_000]"),
    ],
)
def test_bad_parameters_named_clearly(path, values, fragment):
    s = load_scenario(GENEVA)
    with pytest.raises(UserError) as info:
        run_many(s, {path: values}, source="exp.toml")
    assert str(info.value).startswith(f"exp.toml: {path}: ")
    assert fragment in str(info.value)


def test_apply_values_maps_paths_to_kernel_units():
    s = load_scenario(GENEVA)
    base = compile_params(s, 2)
    p = apply_values(
        base,
        s,
        {"parties.ukraine.ideal.army_cap": [810.0, 1000.0], "parties.russia.salience.nato": [0.0, 0.8]},
    )
    a, i = s.party_ids.index("ukraine"), s.issue_ids.index("army_cap")
    assert p.prefs.ideal[:, a, i].tolist() == [0.8, 1.0]  # (810 - 50) / 950 (above Ukraine's 800k line, issue #15)
    r = s.party_ids.index("russia")
    np.testing.assert_allclose(p.prefs.weight[:, r].sum(axis=-1), 1.0)
    assert parameter_slot(s, "scenario.mediator_bias.russia").field == "mediation.bias"


def test_any_scenario_number_can_vary():
    # paths with no kernel slot are applied through validated scenario variants
    from sim.benchmarks.solutions import Solutions
    from sim.engine.runner import run

    s = load_scenario(GENEVA)
    params = {
        "parties.ukraine.ratification.min_utility": [0.3, 0.45, 0.5],
        "parties.russia.red_lines.territory.soften": [0.0, 0.01, 0.02],
        "parties.russia.walkaway": [0.5, 0.55, 0.6],
    }
    table = run_many(s, params, seeds=[1, 2, 3], nash=False)
    for row in range(3):
        variant = s.with_values({path: values[row] for path, values in params.items()})
        out = run(variant, seed=row + 1, solutions=Solutions(None, None, {}, {}))
        assert bool(table["agreement"][row]) == out.agreement and table["end_round"][row] == out.end_round
        assert table["utility.ukraine"][row] == pytest.approx(out.utilities["ukraine"], abs=1e-12)
