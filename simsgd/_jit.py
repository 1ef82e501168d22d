"""Compilation settings shared by every kernel.

One place decides how kernel code is compiled, so the CPU driver and the
functions it calls agree. ``FASTMATH`` lets LLVM reassociate and contract
(vectorised sums, FMAs) but keeps ``nnan``/``ninf`` off: divergence is detected
with ``math.isfinite``, which those two flags would fold to ``True``.
"""
from numba import njit

FASTMATH = {"nsz", "arcp", "contract", "reassoc"}


def kernel(fn=None, *, inline=False):
    """Compile a core function (problem, optimizer, RNG) for the CPU and keep it callable from other targets.

    ``error_model='numpy'`` drops the zero-division checks that stop loops from vectorising.
    ``inline=True`` merges the function into its callers at numba IR level: the glue between
    the driver and a step function is then free, where a call passing arrays costs ~40 ns.
    """
    if fn is None:
        return lambda f: kernel(f, inline=inline)
    return njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always" if inline else "never")(fn)


def inline_kernel(fn):
    """As ``kernel``, but inlined into its callers at numba IR level (for small hot functions)."""
    return njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")(fn)
