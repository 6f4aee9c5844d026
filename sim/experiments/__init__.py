"""Many runs: experiment files, samplers, sweeps, analysis, the benchmark and the gallery."""

__all__: list[str] = []
