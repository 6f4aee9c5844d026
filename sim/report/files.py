"""The files of one run: ``outcome.json``, ``rounds.csv`` and the figures."""

from __future__ import annotations

from pathlib import Path

from sim.engine.outcome import Outcome

__all__ = ["write_outcome"]


def write_outcome(outcome: Outcome, out_dir: str | Path, figures: bool = True) -> list[Path]:
    """Write ``outcome.json``, ``rounds.csv`` and (optionally) the figures into ``out_dir``.

    Args:
        outcome: The run's outcome.
        out_dir: The folder (created when missing).
        figures: Whether to draw the PNG figures too.

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in (("outcome.json", outcome.to_json()), ("rounds.csv", outcome.rounds_csv())):
        path = out / name
        path.write_text(content)
        written.append(path)
    if figures:
        from sim.report.plots import outcome_figures

        written += outcome_figures(outcome, out)
    return written
