"""The terminal report of a run: who signs, and why a ratification failed (bound and margin)."""

from __future__ import annotations

import pytest
from conftest import two_party_data

from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict
from sim.report.tables import outcome_report


def _party_rows(report: str) -> dict[str, list[str]]:
    """The party table of a report: ``{name: cells}``."""
    lines = report.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("party "))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows


def test_a_forecast_says_who_would_not_sign_in_the_accepts_column():
    # compromise of ideals 0 and 100 with equal weights: 50, across B's red line at 70
    data = two_party_data()
    data["parties"]["b"]["red_lines"] = {"x": {"min": 70}}
    out = run(scenario_from_dict(data), protocol="compromise")
    report = outcome_report(out)
    assert out.deal["x"] == pytest.approx(50)
    assert "would not sign: B." in report
    rows = _party_rows(report)
    assert rows["A"][-1] == "yes" and rows["B"][-1] == "no"


def _first_failure(ratification: dict) -> str:
    # the opening 50 gives both 0.5 >= their walk-aways 0.2: the table agrees in round 1, then B ratifies
    data = two_party_data(opening={"x": 50})
    data["parties"]["b"]["ratification"] = ratification
    report = outcome_report(run(scenario_from_dict(data), protocol="mediated"))
    return next(line for line in report.splitlines() if line.startswith("Round 1: "))


def test_a_failed_bound_is_printed_with_the_value_the_bound_and_the_margin():
    line = _first_failure({"label": "Senate", "bounds": {"x": {"max": 40}}})
    assert "ratification failed in B (Senate): share 50 against a bound of at most 40: over by 10;" in line
    line = _first_failure({"bounds": {"x": {"min": 62.5}}})
    assert "share 50 against a bound of at least 62.5: under by 12;" in line


def test_a_failed_minimum_utility_is_printed_with_the_shortfall():
    line = _first_failure({"min_utility": 0.6})
    assert "utility 0.500 against a minimum of 0.600: short by 0.100;" in line


def test_a_lost_passage_draw_is_printed_with_its_chance():
    # 1 / (1 + exp(-20 (0.5 - 0.75))) = 1 / (1 + e^5) = 0.0067: the draw fails but for 1 seed in 150
    line = _first_failure({"label": "referendum", "logistic": {"midpoint": 0.75, "steepness": 20}})
    assert "the passage draw failed (chance 0.01 at utility 0.500, even odds at 0.750)" in line
