"""The files of one run: ``outcome.json``, ``rounds.csv`` and the figures."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.engine.outcome import Outcome
from sim.report.folders import OutputFolder

__all__ = ["write_outcome"]


def write_outcome(
    outcome: Outcome,
    out_dir: str | Path | OutputFolder,
    figures: bool = True,
    extra: Mapping[str, Any] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write ``outcome.json``, ``rounds.csv`` and (optionally) the figures into ``out_dir``, all or nothing.

    The files are written beside the folder and moved into place at the end
    (see :class:`~sim.report.folders.OutputFolder`): the folder ends up with
    exactly this run's files, or is left as it was.

    Args:
        outcome: The run's outcome.
        out_dir: The folder (created when missing), or an :class:`OutputFolder`
            prepared before the run.
        figures: Whether to draw the PNG figures too.
        extra: More blocks for ``outcome.json`` after the outcome's own keys, as
            plain JSON data (the command line adds ``distribution`` and
            ``explain``); they never replace one of the outcome's keys.
        force: Write even where the folder holds files negsim did not write
            (ignored when ``out_dir`` is an :class:`OutputFolder`).

    Returns:
        The paths written.

    Raises:
        UserError: If the folder holds files negsim did not write there (and
            not ``force``), or cannot be written.
        ValueError: If an extra block would replace one of the outcome's keys.
    """
    data = outcome.to_dict()
    clash = sorted(set(extra or {}) & set(data))
    if clash:
        raise ValueError(f"extra blocks would replace outcome keys: {', '.join(clash)}")
    text = outcome.to_json() if not extra else json.dumps({**data, **extra}, indent=2) + "\n"
    folder = out_dir if isinstance(out_dir, OutputFolder) else OutputFolder(out_dir, force, flag="out_dir")

    def make(stage: Path) -> list[Path]:
        written = []
        for name, content in (("outcome.json", text), ("rounds.csv", outcome.rounds_csv())):
            path = stage / name
            path.write_text(content)
            written.append(path)
        if figures:
            from sim.report.plots import outcome_figures

            written += outcome_figures(outcome, stage)
        return written

    return folder.write(make)
