# Exercise 1 of docs/teaching.md: the walk-away sliders, each run from the file's values.
from _teaching import GENEVA, HEADER, row, table

from sim import load_scenario, solve

rows = [
    row("file (Ukraine 0.60, drift -0.006)"),
    row("Ukraine: walk-away 0.50", ukraine__walkaway=0.5),
    row("Ukraine: walk-away 0.70", ukraine__walkaway=0.7),
    row("Ukraine: walk-away 0.80", ukraine__walkaway=0.8),
    row("Ukraine: walk-away drift 0.0000", ukraine__walkaway_drift=0.0),
    row("Ukraine: walk-away drift -0.0150", ukraine__walkaway_drift=-0.015),
    row("Russia: walk-away 0.45", russia__walkaway=0.45),
    row("Russia: walk-away 0.65", russia__walkaway=0.65),
]
print(table(["slider", *HEADER], rows))
print()
strong = solve(load_scenario(GENEVA).with_values({"parties.ukraine.walkaway": 0.7}))
verdict = (
    "no Nash solution (no text gives every party more than its walk-away)" if strong.nash is None else "a Nash solution"
)
print(f"With Ukraine's walk-away at 0.70 the benchmarks at round 0 say: {verdict}.")
