"""Experiment files: what to vary, how to sample it, what to record.

An experiment is a TOML file in ``experiments/`` (EMA Workbench vocabulary:
*uncertainties* are world parameters, *levers* are policy choices, *outcomes*
are what is recorded)::

    [experiment]
    name = "army-cap-vs-pressure"
    scenario = "../scenarios/geneva-2025-11.toml"   # relative to this file
    protocol = "mediated"
    design = "grid"            # grid | lhs | sobol | morris | montecarlo
    runs = 10000               # sample size; replications for grid
    seed = 1
    [uncertainties]
    "parties.russia.walkaway_drift" = { low = -0.01, high = 0.0 }
    [levers]
    "scenario.mediator_bias.russia" = { values = [1.0, 1.5, 2.0] }
    [outcomes]
    names = ["agreement", "round", "deal.army_cap", "utility.ukraine"]

Validation follows the scenario rules: every problem on one line naming the
file, the field and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from sim.core import schema
from sim.core.errors import Problem, UserError
from sim.core.scenario import Scenario
from sim.core.scenario.fields import Name, Real, Seed, Strict, Text, bounded, is_name, number_field, text_field
from sim.core.scenario.messages import pydantic_problems
from sim.core.schema import limit, shown
from sim.core.slots import SCENARIO_FIELD, check_values, parameter_slot
from sim.core.tomlfile import depth_of, read_toml
from sim.engine.scenarios import load_scenario
from sim.experiments.samplers import DESIGNS, Design, Parameter, design_rows, make_design
from sim.protocols import protocol_names

__all__ = ["CHECK_BLOCK", "Experiment", "check_design", "experiment_from_dict", "load_experiment", "outcome_names"]

Runs = number_field(schema.RUNS)
ChunkSize = number_field(schema.CHUNK_SIZE)
Points = number_field(schema.POINTS)
Share = number_field(schema.SHARE)
Path_ = text_field("a path to the scenario file (relative to this file)", "source_chars")
DesignName = text_field(f"one of {', '.join(DESIGNS)}")
ParameterValue = Real | text_field("a number or a name", "name_chars")


class ParameterSpec(Strict):
    """A range ``{low, high[, points]}`` or a list ``{values = [...]}``."""

    low: Real | None = None
    high: Real | None = None
    values: bounded(list[ParameterValue], "values") | None = None
    points: Points = 5


class HeaderSpec(Strict):
    """The ``[experiment]`` table."""

    name: Name
    scenario: Path_
    protocol: Text | None = None
    design: DesignName
    runs: Runs = 1
    seed: Seed = 0
    chunk_size: ChunkSize = 5000
    title: Text = ""


class OutcomesSpec(Strict):
    """The ``[outcomes]`` table."""

    names: list[Text] = Field(description="a list of outcome names")


class AnalysisSpec(Strict):
    """The optional ``[analysis]`` table."""

    heatmap: list[Text] | None = None
    prim_threshold: Share = 0.8


class ExperimentSpec(Strict):
    """A whole experiment file."""

    experiment: HeaderSpec
    uncertainties: dict[str, ParameterSpec] = {}
    levers: dict[str, ParameterSpec] = {}
    outcomes: OutcomesSpec
    analysis: AnalysisSpec = AnalysisSpec()


def outcome_names(scenario: Scenario) -> list[str]:
    """Every outcome a run records for this scenario."""
    return (
        ["agreement", "round", "end_round", "distance_to_nash"]
        + [f"deal.{i}" for i in scenario.issue_ids]
        + [f"utility.{p}" for p in scenario.party_ids]
        + [f"walkaway.{p}" for p in scenario.party_ids]
    )


@dataclass(frozen=True)
class Experiment:
    """A validated experiment.

    Attributes:
        name: Experiment id (names its results folder).
        title: Human-readable title.
        source: The experiment file.
        scenario: The scenario every run starts from.
        protocol: Protocol name.
        design: Sampler name.
        runs: Sample size, or replications for grid.
        seed: Root seed: per-run seeds and samplers derive from it.
        chunk_size: Runs per stored chunk.
        parameters: Uncertainties then levers.
        outcomes: Outcome names to record.
        heatmap: Two parameter paths for the agreement heatmap.
        prim_threshold: PRIM's density threshold.
    """

    name: str
    title: str
    source: str
    scenario: Scenario
    protocol: str
    design: str
    runs: int
    seed: int
    chunk_size: int
    parameters: tuple[Parameter, ...]
    outcomes: tuple[str, ...]
    heatmap: tuple[str, ...] | None = None
    prim_threshold: float = 0.8
    _design: list = field(default_factory=list, repr=False, compare=False)

    def resolved(self) -> dict[str, Any]:
        """The experiment with everything resolved (the scenario's data included)."""
        return {
            "name": self.name,
            "title": self.title,
            "protocol": self.protocol,
            "design": self.design,
            "runs": self.runs,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "parameters": [
                {
                    "path": p.path,
                    "kind": p.kind,
                    "low": p.low,
                    "high": p.high,
                    "values": None if p.values is None else list(p.values),
                    "points": p.points,
                }
                for p in self.parameters
            ],
            "outcomes": list(self.outcomes),
            "heatmap": None if self.heatmap is None else list(self.heatmap),
            "prim_threshold": self.prim_threshold,
            "scenario": {
                "name": self.scenario.name,
                "sha256": self.scenario.sha256,
                "data": self.scenario.data,
            },
        }

    @property
    def sha256(self) -> str:
        """SHA-256 of the resolved experiment in canonical JSON."""
        text = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def build_design(self) -> Design:
        """The design (cached)."""
        if not self._design:
            self._design.append(make_design(self.design, self.parameters, self.runs, self.seed))
        return self._design[0]

    @property
    def rows(self) -> int:
        """Number of runs (computed from the design's sizes, without building it)."""
        return design_rows(self.design, self.parameters, self.runs)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment TOML file (its scenario path is relative to it).

    Raises:
        UserError: Listing every problem found.
    """
    return experiment_from_dict(read_toml(path), str(path), Path(path).parent)


def _section(model: type[BaseModel], value: Any, prefix: tuple, source: str) -> tuple[Any, list[Problem]]:
    """Validate one part of the file; problems carry their full field path."""
    if value is None:
        value = {}
    try:
        return model.model_validate(value), []
    except ValidationError as exc:
        problems = pydantic_problems(source, exc, model)
        dotted = ".".join(str(p) for p in prefix)
        return None, [Problem(source, ".".join(x for x in (dotted, p.field) if x), p.message) for p in problems]


SECTIONS = ("experiment", "uncertainties", "levers", "outcomes", "analysis")


def experiment_from_dict(data: dict, source: str = "<experiment>", base: Path | None = None) -> Experiment:
    """Validate experiment data (see :func:`load_experiment`); every problem is reported at once."""
    problems: list[Problem] = []

    def bad(path: str, message: str) -> None:
        problems.append(Problem(source, path, message))

    depth = limit("depth")
    if not isinstance(data, dict):
        raise UserError.at(source, "", f"must be the tables of an experiment file; got {shown(data)}")
    if depth_of(data, depth.value) > depth.value:
        raise UserError.at(source, "", f"nested too deeply: {depth.message('more')}")
    for key in data:
        if key not in SECTIONS:
            bad(key, f"unknown table; allowed: {', '.join(SECTIONS)}")
    head, found = _section(HeaderSpec, data.get("experiment"), ("experiment",), source)
    problems += found
    outcomes, found = _section(OutcomesSpec, data.get("outcomes"), ("outcomes",), source)
    problems += found
    analysis, found = _section(AnalysisSpec, data.get("analysis"), ("analysis",), source)
    problems += found
    raw_head = data.get("experiment") if isinstance(data.get("experiment"), dict) else {}
    name, design, protocol = raw_head.get("name"), raw_head.get("design"), raw_head.get("protocol")
    if isinstance(name, str) and len(name) <= limit("name_chars").value and not is_name(name):
        bad("experiment.name", f"must be a name of letters, digits, '-', '_' or '.'; got {shown(name)}")
    if isinstance(design, str) and design not in DESIGNS:
        bad("experiment.design", f"must be one of {', '.join(DESIGNS)}; got {shown(design)}")
    if isinstance(protocol, str) and protocol not in protocol_names():
        bad("experiment.protocol", f"must be one of {', '.join(protocol_names())}; got {shown(protocol)}")
    scenario = None
    if isinstance(raw_head.get("scenario"), str) and not any(p.field == "experiment.scenario" for p in problems):
        scenario_path = (base or Path(".")) / raw_head["scenario"]
        try:
            scenario = load_scenario(scenario_path)
        except UserError as exc:
            if any(p.message == "file not found" for p in exc.problems):
                bad("experiment.scenario", f"file not found: {scenario_path}")
            else:
                problems += exc.problems
    parameters: list[Parameter] = []
    before_parameters = len(problems)
    count = limit("parameters")
    sizes = [len(t) for t in (data.get("uncertainties"), data.get("levers")) if isinstance(t, dict)]
    if sum(sizes) > count.value:
        bad("uncertainties", count.message(sum(sizes)))
    for kind, section in (("uncertainty", "uncertainties"), ("lever", "levers")):
        table = data.get(section, {})
        if not isinstance(table, dict):
            bad(section, f"must be a table of {{path = {{low, high}} or {{values = [...]}}}}; got {shown(table)}")
            continue
        if sum(sizes) > count.value:
            continue
        for path, raw in table.items():
            where = f"{section}.{path}"
            p, found = _section(ParameterSpec, raw, (section, path), source)
            problems += found
            if p is None or scenario is None:
                continue
            try:
                slot = parameter_slot(scenario, path, source)
            except UserError as exc:
                problems += [Problem(source, where, q.message) for q in exc.problems]
                continue
            if p.values is not None and (p.low is not None or p.high is not None):
                bad(where, "give either {low, high} or {values = [...]}, not both")
                continue
            if p.values is not None:
                if not p.values:
                    bad(where, "values must not be empty")
                    continue
                if len({type(v) for v in p.values}) > 1 and not all(isinstance(v, int | float) for v in p.values):
                    bad(where, "values must be all numbers or all names")
                    continue
                checks = list(p.values)
            elif p.low is None or p.high is None:
                bad(where, "needs {low, high} or {values = [...]}")
                continue
            elif not p.low < p.high:
                bad(where, f"needs low < high; got low {p.low:g}, high {p.high:g}")
                continue
            else:
                checks = [p.low, p.high]
            try:
                if slot.field == SCENARIO_FIELD:
                    for value in checks:
                        scenario.with_values({path: value}, source)
                else:
                    slot.encode(checks, source)
            except UserError as exc:
                problems += [Problem(source, where, q.message) for q in exc.problems]
                continue
            if slot.categories is not None and p.values is None:
                bad(where, f"a categorical parameter needs values = [...] from {', '.join(slot.categories)}")
                continue
            parameters.append(
                Parameter(path, kind, p.low, p.high, None if p.values is None else tuple(p.values), p.points)
            )
    if head is not None and scenario is not None and head.design == "montecarlo":
        given = {p.path for p in parameters}
        for path, (low, high) in scenario.ranges.items():
            if path in given:
                continue
            try:
                parameter_slot(scenario, path, scenario.source)
            except UserError as exc:
                problems += exc.problems
                continue
            if high > low:
                parameters.append(Parameter(path, "uncertainty", low, high))
    paths = [p.path for p in parameters]
    for path in sorted({p for p in paths if paths.count(p) > 1}):
        bad(f"levers.{path}", "is also an uncertainty; vary a parameter in one table only")
    if head is not None and head.design in DESIGNS and scenario is not None and not problems:
        rows = design_rows(head.design, parameters, head.runs)
        if rows > schema.MAX_RUNS:
            bad("experiment.runs", f"the design has {rows:,} runs; at most {schema.MAX_RUNS:,} (see docs/limits.md)")
    all_given = not any(p.field.startswith(("uncertainties", "levers")) for p in problems[before_parameters:])
    if head is not None and head.design in DESIGNS and scenario is not None and all_given:
        if head.design in ("sobol", "morris", "lhs", "montecarlo") and not any(p.ranged for p in parameters):
            bad("uncertainties", f"design {head.design} needs at least one {{low, high}} range")
        if head.design in ("sobol", "morris"):
            for p in parameters:
                if not p.ranged:
                    section = "uncertainties" if p.kind == "uncertainty" else "levers"
                    bad(
                        f"{section}.{p.path}",
                        f"design {head.design} samples every parameter from {{low, high}}; "
                        "give a range or use design = grid or lhs",
                    )
        if head.design == "grid" and not parameters:
            bad("uncertainties", "a grid needs at least one parameter")
        if head.design == "sobol" and head.runs & (head.runs - 1):
            bad("experiment.runs", f"sobol needs a power of two (Saltelli sampling); got {head.runs}")
    if outcomes is not None and scenario is not None:
        known = outcome_names(scenario)
        for k, name in enumerate(outcomes.names):
            if name not in known:
                bad(f"outcomes.names[{k}]", f"unknown outcome {shown(name)}; known: {', '.join(known)}")
            elif name in outcomes.names[:k]:
                bad(f"outcomes.names[{k}]", f"{name} is named twice; name each outcome once")
        if not outcomes.names:
            bad("outcomes.names", "name at least one outcome")
    heatmap = analysis.heatmap if analysis is not None else None
    if heatmap is not None:
        if len(heatmap) != 2:
            bad("analysis.heatmap", "must name two parameters")
        for name in heatmap:
            if name not in paths:
                bad("analysis.heatmap", f"must name varied parameters ({', '.join(paths)}); got {shown(name)}")
    if problems or head is None or outcomes is None or analysis is None or scenario is None:
        raise UserError(problems or [Problem(source, "", "invalid experiment")])
    experiment = Experiment(
        name=head.name,
        title=head.title or head.name,
        source=source,
        scenario=scenario,
        protocol=head.protocol or scenario.protocol,
        design=head.design,
        runs=head.runs,
        seed=head.seed,
        chunk_size=head.chunk_size,
        parameters=tuple(parameters),
        outcomes=tuple(outcomes.names),
        heatmap=None if heatmap is None else tuple(heatmap),
        prim_threshold=analysis.prim_threshold,
    )
    if experiment.rows < 1:
        raise UserError.at(source, "experiment.runs", "the design has no rows")
    return experiment


CHECK_BLOCK = 100_000
"""Rows of a design checked at once (bounds the memory of the check)."""


def check_design(experiment: Experiment) -> Design:
    """Build the design and check that every sample makes a valid scenario, before any run.

    Every row must pass what a scenario file must pass (each value in its
    field's domain, every rule spanning fields, the protocols' too).

    Returns:
        The design.

    Raises:
        UserError: One line per broken rule naming the experiment file, the
            parameter and the first offending sample with its values.
    """
    design = experiment.build_design()
    section = {p.path: "uncertainties" if p.kind == "uncertainty" else "levers" for p in experiment.parameters}
    for start in range(0, design.rows, CHECK_BLOCK):
        block = design.block(start, min(start + CHECK_BLOCK, design.rows))

        def describe(k: int, block: dict = block, start: int = start) -> str:
            values = ", ".join(f"{path} = {shown(_plain(column[k]), 24)}" for path, column in block.items())
            return f"sample {start + k}: {values}"

        found = check_values(experiment.scenario, block, experiment.source, describe)
        if found:
            raise UserError([_about_parameter(p, section, experiment.source) for p in found])
    return design


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _about_parameter(problem: Problem, section: dict[str, str], source: str) -> Problem:
    """A problem of a scenario field, named by the varied parameter it is about (itself, else the nearest path)."""
    if problem.field in section:
        return Problem(source, f"{section[problem.field]}.{problem.field}", problem.message)

    def shared(path: str) -> int:
        a, b = path.split("."), problem.field.split(".")
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    path = max(section, key=shared)
    return Problem(source, f"{section[path]}.{path}", f"{problem.field} {problem.message}")
