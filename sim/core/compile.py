"""The compiler: a validated scenario in issue units -> kernel arrays with a batch axis."""

from __future__ import annotations

import numpy as np

from sim.core.params import (
    Coalitions,
    Events,
    Front,
    KernelParams,
    Mediation,
    Preferences,
    RatificationRules,
    RedLines,
    Walkaways,
)
from sim.core.scenario import Scenario
from sim.core.scenario.paths import kernel_target
from sim.core.schema import STRATEGIES

__all__ = ["compile_params"]


def _walkaway_table(scenario: Scenario, length: int) -> np.ndarray:
    """Each party's walk-away by round from its ``walkaway_path`` (NaN without one), ``(P, L)``."""
    table = np.full((len(scenario.parties), length), np.nan)
    for a, party in enumerate(scenario.parties):
        if party.walkaway_path:
            points = list(party.walkaway_path)
            if points[0][0] > 0:
                points.insert(0, (0.0, party.walkaway))
            r, v = zip(*points, strict=True)
            table[a] = np.interp(np.arange(length), r, v)
    return table


def _floor_table(scenario: Scenario, length: int) -> np.ndarray:
    """The no-deal line of each issue by round, normalised (0 without one), ``(L, I)``.

    The battlefield's issue gets the front's start (its moves are per run, in the state).
    """
    floor = np.zeros((length, len(scenario.issues)))
    for k, issue in enumerate(scenario.issues):
        if issue.no_deal_path:
            r, v = zip(*issue.no_deal_path, strict=True)
            floor[:, k] = (np.interp(np.arange(length), r, v) - issue.min) / issue.span
        if scenario.battlefield and scenario.battlefield.issue == issue.id:
            floor[:, k] = (scenario.battlefield.start - issue.min) / issue.span
    return floor


def _front(scenario: Scenario, batch: int) -> Front:
    b = scenario.battlefield
    if b is None:
        zero = np.zeros(batch)
        return Front(-1, zero, zero, zero, zero, zero)
    i = scenario.issue_ids.index(b.issue)
    issue = scenario.issues[i]

    def full(value: float) -> np.ndarray:
        return np.full(batch, value, dtype=float)

    return Front(
        issue=i,
        start=full((b.start - issue.min) / issue.span),
        drift=full(b.drift / issue.span),
        volatility=full(b.volatility / issue.span),
        jump_rate=full(b.jump_rate),
        jump_size=full(b.jump_size / issue.span),
    )


def _events(scenario: Scenario, batch: int) -> Events:
    """Each event's changes in kernel units (paths checked by the scenario rules)."""
    issues, ids = scenario.issues, scenario.party_ids
    front = scenario.battlefield.issue if scenario.battlefield else None
    event, fields, index, shift, bounds, values = [], [], [], [], [], []
    for e, ev in enumerate(scenario.events):
        for mode, table in (("set", ev.set), ("shift", ev.shift)):
            for path, value in table.items():
                target = kernel_target(path, ids, scenario.issue_ids, front)
                offset, scale = 0.0, 1.0
                low, high = target.domain.low, target.domain.high
                if target.unit != "number":
                    issue = issues[target.issue]
                    scale = issue.span
                    offset = issue.min if target.unit == "position" and mode == "set" else 0.0
                    low, high = (0.0, 1.0) if target.unit == "position" else (None, None)
                event.append(e)
                fields.append(target.field)
                index.append(target.index)
                shift.append(mode == "shift")
                bounds.append((-np.inf if low is None else low, np.inf if high is None else high))
                values.append((value - offset) / scale)
    return Events(
        labels=tuple(ev.label for ev in scenario.events),
        rounds=np.array([ev.round for ev in scenario.events], dtype=np.int64),
        probability=np.broadcast_to(
            np.array([[ev.probability for ev in scenario.events]]), (batch, len(scenario.events))
        ),
        event=np.array(event, dtype=np.int64),
        fields=tuple(fields),
        index=tuple(index),
        shift=tuple(shift),
        bounds=tuple(bounds),
        value=np.broadcast_to(np.array([values], dtype=float), (batch, len(values))),
    )


def _levels(scenario: Scenario) -> tuple[np.ndarray, ...]:
    """Each discrete issue's options, normalised and sorted (empty for other issues)."""
    return tuple(
        np.array(sorted((level - i.min) / i.span for level in i.levels)) if i.discrete else np.zeros(0)
        for i in scenario.issues
    )


