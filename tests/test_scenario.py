"""Scenario loading and validation: every rule gives one clear line naming file and field."""

from __future__ import annotations

import pytest
from conftest import GENEVA, four_party_data, two_party_data, write_scenario

from sim.cli import main
from sim.core.errors import UserError
from sim.engine.scenarios import load_scenario, scenario_from_dict


def _set(data: dict, path: str, value) -> dict:
    keys = path.split(".")
    node = data
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


_DELETE = object()

# (path to change, new value, field named in the error, fragment of the message)
RULES = [
    ("parties.a.patience", 1.5, "parties.a.patience", "(0, 1]"),
    ("parties.a.patience", 0, "parties.a.patience", "(0, 1]"),
    ("parties.a.walkaway", -0.1, "parties.a.walkaway", "[0, 1]"),
    ("parties.a.capability", -1, "parties.a.capability", "a number in [0, 1e6]"),
    ("parties.a.salience.x", 1.2, "parties.a.salience.x", "[0, 1]"),
    ("parties.a.salience.x", "high", "parties.a.salience.x", "[0, 1]"),
    ("parties.a.salience.x", 0.0, "parties.a.salience", "at least one salience"),
    ("parties.a.ideal.x", 120, "parties.a.ideal.x", "[0, 100]"),
    ("parties.a.ideal.y", 5, "parties.a.ideal.y", "unknown issue"),
    ("parties.a.ideal.x", _DELETE, "parties.a.ideal.x", "every issue"),
    ("parties.a.salience.x", _DELETE, "parties.a.salience.x", "every issue"),
    ("parties.a.curvature", {"x": 0}, "parties.a.curvature.x", "a number in [0.01, 100]"),
    ("parties.a.curvature", {"z": 1}, "parties.a.curvature.z", "unknown issue"),
    ("parties.a.red_lines", {"x": {"min": 60, "max": 40}}, "parties.a.red_lines.x", "min must be <= max"),
    ("parties.a.red_lines", {"x": {"max": 150}}, "parties.a.red_lines.x.max", "[0, 100]"),
    ("parties.a.red_lines", {"x": {"min": 10}}, "parties.a.ideal.x", "outside the party's own red line"),
    ("parties.a.red_lines", {"q": {"min": 10}}, "parties.a.red_lines.q", "unknown issue"),
    ("parties.a.red_lines", {"x": {"low": 10}}, "parties.a.red_lines.x.low", "unknown key"),
    ("parties.a.salince", {"x": 1}, "parties.a.salince", "unknown key; allowed keys here: name"),
    ("parties.a.name", _DELETE, "parties.a.name", "missing"),
    ("parties.a.walkaway_drift", "fast", "parties.a.walkaway_drift", "a number in [-1, 1]"),
    ("issues.x.max", 0, "issues.x.max", "greater than min"),
    ("issues.x.step", 500, "issues.x.step", "(0, 100]"),
    ("issues.x.step", -1, "issues.x.step", "a number in (0, 1e12]"),
    ("issues.x.levels", {"low": "L"}, "issues.x.levels.low", "numbers written as text"),
    ("issues.x.levels", {"200": "L"}, "issues.x.levels.200", "[0, 100]"),
    ("issues.x-y", {"min": 0, "max": 1}, "issues.x-y", "identifier"),
    ("scenario.rounds", 0, "scenario.rounds", "an integer in [1, 10_000]"),
    ("scenario.rounds", 2.5, "scenario.rounds", "an integer in [1, 10_000]"),
    ("scenario.seed", -3, "scenario.seed", "integer in [0, 2**63 - 1]"),
    ("scenario.seed", 2**70, "scenario.seed", "integer in [0, 2**63 - 1]"),
    ("scenario.name", "../../elsewhere", "scenario.name", "names a folder"),
    ("scenario.name", "my scenario", "scenario.name", "names a folder"),
    ("scenario.name", _DELETE, "scenario.name", "missing"),
    ("scenario.protocol", "auction", "scenario.protocol", "must be one of mediated"),
    ("scenario.mediator", "zz", "scenario.mediator", "must be a party id"),
    ("scenario.mediator_bias", {"zz": 2}, "scenario.mediator_bias.zz", "unknown party"),
    ("scenario.mediator_bias", {"a": -2}, "scenario.mediator_bias.a", "a number in [0, 1e6]"),
    ("scenario.noise", -0.1, "scenario.noise", "a number in [0, 1]"),
    ("scenario.opening", "random", "scenario.opening", "compromise, mediator"),
    ("scenario.opening", {"x": 500}, "scenario.opening.x", "[0, 100]"),
    ("scenario.main_parties", ["a", "a"], "scenario.main_parties", "two different parties"),
    ("scenario.colour", "red", "scenario.colour", "unknown key"),
    ("parties.a.must_agree_on", ["zz"], "parties.a.must_agree_on", "unknown issue"),
    ("parties.a.must_agree_on", [], "parties.a.must_agree_on", "at least one issue"),
    ("parties.a.walkaway_path", [[0, 0.5], [0, 0.4]], "parties.a.walkaway_path[1]", "increasing"),
    ("parties.a.walkaway_path", [[0, 1.5]], "parties.a.walkaway_path[0]", "[0, 1]"),
    ("parties.a.walkaway_path", [[0, 0.5]], "parties.a.walkaway_path", "not both"),
    ("parties.a.ratification", {"label": "x"}, "parties.a.ratification", "give bounds"),
    ("parties.a.ratification", {"bounds": {"zz": {"max": 1}}}, "parties.a.ratification.bounds.zz", "unknown issue"),
    (
        "parties.a.ratification",
        {"logistic": {"midpoint": 2, "steepness": 1}},
        "parties.a.ratification.logistic.midpoint",
        "[0, 1]",
    ),
    ("parties.a.ratification", {"quorum": 3}, "parties.a.ratification.quorum", "unknown key; allowed keys here: label"),
    ("parties.a.red_lines", {"x": {"max": 50, "soften": -1}}, "parties.a.red_lines.x.soften", "a number in [0, 1e12]"),
    ("issues.x.no_deal_path", [[0, 500]], "issues.x.no_deal_path[0]", "[0, 100]"),
    ("coalitions", {"c": {"members": ["a"]}}, "coalitions.c.members", "at least two"),
    ("coalitions", {"c": {"members": ["a", "zz"]}}, "coalitions.c.members", "unknown party"),
    ("scenario.ratification_failure", "maybe", "scenario.ratification_failure", "continue or end"),
    ("parties.a.walkaway", {"low": 0.5, "high": 0.2}, "parties.a.walkaway", "low <= high"),
    ("parties.a.walkaway", {"low": 0.1, "high": 0.2, "value": 0.5}, "parties.a.walkaway", "[0.1, 0.2]"),
    ("parties.a.walkaway", {"low": 0.1, "high": 1.5}, "parties.a.walkaway.high", "[0, 1]"),
    # negotiations that can fail (issue #12)
    ("scenario.breakdown_risk", 1.0, "scenario.breakdown_risk", "[0, 1)"),
    ("parties.a.walkout_after", -1, "parties.a.walkout_after", "in [0, 10_000] (0: never)"),
    ("parties.a.walkout_after", 2.5, "parties.a.walkout_after", "integer"),
    ("scenario.start_date", "2025-13-01", "scenario.start_date", "YYYY-MM-DD"),
    ("scenario.start_date", "2025-11-23", "scenario.round_days", "both"),
    ("scenario.mediator_lean", {"zz": 0.3}, "scenario.mediator_lean.zz", "unknown party"),
    ("scenario.mediator_lean", {"a": 0.3, "b": 0.2}, "scenario.mediator_lean", "one party"),
    ("issues.x.discrete", True, "issues.x.discrete", "needs levels"),
    ("issues.x.discrete", 1, "issues.x.discrete", "true or false"),
    ("parties.a.voice_on", ["nope"], "parties.a.voice_on", "unknown issue"),
    ("battlefield", {"issue": "nope"}, "battlefield.issue", "unknown issue"),
    ("battlefield", {"issue": "x", "start": 150}, "battlefield.start", "[0, 100]"),
    ("battlefield", {"issue": "x", "volatility": -1}, "battlefield.volatility", "in [0, 1e12]"),
    ("events", [{"label": "e", "round": 0, "set": {"parties.a.walkaway": 0.1}}], "events.0.round", "in [1, 10_000]"),
    ("events", [{"label": "e", "round": 99, "set": {"parties.a.walkaway": 0.1}}], "events[0]", "round limit"),
    ("events", [{"label": "e", "round": 2}], "events[0]", "sets or shifts nothing"),
    (
        "events",
        [{"label": "e", "round": 2, "date": "2025-11-30", "shift": {"parties.a.walkaway": 0.1}}],
        "events[0]",
        "one of them",
    ),
    (
        "events",
        [{"label": "e", "date": "2025-11-30", "shift": {"parties.a.walkaway": 0.1}}],
        "events[0].date",
        "calendar",
    ),
    (
        "events",
        [{"label": "e", "round": 2, "set": {"parties.zz.walkaway": 0.1}}],
        "events[0].set.parties.zz.walkaway",
        "unknown party",
    ),
    (
        "events",
        [{"label": "e", "round": 2, "set": {"issues.x.min": 1}}],
        "events[0].set.issues.x.min",
        "no number an event",
    ),
    (
        "events",
        [{"label": "e", "round": 2, "set": {"parties.a.ideal.x": 500}}],
        "events[0].set.parties.a.ideal.x",
        "[0, 100]",
    ),
    (
        "events",
        [{"label": "e", "round": 2, "set": {"parties.a.patience": 2}}],
        "events[0].set.parties.a.patience",
        "(0, 1]",
    ),
    (
        "events",
        [{"label": "e", "round": 2, "shift": {"parties.a.walkaway": 0.1}, "probability": 1.5}],
        "events.0.probability",
        "[0, 1]",
    ),
]


