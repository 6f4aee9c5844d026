# Exercise 3 of docs/teaching.md: every protocol on the file's values, then impatience and drafting noise.
from _teaching import GENEVA, HEADER, row, table

from sim import load_scenario, protocol_names, run, solve

scenario = load_scenario(GENEVA)
solutions = solve(scenario)
rows = []
for name in protocol_names():
    out = run(scenario, protocol=name, solutions=solutions)
    distance = "-" if out.distance_to_nash is None else f"{out.distance_to_nash:.3f}"
    refuse = [scenario.party(p).name for p, ok in out.accepts.items() if not ok] if out.agreement else []
    rows.append(row(f"`{name}`", protocol=name) + [distance, ", ".join(refuse) or "-"])
print(table(["protocol", *HEADER, "distance to Nash", "would not sign"], rows))
print()
rows = [
    row("`mediated`, Ukraine: patience 0.920 (file)"),
    row("`mediated`, Ukraine: patience 0.800", ukraine__patience=0.8),
    row("`alternating`, Ukraine: patience 0.800", protocol="alternating", ukraine__patience=0.8),
]
rows += [row(f"`mediated`, drafting noise 0.030, seed {seed}", noise=0.03, seed=seed) for seed in (1, 2, 3)]
print(table(["run", *HEADER], rows))
