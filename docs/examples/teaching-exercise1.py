# Exercise 1 of docs/teaching.md: the file's run, then the walk-away sliders from seed 3 (a run that ends in a deal).
from _teaching import GENEVA, HEADER, OUTLOOK, outlook, row, table

from sim import load_scenario, solve

rows = [
    row("file (seed 7)"),
    row("seed 3", seed=3),
    row("seed 3, Ukraine: walk-away 0.50", seed=3, ukraine__walkaway=0.5),
    row("seed 3, Ukraine: walk-away 0.70", seed=3, ukraine__walkaway=0.7),
    row("seed 3, Ukraine: walk-away drift 0.0000", seed=3, ukraine__walkaway_drift=0.0),
    row("seed 3, Ukraine: walk-away drift -0.0150", seed=3, ukraine__walkaway_drift=-0.015),
    row("seed 3, Russia: walk-away 0.45", seed=3, russia__walkaway=0.45),
    row("seed 3, Russia: walk-away 0.65", seed=3, russia__walkaway=0.65),
    row("seed 3, front: drift per round 0.0000", seed=3, front_drift=0.0),
    row("seed 3, front: drift per round 0.0200", seed=3, front_drift=0.02),
]
print(table(["slider", *HEADER], rows))
print()
outlooks = [
    outlook("file"),
    outlook("Ukraine: walk-away 0.50", ukraine__walkaway=0.5),
    outlook("Ukraine: walk-away 0.70", ukraine__walkaway=0.7),
    outlook("Ukraine: walk-away drift 0.0000", ukraine__walkaway_drift=0.0),
    outlook("Ukraine: walk-away drift -0.0150", ukraine__walkaway_drift=-0.015),
    outlook("Russia: walk-away 0.45", russia__walkaway=0.45),
    outlook("Russia: walk-away 0.65", russia__walkaway=0.65),
    outlook("front: drift per round 0.0000", front_drift=0.0),
    outlook("front: drift per round 0.0200", front_drift=0.02),
]
print(table(["slider (the forecast: 500 draws)", *OUTLOOK], outlooks))
print()
solutions = solve(load_scenario(GENEVA))
verdict = "no Nash solution" if solutions.nash is None else "a Nash solution"
print(f"With the file's values the benchmarks at round 0 find {verdict}.")
