"""Output folders (sim/report/folders.py): all or nothing, never over files negsim did not write."""

from __future__ import annotations

import os

import pytest

from sim.core.errors import UserError
from sim.report.folders import MARKER, OutputFolder


def _write(names: dict[str, str]):
    def make(stage):
        for name, text in names.items():
            (stage / name).write_text(text)
        return [stage / name for name in names]

    return make


def test_a_new_folder_gets_the_files_and_a_marker(tmp_path):
    written = OutputFolder(tmp_path / "out").write(_write({"a.json": "1", "b.png": "2"}))
    assert written == [tmp_path / "out" / "a.json", tmp_path / "out" / "b.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [MARKER, "a.json", "b.png"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_a_rerun_replaces_the_previous_run_whole(tmp_path):
    OutputFolder(tmp_path / "out").write(_write({"a.json": "1", "figure.png": "old"}))
    OutputFolder(tmp_path / "out").write(_write({"a.json": "2"}))  # e.g. --no-figures
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [MARKER, "a.json"]
    assert (tmp_path / "out" / "a.json").read_text() == "2"


@pytest.mark.parametrize("user_file", ["notes.txt", "a.json"])
def test_a_folder_with_the_users_files_is_refused_before_any_work(tmp_path, user_file):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / user_file).write_text("mine")
    with pytest.raises(UserError, match=rf"holds files negsim did not write there \({user_file}\).*--force"):
        OutputFolder(tmp_path / "out")
    assert (tmp_path / "out" / user_file).read_text() == "mine"


def test_a_file_negsim_wrote_and_the_user_changed_is_the_users(tmp_path):
    OutputFolder(tmp_path / "out").write(_write({"a.json": "1"}))
    (tmp_path / "out" / "a.json").write_text("edited by hand")
    with pytest.raises(UserError, match=r"\(a.json\)"):
        OutputFolder(tmp_path / "out")


def test_force_writes_beside_the_users_files(tmp_path):
    OutputFolder(tmp_path / "out").write(_write({"a.json": "1", "figure.png": "old"}))
    (tmp_path / "out" / "notes.txt").write_text("mine")
    OutputFolder(tmp_path / "out", force=True).write(_write({"a.json": "2"}))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [MARKER, "a.json", "notes.txt"]  # the old figure went, the user's notes stayed
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_a_failed_run_leaves_the_folder_as_it_was(tmp_path):
    OutputFolder(tmp_path / "out").write(_write({"a.json": "1"}))

    def fails(stage):
        (stage / "a.json").write_text("half")
        raise RuntimeError("killed half-way")

    with pytest.raises(RuntimeError):
        OutputFolder(tmp_path / "out").write(fails)
    assert (tmp_path / "out" / "a.json").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_staging_folder_of_a_killed_run_is_removed(tmp_path):
    stale = tmp_path / ".out.negsim-999999999-12345-abc"
    stale.mkdir()
    (stale / "a.json").write_text("half")
    OutputFolder(tmp_path / "out").write(_write({"a.json": "1"}))
    assert not stale.exists()


@pytest.mark.parametrize("target", ["", "."])
def test_the_current_folder_is_refused(tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="is the current folder"):
        OutputFolder(target)


def test_a_folder_that_cannot_be_written_fails_before_any_work(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UserError, match="cannot write there"):
        OutputFolder(tmp_path / "afile" / "sub")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_parent_fails_before_any_work(tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(UserError, match="cannot write there"):
            OutputFolder(parent / "out")
    finally:
        parent.chmod(0o755)


def _write_nested(stage):
    (stage / "figures").mkdir()
    (stage / "report.md").write_text("r")
    (stage / "figures" / "a.png").write_text("a")
    return [stage / "report.md", stage / "figures" / "a.png"]


def test_files_in_subfolders_are_ours_and_a_rerun_replaces_them(tmp_path):
    written = OutputFolder(tmp_path / "out").write(_write_nested)  # negsim report writes figures/
    assert written == [tmp_path / "out" / "report.md", tmp_path / "out" / "figures" / "a.png"]
    OutputFolder(tmp_path / "out").write(_write_nested)  # not refused: figures/ holds only negsim's files
    assert (tmp_path / "out" / "figures" / "a.png").read_text() == "a"


def test_a_users_file_inside_a_subfolder_makes_the_folder_the_users(tmp_path):
    OutputFolder(tmp_path / "out").write(_write_nested)
    (tmp_path / "out" / "figures" / "mine.png").write_text("mine")
    with pytest.raises(UserError, match=r"holds files negsim did not write there \(figures\)"):
        OutputFolder(tmp_path / "out")
    OutputFolder(tmp_path / "out", force=True).write(_write_nested)
    assert (tmp_path / "out" / "figures" / "mine.png").read_text() == "mine"
