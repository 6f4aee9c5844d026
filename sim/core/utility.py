"""The utility model: pure numpy functions with a leading batch axis.

All positions here are *normalised*: ``z = (x - min) / (max - min)`` in
[0, 1] per issue. For party *a* and issue *i* (pinned semantics):

    d_ai = |z_i - p_ai|                 normalised distance to the ideal
    v_ai = (1 - d_ai) ** k_ai           value (k = curvature; 1 = linear)
    U_a  = sum_i w_ai v_ai              w_a = salience_a / sum(salience_a)

Shapes: a text is ``(..., I)``; party arrays are ``(..., P, I)``; results
per party are ``(..., P)``. Every function broadcasts over leading axes, so
the stepped model (batch of one) and the batched engine call the same code.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "GRID_TIE",
    "RED_LINE_TOLERANCE",
    "all_issues",
    "weighted_mean",
    "issue_values",
    "max_over_parties",
    "min_over_parties",
    "sum_over_parties",
    "weighted_sum",
    "utilities",
    "within_red_lines",
    "round_to_grid",
    "snap_to_grid",
    "snap_to_levels",
    "snap_toward",
    "safe_divide",
]

RED_LINE_TOLERANCE = 1e-9

GRID_TIE = 1e-9
"""How close to halfway (in grid steps) a position counts as a tie when rounding to a grid."""


def safe_divide(numerator, denominator, fill=0.0) -> np.ndarray:
    """``numerator / denominator`` with broadcasting; ``fill`` where the denominator is <= 0.

    Args:
        numerator: Array-like.
        denominator: Array-like, broadcastable with the numerator.
        fill: Value (or array broadcastable to the result) where the
            denominator is not positive.

    Returns:
        The quotient.
    """
    num, den, out = np.broadcast_arrays(
        np.asarray(numerator, dtype=float),
        np.asarray(denominator, dtype=float),
        np.asarray(fill, dtype=float),
    )
    return np.divide(num, den, out=out.copy(), where=den > 0)


def weighted_mean(values: np.ndarray, weights: np.ndarray, axis: int = -2) -> np.ndarray:
    """``sum_a w_a x_a / sum_a w_a`` along ``axis``; the plain mean where the weights sum to 0.

    The capability x salience weighted mean of positions is the compromise
    model (Achen 2006), the mediator's opening draft, a coalition's joint
    position and BDM's forecast; they all call this.

    Args:
        values: Positions, e.g. ``(B, P, I)``.
        weights: Weights broadcastable to ``values`` (e.g. ``c_a s_ai``).
        axis: The axis to average over (the party axis by default).
    """
    weights = np.broadcast_to(weights, np.broadcast_shapes(np.shape(weights), np.shape(values)))
    return safe_divide((weights * values).sum(axis=axis), weights.sum(axis=axis), values.mean(axis=axis))


def weighted_sum(weight: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``sum_i w_i v_i`` over the last axis (einsum: numpy's reductions over short axes are slow)."""
    return np.einsum("...i,...i->...", weight, values)


def sum_over_parties(a: np.ndarray) -> np.ndarray:
    """Sum over the party axis of ``(..., P, I)``."""
    return np.einsum("...pi->...i", a)


def max_over_parties(a: np.ndarray) -> np.ndarray:
    """Maximum over the party axis of ``(..., P, I)``."""
    out = a[..., 0, :].copy()
    for p in range(1, a.shape[-2]):
        np.maximum(out, a[..., p, :], out=out)
    return out


def min_over_parties(a: np.ndarray) -> np.ndarray:
    """Minimum over the party axis of ``(..., P, I)``."""
    out = a[..., 0, :].copy()
    for p in range(1, a.shape[-2]):
        np.minimum(out, a[..., p, :], out=out)
    return out


def all_issues(ok: np.ndarray) -> np.ndarray:
    """``ok.all(axis=-1)`` for booleans ``(..., I)``, by counting the failures."""
    failures = np.logical_not(ok).view(np.uint8)
    return np.einsum("...i->...", failures) == 0


def issue_values(text: np.ndarray, ideal: np.ndarray, curvature: np.ndarray | None) -> np.ndarray:
    """Per-issue values ``v = (1 - |z - p|) ** k`` of a text for every party.

    Args:
        text: Normalised text, shape ``(..., I)``.
        ideal: Normalised ideal points, ``(..., P, I)``.
        curvature: Exponents, ``(..., P, I)``; None when all are 1 (linear).

    Returns:
        Values in [0, 1], shape ``(..., P, I)``.
    """
    value = 1.0 - np.abs(text[..., None, :] - ideal)  # in [0, 1]: both positions are normalised
    if curvature is None:
        return value
    return np.power(value, curvature, out=value.copy(), where=curvature != 1.0)


def utilities(text: np.ndarray, ideal: np.ndarray, weight: np.ndarray, curvature: np.ndarray) -> np.ndarray:
    """Each party's utility of a text, ``U_a = sum_i w_ai v_ai``.

    Args:
        text: Normalised text, ``(..., I)``.
        ideal: Normalised ideals, ``(..., P, I)``.
        weight: Salience normalised to sum 1 per party, ``(..., P, I)``.
        curvature: Exponents, ``(..., P, I)``; None when all are 1.

    Returns:
        Utilities in [0, 1], shape ``(..., P)``.
    """
    return weighted_sum(weight, issue_values(text, ideal, curvature))


def within_red_lines(text: np.ndarray, red_low: np.ndarray, red_high: np.ndarray) -> np.ndarray:
    """Whether a text lies inside each party's red lines on every issue.

    Args:
        text: Normalised text, ``(..., I)``.
        red_low: Normalised lower bounds, ``(..., P, I)``.
        red_high: Normalised upper bounds, ``(..., P, I)``.

    Returns:
        Booleans, ``(..., P)``.
    """
    z = text[..., None, :]
    outside = (z < red_low - RED_LINE_TOLERANCE) | (z > red_high + RED_LINE_TOLERANCE)
    return np.einsum("...i->...", outside.view(np.uint8)) == 0


