# docs/scenarios.md: the five judgements that drive the e3-counter-2025-11 forecast most (see _drivers.py).
from _drivers import table

table("e3-counter-2025-11")
