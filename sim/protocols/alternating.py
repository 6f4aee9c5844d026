"""``alternating``: stacked alternating offers with per-party strategies.

The proposer rotates in file order (round t: party ``(t - 1) mod P``); every
other party answers; a deal needs every party to accept. Walk-away values
drift each round and patience discounts what a party expects from waiting.

**Offers.** A party proposing with target utility tau offers the point on the
segment from its ideal ``p_a`` toward its *reference* ``r_a`` (the capability
x salience weighted mean of the other parties' ideals, clipped into everyone's
red lines) where its own utility equals tau:

    x = p_a + lam (r_a - p_a),   U_a(x) = tau   (lam in [0, 1] by bisection)

This is Faratin et al.'s (1998) time-dependent tactic applied to every issue
at once; the target comes from the party's strategy (:mod:`sim.protocols.strategies`).

**Answers.** A responder accepts x iff x is inside its red lines,
``U_a(x) >= w_a(t)`` and ``U_a(x) >= delta_a * tau_a(t + 1)``: the offer is at
least what it would ask next round, discounted by its patience (the AC_next
rule of Baarslag et al. 2014 with discounting, which is the Rubinstein logic).

**Equilibrium** (two parties). The stationary subgame-perfect equilibrium of
Rubinstein (1982), generalised to any Pareto frontier by Binmore, Rubinstein &
Wolinsky (1986), with the walk-away values at round 0 as disagreement point
d. Party 1 proposes x*, party 2 proposes y*; each offers the responder exactly
its discounted continuation value:

    U_2(x*) - d_2 = delta_2 (U_2(y*) - d_2)
    U_1(y*) - d_1 = delta_1 (U_1(x*) - d_1)

with x*, y* on the two parties' Pareto frontier (within everyone's red lines).
Writing the frontier as ``U_2 = g(U_1)``, ``a = U_1(x*)`` solves

    g(a) - d_2 - delta_2 (g(d_1 + delta_1 (a - d_1)) - d_2) = 0

by ``scipy.optimize.brentq``. An equilibrium player proposes its stationary
offer and accepts iff ``U(x) - d >= delta (U(own offer) - d)``; two such players
agree in round 1. With one linear issue and d = 0 the first proposer's share is
``(1 - delta_2) / (1 - delta_1 delta_2)``. With per-period factors
``delta_i = exp(-r_i D)`` and the period D -> 0 the split tends to the
asymmetric Nash solution with party 1's exponent
``alpha = ln delta_2 / (ln delta_1 + ln delta_2)`` (the symmetric Nash solution
when the rates are equal; Binmore, Rubinstein & Wolinsky 1986).

With ``walkaway_as="outside_option"`` the walk-away values are outside
options (Shaked & Sutton 1984; BRW 1986), the impasse point is 0, and a
responder is offered ``max(w, delta U')``: an option below what waiting is
worth changes nothing; one above it is paid exactly.

References:
    Rubinstein, A. (1982). Perfect equilibrium in a bargaining model.
    *Econometrica* 50(1), 97-109.
    Binmore, K., Rubinstein, A., & Wolinsky, A. (1986). The Nash bargaining
    solution in economic modelling. *RAND Journal of Economics* 17(2), 176-188.
    Shaked, A., & Sutton, J. (1984). Involuntary unemployment as a perfect
    equilibrium in a bargaining model. *Econometrica* 52(6), 1351-1364.
    Faratin, P., Sierra, C., & Jennings, N. R. (1998). Negotiation decision
    functions for autonomous agents. *Robotics and Autonomous Systems* 24, 159-182.
    Baarslag, T., Hindriks, K., & Jonker, C. (2013). A tit for tat negotiation
    strategy for real-time bilateral negotiations. *Complex Automated Negotiations*.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import brentq

from sim.benchmarks import BargainingProblem, best_for, pareto_improvement
from sim.core.acceptance import table_view
from sim.core.errors import Problem
from sim.core.params import KernelParams
from sim.core.scenario import RuleContext
from sim.core.streams import RunStreams
from sim.core.utility import issue_values, safe_divide, snap_to_grid, snap_toward, utilities, weighted_sum
from sim.protocols.base import Memory, Protocol, State, consent_round
from sim.protocols.seat import Seat
from sim.protocols.strategies import STRATEGIES, TIME_BETA, time_dependent_target, tit_for_tat_target

__all__ = [
    "WALKAWAY_AS",
    "Alternating",
    "AlternatingMemory",
    "concede_along",
    "reference_points",
    "rubinstein_offers",
]

_EQ = STRATEGIES.index("equilibrium")
_TFT = STRATEGIES.index("tit_for_tat")
_BETA = np.array([TIME_BETA.get(name, 1.0) for name in STRATEGIES])


def reference_points(params: KernelParams) -> np.ndarray:
    """Each party's reference: the others' capability x salience weighted mean ideal.

    Returns:
        ``(B, P, I)``, clipped into the box of everyone's red lines where it exists.
    """
    force = params.capability[..., None] * params.prefs.salience  # (B, P, I)
    # sums over the other parties, term by term: "total minus own" cancels catastrophically when one
    # party's weight dwarfs the others' (and then depends on which end of the scale the ideals sit)
    others_only = 1.0 - np.eye(params.n_parties)
    others = np.einsum("pq,bqi->bpi", others_only, force)
    weighted = np.einsum("pq,bqi->bpi", others_only, force * params.prefs.ideal)
    ref = safe_divide(weighted, others, params.prefs.ideal)
    low = params.red_lines.low.max(axis=-2, keepdims=True)
    high = params.red_lines.high.min(axis=-2, keepdims=True)
    return np.where(low <= high, np.clip(ref, low, high), ref)


def concede_along(
    ideal: np.ndarray,
    reference: np.ndarray,
    weight: np.ndarray,
    curvature: np.ndarray,
    target: np.ndarray,
    steps: int = 50,
    solver: str = "closed_form",
) -> np.ndarray:
    """The point ``p + lam (r - p)`` where the party's utility equals ``target``.

    Along the segment the distance to the ideal on issue i is ``lam d_i`` with
    ``d_i = |r_i - p_i|``, so ``U(lam) = sum_i w_i (1 - lam d_i) ** k_i`` falls
    monotonically; lam = 1 when even r beats the target.

    * ``solver = "closed_form"``: with straight-line values (every k_i = 1)
      ``U(lam) = 1 - lam sum_i w_i d_i``, so ``lam = (1 - target) / sum_i w_i d_i``
      exactly; with curved values, safeguarded Newton steps on
      ``U(lam) = target`` (``U'(lam) = -sum_i w_i k_i d_i (1 - lam d_i) ** (k_i - 1)``),
      falling back to bisection inside the bracket, to 1e-15.
    * ``solver = "bisection"``: ``steps`` halvings of [0, 1] (the original
      method; both agree to 1e-12, tested on every shipped scenario).

    Args:
        ideal: The party's ideal, ``(B, I)``.
        reference: Its reference point, ``(B, I)``.
        weight: Its normalised salience, ``(B, I)``.
        curvature: Its exponents, ``(B, I)``.
        target: Target utilities, ``(B,)``.
        steps: Bisection steps (``solver = "bisection"``).
        solver: ``"closed_form"`` or ``"bisection"``.

    Returns:
        Offers, ``(B, I)``.
    """
    d = np.abs(reference - ideal)
    if solver == "bisection":
        lam = _bisect(ideal, reference, weight, curvature, target, steps)
    else:
        lam = _concession(d, weight, curvature, target)
    return ideal + lam[:, None] * (reference - ideal)


def _bisect(ideal, reference, weight, curvature, target, steps: int) -> np.ndarray:
    def utility(lam: np.ndarray) -> np.ndarray:
        x = ideal + lam[:, None] * (reference - ideal)
        return utilities(x, ideal[:, None, :], weight[:, None, :], curvature[:, None, :])[:, 0]

    low = np.zeros(len(target))
    high = np.ones(len(target))
    at_reference = utility(high) >= target
    for _ in range(steps):
        mid = 0.5 * (low + high)
        above = utility(mid) >= target
        low = np.where(above, mid, low)
        high = np.where(above, high, mid)
    return np.where(at_reference, 1.0, low)


def _concession(d: np.ndarray, weight: np.ndarray, curvature: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``lam`` in [0, 1] with ``sum_i w_i (1 - lam d_i) ** k_i = target`` (1 if even lam = 1 is above it)."""
    slope = np.einsum("bi,bi->b", weight, d)
    lam = np.clip(safe_divide(1.0 - target, slope, 1.0), 0.0, 1.0)
    curved = np.any(curvature != 1.0, axis=-1)
    if not curved.any():
        return lam
    rows = np.flatnonzero(curved)
    w, k, dd, goal = weight[rows], curvature[rows], d[rows], target[rows]

    def value(x: np.ndarray) -> np.ndarray:
        return np.einsum("bi,bi->b", w, np.clip(1.0 - x[:, None] * dd, 0.0, 1.0) ** k)

    low, high = np.zeros(len(rows)), np.ones(len(rows))
    at_end = value(high) >= goal
    x = np.clip(lam[rows], 0.0, 1.0)
    settled = np.zeros(len(rows), dtype=bool)
    for _ in range(60):  # each row stops on its own, so a row's offer does not depend on the others in the batch
        f = value(x) - goal
        low = np.where(f >= 0, x, low)
        high = np.where(f >= 0, high, x)
        base = np.clip(1.0 - x[:, None] * dd, 1e-300, 1.0)
        slope_x = -np.einsum("bi,bi->b", w * k * dd, base ** (k - 1.0))
        newton = x + safe_divide(f, -slope_x, 0.0)
        x_new = np.where((newton > low) & (newton < high) & (slope_x < 0), newton, 0.5 * (low + high))
        settled |= (np.abs(x_new - x) <= 1e-16) | (high - low <= 1e-15)
        x = np.where(settled, x, x_new)
        if settled.all():
            break
    lam[rows] = np.where(at_end, 1.0, np.clip(x, 0.0, 1.0))
    return lam


def rubinstein_offers(
    problem: BargainingProblem,
    patience: np.ndarray,
    disagreement: np.ndarray,
    outside: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Stationary SPE offers ``(x*, y*)`` of two parties (Binmore-Rubinstein-Wolinsky).

    Each responder is offered exactly what it gets by rejecting: its
    discounted continuation value over the impasse point d, or, with outside
    options w (Shaked & Sutton 1984; BRW 1986), the larger of its option and
    that continuation value:

        U_2(x*) = max(w_2, d_2 + delta_2 (U_2(y*) - d_2)),  U_1(y*) = max(w_1, d_1 + delta_1 (U_1(x*) - d_1))

    Args:
        problem: The two-party bargaining problem (parties 0 and 1).
        patience: Discount factors ``(delta_1, delta_2)``.
        disagreement: Impasse (disagreement) utilities ``(d_1, d_2)``.
        outside: Outside options ``(w_1, w_2)`` a responder may take instead
            of continuing (None: no options).

    Returns:
        Normalised texts proposed by party 1 and by party 2, or None when no
        text gives both parties their disagreement value (and option).
    """
    d1, d2 = disagreement
    w1, w2 = (d1, d2) if outside is None else outside
    delta1, delta2 = patience
    x_top = best_for(problem, 0, 1, max(d2, w2))  # party 1's best text that party 2 still accepts
    if x_top is None:
        return None
    a_max = float(problem.utilities(x_top)[0])
    if a_max < max(d1, w1) - 1e-12:
        return None
    cache: dict[float, np.ndarray] = {}

    def text_at(u1: float) -> np.ndarray:
        if u1 not in cache:
            found = best_for(problem, 1, 0, u1)
            cache[u1] = x_top if found is None else found
        return cache[u1]

    def g(u1: float) -> float:
        return float(problem.utilities(text_at(u1))[1])

    def second(a: float) -> float:  # U_1(y*): what party 2 must offer party 1
        b = d1 + delta1 * (a - d1)
        return b if outside is None else min(max(w1, b), a_max)

    def h(a: float) -> float:  # strictly decreasing in a (a concave frontier; kinks of max() included)
        wait = d2 + delta2 * (g(second(a)) - d2)
        return g(a) - (wait if outside is None else max(w2, wait))

    if h(d1) <= 0:
        a = d1
    elif h(a_max) >= 0:
        a = a_max
    else:
        a = brentq(h, d1, a_max, xtol=1e-12, rtol=1e-12)
    # Where the proposer is indifferent along some issue, best_for may return any text on that line (a weakly
    # efficient one); the offer is the strongly efficient one: the responder gets what the proposer can give
    # at no cost (found by the mirror property: otherwise the offer depends on the direction of a scale).
    return pareto_improvement(problem, text_at(a))[0], pareto_improvement(problem, text_at(second(a)))[0]


@dataclass(frozen=True)
class AlternatingMemory(Memory):
    """What each party carries between rounds of alternating offers.

    Attributes:
        reference: Each party's reference point (others' weighted ideal), ``(B, P, I)``.
        eq_offer: Stationary equilibrium offers (NaN where none), ``(B, P, I)``.
        first_seen: Utility of the first offer each party received, ``(B, P)`` (NaN before any).
        last_seen: Utility of the latest offer each party received, ``(B, P)``.
    """

    reference: np.ndarray
    eq_offer: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray


WALKAWAY_AS = ("impasse", "outside_option")
"""How the equilibrium strategy reads the walk-away values (see :class:`Alternating`)."""


class Alternating(Protocol):
    """Stacked alternating offers with a strategy per party.

    Args:
        bisection_steps: Halvings of the concession interval with
            ``offer_solver = "bisection"`` (2**-steps accuracy).
        accept_tolerance: Slack on a responder's threshold (float noise).
        offer_solver: ``"closed_form"`` (exact for straight-line values, Newton
            for curved ones) or ``"bisection"`` (the original method).
        walkaway_as: How the equilibrium strategy reads the round-0 walk-away
            values w: ``"impasse"`` (default) as the disagreement point d = w
            that continuation values are measured from; ``"outside_option"``
            as options a responder may take instead of continuing, with the
            impasse point at 0 (Binmore, Rubinstein & Wolinsky 1986; Shaked &
            Sutton 1984): a responder's value is ``max(w, delta U')`` and an
            option below the continuation value changes nothing. With a
            breakdown risk p, delta is ``delta (1 - p)`` in both readings.
    """

    name = "alternating"
    summary = "stacked alternating offers; per-party strategies (time-based, tit-for-tat, equilibrium)"
    reference = "Rubinstein (1982); Binmore, Rubinstein & Wolinsky (1986); Faratin et al. (1998)"
    listing_order = 1
    playable = True

    def __init__(
        self,
        bisection_steps: int = 50,
        accept_tolerance: float = 1e-9,
        offer_solver: str = "closed_form",
        walkaway_as: str = "impasse",
    ) -> None:
        if walkaway_as not in WALKAWAY_AS:
            raise ValueError(f"walkaway_as must be one of {', '.join(WALKAWAY_AS)}; got {walkaway_as!r}")
        self.bisection_steps = bisection_steps
        self.accept_tolerance = accept_tolerance
        self.offer_solver = offer_solver
        self.walkaway_as = walkaway_as

    @classmethod
    def check(cls, ctx: RuleContext) -> list[Problem]:
        """The equilibrium strategy needs exactly two parties."""
        for pid, party in ctx.parties.items():
            if party.get("strategy") == "equilibrium" and len(ctx.data.get("parties", {})) != 2:
                ctx.bad(
                    f"parties.{pid}.strategy",
                    f"equilibrium needs exactly two parties; got {len(ctx.data.get('parties', {}))}",
                )
        return ctx.take()

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: everyone at its ideal; equilibrium offers solved per row."""
        b, p, n = params.batch, params.n_parties, params.n_issues
        eq_offer = np.full((b, p, n), np.nan)
        if p == 2 and np.any(params.strategy == _EQ):
            for row in range(b):
                if not np.any(params.strategy[row] == _EQ):
                    continue
                problem = BargainingProblem.from_params(params, row)
                survive = params.patience[row] * (1.0 - params.breakdown_risk[row])  # BRW: delta (1 - p)
                walk = params.walkaways.start[row]
                if self.walkaway_as == "outside_option":
                    found = rubinstein_offers(problem, survive, np.zeros(2), outside=walk)
                else:
                    found = rubinstein_offers(problem, survive, walk)
                if found is not None:
                    eq_offer[row, 0], eq_offer[row, 1] = found
        memory = AlternatingMemory(
            reference=reference_points(params),
            eq_offer=eq_offer,
            first_seen=np.full((b, p), np.nan),
            last_seen=np.full((b, p), np.nan),
        )
        return State.initial(params, streams, params.prefs.ideal[:, 0, :].copy(), memory)

    def _targets(self, params: KernelParams, walk: np.ndarray, t: int, first: np.ndarray, last: np.ndarray):
        beta = _BETA[params.strategy]
        timed = time_dependent_target(walk, beta, t, params.rounds)
        plays_tft = params.strategy == _TFT
        if not plays_tft.any():
            return timed
        return np.where(plays_tft, tit_for_tat_target(walk, first, last), timed)

    def _offer(self, params: KernelParams, state: State) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """This round's proposer, the walk-aways in force, every party's target, and the proposer's offer."""
        t = state.t + 1
        q = (t - 1) % params.n_parties
        memory: AlternatingMemory = state.memory
        view = state.view(params, t)
        target = self._targets(params, view.walkaway, t, memory.first_seen, memory.last_seen)
        eq_offer = memory.eq_offer
        plays_eq = (params.strategy[:, q] == _EQ) & ~np.isnan(eq_offer[:, q, 0])
        offer = concede_along(
            params.prefs.ideal[:, q],
            memory.reference[:, q],
            params.prefs.weight[:, q],
            params.prefs.curvature[:, q],
            target[:, q],
            self.bisection_steps,
            self.offer_solver,
        )
        low, high = view.low[:, q], view.high[:, q]  # the proposer's lines (not clipped where they exclude each other)
        offer = snap_to_grid(np.where(low <= high, np.clip(offer, low, high), offer), params.step, params.levels)
        if plays_eq.any():  # the stationary offer, rounded onto the grid in the responder's favour
            responder_ideal = params.prefs.ideal[:, 1 - q] if params.n_parties == 2 else params.prefs.ideal[:, q]
            exact = np.nan_to_num(eq_offer[:, q])
            stationary = snap_toward(exact, responder_ideal, params.step, params.levels)
            # ... unless that rounding leaves the red lines in force: then toward their middle (found by the
            # mirror property: a step past the line on one scale was a step inside it on the mirrored one)
            inner_low, inner_high = view.low.max(axis=1), view.high.min(axis=1)
            outside = (stationary < inner_low - 1e-12) | (stationary > inner_high + 1e-12)
            if outside.any():
                inward = snap_toward(exact, (inner_low + inner_high) / 2, params.step, params.levels)
                stationary = np.where(outside, inward, stationary)
            offer = np.where(plays_eq[:, None], stationary, offer)
        offer = np.where(state.walked[:, q, None], state.text, offer)  # a party that walked out offers nothing new
        return q, view, target, offer

    def table(self, params: KernelParams, state: State) -> np.ndarray:
        """The offer the next proposer makes as the model plays it (a seated proposer's suggestion)."""
        return self._offer(params, state)[3]

    @staticmethod
    def proposer(t: int, n_parties: int) -> int:
        """The index of the party that proposes in round ``t`` (file order, rotating)."""
        return (t - 1) % n_parties

    def step(self, params: KernelParams, state: State, streams: RunStreams, seat: Seat | None = None) -> State:
        """One round: the proposer offers, every other party answers, winners ratify.

        A ``seat`` (:class:`~sim.protocols.seat.Seat`) makes its own offer in its
        turn (put on the issue grid) and answers the others' offers.
        """
        active = self.active(params, state)
        t = state.t + 1
        memory: AlternatingMemory = state.memory
        eq_offer = memory.eq_offer
        q, view, target, offer = self._offer(params, state)
        if seat is not None and seat.party == q:  # the seat proposes: its offer, and it is not asked
            if seat.offer is not None:
                own = np.broadcast_to(np.asarray(seat.offer, dtype=float), offer.shape)
                offer = np.where(state.walked[:, q, None], state.text, snap_to_grid(own, params.step, params.levels))
            seat = replace(seat, accepts=None)
        responder = np.arange(params.n_parties) != q
        seen: dict[str, np.ndarray] = {}

        def worth_taking(utility: np.ndarray) -> np.ndarray:
            """A responder takes an offer worth what it would ask next round, discounted."""
            first = np.where(responder & np.isnan(memory.first_seen), utility, memory.first_seen)
            last = np.where(responder, utility, memory.last_seen)
            seen.update(first_seen=first, last_seen=last)
            walk_next = table_view(params, state.learned, t + 1, state.world.front_at(t)).walkaway
            p = params.breakdown_risk[:, None]  # after a refusal the talks break down with probability p
            target_next = self._targets(params, walk_next, t + 1, first, last)
            wait_value = params.patience * ((1.0 - p) * target_next + p * walk_next)
            own_eq = np.nan_to_num(utilities_of_own(params, eq_offer))
            d = params.walkaways.start
            if self.walkaway_as == "outside_option":  # the option, or waiting for one's own offer
                eq_value = np.maximum(d, params.patience * (1.0 - p) * own_eq)
            else:
                eq_value = d + params.patience * (1.0 - p) * (own_eq - d)
            is_eq = (params.strategy == _EQ) & ~np.isnan(eq_offer[..., 0])
            threshold = np.where(is_eq, eq_value, wait_value)
            return ~responder | (utility >= threshold - self.accept_tolerance)

        consent = consent_round(params, state, offer, view, active, streams, also=worth_taking, seat=seat)
        demands = state.demands.copy()
        demands[:, q] = offer
        return state.advance(
            params,
            active,
            consent=consent,
            text=offer,
            demands=demands,
            aspiration=target,
            memory=replace(memory, **seen),
        )


def utilities_of_own(params: KernelParams, offers: np.ndarray) -> np.ndarray:
    """Each party's utility of its own (equilibrium) offer, ``(B, P)``."""
    values = issue_values(offers, params.prefs.ideal[..., None, :], params.prefs.curvature[..., None, :])
    return weighted_sum(params.prefs.weight, values[..., 0, :])
