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


def test_comparison_rows_carry_hand_worked_numbers():
    # classroom-logroll (docs/scenarios.md, "hand-worked answers"): A weighs zone 0.8 / fund 0.2 with
    # ideal (0, 0), B the reverse with ideal (100, 100). The compromise (20, 80) gives each
    # 0.8 x 0.8 + 0.2 x 0.2 = 0.68; the trade (0, 100) - Nash - gives each 0.80, so the Pareto gap is
    # 0.12 and the distance to Nash sqrt((0.2^2 + 0.2^2) / 2) = 0.2. Splitting both (50, 50): 0.5 each,
    # gap 0.30, distance 0.5.
    from conftest import ROOT

    c = compare_protocols(load_scenario(ROOT / "scenarios" / "classroom-logroll.toml"), ["mediated", "zeuthen"])
    rows = {row["protocol"]: row for row in c.rows()}
    mediated, zeuthen = rows["mediated"], rows["zeuthen"]
    assert (mediated["round"], mediated["deal.zone"], mediated["deal.fund"]) == (1, 20.0, 80.0)
    assert mediated["utility.a"] == mediated["utility.b"] == 0.68
    assert mediated["pareto_gap"] == 0.12 and mediated["distance_to_nash"] == 0.2
    assert (zeuthen["deal.zone"], zeuthen["deal.fund"]) == (0.0, 100.0)  # Harsanyi: Zeuthen's rule reaches Nash
    assert zeuthen["utility.a"] == zeuthen["utility.b"] == 0.8
    assert zeuthen["pareto_gap"] == 0.0 and zeuthen["distance_to_nash"] == 0.0


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


def test_compare_says_when_an_issue_is_on_different_scales(tmp_path, capsys):
    # russia-maximal's territory is the share of four oblasts, Geneva's the share of Donetsk: same id, same 0..1
    from conftest import ROOT

    files = [str(ROOT / "scenarios" / f) for f in ("geneva-2025-11.toml", "russia-maximal.toml")]
    assert main(["compare", *files, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    rows = {line.split()[0]: line for line in printed.splitlines() if line.strip()}
    assert "territory *" in printed and "nato *" not in printed
    assert "* territory: the scales differ, so the numbers do not compare across scenarios:" in printed
    assert "    geneva-2025-11: Donetsk: land Ukraine gives up, 0..1 share" in printed
    assert "    russia-maximal: Land Ukraine gives up in the four oblasts, 0..1 share" in printed
    assert rows["nato"].startswith("nato ")
    with open(tmp_path / "scenarios.csv") as f:
        table = {r["scenario"]: r for r in csv.DictReader(f)}
    assert table["geneva-2025-11"]["scale.territory"] == "Donetsk: land Ukraine gives up, 0..1 share"
    assert table["russia-maximal"]["scale.territory"].startswith("Land Ukraine gives up in the four oblasts")
    cap = "Peacetime cap on Ukraine's armed forces, 50..1000 thousand troops"
    assert table["geneva-2025-11"]["scale.army_cap"] == cap


def test_scales_that_differ_only_in_their_levels_are_told_apart(tmp_path):
    from conftest import two_party_data, write_scenario

    from sim.report.compare import compare_scenarios

    plain = two_party_data()
    levelled = two_party_data(name="levelled")
    levelled["issues"]["x"]["levels"] = {"0": "none", "100": "all"}
    files = [write_scenario(tmp_path / f"{d['scenario']['name']}.toml", d) for d in (plain, levelled)]
    scenarios = [load_scenario(f) for f in files]
    report = compare_scenarios(scenarios).report()
    assert "x *" in report
    assert "    levelled: share, 0..100 % (0 = none, 100 = all)" in report
    assert "    split: share, 0..100 %" in report


def test_compare_protocols_shows_its_progress_on_stderr(capsys):
    from sim.engine.scenarios import load_scenario

    compare_protocols(load_scenario(GENEVA), ["mediated", "compromise"], progress=True)
    captured = capsys.readouterr()
    assert "2/2" in captured.err and "compromise" in captured.err and not captured.out
