"""A bad-input corpus: Hypothesis strategies that break the shipped files and flags, and a runner.

Each case is a folder of files (a mutated copy of a shipped scenario or
experiment, broken bytes, a damaged results folder) and a ``negsim`` command
line. The property (``tests/test_bad_inputs.py``): every case ends in exit 0
with a valid result, or exit 2 with one line per problem naming the file or
flag and the field; never a traceback, never past the time or memory bound.

Mutations: values of the wrong type, out of range, NaN and inf, huge and tiny
numbers, missing and unknown keys, references to unknown parties and issues,
nesting, encodings, sizes, and the issue-16 cases (swept values past the
scenario's rules, control characters, strict integers, outputs over user
files, garbage manifests and chunks, scheduler addresses).

Commands:

* the CI run draws a small corpus: ``pytest tests/test_bad_inputs.py``;
* the large corpus is opt-in: ``NEGSIM_CORPUS=1000 pytest -q tests/test_bad_inputs.py``;
* a tally by category (no stop at the first failure), the same cases for two trees:
  ``PYTHONPATH=<tree> python tests/bad_inputs.py --cases 1000 --corpus corpus.pickle``
  (add ``--strip=--max-minutes`` for a tree without that flag).
"""

from __future__ import annotations

import copy
import json
import math
import os
import pickle
import re
import resource
import shutil
import signal
import sys
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.toml"))
GENEVA = ROOT / "scenarios" / "geneva-2025-11.toml"

TIME_BOUND_S = 90.0
"""A case running longer is a hang (the sweep cases pass --max-minutes 1)."""
MEMORY_BOUND_MB = 2500.0
"""A case whose peak resident memory exceeds this broke a memory bound (the harness itself takes ~300 MB)."""
LINE_CHARS = 1_300
"""The longest error line allowed (messages cut long values)."""

CATEGORIES = {
    "sweeps": "1 sweeps run what the validator rejects",
    "outputs": "3 user files overwritten or inconsistent",
    "bounds": "4 no upper bounds",
    "tracebacks": "5 other tracebacks",
    "nonsense": "6 nonsense accepted",
    "messages": "7 messages",
    "fuzz": "random mutations",
}


@dataclass
class Case:
    """One bad input: files, a command line, and what must happen.

    Attributes:
        category: Key of :data:`CATEGORIES`.
        what: The mutation, in words.
        argv: The ``negsim`` arguments.
        files: Relative path -> bytes, written into the case's folder.
        expect: ``"error"`` (must exit 2) or ``"any"`` (exit 0 with a valid result, or 2).
        untouched: Files that must keep their bytes (user files beside an output).
    """

    category: str
    what: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    expect: str = "any"
    untouched: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Case({self.category}: {self.what}; argv={self.argv})"


# --- values ------------------------------------------------------------------------------------------------------

NUMBERS = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    1e-308,
    5e-324,
    0,
    -0.0,
    -1,
    1,
    0.5,
    2,
    1e6,
    1e9,
    1e12,
    1e15,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    10**30,
    -(2**63),
]
STRINGS = [
    "",
    " ",
    "yes",
    "true",
    "1",
    "x",
    "\u0663",
    "a\nb",
    "\x1b[31mred\x1b[0m",
    "$\\frac{$",
    "$x^2$",
    "../../etc",
    "a b",
    "\u00e9t\u00e9",
    "\u202eevil",
    "x" * 300,
    "x" * 5000,
    "nul\x00here",
]
OTHERS: list[Any] = [True, False, [], [1, 2], ["a"], {}, {"low": 0, "high": 1}, {"low": 1, "high": 0}, {"a": 1}]
FLAG_VALUES = [
    " 7 ",
    "1_000",
    "\u0663",
    "7",
    "-1",
    "0",
    "1e3",
    "99999999999999999999",
    "",
    "\x1b[31m",
    "x" * 5000,
    "0x10",
    "+5",
    "5.0",
    "2",
]


def nasty_values() -> st.SearchStrategy:
    """A bad value (a fresh copy: cases go on to change the tables they are put in)."""
    return st.one_of(st.sampled_from(NUMBERS), st.sampled_from(STRINGS), st.sampled_from(OTHERS)).map(copy.deepcopy)


def sane_numbers() -> st.SearchStrategy:
    return st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.5, 2.0, -0.01, 10.0, 85.0, 600.0, 1000.0])


# --- tables ------------------------------------------------------------------------------------------------------


def _load(path: Path) -> dict:
    return tomllib.loads(path.read_text())


