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
    "issue_values",
    "utilities",
    "within_red_lines",
    "snap_to_grid",
    "walkaway_at",
    "safe_divide",
]

RED_LINE_TOLERANCE = 1e-9


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


def issue_values(text: np.ndarray, ideal: np.ndarray, curvature: np.ndarray) -> np.ndarray:
    """Per-issue values ``v = (1 - |z - p|) ** k`` of a text for every party.

    Args:
        text: Normalised text, shape ``(..., I)``.
        ideal: Normalised ideal points, ``(..., P, I)``.
        curvature: Exponents, ``(..., P, I)``.

    Returns:
        Values in [0, 1], shape ``(..., P, I)``.
    """
    distance = np.abs(text[..., None, :] - ideal)
    return np.clip(1.0 - distance, 0.0, 1.0) ** curvature


def utilities(text: np.ndarray, ideal: np.ndarray, weight: np.ndarray, curvature: np.ndarray) -> np.ndarray:
    """Each party's utility of a text, ``U_a = sum_i w_ai v_ai``.

    Args:
        text: Normalised text, ``(..., I)``.
        ideal: Normalised ideals, ``(..., P, I)``.
        weight: Salience normalised to sum 1 per party, ``(..., P, I)``.
        curvature: Exponents, ``(..., P, I)``.

    Returns:
        Utilities in [0, 1], shape ``(..., P)``.
    """
    return np.sum(weight * issue_values(text, ideal, curvature), axis=-1)


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
    inside = (z >= red_low - RED_LINE_TOLERANCE) & (z <= red_high + RED_LINE_TOLERANCE)
    return np.all(inside, axis=-1)


def snap_to_grid(text: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Round a normalised text to each issue's grid (``step`` 0 = continuous).

    Args:
        text: Normalised text, ``(..., I)``.
        step: Normalised grid spacing per issue, ``(I,)``; 0 where continuous.

    Returns:
        The text on the grid, clipped to [0, 1].
    """
    if not np.any(step > 0):
        return text
    safe = np.where(step > 0, step, 1.0)
    snapped = np.where(step > 0, np.round(text / safe) * safe, text)
    return np.clip(snapped, 0.0, 1.0)


def walkaway_at(walkaway: np.ndarray, drift: np.ndarray, t: int | np.ndarray) -> np.ndarray:
    """Walk-away value after ``t`` rounds: ``clip(w0 + drift * t, 0, 1)``.

    Args:
        walkaway: Walk-away values at round 0, ``(..., P)``.
        drift: Change per round, ``(..., P)``.
        t: Round number.

    Returns:
        Walk-away values at round t, ``(..., P)``.
    """
    return np.clip(walkaway + drift * t, 0.0, 1.0)
