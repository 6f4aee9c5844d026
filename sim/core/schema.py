"""The allowed values of every number, name, text and size a user can give, in one place.

A :class:`Domain` is a range of allowed numbers with the sentence that says
it ("a number in [0, 1]"). The scenario validator, the sweep slots, the
experiment files and the command-line flags all check values against these
domains and print the same sentence, so a rule and its message change in one
place.

Every count and size has an upper bound here too (:data:`LIMITS`), checked
before anything is allocated: rounds, runs, grid points, issues and parties,
string lengths, file size, nesting depth. ``docs/limits.md`` is generated
from this module (:func:`limits_markdown`; a test compares the two).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.errors import CONTROL_CHARACTERS, printable

__all__ = [
    "BATTLEFIELD_NUMBERS",
    "BENCH_RUNS",
    "BIAS",
    "CAPABILITY",
    "CHUNK_SIZE",
    "COORDINATE",
    "COORDINATE_BOUND",
    "COUNT",
    "CURVATURE",
    "DISCOUNT",
    "DRIFT",
    "Domain",
    "HEADER_NUMBERS",
    "HEADER_PARTY_NUMBERS",
    "LIMITS",
    "Limit",
    "MAX_CHUNK",
    "MAX_POINTS",
    "MAX_ROUNDS",
    "MAX_RUNS",
    "MAX_SEED",
    "MAX_WORKERS",
    "MEGABYTES",
    "MINUTES",
    "NOISE",
    "NON_NEGATIVE",
    "PARTY_ISSUE_NUMBERS",
    "PARTY_NUMBERS",
    "PATH_ROUND",
    "POINTS",
    "PORT",
    "POSITIVE",
    "REAL",
    "RISK",
    "ROUND",
    "ROUNDS",
    "RUNS",
    "SEED",
    "SENSITIVITY",
    "SHARE",
    "SHOWN_CHARS",
    "SIZE",
    "STEEPNESS",
    "STEP",
    "STEPPED_RUNS",
    "STRATEGIES",
    "SWEEP_LIMITS",
    "SweepLimit",
    "UNIT",
    "WALKOUT",
    "WORKERS",
    "control_characters",
    "issue_domain",
    "limit",
    "limits_markdown",
    "parse_integer",
    "shown",
    "strategy_names",
]

MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Domain:
    """Allowed numbers: ``low <= x <= high`` (open ends where said), optionally integers.

    Attributes:
        allowed: What a message says is allowed, e.g. ``"a number in [0, 1]"``.
        low: Lowest allowed value (None: unbounded).
        high: Highest allowed value (None: unbounded).
        low_open: Whether ``low`` itself is excluded.
        high_open: Whether ``high`` itself is excluded.
        integer: Whether only integers are allowed.
    """

    allowed: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def contains(self, value: Any) -> bool:
        """Whether one value is allowed (booleans are not numbers; NaN and inf are never allowed)."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if isinstance(value, int):
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                return False
            if abs(value) > 2**1000:  # does not fit a float
                return False
        if not math.isfinite(value):
            return False
        return bool(self.mask(np.asarray(value, dtype=float)))

    def mask(self, values: np.ndarray) -> np.ndarray:
        """Which of an array of numbers are allowed (vectorised)."""
        values = np.asarray(values, dtype=float)
        ok = np.isfinite(values)
        if self.low is not None:
            ok &= values > self.low if self.low_open else values >= self.low
        if self.high is not None:
            ok &= values < self.high if self.high_open else values <= self.high
        if self.integer:
            ok &= values == np.round(values)
        return ok

    def message(self, got: Any) -> str:
        """``"must be <allowed>; got <got>"`` (``got`` shortened and escaped)."""
        return f"must be {self.allowed}; got {got if isinstance(got, str) else shown(got)}"


def issue_domain(low: float, high: float) -> Domain:
    """Positions on an issue: ``[min, max]`` of its scale."""
    return Domain(f"a number in [{low:g}, {high:g}] (the issue's min..max)", low=low, high=high)


# --- numbers -----------------------------------------------------------------

REAL = Domain("a finite number")
NON_NEGATIVE = Domain("a number >= 0", low=0.0)
POSITIVE = Domain("a number > 0", low=0.0, low_open=True)
UNIT = Domain("a number in [0, 1]", low=0.0, high=1.0)
DISCOUNT = Domain("a number in (0, 1]", low=0.0, high=1.0, low_open=True)
SHARE = DISCOUNT

