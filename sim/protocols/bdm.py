"""``bdm``: Bueno de Mesquita's expected-utility model (Scholz, Calbert & Smith 2011).

A forecasting model of collective decisions, run issue by issue with positions
starting at the ideals. Two variants, chosen per run with the constructor
argument ``variant``:

**``"reference"``** (default; the formalisation and reference code of Scholz,
Calbert & Smith 2011, as issue #4 pins it; reproduces their numbers); x are
positions, c capability, s raw salience, r risk exponents, and on each issue:

* ``Delta = max - min`` of the *initial* positions; ``Q = 1``.
* vote of k for a over b:
  ``w_k(a, b) = c_k s_k [(|x_k - b| / Delta) ** r_k - (|x_k - a| / Delta) ** r_k]``
* ``P(i beats j) = sum_k max(0, w_k(x_i, x_j)) / sum_k sum_a sum_b |w_k(x_a, x_b)|``
  (denominator over all ordered pairs of the actors' positions).
* From actor p's view, with ``r = r_p`` and ``d = |x_i - x_j| / Delta``:
  ``U_s = 2 - 4 (0.5 - 0.5 d) ** r``, ``U_f = 2 - 4 (0.5 + 0.5 d) ** r``,
  ``U_sq = 2 - 4 (0.5) ** r``, and
  ``E_p(i challenges j) = s_j [P U_s + (1 - P) U_f] + (1 - s_j) U_s - U_sq``.
* Risk: first with all r = 1, ``S_i = sum_{j != i} E_i(j challenges i)``;
  ``R_i = (2 S_i - max S - min S) / (max S - min S)``;
  ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` (so r in [0.5, 2]); recomputed from
  the current positions every round.
* Each round every actor i looks at each j with ``x_j != x_i``, with
  ``e1 = E_i(i challenges j)``, ``e2 = E_i(j challenges i)``:
  confrontation (i loses) if ``e2 > e1 > 0``: move to x_j;
  compromise if ``e2 > 0 > e1`` and ``e2 > |e1|``: move to
  ``x_i + (x_j - x_i) |e1 / e2|``;
  capitulation if ``e2 > 0 > e1`` and ``e2 < |e1|``: move to x_j.
  Confrontations first (the nearest x_j), else compromises (the one
  minimising ``(|e1| x_i + |e2| x_j) / (|e1| + |e2|)``), else capitulations
  (the nearest). All actors move simultaneously.
* The forecast each round is the capability x salience weighted mean of the
  positions; the deal is the forecast after the last round (or after the
  round in which nobody moved: a fixed point).

**``"literature"``** (Bueno de Mesquita 1994 as the literature states it;
/work/notes/theory.md section 4). Everything as above except three rules that
make the reference variant depend on the direction of the scale and let
capability drop out of the contests:

* per-contest normalisation: ``P(i beats j) = sum_k max(0, w_k(x_i, x_j)) /
  sum_k |w_k(x_i, x_j)|`` (0.5 when nobody cares), so
  ``P(i beats j) + P(j beats i) = 1``; the reference's denominator sums over
  all ordered pairs and makes the two add up to about 2 / N**2 on N actors;
* a scale-free compromise rule: among several compromises an actor makes the
  one that needs the smallest move ``|x_j - x_i| |e1 / e2|`` (the reference
  takes the one whose weighted position is smallest, which depends on which
  end of the scale is 0); exact ties go to the lower actor index (file order,
  independent of positions);
* the forecast is the **weighted median** of the positions (weights ``c s``;
  on an exact half, the midpoint of the two middle positions), the median
  voter position that Bueno de Mesquita (1994) predicts; the reference takes
  the weighted mean.

Reversing the scale (x -> 1 - x) leaves every distance, vote, probability,
expected utility and move size unchanged, so the literature variant's forecast
mirrors: ``forecast(1 - x) = 1 - forecast(x)`` (tested on random games).

**Stopping** (both variants). The run ends after the first round in which no
position moved by more than ``tolerance`` (normalised units; 0 = an exact
fixed point, the pinned rule), or at the round limit. Positions need not
settle: on DEU III most issues cycle (see ``docs/MODEL.md``).

The deal is a forecast, not a consented text: ``agreement`` is always true and
``accepts`` reports whether each party would accept it (red lines and
walk-away value).

References:
    Bueno de Mesquita, B. (1994). Political forecasting: an expected utility
    method. In *European Community Decision Making*, Yale University Press.
    Scholz, J. B., Calbert, G. J., & Smith, G. A. (2011). Unravelling Bueno De
    Mesquita's group decision model. *Journal of Theoretical Politics* 23(4),
    510-531.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.core.acceptance import answers
from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.core.utility import safe_divide, snap_to_grid, weighted_mean
from sim.protocols.base import Memory, Protocol, State

__all__ = [
    "VARIANTS",
    "Bdm",
    "BdmMemory",
    "CYCLE_MEMORY",
    "VOTES_PER_CHUNK",
    "bdm_challenges",
    "bdm_expected_utility",
    "bdm_forecast",
    "bdm_moves",
    "bdm_risk_exponents",
    "bdm_win_probabilities",
    "weighted_median",
]

VARIANTS = ("reference", "literature")
"""The BDM variants: Scholz et al.'s reference code, and the literature's rules (see the module docstring)."""


# The kernel works party axes first and contests last (a contest: one issue of one row): positions ``(N, n)``,
# pairs ``(N, N, n)``, votes ``(N, N, N, n)``, so that every numpy loop runs along the long contest axis (numpy is
# slow on short trailing axes). Every number is the one the batch-first formulas give, bit for bit: sums over
# the voter run in order, and a sum over all ordered pairs is taken by numpy on a contest-first copy (numpy's
# own pairwise order, as a sum over the trailing axes gets it); tests/test_bdm.py checks this against a copy
# of the batch-first code.


def _to_contests(a: np.ndarray) -> np.ndarray:
    """``(..., N)`` -> ``(N, n)``: the party axis first, every leading axis flattened into contests."""
    return np.moveaxis(a, -1, 0).reshape(a.shape[-1], -1)


def _from_contests(a: np.ndarray, lead: tuple[int, ...]) -> np.ndarray:
    """``(N, [N,] n)`` -> ``(..., N[, N])``: the inverse of :func:`_to_contests` (one or two party axes)."""
    parties = a.shape[:-1]
    return np.moveaxis(a.reshape(*parties, *lead), tuple(range(len(parties))), tuple(range(-len(parties), 0)))


def _sum_as_trailing(a: np.ndarray) -> np.ndarray:
    """``(m, n)`` summed over m in the order numpy sums a trailing axis of length m (pairwise), ``(n,)``."""
    return np.ascontiguousarray(a.T).sum(axis=-1)


def _distances(x: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``|x_a - x_b| / Delta`` for every ordered pair, ``(N, N, n)``."""
    return np.abs(x[:, None] - x[None, :]) / delta


