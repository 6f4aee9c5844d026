# docs/scenarios.md: the five judgements that drive the russia-maximal forecast most (see _drivers.py).
from _drivers import table

table("russia-maximal")