@pytest.mark.parametrize(("path", "value", "field", "fragment"), RULES)
def test_each_rule_names_field_and_allowed(tmp_path, path, value, field, fragment):
    data = _set(two_party_data(), path, value)
    file = write_scenario(tmp_path / "bad.toml", data)
    with pytest.raises(UserError) as info:
        load_scenario(file)
    lines = str(info.value).splitlines()
    hits = [line for line in lines if line.startswith(f"{file}: {field}: ")]
    assert hits, lines
    assert any(fragment in line for line in hits), lines


def test_an_event_dated_before_the_start_is_refused():
    data = two_party_data(start_date="2025-11-23", round_days=3.5)
    data["events"] = [{"label": "e", "date": "2025-11-01", "shift": {"parties.a.walkaway": 0.1}}]
    with pytest.raises(UserError, match=r"events\[0\]\.date: must be on or after scenario.start_date"):
        scenario_from_dict(data)


def test_a_dated_event_falls_in_the_first_round_on_or_after_its_date():
    """Round r is start_date + r * round_days: with 3.5 days a round, 2025-11-30 is 7 days in, round 2."""
    data = two_party_data(start_date="2025-11-23", round_days=3.5)
    data["events"] = [{"label": "e", "date": "2025-11-30", "shift": {"parties.a.walkaway": 0.1}}]
    assert scenario_from_dict(data).events[0].round == 2
    data["events"][0]["date"] = "2025-12-01"
    assert scenario_from_dict(data).events[0].round == 3


