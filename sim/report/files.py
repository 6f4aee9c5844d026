"""The files of one run: ``outcome.json``, ``rounds.csv`` and the figures."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.engine.outcome import Outcome

__all__ = ["write_outcome"]


def write_outcome(
    outcome: Outcome, out_dir: str | Path, figures: bool = True, extra: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write ``outcome.json``, ``rounds.csv`` and (optionally) the figures into ``out_dir``.

    Args:
        outcome: The run's outcome.
        out_dir: The folder (created when missing).
        figures: Whether to draw the PNG figures too.
        extra: More blocks for ``outcome.json`` after the outcome's own keys, as
            plain JSON data (the command line adds ``distribution`` and
            ``explain``); they never replace one of the outcome's keys.

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = outcome.to_dict()
    clash = sorted(set(extra or {}) & set(data))
    if clash:
        raise ValueError(f"extra blocks would replace outcome keys: {', '.join(clash)}")
    text = outcome.to_json() if not extra else json.dumps({**data, **extra}, indent=2) + "\n"
    written = []
    for name, content in (("outcome.json", text), ("rounds.csv", outcome.rounds_csv())):
        path = out / name
        path.write_text(content)
        written.append(path)
    if figures:
        from sim.report.plots import outcome_figures

        written += outcome_figures(outcome, out)
    return written
