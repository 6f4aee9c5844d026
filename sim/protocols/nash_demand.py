"""``nash_demand``: Nash's demand game, iterated with concessions (Nash 1953).

In Nash's demand game each party names the utility it demands; if some text
gives every party at least its demand, that is the deal, otherwise nobody
gets anything. Played once it has a continuum of equilibria; played round
after round with concessions it becomes a bargaining process (Nash 1953;
Zeuthen 1930; Harsanyi 1956 for the concession logic):

* **Demands.** Party a demands the share ``u_a(t)`` of its possible gain over
  its walk-away value in force ``w_a(t)``:

      D_a(t) = w_a(t) + u_a(t) (A_a - w_a(t)),    u_a(1) = 1

  where ``A_a`` is the utility of its ideal clipped into everyone's red lines
  (its best attainable text).
* **Concessions.** Each round without a deal a party gives up a share
  ``kappa_a = max(1 - delta_a, min_concession)`` of its demand (``delta_a``
  its patience): ``u_a(t + 1) = (1 - kappa_a) u_a(t)``. A patient party
  concedes slowly.
* **Texts.** The texts considered are a fixed set built at round 0 inside
  everyone's red lines: every party's ideal clipped into them, the capability
  x salience weighted mean of those ideals (the compromise), and
  ``segment_points`` points on the segment between any two of these.
* **The table.** The tabled text is the candidate with the largest smallest
  normalised slack ``min_a (U_a(x) - D_a) / (A_a - w_a)``: the demands met
  with the surplus shared evenly, or missed by as little as possible. Party
  a's stated position is the candidate that meets its own demand and leaves
  the others the largest smallest slack.
* **Consent.** A party accepts when the text meets its demand and passes its
  answer in the consent round (red lines and walk-away in force; a
  guarantor judges its own issues); then the deal is ratified at home.

Closed form (tested): two symmetric parties splitting one linear issue from
ideals 0 and 1 with walk-away 0 and patience 0.9 demand ``0.9 ** (t - 1)``
each and agree in the first round with ``2 * 0.9 ** (t - 1) <= 1`` (round
8) on the midpoint: an even split. A more patient party concedes more
slowly and gets more.

References:
    Nash, J. F. (1953). Two-person cooperative games. *Econometrica* 21(1),
    128-140.
    Zeuthen, F. (1930). *Problems of Monopoly and Economic Warfare*. Routledge.
    Harsanyi, J. C. (1956). Approaches to the bargaining problem before and
    after the theory of games. *Econometrica* 24(2), 144-157.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.core.utility import max_over_parties, min_over_parties, snap_to_grid, utilities, weighted_mean
from sim.protocols.base import Memory, Protocol, State, consent_round

__all__ = ["ROW_CHUNK", "DemandMemory", "NashDemand", "candidate_utilities", "demand_candidates", "demand_choices"]


ROW_CHUNK = 128
"""Rows worked on together: their ``(P, M)`` slacks (and ``(M, P, I)`` values) stay in the cache."""


def _into_box(ideal: np.ndarray, box_low: np.ndarray, box_high: np.ndarray) -> np.ndarray:
    """Ideals ``(B, P, I)`` clipped into everyone's red lines; unclipped on an issue whose red lines exclude
    each other (clipping into an empty box would pick one end of the scale: no side is favoured)."""
    low, high = box_low[:, None], box_high[:, None]
    return np.where(low <= high, np.clip(ideal, low, high), ideal)


def demand_candidates(params: KernelParams, segment_points: int) -> np.ndarray:
    """The texts the demand game considers, ``(B, M, I)``, inside everyone's red lines at round 0.

    Args:
        params: Parameters.
        segment_points: Points on each segment between two anchors (ends excluded).
    """
    low, high = params.red_lines_at(0)
    box_low, box_high = max_over_parties(low), min_over_parties(high)
    anchors = _into_box(params.prefs.ideal, box_low, box_high)  # (B, P, I)
    force = params.capability[..., None] * params.prefs.salience
    anchors = np.concatenate([anchors, weighted_mean(anchors, force)[:, None]], axis=1)
    steps = np.linspace(0.0, 1.0, segment_points + 2)[1:-1]
    pairs = list(itertools.combinations(range(anchors.shape[1]), 2))
    out = np.empty((params.batch, anchors.shape[1] + len(pairs) * len(steps), params.n_issues))
    for first in range(0, params.batch, ROW_CHUNK):  # a chunk of rows at a time: small temporaries
        rows = slice(first, first + ROW_CHUNK)
        points = [anchors[rows]]
        for a, b in pairs:
            start, end = anchors[rows, a, None], anchors[rows, b, None]
            points.append(start + steps[None, :, None] * (end - start))
        out[rows] = snap_to_grid(np.concatenate(points, axis=1), params.step, params.levels)
    return out


@dataclass(frozen=True)
class DemandMemory(Memory):
    """The candidate texts and each party's demand.

    Attributes:
        candidates: Texts considered, ``(B, M, I)``.
        utility: Each party's utility of each candidate, by party, ``(B, P, M)`` (recomputed
            only when an event changes preferences).
        best: Each party's best attainable utility ``A_a``, ``(B, P)``.
        level: Each party's demanded share of its possible gain, ``(B, P)``.
    """

    candidates: np.ndarray
    utility: np.ndarray
    best: np.ndarray
    level: np.ndarray


def candidate_utilities(params: KernelParams, candidates: np.ndarray) -> np.ndarray:
    """Every party's utility of every candidate text, by party, ``(B, P, M)``.

    :data:`ROW_CHUNK` rows at a time (so the ``(rows, M, P, I)`` values stay small); each number is
    :func:`sim.core.utility.utilities`' own.
    """
    curvature = params.curvature_or_none
    prefs = params.prefs
    out = np.empty((params.batch, params.n_parties, candidates.shape[1]))
    for start in range(0, params.batch, ROW_CHUNK):
        rows = slice(start, start + ROW_CHUNK)
        bend = None if curvature is None else curvature[rows, None]
        u = utilities(candidates[rows], prefs.ideal[rows, None], prefs.weight[rows, None], bend)  # (rows, M, P)
        out[rows] = np.swapaxes(u, -1, -2)
    return out


def demand_choices(slack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tabled text and each party's stated position, as candidate indices, from the slacks ``(B, P, M)``.

    The table: the candidate with the largest smallest slack. Party a: the
    candidate that meets its own demand (slack >= 0) and leaves the others the
    largest smallest slack; its own best candidate if none meets its demand.

    Returns:
        ``(text (B,), positions (B, P))``.
    """
    n_parties = slack.shape[1]
    # the smallest and second smallest slack over parties (loops: numpy is slow reducing a short axis)
    lowest, second = slack[:, 0].copy(), np.full(slack[:, 0].shape, np.inf)
    larger = np.empty_like(lowest)
    for a in range(1, n_parties):
        value = slack[:, a]
        np.minimum(second, np.maximum(lowest, value, out=larger), out=second)
        np.minimum(lowest, value, out=lowest)
    positions = np.empty(slack.shape[:2], dtype=np.int64)
    # with two or more parties and finite slacks, `others` is finite: a score is finite exactly where the party's
    # demand is met, so the best score says whether any candidate meets it (no pass to ask that of every score)
    regular = n_parties > 1 and bool(np.isfinite(slack).all())
    rows = np.arange(len(slack))
    for a in range(n_parties):
        own = slack[:, a]
        score = np.where(own <= lowest, second, lowest)  # the other parties' smallest slack
        np.copyto(score, -np.inf, where=~(own >= 0))
        pick = np.argmax(score, axis=-1)
        unmet = score[rows, pick] == -np.inf if regular else ~np.isfinite(score).any(axis=-1)
        if unmet.any():  # nothing meets its demand: its own best candidate
            pick[unmet] = np.argmax(own[unmet], axis=-1)
        positions[:, a] = pick
    return np.argmax(lowest, axis=-1), positions


