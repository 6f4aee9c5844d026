"""The engine: the Mesa model and its agents, one run, the batched engine, and the outcome record."""

__all__: list[str] = []