def leaves(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a table (tables, lists and leaves)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += leaves(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += leaves(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple) -> Any:
    node = data
    for key in path[:-1]:
        node = node[key]
    return node


def set_at(data: dict, path: tuple, value: Any) -> None:
    """Set ``path`` in ``data``, creating missing tables on the way (a scenario need not have every table: the
    recalibrated Geneva file of issue #15 has ``mediator_lean`` and no ``mediator_bias``)."""
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[path[-1]] = value


def delete_at(data: dict, path: tuple) -> None:
    parent = _parent(data, path)
    del parent[path[-1]]


def toml_bytes(data: dict) -> bytes:
    try:
        return tomli_w.dumps(data).encode()
    except (TypeError, ValueError):  # e.g. a list mixing tables and numbers: write something close
        return tomli_w.dumps(json.loads(json.dumps(data, default=str))).encode()


@st.composite
def mutated_tables(draw, data: dict, ids: dict) -> tuple[dict, str]:
    """1-3 random mutations of a file's tables: set, delete, add, point at unknown ids."""
    data = copy.deepcopy(data)
    notes = []
    for _ in range(draw(st.integers(1, 3))):
        paths = leaves(data)
        op = draw(st.sampled_from(["set", "set", "nudge", "nudge", "nudge", "delete", "add", "reference"]))
        numbers = [p for p in paths if isinstance(_get(data, p), int | float) and not isinstance(_get(data, p), bool)]
        if op == "nudge" and numbers:  # a plausible change: often still a valid file, so the run must succeed
            path = draw(st.sampled_from(numbers))
            old = _get(data, path)
            value = old * draw(st.sampled_from([0, 0.5, 0.9, 1.1, 2])) if old else draw(st.sampled_from([0.1, 1]))
            value = int(round(value)) if isinstance(old, int) else value
            set_at(data, path, value)
            notes.append(f"{'.'.join(map(str, path))}: {old!r} -> {value!r}")
        elif op == "set" and paths:
            path = draw(st.sampled_from(paths))
            value = draw(nasty_values())
            set_at(data, path, value)
            notes.append(f"{'.'.join(map(str, path))} = {value!r:.40}")
        elif op == "delete" and paths:
            path = draw(st.sampled_from(paths))
            delete_at(data, path)
            notes.append(f"del {'.'.join(map(str, path))}")
        elif op == "add":
            tables = [()] + [p for p in paths if isinstance(_get(data, p), dict)]
            path = draw(st.sampled_from(tables))
            key = draw(st.sampled_from(["colour", "zz", "", "a b", "\x1b", "x" * 200]))
            node = _get(data, path) if path else data
            node[key] = draw(nasty_values())
            notes.append(f"add {'.'.join(map(str, (*path, key)))!r:.60}")
        elif op == "reference" and ids:
            kind = draw(st.sampled_from(sorted(ids)))
            path = draw(st.sampled_from(ids[kind]))
            node: Any = data
            for key in path[:-1]:
                node = node.setdefault(key, {}) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node[path[-1]] = "zz" if not isinstance(node.get(path[-1]), list) else ["zz"]
                notes.append(f"unknown {kind} at {'.'.join(map(str, path))}")
    return data, "; ".join(notes)


def _get(data: Any, path: tuple) -> Any:
    node = data
    for key in path:
        node = node[key]
    return node


def _scenario_ids(data: dict) -> dict:
    parties = list(data.get("parties", {}))
    issues = list(data.get("issues", {}))
    out: dict[str, list[tuple]] = {"party": [("scenario", "mediator")], "issue": []}
    if parties:
        out["party"] += [("scenario", "mediator_bias", "zz"), ("scenario", "main_parties")]
        out["issue"] += [("parties", parties[0], "ideal", "zz"), ("parties", parties[0], "must_agree_on")]
        out["issue"] += [("parties", parties[0], "red_lines", "zz")]
    if issues:
        out["issue"] += [("scenario", "opening", "zz")]
    return out


# --- scenario cases ----------------------------------------------------------------------------------------------

SCENARIO_COMMANDS = [
    ["validate", "s.toml"],
    ["run", "s.toml", "--out", "out", "--no-figures"],
    ["run", "s.toml", "--out", "out"],
    ["solve", "s.toml"],
    ["compare", "s.toml", str(GENEVA), "--out", "out"],
]


@st.composite
def random_scenario_cases(draw) -> Case:
    path = draw(st.sampled_from(SCENARIOS))
    data = _load(path)
    mutated, what = draw(mutated_tables(data, _scenario_ids(data)))
    argv = draw(st.sampled_from(SCENARIO_COMMANDS))
    return Case("fuzz", f"{path.name}: {what}", list(argv), {"s.toml": toml_bytes(mutated)})


def _geneva() -> dict:
    return _load(GENEVA)


def _targeted_scenarios() -> list[tuple[str, str, Any]]:
    """``(category, what, function data -> data)`` of mutations a scenario file must refuse."""

    def setter(path: tuple, value: Any):
        def apply(data: dict) -> dict:
            set_at(data, path, value)
            return data

        return apply

    def many_parties(data: dict) -> dict:
        party = data["parties"]["russia"]
        for k in range(60):
            data["parties"][f"p{k}"] = copy.deepcopy(party)
        return data

    def many_issues(data: dict) -> dict:
        for k in range(60):
            data["issues"][f"i{k}"] = {"min": 0, "max": 1}
            for party in data["parties"].values():
                party["ideal"][f"i{k}"] = 0.5
                party["salience"][f"i{k}"] = 0.5
        return data

    def no_mediator(data: dict) -> dict:
        data["scenario"]["opening"] = "mediator"
        return data

    def long_path(data: dict) -> dict:
        data["issues"]["territory"]["no_deal_path"] = [[k, 0.1] for k in range(20_000)]
        return data

    def counter_text(value: Any):
        def apply(data: dict) -> dict:
            data["coalitions"] = {"c": {"members": ["russia", "us"], "counter_text": value}}
            return data

        return apply

    return [
        ("nonsense", "scenario.name with a newline", setter(("scenario", "name"), "geneva\n")),
        ("nonsense", "scenario.name with an escape", setter(("scenario", "name"), "a\x1b[31m")),
        ("nonsense", "party name with an escape", setter(("parties", "russia", "name"), "Rus\x1b[2Jsia")),
        ("nonsense", "title with a newline", setter(("scenario", "title"), "two\nlines")),
        ("nonsense", "counter_text = 'yes'", counter_text("yes")),
        ("nonsense", "counter_text = 1", counter_text(1)),
        ("nonsense", "mediator_bias = 1e308", setter(("scenario", "mediator_bias", "russia"), 1e308)),
        ("nonsense", "noise = 1e308", setter(("scenario", "noise"), 1e308)),
        ("nonsense", "no_deal_path value outside the issue", setter(("issues", "nato", "no_deal_path"), [[0, 5.0]])),
        ("bounds", "rounds = 10**12", setter(("scenario", "rounds"), 10**12)),
        ("bounds", "rounds = 1e9 (float)", setter(("scenario", "rounds"), 1e9)),
        ("bounds", "capability = 1e308", setter(("parties", "russia", "capability"), 1e308)),
        ("bounds", "issue min -1e308", setter(("issues", "army_cap", "min"), -1e308)),
        ("bounds", "issue max 1e308", setter(("issues", "army_cap", "max"), 1e308)),
        ("bounds", "step = 1e-12", setter(("issues", "army_cap", "step"), 1e-12)),
        ("bounds", "60 more parties", many_parties),
        ("bounds", "60 more issues", many_issues),
        ("bounds", "no_deal_path of 20,000 points", long_path),
        ("bounds", "a 5,000-character title", setter(("scenario", "title"), "t" * 5000)),
        ("bounds", "curvature 1e-300", setter(("parties", "russia", "curvature"), {"nato": 1e-300})),
        ("bounds", "walkaway_drift 1e308", setter(("parties", "russia", "walkaway_drift"), 1e308)),
        ("tracebacks", "mathtext in a party name", setter(("parties", "russia", "name"), "$\\frac{$")),
        ("messages", "a bad value in opening", setter(("scenario", "opening", "army_cap"), "x")),
        ("messages", "opening is a number", setter(("scenario", "opening"), 3)),
        ("nonsense", "opening = mediator without a mediator", no_mediator),
    ]


TARGETED_SCENARIOS = _targeted_scenarios()
NEEDS_MEDIATOR_FREE = {"opening = mediator without a mediator"}


def targeted_scenario_case(index: int, command: int = 0) -> Case:
    category, what, apply = TARGETED_SCENARIOS[index]
    data = _load(ROOT / "scenarios" / "classroom-two-party.toml") if what in NEEDS_MEDIATOR_FREE else _geneva()
    data = apply(data)
    expect = "any" if what.startswith("mathtext") else "error"
    return Case(category, what, list(SCENARIO_COMMANDS[command]), {"s.toml": toml_bytes(data)}, expect)


@st.composite
def targeted_scenario_cases(draw) -> Case:
    return targeted_scenario_case(draw(st.integers(0, len(TARGETED_SCENARIOS) - 1)), draw(st.integers(0, 2)))


@st.composite
def byte_cases(draw) -> Case:
    """Encodings, sizes, nesting and damaged bytes."""
    text = GENEVA.read_text()
    kind = draw(
        st.sampled_from(
            [
                "utf-16",
                "latin-1",
                "bom",
                "truncated",
                "garbage",
                "empty",
                "huge",
                "huge title",
                "deep arrays",
                "deep tables",
                "folder",
                "missing",
            ]
        )
    )
    depth = draw(st.sampled_from([12, 200, 5000]))
    files: dict[str, bytes] = {}
    if kind == "utf-16":
        files["s.toml"] = text.encode("utf-16")
    elif kind == "latin-1":
        files["s.toml"] = text.replace('title = "', 'title = "\u00e9t\u00e9 ').encode("latin-1", errors="replace")
    elif kind == "bom":
        files["s.toml"] = b"\xef\xbb\xbf" + text.encode()
    elif kind == "truncated":
        raw = text.encode()
        files["s.toml"] = raw[: draw(st.integers(1, len(raw) - 1))]
    elif kind == "garbage":
        files["s.toml"] = draw(st.binary(min_size=1, max_size=300))
    elif kind == "empty":
        files["s.toml"] = b""
    elif kind == "huge":
        files["s.toml"] = text.encode() + b"# " + b"x" * 2_000_000 + b"\n"
    elif kind == "huge title":
        files["s.toml"] = text.replace('title = "', 'title = "' + "T" * 3_000_000, 1).encode()
    elif kind == "deep arrays":
        files["s.toml"] = text.replace(
            "[scenario]\n", "[scenario]\ndeep = " + "[" * depth + "1" + "]" * depth + "\n"
        ).encode()
    elif kind == "deep tables":
        files["s.toml"] = text.replace(
            "[scenario]\n", "[scenario]\ndeep = " + "{a = " * depth + "1" + "}" * depth + "\n"
        ).encode()
    elif kind == "folder":
        files["s.toml/inside"] = b""
    argv = draw(st.sampled_from(SCENARIO_COMMANDS[:2]))
    category = "tracebacks" if kind.startswith("deep") else ("bounds" if kind.startswith("huge") else "fuzz")
    expect = "any" if kind == "truncated" else "error"  # cut in a comment, a file may still be whole
    return Case(
        category, f"bytes: {kind}" + (f" {depth}" if kind.startswith("deep") else ""), list(argv), files, expect
    )


# --- experiment cases --------------------------------------------------------------------------------------------

GENEVA_PARTIES = ("russia", "ukraine", "us", "europe")
GENEVA_ISSUES = ("territory", "nato", "army_cap", "security_guarantee", "sanctions_relief", "frozen_assets")
PARAMETER_PATHS = (
    [f"parties.{p}.{k}" for p in GENEVA_PARTIES for k in ("capability", "patience", "walkaway", "walkaway_drift")]
    + [
        f"parties.{p}.{k}.{i}"
        for p in ("russia", "ukraine")
        for k in ("ideal", "salience", "curvature")
        for i in GENEVA_ISSUES
    ]
    + [f"parties.russia.red_lines.nato.{k}" for k in ("min", "max", "soften", "cost")]
    + [f"parties.russia.red_lines.territory.{k}" for k in ("min", "max", "soften")]
    + ["scenario.noise", "scenario.rounds", "scenario.mediator_bias.russia", "scenario.opening.army_cap"]
    + [
        "issues.territory.no_deal_path.1.1",
        "issues.territory.no_deal_path.1.0",
        "parties.ukraine.ratification.min_utility",
    ]
    + [
        "parties.zz.walkaway",
        "parties.russia.ideal.moon",
        "issues.army_cap.max",
        "scenario.name",
        "parties.russia",
        "x",
    ]
)
RULE_PATHS = [
    "parties.russia.ideal.nato",
    "parties.russia.ideal.territory",
    "parties.russia.red_lines.nato.max",
    "parties.russia.red_lines.territory.min",
    "parties.russia.red_lines.territory.max",
    "parties.ukraine.ideal.army_cap",
    "parties.russia.salience.nato",
    "issues.territory.no_deal_path.1.1",
    "issues.territory.no_deal_path.1.0",
    "scenario.opening.nato",
]
"""Numbers tied by cross-field rules in the Geneva scenario (own red lines, issue ranges, increasing rounds)."""
SAFE_RANGES = {
    "parties.russia.ideal.nato": (0.0, 0.25),
    "parties.russia.ideal.territory": (0.5, 1.0),
    "parties.russia.red_lines.nato.max": (0.0, 1.0),
    "parties.ukraine.ideal.army_cap": (600.0, 1000.0),
    "issues.territory.no_deal_path.1.1": (0.0, 1.0),
    "issues.territory.no_deal_path.1.0": (1.0, 60.0),
    "parties.russia.walkaway": (0.3, 0.6),
    "parties.ukraine.patience": (0.8, 1.0),
    "scenario.mediator_bias.russia": (0.5, 3.0),
    "scenario.rounds": (5.0, 60.0),
    "parties.russia.salience.nato": (0.0, 1.0),
}
"""Ranges inside every rule of the Geneva scenario (sweeps over them must run)."""
SWEEP = ["--out", "out", "--workers", "1", "--no-progress", "--max-minutes", "1"]
SWEEP_NO_LIMIT = ["--out", "out", "--workers", "1", "--no-progress"]


def _experiment(path: Path) -> dict:
    data = _load(path)
    data["experiment"]["scenario"] = str(GENEVA)
    return data


def _small(data: dict) -> dict:
    """Keep a shipped experiment quick: a coarse grid or few samples."""
    head = data["experiment"]
    if head["design"] == "sobol":
        head["runs"] = 4
    for table in (data.get("uncertainties", {}), data.get("levers", {})):
        for spec in table.values():
            if "points" in spec:
                spec["points"] = 3
            if "values" in spec:
                spec["values"] = spec["values"][:2]
    return data


@st.composite
def parameter_specs(draw) -> dict:
    kind = draw(st.sampled_from(["range", "range", "values", "nasty"]))
    if kind == "range":
        low, high = sorted([draw(sane_numbers()), draw(sane_numbers())])
        spec = {"low": low, "high": high if high > low else low + 0.5}
        if draw(st.booleans()):
            spec["points"] = draw(st.sampled_from([2, 3]))
        return spec
    if kind == "values":
        return {"values": draw(st.lists(sane_numbers(), min_size=1, max_size=3))}
    return {draw(st.sampled_from(["low", "high", "values", "points"])): draw(nasty_values())}


@st.composite
def sweep_rule_cases(draw) -> Case:
    """Sane-looking ranges on real parameters: samples may break cross-field rules (issue 16, item 1)."""
    design = draw(st.sampled_from(["grid", "grid", "lhs", "montecarlo"]))
    if draw(st.booleans()):  # ranges that keep every rule: the sweep must run, and every sample be valid
        params = draw(st.dictionaries(st.sampled_from(sorted(SAFE_RANGES)), st.just(None), min_size=1, max_size=3))
        for path in params:
            low, high = SAFE_RANGES[path]
            params[path] = {"low": low, "high": high, "points": 2}
    else:
        paths = st.one_of(st.sampled_from(RULE_PATHS), st.sampled_from(PARAMETER_PATHS[:-5]))
        params = draw(st.dictionaries(paths, parameter_specs(), min_size=1, max_size=3))
    data = {
        "experiment": {"name": "rules", "scenario": str(GENEVA), "design": design, "runs": 2, "seed": 1},
        "uncertainties": params,
        "outcomes": {"names": ["agreement", "deal.army_cap"]},
    }
    argv = ["sweep", "e.toml", *SWEEP, *draw(st.sampled_from([["--no-analyze"], []]))]
    return Case("sweeps", f"sweep of {design} over {sorted(params)}", argv, {"e.toml": toml_bytes(data)})


@st.composite
def random_experiment_cases(draw) -> Case:
    path = draw(st.sampled_from(EXPERIMENTS))
    data = _small(_experiment(path))
    ids = {"parameter": [("uncertainties", draw(st.sampled_from(PARAMETER_PATHS)))]}
    mutated, what = draw(mutated_tables(data, ids))
    if draw(st.booleans()) and isinstance(mutated.setdefault("levers", {}), dict):
        mutated["levers"][draw(st.sampled_from(PARAMETER_PATHS))] = draw(parameter_specs())
    argv = ["sweep", "e.toml", *SWEEP, *draw(st.sampled_from([["--no-analyze"], []]))]
    return Case("fuzz", f"{path.name}: {what}", argv, {"e.toml": toml_bytes(mutated)})


def _targeted_experiments() -> list[tuple[str, str, Any, str]]:
    def exp(**changes) -> dict:
        data = _small(_experiment(ROOT / "experiments" / "army-cap-vs-pressure.toml"))
        for key, value in changes.items():
            section, _, name = key.partition("__")
            data.setdefault(section, {})[name] = value
        return data

    def without_scenario() -> dict:
        data = exp()
        del data["experiment"]["scenario"]
        return data

    return [
        ("sweeps", "ideal swept past its own red line", lambda: exp(), "error"),
        ("sweeps", "red line min above max", lambda: exp(), "error"),
        ("sweeps", "salience reaching 0", lambda: exp(), "error"),
        ("sweeps", "no_deal_path value outside its issue", lambda: exp(), "error"),
        ("bounds", "runs = 2**63", lambda: exp(experiment__runs=2**63), "error"),
        ("bounds", "runs = 1e12", lambda: exp(experiment__runs=10**12), "error"),
        ("bounds", "a 1e5 x 1e5 grid", lambda: exp(), "error"),
        ("bounds", "scenario.rounds = 1e9 swept", lambda: exp(), "error"),
        ("bounds", "chunk_size = 1e12", lambda: exp(experiment__chunk_size=10**12), "error"),
        ("bounds", "100,000 listed values", lambda: exp(), "error"),
        ("tracebacks", "duplicate outcome names", lambda: exp(outcomes__names=["agreement", "agreement"]), "error"),
        ("messages", "missing experiment.scenario", without_scenario, "error"),
        ("nonsense", "experiment name with a newline", lambda: exp(experiment__name="a\nb"), "error"),
    ]


def _finish_targeted(what: str, data: dict) -> dict:
    unc = data.setdefault("uncertainties", {})
    unc.pop("x", None)
    if what == "ideal swept past its own red line":
        unc["parties.russia.ideal.nato"] = {"low": 0.0, "high": 1.0, "points": 3}
    elif what == "red line min above max":
        unc["parties.russia.red_lines.territory.min"] = {"low": 0.5, "high": 1.0, "points": 3}
        unc["parties.russia.red_lines.territory.max"] = {"values": [0.6]}
    elif what == "salience reaching 0":
        for issue in ("territory", "nato", "army_cap", "security_guarantee", "sanctions_relief", "frozen_assets"):
            unc[f"parties.ukraine.salience.{issue}"] = {"values": [0.0]}
        unc["parties.ukraine.salience.recognition"] = {"low": 0.0, "high": 0.5, "points": 2}
    elif what == "no_deal_path value outside its issue":
        unc["issues.territory.no_deal_path.1.1"] = {"low": 0.5, "high": 2.0, "points": 3}
    elif what == "a 1e5 x 1e5 grid":
        unc["parties.russia.walkaway"] = {"low": 0.1, "high": 0.9, "points": 100_000}
        unc["parties.ukraine.walkaway"] = {"low": 0.1, "high": 0.9, "points": 100_000}
    elif what == "scenario.rounds = 1e9 swept":
        unc["scenario.rounds"] = {"values": [40, 1e9]}
    elif what == "100,000 listed values":
        unc["parties.russia.walkaway"] = {"values": [0.5] * 100_000}
    return data


TARGETED_EXPERIMENTS = _targeted_experiments()


def targeted_experiment_case(index: int) -> Case:
    category, what, make, expect = TARGETED_EXPERIMENTS[index]
    data = _finish_targeted(what, make())
    argv = ["sweep", "e.toml", *SWEEP, "--no-analyze"]
    return Case(category, what, argv, {"e.toml": toml_bytes(data)}, expect)


@st.composite
def targeted_experiment_cases(draw) -> Case:
    return targeted_experiment_case(draw(st.integers(0, len(TARGETED_EXPERIMENTS) - 1)))


# --- flags, outputs and results folders ---------------------------------------------------------------------------


@st.composite
def flag_cases(draw) -> Case:
    value = draw(st.sampled_from(FLAG_VALUES))
    form = draw(
        st.sampled_from(
            [
                ["run", str(GENEVA), "--no-figures", "--out", "out", "--seed", value],
                ["run", str(GENEVA), "--no-figures", "--out", "out", "--rounds", value],
                ["run", str(GENEVA), "--no-figures", "--out", "out", "--protocol", value],
                ["sweep", "e.toml", *SWEEP, "--workers", value],
                ["sweep", "e.toml", *SWEEP, "--max-runs", value],
                ["compare-protocols", str(GENEVA), "--out", "out", "--seed", value],
                ["bench", str(GENEVA), "--runs", value, "--stepped-runs", "1", "--json"],
                ["validate", value],
                ["analyze", value],
            ]
        )
    )
    files = {}
    if form[0] == "sweep":
        files["e.toml"] = toml_bytes(_small(_experiment(ROOT / "experiments" / "army-cap-vs-pressure.toml")))
    strict = value not in ("7", "-1", "0", "+5", "2")  # not an ASCII integer: every integer flag refuses it
    expect = "error" if strict and form[0] in ("run", "sweep", "compare-protocols", "bench") else "any"
    if form[0] == "run" and "--protocol" in form:
        expect = "error"
    if form[0] == "bench" and not strict:  # a real benchmark: keep it quick
        form[form.index("--runs") + 1] = "50"
    return Case("nonsense", f"flag {form[-1]!r:.30} in {' '.join(form[:1])}", form, files, expect)


SCHEDULERS = [
    "tcp://:::1",
    "inproc://x",
    "ucx://x",
    "tcp://",
    "tcp://127.0.0.1",
    "127.0.0.1:8786",
    "tcp://[::1",
    "tcp://127.0.0.1:99999",
    "tcp://127.0.0.1:1",
    "tcp://a b:1",
]


def scheduler_case(address: str) -> Case:
    files = {"e.toml": toml_bytes(_small(_experiment(ROOT / "experiments" / "army-cap-vs-pressure.toml")))}
    argv = ["sweep", "e.toml", *SWEEP, "--scheduler", address]
    return Case("tracebacks", f"--scheduler {address}", argv, files, "error")


def scheduler_cases() -> st.SearchStrategy[Case]:
    return st.sampled_from(SCHEDULERS).map(scheduler_case)


OUTPUTS = ["empty", "dot", "user files", "user files force", "file", "proc", "control"]


def output_case(kind: str) -> Case:
    files: dict[str, bytes] = {"keep/outcome.json": b"my own notes\n", "outcome.json": b"mine\n"}
    argv = ["run", str(GENEVA), "--no-figures"]
    untouched: tuple[str, ...] = ("keep/outcome.json", "outcome.json")
    expect = "error"
    if kind == "empty":
        argv += ["--out", ""]
    elif kind == "dot":
        argv += ["--out", "."]
    elif kind == "user files":
        argv += ["--out", "keep"]
    elif kind == "user files force":
        argv += ["--out", "keep", "--force"]
        untouched, expect = ("outcome.json",), "any"
    elif kind == "file":
        argv += ["--out", "outcome.json"]
    elif kind == "proc":
        argv += ["--out", "/proc/self/negsim"]
    else:
        argv += ["--out", "a\x1b[2Jb"]
    return Case("outputs", f"--out {kind}", argv, files, expect, untouched)


def output_cases() -> st.SearchStrategy[Case]:
    return st.sampled_from(OUTPUTS).map(output_case)


ANALYZE = ["garbage manifest", "json list", "wrong keys", "edited manifest", "corrupt chunk"]


def analyze_case(kind: str, garbage: bytes = b"\x97\xff{not json") -> Case:
    files: dict[str, bytes] = {}
    if kind == "garbage manifest":
        files["d/manifest.json"] = garbage
    elif kind == "json list":
        files["d/manifest.json"] = b"[1, 2, 3]"
    elif kind == "wrong keys":
        files["d/manifest.json"] = json.dumps({"experiment": {"parameters": 3}, "rows": "x"}).encode()
    else:
        files.update(_sweep_folder(kind))
    return Case("tracebacks", f"analyze: {kind}", ["analyze", "d"], files, "error")


@st.composite
def analyze_cases(draw) -> Case:
    return analyze_case(draw(st.sampled_from(ANALYZE)), draw(st.binary(min_size=0, max_size=200)))


_SWEEP_FILES: dict[str, dict[str, bytes]] = {}


def _sweep_folder(kind: str) -> dict[str, bytes]:
    """A real small sweep's folder (made once), with its manifest edited or a chunk damaged."""
    if not _SWEEP_FILES:
        import tempfile

        from sim.experiments.spec import experiment_from_dict
        from sim.experiments.sweep import sweep

        data = _small(_experiment(ROOT / "experiments" / "army-cap-vs-pressure.toml"))
        data["experiment"]["chunk_size"] = 5
        with tempfile.TemporaryDirectory() as tmp:
            folder = sweep(experiment_from_dict(data, "e.toml"), tmp, workers=1, progress=False)
            _SWEEP_FILES["base"] = {f"d/{p.name}": p.read_bytes() for p in folder.iterdir() if p.is_file()}
    files = dict(_SWEEP_FILES["base"])
    if kind == "edited manifest":
        manifest = json.loads(files["d/manifest.json"])
        manifest["experiment"]["outcomes"] = 42
        files["d/manifest.json"] = json.dumps(manifest).encode()
    else:
        chunk = sorted(k for k in files if k.endswith(".parquet"))[0]
        files[chunk] = files[chunk][: len(files[chunk]) // 2]
    return files


def issue_cases() -> list[Case]:
    """Every hand-written case of issue 16, once (the deterministic part of the corpus)."""
    cases = [
        targeted_scenario_case(k, 2 if what.startswith("mathtext") else 0)
        for k, (_, what, _) in enumerate(TARGETED_SCENARIOS)
    ]
    cases += [targeted_experiment_case(k) for k in range(len(TARGETED_EXPERIMENTS))]
    cases += [scheduler_case(address) for address in SCHEDULERS]
    cases += [output_case(kind) for kind in OUTPUTS]
    cases += [analyze_case(kind) for kind in ANALYZE]
    for value in (" 7 ", "1_000", "\u0663", "99999999999999999999"):
        argv = ["run", str(GENEVA), "--no-figures", "--out", "out", "--seed", value]
        cases.append(Case("nonsense", f"--seed {value!r}", argv, {}, "error"))
    return cases


def bad_input_cases() -> st.SearchStrategy[Case]:
    """Every family of cases, weighted."""
    return st.one_of(
        random_scenario_cases(),
        targeted_scenario_cases(),
        byte_cases(),
        sweep_rule_cases(),
        random_experiment_cases(),
        targeted_experiment_cases(),
        flag_cases(),
        scheduler_cases(),
        output_cases(),
        analyze_cases(),
    )


# --- running a case ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    """How a case ended."""

    code: int | None
    stdout: str
    stderr: str
    seconds: float
    rss_mb: float
    signal: int | None = None


def preload() -> None:
    """Import what the commands use, once, so that each forked case starts at once."""
    import matplotlib

    matplotlib.use("Agg")
    import sim.cli  # noqa: F401
    import sim.engine.runner  # noqa: F401
    import sim.experiments.analysis  # noqa: F401
    import sim.experiments.bench  # noqa: F401
    import sim.experiments.sweep  # noqa: F401
    import sim.report.compare  # noqa: F401
    import sim.report.plots  # noqa: F401
    from sim.engine.scenarios import load_scenario

    load_scenario(GENEVA)


def write_case(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def run_case(case: Case, folder: Path, time_bound: float = TIME_BOUND_S, strip_flags: tuple[str, ...] = ()) -> Result:
    """Run ``negsim <argv>`` in a forked child inside ``folder`` (files written first)."""
    write_case(case, folder)
    argv = list(case.argv)
    for flag in strip_flags:  # flags an older tree does not know (with their value)
        while flag in argv:
            k = argv.index(flag)
            del argv[k : k + 2]
    out, err = folder / ".stdout", folder / ".stderr"
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: run the command as the console script would
        code = 99
        try:
            os.chdir(folder)
            os.setpgid(0, 0)
            for fd, path in ((1, out), (2, err)):
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(handle, fd)
                os.close(handle)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            limit = 6 << 30
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            signal.alarm(int(time_bound) + 1)
            from sim.cli import main

            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException:  # a traceback: what the property forbids
            traceback.print_exc()
            code = 99
        finally:
            try:
                __import__("atexit")._run_exitfuncs()  # as at a normal exit (multiprocessing's resource tracker)
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) else 99)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    with __import__("contextlib").suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # anything the case left running
    code = os.waitstatus_to_exitcode(status)
    return Result(
        code=code if code >= 0 else None,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
        seconds=seconds,
        rss_mb=usage.ru_maxrss / 1024,
        signal=-code if code < 0 else None,
    )


SERVE = "import bad_inputs; bad_inputs.serve()"
"""The runner's program (the module under its own name: results unpickle as ``bad_inputs.Result``)."""


class CaseRunner:
    """Runs cases from a clean process of its own (one fork per case there).

    A process with threads (pytest, after Dask and UI tests) must not fork:
    a lock held by another thread at that moment stays held in the child. The
    runner is a fresh Python that imports ``sim`` once and forks each case.
    """

    def __init__(self) -> None:
        import subprocess

        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); {SERVE}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def run(self, case: Case, folder: Path) -> Result:
        """``run_case`` in the runner."""
        _send(self.proc.stdin, (case, folder))
        return _receive(self.proc.stdout)

    def close(self) -> None:
        """Stop the runner."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def _send(stream: Any, item: Any) -> None:
    data = pickle.dumps(item)
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _receive(stream: Any) -> Any:
    size = stream.read(8)
    if len(size) < 8:
        raise EOFError("the case runner stopped")
    return pickle.loads(stream.read(int.from_bytes(size, "big")))


def serve() -> None:
    """The runner's loop: a case and a folder in, a :class:`Result` out."""
    preload()
    while True:
        try:
            case, folder = _receive(sys.stdin.buffer)
        except EOFError:
            return
        _send(sys.stdout.buffer, run_case(case, folder))


_LINE = re.compile(r"^negsim( [a-z-]+)?: error: (?P<rest>.+)$")


def problems_of(case: Case, result: Result, folder: Path) -> list[str]:
    """What is wrong with how a case ended (empty: the property holds)."""
    found = []
    if result.signal == signal.SIGALRM or result.seconds > TIME_BOUND_S:
        return [f"hang: past {TIME_BOUND_S:.0f} s"]
    if result.signal is not None:
        return [f"killed by signal {result.signal}"]
    if "Traceback (most recent call last)" in result.stderr or result.code == 99:
        last = [line for line in result.stderr.strip().splitlines() if line.strip()][-1:]
        return [f"traceback: {last[0][:200] if last else '?'}"]
    if result.rss_mb > MEMORY_BOUND_MB:
        found.append(f"memory: {result.rss_mb:.0f} MB")
    if result.code not in (0, 2):
        found.append(f"exit {result.code}: {result.stderr.strip()[:200]}")
    if result.code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        if not lines:
            found.append("exit 2 without a message")
        names = [*case.files, *(a for a in case.argv if a), "argument", "unrecognized arguments", "required", "--"]
        names += [str(folder), "invalid choice"]
        for line in lines:
            match = _LINE.match(line)
            if not match:
                found.append(f"not one problem per line: {line[:160]!r}")
                break
            if len(line) > LINE_CHARS:
                found.append(f"line of {len(line)} characters")
            if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line):
                found.append("control characters printed")
            if not any(name.split("/")[0][:40] in line for name in names if name):
                found.append(f"names no file or flag: {line[:160]!r}")
            if "function-" in line or "dict[str" in line or "must be a value" in line:
                found.append(f"pydantic internals: {line[:160]!r}")
    if result.code == 0:
        if case.expect == "error":
            found.append("nonsense accepted (exit 0)")
        found += _result_problems(case, result, folder)
    for name in case.untouched:
        if (folder / name).read_bytes() != case.files[name]:
            found.append(f"overwrote the user's {name}")
    return found