def _win_probabilities(dist: np.ndarray, power: np.ndarray, r: np.ndarray | None, per_contest: bool) -> np.ndarray:
    """``P(a beats b)``, ``(N, N, n)``, from the distances; ``r`` None when every exponent is 1 (x ** 1 == x)."""
    n_parties = dist.shape[0]
    dr = dist if r is None else dist ** r[:, None]  # (k, a, n)
    votes = dr[:, None] - dr[:, :, None]  # (k, a, b, n): w_k(a, b) / (c_k s_k)
    np.multiply(power[:, None, None], votes, out=votes)
    won = np.maximum(votes, 0.0).sum(axis=0)
    cast = np.abs(votes, out=votes)
    if per_contest:
        return safe_divide(won, cast.sum(axis=0), 0.5)
    return safe_divide(won, _sum_as_trailing(cast.reshape(n_parties**3, -1)))


def _outcome_utilities(d: np.ndarray, r: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | float]:
    """``(U_s, U_f, U_sq)`` of i's contest with j from i's view, exponent ``r_i``; r None = all 1 (no powers)."""
    if r is None:  # x ** 1 == x and 2 - 4 * 0.5 ** 1 == 0 exactly: the same numbers
        return 2.0 - 4.0 * (0.5 - 0.5 * d), 2.0 - 4.0 * (0.5 + 0.5 * d), 0.0
    r_i = r[:, None]
    return 2.0 - 4.0 * (0.5 - 0.5 * d) ** r_i, 2.0 - 4.0 * (0.5 + 0.5 * d) ** r_i, 2.0 - 4.0 * 0.5**r_i


def _expected(p_win: np.ndarray, s_target: np.ndarray, u_s: np.ndarray, u_f: np.ndarray, u_sq) -> np.ndarray:
    return s_target * (p_win * u_s + (1.0 - p_win) * u_f) + (1.0 - s_target) * u_s - u_sq


