"""The negsim command line: run, solve, validate; errors exit 2 on one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

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
    assert main(["run", "scenarios/geneva-2025-11.toml"]) == 0
    out = capsys.readouterr().out
    assert "Deal in round" in out
    assert "thousand troops" in out
    assert "Distance of the deal to the Nash solution" in out
    target = workdir / "results" / "geneva-2025-11" / "mediated-seed7"
    for name in ("outcome.json", "rounds.csv", "trajectories.png", "utilities.png", "utility_plane.png"):
        assert (target / name).stat().st_size > 0


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
