"""One model, its minibatch split over CPU threads: the kernel that measures how a step's time grows with B.

The simulation targets run many independent runs, each on one thread. A single training run instead
spreads each minibatch's rows over the cores (data parallelism); every step then forks and joins the
threads, a fixed cost that a small batch cannot amortise. ``sgd_steps`` runs ``steps`` steps of
least-squares SGD on rows taken in order (row (t B + j) mod n), the gradient's rows split into four
blocks per thread (measured: a better balance than one), each block summed into its own row of ``partial`` (no shared accumulator: a race in
``prange`` loses updates silently), then reduced in block order. Compiled without the on-disk cache, so
it is never served stale.
"""
import numba
import numpy as np
from numba import prange

from ..device.jit import FASTMATH


@numba.njit(fastmath=FASTMATH, error_model="numpy", cache=False)
def _add_rows(g, theta, X, y, first, last, start):
    """g = sum over batch rows first..last-1 (data row (start + j) mod n) of x (x^T theta - y)."""
    n, p = X.shape
    for i in range(p):
        g[i] = 0.0
    for j in range(first, last):
        k = (start + j) % n
        r = -y[k]
        for i in range(p):
            r += X[k, i] * theta[i]
        for i in range(p):
            g[i] += r * X[k, i]


@numba.njit(parallel=True, fastmath=FASTMATH, error_model="numpy", cache=False)
def _sgd_steps_parallel(theta, X, y, lr, steps, B, partial):
    blocks, p = partial.shape
    for t in range(steps):
        for b in prange(blocks):
            _add_rows(partial[b], theta, X, y, b * B // blocks, (b + 1) * B // blocks, t * B)
        for b in range(blocks):
            for i in range(p):
                theta[i] -= lr / B * partial[b, i]


@numba.njit(fastmath=FASTMATH, error_model="numpy", cache=False)
def _sgd_steps_serial(theta, X, y, lr, steps, B, g):
    for t in range(steps):
        _add_rows(g, theta, X, y, 0, B, t * B)
        for i in range(g.size):
            theta[i] -= lr / B * g[i]


def sgd_steps(theta, X, y, lr, steps, batch_size, threads):
    """``steps`` SGD steps on ``||X theta - y||^2 / 2n`` in place, the rows of each batch over ``threads``
    threads (1: a serial loop, no fork and join)."""
    if threads == 1:
        _sgd_steps_serial(theta, X, y, lr, steps, batch_size, np.zeros(X.shape[1]))
        return theta
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        _sgd_steps_parallel(theta, X, y, lr, steps, batch_size, np.zeros((4 * threads, X.shape[1])))
    finally:
        numba.set_num_threads(previous)
    return theta
