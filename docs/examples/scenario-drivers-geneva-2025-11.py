# docs/scenarios.md: the five judgements that drive the geneva-2025-11 forecast most (see _drivers.py).
from _drivers import table

table("geneva-2025-11")
