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
from sim.core.utility import max_over_parties, min_over_parties, safe_divide, snap_to_grid, utilities, weighted_mean
from sim.protocols.base import Memory, Protocol, State, consent_round

__all__ = ["DemandMemory", "NashDemand", "demand_candidates"]


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
    points = [anchors]
    for a, b in itertools.combinations(range(anchors.shape[1]), 2):
        start, end = anchors[:, a, None], anchors[:, b, None]
        points.append(start + steps[None, :, None] * (end - start))
    return snap_to_grid(np.concatenate(points, axis=1), params.step, params.levels)


@dataclass(frozen=True)
class DemandMemory(Memory):
    """The candidate texts and each party's demand.

    Attributes:
        candidates: Texts considered, ``(B, M, I)``.
        utility: Each party's utility of each candidate, ``(B, M, P)`` (recomputed
            only when an event changes preferences).
        best: Each party's best attainable utility ``A_a``, ``(B, P)``.
        level: Each party's demanded share of its possible gain, ``(B, P)``.
    """

    candidates: np.ndarray
    utility: np.ndarray
    best: np.ndarray
    level: np.ndarray


def candidate_utilities(params: KernelParams, candidates: np.ndarray) -> np.ndarray:
    """Every party's utility of every candidate text, ``(B, M, P)``."""
    curvature = params.curvature_or_none
    prefs = params.prefs
    return utilities(
        candidates, prefs.ideal[:, None], prefs.weight[:, None], None if curvature is None else curvature[:, None]
    )


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
        u = candidate_utilities(params, cand) if moved else memory.utility
        slack = safe_divide(u - demand[:, None, :], gain[:, None, :], u - demand[:, None, :])  # (B, M, P)
        rows = np.arange(params.batch)
        # the smallest and second smallest slack over parties (loops: numpy is slow reducing a short last axis)
        lowest, second = slack[..., 0].copy(), np.full(slack.shape[:-1], np.inf)
        for a in range(1, params.n_parties):
            value = slack[..., a]
            second = np.minimum(second, np.maximum(lowest, value))
            lowest = np.minimum(lowest, value)
        text = cand[rows, np.argmax(lowest, axis=-1)]
        demands = np.empty_like(state.demands)
        for a in range(params.n_parties):
            own = slack[..., a]
            others = np.where(own <= lowest, second, lowest)  # the other parties' smallest slack
            score = np.where(own >= 0, others, -np.inf)
            pick = np.where(np.isfinite(score).any(axis=-1), np.argmax(score, axis=-1), np.argmax(own, -1))
            demands[:, a] = cand[rows, pick]

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
