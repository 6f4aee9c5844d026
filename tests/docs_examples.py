"""Executable documentation: the examples in ``docs/examples/`` and the regions of the docs they fill.

An *example* is a file in ``docs/examples/``: ``NAME.sh`` (shell commands, as
a reader would type them) or ``NAME.py`` (a Python script). It runs in a
scratch folder holding links to ``scenarios/`` and ``experiments/``, with
``negsim`` and ``python`` taken from this checkout (``PYTHONPATH``), so the
paths it prints are the paths a reader sees. Its output (stdout and stderr,
then ``[exit status N]`` when not 0) is committed as ``NAME.out``.

A document (``README.md``, ``docs/*.md``) shows an example, or its output,
between two markers::

    <!-- include: docs/examples/NAME.sh fence=sh -->
    ```sh
    negsim run scenarios/geneva-2025-11.toml
    ```
    <!-- end -->

Options after the path: ``fence=LANG`` wraps the text in a fenced block
(``fence=`` with no language: a plain fence), ``lines=A-B`` shows lines A to B
only (then a line ``...``); without ``fence`` the text goes in as Markdown
(a table printed by an example). A code block outside such a region must say
why it is not run: ``<!-- not run: REASON -->`` on the line before it.

``python tests/docs_update.py`` runs every example, rewrites the ``.out``
files and the regions, and prints what changed: a changed number is then a
diff in a reviewed file. ``tests/test_docs.py`` checks that the committed
files are what the examples print now.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINKED = ("scenarios", "experiments")
"""Folders of the checkout the examples see in their scratch folder."""

TIMEOUT_S = 120

REGION = re.compile(
    r"^<!-- include: (?P<path>\S+)(?P<options>[^\n]*?) -->\n(?P<body>.*?)^<!-- end -->$",
    re.MULTILINE | re.DOTALL,
)
NOT_RUN = re.compile(r"^<!-- not run: (?P<reason>.+?) -->$", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~)")


@dataclass(frozen=True)
class Region:
    """One marked region of a document.

    Attributes:
        path: The included file, relative to the checkout.
        options: ``{"fence": ..., "lines": ...}`` as written.
        body: The text between the markers, as committed.
        start: Offset of the body in the document.
        end: Offset where the body ends.
    """

    path: str
    options: dict[str, str]
    body: str
    start: int
    end: int


def examples() -> list[Path]:
    """Every example, by name."""
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".sh", ".py") and not p.name.startswith("_"))


def expected_output(example: Path) -> Path:
    """The committed output of an example."""
    return example.with_suffix(".out")


def _negsim_shim(folder: Path) -> None:
    script = folder / "negsim"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sim.cli "$@"\n')
    script.chmod(0o755)
    python = folder / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)


def run_example(example: Path) -> str:
    """Run one example as a reader would, from a scratch folder; return what it prints."""
    with tempfile.TemporaryDirectory(prefix="negsim-docs-") as scratch:
        work = Path(scratch) / "work"
        work.mkdir()
        for name in LINKED:
            (work / name).symlink_to(ROOT / name, target_is_directory=True)
        bin_dir = Path(scratch) / "bin"
        bin_dir.mkdir()
        _negsim_shim(bin_dir)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join([str(EXAMPLES), str(ROOT)]),
            "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0",
            "COLUMNS": "200",
            "PYTHONDONTWRITEBYTECODE": "1",  # nothing written next to the examples
        }
        command = ["bash", str(example)] if example.suffix == ".sh" else [sys.executable, str(example)]
        proc = subprocess.run(
            command,
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT_S,
        )
    text = proc.stdout
    if proc.returncode:
        text += f"[exit status {proc.returncode}]\n"
    return text


def _options(text: str) -> dict[str, str]:
    out = {}
    for item in text.split():
        key, _, value = item.partition("=")
        out[key] = value
    return out


def regions(text: str) -> list[Region]:
    """The marked regions of a document's text."""
    return [
        Region(m["path"], _options(m["options"]), m["body"], m.start("body"), m.end("body"))
        for m in REGION.finditer(text)
    ]


def shown(path: str) -> str:
    """The text of an included file as a document shows it (a shell example without its ``#!`` line)."""
    text = (ROOT / path).read_text()
    if path.endswith(".sh"):
        text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#!"))
    return text


def render(region: Region, text: str | None = None) -> str:
    """What the region must hold: the file's text, cut to ``lines``, fenced when asked."""
    text = shown(region.path) if text is None else text
    if "lines" in region.options:
        first, _, last = region.options["lines"].partition("-")
        all_lines = text.splitlines(keepends=True)
        cut = all_lines[int(first) - 1 : int(last)]
        if len(cut) < len(all_lines):
            cut.append("...\n")
        text = "".join(cut)
    if "fence" in region.options:
        text = f"```{region.options['fence']}\n{text}```\n"
    return text


def update_text(text: str) -> str:
    """The document's text with every region holding what it must."""
    out, last = [], 0
    for region in regions(text):
        out.append(text[last : region.start])
        out.append(render(region))
        last = region.end
    out.append(text[last:])
    return "".join(out)


def outside_regions(text: str) -> str:
    """The document without its regions (the prose and code written by hand)."""
    return REGION.sub("", text)


def code_blocks(text: str, indented: bool = True) -> list[tuple[int, str, str | None]]:
    """Code blocks written by hand: ``(line number, opening line, the not-run reason or None)``.

    Fenced blocks; and indented ones (four spaces after a blank line), which are
    reported with the reason ``None`` whatever precedes them: fence them instead.

    Args:
        text: A document's text.
        indented: Report indented blocks too (a document whose indented blocks
            are equations passes False).
    """
    lines = text.splitlines()
    found = []
    k = 0
    while k < len(lines):
        line = lines[k]
        if FENCE.match(line):
            m = NOT_RUN.match(lines[k - 1]) if k else None
            found.append((k + 1, line, m["reason"] if m else None))
            k += 1
            while k < len(lines) and not FENCE.match(lines[k]):
                k += 1
        elif indented and line.startswith("    ") and line.strip() and k and not lines[k - 1].strip():
            found.append((k + 1, line, None))
        k += 1
    return found
