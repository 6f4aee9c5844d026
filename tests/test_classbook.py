"""The class's runs in SQLite (sim.ui.classbook): stored, read back after a restart, archived by a new class."""

from __future__ import annotations

from sim.ui.classbook import Classbook, Entry


def _entry(who: str, **kw) -> Entry:
    base = dict(
        who=who,
        kind="run",
        scenario="geneva-2025-11",
        protocol="mediated",
        seed=7,
        settings={"parties.ukraine.walkaway": 0.61},
        seat=None,
        deal={"army_cap": 700.0},
        round=18,
        ended_by="deal",
        utilities={"russia": 0.57, "ukraine": 0.5},
        file="# a scenario\n",
    )
    base.update(kw)
    return Entry(**base)


def test_entries_survive_a_restart_and_a_new_class_archives_the_old(tmp_path):
    path = tmp_path / "results" / "classroom.sqlite"
    book = Classbook(path)  # created on first use, folder included
    assert path.exists()
    first, name = book.current()
    book.add(_entry("Ana"))
    book.add(_entry("Ben", kind="session", seat="ukraine", deal=None, ended_by="round_limit"))
    book.close()

    again = Classbook(path)  # the page restarted
    assert again.current() == (first, name)
    entries = again.entries()
    assert [e.who for e in entries] == ["Ana", "Ben"]
    assert entries[0].settings == {"parties.ukraine.walkaway": 0.61} and entries[0].deal == {"army_cap": 700.0}
    assert entries[1].deal is None and entries[1].seat == "ukraine" and entries[1].kind == "session"

    new_id, new_name = again.new_class()
    assert new_id != first and new_name == "class 2"
    assert again.entries() == []
    assert [e.who for e in again.entries(first)] == ["Ana", "Ben"]  # archived, not lost
    assert [c[3] is not None for c in again.classes()] == [True, False]
