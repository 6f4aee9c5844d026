"""The scenario file's tables as pydantic models: types and ranges of single fields.

Rules that span fields (an ideal inside its issue, a red line's min below its
max, ...) are in :mod:`sim.core.scenario.rules`.
"""

from __future__ import annotations

from sim.core.scenario.fields import (
    Discount,
    NonNegative,
    Positive,
    Real,
    Rounds,
    Seed,
    Strict,
    Text,
    UnitInterval,
)

__all__ = [
    "BoundsSpec",
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

    min: Real | None = None
    max: Real | None = None


class RedLineSpec(Strict):
    """Hard bounds a party will not cross on one issue; they may soften with a cost."""

    min: Real | None = None
    max: Real | None = None
    soften: NonNegative = 0.0
    cost: UnitInterval = 0.0


RoundPath = list[list[Real]]


class LogisticSpec(Strict):
    """Probability of ratification ``1 / (1 + exp(-steepness (U - midpoint)))``."""

    midpoint: UnitInterval
    steepness: Positive


class RatificationSpec(Strict):
    """A party's domestic win-set (Putnam 1988)."""

    label: Text = ""
    bounds: dict[str, BoundsSpec] = {}
    min_utility: UnitInterval | None = None
    logistic: LogisticSpec | None = None


class CoalitionSpec(Strict):
    """Parties coordinating a joint position."""

    members: list[Text]
    counter_text: bool = False
    from_round: Seed = 1


class IssueSpec(Strict):
    """One issue: a bounded dimension, optionally on a grid, optionally labelled."""

    label: Text = ""
    unit: Text = ""
    min: Real
    max: Real
    step: Positive | None = None
    levels: dict[str, Text] | None = None
    no_deal_path: RoundPath | None = None


class PartySpec(Strict):
    """One party's preferences and bargaining traits."""

    name: Text
    capability: NonNegative
    patience: Discount
    walkaway: UnitInterval
    walkaway_drift: Real = 0.0
    ideal: dict[str, Real]
    salience: dict[str, UnitInterval]
    curvature: dict[str, Positive] = {}
    red_lines: dict[str, RedLineSpec] = {}
    strategy: Text | None = None
    must_agree_on: list[Text] | None = None
    walkaway_path: RoundPath | None = None
    ratification: RatificationSpec | None = None


class HeaderSpec(Strict):
    """The ``[scenario]`` table."""

    name: Text
    title: Text = ""
    rounds: Rounds
    protocol: Text = "mediated"
    seed: Seed = 0
    sources: list[Text] = []
    mediator: Text | None = None
    mediator_bias: dict[str, NonNegative] = {}
    noise: NonNegative = 0.0
    opening: Text | dict[str, Real] = "compromise"
    main_parties: list[Text] | None = None
    ratification_failure: Text = "continue"
    start_date: Text | None = None
    round_days: Positive | None = None


class ScenarioSpec(Strict):
    """A whole scenario file."""

    scenario: HeaderSpec
    issues: dict[str, IssueSpec]
    parties: dict[str, PartySpec]
    coalitions: dict[str, CoalitionSpec] = {}