def test_too_few_parties():
    data = two_party_data()
    del data["parties"]["b"]
    with pytest.raises(UserError, match="parties: needs at least two parties"):
        scenario_from_dict(data, "f.toml")


def test_missing_tables_are_named():
    with pytest.raises(UserError) as info:
        scenario_from_dict({}, "empty.toml")
    text = str(info.value)
    for table in ("scenario", "issues", "parties"):
        assert f"empty.toml: {table}: missing" in text


def test_all_problems_reported_at_once():
    data = two_party_data()
    data["parties"]["a"]["patience"] = 2
    data["parties"]["b"]["walkaway"] = 7
    data["issues"]["x"]["max"] = -5
    with pytest.raises(UserError) as info:
        scenario_from_dict(data, "f.toml")
    fields = {p.field for p in info.value.problems}
    assert {"parties.a.patience", "parties.b.walkaway", "issues.x.max"} <= fields


def test_bad_toml_syntax(tmp_path):
    file = tmp_path / "broken.toml"
    file.write_text("[scenario\nname = 1\n")
    with pytest.raises(UserError, match=r"broken.toml: not valid TOML"):
        load_scenario(file)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_cli_reports_one_line_per_problem_exit_2(tmp_path, capsys):
    data = two_party_data()
    data["parties"]["a"]["patience"] = 2
    data["parties"]["b"]["salience"]["x"] = -1
    file = write_scenario(tmp_path / "bad.toml", data)
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"negsim: error: {file}: parties.") for line in lines)
    assert "Traceback" not in err