def _result_problems(case: Case, result: Result, folder: Path) -> list[str]:
    """An exit 0 must leave a valid result."""
    command = case.argv[0]
    if command == "validate" and "ok:" not in result.stdout:
        return ["validate: no ok line"]
    if command == "run":
        out = folder / case.argv[case.argv.index("--out") + 1] if "--out" in case.argv else None
        if out is None or not (out / "outcome.json").is_file() or not (out / "rounds.csv").is_file():
            return ["run: no outcome.json / rounds.csv"]
        try:
            json.loads((out / "outcome.json").read_text())
        except ValueError:
            return ["run: outcome.json is not JSON"]
    if command == "sweep":
        manifests = list((folder / "out").glob("*/*/manifest.json"))
        if not manifests:
            return ["sweep: no manifest"]
        manifest = json.loads(manifests[0].read_text())
        chunks = list(manifests[0].parent.glob("chunk-*.parquet"))
        if len(chunks) != manifest["chunks"]:
            return [f"sweep: {len(chunks)} of {manifest['chunks']} chunks"]
        return _invalid_samples(manifests[0].parent, manifest)
    return []


def _file_value(path: str, value: Any) -> Any:
    """A design's value as a file would write it: 5.0 swept into an integer field is the integer 5."""
    value = value.item() if hasattr(value, "item") else value
    integer = path.endswith(("rounds", "from_round", "seed"))
    return int(value) if integer and isinstance(value, float) and value.is_integer() else value


