"""Who says yes: walk-aways, red lines (softening, no-deal lines), guarantors, ratification.

Shared by the protocols in which parties give their consent (``mediated``,
``alternating``; ``bdm`` and ``compromise`` use it to report who would sign
their forecast). All functions work on batches (B rows, P parties, I issues).

* **Consent on some issues only** (guarantors, ``must_agree_on``): a party
  judges a text on its guarded issues G only — red lines on G, and its utility
  with salience renormalised over G, ``U^G_a = sum_{i in G} w_ai v_ai /
  sum_{i in G} w_ai``, against its walk-away value. Its objections about other
  issues do not block a deal.
* **Red lines that soften** (audience costs, Fearon 1994): a bound relaxes by
  ``soften`` issue units per round; a deal beyond the *original* bound costs
  the party ``cost`` utility, which counts in its acceptance and its payoff.
* **No-deal lines** (``no_deal_path``): no text may go below the line of the
  round (e.g. the line of contact): it acts as everyone's lower red line.
* **Domestic ratification** (Putnam 1988, two-level games): when every party
  accepts at the table, each party with a win-set ratifies: the deal must lie
  within its ``bounds``, give at least ``min_utility``, and pass a draw with
  probability ``1 / (1 + exp(-steepness (U - midpoint)))``. A failure is
  recorded; the failing party has learnt its domestic constraint — its bounds
  join its red lines and ``min_utility`` becomes a floor under its walk-away
  value — and bargaining continues (or ends, with ``ratification_failure =
  "end"``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.core.params import KernelParams
from sim.core.streams import RATIFICATION, RunStreams
from sim.core.utility import all_issues, max_over_parties, min_over_parties, safe_divide, weighted_sum, within_red_lines

__all__ = [
    "UTILITY_TOLERANCE",
    "Learned",
    "TableView",
    "after_ratification",
    "agreement_at_table",
    "answers",
    "judged_utilities",
    "net_utilities",
    "ratification_chance",
    "ratify",
    "table_view",
]


UTILITY_TOLERANCE = 1e-12
"""A text worth a party's walk-away up to float rounding is worth accepting: the same answer whichever way
an issue's scale runs (``1 - |z - p|`` and its mirror image differ in the last bits)."""


@dataclass(frozen=True)
class TableView:
    """What binds each party in one round.

    Attributes:
        walkaway: Walk-away values (with any floor learnt from ratification), ``(B, P)``.
        low: Lower red lines in force, ``(B, P, I)``.
        high: Upper red lines in force, ``(B, P, I)``.
    """

    walkaway: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def common_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Texts inside every party's red lines in force: ``(low (B, I), high (B, I))``."""
        return max_over_parties(self.low), min_over_parties(self.high)


@dataclass(frozen=True)
class Learned:
    """What parties learnt from failed domestic ratifications, per row.

    Attributes:
        low: Win-set lower bounds that joined the red lines, ``(B, P, I)``.
        high: Win-set upper bounds that joined the red lines, ``(B, P, I)``.
        walk: Floor under each walk-away value (the failed ``min_utility``), ``(B, P)``.
        failed: Parties whose ratification failed in the latest round, ``(B, P)``.
        failures: Failures so far per party, ``(B, P)``.
    """

    low: np.ndarray
    high: np.ndarray
    walk: np.ndarray
    failed: np.ndarray
    failures: np.ndarray

    @classmethod
    def nothing(cls, params: KernelParams) -> Learned:
        """Round 0: nothing learnt yet."""
        b, p = params.batch, params.n_parties
        return cls(
            low=np.zeros(params.prefs.ideal.shape),
            high=np.ones(params.prefs.ideal.shape),
            walk=np.zeros((b, p)),
            failed=np.zeros((b, p), dtype=bool),
            failures=np.zeros((b, p), dtype=np.int64),
        )


def table_view(params: KernelParams, learned: Learned, t: int, front: np.ndarray | None = None) -> TableView:
    """Walk-aways and red lines in force in round ``t`` (a guarantor's only on its issues).

    Args:
        params: Parameters (in force in round t).
        learned: What failed ratifications taught the parties.
        t: The round.
        front: The front line in round t, ``(B,)`` (None without a battlefield).
    """
    low, high = params.red_lines_at(t, front)  # a guarantor's bind only where it signs
    walk = params.walkaway_at(t, front)
    if learned.failures.any():
        low = np.maximum(low, learned.low)
        high = np.minimum(high, learned.high)
        walk = np.maximum(walk, learned.walk)
    return TableView(walk, low, high)


def net_utilities(params: KernelParams, text: np.ndarray) -> np.ndarray:
    """Each party's utility of ``text`` net of audience costs, ``(B, P)``."""
    u = params.utilities(text)
    if params.has_costs:
        u = u - params.audience_cost(text)
    return u


