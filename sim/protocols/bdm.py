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

from dataclasses import dataclass

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
    dist = np.abs(x[..., :, None] - x[..., None, :]) / delta[..., None, None]  # (k, a)
    dr = dist ** r[..., :, None]
    votes = power[..., :, None, None] * (dr[..., :, None, :] - dr[..., :, :, None])  # (k, a, b)
    if per_contest:
        return safe_divide(np.maximum(votes, 0.0).sum(axis=-3), np.abs(votes).sum(axis=-3), 0.5)
    den = np.abs(votes).sum(axis=(-3, -2, -1))[..., None, None]
    return safe_divide(np.maximum(votes, 0.0).sum(axis=-3), den)


def bdm_expected_utility(p_win: np.ndarray, s_target: np.ndarray, d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``E = s [P U_s + (1 - P) U_f] + (1 - s) U_s - U_sq`` with exponent r."""
    u_s = 2.0 - 4.0 * (0.5 - 0.5 * d) ** r
    u_f = 2.0 - 4.0 * (0.5 + 0.5 * d) ** r
    u_sq = 2.0 - 4.0 * 0.5**r
    return s_target * (p_win * u_s + (1.0 - p_win) * u_f) + (1.0 - s_target) * u_s - u_sq


def bdm_challenges(
    x: np.ndarray, power: np.ndarray, sal: np.ndarray, r: np.ndarray, delta: np.ndarray, per_contest: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``e1[i, j] = E_i(i challenges j)`` and ``e2[i, j] = E_i(j challenges i)``, each ``(..., N, N)``."""
    p = bdm_win_probabilities(x, power, r, delta, per_contest)
    d = np.abs(x[..., :, None] - x[..., None, :]) / delta[..., None, None]
    r_i = r[..., :, None]
    e1 = bdm_expected_utility(p, sal[..., None, :], d, r_i)
    e2 = bdm_expected_utility(np.swapaxes(p, -1, -2), sal[..., :, None], d, r_i)
    return e1, e2


def bdm_risk_exponents(
    x: np.ndarray, power: np.ndarray, sal: np.ndarray, delta: np.ndarray, per_contest: bool = False
) -> np.ndarray:
    """Risk exponents ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [0.5, 2], ``(..., N)``."""
    ones = np.ones_like(x)
    _, e2 = bdm_challenges(x, power, sal, ones, delta, per_contest)
    n = x.shape[-1]
    s = (e2 * (1.0 - np.eye(n))).sum(axis=-1)
    s_max = s.max(axis=-1, keepdims=True)
    s_min = s.min(axis=-1, keepdims=True)
    spread = s_max - s_min
    big_r = safe_divide(2.0 * s - s_max - s_min, spread)
    return (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)


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
    literature = variant == "literature"
    r = bdm_risk_exponents(x, power, sal, delta, literature)
    e1, e2 = bdm_challenges(x, power, sal, r, delta, literature)
    xi = x[..., :, None]
    xj = x[..., None, :]
    valid = xi != xj
    gap = np.abs(xj - xi)
    conf = valid & (e2 > e1) & (e1 > 0)
    comp = valid & (e2 > 0) & (e1 < 0) & (e2 > np.abs(e1))
    capit = valid & (e2 > 0) & (e1 < 0) & (e2 < np.abs(e1))
    inf = np.inf

    def pick(mask: np.ndarray, key: np.ndarray) -> np.ndarray:
        return np.argmin(np.where(mask, key, inf), axis=-1)[..., None]

    to_conf = np.take_along_axis(np.broadcast_to(xj, gap.shape), pick(conf, gap), -1)[..., 0]
    a1, a2 = np.abs(e1), np.abs(e2)
    with np.errstate(divide="ignore", invalid="ignore"):
        comp_to = xi + (xj - xi) * np.abs(e1 / e2)
        comp_key = np.abs(comp_to - xi) if literature else (a1 * xi + a2 * xj) / (a1 + a2)
    to_comp = np.take_along_axis(comp_to, pick(comp, comp_key), -1)[..., 0]
    to_capit = np.take_along_axis(np.broadcast_to(xj, gap.shape), pick(capit, gap), -1)[..., 0]
    return np.where(conf.any(-1), to_conf, np.where(comp.any(-1), to_comp, np.where(capit.any(-1), to_capit, x)))


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


@dataclass(frozen=True)
class BdmMemory(Memory):
    """The range of the initial positions per issue, ``Delta`` (fixed for the run), ``(B, I)``."""

    delta: np.ndarray


class Bdm(Protocol):
    """Bueno de Mesquita's expected-utility model, issue by issue.

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
    def _issue_arrays(params: KernelParams, demands: np.ndarray):
        x = np.swapaxes(demands, -1, -2)  # (B, I, P)
        sal = np.swapaxes(params.prefs.salience, -1, -2)
        power = params.capability[:, None, :] * sal
        return x, sal, power

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: positions at the ideals; the forecast is their weighted mean."""
        x, sal, power = self._issue_arrays(params, params.prefs.ideal)
        delta = x.max(axis=-1) - x.min(axis=-1)
        forecast = bdm_forecast(x, power, self.variant)
        return State.initial(params, streams, snap_to_grid(forecast, params.step, params.levels), BdmMemory(delta))

    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """One round of simultaneous moves on every issue."""
        active = self.active(params, state)
        t = state.t + 1
        x, sal, power = self._issue_arrays(params, state.demands)
        delta = state.memory.delta
        moving = delta > 0
        safe = np.where(moving, delta, 1.0)
        new_x = np.where(moving[..., None], bdm_moves(x, power, sal, safe, self.variant), x)
        forecast = snap_to_grid(bdm_forecast(new_x, power, self.variant), params.step, params.levels)
        demands = np.swapaxes(new_x, -1, -2)
        settled = np.all(np.abs(new_x - x) <= max(self.tolerance, 1e-12), axis=(-2, -1))
        view = state.view(params, t)
        accepts, utility = answers(params, forecast, view)
        return state.advance(
            params,
            active,
            settled | (t >= params.rounds),
            text=forecast,
            demands=demands,
            utility=utility,
            walkaway=view.walkaway,
            accepts=accepts,
        )
