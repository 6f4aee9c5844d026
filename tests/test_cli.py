"""The negsim command line: run, solve, validate; errors exit 2 on one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GENEVA

from sim.cli import main


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "scenarios").mkdir()
    shutil.copy(GENEVA, tmp_path / "scenarios" / GENEVA.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_run_prints_table_and_writes_default_dir(workdir, capsys):
    assert main(["run", "scenarios/geneva-2025-11.toml", "--draws", "50"]) == 0
    out = capsys.readouterr().out
    # the file's own run (seed 7) breaks down (issue #15's calibration: a breakdown risk each round)
    assert "No deal after 11 rounds (2025-12-31): the talks broke down" in out
    assert "thousand troops" in out
    target = workdir / "results" / "geneva-2025-11" / "mediated-seed7"
    for name in ("outcome.json", "rounds.csv", "trajectories.png", "utilities.png", "utility_plane.png"):
        assert (target / name).stat().st_size > 0
    assert main(["run", "scenarios/geneva-2025-11.toml", "--seed", "3", "--no-forecast", "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "Deal in round 14 (2026-01-11)" in out
    assert "Distance of the deal to the Nash solution" in out


def test_run_flags_are_recorded(workdir):
    assert main(["run", "scenarios/geneva-2025-11.toml", "--seed", "3", "--rounds", "5", "--out", "o"]) == 0
    data = json.loads((workdir / "o" / "outcome.json").read_text())
    assert data["seed"] == 3 and data["rounds_max"] == 5


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "S", "--seed", "x"], "argument --seed: must be an integer in [0, 2**63 - 1]; got 'x'"),
        (["run", "S", "--seed", "99999999999999999999"], "argument --seed: must be an integer in [0, "),
        (["run", "S", "--rounds", "0"], "argument --rounds: must be an integer in [1, 10_000]; got 0"),
        (["run", "S", "--protocol", "auction"], "argument --protocol: must be one of mediated"),
        (["run"], "the following arguments are required: scenario"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_flags_one_line_exit_2(workdir, capsys, args, fragment):
    args = [a.replace("S", "scenarios/geneva-2025-11.toml") if a == "S" else a for a in args]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert fragment in err


def test_out_must_not_be_a_file(workdir, capsys):
    (workdir / "taken").write_text("my notes")
    assert main(["run", "scenarios/geneva-2025-11.toml", "--out", "taken"]) == 2
    assert "--out: taken: exists and is not a folder" in capsys.readouterr().err
    assert (workdir / "taken").read_text() == "my notes"


def test_out_that_cannot_be_made_is_named_before_any_work(workdir, capsys):
    (workdir / "afile").write_text("x")
    assert main(["run", "scenarios/geneva-2025-11.toml", "--out", "afile/sub"]) == 2
    assert "negsim: error: --out: afile/sub: cannot write there" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["explain", "scenarios/geneva-2025-11.toml", "--runs", "5"],
        ["forecast", "scenarios/geneva-2025-11.toml", "--runs", "5"],
        ["report", "scenarios/geneva-2025-11.toml", "--runs", "5", "--driver-runs", "5"],
    ],
    ids=lambda c: c[0],
)
def test_every_writing_command_keeps_the_users_files(workdir, capsys, command):
    (workdir / "mine").mkdir()
    (workdir / "mine" / "notes.txt").write_text("my notes")
    assert main([*command, "--out", "mine", "--no-figures" if command[0] != "report" else "--seed=1"]) == 2
    assert "holds files negsim did not write there (notes.txt)" in capsys.readouterr().err
    assert [p.name for p in (workdir / "mine").iterdir()] == ["notes.txt"]
    if command[0] != "report":
        assert main([*command, "--out", "mine", "--no-figures", "--force"]) == 0
        assert (workdir / "mine" / "notes.txt").read_text() == "my notes"


def test_solve_prints_every_benchmark(workdir, capsys):
    assert main(["solve", "scenarios/geneva-2025-11.toml"]) == 0
    out = capsys.readouterr().out
    for name in ("Nash", "Kalai-Smorodinsky", "compromise", "weighted median"):
        assert name in out


def test_validate_ok_and_bad(workdir, capsys):
    assert main(["validate", "scenarios/geneva-2025-11.toml"]) == 0
    assert "ok: scenarios/geneva-2025-11.toml" in capsys.readouterr().out
    assert main(["validate", "scenarios/geneva-2025-11.toml", "missing.toml"]) == 2
    assert "negsim: error: missing.toml: file not found" in capsys.readouterr().err


def test_console_script_no_traceback(workdir):
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "run", "nope.toml"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == "negsim: error: nope.toml: file not found\n"


def _dated(workdir, as_of, sources):
    from conftest import two_party_data, write_scenario

    data = two_party_data()
    if as_of is not None:
        data["scenario"]["as_of"] = as_of
    data["scenario"]["sources"] = sources
    return str(write_scenario(workdir / "dated.toml", data))


def test_validate_warns_about_look_ahead_and_strict_makes_it_an_error(workdir, capsys):
    path = _dated(
        workdir,
        "2025-11-26",
        [
            {"name": "RFE/RL", "date": "2025-11-26"},  # the same day: known
            {"name": "Reuters", "date": "2025-11-28"},  # after: look-ahead
            "Kyiv Independent, plain string",  # undated
            {"name": "no date given"},  # undated
        ],
    )
    assert main(["validate", path]) == 0
    captured = capsys.readouterr()
    assert f"ok: {path}" in captured.out
    warnings = captured.err.splitlines()
    assert len(warnings) == 3 and all(w.startswith(f"negsim: warning: {path}: scenario.sources.") for w in warnings)
    assert "sources.1: dated 2025-11-28, after as_of 2025-11-26 ('Reuters')" in warnings[0]
    assert "sources.2: undated ('Kyiv Independent, plain string')" in warnings[1]
    assert "sources.3: undated ('no date given')" in warnings[2]
    assert main(["validate", "--strict", path]) == 2
    captured = capsys.readouterr()
    errors = captured.err.splitlines()
    assert len(errors) == 3 and all(e.startswith(f"negsim: error: {path}: scenario.sources.") for e in errors)
    assert "ok:" not in captured.out


def test_validate_strict_passes_dated_sources_and_scenarios_without_as_of(workdir, capsys):
    path = _dated(workdir, "2022-04-15", [{"name": "Istanbul communique", "date": "2022-03-29"}])
    assert main(["validate", "--strict", path]) == 0
    assert capsys.readouterr().err == ""
    path = _dated(workdir, None, ["undated, but no as_of: nothing to check against"])
    assert main(["validate", "--strict", path, "scenarios/geneva-2025-11.toml"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("as_of", "sources", "fragment"),
    [
        ("26/11/2025", [], "scenario.as_of: must be a date written as text, \"YYYY-MM-DD\"; got '26/11/2025'"),
        ("2025-02-30", [], "scenario.as_of: must be a date written as text"),
        ("2025-11-26", [{"name": "x", "date": "soon"}], "scenario.sources.0: date must be a date written as text"),
        ("2025-11-26", [{"name": "x", "url": "http://"}], "scenario.sources.0: must be a string or a table"),
        ("2025-11-26", [7], "scenario.sources.0: must be a string or a table { name = "),
    ],
)
def test_bad_dates_are_one_line_errors(workdir, capsys, as_of, sources, fragment):
    path = _dated(workdir, as_of, sources)
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err, err


def test_a_toml_date_literal_is_refused_with_a_hint(workdir, capsys):
    path = workdir / "literal.toml"
    text = Path(_dated(workdir, "2025-11-26", [])).read_text()
    path.write_text(text.replace('as_of = "2025-11-26"', "as_of = 2025-11-26"))
    assert main(["validate", str(path)]) == 2
    assert 'scenario.as_of: must be a date written as text, "YYYY-MM-DD"' in capsys.readouterr().err


@pytest.mark.parametrize("out", ["", "."])
def test_out_must_name_a_folder_not_the_current_one(workdir, capsys, out):
    (workdir / "outcome.json").write_text("my own")
    code = None
    try:
        code = main(["run", "scenarios/geneva-2025-11.toml", "--no-figures", "--out", out])
    except SystemExit as exc:  # argparse refuses the empty name
        code = exc.code
    assert code == 2
    assert (workdir / "outcome.json").read_text() == "my own"
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_rerun_without_figures_leaves_no_old_figures(workdir):
    assert main(["run", "scenarios/geneva-2025-11.toml", "--out", "o"]) == 0
    assert (workdir / "o" / "trajectories.png").exists()
    assert main(["run", "scenarios/geneva-2025-11.toml", "--out", "o", "--no-figures", "--seed", "3"]) == 0
    assert sorted(p.name for p in (workdir / "o").iterdir()) == [".negsim-files.json", "outcome.json", "rounds.csv"]


def test_a_folder_with_the_users_files_needs_force(workdir, capsys):
    (workdir / "o").mkdir()
    (workdir / "o" / "notes.txt").write_text("mine")
    assert main(["run", "scenarios/geneva-2025-11.toml", "--out", "o", "--no-figures"]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert main(["run", "scenarios/geneva-2025-11.toml", "--out", "o", "--no-figures", "--force"]) == 0
    assert (workdir / "o" / "notes.txt").read_text() == "mine" and (workdir / "o" / "outcome.json").exists()


def test_help_names_the_protocols_and_the_gallery_items(capsys):
    from sim.experiments.gallery import GALLERY
    from sim.protocols import protocol_names

    for argv in (["--help"], ["run", "--help"], ["compare-protocols", "--help"], ["gallery", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        text = " ".join(capsys.readouterr().out.split())
        if argv[0] in ("--help", "run", "compare-protocols"):
            assert ", ".join(protocol_names()) in text, argv
        if argv[0] in ("--help", "gallery"):
            assert ", ".join(GALLERY) in text, argv


def test_help_lists_the_registered_protocols_without_importing_them():
    from sim.cli import listed_protocols
    from sim.protocols import protocol_names

    assert listed_protocols() == protocol_names()