COORDINATE_BOUND = 1e12
COORDINATE = Domain("a number in [-1e12, 1e12]", low=-COORDINATE_BOUND, high=COORDINATE_BOUND)
"""Issue scales and positions on them (issue min/max, ideals, red lines, openings, no-deal paths)."""
DRIFT = Domain("a number in [-1, 1] (utility per round)", low=-1.0, high=1.0)
CAPABILITY = Domain("a number in [0, 1e6]", low=0.0, high=1e6)
BIAS = CAPABILITY
NOISE = UNIT
CURVATURE = Domain("a number in [0.01, 100]", low=0.01, high=100.0)
STEEPNESS = Domain("a number in (0, 1e6]", low=0.0, high=1e6, low_open=True)
SIZE = Domain("a number in [0, 1e12]", low=0.0, high=COORDINATE_BOUND)
"""Lengths in issue units (a red line's softening per round)."""
STEP = Domain("a number in (0, 1e12]", low=0.0, high=COORDINATE_BOUND, low_open=True)
"""An issue's grid step, in its units."""

MAX_ROUNDS = 10_000
ROUNDS = Domain(f"an integer in [1, {MAX_ROUNDS:_}]", low=1, high=MAX_ROUNDS, integer=True)
ROUND = Domain(f"an integer in [0, {MAX_ROUNDS:_}]", low=0, high=MAX_ROUNDS, integer=True)
"""A round number (a coalition's first round)."""
PATH_ROUND = Domain(f"a number in [0, {MAX_ROUNDS:_}], increasing", low=0, high=MAX_ROUNDS)
"""The round of a point of a walk-away or no-deal path."""
MAX_RUNS = 10**9
RUNS = Domain(f"an integer in [1, {MAX_RUNS:_}]", low=1, high=MAX_RUNS, integer=True)
COUNT = RUNS
MAX_CHUNK = 1_000_000
CHUNK_SIZE = Domain(f"an integer in [1, {MAX_CHUNK:_}]", low=1, high=MAX_CHUNK, integer=True)
MAX_POINTS = 10_000
POINTS = Domain(f"an integer in [2, {MAX_POINTS:_}]", low=2, high=MAX_POINTS, integer=True)
MAX_WORKERS = 256
WORKERS = Domain(f"an integer in [1, {MAX_WORKERS}]", low=1, high=MAX_WORKERS, integer=True)
BENCH_RUNS = Domain("an integer in [1, 1_000_000]", low=1, high=1_000_000, integer=True)
"""``negsim bench --runs`` (one batch of this many rows in memory at once)."""
STEPPED_RUNS = Domain("an integer in [1, 10_000]", low=1, high=10_000, integer=True)
MINUTES = Domain("an integer in [1, 525_600] (a year)", low=1, high=525_600, integer=True)
MEGABYTES = Domain("an integer in [1, 1_000_000_000]", low=1, high=10**9, integer=True)
SEED = Domain("an integer in [0, 2**63 - 1]", low=0, high=MAX_SEED, integer=True)
PORT = Domain("an integer in 0..65535", low=0, high=65535, integer=True)
RISK = Domain("a number in [0, 1)", low=0.0, high=1.0, high_open=True)
"""A probability per round that must leave some chance to go on (breakdown) or a lean short of total."""
WALKOUT = Domain(f"an integer in [0, {MAX_ROUNDS:_}] (0: never)", low=0, high=MAX_ROUNDS, integer=True)
SENSITIVITY = Domain("a number in [-100, 100]", low=-100.0, high=100.0)
"""A walk-away's change per full span of front-line movement."""


PARTY_NUMBERS: dict[str, tuple[str, Domain]] = {
    "capability": ("capability", CAPABILITY),
    "patience": ("patience", DISCOUNT),
    "walkaway": ("walkaways.start", UNIT),
    "walkaway_drift": ("walkaways.drift", DRIFT),
    "front_sensitivity": ("walkaways.front_sensitivity", SENSITIVITY),
    "walkout_after": ("walkaways.walkout_after", WALKOUT),
}
"""Per-party numbers with a kernel slot: file key -> (KernelParams field, domain)."""

