"""DEU III: the data of EU legislative decisions, read and turned into scenarios (issue #14).

Data: DEU III (Arregui & Perarnaud 2021, "A new dataset on legislative
decision-making in the European Union: the DEU III dataset", *Journal of
European Public Policy*; doi:10.34810/data53), in the tab-separated layout
described in ``../shared/data/README.md``: one header line, one line of
capabilities (GDP, in columns 13-42), then one line per issue with 30 actors'
positions (columns 13-42, 0-100), saliences (43-72, 0-100), the reference
point (73, ``rp``) and the recorded outcome (74, ``out``).

**From an issue to a scenario** (fixed before any score was seen, and the
same for every issue; :func:`issue_scenario`):

* one issue ``issue`` on the scale 0-100, continuous (no grid);
* one party per actor with a position and a salience > 0: capability = GDP,
  salience = s / 100, ideal = position. Actors with no position, or with a
  salience of 0 or none, are left out: a scenario party needs a salience > 0,
  and such an actor has weight 0 in the compromise model as well;
* walk-away value ``DEFAULT_WALKAWAY = 0``: no law is the worst outcome on the
  scale for everyone (every proposal in DEU was adopted); the alternative
  ``walkaway="reference"`` uses ``U_a(reference point)`` where it is recorded;
* patience ``DEFAULT_PATIENCE = 0.95`` (the value the project's scenarios use
  most, a judgement), round limit ``DEFAULT_ROUNDS = 400`` (the zeuthen
  protocol concedes one step of its 401-point frontier per round, so 400
  rounds let it cross the whole frontier), no noise, seed 0;
* the main parties (zeuthen) are the first two parties in file order: the
  Commission and the Parliament when both take part.

A proposal's issues together form one multi-issue scenario
(:func:`proposal_scenario`) for multi-issue protocols such as ``exchange``.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.benchmarks.one_issue import compromise_1d
from sim.core.errors import UserError

__all__ = [
    "DEFAULT_PATIENCE",
    "DEFAULT_ROUNDS",
    "DEFAULT_WALKAWAY",
    "DEU_SOURCE",
    "ISSUE_KEY",
    "SCALE_MAX",
    "SCALE_MIN",
    "DeuData",
    "DeuIssue",
    "by_proposal",
    "issue_key",
    "issue_scenario",
    "proposal_scenario",
    "read_deu",
    "walkaway_values",
]

DEU_SOURCE = (
    "Arregui, J. & Perarnaud, C. (2021), A new dataset on legislative decision-making in the European Union: "
    "the DEU III dataset, Journal of European Public Policy; doi:10.34810/data53"
)
FIRST_ACTOR_COLUMN = 13
N_ACTORS = 30
REFERENCE_COLUMN = FIRST_ACTOR_COLUMN + 2 * N_ACTORS  # 73
OUTCOME_COLUMN = REFERENCE_COLUMN + 1  # 74
N_COLUMNS = OUTCOME_COLUMN + 1
SCALE_MIN, SCALE_MAX = 0.0, 100.0
ISSUE_KEY = "issue"
"""Issue id of the single issue in an issue's scenario."""

DEFAULT_WALKAWAY = 0.0
DEFAULT_PATIENCE = 0.95
DEFAULT_ROUNDS = 400


