"""``zeuthen``: the monotonic concession protocol with Zeuthen's risk rule.

Two parties (the scenario's ``main_parties``; the others count only through
their red lines) each state an offer every round, starting from their best
text. With disagreement point d, party i's
*risk* is the share of its gain it would lose by accepting the other's offer:

    risk_i = (U_i(x_i) - U_i(x_j)) / (U_i(x_i) - d_i)

(Zeuthen 1930; Harsanyi 1956). The party with the smaller risk concedes (both
on a tie), by the smallest step that flips the risk order: its next offer is
the first one, moving toward the other's offer, at which its risk exceeds the
other's. If no such offer lies short of the other's offer, it accepts the
other's offer. The disagreement point d is the pair of walk-aways in force in
the round. The text the offers have met goes through the consent round like
every consent protocol's: the other parties must sign where their consent is
needed (red lines and walk-aways in force), and the deal must pass domestic
ratification; a refused or unratified text is no deal.

Offers are points of the two parties' Pareto set within everyone's red lines
and walk-away values: on an all-grid issue space (every issue has a ``step``
and the grid has at most ``GRID_LIMIT`` texts) the exact discrete Pareto set
of the grid; otherwise ``FRONTIER_POINTS`` samples of the continuous frontier.
Since ``risk_i < risk_j`` exactly when the Nash product of i's offer is below
that of j's, the protocol ends at the candidate with the largest Nash product
(Harsanyi 1956): the discrete Nash maximum on a grid, and close to the Nash
solution on a finely sampled frontier.

References:
    Zeuthen, F. (1930). *Problems of Monopoly and Economic Warfare*. Routledge.
    Harsanyi, J. C. (1956). Approaches to the bargaining problem before and
    after the theory of games. *Econometrica* 24(2), 144-157.
    Rosenschein, J. S., & Zlotkin, G. (1994). *Rules of Encounter*. MIT Press
    (the monotonic concession protocol).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.benchmarks import BargainingProblem, frontier
from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.core.utility import safe_divide, snap_to_grid, utilities
from sim.protocols.base import Memory, Protocol, State, consent_round

__all__ = ["FRONTIER_POINTS", "GRID_LIMIT", "Zeuthen", "ZeuthenMemory", "candidate_offers", "zeuthen_risk"]

_OFFERS: dict[bytes, np.ndarray] = {}
"""Candidate offers by bargaining problem (its arrays' bytes), the most recent 64."""

GRID_LIMIT = 200_000
FRONTIER_POINTS = 401


def zeuthen_risk(own: np.ndarray, other: np.ndarray, disagreement: np.ndarray) -> np.ndarray:
    """``(U(own) - U(other)) / (U(own) - d)``; 0 when the own offer gains nothing."""
    return safe_divide(own - other, own - disagreement)


def _grid_texts(params: KernelParams, problem: BargainingProblem, limit: int = GRID_LIMIT) -> np.ndarray | None:
    """Every text of an all-grid (or all-discrete) issue space inside the red-line box; None if not, or past ``limit``.

    A discrete issue contributes its options, a stepped issue its grid points
    (packages of options: ``limit`` is the most packages enumerated).
    """
    if not all(len(options) or step > 0 for options, step in zip(params.levels, params.step, strict=True)):
        return None
    low, high = problem.box
    axes = []
    for i, step in enumerate(params.step):
        options = params.levels[i]
        if len(options):
            axes.append(options[(options >= low[i] - 1e-9) & (options <= high[i] + 1e-9)])
            continue
        k_lo = int(np.ceil(low[i] / step - 1e-9))
        k_hi = int(np.floor(high[i] / step + 1e-9))
        axes.append(np.arange(k_lo, k_hi + 1) * step)
    if np.prod([len(a) for a in axes], dtype=float) > limit:
        return None
    mesh = np.meshgrid(*axes, indexing="ij")  # itertools.product's order: the last issue varies fastest
    return np.stack([m.ravel() for m in mesh], axis=1).astype(float)


def candidate_offers(
    params: KernelParams, row: int, grid_limit: int = GRID_LIMIT, frontier_points: int = FRONTIER_POINTS
) -> np.ndarray:
    """The ordered offers the two main parties may state (normalised texts).

    Pareto-optimal for the two parties, giving both at least their walk-away
    value, sorted by the first main party's utility (ascending).

    Args:
        params: Parameters.
        row: The row.
        grid_limit: Enumerate the grid when it has at most this many texts.
        frontier_points: Samples of the continuous frontier otherwise.

    Returns:
        ``(M, I)``; empty when the bargaining set is empty.
    """
    a, b = params.main
    problem = BargainingProblem.from_params(params, row)
    pair = problem.subset([a, b])
    texts = _grid_texts(params, problem, grid_limit)
    if texts is None:
        _, texts = frontier(problem, a, b, frontier_points)
    if len(texts) == 0:
        return np.zeros((0, params.n_issues))
    texts = snap_to_grid(texts, params.step, params.levels)
    u = pair.utilities(texts)
    ok = np.all(u >= pair.walkaway - 1e-12, axis=1)
    texts, u = texts[ok], u[ok]
    if len(texts) == 0:
        return texts
    # keep the Pareto set: sort by U_a descending, keep strict improvements of U_b (by more than 1e-12). Texts the
    # two value alike differ only on issues they do not care about: keep the one the whole table values most (then
    # the one nearest the second party's best text, as the continuous frontier starts there), not the first in grid
    # order, which would favour one end of those issues' scales. A text kept beats every U_b before it, so only
    # those records are walked through (the same texts, far fewer steps)
    others = problem.utilities(texts).sum(axis=1)
    near_b = -np.abs(texts - np.clip(problem.ideal[b], *problem.box)).sum(axis=1)
    keys = np.round(np.column_stack([u, others, near_b]), 12)
    order = np.lexsort((-keys[:, 3], -keys[:, 2], -keys[:, 1], -keys[:, 0]))
    u_b = u[order, 1]
    before = np.maximum.accumulate(np.concatenate([[-np.inf], u_b[:-1]]))
    keep, best_b = [], -np.inf
    for k, value in zip(order[u_b > before], u_b[u_b > before], strict=True):
        if value > best_b + 1e-12:
            keep.append(k)
            best_b = value
    keep = keep[::-1]  # ascending U_a
    return texts[keep]


@dataclass(frozen=True)
class ZeuthenMemory(Memory):
    """The candidate offers of each row and where each main party stands.

    Attributes:
        candidates: Offers sorted by the first main party's utility, NaN-padded, ``(B, M, I)``.
        cand_utility: Every party's utility of each candidate, ``(B, M, P)``.
        count: Candidates per row, ``(B,)``.
        offer_index: The two main parties' current offers (candidate indices), ``(B, 2)``.
    """

    candidates: np.ndarray
    cand_utility: np.ndarray
    count: np.ndarray
    offer_index: np.ndarray


class Zeuthen(Protocol):
    """Monotonic concession between the two main parties, Zeuthen's risk rule.

    Args:
        grid_limit: Enumerate an all-grid issue space when it has at most this
            many texts (the exact discrete Pareto set).
        frontier_points: Samples of the continuous Pareto frontier otherwise.
    """

    name = "zeuthen"
    summary = "monotonic concession between the two main parties; the less risk-willing concedes"
    reference = "Zeuthen (1930); Harsanyi (1956); Rosenschein & Zlotkin (1994)"
    listing_order = 2

    def __init__(self, grid_limit: int = GRID_LIMIT, frontier_points: int = FRONTIER_POINTS) -> None:
        self.grid_limit = grid_limit
        self.frontier_points = frontier_points

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: the candidate offers per row; each main party states its best."""
        rows = self._candidates(params)
        m = max(1, max(len(c) for c in rows))
        cand = np.full((params.batch, m, params.n_issues), np.nan)
        count = np.zeros(params.batch, dtype=np.int64)
        for r, c in enumerate(rows):
            cand[r, : len(c)] = c
            count[r] = len(c)
        a, b = params.main
        u = utilities(
            np.nan_to_num(cand),
            params.prefs.ideal[:, None],
            params.prefs.weight[:, None],
            params.prefs.curvature[:, None],
        )
        index = np.stack([np.maximum(count - 1, 0), np.zeros_like(count)], axis=1)  # a's best, b's best
        state = State.initial(params, streams, params.prefs.ideal[:, a].copy(), ZeuthenMemory(cand, u, count, index))
        demands = state.demands.copy()
        has = count > 0
        rows_ = np.arange(params.batch)
        demands[has, a] = cand[rows_, index[:, 0]][has]
        demands[has, b] = cand[rows_, index[:, 1]][has]
        return replace(state, demands=demands)

    def _candidates(self, params: KernelParams) -> list[np.ndarray]:
        """Every row's candidate offers, computed once per distinct bargaining problem (rows of a batch often
        share it: the same scenario under other seeds) and kept across calls (the last 64 problems)."""
        low, high = params.red_lines_at(0)
        walk = params.walkaway_at(0)
        prefs = params.prefs
        arrays = (prefs.ideal, prefs.weight, prefs.curvature, low, high, walk)
        shared = (params.step, np.array(params.main), *params.levels, np.array([self.grid_limit, self.frontier_points]))
        tail = b"".join(np.ascontiguousarray(a).tobytes() for a in shared)
        # rows with the same bytes share a problem: group them first, then one key per group
        flat = np.concatenate([np.asarray(a, dtype=float).reshape(params.batch, -1) for a in arrays], axis=1)
        _, first, group = np.unique(flat.view(np.uint64), axis=0, return_index=True, return_inverse=True)
        offers = []
        for r in first:
            key = b"".join(np.ascontiguousarray(a[r]).tobytes() for a in arrays) + tail
            if key not in _OFFERS:
                _OFFERS[key] = candidate_offers(params.take(slice(r, r + 1)), 0, self.grid_limit, self.frontier_points)
                if len(_OFFERS) > 64:
                    _OFFERS.pop(next(iter(_OFFERS)))
            offers.append(_OFFERS[key])
        return [offers[g] for g in group.ravel()]

    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """One round: risks compared, the less willing party concedes minimally."""
        active = self.active(params, state)
        t = state.t + 1
        a, b = params.main
        rows = np.arange(params.batch)
        memory: ZeuthenMemory = state.memory
        cu = memory.cand_utility  # (B, M, P)
        count = memory.count
        ka, kb = memory.offer_index[:, 0].copy(), memory.offer_index[:, 1].copy()
        view = state.view(params, t)
        d = view.walkaway[:, [a, b]]  # the disagreement point: walk-aways in force
        empty = count == 0
        ua = cu[rows, :, a]  # (B, M)
        ub = cu[rows, :, b]
        risk_a = zeuthen_risk(ua[rows, ka], ua[rows, kb], d[:, 0])
        risk_b = zeuthen_risk(ub[rows, kb], ub[rows, ka], d[:, 1])
        tie = np.isclose(risk_a, risk_b, rtol=0, atol=1e-12)
        a_moves = ~empty & (kb < ka) & ((risk_a < risk_b) | tie)
        b_moves = ~empty & (kb < ka) & ((risk_b < risk_a) | tie)
        m = cu.shape[1]
        k = np.arange(m)[None, :]
        # a's candidate moves: indices strictly between kb and ka; flip when risk_a' > risk_b'
        ra_new = zeuthen_risk(ua, ua[rows, kb][:, None], d[:, [0]])
        rb_vs = zeuthen_risk(ub[rows, kb][:, None], ub, d[:, [1]])
        ok_a = (k > kb[:, None]) & (k < ka[:, None]) & (ra_new > rb_vs + 1e-12)
        step_a = np.where(ok_a.any(axis=1), np.where(ok_a, k, -1).max(axis=1), kb)  # nearest below ka
        rb_new = zeuthen_risk(ub, ub[rows, ka][:, None], d[:, [1]])
        ra_vs = zeuthen_risk(ua[rows, ka][:, None], ua, d[:, [0]])
        ok_b = (k > kb[:, None]) & (k < ka[:, None]) & (rb_new > ra_vs + 1e-12)
        step_b = np.where(ok_b.any(axis=1), np.where(ok_b, k, m).min(axis=1), ka)  # nearest above kb
        new_ka = np.where(a_moves, step_a, ka)
        new_kb = np.where(b_moves, step_b, kb)
        agreed = ~empty & (new_kb >= new_ka)
        # the accepted offer: the one the conceder reached (the other's standing offer)
        nash = (ua - d[:, [0]]) * (ub - d[:, [1]])

        def a_leads(ka_: np.ndarray, kb_: np.ndarray) -> np.ndarray:
            """Whether a's offer has the larger Nash product; a tie (to float noise) goes to a's offer."""
            return nash[rows, ka_] >= nash[rows, kb_] - 1e-12

        deal_k = np.where(
            a_moves & ~b_moves,
            new_ka,
            np.where(b_moves & ~a_moves, new_kb, np.where(a_leads(new_ka, new_kb), new_ka, new_kb)),
        )
        new_ka = np.where(agreed, deal_k, new_ka)
        new_kb = np.where(agreed, deal_k, new_kb)
        cand = np.nan_to_num(memory.candidates)
        lead = np.where(a_leads(new_ka, new_kb), new_ka, new_kb)
        text = np.where(empty[:, None], state.text, cand[rows, lead])
        demands = state.demands.copy()
        demands[~empty, a] = cand[rows, new_ka][~empty]
        demands[~empty, b] = cand[rows, new_kb][~empty]
        # the main parties say yes to the text once their offers have met; the others
        # do not bargain but must sign where their consent is needed (the consent round)
        bargained = np.ones_like(state.accepts)
        bargained[:, a] = agreed
        bargained[:, b] = agreed
        consent = consent_round(params, state, text, view, active, streams, also=bargained)
        # rows with no bargaining set end at once without a deal
        no_set = active & empty
        state = state.advance(
            params,
            active,
            consent=consent,
            text=text,
            demands=demands,
            memory=replace(memory, offer_index=np.stack([new_ka, new_kb], axis=1)),
        )
        return state.end(no_set, "no_bargaining_set")