def judged_utilities(params: KernelParams, text: np.ndarray, utility: np.ndarray | None = None) -> np.ndarray:
    """The utility each party judges ``text`` by, ``(B, P)``: on the issues it signs for, net of audience costs.

    A party that signs for every issue judges by its (net) utility; a
    guarantor by ``U^G_a = sum_{i in G} w_ai v_ai / sum_{i in G} w_ai``.

    Args:
        params: Parameters.
        text: Normalised texts, ``(B, I)``.
        utility: The net utilities when already computed.
    """
    utility = net_utilities(params, text) if utility is None else utility
    if params.full_consent:
        return utility
    consent = params.prefs.consent
    guarded, total = params.guarded_weight
    judged = safe_divide(weighted_sum(guarded, params.issue_values(text)), total, 1.0)
    if params.has_costs:
        judged = judged - params.audience_cost(text, consent)
    return np.where(np.all(consent == 1.0, axis=-1), utility, judged)


def answers(params: KernelParams, text: np.ndarray, view: TableView) -> tuple[np.ndarray, np.ndarray]:
    """Each party's answer to ``text`` and its (net) utility.

    Returns:
        ``(accepts (B, P), utility (B, P))``.
    """
    utility = net_utilities(params, text)
    judged = judged_utilities(params, text, utility)
    inside = within_red_lines(text, view.low, view.high)
    return inside & (judged >= view.walkaway - UTILITY_TOLERANCE), utility


def ratify(
    params: KernelParams,
    text: np.ndarray,
    utility: np.ndarray,
    candidates: np.ndarray,
    streams: RunStreams,
    t: int = 0,
) -> np.ndarray:
    """Which parties' domestic ratification fails, for rows agreed at the table.

    Args:
        params: Parameters.
        text: The agreed texts, ``(B, I)``.
        utility: Each party's (net) utility of them, ``(B, P)``.
        candidates: Rows whose table agreed this round, ``(B,)``.
        streams: The rows' random streams (logistic passage draws).
        t: The round (draws are keyed by it).

    Returns:
        Failures, ``(B, P)``; all False for rows not in ``candidates``.
    """
    fails = ~_within_win_set(params, text, utility)
    logistic = ~np.isnan(params.ratification.midpoint)
    draw_rows = candidates & logistic.any(axis=-1)
    if draw_rows.any():
        draws = streams.uniform((params.n_parties,), rows=draw_rows, t=t, purpose=RATIFICATION)
        fails |= logistic & (draws >= _passage(params, utility))
    return fails & candidates[:, None]


def _within_win_set(params: KernelParams, text: np.ndarray, utility: np.ndarray) -> np.ndarray:
    rat = params.ratification
    inside = within_red_lines(text, rat.low, rat.high)
    return inside & ~(~np.isnan(rat.min_utility) & (utility < np.nan_to_num(rat.min_utility)))


def _passage(params: KernelParams, utility: np.ndarray) -> np.ndarray:
    rat = params.ratification
    return 1.0 / (1.0 + np.exp(-np.nan_to_num(rat.steepness) * (utility - np.nan_to_num(rat.midpoint))))


def ratification_chance(params: KernelParams, text: np.ndarray, utility: np.ndarray) -> np.ndarray:
    """The probability that every party ratifies ``text`` at home, ``(B,)`` (no draw: what a mediator expects).

    0 where a win-set bound or minimum utility fails; otherwise the product of
    the logistic passage probabilities (1 without a logistic win-set).
    """
    ok = _within_win_set(params, text, utility).all(axis=-1)
    logistic = ~np.isnan(params.ratification.midpoint)
    chance = np.where(logistic, _passage(params, utility), 1.0).prod(axis=-1)
    return np.where(ok, chance, 0.0)


def after_ratification(params: KernelParams, learned: Learned, failed: np.ndarray) -> Learned:
    """What parties know after a round's ratifications: failures counted, constraints learnt."""
    if not failed.any():
        return replace(learned, failed=failed)
    rows = failed[..., None]
    return Learned(
        low=np.where(rows, np.maximum(learned.low, params.ratification.low), learned.low),
        high=np.where(rows, np.minimum(learned.high, params.ratification.high), learned.high),
        walk=np.where(failed, np.maximum(learned.walk, np.nan_to_num(params.ratification.min_utility)), learned.walk),
        failed=failed,
        failures=learned.failures + failed,
    )


def agreement_at_table(
    params: KernelParams,
    text: np.ndarray,
    utility: np.ndarray,
    accepts: np.ndarray,
    active: np.ndarray,
    streams: RunStreams,
    t: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows where everyone accepts, then ratifies at home.

    Returns:
        ``(ratified (B,), failed (B, P))``: deals struck this round, and which
        parties' ratification failed.
    """
    at_table = active & all_issues(accepts)
    failed = np.zeros_like(accepts)
    if at_table.any() and params.has_ratification:
        failed = ratify(params, text, utility, at_table, streams, t)
    return at_table & ~failed.any(axis=-1), failed