def _invalid_samples(directory: Path, manifest: dict) -> list[str]:
    """Rows whose scenario the file validator refuses (the oracle: one variant per distinct sample)."""
    from sim.core.errors import UserError
    from sim.engine.scenarios import scenario_from_dict
    from sim.experiments.sweep import read_results

    spec = manifest["experiment"]
    paths = [p["path"] for p in spec["parameters"]]
    if not paths:
        return []
    table = read_results(directory, columns=paths)
    scenario = scenario_from_dict(spec["scenario"]["data"], "scenario")
    for row in table.drop_duplicates().head(300).itertuples(index=False):
        values = {p: _file_value(p, v) for p, v in zip(paths, row, strict=True)}
        try:
            scenario.with_values(values)
        except UserError as exc:
            return [f"sweep ran a sample the validator rejects: {values} ({exc.problems[0]})"]
    return []


# --- the tally ---------------------------------------------------------------------------------------------------


KINDS = {
    "traceback": "traceback",
    "hang": "hang",
    "memory": "memory",
    "killed": "killed",
    "exit": "other exit",
    "nonsense accepted": "accepted",
    "sweep ran": "bad sample run",
    "overwrote": "overwrote",
    "pydantic": "internals",
    "control": "escapes",
    "not one problem": "not 1 line",
    "names no file": "no file named",
    "line of": "long line",
    "run:": "no result",
    "sweep:": "no result",
    "validate:": "no result",
}


