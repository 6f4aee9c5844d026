"""Regenerate the executable documentation: every example's ``.out`` and every marked region.

    python tests/docs_update.py            # every example
    python tests/docs_update.py run-geneva # only these (names without the suffix)

Runs the examples in ``docs/examples/`` (see ``tests/docs_examples.py``),
writes their output to the committed ``.out`` files, then rewrites the regions
of README.md and docs/*.md from them, and lists the files it changed. Review
the diff (``git diff``) and give the reason for every changed number in the
commit message. ``tests/test_docs.py`` fails until this has been run after a
change that moves an output.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_examples import DOCUMENTS, ROOT, examples, expected_output, run_example, update_text  # noqa: E402


def main(names: list[str]) -> int:
    chosen = [e for e in examples() if not names or e.stem in names]
    unknown = set(names) - {e.stem for e in chosen}
    if unknown:
        print(f"docs_update: no example named {', '.join(sorted(unknown))} in docs/examples/", file=sys.stderr)
        return 2
    changed = []
    for example in chosen:
        out = expected_output(example)
        text = run_example(example)
        if not out.exists() or out.read_text() != text:
            out.write_text(text)
            changed.append(out)
    for document in DOCUMENTS:
        text = document.read_text()
        new = update_text(text)
        if new != text:
            document.write_text(new)
            changed.append(document)
    for path in changed:
        print(f"updated {path.relative_to(ROOT)}")
    if not changed:
        print("docs_update: every example and region is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
