"""Reports of runs: the outcome's files, figures, terminal tables and comparisons."""

__all__: list[str] = []