# --------------------------------------------------------------------------
# Reading the data
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class DeuIssue:
    """One issue of DEU with a recorded outcome.

    Attributes:
        proposal: Proposal id (``prnr``).
        issue: Issue id (``isnr``).
        line: Line of the file (1-based).
        actors: Actor ids (``com``, ``ep``, ``at``, ...), ``(A,)``.
        positions: Positions on 0-100, NaN where the actor took none, ``(A,)``.
        saliences: Saliences on 0-100, NaN where unknown, ``(A,)``.
        capabilities: Capabilities (GDP), ``(A,)``.
        reference: The reference point (status quo), NaN if not recorded.
        outcome: The recorded decision outcome on 0-100.
    """

    proposal: str
    issue: str
    line: int
    actors: tuple[str, ...]
    positions: np.ndarray = field(repr=False)
    saliences: np.ndarray = field(repr=False)
    capabilities: np.ndarray = field(repr=False)
    reference: float
    outcome: float

    @property
    def salience_or_zero(self) -> np.ndarray:
        """Saliences with unknown ones counted as 0 (the compromise model's reading)."""
        return np.nan_to_num(self.saliences)

    @property
    def parties(self) -> np.ndarray:
        """Which actors become scenario parties: a position and a salience > 0, ``(A,)``."""
        return ~np.isnan(self.positions) & (self.salience_or_zero > 0)

    @property
    def compromise(self) -> float:
        """The compromise model ``sum c s x / sum c s`` over actors with a position."""
        return compromise_1d(self.positions, self.capabilities, self.salience_or_zero)


@dataclass(frozen=True)
class DeuData:
    """The readable issues of a DEU file and what was skipped.

    Attributes:
        source: The file.
        actors: Actor ids in column order.
        capabilities: Capabilities from the second line, ``(A,)``.
        issues: Issues with positions and an outcome, in file order.
        skipped: Number of skipped lines by reason.
    """

    source: str
    actors: tuple[str, ...]
    capabilities: np.ndarray = field(repr=False)
    issues: tuple[DeuIssue, ...]
    skipped: dict[str, int]

    @property
    def n_skipped(self) -> int:
        """Total number of skipped issue lines."""
        return sum(self.skipped.values())


def _number(text: str) -> float:
    """A cell as a float: NaN if empty, ValueError if not a finite number."""
    text = text.strip()
    if not text:
        return math.nan
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _check_header(source: str, header: list[str]) -> tuple[str, ...]:
    """The actor ids of a valid header; UserError naming the first wrong column."""
    if len(header) != N_COLUMNS:
        raise UserError.at(
            source, "header", f"must have {N_COLUMNS} tab-separated columns (DEU layout); got {len(header)}"
        )
    names = [h.strip() for h in header]
    for column, expected in ((2, "prnr"), (4, "isnr"), (REFERENCE_COLUMN, "rp"), (OUTCOME_COLUMN, "out")):
        if names[column] != expected:
            raise UserError.at(source, f"header column {column}", f"must be {expected!r}; got {names[column]!r}")
    actors = []
    for k in range(N_ACTORS):
        position = names[FIRST_ACTOR_COLUMN + k]
        salience = names[FIRST_ACTOR_COLUMN + N_ACTORS + k]
        if len(position) < 2 or position[0] != "p":
            raise UserError.at(
                source,
                f"header column {FIRST_ACTOR_COLUMN + k}",
                f"must be a position column p<actor>; got {position!r}",
            )
        if salience != "s" + position[1:]:
            raise UserError.at(
                source,
                f"header column {FIRST_ACTOR_COLUMN + N_ACTORS + k}",
                f"must be the salience column {'s' + position[1:]!r} matching {position!r}; got {salience!r}",
            )
        actors.append(position[1:])
    return tuple(actors)


def _capabilities(source: str, row: list[str], actors: tuple[str, ...]) -> np.ndarray:
    if len(row) < FIRST_ACTOR_COLUMN + N_ACTORS:
        raise UserError.at(source, "line 2 (capabilities)", f"must have {N_COLUMNS} columns; got {len(row)}")
    values = []
    for k, actor in enumerate(actors):
        cell = row[FIRST_ACTOR_COLUMN + k]
        try:
            value = _number(cell)
        except ValueError:
            value = math.nan
        if not value >= 0:
            raise UserError.at(
                source, f"line 2 (capabilities), column p{actor}", f"must be a number >= 0; got {cell!r}"
            )
        values.append(value)
    return np.array(values)