def kind_of(problem: str) -> str:
    """The short name of a problem found by :func:`problems_of`, for the tally."""
    return next((short for start, short in KINDS.items() if problem.startswith(start)), problem[:12])


def draw_cases(count: int) -> list[Case]:
    """``count`` distinct cases, the same ones every time (Hypothesis, derandomized, generation only)."""
    from hypothesis import HealthCheck, Phase, given, settings

    cases: list[Case] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=bad_input_cases())
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases


def tally(cases: list[Case], strip_flags: tuple[str, ...] = (), report: Path | None = None) -> dict:
    """Run every case and count outcomes by category, without stopping at a failure."""
    import tempfile

    preload()
    counts: dict[str, dict[str, int]] = {}
    failures: list[dict] = []
    root = Path(tempfile.mkdtemp(prefix="negsim-corpus-"))
    for index, case in enumerate(cases):
        folder = root / f"case-{index:05d}"
        result = run_case(case, folder, strip_flags=strip_flags)
        found = problems_of(case, result, folder)
        row = counts.setdefault(case.category, {"cases": 0, "failing": 0})
        row["cases"] += 1
        ending = {0: "exit 0", 2: "exit 2"}.get(result.code, "other end")
        row[ending] = row.get(ending, 0) + 1
        if found:
            row["failing"] += 1
            for kind in dict.fromkeys(kind_of(problem) for problem in found):
                row[kind] = row.get(kind, 0) + 1
            failures.append({"case": repr(case), "problems": found, "seconds": round(result.seconds, 1)})
        shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    out = {"cases": len(cases), "by_category": counts, "failures": failures}
    if report is not None:
        report.write_text(json.dumps(out, indent=2) + "\n")
    return out


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--corpus", type=Path, help="a pickle of the cases: read if it exists, else written")
    parser.add_argument("--report", type=Path)
    parser.add_argument("--strip", nargs="*", default=[], help="flags the tree under test does not know")
    args = parser.parse_args()
    if args.corpus is not None and args.corpus.exists():  # the very same cases for two trees
        cases = pickle.loads(args.corpus.read_bytes())
    else:
        cases = draw_cases(args.cases)
        if args.corpus is not None:
            args.corpus.write_bytes(pickle.dumps(cases))
    out = tally(cases, tuple(args.strip), args.report)
    first = ["cases", "exit 0", "exit 2", "other end", "failing"]
    kinds = first + sorted({k for row in out["by_category"].values() for k in row} - set(first))
    print("| category | " + " | ".join(kinds) + " |")
    print("|---" * (len(kinds) + 1) + "|")
    total = {k: sum(row.get(k, 0) for row in out["by_category"].values()) for k in kinds}
    for key, row in [*sorted(out["by_category"].items(), key=lambda kv: CATEGORIES[kv[0]]), ("all", total)]:
        name = CATEGORIES.get(key, "all")
        print(f"| {name} | " + " | ".join(str(row.get(k, 0)) for k in kinds) + " |")


if __name__ == "__main__":
    main()
