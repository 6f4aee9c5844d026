# Exercise 2 of docs/teaching.md: the mediator's lean, power and salience - one run each from seed 3 (a run that
# ends in a deal), then the forecast the UI shows for each.
from _teaching import HEADER, OUTLOOK, outlook, row, table

SLIDERS = [
    ("lean toward Russia 0.00", {"lean__russia": 0.0}),
    ("lean toward Russia 0.60", {"lean__russia": 0.6}),
    ("bias toward Russia 2.00", {"bias__russia": 2.0}),
    ("Russia: capability 0.70", {"russia__capability": 0.7}),
    ("Ukraine: salience army_cap 0.90", {"ukraine__salience__army_cap": 0.9}),
    ("Ukraine: salience army_cap 0.50", {"ukraine__salience__army_cap": 0.5}),
]
rows = [row("seed 3 (lean toward Russia 0.30)", seed=3)]
rows += [row(f"seed 3, {label}", seed=3, **sliders) for label, sliders in SLIDERS]
print(table(["slider", *HEADER], rows))
print()
outlooks = [outlook("file")] + [outlook(label, **sliders) for label, sliders in SLIDERS]
print(table(["slider (the forecast: 500 draws)", *OUTLOOK], outlooks))
