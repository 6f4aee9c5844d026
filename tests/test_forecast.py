"""Forecasts: N draws of a scenario's ranges and random streams, checked against known answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import two_party_data, write_scenario

from sim.cli import main
from sim.core.errors import UserError
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.experiments.calendar import Calendar, calendar_of
from sim.experiments.forecast import forecast, option_shares, percentiles, range_draws
from sim.experiments.forecast_text import context_line
from sim.report.folders import MARKER

PINNED = ["runs", "p_deal", "p_deal_by", "round", "issues", "utilities", "ended_by"]


def split_with_walkaway_range(low=0.5, high=0.9, rounds=60, **header):
    """A wants x = 0, B wants x = 100, linear: a deal exists iff w_A + w_B < 1 (w_B = 0.2, no drift)."""
    data = two_party_data(rounds=rounds, **header)
    for party in "ab":
        data["parties"][party]["walkaway_drift"] = 0.0
    data["parties"]["a"]["walkaway"] = {"low": low, "high": high}
    data["parties"]["b"]["walkaway"] = 0.2
    return data


def test_p_deal_is_the_threshold_position_in_a_uniform_walkaway_range():
    # A deal exists exactly when A's walk-away is below 1 - 0.2 = 0.8; drawn uniformly from [0.5, 0.9],
    # P(deal) = (0.8 - 0.5) / (0.9 - 0.5) = 0.75.
    s = scenario_from_dict(split_with_walkaway_range())
    f = forecast(s, runs=1000)
    w = f.draws["parties.a.walkaway"]
    assert w.min() >= 0.5 and w.max() <= 0.9
    # the mediated text reaches the thin bargaining set within 60 rounds unless it is thinner than 1e-3
    assert (w < 0.799).mean() <= f.p_deal <= (w < 0.8).mean()
    assert abs(f.p_deal - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 1000)
    assert np.array_equal(f.deal_in_horizon[w < 0.799], np.ones((w < 0.799).sum(), dtype=bool))
    assert not f.deal_in_horizon[w >= 0.8].any()
    assert f.ended_shares()["deal"] == pytest.approx(f.p_deal)
    assert f.ended_shares()["round_limit"] == pytest.approx(1 - f.p_deal)


def test_pinned_keys_and_bands_are_values_of_runs():
    s = scenario_from_dict(split_with_walkaway_range())
    d = forecast(s, runs=300).to_dict()
    assert list(d)[: len(PINNED)] == PINNED
    assert set(d["round"]) == {"p10", "p50", "p90"} and set(d["issues"]["x"]) == {"p10", "p50", "p90"}
    assert set(d["utilities"]) == {"a", "b"}
    pinned = {"deal", "round_limit", "walkout", "breakdown", "ratification"}
    assert set(d["ended_by"]) == pinned | {"no_bargaining_set"}  # the pinned reasons, extended by zeuthen's
    assert sum(d["ended_by"].values()) == pytest.approx(1.0)
    assert d["round"]["p10"] <= d["round"]["p50"] <= d["round"]["p90"]
    assert d["runs"] == 300 and d["p_deal_by"] == {}
    json.dumps(d)  # plain JSON


def test_same_seed_same_forecast_and_seed_changes_the_draws():
    s = scenario_from_dict(split_with_walkaway_range())
    a, b = forecast(s, runs=200, seed=5), forecast(s, runs=200, seed=5)
    assert a.to_dict() == b.to_dict()
    c = forecast(s, runs=200, seed=6)
    assert not np.array_equal(a.draws["parties.a.walkaway"], c.draws["parties.a.walkaway"])


def test_percentiles_are_values_of_the_sample():
    values = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    assert percentiles(values) == {"p10": 1.0, "p50": 2.0, "p90": 4.0}
    assert percentiles(np.array([np.nan])) == {"p10": None, "p50": None, "p90": None}


def test_integer_ranges_are_drawn_as_whole_numbers():
    # (the file validator cannot check integer ranges' ends yet; the range is set on the loaded scenario)
    s = dataclasses.replace(scenario_from_dict(two_party_data(rounds=12)), ranges={"scenario.rounds": (10.0, 12.0)})
    draws = range_draws(s, 600, 1)["scenario.rounds"]
    assert set(draws.tolist()) == {10, 11, 12}
    f = forecast(s, runs=200)
    assert set(f.rows.horizon.tolist()) <= {10, 11, 12} and f.horizon == 12


def test_ratification_that_ends_the_talks_is_an_ending():
    data = two_party_data(ratification_failure="end")
    data["parties"]["a"]["ratification"] = {"label": "parliament", "bounds": {"x": {"max": 5}}}
    f = forecast(scenario_from_dict(data), runs=50)
    assert f.ended_shares()["ratification"] == 1.0


def test_option_shares_on_discrete_levels():
    issue = SimpleNamespace(levels={0.0: "none", 0.5: "some", 1.0: "all"}, discrete=True)
    shares = option_shares(issue, np.array([0.0, 0.5, 0.5, 1.0, np.nan]))
    assert shares == {"none": 0.25, "some": 0.5, "all": 0.25}


def test_discrete_issue_reports_shares_per_option():
    data = split_with_walkaway_range(low=0.1, high=0.3)
    data["issues"]["x"]["levels"] = {"0": "none", "50": "half", "100": "all"}
    s = scenario_from_dict(data)
    object.__setattr__(s.issues[0], "discrete", True)  # the flag issue #12 adds to discrete issues
    d = forecast(s, runs=100).to_dict()
    assert set(d["options"]["x"]) == {"none", "half", "all"}
    assert sum(d["options"]["x"].values()) == pytest.approx(1.0)


def test_calendar_math():
    cal = Calendar(dt.date(2022, 2, 28), 7.0)
    assert cal.date_of(4) == dt.date(2022, 3, 28)
    assert cal.last_round_by(dt.date(2022, 3, 28)) == 4
    assert cal.last_round_by(dt.date(2022, 3, 27)) == 3
    half = Calendar(dt.date(2025, 11, 23), 3.5)
    assert half.date_of(1) == dt.date(2025, 11, 26) and half.last_round_by(dt.date(2025, 11, 30)) == 2


def test_p_deal_by_dates_runs_past_the_horizon_when_needed():
    # A's walk-away starts at 0.85-0.95 and falls 0.005 a round: deals come after round 10, past the horizon
    data = split_with_walkaway_range(low=0.85, high=0.95, rounds=5, start_date="2025-01-01", round_days=7)
    data["parties"]["a"]["walkaway_drift"] = -0.005
    s = scenario_from_dict(data)
    assert calendar_of(s) == Calendar(dt.date(2025, 1, 1), 7.0)
    f = forecast(s, runs=200, by=["2025-12-31", "2025-01-15"])
    assert f.extended and f.rounds_run == 52 and f.horizon == 5
    d = f.to_dict()
    assert list(d["p_deal_by"]) == ["2025-01-15", "2025-12-31"]
    rounds = f.rows.deal_round
    assert d["p_deal_by"]["2025-12-31"] == pytest.approx((f.rows.agreement & (rounds <= 52)).mean())
    assert d["p_deal_by"]["2025-01-15"] == pytest.approx((f.rows.agreement & (rounds <= 2)).mean())
    assert d["p_deal"] == pytest.approx((f.rows.agreement & (rounds <= 5)).mean())
    assert d["p_deal"] == 0.0 and d["p_deal_by"]["2025-12-31"] > 0.9  # later deals count by the date only
    assert d["ended_by"]["round_limit"] == 1.0
    assert d["calendar"]["horizon_date"] == "2025-02-05"
    # utilities at the horizon: without a deal by round 5 each party falls back on its walk-away then
    w = f.draws["parties.a.walkaway"]
    assert np.allclose(f.utility[:, 0], w - 0.005 * 5) and np.allclose(f.utility[:, 1], 0.2)


def test_dates_need_a_calendar_and_must_be_dates(tmp_path, capsys):
    plain = write_scenario(tmp_path / "plain.toml", split_with_walkaway_range())  # no start_date, no round_days
    s = load_scenario(plain)
    with pytest.raises(UserError, match="needs a calendar"):
        forecast(s, runs=10, by=["2026-01-15"])
    assert main(["forecast", str(plain), "--runs", "10", "--by", "2026-01-15", "--no-figures"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("negsim: error: --by: needs a calendar")
    path = write_scenario(tmp_path / "cal.toml", split_with_walkaway_range(start_date="2025-01-01", round_days=7))
    assert main(["forecast", str(path), "--by", "2025-13-01", "--no-figures", "--out", str(tmp_path)]) == 2
    assert "--by: must be a date written YYYY-MM-DD; got '2025-13-01'" in capsys.readouterr().err
    assert main(["forecast", str(path), "--by", "2024-12-31", "--no-figures", "--out", str(tmp_path)]) == 2
    assert "is not after the scenario's start_date 2025-01-01" in capsys.readouterr().err


def test_cli_forecast_json_and_figures(tmp_path, capsys):
    path = write_scenario(tmp_path / "s.toml", split_with_walkaway_range())
    assert main(["forecast", str(path), "--runs", "200", "--json", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert list(data)[: len(PINNED)] == PINNED and data["runs"] == 200
    assert "Wrote" in out.err
    names = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != MARKER)
    assert names == ["deal_cloud.png", "fan_chart.png", "forecast.json", "time_to_deal.png"]
    assert json.loads((tmp_path / "out" / "forecast.json").read_text()) == data


def test_context_line_names_the_share_and_the_widest_band():
    s = scenario_from_dict(split_with_walkaway_range())
    f = forecast(s, runs=400)
    line = context_line(f)
    assert line.startswith("Across 400 draws of this scenario's ranges and random streams: a deal in ")
    band = f.issue_band("x")
    assert f"share {band['p10']:.0f}-{band['p90']:.0f} % (80% band)" in line
