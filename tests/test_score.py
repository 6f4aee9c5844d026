"""Record files and scores: Brier scores of deal observations, 80% bands of issue observations, no look-ahead."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT, two_party_data, write_scenario

from sim.cli import main
from sim.core.errors import UserError
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.experiments.records import load_record, record_from_dict
from sim.experiments.score import CALIBRATION_MIN, score

ISTANBUL = ROOT / "scenarios" / "istanbul-2022.toml"
RECORD = ROOT / "scenarios" / "records" / "istanbul-2022.toml"


def split():
    """A deal iff A's walk-away (uniform in 0.5-0.9) is below 0.8 (by round 36 at the latest)."""
    data = two_party_data(rounds=60)
    for p in "ab":
        data["parties"][p]["walkaway_drift"] = 0.0
    data["parties"]["a"]["walkaway"] = {"low": 0.5, "high": 0.9}
    data["parties"]["b"]["walkaway"] = 0.2
    return scenario_from_dict(data)


def record(observed, **head):
    return {
        "record": {"scenario": head.pop("scenario", "split"), "start_date": "2025-01-01", "round_days": 7, **head},
        "observed": observed,
    }


def test_brier_score_of_deal_observations_is_the_squared_error_of_p_deal_by():
    s = split()
    rec = record_from_dict(
        record([{"date": "2025-12-01", "deal": False}, {"date": "2025-12-01", "deal": True}]), s, "r.toml"
    )
    result = score(s, rec, runs=400)
    p = result.forecast.p_deal_by(rec.observations[0].date)
    assert abs(p - 0.75) < 0.1
    assert [d["brier"] for d in result.deals] == [pytest.approx(p**2), pytest.approx((1 - p) ** 2)]
    assert result.brier == pytest.approx((p**2 + (1 - p) ** 2) / 2)
    assert result.to_dict()["calibration"] is None


def test_issue_observations_are_checked_against_the_80_percent_band():
    s = scenario_from_dict(two_party_data(rounds=30))  # every run: a deal at x = 50 in round 1
    observed = [
        {"date": "2025-02-01", "issue": "x", "value": 50, "held_by": ["a", "b"]},  # the deal, in every deal run
        {"date": "2025-02-01", "issue": "x", "value": 90, "held_by": ["a", "b"]},
        {"date": "2025-01-02", "issue": "x", "value": 0, "held_by": ["a"]},  # A's own stated position early on
    ]
    result = score(s, record_from_dict(record(observed), s), runs=300)
    agreed, far, own = result.issues
    assert agreed["compared_with"] == "text" and agreed["inside"] and agreed["band"]["p50"] == 50.0
    assert not far["inside"] and far["share_below"] == 1.0
    assert own["compared_with"] == "position of a" and own["round"] == 0
    assert own["inside"] and own["band"]["p50"] == 0.0  # round 0: every party states its ideal
    assert result.coverage() == {"inside": 2, "n": 3, "share": pytest.approx(2 / 3)}


def test_calibration_table_with_enough_observations():
    s = split()
    observed = [{"date": f"2025-02-{d:02d}", "deal": d % 4 != 0} for d in range(1, CALIBRATION_MIN + 3)]
    table = score(s, record_from_dict(record(observed), s), runs=200).calibration()
    assert table and sum(row["n"] for row in table) == CALIBRATION_MIN + 2
    assert all(0 <= row["observed"] <= 1 for row in table)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"record": {"scenario": "other"}}, "record.scenario: names 'other' but the scenario is 'split'"),
        ({"observed": [{"date": "2024-12-31", "deal": False}]}, "observed.0.date: must be after the scenario's date"),
        ({"observed": [{"date": "2025-02-30", "deal": False}]}, "observed.0.date: must be a date written YYYY-MM-DD"),
        ({"observed": [{"date": "2025-02-01", "deal": False, "issue": "x", "value": 3}]}, "observed.0: give deal"),
        ({"observed": [{"date": "2025-02-01", "deal": "no"}]}, "observed.0.deal: must be true or false"),
        ({"observed": [{"date": "2025-02-01", "issue": "y", "value": 3}]}, "observed.0.issue: unknown issue 'y'"),
        ({"observed": [{"date": "2025-02-01", "issue": "x", "value": 300}]}, "observed.0.value: must be in [0, 100]"),
        (
            {"observed": [{"date": "2025-02-01", "issue": "x", "value": 3, "held_by": ["zz"]}]},
            "observed.0.held_by: unknown party 'zz'",
        ),
        (
            {"observed": [{"date": "2025-02-01", "deal": False, "reported": "2024-06-01"}]},
            "observed.0.reported: must be after the scenario's date",
        ),
        ({"observed": [{"date": "2025-02-01", "deal": False, "bogus": 1}]}, "observed.0.bogus: unknown key"),
    ],
)
def test_bad_records_are_named_one_line_per_problem(change, fragment):
    data = record([{"date": "2025-02-01", "deal": False}])
    data["record"].update(change.get("record", {}))
    if "observed" in change:
        data["observed"] = change["observed"]
    with pytest.raises(UserError) as info:
        record_from_dict(data, split(), "r.toml")
    assert any(str(p).startswith("r.toml: ") and fragment in str(p) for p in info.value.problems), str(info.value)


def test_a_record_needs_a_calendar():
    data = {"record": {"scenario": "split"}, "observed": [{"date": "2025-02-01", "deal": False}]}
    with pytest.raises(UserError, match="record: needs a calendar"):
        record_from_dict(data, split(), "r.toml")


def test_the_istanbul_record_validates_and_scores(capsys):
    s = load_scenario(ISTANBUL)
    rec = load_record(RECORD, s)
    assert len(rec.observations) == 7 and rec.calendar.round_days == 7  # after the scenario's as_of (2022-03-29)
    assert all(o.date > rec.calendar.start for o in rec.observations)
    assert main(["score", str(ISTANBUL), str(RECORD), "--json", "--runs", "100"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["observed"] for d in data["deals"]] == [False] * 4
    assert data["brier"] == pytest.approx(np.mean([d["brier"] for d in data["deals"]]))
    assert data["deals"][-1]["round"] == 39  # past the scenario's 12 rounds: the runs went on


def test_cli_score_bad_record_exit_2(tmp_path, capsys):
    path = write_scenario(tmp_path / "s.toml", two_party_data())
    bad = tmp_path / "r.toml"
    bad.write_text('[record]\nscenario = "split"\n[[observed]]\ndate = "x"\ndeal = false\n')
    assert main(["score", str(path), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"negsim: error: {bad}: record: needs a calendar: the scenario has no start_date and round_days; "
        "give them in [record]",
        f"negsim: error: {bad}: observed.0.date: must be a date written YYYY-MM-DD; got 'x'",
    ]
