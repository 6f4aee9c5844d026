# Exercise 3 of docs/teaching.md: every protocol from seed 3 (the mediated run ends in a deal), then impatience and
# drafting noise.
from _teaching import GENEVA, HEADER, row, table

from sim import load_scenario, protocol_names, run, solve

scenario = load_scenario(GENEVA)
solutions = solve(scenario)
rows = []
for name in protocol_names():
    out = run(scenario, protocol=name, seed=3, solutions=solutions)
    distance = "-" if out.distance_to_nash is None else f"{out.distance_to_nash:.3f}"
    refuse = [scenario.party(p).name for p, ok in out.accepts.items() if not ok] if out.agreement else []
    rows.append(row(f"`{name}`", protocol=name, seed=3) + [distance, ", ".join(refuse) or "-"])
print(table(["protocol", *HEADER, "distance to Nash", "would not sign"], rows))
print()
rows = [
    row("`mediated`, seed 3, Ukraine: patience 0.920 (file)", seed=3),
    row("`mediated`, seed 3, Ukraine: patience 0.800", seed=3, ukraine__patience=0.8),
    row("`alternating`, seed 3, Ukraine: patience 0.920", protocol="alternating", seed=3),
    row("`alternating`, seed 3, Ukraine: patience 0.800", protocol="alternating", seed=3, ukraine__patience=0.8),
]
rows += [row(f"`mediated`, drafting noise 0.030, seed {seed}", noise=0.03, seed=seed) for seed in (3, 5, 9)]
print(table(["run", *HEADER], rows))