class NashDemand(Protocol):
    """Nash's demand game, iterated with concessions.

    Args:
        segment_points: Candidate texts on each segment between two anchors
            (ideals clipped into the red lines, and the compromise).
        min_concession: The least share of its demand a party gives up per
            round (so a party with patience 1 still moves).
    """

    name = "nash_demand"
    summary = "iterated Nash demand game: utility demands, conceded each round until a text meets them all"
    reference = "Nash (1953) Two-person cooperative games; Zeuthen (1930); Harsanyi (1956)"
    listing_order = 5

    def __init__(self, segment_points: int = 20, min_concession: float = 0.01) -> None:
        self.segment_points = segment_points
        self.min_concession = min_concession

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: the candidate texts; every party demands its whole gain."""
        candidates = demand_candidates(params, self.segment_points)
        low, high = params.red_lines_at(0)
        box_low, box_high = max_over_parties(low), min_over_parties(high)
        best_text = _into_box(params.prefs.ideal, box_low, box_high)
        prefs = params.prefs
        own = utilities(best_text, prefs.ideal[:, None], prefs.weight[:, None], prefs.curvature[:, None])  # (B, P, P)
        best = np.diagonal(own, axis1=-2, axis2=-1).copy()
        u = candidate_utilities(params, candidates)
        memory = DemandMemory(candidates, u, best, np.ones((params.batch, params.n_parties)))
        return State.initial(params, streams, candidates[:, params.n_parties], memory)  # the compromise

    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """One round: demands, the text that comes closest to all of them, answers, concessions."""
        active = self.active(params, state)
        t = state.t + 1
        memory: DemandMemory = state.memory
        view = state.view(params, t)
        gain = np.maximum(memory.best - view.walkaway, 0.0)
        demand = view.walkaway + memory.level * gain  # (B, P)
        cand = memory.candidates
        events = params.events
        moved = any(
            events.fields[k].startswith("prefs.") and events.rounds[events.event[k]] <= t
            for k in range(len(events.event))
        )
        u = candidate_utilities(params, cand) if moved else memory.utility  # (B, P, M)
        table = np.empty(params.batch, dtype=np.int64)
        positions = np.empty((params.batch, params.n_parties), dtype=np.int64)
        scale = np.where(gain > 0, gain, 1.0)[:, :, None]  # a share of the possible gain, where there is one
        for start in range(0, params.batch, ROW_CHUNK):
            rows = slice(start, start + ROW_CHUNK)
            slack = u[rows] - demand[rows, :, None]  # (rows, P, M)
            table[rows], positions[rows] = demand_choices(np.divide(slack, scale[rows], out=slack))
        every = np.arange(params.batch)
        text = cand[every, table]
        demands = cand[every[:, None], positions]

        def meets_demand(utility: np.ndarray) -> np.ndarray:
            return utility >= demand - 1e-12  # net of audience costs, as the answers judge it

        consent = consent_round(params, state, text, view, active, streams, also=meets_demand)
        kappa = np.maximum(1.0 - params.patience, self.min_concession)
        level = np.where(consent.agreed[:, None], memory.level, memory.level * (1.0 - kappa))
        return state.advance(
            params,
            active,
            consent=consent,
            text=text,
            demands=demands,
            aspiration=demand,
            memory=replace(memory, level=level),
        )
