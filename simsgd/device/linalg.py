"""Small dense linear algebra inside kernels: Cholesky factorisation and triangular solves, in place.

The matrices are the leading ``k x k`` block of a C-contiguous 2-D array (a view of a run's
scratch), so one buffer serves every size up to its own.
"""
import math

from .jit import kernel


@kernel
def cholesky(a, k):
    """Overwrite the lower triangle of ``a[:k, :k]`` (symmetric) with L, a = L L^T; False if not positive definite."""
    for j in range(k):
        s = a[j, j]
        for m in range(j):
            s -= a[j, m] * a[j, m]
        if not s > 0.0:
            return False
        d = math.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, k):
            s = a[i, j]
            for m in range(j):
                s -= a[i, m] * a[j, m]
            a[i, j] = s / d
    return True


@kernel
def cho_solve(L, k, b):
    """Overwrite ``b[:k]`` with the solution x of L L^T x = b (L from ``cholesky``)."""
    for i in range(k):
        s = b[i]
        for m in range(i):
            s -= L[i, m] * b[m]
        b[i] = s / L[i, i]
    for i in range(k - 1, -1, -1):
        s = b[i]
        for m in range(i + 1, k):
            s -= L[m, i] * b[m]
        b[i] = s / L[i, i]
