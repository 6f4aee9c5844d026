"""negsim compare-protocols: every protocol, one figure, one table."""

from __future__ import annotations

import csv

from conftest import GENEVA

from sim.cli import main
from sim.engine.scenarios import load_scenario
from sim.protocols import protocol_names
from sim.report.compare import compare_protocols


def test_compare_protocols_command_writes_figure_and_table(tmp_path, capsys):
    assert main(["compare-protocols", str(GENEVA), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in protocol_names():
        assert name in printed
    assert "Pareto gap" in printed and "to Nash" in printed
    assert (tmp_path / "comparison.png").stat().st_size > 10_000
    with open(tmp_path / "comparison.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["protocol"] for r in rows] == protocol_names()
    for column in ("deal.army_cap", "round", "utility.ukraine", "distance_to_nash", "pareto_gap"):
        assert column in rows[0]


def test_comparison_rows_match_the_outcomes():
    c = compare_protocols(load_scenario(GENEVA), ["mediated", "compromise"], seed=3)  # seed 3: a mediated deal
    rows = c.rows()
    for row in rows:
        out = c.outcomes[row["protocol"]]
        assert row["round"] == out.round
        assert abs(row["deal.army_cap"] - out.deal["army_cap"]) < 1e-6
        assert row["pareto_gap"] is not None and row["pareto_gap"] >= 0


def test_compare_scenarios_command(tmp_path, capsys):
    from conftest import ROOT

    files = [str(ROOT / "scenarios" / f) for f in ("geneva-2025-11.toml", "classroom-two-party.toml")]
    assert main(["compare", *files, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "geneva-2025-11" in printed and "(not on the table)" in printed
    with open(tmp_path / "scenarios.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["scenario"] for r in rows][0] == "geneva-2025-11" and len(rows) == 2
    assert (tmp_path / "scenarios.png").stat().st_size > 10_000


def test_compare_reports_every_bad_file(tmp_path, capsys):
    assert main(["compare", str(GENEVA), str(tmp_path / "a.toml"), str(tmp_path / "b.toml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("file not found" in line for line in err)
