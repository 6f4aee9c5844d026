"""docs/forecasts.md quotes numbers; they come from commands whose outputs are pinned here.

``tests/expected/forecasts-doc.json`` holds the JSON the commands below print
(for ``negsim explain`` only the keys the document quotes). The first test
reruns the commands and compares; the second checks that every number the
document quotes is the pinned one. When a number changes on purpose,
regenerate with ``python tests/test_docs_forecasts.py > tests/expected/forecasts-doc.json``,
update the document, and say why in the commit message.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected" / "forecasts-doc.json"
DOC = ROOT / "docs" / "forecasts.md"

COMMANDS = {
    "forecast": ["forecast", "scenarios/geneva-2025-11.toml", "--json"],
    "explain": ["explain", "scenarios/geneva-2025-11.toml", "--seed", "3", "--json"],  # seed 7 has no deal
    "score": ["score", "scenarios/istanbul-2022.toml", "scenarios/records/istanbul-2022.toml", "--json"],
}
"""The documented commands (run from the project root; files go to a temporary folder)."""
KEEP = {"explain": ("binding", "ratification", "sentences")}


def outputs() -> dict:
    """What the documented commands print, as JSON data."""
    from sim.cli import main

    found = {}
    here = os.getcwd()
    try:
        os.chdir(ROOT)
        for name, args in COMMANDS.items():
            with tempfile.TemporaryDirectory() as out:
                extra = ["--out", out, "--no-figures"] if name != "score" else []
                buffer = io.StringIO()
                with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
                    assert main([*args, *extra]) == 0
            data = json.loads(buffer.getvalue())
            if name in KEEP:
                data = {key: data[key] for key in KEEP[name]}
            found[name] = data
    finally:
        os.chdir(here)
    return found


def facts(pinned: dict) -> list[str]:
    """The snippets of docs/forecasts.md that carry pinned numbers, built from the pinned outputs."""
    f, e, s = pinned["forecast"], pinned["explain"], pinned["score"]
    cap = f["issues"]["army_cap"]
    ukraine = f["utilities"]["ukraine"]
    ends = f["ended_by"]
    walk = next(b for b in e["binding"] if b["kind"] == "walkaway")
    nato = next(b for b in e["binding"] if b["kind"] == "red_line" and b["issue"] == "nato")
    congress = next(b for b in e["binding"] if b["kind"] == "ratification" and b["party"] == "us")
    failed = next(r for r in e["ratification"] if r["party"] == "us")
    vote = next(r for r in e["ratification"] if r["kind"] == "vote")
    without = (
        f"without it there would be no deal within {f['horizon']} rounds"
        if not nato["without"]["deal"]
        else f"without it the NATO path would be {nato['without']['value']:.2f}"
    )
    return [
        f'"p_deal": {f["p_deal"]}',
        f"P(deal) within {f['horizon']} rounds is {f['p_deal']:.0%}",
        f"median round {f['round']['p50']:.0f} (80% band {f['round']['p10']:.0f}-{f['round']['p90']:.0f})",
        f"army cap {cap['p10']:.0f}-{cap['p90']:.0f} thousand troops (median {cap['p50']:.0f})",
        f"Ukraine's utility {ukraine['p10']:.3f}-{ukraine['p90']:.3f}",
        f"in a walk-out in {ends['walkout']:.0%} of runs, a breakdown in {ends['breakdown']:.0%}",
        f"{walk['party'].title()} accepts with {walk['slack']:.4f} utility to spare",
        f"at most {nato['bound']:g} on NATO (the deal is at {nato['value']:.2f}); {without}",
        f"the deal is at {congress['value']:.4f}, just under the bound",
        f"In round {failed['round']} the text had failed there: sanctions relief {failed['value']:.4f} against the US "
        f"win-set's bound {failed['bound']:g}, margin {failed['margin']:+.3f}",
        f"the text giving it {vote['value']:.3f} against an even-odds point of {vote['bound']:.3f}, "
        f"a {vote['chance']:.0%} chance to pass",
        f"Brier score {s['brier']:.3f}",
        f"{s['coverage']['inside']} of {s['coverage']['n']} issue observations",
        f"P(deal by 2022-12-31) is {s['deals'][-1]['p_deal_by']:.0%}",
    ]


def test_documented_commands_give_the_pinned_outputs():
    assert outputs() == json.loads(EXPECTED.read_text())


def test_every_number_in_the_document_is_pinned():
    text = " ".join(DOC.read_text().split())
    missing = [fact for fact in facts(json.loads(EXPECTED.read_text())) if fact not in text]
    assert not missing, "docs/forecasts.md lacks (or has other numbers than): " + " | ".join(missing)


if __name__ == "__main__":  # python tests/test_docs_forecasts.py > tests/expected/forecasts-doc.json
    sys.path.insert(0, str(ROOT))
    json.dump(outputs(), sys.stdout, indent=1)
    sys.stdout.write("\n")
