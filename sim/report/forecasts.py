"""Forecasts against what happened: one scatter panel per method."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from sim.report.style import DPI, TEXT_COLOUR, lay_out

__all__ = ["forecast_figure"]


def forecast_figure(
    predictions: Mapping[str, np.ndarray],
    outcomes: np.ndarray,
    title: str,
    low: float = 0.0,
    high: float = 100.0,
    columns: int = 4,
) -> Figure:
    """Forecast (x) against recorded outcome (y), one panel per method, with the diagonal.

    Each panel is titled with the method, the number of forecasts and their
    mean absolute error; methods appear in the order given.

    Args:
        predictions: ``{method: forecasts (N,)}``, NaN where none.
        outcomes: Recorded outcomes ``(N,)``.
        title: The figure's title.
        low: Lower end of the scale.
        high: Upper end of the scale.
        columns: Panels per row.

    Returns:
        The figure.
    """
    methods = list(predictions)
    rows = max(1, math.ceil(len(methods) / columns))
    fig = Figure(figsize=(3.0 * columns, 3.0 * rows + 0.4), dpi=DPI)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    outcomes = np.asarray(outcomes, dtype=float)
    pad = 0.04 * (high - low)
    for k, method in enumerate(methods):
        ax = axes[k]
        forecast = np.asarray(predictions[method], dtype=float)
        ok = ~np.isnan(forecast) & ~np.isnan(outcomes)
        ax.plot([low, high], [low, high], color="#999999", linewidth=0.8)
        ax.scatter(forecast[ok], outcomes[ok], s=9, alpha=0.55, color="#2471a3", edgecolors="none")
        mae = float(np.abs(forecast[ok] - outcomes[ok]).mean()) if ok.any() else math.nan
        ax.set_title(f"{method}\nn={int(ok.sum())}, MAE {mae:.2f}", fontsize=8, color=TEXT_COLOUR)
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(low - pad, high + pad)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=6)
        if k % columns == 0:
            ax.set_ylabel("recorded outcome", fontsize=7)
        if k >= len(methods) - columns:
            ax.set_xlabel("forecast", fontsize=7)
    for ax in axes[len(methods) :]:
        ax.set_visible(False)
    return lay_out(fig, title, title_size=9)
