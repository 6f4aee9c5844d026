# Exercise 2 of docs/teaching.md: the mediator's bias, power and salience, each run from the file's values.
from _teaching import HEADER, row, table

rows = [
    row("file (bias toward Russia 1.50)"),
    row("bias toward Russia 0.50", bias__russia=0.5),
    row("bias toward Russia 3.00", bias__russia=3.0),
    row("Russia: capability 0.70", russia__capability=0.7),
    row("Ukraine: salience army_cap 1.00", ukraine__salience__army_cap=1.0),
    row("Ukraine: salience army_cap 0.30", ukraine__salience__army_cap=0.3),
]
print(table(["slider", *HEADER], rows))
