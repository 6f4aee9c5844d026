"""``exchange``: the exchange model of Stokman & van Oosten (1994), as a forecasting protocol.

Actors trade voting positions across the issues of one scenario: each gives
ground on the issue it cares less about in return for ground on the issue it
cares more about, when both gain. The forecast is the compromise (capability x
salience weighted mean) of the positions after the last exchange. It is the
main alternative to the compromise model in the literature on EU
decision-making (Arregui, Stokman & Thomson 2006), and needs two or more
issues: on one issue nobody can trade, and the forecast is the compromise.

Notation: actors a (the parties), issues i; positions ``x_ai`` (normalised),
raw saliences ``s_ai``, capabilities ``c_a``. An actor takes part on an issue
when ``s_ai > 0`` (and ``c_a > 0``).

* Expected outcome (the compromise model):

      W_i = sum_a c_a s_ai,    O_i = sum_a c_a s_ai x_ai / W_i

  Moving actor a's position by ``dx`` moves the outcome by ``c_a s_ai dx / W_i``.
* Expected utility of a on issue i is ``-s_ai |O_i - x_ai|`` (salience times
  distance), so an outcome shift of ``dO`` toward a is worth ``s_ai dO`` to a.
* **Possible exchange** between i and j on issues p and q: both actors take
  part on both issues, they are on opposite sides of the expected outcome on
  both issues, and their salience ratios differ, ``s_ip s_jq > s_iq s_jp``: i
  *demands* p (relatively more salient to i) and supplies q; j demands q and
  supplies p. j moves its position on p toward ``x_ip``; i moves on q toward
  ``x_jq``.
* **Outcome shifts** ``dp`` (on p, toward i) and ``dq`` (on q, toward j).
  Gains: ``G_i = s_ip dp - s_iq dq``, ``G_j = s_jq dq - s_jp dp``. The
  *equal-gain* rate (Stokman & van Oosten 1994) sets ``G_i = G_j``:

      dq = r dp,    r = (s_ip + s_jp) / (s_iq + s_jq)
      G  = dp (s_ip s_jq - s_iq s_jp) / (s_iq + s_jq)   (> 0 exactly when the ratios differ as above)

* **Size.** As large as allowed: no actor moves past the other's position, and
  no outcome moves past the position of the actor who demanded it (beyond
  that the demander would lose):

      dp <= min(c_j s_jp |x_ip - x_jp| / W_p,  |x_ip - O_p|)
      dq <= min(c_i s_iq |x_jq - x_iq| / W_q,  |x_jq - O_q|)
      dp  = min(dp_max, dq_max / r),  dq = r dp

  The moves are ``|dx_jp| = dp W_p / (c_j s_jp)`` and ``|dx_iq| = dq W_q / (c_i s_iq)``.
* **No trading back.** An actor's voting position on an issue only ever
  moves in one direction: an exchange that would move it back toward where it
  came from is not possible (the rule of Decide, the exchange model's
  implementation by Stokman's group, github.com/foarsitter/decide-exchange-model,
  ``AbstractExchangeActor.is_move_valid``: every move of an actor on an issue
  has the same sign). Without it, actors measuring gains from their shifted
  positions trade the same ground back and forth for ever: a first version
  without the rule cycled on most DEU proposals (the same exchanges every
  round, never a round without one); the rule was added for that reason,
  not for any score.
* **Rounds.** Within a round the possible exchange with the largest gain is
  made first; outcomes and all remaining exchanges are recomputed from the
  new positions; an actor that has exchanged on an issue does not exchange on
  it again in the same round. The next round starts from the new positions.
  The model stops after a round with no exchange (or at the round limit).
* **Forecast**: the compromise ``O_i`` of the final positions.

As a protocol: one round of the protocol is one round of exchanges; the
stated positions (``demands``) are the voting positions; the text each round
is the compromise of them, put on the issue's grid or options (the raw
value is reported too). Like ``compromise`` and
``bdm`` it forecasts a collective decision: the run ends with a "deal" after
the first round without an exchange (or at the round limit), and ``accepts``
reports whether each party would sign it (red lines and walk-away value).

Choices made (readings of the sources where they leave room): the utility of
later exchanges is measured from the actors' current (shifted) voting
positions; exchanges within a round are recomputed after each one, so that the
caps above hold for the actual outcomes (Decide instead recomputes only the
exchanges that share an actor and issue with the one made, and lets an actor
exchange again on that issue in the same round); an actor exactly at the
outcome is on neither side and does not exchange on that issue; ties in gain
go to the first in (i, j, p, q) order with i < j (file order); gains below
``relative_tolerance`` times the largest salience times the spread of the
initial positions are rounding noise and not made.

References:
    Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting
    positions: an object-oriented model of policy networks. In B. Bueno de
    Mesquita & F. N. Stokman (eds), *European Community Decision Making:
    Models, Applications, and Comparisons* (pp. 105-127). Yale University Press.
    Arregui, J., Stokman, F. N., & Thomson, R. (2006). Compromise, exchange
    and challenge in the European Union. In R. Thomson, F. N. Stokman, C. H.
    Achen & T. König (eds), *The European Union Decides*. Cambridge University Press.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.acceptance import answers
from sim.core.params import KernelParams
from sim.core.streams import RunStreams
from sim.core.utility import snap_to_grid
from sim.protocols.base import Memory, Protocol, State

__all__ = [
    "EXCHANGES_PER_CHUNK",
    "RELATIVE_TOLERANCE",
    "Exchange",
    "ExchangeMemory",
    "ExchangeResult",
    "Trade",
    "best_exchange",
    "exchange_model",
    "exchange_round",
    "exchange_rounds",
    "expected_outcomes",
    "min_gain_of",
    "possible_exchanges",
    "rows_min_gain",
    "rows_outcomes",
]

RELATIVE_TOLERANCE = 1e-9

EXCHANGES_PER_CHUNK = 2**20
"""Exchanges scored together: the protocol plays ``EXCHANGES_PER_CHUNK // (A (A - 1) / 2 * I**2)`` rows at a
time (8 MiB per array: 3,566 rows of 4 actors and 7 issues, 96 of 30 actors and 5 issues)."""


@dataclass(frozen=True)
class Trade:
    """One realised exchange: j moves on p toward i, i moves on q toward j.

    Attributes:
        round: Round in which it happened (1, 2, ...).
        i: The actor demanding issue p (and supplying q).
        j: The actor demanding issue q (and supplying p).
        p: Issue i demands; j moves its position there.
        q: Issue j demands; i moves its position there.
        shift_p: Outcome shift on p, toward i's position.
        shift_q: Outcome shift on q, toward j's position.
        gain: Each actor's expected utility gain (equal by construction).
        move_p: j's signed change of position on p.
        move_q: i's signed change of position on q.
    """

    round: int
    i: int
    j: int
    p: int
    q: int
    shift_p: float
    shift_q: float
    gain: float
    move_p: float
    move_q: float


@dataclass(frozen=True)
class ExchangeResult:
    """Outcome of the exchange model on one proposal.

    Attributes:
        positions: Final voting positions, ``(A, I)`` (NaN where none).
        forecast: The compromise of the final positions, ``(I,)``.
        initial_forecast: The compromise of the initial positions, ``(I,)``.
        rounds: Rounds with at least one exchange.
        exchanges: Every realised exchange in order.
        converged: False if ``max_rounds`` stopped a round that still had exchanges.
    """

    positions: np.ndarray
    forecast: np.ndarray
    initial_forecast: np.ndarray
    rounds: int
    exchanges: tuple[Trade, ...]
    converged: bool


TIE = 1e-12
"""Differences of positions (normalised) and of gains within this are float noise: a tie, whichever way
the scale runs (1 - x carries other rounding than x)."""


def _sign(value):
    """``np.sign`` with differences within ``TIE`` counted as 0 (an actor at the outcome is on neither side)."""
    return np.where(np.abs(value) <= TIE, 0.0, np.sign(value))


def _inputs(
    positions: np.ndarray, saliences: np.ndarray, capabilities: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x = np.array(positions, dtype=float, ndmin=2)
    s = np.nan_to_num(np.array(saliences, dtype=float, ndmin=2))
    c = np.asarray(capabilities, dtype=float).ravel()
    if s.shape != x.shape or c.shape != (x.shape[0],):
        shapes = f"{x.shape}, {s.shape}, {c.shape}"
        raise ValueError(f"need positions and saliences (A, I) and capabilities (A,); got {shapes}")
    if np.any(s < 0) or np.any(c < 0):
        raise ValueError("saliences and capabilities must be >= 0")
    takes_part = ~np.isnan(x) & (s > 0) & (c[:, None] > 0)
    return x, s, c, takes_part


def expected_outcomes(positions: np.ndarray, saliences: np.ndarray, capabilities: np.ndarray) -> np.ndarray:
    """The compromise ``O_i = sum_a c_a s_ai x_ai / sum_a c_a s_ai`` per issue.

    Args:
        positions: ``(A, I)``, NaN where an actor has no position.
        saliences: Raw saliences ``(A, I)``; NaN counts as 0.
        capabilities: ``(A,)``.

    Returns:
        ``(I,)``; on an issue where every weight is 0, the plain mean of the
        positions (NaN if nobody has one).
    """
    x, s, c, takes_part = _inputs(positions, saliences, capabilities)
    force = np.where(takes_part, c[:, None] * s, 0.0)
    total = force.sum(axis=0)
    weighted = (force * np.nan_to_num(x)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        plain = np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0) if x.size else np.zeros(x.shape[1])
        return np.where(total > 0, weighted / np.where(total > 0, total, 1.0), plain)


def possible_exchanges(
    positions: np.ndarray,
    saliences: np.ndarray,
    capabilities: np.ndarray,
    direction: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every possible equal-gain exchange at the current positions.

    Index ``[i, j, p, q]`` is the exchange where i demands p and j demands q
    (j moves on p, i moves on q); each pair of actors appears once, with
    ``i < j`` (the same exchange with the roles swapped is ``[j, i, q, p]``).

    Args:
        positions: ``(A, I)``, NaN where an actor has no position.
        saliences: Raw saliences ``(A, I)``; NaN counts as 0.
        capabilities: ``(A,)``.
        direction: ``(A, I)`` sign of each actor's earlier moves on each
            issue (0: not moved yet); moves against it are not possible.

    Returns:
        ``(gain, shift_p, shift_q)``, each ``(A, A, I, I)``: the equal gain
        (0 where no exchange is possible) and the outcome shifts on p and q.
    """
    x, s, c, takes_part = _inputs(positions, saliences, capabilities)
    n_actors, n_issues = x.shape
    force = np.where(takes_part, c[:, None] * s, 0.0)
    total = force.sum(axis=0)  # W_i
    outcome = expected_outcomes(x, s, c)
    side = np.where(takes_part, _sign(np.nan_to_num(x) - outcome), 0.0)
    xz = np.nan_to_num(x)

    # axes: i, j, p, q
    sip = s[:, None, :, None]
    siq = s[:, None, None, :]
    sjp = s[None, :, :, None]
    sjq = s[None, :, None, :]
    opposite_p = (side[:, None, :] * side[None, :, :]) < 0  # (i, j, p)
    possible = opposite_p[:, :, :, None] & opposite_p[:, :, None, :]
    possible &= ~np.eye(n_issues, dtype=bool)[None, None]
    possible &= np.triu(np.ones((n_actors, n_actors), dtype=bool), k=1)[:, :, None, None]  # each pair once: i < j
    cross = sip * sjq - siq * sjp
    possible &= cross > 1e-12 * np.maximum(sip * sjq, siq * sjp)
    if direction is not None:
        toward = _sign(xz[:, None, :] - xz[None, :, :])  # (i, j, p): j's move on p is toward i: sign(x_ip - x_jp)
        j_may = (direction[None, :, :] == 0) | (direction[None, :, :] == toward)  # (i, j, p)
        i_may = (direction[:, None, :] == 0) | (direction[:, None, :] == -toward)  # (i, j, q): sign(x_jq - x_iq)
        possible &= j_may[:, :, :, None] & i_may[:, :, None, :]
    if not possible.any():
        zero = np.zeros((n_actors, n_actors, n_issues, n_issues))
        return zero, zero.copy(), zero.copy()

    safe_total = np.where(total > 0, total, 1.0)
    gap = np.abs(xz[:, None, :] - xz[None, :, :])  # |x_ip - x_jp|, (i, j, p)
    to_outcome = np.abs(xz - outcome)  # |x_ap - O_p|, (a, p)
    # dp: j moves toward i on p (j's force), outcome must not pass x_ip
    dp_max = np.minimum(force[None, :, :] * gap / safe_total, to_outcome[:, None, :])  # (i, j, p)
    # dq: i moves toward j on q (i's force), outcome must not pass x_jq
    dq_max = np.minimum(force[:, None, :] * gap / safe_total, to_outcome[None, :, :])  # (i, j, q)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # only where no exchange is possible
        rate = (sip + sjp) / (siq + sjq)
        shift_p = np.minimum(dp_max[:, :, :, None], dq_max[:, :, None, :] / rate)
        gain = np.where(possible, shift_p * cross / (siq + sjq), 0.0)
        shift_q = np.where(possible, rate * shift_p, 0.0)
        shift_p = np.where(possible, shift_p, 0.0)
    return gain, shift_p, shift_q


