"""``mediated``: the single negotiating text (Raiffa 1982; Fisher & Ury 1981).

A mediator tables one draft; each round (one shuttle cycle) every party says
yes or no; objecting parties pull the next draft toward what they demand; the
mediator weighs those pulls by the parties' capability and salience, tilted
by its bias. A deal is struck when every party accepts. This is the process
of the US 28-point draft revised to the 19-point Geneva text in Nov 2025.

Equations (normalised positions; round t = 1, 2, ...; see ``docs/MODEL.md``):

* walk-away    ``w_a(t) = clip(w_a + drift_a * t, 0, 1)``
* aspiration   ``A_a(t) = w_a(t) + (1 - w_a(t)) * delta_a ** t``
* acceptance   party a accepts text x iff x is inside its red lines and
  ``U_a(x) >= w_a(t)``
* demand       ``d_a = clip_red(x + lam_a (p_a - x))`` with
  ``lam_a = clip((A_a - U_a(x)) / (1 - U_a(x)), 0, 1)``: the party asks to
  close the share of the way to its ideal that its utility falls short of its
  aspiration (exactly ``U_a(d_a) = A_a`` for linear values)
* revision     ``y' = y + sum_{a objects} mu_ai (d_ai - y_i) + sigma * eps``
  with ``mu_ai = b_a c_a s_ai / sum_k b_k c_k s_ki`` (all parties k), so the
  new draft is a convex combination of the old draft and objectors' demands
* red lines    the mediator never drafts across a red line it knows of:
  ``y`` is clipped to the box ``[max_a red_low_ai, min_a red_high_ai]`` on
  every issue where that box is not empty
* tabled text  ``x = snap(y)`` to the issue grid, where one is given
* opening      ``y_0 = sum_a b_a c_a s_ai p_ai / sum_a b_a c_a s_ai``
  (``opening = "compromise"``), the mediator's ideal (``"mediator"``) or a
  given text.

References:
    Raiffa, H. (1982). *The Art and Science of Negotiation*, ch. 14
    ("The single negotiating text"). Harvard University Press.
    Fisher, R., & Ury, W. (1981). *Getting to Yes*. Houghton Mifflin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.core.acceptance import (
    UTILITY_TOLERANCE,
    TableView,
    answers,
    judged_utilities,
    net_utilities,
    ratification_chance,
)
from sim.core.params import KernelParams
from sim.core.streams import MISPERCEPTION, NOISE, RunStreams
from sim.core.utility import (
    max_over_parties,
    min_over_parties,
    safe_divide,
    snap_to_grid,
    sum_over_parties,
    weighted_mean,
    within_red_lines,
)
from sim.protocols.base import Memory, Protocol, State, consent_round
from sim.protocols.seat import Seat

__all__ = [
    "Mediated",
    "MediatorMemory",
    "improve_text",
    "lean_toward",
    "perceived_red_lines",
    "aspiration_at",
    "demands_toward_ideal",
    "opening_text",
    "pull_weights",
    "counter_text",
    "joint_position",
    "revise_text",
    "within_common_red_lines",
]


def pull_weights(bias: np.ndarray, capability: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Each party's share of the mediator's attention per issue.

    ``mu_ai = b_a c_a s_ai / sum_k b_k c_k s_ki`` (0 where nobody cares).

    Args:
        bias: Mediator bias multipliers, ``(B, P)``.
        capability: ``(B, P)``.
        salience: Raw salience, ``(B, P, I)``.

    Returns:
        Shares summing to 1 over parties on every issue, ``(B, P, I)``.
    """
    force = (bias * capability)[..., None] * salience
    return safe_divide(force, sum_over_parties(force)[..., None, :])


def opening_text(params: KernelParams) -> np.ndarray:
    """The first draft the mediator tables, ``(B, I)`` normalised."""
    if params.mediation.opening_rule == "explicit":
        return params.mediation.opening.copy()
    if params.mediation.opening_rule == "mediator" and params.mediation.mediator >= 0:
        return params.prefs.ideal[:, params.mediation.mediator, :].copy()
    force = (params.mediation.bias * params.capability)[..., None] * params.prefs.salience
    nobody_cares = sum_over_parties(force) <= 0
    return np.where(nobody_cares, 0.5, weighted_mean(params.prefs.ideal, force))


