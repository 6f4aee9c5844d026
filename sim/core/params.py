"""A scenario as arrays with a leading batch axis: what the kernel reads.

:class:`KernelParams` holds one row per negotiation, grouped into small
records (preferences, red lines, walk-aways, ratification, mediation,
coalitions). The stepped Mesa model uses a batch of one; the batched engine
stacks many rows, each a variant of the same scenario (same issues and
parties, different numbers). :func:`sim.core.compile.compile_params` builds
them from a scenario.

A field is *shared* when it has no batch axis (the same for every row, such as
the grid steps or the coalitions); a record lists its shared fields in
``SHARED``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from sim.core.utility import issue_values, utilities

__all__ = [
    "Coalitions",
    "Events",
    "Front",
    "KernelParams",
    "Mediation",
    "Preferences",
    "RatificationRules",
    "RedLines",
    "Walkaways",
]


@dataclass(frozen=True)
class Preferences:
    """What each party wants: ``(B, P, I)`` each, positions normalised to [0, 1].

    Attributes:
        ideal: Ideal points.
        salience: Raw salience in [0, 1].
        weight: Salience normalised to sum 1 per party.
        curvature: Value-function exponents.
        consent: 1 where the party's consent is needed on the issue
            (``must_agree_on``), else 0.
        voice: 1 where the party pulls on the issue in the mediated text
            (``voice_on``; by default where it signs), else 0.
    """

    SHARED: ClassVar[frozenset[str]] = frozenset()
    ideal: np.ndarray
    salience: np.ndarray
    weight: np.ndarray
    curvature: np.ndarray
    consent: np.ndarray
    voice: np.ndarray


@dataclass(frozen=True)
class RedLines:
    """Hard bounds, normalised, ``(B, P, I)`` each.

    Attributes:
        low: Lower red lines.
        high: Upper red lines.
        soften: Per-round relaxation.
        cost: Audience cost of crossing the original line (Fearon 1994).
    """

    SHARED: ClassVar[frozenset[str]] = frozenset()
    low: np.ndarray
    high: np.ndarray
    soften: np.ndarray
    cost: np.ndarray


@dataclass(frozen=True)
class Walkaways:
    """The value of no deal.

    Attributes:
        start: Walk-away utility at round 0, ``(B, P)``.
        drift: Change per round, ``(B, P)``.
        table: Value by round from ``walkaway_path`` (NaN without a path), ``(B, P, L)``.
        front_sensitivity: Change per unit of normalised front movement, ``(B, P)``.
        walkout_after: Rounds in a row below the walk-away after which the
            party walks out (0: never), ``(B, P)``.
    """

    SHARED: ClassVar[frozenset[str]] = frozenset()
    start: np.ndarray
    drift: np.ndarray
    table: np.ndarray
    front_sensitivity: np.ndarray
    walkout_after: np.ndarray


@dataclass(frozen=True)
class RatificationRules:
    """Domestic win-sets (Putnam 1988).

    Attributes:
        low: Lower bounds of the win-set, normalised, ``(B, P, I)``.
        high: Upper bounds, ``(B, P, I)``.
        min_utility: Least utility that is ratified (NaN: none), ``(B, P)``.
        midpoint: Logistic passage midpoint (NaN: none), ``(B, P)``.
        steepness: Logistic passage steepness, ``(B, P)``.
        ends_talks: Whether a failed ratification ends the run (shared).
    """

    SHARED: ClassVar[frozenset[str]] = frozenset({"ends_talks"})
    low: np.ndarray
    high: np.ndarray
    min_utility: np.ndarray
    midpoint: np.ndarray
    steepness: np.ndarray
    ends_talks: bool


@dataclass(frozen=True)
class Mediation:
    """The mediator and the opening text.

    Attributes:
        bias: Mediator bias multipliers, ``(B, P)``.
        noise: Standard deviation of the drafting noise, ``(B,)``.
        opening: Explicit opening text, ``(B, I)``; NaN where the rule applies.
        mediator: Index of the mediator party, -1 if none (shared).
        opening_rule: ``"compromise"``, ``"mediator"`` or ``"explicit"`` (shared).
        lean: The mediator's drafting lean toward each party, in [0, 1), ``(B, P)``.
        misperception: Standard deviation of the mediator's error about red
            lines (normalised), ``(B,)``.
    """

    SHARED: ClassVar[frozenset[str]] = frozenset({"mediator", "opening_rule"})
    bias: np.ndarray
    noise: np.ndarray
    opening: np.ndarray
    mediator: int
    opening_rule: str
    lean: np.ndarray
    misperception: np.ndarray


@dataclass(frozen=True)
class Front:
    """The battlefield: a front line on one issue, normalised (see :class:`sim.core.scenario.Battlefield`).

    Attributes:
        issue: Index of the issue whose no-deal line it is, -1 without a battlefield (shared).
        start: F(0), ``(B,)``.
        drift: Expected change per round, ``(B,)``.
        volatility: Standard deviation per round, ``(B,)``.
        jump_rate: Breakthrough probability per round, ``(B,)``.
        jump_size: Breakthrough size, ``(B,)``.
    """

    SHARED: ClassVar[frozenset[str]] = frozenset({"issue"})
    issue: int
    start: np.ndarray
    drift: np.ndarray
    volatility: np.ndarray
    jump_rate: np.ndarray
    jump_size: np.ndarray


@dataclass(frozen=True)
class Events:
    """Dated shocks: E events, K changes (one per path an event sets or shifts).

    Attributes:
        labels: What happened, per event (shared).
        rounds: The first round each event applies to, ``(E,)`` (shared).
        probability: The chance each event happens in a run, ``(B, E)``.
        event: The event of each change, ``(K,)`` (shared).
        fields: The KernelParams field of each change, dotted (shared).
        index: Index into the field's non-batch axes, per change (shared).
        shift: Whether each change adds (True) or sets (False) (shared).
        bounds: ``(low, high)`` each changed value is kept within, per change (shared).
        value: The value set or added, in kernel units, ``(B, K)``.
    """

    SHARED: ClassVar[frozenset[str]] = frozenset({"labels", "rounds", "event", "fields", "index", "shift", "bounds"})
    labels: tuple[str, ...]
    rounds: np.ndarray
    probability: np.ndarray
    event: np.ndarray
    fields: tuple[str, ...]
    index: tuple[tuple[int, ...], ...]
    shift: tuple[bool, ...]
    bounds: tuple[tuple[float, float], ...]
    value: np.ndarray


@dataclass(frozen=True)
class Coalitions:
    """Parties speaking with one voice (shared by all rows).

    Attributes:
        members: Membership, ``(C, P)`` booleans.
        counter_text: Whether each coalition tables a counter-text, ``(C,)``.
        from_round: The round each coalition forms, ``(C,)``.
    """

    SHARED: ClassVar[frozenset[str]] = frozenset({"members", "counter_text", "from_round"})
    members: np.ndarray
    counter_text: np.ndarray
    from_round: np.ndarray


def _equal(a: Any, b: Any) -> bool:
    """Equality of shared values: arrays, numbers, strings and (nested) tuples of them."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(map(_equal, a, b))
    return bool(np.array_equal(a, b))


