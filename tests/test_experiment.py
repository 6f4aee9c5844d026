"""Experiment files: validation (one clear line each, exit 2) and design sizes."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import tomli_w
from conftest import GENEVA, ROOT

from sim.cli import main
from sim.core.errors import UserError
from sim.experiments.spec import experiment_from_dict, load_experiment

BASE = {
    "experiment": {
        "name": "t",
        "scenario": str(GENEVA),
        "protocol": "mediated",
        "design": "grid",
        "runs": 2,
        "seed": 1,
    },
    "uncertainties": {"parties.russia.walkaway_drift": {"low": -0.01, "high": 0.0, "points": 3}},
    "levers": {"scenario.mediator_bias.russia": {"values": [1.0, 2.0]}},
    "outcomes": {"names": ["agreement", "round", "deal.army_cap"]},
}


def _with(path: str, value):
    data = copy.deepcopy(BASE)
    node = data
    keys = path.split("/")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


RULES = [
    (
        "experiment/design",
        "fancy",
        "experiment.design",
        "must be one of grid, lhs, sobol, morris, montecarlo",
    ),
    ("experiment/protocol", "auction", "experiment.protocol", "must be one of mediated"),
    ("experiment/runs", 0, "experiment.runs", "an integer in [1, 1_000_000_000]"),
    ("experiment/seed", -1, "experiment.seed", "an integer in [0, 2**63 - 1]"),
    ("experiment/name", None, "experiment.name", "missing"),
    ("experiment/name", "a b", "experiment.name", "letters, digits"),
    ("experiment/colour", "red", "experiment.colour", "unknown key"),
    (
        "uncertainties/parties.zz.walkaway",
        {"low": 0, "high": 1},
        "uncertainties.parties.zz.walkaway",
        "unknown party",
    ),
    (
        "uncertainties/parties.russia.walkaway",
        {"low": 0.5, "high": 0.2},
        "uncertainties.parties.russia.walkaway",
        "needs low < high",
    ),
    (
        "uncertainties/parties.russia.walkaway",
        {"low": 0.5, "high": 1.5},
        "uncertainties.parties.russia.walkaway",
        "must be a number in [0, 1]; got 1.5",
    ),
    (
        "uncertainties/parties.russia.walkaway",
        {"low": 0.5},
        "uncertainties.parties.russia.walkaway",
        "needs {low, high} or {values",
    ),
    (
        "uncertainties/parties.russia.walkaway",
        {"low": 0.1, "high": 0.2, "values": [0.3]},
        "uncertainties.parties.russia.walkaway",
        "not both",
    ),
    (
        "uncertainties/issues.army_cap.max",
        {"low": 900, "high": 1000},
        "uncertainties.issues.army_cap.max",
        "cannot vary within one sweep",
    ),
    (
        "levers/parties.russia.strategy",
        {"values": ["sly"]},
        "levers.parties.russia.strategy",
        "must be one of",
    ),
    (
        "levers/parties.russia.walkaway_drift",
        {"values": [0.0]},
        "levers.parties.russia.walkaway_drift",
        "also an uncertainty",
    ),
    ("outcomes/names", ["agreement", "happiness"], "outcomes.names[1]", "unknown outcome 'happiness'"),
    ("analysis/heatmap", ["parties.russia.walkaway_drift"], "analysis.heatmap", "two parameters"),
]


@pytest.mark.parametrize(("path", "value", "field", "fragment"), RULES)
def test_each_rule_names_field(path, value, field, fragment):
    with pytest.raises(UserError) as info:
        experiment_from_dict(_with(path, value), "exp.toml")
    lines = [line for line in str(info.value).splitlines() if line.startswith(f"exp.toml: {field}: ")]
    assert lines and any(fragment in line for line in lines), str(info.value)


def test_every_problem_at_once_with_allowed_keys():
    data = copy.deepcopy(BASE)
    data["experiment"].update(design="fancy", extra=1, name="a b")
    data["uncertainties"]["parties.russia.walkaway"] = {"lo": 0.1, "hi": 0.2}
    data["outcomes"]["names"] = ["moon"]
    data["plots"] = {}
    with pytest.raises(UserError) as info:
        experiment_from_dict(data, "exp.toml")
    text = str(info.value)
    assert "exp.toml: experiment.extra: unknown key; allowed keys here: name, scenario" in text
    assert "exp.toml: uncertainties.parties.russia.walkaway.lo: unknown key; allowed keys here: low, high" in text
    assert "exp.toml: experiment.design: must be one of grid" in text
    assert "exp.toml: experiment.name: must be a name" in text
    assert "exp.toml: outcomes.names[0]: unknown outcome 'moon'" in text
    assert "exp.toml: plots: unknown table; allowed: experiment, uncertainties" in text


def test_sobol_rules():
    data = _with("experiment/design", "sobol")
    data["experiment"]["runs"] = 100
    with pytest.raises(UserError) as info:
        experiment_from_dict(data, "exp.toml")
    text = str(info.value)
    assert "exp.toml: experiment.runs: sobol needs a power of two" in text
    assert "exp.toml: levers.scenario.mediator_bias.russia: design sobol samples every parameter" in text


def test_missing_scenario_is_named():
    data = _with("experiment/scenario", "nowhere.toml")
    with pytest.raises(UserError, match="exp.toml: experiment.scenario: file not found"):
        experiment_from_dict(data, "exp.toml")


def test_cli_sweep_bad_spec_exit_2_one_line_each(tmp_path, capsys):
    file = tmp_path / "bad.toml"
    data = _with("experiment/design", "fancy")
    data["outcomes"]["names"] = ["moon"]
    file.write_text(tomli_w.dumps(data))
    assert main(["sweep", str(file), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith(f"negsim: error: {file}: ") for line in err)
    assert not (tmp_path / "out").exists()


def test_design_sizes():
    grid = experiment_from_dict(BASE, "g")
    assert grid.rows == 3 * 2 * 2  # 3 drift points x 2 bias values x 2 replications
    lhs = experiment_from_dict(_with("experiment/design", "lhs"), "l")
    assert lhs.rows == 2 * 2  # runs samples x lever values
    sobol = copy.deepcopy(BASE)
    sobol["experiment"].update(design="sobol", runs=8)
    del sobol["levers"]
    sobol["uncertainties"]["parties.ukraine.walkaway"] = {"low": 0.4, "high": 0.7}
    assert experiment_from_dict(sobol, "s").rows == 8 * (2 * 2 + 2)  # Saltelli: N (2D + 2)
    morris = copy.deepcopy(sobol)
    morris["experiment"].update(design="morris", runs=5)
    assert experiment_from_dict(morris, "m").rows == 5 * (2 + 1)  # Morris: N (D + 1)


def test_grid_design_values_and_replications():
    e = experiment_from_dict(BASE, "g")
    d = e.build_design()
    drift = d.columns["parties.russia.walkaway_drift"]
    assert sorted(set(drift.tolist())) == [-0.01, -0.005, 0.0]
    assert sorted(set(d.columns["scenario.mediator_bias.russia"].tolist())) == [1.0, 2.0]


def test_montecarlo_draws_scenario_ranges(tmp_path):
    scenario = tmp_path / "s.toml"
    text = GENEVA.read_text().replace(
        "walkaway = { low = 0.45, high = 0.65, value = 0.55 }", "walkaway = { low = 0.5, high = 0.6, value = 0.55 }"
    )
    assert text != GENEVA.read_text()
    scenario.write_text(text)
    data = _with("experiment/design", "montecarlo")
    data["experiment"].update(scenario=str(scenario), runs=50)
    del data["levers"]
    e = experiment_from_dict(data, "mc")
    paths = [p.path for p in e.parameters]
    assert "parties.russia.walkaway" in paths
    values = e.build_design().columns["parties.russia.walkaway"]
    assert values.min() >= 0.5 and values.max() <= 0.6 and np.std(values) > 0


def test_shipped_experiments_validate():
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        e = load_experiment(path)
        assert e.rows > 0
        assert e.scenario.name == "geneva-2025-11"


def test_hash_changes_with_any_input():
    a = experiment_from_dict(BASE, "g")
    b = experiment_from_dict(_with("experiment/seed", 2), "g")
    assert a.sha256 != b.sha256 and len(a.sha256) == 64
