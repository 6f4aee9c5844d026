"""Shared by the scenario-drivers-*.py examples of docs/scenarios.md: the top five drivers of one scenario's
forecast, from `negsim explain SCENARIO --json --runs 100` (each judgement swung over its range, one at a time,
over the same 100 draws; see docs/forecasts.md). One example per scenario keeps each within the docs tests'
time limit."""

import json
import subprocess
import tempfile

TOP = 5


def explain(name: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = ["negsim", "explain", f"scenarios/{name}.toml", "--json", "--runs", "100", "--no-figures"]
        return json.loads(subprocess.run([*command, "--out", out], capture_output=True, text=True, check=True).stdout)


def swing(d: dict) -> str:
    return f"{d['low']:g}..{d['high']:g}"


def table(name: str) -> None:
    print(f"| `{name}`: judgement | swung over | P(deal) low -> high | largest shift of a median deal |")
    print("| --- | --- | --- | --- |")
    for d in explain(name)["drivers"][:TOP]:
        p = d["p_deal"]
        shift = f"{d['largest_issue']}: {d['largest_issue_shift']:.0%} of its scale" if d["largest_issue"] else "-"
        print(f"| {d['rank']}. {d['label']} | {swing(d)} | {p['low']:.0%} -> {p['high']:.0%} | {shift} |")
