"""The class's runs in one embedded SQLite file: what every student's tab sent, for the teacher's view.

``negsim ui --class`` keeps the class in ``results/classroom.sqlite`` (created
on first use; no server to install). A student's tab sends a run (the
sliders' settings and what came of them) or a played session (a seat, every
move); the teacher's page (``/class``) shows every entry of the current
class on one utility plane and in one table. "New class" archives the
current class (its entries stay in the file, under the old class) and starts
an empty one, so a class survives a restart of the page and nothing is lost.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["CLASS_DB", "Classbook", "Entry"]

CLASS_DB = Path("results") / "classroom.sqlite"
"""Where ``negsim ui --class`` keeps the class (relative to where it was started)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    started TEXT NOT NULL,
    archived TEXT
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    class_id INTEGER NOT NULL REFERENCES classes(id),
    who TEXT NOT NULL,
    kind TEXT NOT NULL,
    scenario TEXT NOT NULL,
    protocol TEXT NOT NULL,
    seed INTEGER NOT NULL,
    settings TEXT NOT NULL,
    seat TEXT,
    deal TEXT,
    round INTEGER,
    ended_by TEXT NOT NULL,
    utilities TEXT NOT NULL,
    file TEXT NOT NULL,
    created TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    """One run or session a student sent to the class.

    Attributes:
        who: The name the student typed.
        kind: ``"run"`` (sliders) or ``"session"`` (played in a seat).
        scenario: The scenario's name.
        protocol: Protocol name.
        seed: Seed of the run.
        settings: Values set away from the file, ``{path: value}``.
        seat: The party the student played (sessions only).
        deal: The deal by issue in the issues' units (None without one).
        round: Round of the deal (or of the end without one).
        ended_by: How the run ended (``deal``, ``round_limit``, ...).
        utilities: Each party's utility of the deal (its walk-away value without one).
        file: The saved scenario or session file (TOML), to open or replay.
        id: Row id (0 before it is stored).
        created: When it was stored (UTC, ISO 8601).
    """

    who: str
    kind: str
    scenario: str
    protocol: str
    seed: int
    settings: dict[str, Any]
    seat: str | None
    deal: dict[str, float] | None
    round: int | None
    ended_by: str
    utilities: dict[str, float]
    file: str
    id: int = 0
    created: str = field(default="")


class Classbook:
    """The class's runs in an SQLite file (one connection shared by the server's threads, behind a lock).

    Args:
        path: The database file (its folder is created on first use).
    """

    def __init__(self, path: str | Path = CLASS_DB) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)
            if self._db.execute("SELECT COUNT(*) FROM classes WHERE archived IS NULL").fetchone()[0] == 0:
                self._db.execute("INSERT INTO classes (name, started) VALUES (?, ?)", ("class 1", _now()))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def current(self) -> tuple[int, str]:
        """The current class: ``(id, name)``."""
        with self._lock:
            row = self._db.execute("SELECT id, name FROM classes WHERE archived IS NULL ORDER BY id DESC").fetchone()
        return int(row[0]), str(row[1])

    def classes(self) -> list[tuple[int, str, str, str | None]]:
        """Every class, oldest first: ``(id, name, started, archived)``."""
        with self._lock:
            return [tuple(r) for r in self._db.execute("SELECT id, name, started, archived FROM classes ORDER BY id")]

    def add(self, entry: Entry) -> int:
        """Store an entry in the current class; returns its id."""
        class_id, _ = self.current()
        values = (
            class_id,
            entry.who,
            entry.kind,
            entry.scenario,
            entry.protocol,
            int(entry.seed),
            json.dumps(entry.settings, sort_keys=True),
            entry.seat,
            None if entry.deal is None else json.dumps(entry.deal),
            entry.round,
            entry.ended_by,
            json.dumps(entry.utilities),
            entry.file,
            _now(),
        )
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO entries (class_id, who, kind, scenario, protocol, seed, settings, seat, deal, round, "
                "ended_by, utilities, file, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        return int(cursor.lastrowid)

    def entries(self, class_id: int | None = None) -> list[Entry]:
        """The entries of a class (default: the current one), oldest first."""
        if class_id is None:
            class_id, _ = self.current()
        with self._lock:
            rows = self._db.execute(
                "SELECT who, kind, scenario, protocol, seed, settings, seat, deal, round, ended_by, utilities, file, "
                "id, created FROM entries WHERE class_id = ? ORDER BY id",
                (class_id,),
            ).fetchall()
        return [
            Entry(
                who=r[0],
                kind=r[1],
                scenario=r[2],
                protocol=r[3],
                seed=int(r[4]),
                settings=json.loads(r[5]),
                seat=r[6],
                deal=None if r[7] is None else json.loads(r[7]),
                round=r[8],
                ended_by=r[9],
                utilities=json.loads(r[10]),
                file=r[11],
                id=int(r[12]),
                created=r[13],
            )
            for r in rows
        ]

    def new_class(self, name: str | None = None) -> tuple[int, str]:
        """Archive the current class (its entries are kept) and start an empty one; returns ``(id, name)``."""
        old, _ = self.current()
        with self._lock, self._db:
            self._db.execute("UPDATE classes SET archived = ? WHERE id = ?", (_now(), old))
            count = self._db.execute("SELECT COUNT(*) FROM classes").fetchone()[0]
            self._db.execute(
                "INSERT INTO classes (name, started) VALUES (?, ?)", (name or f"class {count + 1}", _now())
            )
        return self.current()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