def snap_to_levels(text: np.ndarray, levels: tuple[np.ndarray, ...], target: np.ndarray | None = None) -> np.ndarray:
    """Put each discrete issue of a normalised text on one of its options.

    The nearest option (a tie to the option nearer the middle of the scale, so
    that reversing the scale mirrors the choice); with ``target``, the nearest
    option on the side of the target (never costing the target's holder).

    Args:
        text: Normalised texts, ``(..., I)``.
        levels: The sorted normalised options of each issue; empty for issues that are not discrete.
        target: Points to round toward, ``(..., I)``, or None.
    """
    if not any(len(options) for options in levels):
        return text
    out = np.array(text, dtype=float, copy=True)
    for i, options in enumerate(levels):
        if not len(options):
            continue
        x = out[..., i]
        above = np.clip(np.searchsorted(options, x - 1e-12), 0, len(options) - 1)
        below = np.clip(above - 1, 0, len(options) - 1)
        lo, hi = options[below], options[above]
        lo = np.where((lo > x) | (np.abs(hi - x) <= 1e-12), hi, lo)  # x on an option: that option, both sides
        if target is None:  # the nearest option; a tie goes to the one nearer the middle of the scale
            d_lo, d_hi = np.abs(x - lo), np.abs(hi - x)
            tie_lo = np.abs(lo - 0.5) <= np.abs(hi - 0.5)
            out[..., i] = np.where((d_lo < d_hi - 1e-12) | ((np.abs(d_lo - d_hi) <= 1e-12) & tie_lo), lo, hi)
        else:  # toward the target; a target at the text itself: the nearest option
            d_lo, d_hi = np.abs(x - lo), np.abs(hi - x)
            tie_lo = np.abs(lo - 0.5) <= np.abs(hi - 0.5)
            nearest = np.where((d_lo < d_hi - 1e-12) | ((np.abs(d_lo - d_hi) <= 1e-12) & tie_lo), lo, hi)
            goal = target[..., i]
            out[..., i] = np.where(
                goal > x + 1e-12, np.maximum(hi, lo), np.where(goal < x - 1e-12, np.minimum(lo, hi), nearest)
            )
    return out


def round_to_grid(k: np.ndarray, n: np.ndarray | float) -> np.ndarray:
    """Round positions counted in grid steps to whole steps, a tie to the point nearer the middle of the scale.

    A tie (a position halfway between two grid points, within ``GRID_TIE``)
    goes toward the scale's midpoint ``n / 2``: up in the lower half, down in
    the upper half, as :func:`snap_to_levels` breaks ties between options. Read
    backwards (``k -> n - k``) the scale rounds to the mirrored point, so no
    direction of a scale is favoured; numpy's rounding (half to even) would
    favour one wherever ``n`` is odd. (Only a tie at the midpoint itself, with
    ``n`` odd, has no mirror-symmetric rounding: it goes down.)

    Args:
        k: Positions in grid steps from the scale's low end.
        n: The scale's length in grid steps (broadcastable to ``k``).

    Returns:
        Whole numbers of steps (floats).
    """
    lower = np.floor(k)
    frac = k - lower
    tie = np.abs(frac - 0.5) <= GRID_TIE  # halfway, up to float noise (k and n - k carry different noise)
    up = np.where(tie, k < np.asarray(n) / 2 - GRID_TIE, frac > 0.5)
    return lower + up


def snap_to_grid(text: np.ndarray, step: np.ndarray, levels: tuple[np.ndarray, ...] = ()) -> np.ndarray:
    """Round a normalised text to each issue's grid (``step`` 0 = continuous) or its options (discrete issues).

    Ties go to the point nearer the middle of the scale (:func:`round_to_grid`).

    Args:
        text: Normalised text, ``(..., I)``.
        step: Normalised grid spacing per issue, ``(I,)``; 0 where continuous.
        levels: Options of discrete issues (see :func:`snap_to_levels`).

    Returns:
        The text on the grid, clipped to [0, 1].
    """
    text = snap_to_levels(text, levels)
    if not np.any(step > 0):
        return text
    safe = np.where(step > 0, step, 1.0)
    snapped = np.where(step > 0, round_to_grid(text / safe, 1.0 / safe) * safe, text)
    return np.clip(snapped, 0.0, 1.0)


def snap_toward(
    text: np.ndarray, target: np.ndarray, step: np.ndarray, levels: tuple[np.ndarray, ...] = ()
) -> np.ndarray:
    """Round a normalised text onto the grid (or options), on each issue to the side of ``target``.

    Used where rounding must not cost a given party anything (an equilibrium
    offer rounded in the responder's favour). Where the text already sits at
    the target, the nearest grid point is the one in the party's favour.

    Args:
        text: Normalised text, ``(..., I)``.
        target: Normalised point to round toward (e.g. the responder's ideal), ``(..., I)``.
        step: Normalised grid spacing per issue, ``(I,)``; 0 where continuous.
        levels: Options of discrete issues.
    """
    text = snap_to_levels(text, levels, target)
    if not np.any(step > 0):
        return text
    safe = np.where(step > 0, step, 1.0)
    k = text / safe
    nearest = round_to_grid(k, 1.0 / safe)
    toward = np.where(
        target > text + 1e-12,
        np.ceil(k - 1e-9),
        np.where(target < text - 1e-12, np.floor(k + 1e-9), nearest),
    )
    return np.clip(np.where(step > 0, toward * safe, text), 0.0, 1.0)
