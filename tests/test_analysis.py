"""negsim analyze: heatmaps, deal distribution, SALib indices, PRIM box."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import GENEVA, write_scenario

from sim.cli import main
from sim.engine.scenarios import load_scenario
from sim.experiments.analysis import analyze
from sim.experiments.spec import experiment_from_dict
from sim.experiments.sweep import read_results, sweep

CALM = {
    "scenario.breakdown_risk": 0.0,
    "scenario.mediator_misperception": 0.0,
    "parties.russia.walkout_after": 0,
    "parties.ukraine.walkout_after": 0,
    "parties.us.walkout_after": 0,
}
"""Geneva without the endings that come by chance (breakdown, walk-outs) or misperception: the grid's deals then
depend on the drift alone, which PRIM must find (issue #15 added those endings to the file)."""


def _grid(tmp_path):
    calm = write_scenario(tmp_path / "calm.toml", dict(load_scenario(GENEVA).with_values(CALM).data))
    spec = {
        "experiment": {"name": "g", "scenario": str(calm), "design": "grid", "runs": 1, "seed": 1},
        "uncertainties": {"parties.russia.walkaway_drift": {"low": -0.02, "high": 0.01, "points": 7}},
        "levers": {"scenario.mediator_bias.russia": {"values": [0.5, 1.0, 2.0]}},
        "outcomes": {"names": ["agreement", "round", "deal.army_cap", "utility.ukraine"]},
    }
    return sweep(experiment_from_dict(spec, "g.toml"), tmp_path, workers=1, progress=False)


def test_grid_analysis_figures_and_summary(tmp_path):
    directory = _grid(tmp_path)
    names = {p.name for p in analyze(directory)}
    assert {
        "agreement_heatmap.png",
        "outcome_heatmaps.png",
        "deal_distribution.png",
        "outcomes_vs_parameters.png",
        "prim.png",
        "summary.json",
    } <= names
    summary = json.loads((directory / "summary.json").read_text())
    table = read_results(directory)
    # summary.json stores 4 significant digits (sim.experiments.analysis.SIGNIFICANT)
    assert summary["agreement_rate"] == float(f"{table['agreement'].mean():.4g}")
    assert summary["complete"] and summary["rows"] == 21
    # the grid's no-deal region is positive drift: PRIM says so
    box = summary["prim"]["deal"]
    assert box["density"] == pytest.approx(1.0)
    (limit,) = [r for r in box["restricted"] if r["parameter"] == "parties.russia.walkaway_drift"]
    assert limit["high"] < 0.005
    assert summary["prim"]["deal"]["statement"].startswith("A deal happens")


def test_sobol_analysis_indices(tmp_path):
    spec = {
        "experiment": {"name": "s", "scenario": str(GENEVA), "design": "sobol", "runs": 256, "seed": 3},
        "uncertainties": {
            "parties.ukraine.walkaway": {"low": 0.4, "high": 0.75},
            "parties.russia.patience": {"low": 0.85, "high": 1.0},
        },
        "outcomes": {"names": ["agreement", "end_round", "utility.ukraine"]},
    }
    directory = sweep(experiment_from_dict(spec, "s.toml"), tmp_path, workers=1, progress=False)
    names = {p.name for p in analyze(directory)}
    assert "sensitivity.png" in names
    indices = json.loads((directory / "summary.json").read_text())["sensitivity"]
    found = indices["utility.ukraine"]
    assert found["names"] == ["parties.ukraine.walkaway", "parties.russia.patience"]
    # Ukraine's walk-away value matters more to its utility than Russia's patience, and the estimates
    # say so beyond their noise: the 95% bootstrap intervals (SALib's "conf", half-widths) do not overlap
    for index in ("first order S1", "total ST"):
        value, half = np.array(found[index]), np.array(found[f"{index} conf"])
        assert value[0] - half[0] > value[1] + half[1], (index, value, half)


def test_analyze_rejects_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "no manifest.json: not a sweep results folder" in capsys.readouterr().err


def test_sweep_command_end_to_end(tmp_path, capsys):
    spec = tmp_path / "e.toml"
    spec.write_text(
        f'[experiment]\nname = "e"\nscenario = "{GENEVA}"\ndesign = "lhs"\nruns = 40\nseed = 9\nchunk_size = 15\n'
        '[uncertainties]\n"parties.ukraine.walkaway" = { low = 0.4, high = 0.8 }\n'
        '[levers]\n"scenario.mediator_bias.russia" = { values = [1.0, 2.0] }\n'
        '[outcomes]\nnames = ["agreement", "deal.territory"]\n'
    )
    assert main(["sweep", str(spec), "--out", str(tmp_path / "r"), "--workers", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "80 runs of mediated (lhs design), chunks of 15" in out
    (directory,) = (tmp_path / "r" / "e").iterdir()
    assert len(list(directory.glob("chunk-*.parquet"))) == 6
    assert (directory / "agreement_heatmap.png").exists()
    # a second run finds everything done and recomputes nothing
    before = {p.name: p.stat().st_mtime_ns for p in directory.glob("chunk-*.parquet")}
    assert main(["sweep", str(spec), "--out", str(tmp_path / "r"), "--no-analyze", "--no-progress"]) == 0
    assert before == {p.name: p.stat().st_mtime_ns for p in directory.glob("chunk-*.parquet")}
