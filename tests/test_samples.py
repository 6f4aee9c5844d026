"""The scenario rules over a design's samples (sim/core/scenario/samples.py) agree with the file validator.

For random designs over numbers tied by cross-field rules (own red lines,
issue ranges, increasing path rounds, some salience > 0), the vectorised
check finds exactly the fields the file validator refuses in some sample,
and names the first such sample.
"""

from __future__ import annotations

import copy
import re

import numpy as np
from conftest import GENEVA
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.errors import UserError
from sim.core.scenario.samples import check_samples
from sim.engine.scenarios import load_scenario, scenario_from_dict


def _scenario_with_paths():
    """The Geneva file with a territory ``no_deal_path`` and a Europe ``walkaway_path``, whose rules (increasing
    rounds, values on the scale) this test needs: since issue #15 the shipped file moves the territory with the
    front (``[battlefield]``, which excludes a no_deal_path) and gives walk-aways a drift."""
    data = copy.deepcopy(load_scenario(GENEVA).data)
    del data["battlefield"]
    for party in data["parties"].values():
        party.pop("front_sensitivity", None)
    data["issues"]["territory"]["no_deal_path"] = [[0, 0.0], [40, 0.2]]
    data["parties"]["europe"].pop("walkaway_drift", None)
    data["parties"]["europe"]["walkaway_path"] = [[0, 0.4], [40, 0.3]]
    return scenario_from_dict(data)


SCENARIO = _scenario_with_paths()
RANGES = {
    "parties.russia.ideal.nato": (0.0, 1.0),
    "parties.russia.red_lines.nato.max": (0.0, 1.0),
    "parties.russia.red_lines.territory.min": (0.0, 1.0),
    "parties.russia.red_lines.territory.max": (0.0, 1.0),
    "parties.ukraine.ideal.army_cap": (50.0, 1000.0),
    "issues.territory.no_deal_path.1.1": (-0.5, 1.5),
    "issues.territory.no_deal_path.1.0": (-5.0, 60.0),
    "scenario.opening.nato": (0.0, 1.0),
    "parties.europe.walkaway_path.0.1": (-0.5, 1.5),
}
ZERO_SALIENCE = [f"parties.ukraine.salience.{issue}" for issue in SCENARIO.issue_ids]


@st.composite
def designs(draw) -> dict[str, np.ndarray]:
    rows = draw(st.integers(1, 6))
    paths = draw(st.lists(st.sampled_from(sorted(RANGES)), min_size=1, max_size=3, unique=True))
    columns = {}
    for path in paths:
        low, high = RANGES[path]
        values = draw(
            st.lists(
                st.sampled_from([low, (low + high) / 2, high, low + 0.2 * (high - low)]), min_size=rows, max_size=rows
            )
        )
        columns[path] = np.array(values, dtype=float)
    if draw(st.booleans()):  # every salience of Ukraine 0 in some rows
        zero = np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
        for path in ZERO_SALIENCE:
            columns[path] = np.where(zero, 0.0, 0.5)
    return columns


def _file_problems(columns: dict[str, np.ndarray]) -> dict[str, int]:
    """Field -> first row the file validator refuses it in (a scenario per row)."""
    first: dict[str, int] = {}
    rows = len(next(iter(columns.values())))
    for k in range(rows):
        try:
            SCENARIO.with_values({path: float(column[k]) for path, column in columns.items()})
        except UserError as exc:
            for problem in exc.problems:
                first.setdefault(problem.field.split(".low")[0].split(".high")[0], k)
    return first


@settings(max_examples=150, deadline=None)
@given(columns=designs())
def test_vectorised_rules_agree_with_the_file_validator(columns):
    found = check_samples(SCENARIO.data, columns, SCENARIO.source, SCENARIO.rules)
    vectorised = {}
    for problem in found:
        match = re.search(r"\(sample (\d+)\)$", problem.message)
        assert match, problem
        vectorised[problem.field] = min(vectorised.get(problem.field, 10**9), int(match[1]))
    assert vectorised == _file_problems(columns)


def test_a_rule_not_written_for_arrays_still_checks_every_sample():
    def scalar_rule(ctx):
        x = ctx.parties["russia"]["ideal"]["nato"]
        if x > 0.5:  # an `if` on a number: raises on arrays, so it is run sample by sample
            ctx.bad("parties.russia.ideal.nato", "too high")
        return ctx.take()

    columns = {"parties.russia.ideal.nato": np.array([0.1, 0.2, 0.9, 1.0])}
    [problem] = check_samples(SCENARIO.data, columns, "s.toml", (scalar_rule,))
    assert problem.message == "too high (sample 2)"


def test_names_split_the_samples_into_groups():
    columns = {
        "parties.russia.strategy": np.array(["linear", "equilibrium", "linear"], dtype=object),
        "parties.russia.ideal.nato": np.array([0.1, 0.1, 0.2]),
    }
    found = check_samples(SCENARIO.data, columns, "s.toml", SCENARIO.rules)
    assert [p.field for p in found] == ["parties.russia.strategy"]
    assert "equilibrium needs exactly two parties" in found[0].message and found[0].message.endswith("(sample 1)")