def aspiration_at(walkaway: np.ndarray, patience: np.ndarray, t: int) -> np.ndarray:
    """Aspiration after ``t`` rounds: ``w + (1 - w) * delta ** t``.

    Starts at 1 (the ideal) and falls geometrically toward the walk-away value;
    a patient party (delta near 1) holds out, an impatient one gives way.
    """
    return walkaway + (1.0 - walkaway) * patience**t


def demands_toward_ideal(
    text: np.ndarray,
    utility: np.ndarray,
    aspiration: np.ndarray,
    ideal: np.ndarray,
    red_low: np.ndarray,
    red_high: np.ndarray,
) -> np.ndarray:
    """What each party asks the text to become.

    ``d = clip_red(x + lam (p - x))``, ``lam = clip((A - U) / (1 - U), 0, 1)``.

    Args:
        text: Tabled text, ``(B, I)``.
        utility: Each party's utility of it, ``(B, P)``.
        aspiration: Aspiration levels, ``(B, P)``.
        ideal: Ideals, ``(B, P, I)``.
        red_low: Lower red lines, ``(B, P, I)``.
        red_high: Upper red lines, ``(B, P, I)``.

    Returns:
        Demands, ``(B, P, I)``.
    """
    share = np.clip(safe_divide(aspiration - utility, 1.0 - utility), 0.0, 1.0)[..., None]
    x = text[..., None, :]
    demand = x + share * (ideal - x)
    # a party whose lines exclude each other (a learnt win-set bound across its own red line) is not clipped:
    # numpy would put it on the upper line, favouring one end of the scale
    return np.where(red_low <= red_high, np.clip(demand, red_low, red_high), demand)


def revise_text(draft: np.ndarray, demands: np.ndarray, objecting: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The mediator's next draft: ``y + sum_{a objects} mu_ai (d_ai - y_i)``.

    Args:
        draft: Current draft, ``(B, I)``.
        demands: Parties' demands, ``(B, P, I)``.
        objecting: Which parties object, ``(B, P)``.
        weights: Pull weights ``mu``, ``(B, P, I)``.

    Returns:
        The new draft, ``(B, I)``.
    """
    pull = np.einsum("...pi,...p,...pi->...i", weights, objecting.astype(float), demands - draft[..., None, :])
    return draft + pull


def within_common_red_lines(draft: np.ndarray, red_low: np.ndarray, red_high: np.ndarray) -> np.ndarray:
    """Clip a draft into every party's red lines, on issues where they overlap.

    Args:
        draft: Draft, ``(B, I)``.
        red_low: Lower red lines, ``(B, P, I)``.
        red_high: Upper red lines, ``(B, P, I)``.

    Returns:
        The clipped draft, ``(B, I)``; issues whose red lines exclude each
        other are left as they are.
    """
    low = max_over_parties(red_low)
    high = min_over_parties(red_high)
    return np.where(low <= high, np.clip(draft, low, high), draft)


@dataclass(frozen=True)
class MediatorMemory(Memory):
    """The mediator's working draft and what it believes of the red lines.

    Attributes:
        draft: The neutral draft before snapping to the grid, ``(B, I)``.
        belief: The mediator's error about each red line (0 without
            misperception), normalised, ``(B, P, I)``.
    """

    draft: np.ndarray
    belief: np.ndarray


def perceived_red_lines(view: TableView, belief: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The red lines in force as the mediator believes them: true lines plus its error, within [0, 1]."""
    return _perceive(view.low, view.high, belief)