def test_cli_run_bad_scenario_exit_2(tmp_path, capsys):
    file = write_scenario(tmp_path / "bad.toml", _set(two_party_data(), "scenario.rounds", -1))
    assert main(["run", str(file), "--out", str(tmp_path / "out")]) == 2
    assert "scenario.rounds: must be an integer in [1, 10_000]; got -1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_defaults_and_derived_values():
    s = scenario_from_dict(two_party_data())
    assert s.protocol == "mediated"
    assert s.mediator is None
    assert s.mediator_bias == {"a": 1.0, "b": 1.0}
    assert s.party("a").curvature == {"x": 1.0}
    assert s.party("a").red_lines == {"x": (0, 100)}
    assert s.main_parties == ("a", "b")


def test_mediator_defaults_to_us():
    data = four_party_data()
    data["parties"]["us"] = data["parties"].pop("m")
    del data["scenario"]["mediator"]
    s = scenario_from_dict(data)
    assert s.mediator == "us"
    assert "us" not in s.main_parties


def test_ranges_give_point_and_are_recorded():
    data = two_party_data()
    data["parties"]["a"]["walkaway"] = {"low": 0.2, "high": 0.4}
    data["parties"]["b"]["walkaway"] = {"low": 0.1, "high": 0.5, "value": 0.15}
    s = scenario_from_dict(data)
    assert s.party("a").walkaway == pytest.approx(0.3)
    assert s.party("b").walkaway == 0.15
    assert s.ranges == {"parties.a.walkaway": (0.2, 0.4), "parties.b.walkaway": (0.1, 0.5)}


def test_a_range_on_an_integer_field_validates_both_whole_ends():
    # issue #15: walkout_after = { low = 4, high = 12, value = 8 } was refused ("got 4.0")
    data = two_party_data()
    data["parties"]["a"]["walkout_after"] = {"low": 4, "high": 12, "value": 8}
    s = scenario_from_dict(data)
    assert s.party("a").walkout_after == 8 and s.ranges == {"parties.a.walkout_after": (4.0, 12.0)}
    data["parties"]["a"]["walkout_after"] = {"low": -1, "high": 12, "value": 8}
    with pytest.raises(UserError, match=r"parties.a.walkout_after.low: must be an integer in \[0, "):
        scenario_from_dict(data)


def test_with_values_revalidates_and_changes_hash():
    s = scenario_from_dict(two_party_data())
    t = s.with_values({"parties.a.walkaway": 0.4, "scenario.mediator_bias.b": 2.0})
    assert t.party("a").walkaway == 0.4 and t.mediator_bias["b"] == 2.0
    assert t.sha256 != s.sha256
    assert s.party("a").walkaway == 0.2  # the original is untouched
    with pytest.raises(UserError, match="parties.a.walkaway: must be a number in"):
        s.with_values({"parties.a.walkaway": 3})
    with pytest.raises(UserError, match="no such entry 'zz'"):
        s.with_values({"parties.zz.walkaway": 0.1})


def test_hash_ignores_comments_and_key_order(tmp_path):
    data = two_party_data()
    f1 = write_scenario(tmp_path / "a.toml", data)
    f2 = tmp_path / "b.toml"
    f2.write_text("# a comment\n" + f1.read_text())
    assert load_scenario(f1).sha256 == load_scenario(f2).sha256


def test_geneva_scenario_is_calibrated_and_sourced():
    s = load_scenario(GENEVA)
    assert s.party_ids == ["russia", "ukraine", "us", "europe"]
    assert {"territory", "nato", "army_cap"} <= set(s.issue_ids)
    assert s.mediator == "us"
    assert len(s.sources) >= 4
    # numbers from the public record (docs/sources.md, Army cap)
    assert s.party("russia").ideal["army_cap"] == 85  # Istanbul 2022 draft
    assert s.party("us").ideal["army_cap"] == 600  # US 28-point draft
    assert s.party("europe").ideal["army_cap"] == 800  # European counterproposal
    text = GENEVA.read_text()
    # every party number line carries a comment (source or judgement)
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        if key in {"capability", "patience", "walkaway", "walkaway_drift", "salience"}:
            assert "#" in line, line


