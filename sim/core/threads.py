"""Numerical threads: results must not depend on how many cores BLAS uses.

OpenBLAS splits some products across threads and sums the parts in another
order, so the benchmark solutions (SLSQP) differed in the last digits between
a process with one BLAS thread (a Dask worker) and one with several. Every
optimiser call runs under :func:`one_blas_thread`, which makes its result the
same on every machine and in every worker.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

__all__ = ["one_blas_thread"]

_controller = None


def one_blas_thread() -> AbstractContextManager:
    """A context in which BLAS libraries use one thread (threadpoolctl).

    The controller is built on first use, after the caller has imported the
    libraries (numpy, scipy) whose BLAS it must limit.
    """
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
