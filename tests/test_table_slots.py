"""Table slots: win-sets, softening and path points written into the arrays equal validated variants."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GENEVA, two_party_data

from sim.core.compile import compile_params
from sim.core.errors import UserError
from sim.core.params import KernelParams
from sim.core.slots import apply_values
from sim.core.table_slots import split_table_values, table_slot
from sim.engine.scenarios import load_scenario, scenario_from_dict

PATHS = "paths"
"""A small scenario with walk-away paths and a no-deal path (no shipped file has them since issue #15)."""


def paths_data() -> dict:
    data = two_party_data(rounds=16)
    data["issues"]["x"]["no_deal_path"] = [[0, 0], [16, 20]]
    for pid, path in (("a", [[0, 0.6], [4, 0.45], [16, 0.5]]), ("b", [[0, 0.35], [4, 0.4], [6, 0.55], [16, 0.65]])):
        del data["parties"][pid]["walkaway_drift"]
        data["parties"][pid]["walkaway_path"] = path
    return data


def scenario_of(file):
    return scenario_from_dict(paths_data()) if file == PATHS else load_scenario(file)


CASES = [
    (GENEVA, "parties.russia.red_lines.territory.soften", [0.0, 0.004, 0.02], "red_lines.soften"),
    (GENEVA, "parties.russia.red_lines.territory.cost", [0.0, 0.05, 0.2], "red_lines.cost"),
    (GENEVA, "parties.us.ratification.bounds.sanctions_relief.max", [0.35, 0.5, 0.75], "ratification.high"),
    (GENEVA, "parties.ukraine.ratification.bounds.nato.min", [0.0, 0.25, 0.3], "ratification.low"),
    (GENEVA, "parties.ukraine.ratification.min_utility", [0.3, 0.45, 0.5], "ratification.min_utility"),
    (GENEVA, "parties.russia.ratification.min_utility", [0.3, 0.45, 0.5], "ratification.min_utility"),
    (GENEVA, "parties.ukraine.ratification.logistic.midpoint", [0.4, 0.45, 0.5], "ratification.midpoint"),
    (GENEVA, "parties.ukraine.ratification.logistic.steepness", [6, 12, 20], "ratification.steepness"),
    (PATHS, "issues.x.no_deal_path.1.1", [13, 20, 31], "floor_table"),
    (PATHS, "parties.a.walkaway_path.1.1", [0.4, 0.45, 0.5], "walkaways.table"),
    (PATHS, "parties.b.walkaway_path.3.1", [0.55, 0.65, 0.75], "walkaways.table"),
]


def variant_rows(scenario, path, values) -> KernelParams:
    return KernelParams.stack([compile_params(scenario.with_values({path: v}), 1) for v in values])


@pytest.mark.parametrize(("file", "path", "values", "field"), CASES)
def test_table_slot_equals_a_validated_variant(file, path, values, field):
    s = scenario_of(file)
    slot = table_slot(s, path)
    assert slot is not None and slot.field == field
    fast = apply_values(compile_params(s, len(values)), s, {path: values})
    slow = variant_rows(s, path, values)
    assert np.array_equal(fast.array(field), slow.array(field), equal_nan=True)
    assert fast.has_ratification == slow.has_ratification


def test_two_points_of_one_path_and_other_slots_together():
    s = scenario_of(PATHS)
    values = {
        "parties.b.walkaway_path.1.1": [0.4, 0.5],
        "parties.b.walkaway_path.2.1": [0.5, 0.6],
        "parties.b.walkaway_path.2.0": [6, 7],  # a round: the whole path goes through variants
        "parties.a.walkaway_path.2.1": [0.5, 0.55],
    }
    slots, table, rest = split_table_values(s, values)
    assert set(slots) == {"parties.a.walkaway_path.2.1"}
    assert set(rest) == {p for p in values if p.startswith("parties.b")}
    fast = apply_values(compile_params(s, 2), s, values)
    slow = KernelParams.stack(
        [compile_params(s.with_values({p: v[row] for p, v in values.items()}), 1) for row in range(2)]
    )
    assert np.array_equal(fast.walkaways.table, slow.walkaways.table, equal_nan=True)


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("parties.russia.ratification.logistic.midpoint", None),  # Russia has no logistic rule: variants
        ("parties.russia.walkaway_path.0.1", None),  # Russia has no path in Geneva
        ("parties.russia.walkaway_path.0.0", None),  # a round, not a value
    ],
)
def test_paths_without_a_table_slot(path, fragment):
    assert table_slot(load_scenario(GENEVA), path) is None


def test_bad_values_are_named_with_what_is_allowed():
    s = load_scenario(GENEVA)
    with pytest.raises(UserError) as info:
        apply_values(compile_params(s, 2), s, {"parties.us.ratification.bounds.recognition.max": [0.5, 1.5]}, "x.toml")
    assert str(info.value) == (
        "x.toml: parties.us.ratification.bounds.recognition.max: must be in [0, 1] "
        "(the issue's min..max); got 1.5 (sample 1)"
    )
    with pytest.raises(UserError, match=r"soften: must be a number in \[0, 1e12\]; got -1"):
        apply_values(compile_params(s, 1), s, {"parties.russia.red_lines.territory.soften": [-1.0]})
