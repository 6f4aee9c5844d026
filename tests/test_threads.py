"""Numerical threads (sim/core/threads.py): pinned per worker, recorded with every result."""

from __future__ import annotations

import numpy  # noqa: F401 (the BLAS to limit is loaded)
import scipy.linalg  # noqa: F401
from threadpoolctl import threadpool_info

from sim.core.threads import numerical_threads, numerics, one_blas_thread


def _blas_threads() -> set[int]:
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def test_contexts_limit_blas_and_restore():
    before = _blas_threads()
    with one_blas_thread():
        assert _blas_threads() == {1}
    with numerical_threads(1):
        assert _blas_threads() == {1}
    assert _blas_threads() == before


def test_numerics_name_the_libraries_and_the_thread_count():
    settings = numerics(1)
    assert settings["threads"] == 1 and settings["numpy"] and settings["scipy"]
    assert settings["libraries"] and all(lib["api"] == "blas" and lib["version"] for lib in settings["libraries"])
    assert numerics(1) == settings and numerics(2) != settings