def _challenges(
    dist: np.ndarray, power: np.ndarray, sal: np.ndarray, r: np.ndarray | None, per_contest: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``(e1, e2)``, each ``(N, N, n)``; the outcome utilities are computed once for both."""
    p = _win_probabilities(dist, power, r, per_contest)
    u_s, u_f, u_sq = _outcome_utilities(dist, r)
    e1 = _expected(p, sal[None, :], u_s, u_f, u_sq)
    e2 = _expected(np.swapaxes(p, 0, 1), sal[:, None], u_s, u_f, u_sq)
    return e1, e2


def _risk_exponents(dist: np.ndarray, power: np.ndarray, sal: np.ndarray, per_contest: bool) -> np.ndarray:
    """``r``, ``(N, n)``, from the challenges with every exponent 1."""
    p = _win_probabilities(dist, power, None, per_contest)
    u_s, u_f, _ = _outcome_utilities(dist, None)
    e2 = _expected(np.swapaxes(p, 0, 1), sal[:, None], u_s, u_f, 0.0)  # minus U_sq = 0 changes no number
    n_parties = dist.shape[0]
    others = e2 * (1.0 - np.eye(n_parties))[:, :, None]  # (i, j, n)
    s = np.ascontiguousarray(np.moveaxis(others, 1, -1)).sum(axis=-1)  # over j, numpy's order: (i, n)
    s_max = s.max(axis=0)
    s_min = s.min(axis=0)
    spread = s_max - s_min
    big_r = safe_divide(2.0 * s - s_max - s_min, spread)
    return (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)


def _moves(x: np.ndarray, power: np.ndarray, sal: np.ndarray, delta: np.ndarray, literature: bool) -> np.ndarray:
    """One round's new positions, ``(N, n)`` (see :func:`bdm_moves`)."""
    dist = _distances(x, delta)
    r = _risk_exponents(dist, power, sal, literature)
    e1, e2 = _challenges(dist, power, sal, r, literature)
    xi = x[:, None]
    xj = x[None, :]
    valid = xi != xj
    gap = np.abs(xj - xi)
    conf = valid & (e2 > e1) & (e1 > 0)
    comp = valid & (e2 > 0) & (e1 < 0) & (e2 > np.abs(e1))
    capit = valid & (e2 > 0) & (e1 < 0) & (e2 < np.abs(e1))
    contests = np.arange(x.shape[1])

    def pick(mask: np.ndarray, key: np.ndarray) -> np.ndarray:
        return np.argmin(np.where(mask, key, np.inf), axis=1)  # (i, n): the first j on ties

    to_conf = x[pick(conf, gap), contests]
    a1, a2 = np.abs(e1), np.abs(e2)
    with np.errstate(divide="ignore", invalid="ignore"):
        comp_to = xi + (xj - xi) * np.abs(e1 / e2)
        comp_key = np.abs(comp_to - xi) if literature else (a1 * xi + a2 * xj) / (a1 + a2)
    to_comp = np.take_along_axis(comp_to, pick(comp, comp_key)[:, None], axis=1)[:, 0]
    to_capit = x[pick(capit, gap), contests]
    return np.where(conf.any(1), to_conf, np.where(comp.any(1), to_comp, np.where(capit.any(1), to_capit, x)))


def bdm_win_probabilities(
    x: np.ndarray, power: np.ndarray, r: np.ndarray, delta: np.ndarray, per_contest: bool = False
) -> np.ndarray:
    """``P(i beats j)`` for every ordered pair, ``(..., N, N)``.

    Args:
        x: Positions, ``(..., N)``.
        power: ``c_k s_k``, ``(..., N)``.
        r: Risk exponents, ``(..., N)``.
        delta: Initial position range, ``(...)``.
        per_contest: Normalise each contest by its own votes (the literature
            variant: ``P(i beats j) + P(j beats i) = 1``, 0.5 where nobody
            votes) instead of by the votes of all ordered pairs (the reference).
    """
    lead = x.shape[:-1]
    dist = _distances(_to_contests(x), np.broadcast_to(delta, lead).reshape(-1))
    p = _win_probabilities(dist, _to_contests(power), _to_contests(r), per_contest)
    return _from_contests(p, lead)


def bdm_expected_utility(p_win: np.ndarray, s_target: np.ndarray, d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``E = s [P U_s + (1 - P) U_f] + (1 - s) U_s - U_sq`` with exponent r."""
    u_s = 2.0 - 4.0 * (0.5 - 0.5 * d) ** r
    u_f = 2.0 - 4.0 * (0.5 + 0.5 * d) ** r
    u_sq = 2.0 - 4.0 * 0.5**r
    return _expected(p_win, s_target, u_s, u_f, u_sq)


def bdm_challenges(
    x: np.ndarray, power: np.ndarray, sal: np.ndarray, r: np.ndarray, delta: np.ndarray, per_contest: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``e1[i, j] = E_i(i challenges j)`` and ``e2[i, j] = E_i(j challenges i)``, each ``(..., N, N)``."""
    lead = x.shape[:-1]
    dist = _distances(_to_contests(x), np.broadcast_to(delta, lead).reshape(-1))
    e1, e2 = _challenges(dist, _to_contests(power), _to_contests(sal), _to_contests(r), per_contest)
    return _from_contests(e1, lead), _from_contests(e2, lead)


def bdm_risk_exponents(
    x: np.ndarray, power: np.ndarray, sal: np.ndarray, delta: np.ndarray, per_contest: bool = False
) -> np.ndarray:
    """Risk exponents ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [0.5, 2], ``(..., N)``."""
    lead = x.shape[:-1]
    dist = _distances(_to_contests(x), np.broadcast_to(delta, lead).reshape(-1))
    return _from_contests(_risk_exponents(dist, _to_contests(power), _to_contests(sal), per_contest), lead)


def bdm_moves(
    x: np.ndarray, power: np.ndarray, sal: np.ndarray, delta: np.ndarray, variant: str = "reference"
) -> np.ndarray:
    """One BDM round: every actor's new position, ``(..., N)``.

    Args:
        x: Positions, ``(..., N)``.
        power: ``c_k s_k``, ``(..., N)``.
        sal: Saliences, ``(..., N)``.
        delta: Initial position range, ``(...)``.
        variant: ``"reference"`` or ``"literature"`` (per-contest
            probabilities, the compromise needing the smallest move).
    """
    lead = x.shape[:-1]
    contests = _to_contests(x), _to_contests(power), _to_contests(sal)
    moved = _moves(*contests, np.broadcast_to(delta, lead).reshape(-1), variant == "literature")
    return _from_contests(moved, lead)


def weighted_median(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted median along the last axis, ``(...)``.

    The smallest position whose cumulative weight reaches half the total; on
    an exact half (to 1e-12 of the total), the midpoint to the next position
    that carries weight, so that reversing the scale mirrors the median. Equal weights where all
    are 0. The rule of :func:`sim.benchmarks.weighted_median_point`, batched.
    """
    w = np.where(weights.sum(axis=-1, keepdims=True) > 0, weights, 1.0)
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    ws = np.take_along_axis(w, order, axis=-1)
    cum = np.cumsum(ws, axis=-1)
    half = cum[..., -1:] / 2
    tol = 1e-12 * cum[..., -1:]
    k = np.argmax(cum >= half - tol, axis=-1)[..., None]
    at = np.take_along_axis(xs, k, axis=-1)
    later = (np.arange(x.shape[-1]) > k) & (ws > 0)  # the next position that carries weight
    following = np.min(np.where(later, xs, np.inf), axis=-1, keepdims=True)
    exact = (np.abs(np.take_along_axis(cum, k, axis=-1) - half) <= tol) & np.isfinite(following)
    return np.where(exact, (at + np.where(exact, following, at)) / 2, at)[..., 0]


def bdm_forecast(x: np.ndarray, power: np.ndarray, variant: str = "reference") -> np.ndarray:
    """The forecast, ``(...)``: the c x s weighted mean of positions (reference), their weighted median (literature)."""
    if variant == "literature":
        return weighted_median(x, power)
    return weighted_mean(x, power, axis=-1)


CYCLE_MEMORY = 6
"""Rounds of positions each row remembers to recognise a cycle (see :class:`Bdm`)."""

VOTES_PER_CHUNK = 2**17
"""Votes computed together: ``VOTES_PER_CHUNK // P**3`` contests (issues of rows) at a time, so that their
votes ``(P, P, P, contests)`` (1 MiB) stay in the cache (2,048 contests of 4 actors, 5 of 30)."""


@dataclass(frozen=True)
class BdmMemory(Memory):
    """What BDM carries between rounds.

    Attributes:
        delta: The range of the initial positions per issue, ``Delta`` (fixed for the run), ``(B, I)``.
        history: The positions of the last :data:`CYCLE_MEMORY` rounds before the current one, the latest
            first, ``(B, CYCLE_MEMORY, P, I)``.
        depth: How many of them were played under the parameters in force now, ``(B,)``.
    """

    delta: np.ndarray
    history: np.ndarray
    depth: np.ndarray


class Bdm(Protocol):
    """Bueno de Mesquita's expected-utility model, issue by issue.

    A round's moves on an issue depend only on that issue's positions (capabilities, saliences and ``Delta``
    fixed between events), so when an issue's positions equal those of ``L`` rounds ago (a cycle, or ``L = 1``
    a fixed point), its next positions are the ones that followed them then: they are taken from the
    row's memory of the last :data:`CYCLE_MEMORY` rounds instead of being computed again (the same numbers;
    the memory restarts in a round in which an event applies). Most issues of the shipped scenarios settle
    into such cycles within a few rounds.

    Args:
        variant: ``"reference"`` (Scholz et al. 2011, pinned) or
            ``"literature"`` (per-contest probabilities, scale-free
            compromises, weighted-median forecast); see the module docstring.
        tolerance: The run ends after a round in which no position moved by
            more than this (normalised units); 0 = an exact fixed point.
    """

    name = "bdm"
    summary = "Bueno de Mesquita's expected-utility forecast (Scholz et al. 2011 variant), issue by issue"
    forecast = True
    reference = "Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011)"
    listing_order = 3

    def __init__(self, variant: str = "reference", tolerance: float = 0.0) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
        if not tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0; got {tolerance!r}")
        self.variant = variant
        self.tolerance = tolerance

    @staticmethod
    def _power(params: KernelParams) -> np.ndarray:
        """``c_a s_ai`` per issue, ``(B, I, P)``."""
        return params.capability[:, None, :] * np.swapaxes(params.prefs.salience, -1, -2)

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: positions at the ideals; the forecast is their weighted mean."""
        x = np.swapaxes(params.prefs.ideal, -1, -2)  # (B, I, P)
        delta = x.max(axis=-1) - x.min(axis=-1)
        forecast = bdm_forecast(x, self._power(params), self.variant)
        history = np.zeros((params.batch, CYCLE_MEMORY, *params.prefs.ideal.shape[1:]))
        memory = BdmMemory(delta, history, np.zeros(params.batch, dtype=np.int64))
        return State.initial(params, streams, snap_to_grid(forecast, params.step, params.levels), memory)

    def _next_positions(self, params: KernelParams, state: State, active: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """Every issue's positions after this round, ``(B, P, I)``: remembered where they repeat, else computed.

        ``depth``: rounds of the row's memory played under the parameters in force in this round.
        """
        memory: BdmMemory = state.memory
        x = state.demands  # (B, P, I)
        new = np.array(x)
        known = np.zeros(memory.delta.shape, dtype=bool)  # (B, I)
        for lag in range(1, CYCLE_MEMORY + 1):
            rows = depth >= lag
            if not rows.any():
                break
            same = memory.history[:, lag - 1] == x  # (B, P, I)
            repeat = rows[:, None] & ~known
            for party in range(x.shape[1]):  # all over parties (numpy is slow reducing a short middle axis)
                repeat &= same[:, party]
            if repeat.any():  # the positions of `lag` rounds ago: the next ones are those that followed them
                after = x if lag == 1 else memory.history[:, lag - 2]
                new = np.where(repeat[:, None, :], after, new)
                known |= repeat
        rows, issues = np.nonzero(active[:, None] & (memory.delta > 0) & ~known)
        chunk = max(1, VOTES_PER_CHUNK // x.shape[1] ** 3)
        for start in range(0, len(rows), chunk):
            row, issue = rows[start : start + chunk], issues[start : start + chunk]
            salience = params.prefs.salience[row, :, issue].T  # (P, n)
            power = params.capability[row].T * salience
            moved = _moves(x[row, :, issue].T, power, salience, memory.delta[row, issue], self.variant == "literature")
            new[row, :, issue] = moved.T
        return new

    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """One round of simultaneous moves on every issue."""
        active = self.active(params, state)
        t = state.t + 1
        memory: BdmMemory = state.memory
        events = params.events
        restart = any(events.rounds[e] == t for e in events.event)  # an event may change the moves from now on
        depth = np.zeros_like(memory.depth) if restart else memory.depth
        new = self._next_positions(params, state, active, depth)
        new_x = np.ascontiguousarray(np.swapaxes(new, -1, -2))  # (B, I, P)
        forecast = snap_to_grid(bdm_forecast(new_x, self._power(params), self.variant), params.step, params.levels)
        demands = np.swapaxes(new_x, -1, -2)
        x = np.swapaxes(state.demands, -1, -2)
        settled = np.all(np.abs(new_x - x) <= max(self.tolerance, 1e-12), axis=(-2, -1))
        view = state.view(params, t)
        accepts, utility = answers(params, forecast, view)
        history = np.concatenate([state.demands[:, None], memory.history[:, :-1]], axis=1)
        depth = np.minimum(depth + 1, CYCLE_MEMORY)
        return state.advance(
            params,
            active,
            settled | (t >= params.rounds),
            text=forecast,
            demands=demands,
            utility=utility,
            walkaway=view.walkaway,
            accepts=accepts,
            memory=replace(memory, history=history, depth=depth),
        )