def _ratification(scenario: Scenario, lo: np.ndarray, span: np.ndarray, rows) -> RatificationRules:
    parties = scenario.parties
    bounds = np.array(
        [
            [(p.ratification.bounds[i.id] if p.ratification else (i.min, i.max)) for i in scenario.issues]
            for p in parties
        ]
    )

    def per_party(key: str) -> np.ndarray:
        values = [getattr(p.ratification, key) if p.ratification else None for p in parties]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    return RatificationRules(
        low=rows((bounds[..., 0] - lo) / span),
        high=rows((bounds[..., 1] - lo) / span),
        min_utility=rows(per_party("min_utility")),
        midpoint=rows(per_party("midpoint")),
        steepness=rows(per_party("steepness")),
        ends_talks=scenario.ratification_failure == "end",
    )


def compile_params(scenario: Scenario, batch: int = 1, rounds: int | None = None) -> KernelParams:
    """Arrays for ``batch`` identical copies of a scenario.

    Positions are normalised per issue, ``z = (x - min) / (max - min)``; every
    batched field is a read-only view with a zero stride on the batch axis (no
    copy per row).

    Args:
        scenario: The validated scenario.
        batch: Number of rows B.
        rounds: Round limit overriding the scenario's.

    Returns:
        The parameters.
    """
    issues, parties, ids = scenario.issues, scenario.parties, scenario.party_ids
    lo = np.array([i.min for i in issues])
    span = np.array([i.span for i in issues])

    def per_issue(key: str) -> np.ndarray:
        return np.array([[getattr(p, key)[i.id] for i in issues] for p in parties])

    def per_party(key: str) -> np.ndarray:
        return np.array([getattr(p, key) for p in parties], dtype=float)

    def rows(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a[None, ...], (batch, *a.shape))

    salience = per_issue("salience")
    red = np.array([[p.red_lines[i.id] for i in issues] for p in parties])
    if isinstance(scenario.opening, str):
        opening, rule = np.full(len(lo), np.nan), scenario.opening
    else:
        opening, rule = (np.array([scenario.opening[i] for i in scenario.issue_ids]) - lo) / span, "explicit"
    limit = rounds if rounds is not None else scenario.rounds
    length = limit + 2
    consent = np.array([[1.0 if i.id in p.must_agree_on else 0.0 for i in issues] for p in parties])
    members = np.array([[pid in c.members for pid in ids] for c in scenario.coalitions], dtype=bool)
    return KernelParams(
        prefs=Preferences(
            ideal=rows((per_issue("ideal") - lo) / span),
            salience=rows(salience),
            weight=rows(salience / salience.sum(axis=1, keepdims=True)),
            curvature=rows(per_issue("curvature")),
            consent=rows(consent),
            voice=rows(np.array([[1.0 if i.id in p.voice_on else 0.0 for i in issues] for p in parties])),
        ),
        red_lines=RedLines(
            low=rows((red[..., 0] - lo) / span),
            high=rows((red[..., 1] - lo) / span),
            soften=rows(per_issue("red_soften") / span),
            cost=rows(per_issue("red_cost")),
        ),
        walkaways=Walkaways(
            start=rows(per_party("walkaway")),
            drift=rows(per_party("walkaway_drift")),
            table=rows(_walkaway_table(scenario, length)),
            front_sensitivity=rows(per_party("front_sensitivity")),
            walkout_after=rows(np.array([p.walkout_after for p in parties], dtype=np.int64)),
        ),
        ratification=_ratification(scenario, lo, span, rows),
        mediation=Mediation(
            bias=rows(np.array([scenario.mediator_bias[p] for p in ids], dtype=float)),
            noise=np.full(batch, scenario.noise),
            opening=rows(opening),
            mediator=ids.index(scenario.mediator) if scenario.mediator in ids else -1,
            opening_rule=rule,
            lean=rows(np.array([scenario.mediator_lean.get(p, 0.0) for p in ids], dtype=float)),
            misperception=np.full(batch, scenario.mediator_misperception),
        ),
        coalitions=Coalitions(
            members=members.reshape(len(scenario.coalitions), len(ids)),
            counter_text=np.array([c.counter_text for c in scenario.coalitions], dtype=bool),
            from_round=np.array([c.from_round for c in scenario.coalitions], dtype=np.int64),
        ),
        capability=rows(per_party("capability")),
        patience=rows(per_party("patience")),
        strategy=rows(np.array([STRATEGIES.index(p.strategy or "linear") for p in parties])),
        rounds=np.full(batch, limit, dtype=np.int64),
        floor_table=rows(_floor_table(scenario, length)),
        step=np.array([(i.step or 0.0) / i.span for i in issues]),
        main=(ids.index(scenario.main_parties[0]), ids.index(scenario.main_parties[1])),
        breakdown_risk=np.full(batch, scenario.breakdown_risk),
        front=_front(scenario, batch),
        events=_events(scenario, batch),
        levels=_levels(scenario),
    )
