"""Compilation settings shared by every kernel.

One place decides how kernel code is compiled, so the CPU driver and the
functions it calls agree. ``FASTMATH`` lets LLVM reassociate and contract
(vectorised sums, FMAs) but keeps ``nnan``/``ninf`` off: divergence is detected
with ``math.isfinite``, which those two flags would fold to ``True``.
"""
from numba import njit

FASTMATH = {"nsz", "arcp", "contract", "reassoc"}


def kernel(fn):
    """Compile a core function (problem, optimizer, RNG) for the CPU and keep it callable from other targets.

    ``error_model='numpy'`` drops the zero-division checks that stop loops from vectorising.
    """
    return njit(cache=True, fastmath=FASTMATH, error_model="numpy")(fn)


def inline_kernel(fn):
    """As ``kernel``, but inlined into its callers at numba IR level (for small hot functions)."""
    return njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")(fn)