PARTY_ISSUE_NUMBERS: dict[str, tuple[str, Domain]] = {
    "salience": ("prefs.salience", UNIT),
    "curvature": ("prefs.curvature", CURVATURE),
}
"""Per-party, per-issue numbers (not positions) with a kernel slot."""

HEADER_PARTY_NUMBERS: dict[str, tuple[str, Domain]] = {
    "mediator_bias": ("mediation.bias", BIAS),
    "mediator_lean": ("mediation.lean", RISK),
}
"""``[scenario]`` tables of per-party numbers with a kernel slot."""

HEADER_NUMBERS: dict[str, tuple[str, Domain]] = {
    "noise": ("mediation.noise", NOISE),
    "mediator_misperception": ("mediation.misperception", UNIT),
    "breakdown_risk": ("breakdown_risk", RISK),
    "rounds": ("rounds", ROUNDS),
}
"""``[scenario]`` numbers with a kernel slot."""

BATTLEFIELD_NUMBERS: dict[str, tuple[str, Domain, str]] = {
    "start": ("front.start", COORDINATE, "position"),
    "drift": ("front.drift", COORDINATE, "distance"),
    "volatility": ("front.volatility", SIZE, "distance"),
    "jump_rate": ("front.jump_rate", UNIT, "number"),
    "jump_size": ("front.jump_size", COORDINATE, "distance"),
}
"""``[battlefield]`` numbers: key -> (kernel field, domain, unit): a position on the front's issue, a distance
along it (issue units, scaled by the span in the kernel), or a plain number."""

STRATEGIES = ("linear", "boulware", "conceder", "tit_for_tat", "equilibrium")
"""Strategy names of the alternating protocol; a party's code in the kernel is its index here."""


def strategy_names() -> list[str]:
    """The strategy names a scenario may use."""
    return list(STRATEGIES)