def _perceive(low: np.ndarray, high: np.ndarray, belief: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each red line plus the mediator's error; a party without a line on an issue (its bound at the end of
    the scale) has none to misperceive."""
    if not np.any(belief):
        return low, high
    return (
        np.where(low > 0.0, np.clip(low + belief, 0.0, 1.0), low),
        np.where(high < 1.0, np.clip(high + belief, 0.0, 1.0), high),
    )


def lean_toward(
    params: KernelParams,
    text: np.ndarray,
    view: TableView,
    low: np.ndarray,
    high: np.ndarray,
    rows: np.ndarray,
    steps: int,
) -> np.ndarray:
    """The mediator's drafting lean: move an agreed text toward its favourite's ideal (Kydd 2003).

    On the segment ``x_k = x + (k / steps) (p_X - x)`` the mediator picks, among
    the texts it believes every party accepts, the one maximising

        (1 - b) (-k / steps) + b EU_X(x_k),   EU_X = P(ratified | x_k) U_X(x_k) + (1 - P) w_X

    with b the lean toward X. By revealed preference X's expected utility of
    the chosen text never falls as b rises (for the same state), and b = 0
    keeps the neutral text.

    Args:
        params: Parameters.
        text: The neutral text, ``(B, I)``.
        view: Walk-aways in force.
        low: Red lines as the mediator believes them, ``(B, P, I)``.
        high: Upper red lines as it believes them.
        rows: Rows whose neutral text the mediator believes everyone accepts.
        steps: Points on the segment beyond the neutral text.

    Returns:
        The texts, ``(B, I)``.
    """
    lean = params.mediation.lean
    x = np.argmax(lean, axis=-1)
    b = lean[np.arange(params.batch), x]
    rows = rows & (b > 0)
    if not rows.any():
        return text
    if not rows.all():  # only the rows that lean are drafted again (the others keep the neutral text)
        idx = np.flatnonzero(rows)
        out = text.copy()
        out[idx] = _leaned(params.take(idx), text[idx], view.walkaway[idx], low[idx], high[idx], x[idx], b[idx], steps)
        return out
    return _leaned(params, text, view.walkaway, low, high, x, b, steps)


def _leaned(
    params: KernelParams,
    text: np.ndarray,
    walkaway: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    x: np.ndarray,
    b: np.ndarray,
    steps: int,
) -> np.ndarray:
    """:func:`lean_toward` on rows that all lean (toward party ``x[row]`` with lean ``b[row] > 0``)."""
    rows = np.ones(params.batch, dtype=bool)
    target = params.prefs.ideal[np.arange(params.batch), x]
    best_text, best_score = text, np.full(params.batch, -np.inf)
    for k in range(steps + 1):
        share = k / steps
        candidate = snap_to_grid(text + share * (target - text), params.step, params.levels)
        utility = net_utilities(params, candidate)
        judged = judged_utilities(params, candidate, utility)
        believed = within_red_lines(candidate, low, high) & (judged >= walkaway - UTILITY_TOLERANCE)
        chance = ratification_chance(params, candidate, utility)
        rows_x = np.arange(params.batch)
        expected = chance * utility[rows_x, x] + (1.0 - chance) * walkaway[rows_x, x]
        score = (1.0 - b) * -share + b * expected
        better = rows & believed.all(axis=-1) & (score > best_score + 1e-12)
        best_text = np.where(better[:, None], candidate, best_text)
        best_score = np.where(better, score, best_score)
    return best_text


def improve_text(
    params: KernelParams, text: np.ndarray, view: TableView, rows: np.ndarray, grid: int, steps: int
) -> np.ndarray:
    """Raiffa's improvement phase (post-settlement settlement, Raiffa 1985): Pareto moves from an agreed text.

    From the text every party accepts, the mediator proposes the neighbouring
    text (one or two issues moved by one step: a grid step, or ``1 / grid``
    on a continuous issue) that every party judges at least as good and that
    raises the smallest normalised gain most, inside every red line in force;
    it repeats until no such move is left or after ``steps`` moves.

    Args:
        params: Parameters.
        text: Agreed texts, ``(B, I)``.
        view: Red lines in force.
        rows: Rows whose table agreed.
        grid: Steps per issue span on continuous issues.
        steps: The most moves.

    Returns:
        The improved texts, ``(B, I)``.
    """
    n = params.n_issues
    size = np.where(params.step > 0, params.step, 1.0 / grid)
    moves = [np.eye(n)[i] * d for i in range(n) for d in (-1.0, 1.0)]
    moves += [
        np.eye(n)[i] * d + np.eye(n)[j] * e for i in range(n) for j in range(i + 1, n) for d in (-1, 1) for e in (-1, 1)
    ]
    current = text
    live = rows.copy()
    for _ in range(steps):
        if not live.any():
            break
        base = judged_utilities(params, current)
        best, best_gain = current, np.zeros(params.batch)
        for move in moves:
            candidate = snap_to_grid(np.clip(current + move * size, 0.0, 1.0), params.step, params.levels)
            judged = judged_utilities(params, candidate)
            gain = judged - base
            inside = within_red_lines(candidate, view.low, view.high).all(axis=-1)
            weak = np.all(gain >= -1e-12, axis=-1) & (gain.max(axis=-1) > 1e-9)
            score = gain.min(axis=-1) + 1e-6 * gain.sum(axis=-1)
            better = live & inside & weak & (score > best_gain)
            best = np.where(better[:, None], candidate, best)
            best_gain = np.where(better, score, best_gain)
        live = live & (best_gain > 0)
        current = best
    return current


class Mediated(Protocol):
    """Single negotiating text revised by a (possibly biased) mediator.

    Args:
        improve: Run Raiffa's improvement phase when the table agrees: Pareto
            moves from the agreed text until none is left.
        improve_grid: Steps per issue span for the improvement phase's moves
            on continuous issues.
        improve_steps: The most improvement moves.
        lean_steps: Points the mediator weighs between the neutral text and
            its favourite's ideal (``mediator_lean``).
    """

    name = "mediated"
    summary = "single negotiating text: a mediator revises one draft until all accept"
    reference = "Raiffa (1982) The Art and Science of Negotiation, ch. 14; Fisher & Ury (1981)"
    uses_randomness = True
    listing_order = 0
    playable = True

    def __init__(
        self, improve: bool = False, improve_grid: int = 20, improve_steps: int = 50, lean_steps: int = 20
    ) -> None:
        self.improve = improve
        self.improve_grid = improve_grid
        self.improve_steps = improve_steps
        self.lean_steps = lean_steps

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: the opening draft and every party at its ideal."""
        belief = np.zeros(params.prefs.ideal.shape)
        if np.any(params.mediation.misperception > 0):
            errors = streams.normal(params.prefs.ideal.shape[1:], purpose=MISPERCEPTION)
            belief = params.mediation.misperception[:, None, None] * errors
        low, high = params.red_lines_at(0)
        draft = within_common_red_lines(opening_text(params), *_perceive(low, high, belief))
        text = snap_to_grid(draft, params.step, params.levels)
        return State.initial(params, streams, text, MediatorMemory(draft, belief))

    def _tabled(
        self, params: KernelParams, state: State, active: np.ndarray
    ) -> tuple[TableView, np.ndarray, np.ndarray]:
        """The walk-aways and red lines in force, the neutral draft, and the text the mediator tables this round."""
        t = state.t + 1
        memory: MediatorMemory = state.memory
        view = state.view(params, t)
        low, high = perceived_red_lines(view, memory.belief)
        draft = within_common_red_lines(memory.draft, low, high)
        text = snap_to_grid(draft, params.step, params.levels)
        if np.any(params.mediation.lean > 0):
            judged = judged_utilities(params, text)
            accepted = within_red_lines(text, low, high) & (judged >= view.walkaway - UTILITY_TOLERANCE)
            believed = accepted | state.walked
            text = lean_toward(params, text, view, low, high, active & believed.all(axis=-1), self.lean_steps)
        if self.improve:
            agreed, _ = answers(params, text, view)
            text = improve_text(
                params, text, view, active & (agreed | state.walked).all(axis=-1), self.improve_grid, self.improve_steps
            )
        return view, draft, text

    def table(self, params: KernelParams, state: State) -> np.ndarray:
        """The draft the mediator tables next round (what a seated person answers)."""
        return self._tabled(params, state, self.active(params, state))[2]

    def step(self, params: KernelParams, state: State, streams: RunStreams, seat: Seat | None = None) -> State:
        """One shuttle round: answers, ratification, demands, and the revised draft.

        A ``seat`` (:class:`~sim.protocols.seat.Seat`) answers for its party and,
        when it objects, says what it demands instead of the model's demand.
        """
        active = self.active(params, state)
        t = state.t + 1
        memory: MediatorMemory = state.memory
        view, draft, text = self._tabled(params, state, active)
        aspiration = aspiration_at(view.walkaway, params.patience, t)
        consent = consent_round(params, state, text, view, active, streams, seat=seat)
        demands = demands_toward_ideal(text, consent.utility, aspiration, params.prefs.ideal, view.low, view.high)
        if seat is not None:
            demands = seat.put(demands, seat.demand)
        voice = params.prefs.voice * ~state.walked[..., None]
        force = params.capability[..., None] * params.prefs.salience * voice
        weights = pull_weights(params.mediation.bias, params.capability, params.prefs.salience * voice)
        objecting = ~consent.accepts
        for c in np.flatnonzero(t >= params.coalitions.from_round):
            demands, objecting = joint_position(params.coalitions.members[c], force, demands, objecting)
        ratified, failed = consent.agreed, consent.failed
        new_draft = revise_text(draft, demands, (objecting | failed) & ~state.walked, weights)
        for c in np.flatnonzero(params.coalitions.counter_text & (params.coalitions.from_round == t)):
            new_draft = counter_text(params.coalitions.members[c], force, params.prefs.ideal, weights, new_draft)
        noisy = active & ~ratified & (params.mediation.noise > 0)
        if noisy.any():
            eps = streams.normal((params.n_issues,), rows=noisy, t=t, purpose=NOISE)
            new_draft = np.clip(new_draft + params.mediation.noise[:, None] * eps, 0.0, 1.0)
        # the next round clips the draft into the red lines in force then (see the top of step)
        return state.advance(
            params,
            active,
            consent=consent,
            text=text,
            demands=demands,
            aspiration=aspiration,
            memory=replace(memory, draft=new_draft),
        )


