"""A scenario as arrays with a leading batch axis: what the kernel reads.

:class:`KernelParams` holds one row per negotiation. The stepped Mesa model
uses a batch of one; the batched engine stacks many rows, each a variant of
the same scenario (same issues and parties, different numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cached_property

import numpy as np

from sim.core.scenario import Scenario
from sim.core.schema import STRATEGIES
from sim.core.utility import issue_values, utilities

__all__ = ["SHARED_FIELDS", "KernelParams"]

SHARED_FIELDS = (
    "step",
    "mediator",
    "main",
    "opening_rule",
    "ratification_end",
    "coalitions",
    "coalition_counter",
    "coalition_from",
)
"""Fields that are the same for every row (no batch axis)."""


@dataclass(frozen=True)
class KernelParams:
    """Bargaining parameters as arrays; B rows, P parties, I issues.

    Positions (ideals, red lines, opening text, grid steps) are normalised to
    [0, 1] per issue. Attributes are numpy arrays with the shapes given.

    Attributes:
        ideal: Ideal points, ``(B, P, I)``.
        salience: Raw salience in [0, 1], ``(B, P, I)``.
        weight: Salience normalised to sum 1 per party, ``(B, P, I)``.
        curvature: Value-function exponents, ``(B, P, I)``.
        red_low: Lower red lines, ``(B, P, I)``.
        red_high: Upper red lines, ``(B, P, I)``.
        capability: ``(B, P)``.
        patience: Discount factors, ``(B, P)``.
        walkaway: Walk-away utility at round 0, ``(B, P)``.
        drift: Walk-away change per round, ``(B, P)``.
        bias: Mediator bias multipliers, ``(B, P)``.
        noise: Standard deviation of the mediator's drafting noise, ``(B,)``.
        rounds: Round limit, ``(B,)`` integers.
        opening: Explicit opening text, ``(B, I)``; NaN where the rule applies.
        step: Normalised grid step per issue, ``(I,)`` (0 = continuous).
        strategy: Each party's strategy code (index in ``sim.core.schema.STRATEGIES``), ``(B, P)``.
        mediator: Index of the mediator party (-1 if none).
        main: Indices of the two main parties (bilateral protocols, plots).
        opening_rule: ``"compromise"``, ``"mediator"`` or ``"explicit"``.
        consent: 1 where the party's consent is needed on the issue
            (``must_agree_on``), else 0, ``(B, P, I)``.
        walk_table: Walk-away value by round from ``walkaway_path``, NaN for
            parties without a path, ``(B, P, L)``.
        red_soften: Per-round relaxation of the red lines, ``(B, P, I)``.
        red_cost: Audience cost of crossing the original red line, ``(B, P, I)``.
        rat_low: Lower bounds of the ratification win-set, ``(B, P, I)``.
        rat_high: Upper bounds of the win-set, ``(B, P, I)``.
        rat_min: Least utility that is ratified (NaN: none), ``(B, P)``.
        rat_mid: Logistic passage midpoint (NaN: none), ``(B, P)``.
        rat_steep: Logistic passage steepness, ``(B, P)``.
        floor_table: The no-deal line of each issue by round (texts cannot go
            below it), ``(B, L, I)``; 0 where the issue has none.
        ratification_end: Whether a failed ratification ends the run.
        coalitions: Membership, ``(C, P)`` booleans.
        coalition_counter: Whether each coalition tables a counter-text, ``(C,)``.
        coalition_from: The round each coalition forms, ``(C,)``.
    """

    ideal: np.ndarray
    salience: np.ndarray
    weight: np.ndarray
    curvature: np.ndarray
    red_low: np.ndarray
    red_high: np.ndarray
    capability: np.ndarray
    patience: np.ndarray
    walkaway: np.ndarray
    drift: np.ndarray
    bias: np.ndarray
    noise: np.ndarray
    rounds: np.ndarray
    opening: np.ndarray
    strategy: np.ndarray
    step: np.ndarray
    mediator: int
    main: tuple[int, int]
    opening_rule: str
    consent: np.ndarray
    walk_table: np.ndarray
    red_soften: np.ndarray
    red_cost: np.ndarray
    rat_low: np.ndarray
    rat_high: np.ndarray
    rat_min: np.ndarray
    rat_mid: np.ndarray
    rat_steep: np.ndarray
    floor_table: np.ndarray
    ratification_end: bool
    coalitions: np.ndarray
    coalition_counter: np.ndarray
    coalition_from: np.ndarray

    @cached_property
    def curvature_or_none(self) -> np.ndarray | None:
        """The exponents, or None when every value function is linear (faster)."""
        return None if np.all(self.curvature == 1.0) else self.curvature

    @cached_property
    def full_consent(self) -> bool:
        """Whether every party signs for every issue (no guarantors)."""
        return bool(np.all(self.consent == 1.0))

    @cached_property
    def guarded_weight(self) -> tuple[np.ndarray, np.ndarray]:
        """Weights on the issues each party signs for, and their sum per party."""
        guarded = self.weight * self.consent
        return guarded, guarded.sum(axis=-1)

    @cached_property
    def has_costs(self) -> bool:
        """Whether any red line carries an audience cost."""
        return bool(np.any(self.red_cost))

    @cached_property
    def has_softening(self) -> bool:
        """Whether any red line softens."""
        return bool(np.any(self.red_soften))

    @cached_property
    def has_floor(self) -> bool:
        """Whether any issue has a no-deal line above its minimum."""
        return bool(np.any(self.floor_table))

    def utilities(self, text: np.ndarray) -> np.ndarray:
        """Every party's utility of ``text`` (before audience costs), ``(B, P)``."""
        return utilities(text, self.ideal, self.weight, self.curvature_or_none)

    def issue_values(self, text: np.ndarray) -> np.ndarray:
        """Every party's value of ``text`` on each issue, ``(B, P, I)``."""
        return issue_values(text, self.ideal, self.curvature_or_none)

    @cached_property
    def has_ratification(self) -> bool:
        """Whether any party has a domestic win-set."""
        return bool(
            np.any(self.rat_low > 0)
            or np.any(self.rat_high < 1)
            or not np.all(np.isnan(self.rat_min))
            or not np.all(np.isnan(self.rat_mid))
        )

    def walkaway_at(self, t: int) -> np.ndarray:
        """Walk-away values in round ``t``: the path where given, else ``clip(w0 + drift t, 0, 1)``."""
        base = np.clip(self.walkaway + self.drift * t, 0.0, 1.0)
        if not self._has_paths:
            return base
        path = self.walk_table[..., min(t, self.walk_table.shape[-1] - 1)]
        return np.where(np.isnan(path), base, path)

    @cached_property
    def _has_paths(self) -> bool:
        return not np.all(np.isnan(self.walk_table))

    def red_lines_at(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Red lines in round ``t``: softened by ``soften * t``, above the no-deal line, where the party signs."""
        low, high = self._signed_red_lines
        if not (self._soft_columns or self._floor_issues):
            return low, high
        low, high = low.copy(), high.copy()
        for p, i in self._soft_columns:  # only the red lines that soften
            soften = self.red_soften[:, p, i] * t
            low[:, p, i] = np.maximum(low[:, p, i] - soften, 0.0)
            high[:, p, i] = np.minimum(high[:, p, i] + soften, 1.0)
        k = min(t, self.floor_table.shape[1] - 1)
        for i in self._floor_issues:  # only the issues with a no-deal line
            floor = self.floor_table[:, k, i][:, None] * self.consent[:, :, i]
            low[:, :, i] = np.minimum(np.maximum(low[:, :, i], floor), 1.0)
        return low, high

    @cached_property
    def _signed_red_lines(self) -> tuple[np.ndarray, np.ndarray]:
        """Red lines where the party's consent counts; none (0..1) where it does not sign."""
        if self.full_consent:
            return self.red_low, self.red_high
        signs = self.consent == 1.0
        return np.where(signs, self.red_low, 0.0), np.where(signs, self.red_high, 1.0)

    @cached_property
    def _soft_columns(self) -> list[tuple[int, int]]:
        return [tuple(pi) for pi in np.argwhere(np.any(self.red_soften != 0, axis=0))]

    @cached_property
    def _cost_columns(self) -> list[tuple[int, int]]:
        return [tuple(pi) for pi in np.argwhere(np.any(self.red_cost != 0, axis=0))]

    @cached_property
    def _floor_issues(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(np.any(self.floor_table != 0, axis=(0, 1)))]

    def audience_cost(self, text: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Total audience cost each party bears for ``text``, ``(B, P)`` (see :meth:`audience_costs`).

        Args:
            text: Normalised texts, ``(B, I)``.
            mask: Count only issues where ``mask`` (``(B, P, I)``) is 1.
        """
        total = np.zeros(self.ideal.shape[:-1])
        for p, i in self._cost_columns:
            crossed = (text[:, i] < self.red_low[:, p, i] - 1e-9) | (text[:, i] > self.red_high[:, p, i] + 1e-9)
            cost = np.where(crossed, self.red_cost[:, p, i], 0.0)
            total[:, p] += cost if mask is None else cost * mask[:, p, i]
        return total

    def audience_costs(self, text: np.ndarray) -> np.ndarray:
        """Per-issue audience cost each party bears for ``text``, ``(B, P, I)``.

        A party that crosses its original (unsoftened) red line loses ``cost``
        (Fearon 1994).
        """
        if not self.has_costs:
            return np.zeros(self.ideal.shape)
        z = text[..., None, :]
        crossed = (z < self.red_low - 1e-9) | (z > self.red_high + 1e-9)
        return np.where(crossed, self.red_cost, 0.0)

    @property
    def batch(self) -> int:
        """Number of rows B."""
        return self.ideal.shape[0]

    @property
    def n_parties(self) -> int:
        """Number of parties P."""
        return self.ideal.shape[1]

    @property
    def n_issues(self) -> int:
        """Number of issues I."""
        return self.ideal.shape[2]

    @classmethod
    def from_scenario(cls, scenario: Scenario, batch: int = 1, rounds: int | None = None) -> KernelParams:
        """Arrays for ``batch`` identical copies of a scenario.

        Args:
            scenario: The validated scenario.
            batch: Number of rows B.
            rounds: Round limit overriding the scenario's.

        Returns:
            The parameters.
        """
        lo = np.array([i.min for i in scenario.issues])
        span = np.array([i.span for i in scenario.issues])

        def per_issue(key: str) -> np.ndarray:
            return np.array([[getattr(p, key)[i.id] for i in scenario.issues] for p in scenario.parties])

        def per_party(key: str) -> np.ndarray:
            return np.array([getattr(p, key) for p in scenario.parties], dtype=float)

        salience = per_issue("salience")
        red = np.array([[p.red_lines[i.id] for i in scenario.issues] for p in scenario.parties])
        ids = scenario.party_ids
        if isinstance(scenario.opening, str):
            opening = np.full(len(lo), np.nan)
            rule = scenario.opening
        else:
            opening = (np.array([scenario.opening[i] for i in scenario.issue_ids]) - lo) / span
            rule = "explicit"
        step = np.array([(i.step or 0.0) / i.span for i in scenario.issues])
        limit = rounds if rounds is not None else scenario.rounds
        length = limit + 2
        table = np.full((len(ids), length), np.nan)
        for a, party in enumerate(scenario.parties):
            if party.walkaway_path:
                points = list(party.walkaway_path)
                if points[0][0] > 0:
                    points.insert(0, (0.0, party.walkaway))
                r, v = zip(*points, strict=True)
                table[a] = np.interp(np.arange(length), r, v)
        floor = np.zeros((length, len(lo)))
        for k, issue in enumerate(scenario.issues):
            if issue.no_deal_path:
                r, v = zip(*issue.no_deal_path, strict=True)
                floor[:, k] = (np.interp(np.arange(length), r, v) - issue.min) / issue.span
        consent = np.array(
            [[1.0 if i.id in p.must_agree_on else 0.0 for i in scenario.issues] for p in scenario.parties]
        )
        rat_bounds = np.array(
            [
                [(p.ratification.bounds[i.id] if p.ratification else (i.min, i.max)) for i in scenario.issues]
                for p in scenario.parties
            ]
        )
        nan = float("nan")
        rat_min = [
            p.ratification.min_utility if p.ratification and p.ratification.min_utility is not None else nan
            for p in scenario.parties
        ]
        rat_mid = [
            p.ratification.midpoint if p.ratification and p.ratification.midpoint is not None else nan
            for p in scenario.parties
        ]
        rat_steep = [
            p.ratification.steepness if p.ratification and p.ratification.steepness is not None else nan
            for p in scenario.parties
        ]
        members = np.array([[pid in c.members for pid in ids] for c in scenario.coalitions], dtype=bool)

        def rows(a: np.ndarray) -> np.ndarray:
            # a read-only view with a zero stride on the batch axis: no copy per row
            return np.broadcast_to(a[None, ...], (batch, *a.shape))

        return cls(
            ideal=rows((per_issue("ideal") - lo) / span),
            salience=rows(salience),
            weight=rows(salience / salience.sum(axis=1, keepdims=True)),
            curvature=rows(per_issue("curvature")),
            red_low=rows((red[..., 0] - lo) / span),
            red_high=rows((red[..., 1] - lo) / span),
            capability=rows(per_party("capability")),
            patience=rows(per_party("patience")),
            walkaway=rows(per_party("walkaway")),
            drift=rows(per_party("walkaway_drift")),
            bias=rows(np.array([scenario.mediator_bias[p] for p in ids], dtype=float)),
            noise=np.full(batch, scenario.noise),
            rounds=np.full(batch, rounds if rounds is not None else scenario.rounds, dtype=np.int64),
            opening=rows(opening),
            strategy=rows(np.array([STRATEGIES.index(p.strategy or "linear") for p in scenario.parties])),
            step=step,
            mediator=ids.index(scenario.mediator) if scenario.mediator in ids else -1,
            main=(ids.index(scenario.main_parties[0]), ids.index(scenario.main_parties[1])),
            opening_rule=rule,
            consent=rows(consent),
            walk_table=rows(table),
            red_soften=rows(per_issue("red_soften") / span),
            red_cost=rows(per_issue("red_cost")),
            rat_low=rows((rat_bounds[..., 0] - lo) / span),
            rat_high=rows((rat_bounds[..., 1] - lo) / span),
            rat_min=rows(np.array(rat_min, dtype=float)),
            rat_mid=rows(np.array(rat_mid, dtype=float)),
            rat_steep=rows(np.array(rat_steep, dtype=float)),
            floor_table=rows(floor),
            ratification_end=scenario.ratification_failure == "end",
            coalitions=members.reshape(len(scenario.coalitions), len(ids)),
            coalition_counter=np.array([c.counter_text for c in scenario.coalitions], dtype=bool),
            coalition_from=np.array([c.from_round for c in scenario.coalitions], dtype=np.int64),
        )

    @classmethod
    def stack(cls, rows: list[KernelParams]) -> KernelParams:
        """Concatenate parameter sets of the same scenario shape along the batch axis.

        Raises:
            ValueError: Naming a field that is shared by all rows but differs.
        """
        first = rows[0]
        values = {}
        for f in fields(cls):
            if f.name in SHARED_FIELDS:
                value = getattr(first, f.name)
                if any(not np.array_equal(getattr(r, f.name), value) for r in rows[1:]):
                    raise ValueError(f.name)
                values[f.name] = value
            else:
                values[f.name] = np.concatenate([getattr(r, f.name) for r in rows], axis=0)
        return cls(**values)

    def take(self, index: np.ndarray | slice) -> KernelParams:
        """The rows selected by ``index`` (keeps the batch axis)."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SHARED_FIELDS:
                values[f.name] = value
            else:
                values[f.name] = value[index]
        return replace(self, **values)
