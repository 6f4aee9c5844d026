# docs/scenarios.md: the five judgements that drive the us-28-point-2025-11 forecast most (see _drivers.py).
from _drivers import table

table("us-28-point-2025-11")