# --- sizes -------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """An upper bound on a count or a size.

    Attributes:
        key: Its name in :data:`LIMITS`.
        value: The bound.
        what: What is counted (for messages and docs): ``"issues in a scenario"``.
        unit: The unit of ``value`` (``"characters"``, ``"bytes"``, ...).
    """

    key: str
    value: int
    what: str
    unit: str = ""

    def message(self, got: Any) -> str:
        """``"must have at most <value> <unit> (<what>); got <got>"``."""
        unit = f" {self.unit}" if self.unit else ""
        got = f"{got:,}" if isinstance(got, int) else got
        return f"must have at most {self.value:,}{unit} ({self.what}); got {got}"


_LIMITS = (
    Limit("file_bytes", 1_048_576, "size of a scenario or experiment file", "bytes"),
    Limit("depth", 10, "nesting of tables and lists in a file", "levels"),
    Limit("name_chars", 64, "names and ids: scenario, experiment, party and issue ids", "characters"),
    Limit("text_chars", 200, "titles, labels, units, party names, level names", "characters"),
    Limit("source_chars", 2_000, "one entry of sources, a file path", "characters"),
    Limit("issues", 50, "issues in a scenario"),
    Limit("parties", 50, "parties in a scenario"),
    Limit("coalitions", 50, "coalitions in a scenario"),
    Limit("sources", 200, "entries of sources"),
    Limit("events", 1_000, "events of a scenario"),
    Limit("levels", 1_000, "labelled levels of one issue"),
    Limit("path_points", MAX_ROUNDS + 1, "[round, value] points of a no-deal or walk-away path"),
    Limit("grid_points", 1_000_000, "grid points of one issue: (max - min) / step + 1"),
    Limit("parameters", 50, "parameters varied by one experiment"),
    Limit("values", MAX_POINTS, "values listed for one parameter"),
    Limit("scenarios", 20, "scenarios compared at once"),
)
LIMITS: dict[str, Limit] = {item.key: item for item in _LIMITS}
"""Every bound on a count or a size, by key."""


def limit(key: str) -> Limit:
    """The bound named ``key``."""
    return LIMITS[key]


@dataclass(frozen=True)
class SweepLimit:
    """A limit on a sweep's estimated cost that the user can raise with a flag.

    Attributes:
        flag: The ``negsim sweep`` flag that raises it.
        default: The default.
        what: What is limited.
        unit: Its unit.
    """

    flag: str
    default: int
    what: str
    unit: str


SWEEP_LIMITS = {
    "runs": SweepLimit("--max-runs", 10_000_000, "runs in one sweep (rows of the design)", "runs"),
    "minutes": SweepLimit("--max-minutes", 60, "estimated computing time of a sweep", "minutes"),
    "memory": SweepLimit("--max-memory", 4_096, "estimated peak memory of a sweep (driver and workers)", "MB"),
}
"""The limits a sweep is checked against before it starts; ``negsim sweep --max-... N`` raises them."""


# --- text --------------------------------------------------------------------


def control_characters(text: str) -> bool:
    """Whether ``text`` holds control characters (terminal escapes, newlines, bidi overrides)."""
    return bool(CONTROL_CHARACTERS.search(text)) or any(unicodedata.category(c) == "Cc" for c in text)


SHOWN_CHARS = 60
"""Longest value quoted in a message (longer ones are cut with ``...``)."""


def shown(value: Any, width: int = SHOWN_CHARS) -> str:
    """A value for a message: its ``repr``, control characters escaped, cut to ``width`` characters."""
    try:
        if isinstance(value, str) and len(value) > 4 * width:
            value = value[: 4 * width]
        if isinstance(value, dict | list | tuple) and len(value) > width:
            value = type(value)(list(value.items())[:width]) if isinstance(value, dict) else type(value)(value[:width])
        text = repr(value)
    except (RecursionError, ValueError):  # deeply nested, or an int too long to print
        text = f"<{type(value).__name__}>"
    return printable(text, width)


_INTEGER = re.compile(r"-?[0-9]{1,30}")


def parse_integer(text: str, domain: Domain) -> int:
    """A command-line integer: ASCII digits only (no spaces, ``_``, other scripts), inside ``domain``.

    Raises:
        ValueError: With the domain's message.
    """
    if not isinstance(text, str) or not _INTEGER.fullmatch(text):
        raise ValueError(domain.message(text if not isinstance(text, str) else shown(text)))
    value = int(text)
    if not domain.contains(value):
        raise ValueError(domain.message(value if abs(value) < 10**24 else shown(text)))
    return value


def limits_markdown() -> str:
    """The tables of ``docs/limits.md``: every bound of this module."""
    numbers = [
        ("scenario.rounds, --rounds", ROUNDS),
        ("coalitions.*.from_round", ROUND),
        ("the round of a walkaway_path / no_deal_path point", PATH_ROUND),
        ("issue min and max, ideals, red lines, openings, win-set bounds, no-deal paths", COORDINATE),
        ("issues.*.step", STEP),
        ("red_lines.*.soften", SIZE),
        ("capability", CAPABILITY),
        ("scenario.mediator_bias.*", BIAS),
        ("scenario.noise", NOISE),
        ("walkaway_drift", DRIFT),
        ("curvature", CURVATURE),
        ("ratification.logistic.steepness", STEEPNESS),
        ("scenario.breakdown_risk, scenario.mediator_lean.*", RISK),
        ("walkout_after", WALKOUT),
        ("front_sensitivity", SENSITIVITY),
        ("battlefield.volatility (issue units per round)", SIZE),
        ("battlefield.jump_rate, scenario.mediator_misperception", UNIT),
        ("events.*.round", ROUNDS),
        ("experiment.runs (and the rows of a design)", RUNS),
        ("experiment.chunk_size", CHUNK_SIZE),
        ("points of a grid parameter", POINTS),
        ("negsim sweep --workers, --blas-threads", WORKERS),
        ("negsim sweep --max-runs", RUNS),
        ("negsim sweep --max-minutes", MINUTES),
        ("negsim sweep --max-memory (MB)", MEGABYTES),
        ("negsim bench --runs", BENCH_RUNS),
        ("negsim bench --stepped-runs", STEPPED_RUNS),
        ("seeds", SEED),
    ]
    lines = ["| value | allowed |", "| --- | --- |"]
    lines += [f"| {where} | {domain.allowed} |" for where, domain in numbers]
    lines += ["", "| bound | at most |", "| --- | --- |"]
    lines += [f"| {item.what} | {item.value:,}{' ' + item.unit if item.unit else ''} |" for item in _LIMITS]
    lines += ["", "| sweep limit | default | raise with |", "| --- | --- | --- |"]
    lines += [f"| {s.what} | {s.default:,} {s.unit} | `{s.flag}` |" for s in SWEEP_LIMITS.values()]
    return "\n".join(lines) + "\n"
