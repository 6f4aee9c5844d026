"""A scenario as arrays with a leading batch axis: what the kernel reads.

:class:`KernelParams` holds one row per negotiation. The stepped Mesa model
uses a batch of one; the batched engine stacks many rows, each a variant of
the same scenario (same issues and parties, different numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from sim.scenario import Scenario
from sim.strategies import STRATEGIES

__all__ = ["SHARED_FIELDS", "KernelParams"]

SHARED_FIELDS = ("step", "mediator", "main", "opening_rule")
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
        strategy: Each party's strategy code (index in ``sim.strategies.STRATEGIES``), ``(B, P)``.
        mediator: Index of the mediator party (-1 if none).
        main: Indices of the two main parties (bilateral protocols, plots).
        opening_rule: ``"compromise"``, ``"mediator"`` or ``"explicit"``.
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

        def rows(a: np.ndarray) -> np.ndarray:
            return np.repeat(a[None, ...], batch, axis=0)

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
        )

    @classmethod
    def stack(cls, rows: list[KernelParams]) -> KernelParams:
        """Concatenate parameter sets of the same scenario shape along the batch axis."""
        first = rows[0]
        values = {}
        for f in fields(cls):
            if f.name in SHARED_FIELDS:
                values[f.name] = getattr(first, f.name)
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
