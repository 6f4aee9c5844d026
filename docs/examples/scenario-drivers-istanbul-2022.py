# docs/scenarios.md: the five judgements that drive the istanbul-2022 forecast most (see _drivers.py).
from _drivers import table

table("istanbul-2022")