def best_exchange(
    positions: np.ndarray,
    saliences: np.ndarray,
    capabilities: np.ndarray,
    used: np.ndarray | None = None,
    min_gain: float = 0.0,
    direction: np.ndarray | None = None,
) -> tuple[int, int, int, int, float, float, float] | None:
    """The possible exchange with the largest gain among actors free to exchange.

    Args:
        positions: ``(A, I)``.
        saliences: ``(A, I)``.
        capabilities: ``(A,)``.
        used: ``(A, I)`` booleans: actor-issue pairs that already exchanged
            this round (default none).
        min_gain: Exchanges must gain more than this.
        direction: ``(A, I)`` sign of each actor's earlier moves (see
            :func:`possible_exchanges`).

    Returns:
        ``(i, j, p, q, shift_p, shift_q, gain)``, or None.
    """
    gain, shift_p, shift_q = possible_exchanges(positions, saliences, capabilities, direction)
    if used is not None:
        free = ~used
        gain = np.where(
            free[:, None, :, None] & free[:, None, None, :] & free[None, :, :, None] & free[None, :, None, :],
            gain,
            0.0,
        )
    best = float(gain.max())
    flat = int(np.argmax(gain >= best - TIE * max(1.0, abs(best))))  # a tie to float noise: the first in order
    i, j, p, q = np.unravel_index(flat, gain.shape)
    if not gain[i, j, p, q] > min_gain:
        return None
    at = (i, j, p, q)
    return int(i), int(j), int(p), int(q), float(shift_p[at]), float(shift_q[at]), float(gain[at])


