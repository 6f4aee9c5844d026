"""The look every figure shares: party colours, neutral colours, round axes, plain text, readable cells.

One party keeps one colour in every figure and in the classroom UI. The
colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design",
https://jfly.uni-koeln.de/color/), which stays distinguishable under the common
colour-vision deficiencies. The parties the shipped scenarios share keep a
fixed colour by id, so Russia is vermillion in Geneva, in Istanbul 2022 and in a
comparison of both; any other party takes the first colour no party of its
scenario (or of the scenarios compared) holds, in file order.

Use :func:`party_colour` (``party_colour(scenario, "russia")``) or
:func:`party_colours` (every party of one or more scenarios at once).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.core.scenario import Scenario

__all__ = [
    "BAND_COLOUR",
    "DEAL_COLOUR",
    "DPI",
    "FAILED_COLOUR",
    "FRONT_COLOUR",
    "NO_DEAL_COLOUR",
    "OKABE_ITO",
    "PARTY_ORDER",
    "PINNED",
    "TEXT_COLOUR",
    "cell_text_colour",
    "lay_out",
    "party_colour",
    "party_colours",
    "plain_text",
    "round_axis",
    "texts_outside",
    "wrap",
]

OKABE_ITO = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish green": "#009E73",
    "reddish purple": "#CC79A7",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "yellow": "#F0E442",
}
"""The Okabe-Ito colours (black aside: it is the text's), in the order parties take them."""

PARTY_ORDER = tuple(OKABE_ITO.values())
"""The order in which parties without a pinned colour take the free colours."""

PINNED = {
    "russia": OKABE_ITO["vermillion"],
    "ukraine": OKABE_ITO["blue"],
    "us": OKABE_ITO["reddish purple"],
    "europe": OKABE_ITO["bluish green"],
    "guarantors": OKABE_ITO["orange"],
    "turkey": OKABE_ITO["sky blue"],
}
"""Parties of the shipped scenarios with a fixed colour by id (the same in every scenario)."""

EXTRA = ("#7F7F7F", "#A6761D", "#000000")
"""Colours after the palette's seven (grey, brown, black): a table of more than seven parties."""

TEXT_COLOUR = "#111111"
"""The text on the table, the deal's outline, labels."""
DEAL_COLOUR = "gold"
"""The deal star's fill (outlined in the text colour)."""
NO_DEAL_COLOUR = "#555555"
"""The no-deal line (an issue's ``no_deal_path``)."""
FRONT_COLOUR = "#6b4f2a"
"""The battlefield's front line (the no-deal line it replaces)."""
FAILED_COLOUR = "#B2182B"
"""Marks of failed ratifications."""
BAND_COLOUR = "#7A8FA6"
"""A forecast's band behind a run (neutral, so it is no party's)."""
DPI = 110


def party_colours(*scenarios: Scenario) -> dict[str, str]:
    """The colour of every party of the scenarios, by id.

    Pinned parties (:data:`PINNED`) keep their colour; the others take, in
    order of first appearance, the palette colours no party here holds.

    Args:
        scenarios: One scenario, or several drawn in one figure.

    Returns:
        ``{party_id: "#rrggbb"}``.
    """
    ids: list[str] = []
    for scenario in scenarios:
        ids += [p for p in scenario.party_ids if p not in ids]
    taken = {PINNED[p] for p in ids if p in PINNED}
    free = iter([c for c in PARTY_ORDER if c not in taken] + list(EXTRA))
    out = {}
    for pid in ids:
        out[pid] = PINNED.get(pid) or next(free, EXTRA[-1])
    return out


def party_colour(scenario: Scenario, party_id: str) -> str:
    """The colour of one party of a scenario (see :func:`party_colours`)."""
    return party_colours(scenario)[party_id]


def plain_text(fig: Figure) -> Figure:
    """Every text of ``fig`` drawn as plain text: a ``$`` in a name or label is a dollar sign, never mathtext.

    Names, labels and units come from scenario files; matplotlib would read
    ``$...$`` in them as TeX (and fail on some). Numeric tick labels made
    later, at drawing, hold no ``$``.
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return fig


def round_axis(ax: Axes, scenario: Scenario | None, last: int, first: int = 0, label: bool = True) -> None:
    """Whole rounds on the x axis, with each tick's date under it when the scenario has a calendar.

    Args:
        ax: The axes.
        scenario: The scenario (its ``start_date`` and ``round_days``), or None.
        last: The last round drawn.
        first: The first round drawn.
        label: Name the axis ("round", or "round / date").
    """
    from matplotlib.ticker import FixedLocator, MaxNLocator

    from sim.core.scenario import date_of_round

    ticks = [int(t) for t in MaxNLocator(nbins=6, integer=True).tick_values(first, max(last, first + 1))]
    ticks = [t for t in ticks if first <= t <= max(last, first + 1)]
    dated = scenario is not None and scenario.start_date is not None and scenario.round_days is not None
    if dated:
        import datetime as dt

        def when(t: int) -> str:
            day = dt.date.fromisoformat(date_of_round(t, scenario.start_date, scenario.round_days))
            return f"{day.day} {day:%b %y}"

        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_xticks(ticks, [f"{t}\n{when(t)}" for t in ticks])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    if label:
        ax.set_xlabel("round / date" if dated else "round", fontsize=8)


def cell_text_colour(rgba: Iterable[float]) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba`` (WCAG relative luminance)."""
    r, g, b = (float(v) for v in list(rgba)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    # contrast with black (L + 0.05) / 0.05 against white 1.05 / (L + 0.05): equal at L ~ 0.179
    return TEXT_COLOUR if luminance > 0.179 else "white"


def _renderer(fig: Figure):
    """The figure's Agg renderer (a bare ``Figure`` gets an Agg canvas: the same pixels ``savefig`` writes)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def wrap(text: str, width_inches: float, fontsize: float) -> str:
    """A text wrapped to lines that fit ``width_inches`` at ``fontsize`` (its own line breaks kept)."""
    chars = max(16, int(width_inches * 72 / (0.6 * fontsize)))
    return "\n".join(textwrap.fill(line, chars) if line else line for line in text.split("\n"))


def lay_out(
    fig: Figure,
    title: str | None = None,
    handles: Sequence = (),
    labels: Sequence[str] = (),
    *,
    title_size: float = 10,
    legend_size: float = 7.5,
) -> Figure:
    """Title the figure, put one legend under it, and lay the panels out in what is left: nothing cut off.

    The title is wrapped to the figure's width; the legend takes as many
    columns as fit the width; the panels are then laid out (``tight_layout``)
    between the two. Every text becomes plain text (:func:`plain_text`).

    Args:
        fig: The figure, its panels drawn.
        title: The figure's title (None: none).
        handles: Legend handles (none: no figure legend).
        labels: Their labels.
        title_size: The title's font size.
        legend_size: The legend's font size.

    Returns:
        The figure.
    """
    renderer = _renderer(fig)
    height = fig.bbox.height
    top, bottom = 1.0, 0.0
    if title:
        heading = fig.suptitle(wrap(title, fig.get_figwidth() - 0.2, title_size), fontsize=title_size, y=0.995)
        heading.set_parse_math(False)
        top = 0.995 - heading.get_window_extent(renderer).height / height - 0.01
    if handles:
        ncol = len(labels)
        while True:
            legend = fig.legend(
                list(handles), list(labels), loc="lower center", ncol=ncol, fontsize=legend_size, frameon=False
            )
            for text in legend.get_texts():
                text.set_parse_math(False)
            box = legend.get_window_extent(renderer)
            if box.width <= 0.98 * fig.bbox.width or ncol == 1:
                break
            legend.remove()
            ncol = max(1, ncol - 1) if ncol <= 8 else -(-ncol // 2)
        bottom = box.height / height + 0.005
    plain_text(fig)
    fig.tight_layout(pad=0.6, rect=(0, bottom, 1, top))
    return fig


def texts_outside(fig: Figure, tolerance: float = 1.0) -> list[str]:
    """What of a figure reaches past its canvas once drawn (the figure check): texts, and axes' ticks and labels.

    Tick labels count as drawn only within the axis' limits (matplotlib draws no
    others); the figure's tight bounding box must lie within the canvas too.

    Args:
        fig: The figure (drawn here with an Agg renderer).
        tolerance: Pixels a text may overhang (anti-aliasing).

    Returns:
        One line per thing partly outside, with its text and pixel box.
    """
    from matplotlib.text import Text

    renderer = _renderer(fig)
    fig.draw_without_rendering()  # lays out every text (ticks included) without painting pixels
    width, height = fig.bbox.width, fig.bbox.height

    def outside(box) -> bool:
        return box.x0 < -tolerance or box.y0 < -tolerance or box.x1 > width + tolerance or box.y1 > height + tolerance

    def where(box) -> str:
        return f"({box.x0:.0f}, {box.y0:.0f}, {box.x1:.0f}, {box.y1:.0f}) px of {width:.0f} x {height:.0f}"

    out = []
    of_axes: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            of_axes |= {id(t) for t in axis.get_ticklabels(which="both")}
            of_axes |= {id(axis.label), id(axis.offsetText)}
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                of_axes |= {id(tick.label1), id(tick.label2)}
            if not ax.get_visible() or not axis.get_visible():
                continue
            box = axis.get_tightbbox(renderer)
            if box is not None and outside(box):
                drawn = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
                out.append(f"{axis.axis_name} axis {axis.label.get_text() or drawn[:3]!r} at {where(box)}")
    for text in fig.findobj(Text):
        if id(text) in of_axes or not text.get_visible() or not text.get_text().strip() or not _shown(text):
            continue
        box = text.get_window_extent(renderer)
        if outside(box):
            out.append(f"{text.get_text()!r} at {where(box)}")
    whole = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    if not out and outside(whole):
        out.append(f"the figure's tight bounding box at {where(whole)}")
    return out


def _shown(artist) -> bool:
    """Whether an artist and every parent it hangs from are visible (hidden panels hold hidden ticks)."""
    while artist is not None:
        if not artist.get_visible():
            return False
        axes = getattr(artist, "axes", None)
        parent = axes if axes is not None and axes is not artist else None
        if parent is None:
            return True
        artist = parent