def read_deu(path: str | Path) -> DeuData:
    """Read a DEU file in the tab-separated layout of the module docstring.

    Lines that cannot be used are skipped and counted by reason, never fatal:
    a wrong number of columns, a missing proposal or issue id, a cell that is
    not a number or lies outside 0-100, no actor with a position, or no
    recorded outcome.

    Args:
        path: The file.

    Returns:
        The issues with positions and an outcome, and the counts of skipped lines.

    Raises:
        UserError: If the file is missing or unreadable, or its header or
            capability line does not follow the layout (one line naming the
            file, the field and what is allowed).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError.at(source, "", "file not found; give a DEU tab-separated file") from None
    except UnicodeDecodeError:
        raise UserError.at(source, "", "not UTF-8 text; give a DEU tab-separated file") from None
    except OSError as exc:
        raise UserError.at(source, "", f"cannot read ({exc.strerror}); give a readable DEU file") from None
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    if not rows:
        raise UserError.at(source, "header", f"missing; the first line must name the {N_COLUMNS} DEU columns")
    actors = _check_header(source, rows[0])
    if len(rows) < 2:
        raise UserError.at(source, "line 2 (capabilities)", "missing; the second line must hold the capabilities")
    capabilities = _capabilities(source, rows[1], actors)
    skipped: Counter[str] = Counter()
    issues = []
    for line, row in enumerate(rows[2:], start=3):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != N_COLUMNS:
            skipped["wrong number of columns"] += 1
            continue
        proposal, issue_id = row[2].strip(), row[4].strip()
        if not proposal or not issue_id:
            skipped["missing proposal or issue id"] += 1
            continue
        try:
            numbers = np.array([_number(cell) for cell in row[FIRST_ACTOR_COLUMN:N_COLUMNS]])
        except ValueError:
            skipped["value not a number"] += 1
            continue
        present = numbers[~np.isnan(numbers)]
        if np.any((present < SCALE_MIN) | (present > SCALE_MAX)):
            skipped["value outside 0-100"] += 1
            continue
        positions = numbers[:N_ACTORS]
        saliences = numbers[N_ACTORS : 2 * N_ACTORS]
        reference, outcome = numbers[2 * N_ACTORS], numbers[2 * N_ACTORS + 1]
        if np.all(np.isnan(positions)):
            skipped["no positions"] += 1
            continue
        if math.isnan(outcome):
            skipped["missing outcome"] += 1
            continue
        issues.append(
            DeuIssue(
                proposal=proposal,
                issue=issue_id,
                line=line,
                actors=actors,
                positions=positions,
                saliences=saliences,
                capabilities=capabilities,
                reference=float(reference),
                outcome=float(outcome),
            )
        )
    return DeuData(source, actors, capabilities, tuple(issues), dict(skipped))


def by_proposal(issues: Sequence[DeuIssue]) -> dict[str, list[int]]:
    """Indices of the issues of each proposal, in file order."""
    groups: dict[str, list[int]] = {}
    for k, issue in enumerate(issues):
        groups.setdefault(issue.proposal, []).append(k)
    return groups


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------
def walkaway_values(issue: DeuIssue, walkaway: float | str) -> np.ndarray:
    """Walk-away utility per actor: a number for everyone, or ``U_a(reference point)``."""
    if walkaway == "reference":
        if math.isnan(issue.reference):
            return np.full(len(issue.actors), DEFAULT_WALKAWAY)
        return 1.0 - np.abs(issue.reference - issue.positions) / (SCALE_MAX - SCALE_MIN)
    if isinstance(walkaway, str):
        raise ValueError(f"walkaway must be a number in [0, 1] or 'reference'; got {walkaway!r}")
    return np.full(len(issue.actors), float(walkaway))


def _scenario_header(name: str, title: str, rounds: int) -> dict[str, Any]:
    return {"name": name, "title": title, "rounds": rounds, "seed": 0, "sources": [DEU_SOURCE]}


def issue_scenario(
    issue: DeuIssue,
    walkaway: float | str = DEFAULT_WALKAWAY,
    patience: float = DEFAULT_PATIENCE,
    rounds: int = DEFAULT_ROUNDS,
) -> dict[str, Any]:
    """The scenario dict of one issue (validate it with :func:`sim.scenario_from_dict`).

    Args:
        issue: The issue.
        walkaway: Every party's walk-away value, or ``"reference"`` for the
            utility of the reference point where recorded (else the default).
        patience: Every party's patience.
        rounds: The round limit.

    Returns:
        Scenario data with one issue (``"issue"``, 0-100) and one party per
        actor with a position and a salience > 0.
    """
    walk = walkaway_values(issue, walkaway)
    parties = {}
    for a in np.flatnonzero(issue.parties):
        parties[issue.actors[a]] = {
            "name": issue.actors[a],
            "capability": float(issue.capabilities[a]),
            "patience": float(patience),
            "walkaway": float(np.clip(walk[a], 0.0, 1.0)),
            "ideal": {ISSUE_KEY: float(issue.positions[a])},
            "salience": {ISSUE_KEY: float(issue.salience_or_zero[a]) / 100.0},
        }
    return {
        "scenario": _scenario_header(f"deu-{issue.issue}", f"DEU {issue.proposal} {issue.issue}", rounds),
        "issues": {ISSUE_KEY: {"label": issue.issue, "min": SCALE_MIN, "max": SCALE_MAX}},
        "parties": parties,
    }


def issue_key(issue: DeuIssue, k: int) -> str:
    """The issue's id in a proposal's scenario: its DEU id made an identifier (else ``issue_<k>``)."""
    key = "".join(ch if ch.isalnum() else "_" for ch in issue.issue)
    return key if key and not key[0].isdigit() else f"issue_{k}"


def proposal_scenario(
    issues: Sequence[DeuIssue],
    walkaway: float | str = DEFAULT_WALKAWAY,
    patience: float = DEFAULT_PATIENCE,
    rounds: int = DEFAULT_ROUNDS,
) -> dict[str, Any]:
    """The multi-issue scenario dict of a proposal's issues.

    A party for every actor with a position and a salience > 0 on at least
    one issue. On an issue where it has none of these, its salience is 0 (it
    does not care) and its ideal is that issue's compromise, a placeholder
    that no utility and no weight depends on. Walk-away values on
    ``"reference"`` are the mean over the actor's issues of ``U(reference)``.

    Args:
        issues: The issues of one proposal.
        walkaway: As for :func:`issue_scenario`.
        patience: Every party's patience.
        rounds: The round limit.

    Returns:
        Scenario data, issues keyed by their DEU issue id.
    """
    if not issues:
        raise ValueError("a proposal needs at least one issue")
    keys = [issue_key(issue, k) for k, issue in enumerate(issues)]
    takes_part = np.array([issue.parties for issue in issues])  # (I, A)
    walk = np.array([walkaway_values(issue, walkaway) for issue in issues])  # (I, A)
    parties = {}
    first = issues[0]
    for a in np.flatnonzero(takes_part.any(axis=0)):
        ideal, salience = {}, {}
        for key, issue, part in zip(keys, issues, takes_part[:, a], strict=True):
            ideal[key] = float(issue.positions[a]) if part else issue.compromise
            salience[key] = float(issue.salience_or_zero[a]) / 100.0 if part else 0.0
        parties[first.actors[a]] = {
            "name": first.actors[a],
            "capability": float(first.capabilities[a]),
            "patience": float(patience),
            "walkaway": float(np.clip(walk[takes_part[:, a], a].mean(), 0.0, 1.0)),
            "ideal": ideal,
            "salience": salience,
        }
    return {
        "scenario": _scenario_header(f"deu-{first.proposal}", f"DEU {first.proposal}", rounds),
        "issues": {
            key: {"label": issue.issue, "min": SCALE_MIN, "max": SCALE_MAX}
            for key, issue in zip(keys, issues, strict=True)
        },
        "parties": parties,
    }
