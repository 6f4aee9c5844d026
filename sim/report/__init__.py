"""Reports of runs: the outcome's files, figures, terminal tables and comparisons."""
