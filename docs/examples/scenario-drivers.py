# docs/scenarios.md: which judgements drive each scenario's forecast most, from `negsim explain SCENARIO --json
# --runs 100` (each judgement swung over its range, one at a time, over the same 100 draws; see docs/forecasts.md).
import json
import subprocess
import tempfile

FILES = ["us-28-point-2025-11", "e3-counter-2025-11", "geneva-2025-11", "russia-maximal", "istanbul-2022"]
TOP = 5


def explain(name: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = ["negsim", "explain", f"scenarios/{name}.toml", "--json", "--runs", "100", "--no-figures"]
        return json.loads(subprocess.run([*command, "--out", out], capture_output=True, text=True, check=True).stdout)


def swing(d: dict) -> str:
    return f"{d['low']:g}..{d['high']:g}"


print("| scenario | rank | judgement | swung over | P(deal) low -> high | largest shift of a median deal |")
print("| --- | --- | --- | --- | --- | --- |")
for name in FILES:
    for d in explain(name)["drivers"][:TOP]:
        p = d["p_deal"]
        shift = f"{d['largest_issue']}: {d['largest_issue_shift']:.0%} of its scale" if d["largest_issue"] else "-"
        print(
            f"| `{name}` | {d['rank']} | {d['label']} | {swing(d)} | {p['low']:.0%} -> {p['high']:.0%} | {shift} |"
        )