def joint_position(
    members: np.ndarray, force: np.ndarray, demands: np.ndarray, objecting: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A coalition speaks with one voice: a joint demand, and all object if one does.

    The joint demand is the members' demands weighted by capability x salience
    (on the issues they sign for): ``d_C = sum_{a in C} f_ai d_ai / sum f_ai``.

    Args:
        members: Membership, ``(P,)`` booleans.
        force: ``c_a s_ai`` masked by consent, ``(B, P, I)``.
        demands: Demands, ``(B, P, I)``.
        objecting: Objections, ``(B, P)``.

    Returns:
        The new ``(demands, objecting)``.
    """
    f = force[:, members]
    joint = weighted_mean(demands[:, members], f)
    demands = demands.copy()
    demands[:, members] = joint[:, None, :]
    objecting = objecting.copy()
    objecting[:, members] = objecting[:, members].any(axis=-1, keepdims=True)
    return demands, objecting


def counter_text(
    members: np.ndarray, force: np.ndarray, ideal: np.ndarray, weights: np.ndarray, draft: np.ndarray
) -> np.ndarray:
    """A coalition tables its joint text; the mediator merges it with its pooled weight.

    ``y' = y + lam_C (p_C - y)`` with ``p_C`` the members' capability x salience
    weighted ideal and ``lam_C = sum_{a in C} mu_ai`` their share of the table.
    """
    f = force[:, members]
    joint = weighted_mean(ideal[:, members], f)
    share = weights[:, members].sum(axis=-2)
    return draft + share * (joint - draft)