def test_issue_format_uses_units_and_levels():
    s = load_scenario(GENEVA)
    assert s.issue("army_cap").format(640.0) == "640 thousand troops"
    assert s.issue("nato").format(0.6) == "0.60 (moratorium)"
    assert s.issue("nato").format(0.55) == "0.55 (~moratorium)"


SHIPPED = sorted((GENEVA.parent).glob("*.toml"))


def test_every_shipped_scenario_validates_and_cites_sources():
    names = {p.stem for p in SHIPPED}
    assert {
        "istanbul-2022",
        "us-28-point-2025-11",
        "geneva-2025-11",
        "e3-counter-2025-11",
        "russia-maximal",
        "classroom-two-party",
        "classroom-logroll",
    } <= names
    for path in SHIPPED:
        s = load_scenario(path)
        assert s.name == path.stem
        assert s.sources, path
        for line in path.read_text().splitlines():  # every party number says where it comes from
            key = line.split("=")[0].strip()
            if key in {"capability", "patience", "walkaway", "walkaway_drift"}:
                assert "#" in line, f"{path.name}: {line}"


def test_every_shipped_scenario_runs():
    from sim.engine.runner import run

    for path in SHIPPED:
        s = load_scenario(path)
        out = run(s)
        assert 1 <= out.end_round <= s.rounds, path.name
        assert out.history.rounds == out.end_round  # one row per round played, round 0 included
        if out.agreement:
            assert out.round == out.end_round
            for issue in s.issues:  # the deal lies on each issue's scale, in its units
                assert issue.min <= out.deal[issue.id] <= issue.max, (path.name, issue.id)
        else:  # talks end at the round limit, or earlier only for a reason the scenario allows (issue #15:
            # the recalibrated files have a breakdown risk and walk-out thresholds)
            assert (out.end_round < s.rounds) == (out.ended_by != "round_limit"), path.name
            if out.ended_by == "ratification":
                assert s.ratification_failure == "end" and out.ratification_failures(), path.name
            elif out.ended_by == "breakdown":
                assert s.breakdown_risk > 0, path.name
            elif out.ended_by == "walkout":
                assert out.walked_out, path.name
            else:
                assert out.ended_by == "round_limit", (path.name, out.ended_by)


def test_classroom_answers_worked_by_hand():
    # the hand-worked answers written in the files' comments
    from sim.benchmarks.solutions import nash_solution

    two = load_scenario(GENEVA.parent / "classroom-two-party.toml")
    assert nash_solution(two)["line"] == pytest.approx(70, abs=1e-4)  # gains over walk-away split equally
    logroll = load_scenario(GENEVA.parent / "classroom-logroll.toml")
    nash = nash_solution(logroll)
    assert nash["zone"] == pytest.approx(0, abs=1e-4) and nash["fund"] == pytest.approx(100, abs=1e-4)  # the trade


def test_new_issue_levels_are_labelled_in_tables():
    s = load_scenario(GENEVA)
    assert s.issue("sanctions_relief").format(0.5) == "0.50 (staged lifting)"
    assert s.issue("recognition").format(0.45).endswith("(~de facto)")


def test_as_of_and_dated_sources():
    from conftest import two_party_data

    from sim.engine.scenarios import scenario_from_dict

    data = two_party_data()
    data["scenario"]["as_of"] = "2025-11-26"
    data["scenario"]["sources"] = ["plain", {"name": "dated", "date": "2025-11-20"}, {"name": "no date"}]
    s = scenario_from_dict(data)
    assert s.as_of == "2025-11-26"
    assert s.sources == ("plain", "dated", "no date")  # names, as before
    assert s.source_dates == (None, "2025-11-20", None)
    assert scenario_from_dict(two_party_data()).as_of is None


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("parties.a.must_agree_on", [[1, 2]], "parties.a.must_agree_on.0"),
        ("scenario.main_parties", [["a"], "b"], "scenario.main_parties.0"),
        ("coalitions", {"c": {"members": [{"x": 1}, "a"]}}, "coalitions.c.members.0"),
    ],
)
def test_ids_of_the_wrong_type_are_named_not_a_traceback(path, value, field):
    with pytest.raises(UserError) as info:
        scenario_from_dict(_set(two_party_data(), path, value), "bad.toml")
    assert any(p.field == field for p in info.value.problems), info.value.problems