def min_gain_of(positions: np.ndarray, saliences: np.ndarray, relative_tolerance: float) -> float:
    """Gains at most ``relative_tolerance * max(s) * (max(x) - min(x))`` are rounding noise."""
    x = np.asarray(positions, dtype=float)
    spread = float(np.nanmax(x) - np.nanmin(x)) if np.any(~np.isnan(x)) else 0.0
    return relative_tolerance * float(np.nan_to_num(np.asarray(saliences, dtype=float)).max(initial=0.0)) * spread


def exchange_round(
    positions: np.ndarray,
    saliences: np.ndarray,
    capabilities: np.ndarray,
    direction: np.ndarray,
    min_gain: float = 0.0,
    round_number: int = 1,
) -> tuple[np.ndarray, np.ndarray, list[Trade]]:
    """One round of exchanges, largest gain first (see the module docstring).

    Args:
        positions: Voting positions ``(A, I)``, NaN where an actor has none.
        saliences: Raw saliences ``(A, I)``; NaN counts as 0.
        capabilities: ``(A,)``.
        direction: ``(A, I)`` sign of each actor's earlier moves (0: none yet).
        min_gain: Exchanges must gain more than this.
        round_number: Recorded in each :class:`Trade`.

    Returns:
        ``(positions, direction, trades)`` after the round (new arrays).
    """
    x, s, c, takes_part = _inputs(positions, saliences, capabilities)
    x = x.copy()
    direction = np.array(direction, dtype=float)
    total = np.where(takes_part, c[:, None] * s, 0.0).sum(axis=0)  # W_i: fixed, only positions move
    used = np.zeros_like(takes_part)
    trades: list[Trade] = []
    while (found := best_exchange(x, s, c, used, min_gain, direction)) is not None:
        i, j, p, q, shift_p, shift_q, gain = found
        direction[j, p] = _sign(x[i, p] - x[j, p])
        direction[i, q] = _sign(x[j, q] - x[i, q])
        before_p, before_q = x[j, p], x[i, q]
        x[j, p] = _move_toward(x[j, p], x[i, p], shift_p * total[p] / (c[j] * s[j, p]))
        x[i, q] = _move_toward(x[i, q], x[j, q], shift_q * total[q] / (c[i] * s[i, q]))
        used[[i, i, j, j], [p, q, p, q]] = True
        moves = (float(x[j, p] - before_p), float(x[i, q] - before_q))
        trades.append(Trade(round_number, i, j, p, q, shift_p, shift_q, gain, *moves))
    return x, direction, trades