def _stack(rows: list[Any], name: str = "") -> Any:
    """Concatenate records along the batch axis; shared fields must agree (ValueError names one)."""
    first = rows[0]
    values = {}
    for f in fields(first):
        value = getattr(first, f.name)
        path = f"{name}.{f.name}" if name else f.name
        if is_dataclass(value):
            values[f.name] = _stack([getattr(r, f.name) for r in rows], path)
        elif f.name in first.SHARED:
            if any(not _equal(getattr(r, f.name), value) for r in rows[1:]):
                raise ValueError(path)
            values[f.name] = value
        else:
            values[f.name] = np.concatenate([getattr(r, f.name) for r in rows], axis=0)
    return type(first)(**values)


def _take(record: Any, index: np.ndarray | slice) -> Any:
    values = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if is_dataclass(value):
            values[f.name] = _take(value, index)
        else:
            values[f.name] = value if f.name in record.SHARED else value[index]
    return replace(record, **values)


@dataclass(frozen=True)
class KernelParams:
    """Bargaining parameters as arrays; B rows, P parties, I issues.

    Attributes:
        prefs: Ideals, saliences, weights, curvature and consent.
        red_lines: Red lines, their softening and audience costs.
        walkaways: Walk-away values, drifts and paths.
        ratification: Domestic win-sets.
        mediation: Mediator bias, drafting noise, the opening text.
        coalitions: Coalitions (shared).
        capability: ``(B, P)``.
        patience: Discount factors, ``(B, P)``.
        strategy: Each party's strategy code (index in
            :data:`sim.core.schema.STRATEGIES`), ``(B, P)``.
        rounds: Round limit, ``(B,)`` integers.
        floor_table: The no-deal line of each issue by round (texts cannot go
            below it), ``(B, L, I)``; 0 where the issue has none.
        step: Normalised grid step per issue, ``(I,)`` (0 = continuous; shared).
        main: Indices of the two main parties (bilateral protocols, plots; shared).
        breakdown_risk: Probability that the talks break down after a round
            without a deal (Binmore, Rubinstein & Wolinsky 1986), ``(B,)``.
        front: The battlefield.
        events: Dated shocks.
        levels: The normalised options of each discrete issue (empty for
            other issues; shared).
    """

    SHARED: ClassVar[frozenset[str]] = frozenset({"step", "main", "levels"})
    prefs: Preferences
    red_lines: RedLines
    walkaways: Walkaways
    ratification: RatificationRules
    mediation: Mediation
    coalitions: Coalitions
    capability: np.ndarray
    patience: np.ndarray
    strategy: np.ndarray
    rounds: np.ndarray
    floor_table: np.ndarray
    step: np.ndarray
    main: tuple[int, int]
    breakdown_risk: np.ndarray
    front: Front
    events: Events
    levels: tuple[np.ndarray, ...]

    @property
    def batch(self) -> int:
        """Number of rows B."""
        return self.prefs.ideal.shape[0]

    @property
    def n_parties(self) -> int:
        """Number of parties P."""
        return self.prefs.ideal.shape[1]

    @property
    def n_issues(self) -> int:
        """Number of issues I."""
        return self.prefs.ideal.shape[2]

    @cached_property
    def curvature_or_none(self) -> np.ndarray | None:
        """The exponents, or None when every value function is linear (faster)."""
        return None if np.all(self.prefs.curvature == 1.0) else self.prefs.curvature

    @cached_property
    def full_consent(self) -> bool:
        """Whether every party signs for every issue (no guarantors)."""
        return bool(np.all(self.prefs.consent == 1.0))

    @cached_property
    def guarded_weight(self) -> tuple[np.ndarray, np.ndarray]:
        """Weights on the issues each party signs for, and their sum per party."""
        guarded = self.prefs.weight * self.prefs.consent
        return guarded, guarded.sum(axis=-1)

    @cached_property
    def has_costs(self) -> bool:
        """Whether any red line carries an audience cost."""
        return bool(np.any(self.red_lines.cost))

    @cached_property
    def has_softening(self) -> bool:
        """Whether any red line softens."""
        return bool(np.any(self.red_lines.soften))

    @cached_property
    def has_floor(self) -> bool:
        """Whether any issue has a no-deal line above its minimum."""
        return bool(np.any(self.floor_table))

    @cached_property
    def has_ratification(self) -> bool:
        """Whether any party has a domestic win-set."""
        rat = self.ratification
        return bool(
            np.any(rat.low > 0)
            or np.any(rat.high < 1)
            or not np.all(np.isnan(rat.min_utility))
            or not np.all(np.isnan(rat.midpoint))
        )

    def utilities(self, text: np.ndarray) -> np.ndarray:
        """Every party's utility of ``text`` (before audience costs), ``(B, P)``."""
        return utilities(text, self.prefs.ideal, self.prefs.weight, self.curvature_or_none)

    def issue_values(self, text: np.ndarray) -> np.ndarray:
        """Every party's value of ``text`` on each issue, ``(B, P, I)``."""
        return issue_values(text, self.prefs.ideal, self.curvature_or_none)

    def walkaway_at(self, t: int, front: np.ndarray | None = None) -> np.ndarray:
        """Walk-away values in round ``t``, ``(B, P)``.

        The path where given, else ``clip(w0 + drift t, 0, 1)``; with a
        battlefield, plus ``front_sensitivity * (F(t) - F(0))`` (clipped to [0, 1]).

        Args:
            t: The round.
            front: The front line in round t, ``(B,)`` normalised (None: at its start).
        """
        w = self.walkaways
        base = np.clip(w.start + w.drift * t, 0.0, 1.0)
        if self._has_paths:
            path = w.table[..., min(t, w.table.shape[-1] - 1)]
            base = np.where(np.isnan(path), base, path)
        if front is not None and self._moves_with_front:
            base = np.clip(base + w.front_sensitivity * (front - self.front.start)[:, None], 0.0, 1.0)
        return base

    @cached_property
    def _moves_with_front(self) -> bool:
        return self.front.issue >= 0 and bool(np.any(self.walkaways.front_sensitivity))

    @cached_property
    def has_walkouts(self) -> bool:
        """Whether any party may walk out."""
        return bool(np.any(self.walkaways.walkout_after > 0))

    @cached_property
    def _has_paths(self) -> bool:
        return not np.all(np.isnan(self.walkaways.table))

    def red_lines_at(self, t: int, front: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Red lines in round ``t``: softened by ``soften * t``, above the no-deal line, where the party signs.

        Args:
            t: The round.
            front: The front line in round t, ``(B,)`` normalised: the no-deal
                line of the battlefield's issue (None: at its start).
        """
        low, high = self._signed_red_lines
        moving = front is not None and self.front.issue >= 0
        if not (self._soft_columns or self._floor_issues or moving):
            return low, high
        low, high = low.copy(), high.copy()
        for p, i in self._soft_columns:  # only the red lines that soften
            soften = self.red_lines.soften[:, p, i] * t
            low[:, p, i] = np.maximum(low[:, p, i] - soften, 0.0)
            high[:, p, i] = np.minimum(high[:, p, i] + soften, 1.0)
        k = min(t, self.floor_table.shape[1] - 1)
        for i in self._floor_issues:  # only the issues with a no-deal line (the front replaces its start)
            if moving and i == self.front.issue:
                continue
            floor = self.floor_table[:, k, i][:, None] * self.prefs.consent[:, :, i]
            low[:, :, i] = np.minimum(np.maximum(low[:, :, i], floor), 1.0)
        if moving:  # the front is the battlefield issue's no-deal line, after any softening
            i = self.front.issue
            floor = front[:, None] * self.prefs.consent[:, :, i]
            low[:, :, i] = np.minimum(np.maximum(low[:, :, i], floor), 1.0)
        return low, high

    @cached_property
    def _signed_red_lines(self) -> tuple[np.ndarray, np.ndarray]:
        """Red lines where the party's consent counts; none (0..1) where it does not sign."""
        if self.full_consent:
            return self.red_lines.low, self.red_lines.high
        signs = self.prefs.consent == 1.0
        return np.where(signs, self.red_lines.low, 0.0), np.where(signs, self.red_lines.high, 1.0)

    @cached_property
    def _soft_columns(self) -> list[tuple[int, int]]:
        return [tuple(pi) for pi in np.argwhere(np.any(self.red_lines.soften != 0, axis=0))]

    @cached_property
    def _cost_columns(self) -> list[tuple[int, int]]:
        return [tuple(pi) for pi in np.argwhere(np.any(self.red_lines.cost != 0, axis=0))]

    @cached_property
    def _floor_issues(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(np.any(self.floor_table != 0, axis=(0, 1)))]

    def audience_cost(self, text: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Total audience cost each party bears for ``text``, ``(B, P)`` (see :meth:`audience_costs`).

        Args:
            text: Normalised texts, ``(B, I)``.
            mask: Count only issues where ``mask`` (``(B, P, I)``) is 1.
        """
        red = self.red_lines
        total = np.zeros(self.prefs.ideal.shape[:-1])
        for p, i in self._cost_columns:
            crossed = (text[:, i] < red.low[:, p, i] - 1e-9) | (text[:, i] > red.high[:, p, i] + 1e-9)
            cost = np.where(crossed, red.cost[:, p, i], 0.0)
            total[:, p] += cost if mask is None else cost * mask[:, p, i]
        return total

    def audience_costs(self, text: np.ndarray) -> np.ndarray:
        """Per-issue audience cost each party bears for ``text``, ``(B, P, I)``.

        A party that crosses its original (unsoftened) red line loses ``cost``
        (Fearon 1994).
        """
        if not self.has_costs:
            return np.zeros(self.prefs.ideal.shape)
        red = self.red_lines
        z = text[..., None, :]
        crossed = (z < red.low - 1e-9) | (z > red.high + 1e-9)
        return np.where(crossed, red.cost, 0.0)

    def at_round(self, t: int, fired: np.ndarray) -> KernelParams:
        """The parameters in force in round ``t``: every event of round <= t that fired in a row applied to it.

        Args:
            t: The round.
            fired: Whether each event happens in each row, ``(B, E)``.

        Returns:
            ``self`` when no event applies yet; otherwise a copy with the changed fields.
        """
        ev = self.events
        if not len(ev.event):
            return self
        changes = [k for k in range(len(ev.event)) if ev.rounds[ev.event[k]] <= t]
        if not changes:
            return self
        key = (len(changes), id(fired))
        cache = self.__dict__.setdefault("_rounds_cache", {})
        if key not in cache:
            cache.clear()
            cache[key] = self._with_changes(changes, fired)
        return cache[key]

    def _with_changes(self, changes: list[int], fired: np.ndarray) -> KernelParams:
        ev = self.events
        arrays: dict[str, np.ndarray] = {}
        for k in changes:
            name = ev.fields[k]
            if name not in arrays:
                arrays[name] = np.array(self.array(name), dtype=float if name != "rounds" else np.int64)
            target = arrays[name]
            where = (slice(None), *ev.index[k])
            current = target[where]
            new = current + ev.value[:, k] if ev.shift[k] else ev.value[:, k]
            if name == "walkaways.start" and not ev.shift[k]:  # the walk-away is set to this value *in that round*
                new = new - self.walkaways.drift[where] * ev.rounds[ev.event[k]]
            new = np.clip(new, *ev.bounds[k])
            target[where] = np.where(fired[:, ev.event[k]], new, current)
        if "prefs.salience" in arrays:
            salience = arrays["prefs.salience"]
            arrays["prefs.weight"] = salience / np.maximum(salience.sum(axis=-1, keepdims=True), 1e-300)
        return self.with_arrays(arrays)

    def with_arrays(self, arrays: dict[str, np.ndarray]) -> KernelParams:
        """A copy with fields replaced by dotted name (``"prefs.ideal"``, ``"capability"``)."""
        top: dict[str, Any] = {}
        nested: dict[str, dict[str, np.ndarray]] = {}
        for name, value in arrays.items():
            record, _, leaf = name.partition(".")
            if leaf:
                nested.setdefault(record, {})[leaf] = value
            else:
                top[record] = value
        for record, values in nested.items():
            top[record] = replace(getattr(self, record), **values)
        return replace(self, **top)

    def array(self, name: str) -> np.ndarray:
        """A field by dotted name (``"prefs.ideal"``)."""
        value: Any = self
        for part in name.split("."):
            value = getattr(value, part)
        return value

    @classmethod
    def stack(cls, rows: list[KernelParams]) -> KernelParams:
        """Concatenate parameter sets of the same scenario shape along the batch axis.

        Raises:
            ValueError: Naming a field that is shared by all rows but differs.
        """
        return _stack(rows)

    def take(self, index: np.ndarray | slice) -> KernelParams:
        """The rows selected by ``index`` (keeps the batch axis)."""
        return _take(self, index)
