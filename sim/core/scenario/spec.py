"""The scenario file's tables as pydantic models: types and ranges of single fields.

Rules that span fields (an ideal inside its issue, a red line's min below its
max, ...) are in :mod:`sim.core.scenario.rules`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Discriminator, Field, Tag

from sim.core.scenario.fields import (
    Bias,
    Capability,
    Coordinate,
    Curvature,
    DateText,
    Discount,
    Drift,
    Flag,
    Identifier,
    Name,
    Noise,
    Real,
    Risk,
    Round,
    Rounds,
    Seed,
    Sensitivity,
    Size,
    SourceEntry,
    Steepness,
    Step,
    Strict,
    Text,
    UnitInterval,
    Walkout,
    bounded,
    text_field,
)

__all__ = [
    "BattlefieldSpec",
    "BoundsSpec",
    "EventSpec",
    "CoalitionSpec",
    "HeaderSpec",
    "IssueSpec",
    "LogisticSpec",
    "PartySpec",
    "RatificationSpec",
    "RedLineSpec",
    "ScenarioSpec",
]


class BoundsSpec(Strict):
    """Bounds on one issue (a domestic win-set)."""

    min: Coordinate | None = None
    max: Coordinate | None = None


class RedLineSpec(Strict):
    """Hard bounds a party will not cross on one issue; they may soften with a cost."""

    min: Coordinate | None = None
    max: Coordinate | None = None
    soften: Size = 0.0
    cost: UnitInterval = 0.0


RoundPath = bounded(list[list[Coordinate]], "path_points")


class LogisticSpec(Strict):
    """Probability of ratification ``1 / (1 + exp(-steepness (U - midpoint)))``."""

    midpoint: UnitInterval
    steepness: Steepness


class RatificationSpec(Strict):
    """A party's domestic win-set (Putnam 1988)."""

    label: Text = ""
    bounds: bounded(dict[str, BoundsSpec], "issues") = {}
    min_utility: UnitInterval | None = None
    logistic: LogisticSpec | None = None


class CoalitionSpec(Strict):
    """Parties coordinating a joint position."""

    members: bounded(list[Identifier], "parties") = Field(description="a list of two or more party ids")
    counter_text: Flag = False
    from_round: Round = 1


class IssueSpec(Strict):
    """One issue: a bounded dimension, optionally on a grid, optionally labelled, optionally discrete."""

    label: Text = ""
    unit: Text = ""
    min: Coordinate
    max: Coordinate
    step: Step | None = None
    levels: bounded(dict[str, Text], "levels") | None = None
    discrete: Flag = False
    no_deal_path: RoundPath | None = None


class PartySpec(Strict):
    """One party's preferences and bargaining traits."""

    name: Text
    capability: Capability
    patience: Discount
    walkaway: UnitInterval
    walkaway_drift: Drift = 0.0
    ideal: bounded(dict[str, Coordinate], "issues") = Field(description="a table {issue = value} covering every issue")
    salience: bounded(dict[str, UnitInterval], "issues") = Field(
        description="a table {issue = weight in [0, 1]} covering every issue"
    )
    curvature: bounded(dict[str, Curvature], "issues") = {}
    red_lines: bounded(dict[str, RedLineSpec], "issues") = {}
    strategy: Text | None = None
    must_agree_on: bounded(list[Identifier], "issues") | None = None
    walkaway_path: RoundPath | None = None
    ratification: RatificationSpec | None = None
    walkout_after: Walkout = 0
    front_sensitivity: Sensitivity = 0.0
    voice_on: bounded(list[Identifier], "issues") | None = None


OPENING_NAME = text_field("compromise, mediator or a table {issue = value}")
Opening = Annotated[
    Annotated[OPENING_NAME, Tag("opening:name")] | Annotated[dict[str, Coordinate], Tag("opening:table")],
    Discriminator(lambda value: "opening:table" if isinstance(value, dict) else "opening:name"),
]
"""An opening rule's name or a text ``{issue = value}`` (validated as one or the other, by its type)."""


class HeaderSpec(Strict):
    """The ``[scenario]`` table."""

    name: Name
    title: Text = ""
    rounds: Rounds
    protocol: Text = "mediated"
    seed: Seed = 0
    as_of: DateText | None = None
    sources: bounded(list[SourceEntry], "sources") = []
    mediator: Identifier | None = None
    mediator_bias: bounded(dict[str, Bias], "parties") = {}
    noise: Noise = 0.0
    opening: Opening = "compromise"
    main_parties: bounded(list[Identifier], "parties") | None = None
    ratification_failure: Text = "continue"
    breakdown_risk: Risk = 0.0
    start_date: Text | None = None
    round_days: Step | None = None
    mediator_lean: bounded(dict[str, Risk], "parties") = {}
    mediator_misperception: UnitInterval = 0.0


class BattlefieldSpec(Strict):
    """The front line: a random walk with drift, volatility and jumps on one issue (issue units per round)."""

    issue: Text
    start: Coordinate | None = None
    drift: Coordinate = 0.0
    volatility: Size = 0.0
    jump_rate: UnitInterval = 0.0
    jump_size: Coordinate = 0.0


class EventSpec(Strict):
    """A dated shock: numbers set or shifted from its round on, in a share of runs."""

    label: Text
    round: Rounds | None = None
    date: Text | None = None
    set: dict[str, Real] = {}
    shift: dict[str, Real] = {}
    probability: UnitInterval = 1.0
    source: Text = ""


class ScenarioSpec(Strict):
    """A whole scenario file."""

    scenario: HeaderSpec
    issues: bounded(dict[str, IssueSpec], "issues")
    parties: bounded(dict[str, PartySpec], "parties")
    coalitions: bounded(dict[str, CoalitionSpec], "coalitions") = {}
    battlefield: BattlefieldSpec | None = None
    events: bounded(list[EventSpec], "events") = []