def exchange_model(
    positions: np.ndarray,
    saliences: np.ndarray,
    capabilities: np.ndarray,
    max_rounds: int = 100,
    relative_tolerance: float = RELATIVE_TOLERANCE,
) -> ExchangeResult:
    """Run the exchange model on one set of issues until a round without an exchange.

    Args:
        positions: ``(A, I)`` positions, NaN where an actor has none.
        saliences: ``(A, I)`` raw saliences (any scale); NaN counts as 0.
        capabilities: ``(A,)``.
        max_rounds: Upper bound on the number of rounds.
        relative_tolerance: Exchanges gaining at most this times
            ``max(s) * (max(x) - min(x))`` are not made (rounding noise).

    Returns:
        The final positions, the forecast and the exchanges made.
    """
    x, s, c, _ = _inputs(positions, saliences, capabilities)
    initial = expected_outcomes(x, s, c)
    min_gain = min_gain_of(x, s, relative_tolerance)
    direction = np.zeros(x.shape)
    trades: list[Trade] = []
    rounds = 0
    for round_number in range(1, max_rounds + 1):
        x, direction, made = exchange_round(x, s, c, direction, min_gain, round_number)
        if not made:
            break
        trades += made
        rounds = round_number
    converged = rounds < max_rounds or best_exchange(x, s, c, None, min_gain, direction) is None
    return ExchangeResult(
        positions=x,
        forecast=expected_outcomes(x, s, c),
        initial_forecast=initial,
        rounds=rounds,
        exchanges=tuple(trades),
        converged=converged,
    )


