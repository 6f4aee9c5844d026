# docs/scenarios.md: each scenario's forecast headline, from `negsim forecast SCENARIO --json` (2,000 draws of the
# file's ranges and random streams, the file's seed and protocol).
import json
import subprocess
import tempfile

NOVEMBER = ["--by", "2025-12-31", "--by", "2026-03-31"]
FILES = {
    "us-28-point-2025-11": NOVEMBER,
    "e3-counter-2025-11": NOVEMBER,
    "geneva-2025-11": NOVEMBER,
    "russia-maximal": NOVEMBER,
    "istanbul-2022": ["--by", "2022-04-15", "--by", "2022-05-17"],
}


def forecast(name: str, by: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = ["negsim", "forecast", f"scenarios/{name}.toml", "--json", "--no-figures", "--out", out, *by]
        return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def pct(x: float) -> str:
    return f"{x:.0%}"


def band(name: str, issue: str, b: dict) -> str:
    if b["p10"] is None:
        return "-"
    digits = 0 if issue == "army_cap" else 2
    return f"{b['p50']:.{digits}f} ({b['p10']:.{digits}f}-{b['p90']:.{digits}f})"


found = {name: forecast(name, by) for name, by in FILES.items()}
print(
    "| scenario | P(deal) by the dates | within the horizon | median round of a deal "
    "| walk-out (by Ukraine) | breakdown | round limit |"
)
print("| --- | --- | --- | --- | --- | --- | --- |")
for name, f in found.items():
    dates = "; ".join(f"{date}: {pct(p)}" for date, p in f["p_deal_by"].items())
    horizon = f"{pct(f['p_deal'])} ({f['horizon']} rounds, to {f['calendar']['horizon_date']})"
    r = f["round"]
    median = "-" if r["p50"] is None else f"round {r['p50']:.0f} (80%: {r['p10']:.0f}-{r['p90']:.0f})"
    ends = f["ended_by"]
    walkout = f"{pct(ends['walkout'])} ({pct(f['walkout']['ukraine'])})"
    print(
        f"| `{name}` | {dates} | {horizon} | {median} | {walkout} | {pct(ends['breakdown'])} "
        f"| {pct(ends['round_limit'])} |"
    )
for name, f in found.items():
    print()
    print(f"`{name}`, the deal where there is one - median (80% band), and for options the share of deals on each:")
    print()
    print("| issue | median (80% band) | options |")
    print("| --- | --- | --- |")
    for issue, b in f["issues"].items():
        shares = f.get("options", {}).get(issue, {})
        options = "; ".join(f"{label} {pct(share)}" for label, share in shares.items() if share > 0) or "-"
        print(f"| {issue} | {band(name, issue, b)} | {options} |")
