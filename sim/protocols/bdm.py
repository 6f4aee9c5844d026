"""``bdm``: Bueno de Mesquita's expected-utility model (Scholz, Calbert & Smith 2011).

A forecasting model of collective decisions, run issue by issue with positions
starting at the ideals. Pinned variant (the formalisation and reference code of
Scholz, Calbert & Smith 2011, as issue #4 fixes it); x are positions, c
capability, s raw salience, r risk exponents, and on each issue:

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
    "Bdm",
    "BdmMemory",
    "bdm_expected_utility",
    "bdm_moves",
    "bdm_risk_exponents",
    "bdm_win_probabilities",
]


def bdm_win_probabilities(x: np.ndarray, power: np.ndarray, r: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``P(i beats j)`` for every ordered pair, ``(..., N, N)``.

    Args:
        x: Positions, ``(..., N)``.
        power: ``c_k s_k``, ``(..., N)``.
        r: Risk exponents, ``(..., N)``.
        delta: Initial position range, ``(...)``.
    """
    dist = np.abs(x[..., :, None] - x[..., None, :]) / delta[..., None, None]  # (k, a)
    dr = dist ** r[..., :, None]
    votes = power[..., :, None, None] * (dr[..., :, None, :] - dr[..., :, :, None])  # (k, a, b)
    den = np.abs(votes).sum(axis=(-3, -2, -1))[..., None, None]
    return safe_divide(np.maximum(votes, 0.0).sum(axis=-3), den)


def bdm_expected_utility(p_win: np.ndarray, s_target: np.ndarray, d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``E = s [P U_s + (1 - P) U_f] + (1 - s) U_s - U_sq`` with exponent r."""
    u_s = 2.0 - 4.0 * (0.5 - 0.5 * d) ** r
    u_f = 2.0 - 4.0 * (0.5 + 0.5 * d) ** r
    u_sq = 2.0 - 4.0 * 0.5**r
    return s_target * (p_win * u_s + (1.0 - p_win) * u_f) + (1.0 - s_target) * u_s - u_sq


def _challenges(x, power, sal, r, delta):
    """``e1[i, j] = E_i(i challenges j)`` and ``e2[i, j] = E_i(j challenges i)``."""
    p = bdm_win_probabilities(x, power, r, delta)
    d = np.abs(x[..., :, None] - x[..., None, :]) / delta[..., None, None]
    r_i = r[..., :, None]
    e1 = bdm_expected_utility(p, sal[..., None, :], d, r_i)
    e2 = bdm_expected_utility(np.swapaxes(p, -1, -2), sal[..., :, None], d, r_i)
    return e1, e2


def bdm_risk_exponents(x: np.ndarray, power: np.ndarray, sal: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Risk exponents ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [0.5, 2], ``(..., N)``."""
    ones = np.ones_like(x)
    _, e2 = _challenges(x, power, sal, ones, delta)
    n = x.shape[-1]
    s = (e2 * (1.0 - np.eye(n))).sum(axis=-1)
    s_max = s.max(axis=-1, keepdims=True)
    s_min = s.min(axis=-1, keepdims=True)
    spread = s_max - s_min
    big_r = safe_divide(2.0 * s - s_max - s_min, spread)
    return (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)


def bdm_moves(x: np.ndarray, power: np.ndarray, sal: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """One BDM round: every actor's new position, ``(..., N)``."""
    r = bdm_risk_exponents(x, power, sal, delta)
    e1, e2 = _challenges(x, power, sal, r, delta)
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
        comp_key = (a1 * xi + a2 * xj) / (a1 + a2)
        comp_to = xi + (xj - xi) * np.abs(e1 / e2)
    to_comp = np.take_along_axis(comp_to, pick(comp, comp_key), -1)[..., 0]
    to_capit = np.take_along_axis(np.broadcast_to(xj, gap.shape), pick(capit, gap), -1)[..., 0]
    return np.where(conf.any(-1), to_conf, np.where(comp.any(-1), to_comp, np.where(capit.any(-1), to_capit, x)))


def bdm_forecast(x: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Capability x salience weighted mean of positions, ``(...)``."""
    return weighted_mean(x, power, axis=-1)


@dataclass(frozen=True)
class BdmMemory(Memory):
    """The range of the initial positions per issue, ``Delta`` (fixed for the run), ``(B, I)``."""

    delta: np.ndarray


class Bdm(Protocol):
    """Bueno de Mesquita's expected-utility model, issue by issue."""

    name = "bdm"
    summary = "Bueno de Mesquita's expected-utility forecast (Scholz et al. 2011 variant), issue by issue"
    forecast = True
    reference = "Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011)"
    listing_order = 3

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
        return State.initial(
            params, streams, snap_to_grid(bdm_forecast(x, power), params.step, params.levels), BdmMemory(delta)
        )

    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """One round of simultaneous moves on every issue."""
        active = self.active(params, state)
        t = state.t + 1
        x, sal, power = self._issue_arrays(params, state.demands)
        delta = state.memory.delta
        moving = delta > 0
        safe = np.where(moving, delta, 1.0)
        new_x = np.where(moving[..., None], bdm_moves(x, power, sal, safe), x)
        forecast = snap_to_grid(bdm_forecast(new_x, power), params.step, params.levels)
        demands = np.swapaxes(new_x, -1, -2)
        settled = np.all(np.abs(new_x - x) <= 1e-12, axis=(-2, -1))
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