def _move_toward(value: float, target: float, distance: float) -> float:
    """``value`` moved ``distance`` toward ``target``, never past it (rounding)."""
    return float(target if distance >= abs(target - value) else value + np.sign(target - value) * distance)


def _outcomes_of_rows(x: np.ndarray, force: np.ndarray, total: np.ndarray) -> np.ndarray:
    """:func:`expected_outcomes` of every row at once, ``(R, A, I)`` -> ``(R, I)`` (the same numbers)."""
    weighted = (force * x).sum(axis=1)
    positive = total > 0
    out = weighted / np.where(positive, total, 1.0)
    if not positive.all():
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(positive, out, np.nanmean(x, axis=1))
    return out


def _forces(x: np.ndarray, saliences: np.ndarray, capabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Who takes part, ``(R, A, I)``, and the forces ``c_a s_ai`` of those who do."""
    takes_part = ~np.isnan(x) & (saliences > 0) & (capabilities[:, :, None] > 0)
    return takes_part, np.where(takes_part, capabilities[:, :, None] * saliences, 0.0)


def rows_outcomes(positions: np.ndarray, saliences: np.ndarray, capabilities: np.ndarray) -> np.ndarray:
    """:func:`expected_outcomes` of many rows, ``(R, A, I)`` -> ``(R, I)``; saliences without NaN."""
    x = np.asarray(positions, dtype=float)
    _, force = _forces(x, saliences, capabilities)
    return _outcomes_of_rows(np.nan_to_num(x), force, force.sum(axis=1))


def rows_min_gain(positions: np.ndarray, saliences: np.ndarray, relative_tolerance: float) -> np.ndarray:
    """:func:`min_gain_of` of many rows, ``(R, A, I)`` -> ``(R,)``; positions and saliences without NaN."""
    spread = positions.max(axis=(1, 2)) - positions.min(axis=(1, 2))
    return relative_tolerance * saliences.max(axis=(1, 2), initial=0.0) * spread


def exchange_rounds(
    positions: np.ndarray,
    saliences: np.ndarray,
    capabilities: np.ndarray,
    direction: np.ndarray,
    min_gain: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One round of exchanges on many rows at once: :func:`exchange_round`'s numbers, row by row.

    Each row makes its exchanges one after the other, the largest gain first,
    as :func:`exchange_round` does; the rows go in step, a row leaving the
    loop when it finds no more exchange. Only the exchanges that can exist
    are scored: pairs of actors ``i < j`` and pairs of issues ``p != q``, in
    :func:`possible_exchanges`' ``(i, j, p, q)`` order (so ties go the same way).

    Args:
        positions: Voting positions ``(R, A, I)``, no NaN (every actor has a position).
        saliences: Raw saliences ``(R, A, I)``, no NaN.
        capabilities: ``(R, A)``.
        direction: ``(R, A, I)`` sign of each actor's earlier moves (0: none yet).
        min_gain: ``(R,)``: exchanges must gain more than this (>= 0).

    Returns:
        ``(positions, direction, traded)`` after the round: new arrays, and ``(R,)`` whether each row traded.
    """
    x = np.array(positions, dtype=float)
    direction = np.array(direction, dtype=float)
    s = np.asarray(saliences, dtype=float)
    c = np.asarray(capabilities, dtype=float)
    n_rows, n_actors, n_issues = x.shape
    traded = np.zeros(n_rows, dtype=bool)
    pair_i, pair_j = np.triu_indices(n_actors, k=1)
    if not len(pair_i) or n_issues < 2:
        return x, direction, traded
    takes_part, force = _forces(x, s, c)
    total = force.sum(axis=1)  # W_i: fixed, only positions move
    # axes (row, pair (i < j), p, q): the order of possible_exchanges' (i, j, p, q) with i < j
    s_i, s_j = s[:, pair_i], s[:, pair_j]
    sip, siq = s_i[..., :, None], s_i[..., None, :]
    sjp, sjq = s_j[..., :, None], s_j[..., None, :]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # only where no exchange is possible
        cross = sip * sjq - siq * sjp
        differ = (cross > 1e-12 * np.maximum(sip * sjq, siq * sjp)) & ~np.eye(n_issues, dtype=bool)
        rate = (sip + sjp) / (siq + sjq)
        denominator = siq + sjq
    rows = np.arange(n_rows)  # the rows still looking for an exchange, their positions, directions, and so on
    xl, dl, used = x, direction, np.zeros(x.shape, dtype=bool)
    fixed = (takes_part, force, total, min_gain, differ, cross, rate, denominator, c, s)
    while len(rows):
        part, fl, tl, floor, ok, cross_l, rate_l, den_l, c_l, s_l = fixed
        outcome = _outcomes_of_rows(xl, fl, tl)[:, None]  # (r, 1, I)
        side = np.where(part, _sign(xl - outcome), 0.0)
        opposite = side[:, pair_i] * side[:, pair_j] < 0  # (r, pairs, I)
        toward = _sign(xl[:, pair_i] - xl[:, pair_j])  # j's move on p is toward i
        d_i, d_j = dl[:, pair_i], dl[:, pair_j]
        free = ~used[:, pair_i] & ~used[:, pair_j]  # neither has exchanged on the issue this round
        j_may = opposite & free & ((d_j == 0) | (d_j == toward))
        i_may = opposite & free & ((d_i == 0) | (d_i == -toward))
        possible = j_may[..., :, None] & i_may[..., None, :] & ok  # (r, pairs, p, q)
        gap = np.abs(xl[:, pair_i] - xl[:, pair_j])
        to_outcome = np.abs(xl - outcome)
        safe = np.where(tl > 0, tl, 1.0)[:, None]
        dp_max = np.minimum(fl[:, pair_j] * gap / safe, to_outcome[:, pair_i])  # j moves toward i on p
        dq_max = np.minimum(fl[:, pair_i] * gap / safe, to_outcome[:, pair_j])  # i moves toward j on q
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            shift_p = np.minimum(dp_max[..., :, None], dq_max[..., None, :] / rate_l)
            gain = np.where(possible, shift_p * cross_l / den_l, 0.0).reshape(len(rows), -1)
        top = gain.max(axis=1, keepdims=True)  # a tie to float noise: the first in order, as best_exchange
        best = np.argmax(gain >= top - TIE * np.maximum(1.0, np.abs(top)), axis=1)
        found = gain[np.arange(len(rows)), best] > floor
        if not found.all():  # rows without another exchange are done: keep their results, drop them
            x[rows], direction[rows] = xl, dl
            rows, best, shift_p = rows[found], best[found], shift_p[found]
            xl, dl, used = xl[found], dl[found], used[found]
            fixed = tuple(a[found] for a in fixed)
            part, fl, tl, floor, ok, cross_l, rate_l, den_l, c_l, s_l = fixed
        at = np.arange(len(rows))
        pair, p, q = np.unravel_index(best, shift_p.shape[1:])
        i, j = pair_i[pair], pair_j[pair]
        s_p = shift_p[at, pair, p, q]
        s_q = rate_l[at, pair, p, q] * s_p
        xip, xjp, xjq, xiq = xl[at, i, p], xl[at, j, p], xl[at, j, q], xl[at, i, q]
        dl[at, j, p] = _sign(xip - xjp)
        dl[at, i, q] = _sign(xjq - xiq)
        move_p = s_p * tl[at, p] / (c_l[at, j] * s_l[at, j, p])
        move_q = s_q * tl[at, q] / (c_l[at, i] * s_l[at, i, q])
        xl[at, j, p] = np.where(move_p >= np.abs(xip - xjp), xip, xjp + np.sign(xip - xjp) * move_p)
        xl[at, i, q] = np.where(move_q >= np.abs(xjq - xiq), xjq, xiq + np.sign(xjq - xiq) * move_q)
        used[at, i, p] = used[at, i, q] = used[at, j, p] = used[at, j, q] = True
        traded[rows] = True
    return x, direction, traded


@dataclass(frozen=True)
class ExchangeMemory(Memory):
    """What the exchange model carries between rounds.

    Attributes:
        direction: The sign of each party's earlier moves per issue (0: none yet), ``(B, P, I)``.
        raw: The forecast before it is put on an issue's grid or options, ``(B, I)``.
    """

    direction: np.ndarray
    raw: np.ndarray


class Exchange(Protocol):
    """The exchange model of Stokman & van Oosten (1994) over the issues of one scenario.

    Args:
        relative_tolerance: Exchanges gaining at most this times the largest
            salience times the spread of the initial positions are not made.
    """

    name = "exchange"
    summary = "Stokman & van Oosten's exchange model: parties trade positions across issues, forecast = compromise"
    forecast = True
    reference = "Stokman & van Oosten (1994); Arregui, Stokman & Thomson (2006)"
    listing_order = 5

    def __init__(self, relative_tolerance: float = RELATIVE_TOLERANCE) -> None:
        if not relative_tolerance >= 0:
            raise ValueError(f"relative_tolerance must be >= 0; got {relative_tolerance!r}")
        self.relative_tolerance = relative_tolerance

    @staticmethod
    def _forecast(params: KernelParams, x: np.ndarray) -> np.ndarray:
        """The compromise of voting positions ``(B, P, I)`` per row, ``(B, I)`` (not yet on the grid)."""
        return rows_outcomes(x, params.prefs.salience, params.capability)

    def start(self, params: KernelParams, streams: RunStreams) -> State:
        """Round 0: voting positions at the ideals; the forecast is their compromise."""
        raw = self._forecast(params, params.prefs.ideal)
        memory = ExchangeMemory(direction=np.zeros(params.prefs.ideal.shape), raw=raw)
        return State.initial(params, streams, snap_to_grid(raw, params.step, params.levels), memory)

    def step(self, params: KernelParams, state: State, streams: RunStreams) -> State:
        """One round of exchanges on every unfinished row (all rows at once, :func:`exchange_rounds`)."""
        active = self.active(params, state)
        t = state.t + 1
        x = state.demands.copy()
        direction = state.memory.direction.copy()
        traded = np.zeros(params.batch, dtype=bool)
        active_rows = np.flatnonzero(active)
        n_pairs = params.n_parties * (params.n_parties - 1) // 2
        chunk = max(1, EXCHANGES_PER_CHUNK // max(1, n_pairs * params.n_issues**2))
        for start in range(0, len(active_rows), chunk):
            rows = active_rows[start : start + chunk]
            sal, cap = params.prefs.salience[rows], params.capability[rows]
            min_gain = rows_min_gain(params.prefs.ideal[rows], sal, self.relative_tolerance)
            x[rows], direction[rows], traded[rows] = exchange_rounds(x[rows], sal, cap, direction[rows], min_gain)
        raw = self._forecast(params, x)
        forecast = snap_to_grid(raw, params.step, params.levels)
        view = state.view(params, t)
        accepts, utility = answers(params, forecast, view)
        return state.advance(
            params,
            active,
            ~traded | (t >= params.rounds),
            text=forecast,
            demands=x,
            utility=utility,
            walkaway=view.walkaway,
            accepts=accepts,
            memory=ExchangeMemory(direction=direction, raw=raw),
        )
