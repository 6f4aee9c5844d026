"""Numerical threads: results must not depend on how many cores BLAS uses.

OpenBLAS splits some products across threads and sums the parts in another
order, so the benchmark solutions (SLSQP) differed in the last digits between
a process with one BLAS thread (a Dask worker) and one with several. Every
optimiser call runs under :func:`one_blas_thread`, which makes its result the
same on every machine and in every worker. On top of that, sweep workers (a
process pool's or a Dask cluster's) pin their numerical thread pools once
(:func:`pin_threads`, one thread by default), and every stored chunk records
the numerical settings it was computed under (:func:`numerics`), so that rows
computed under different settings are never mixed in one results folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

__all__ = ["numerics", "numerical_threads", "one_blas_thread", "pin_threads"]

_controller = None
_pinned: int | None = None


def _threadpools():
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


def one_blas_thread() -> AbstractContextManager:
    """A context in which BLAS libraries use one thread (threadpoolctl).

    The controller is built on first use, after the caller has imported the
    libraries (numpy, scipy) whose BLAS it must limit.
    """
    return _threadpools().limit(limits=1, user_api="blas")


def pin_threads(threads: int) -> None:
    """Limit every numerical thread pool (BLAS, OpenMP) of this process to ``threads``, for good.

    For worker processes that only compute chunks: a pool restored at the
    end of one task would race with a task still running on another thread.
    """
    global _pinned
    if _pinned != threads:
        _threadpools().limit(limits=threads)
        _pinned = threads


@contextlib.contextmanager
def numerical_threads(threads: int) -> Iterator[None]:
    """Numerical thread pools limited to ``threads`` for the block (nothing to do where pinned so)."""
    if _pinned == threads:
        yield
        return
    with _threadpools().limit(limits=threads):
        yield


def numerics(threads: int) -> dict[str, Any]:
    """The numerical settings a result depends on: libraries, their versions, the thread count.

    Args:
        threads: The numerical threads the computation was limited to.
    """
    import numpy
    import scipy

    libraries = sorted(
        (
            {
                "api": info.get("user_api"),
                "library": info.get("internal_api"),
                "version": info.get("version"),
                "architecture": info.get("architecture"),
            }
            for info in _threadpools().info()
            if info.get("user_api") == "blas"  # what else is loaded differs between processes, not results
        ),
        key=lambda item: tuple(str(v) for v in item.values()),
    )
    unique = [dict(t) for t in dict.fromkeys(tuple(item.items()) for item in libraries)]
    return {"threads": threads, "numpy": numpy.__version__, "scipy": scipy.__version__, "libraries": unique}
