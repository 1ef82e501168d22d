"""The generator before the 1024-layer change (256-layer ziggurat, called from the kernels), kept as a benchmark baseline.

Source as it stood in simsgd/device/rng.py; benchmarks/bench_normals.py times it beside the current one.
"""
import math

import numpy as np
from numba import uint64

from simsgd.device.jit import kernel
from simsgd.device.rng import _rotl, next_double, next_u64

def _ziggurat_tables(c=256, r=3.6541528853610088, v=4.92867323399e-3):
    """Layer edges X, ratios R = X[i+1]/X[i] and densities F = exp(-X^2/2) of a 256-layer ziggurat.

    The construction of Doornik (2005, ZIGNOR) with Marsaglia & Tsang's (2000) 256-layer
    constants: the tail starts at r and every layer has area v.
    """
    x = np.zeros(c + 1)
    f = math.exp(-0.5 * r * r)
    x[0] = v / f
    x[1] = r
    for i in range(2, c):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1], np.exp(-0.5 * x * x)


_X, _R, _F = _ziggurat_tables()
# The tables travel as an argument (rows X, R, F), not as globals: a GPU would put globals in
# constant memory, which serialises a warp's lookups at 32 different layers.
ZIGGURAT = np.ascontiguousarray(np.stack([_X, np.append(_R, 0.0), _F]))
_ZIG_TAIL = 3.6541528853610088
_INV_2_52 = 1.0 / 4503599627370496.0


@kernel
def _from_bits(bits):
    """The ziggurat's uniform u in [-1, 1) (top 52 bits) and layer (bits 3..10) of one output."""
    u = float(bits >> uint64(12)) * _INV_2_52 * 2.0 - 1.0
    return u, int((bits >> uint64(3)) & uint64(255))


@kernel
def _slow_path(state, g, u, i, zig):
    """Finish a draw whose first try missed layer ``i``'s rectangle: the tail, or a wedge test (NaN if rejected)."""
    if i == 0:
        # tail beyond R (Marsaglia, 1964)
        while True:
            x = math.log(1.0 - next_double(state, g)) / _ZIG_TAIL
            y = math.log(1.0 - next_double(state, g))
            if -2.0 * y >= x * x:
                break
        return x - _ZIG_TAIL if u < 0.0 else _ZIG_TAIL - x
    x = u * zig[0, i]
    if zig[2, i + 1] + next_double(state, g) * (zig[2, i] - zig[2, i + 1]) < math.exp(-0.5 * x * x):
        return x
    return math.nan  # rejected: the caller draws afresh


@kernel
def normal(state, g, zig):
    """One N(0, 1) draw from generator ``g``: a 256-layer ziggurat on one 64-bit output.

    The top 52 bits give the uniform u in [-1, 1) and bits 3..10 the layer, so the two
    never share bits (the layer and u are independent: the flaw Doornik's ZIGNOR fixes in
    Marsaglia & Tsang's version). About 99.3% of draws take the first branch; the wedge
    test compares with the tabulated densities, one ``exp`` per wedge draw.
    """
    while True:
        u, i = _from_bits(next_u64(state, g))
        if abs(u) < zig[1, i]:
            return u * zig[0, i]
        x = _slow_path(state, g, u, i, zig)
        if not math.isnan(x):
            return x


@kernel
def _finish(state, g, u, i, zig):
    """The rare slow path of a draw from generator ``g``, on its state in memory."""
    x = _slow_path(state, g, u, i, zig)
    if math.isnan(x):
        x = normal(state, g, zig)
    return x


@kernel
def fill_normals(state, out, n, zig):
    """Write ``n`` independent N(0, 1) draws into ``out[0:n]``.

    Position k takes the next draw of generator A (even k) or B (odd k), the same
    values as ``normal(state, 0 if k % 2 == 0 else 2, zig)`` in that order; ``zig`` is ``ZIGGURAT``
    (or a copy of it, e.g. in a GPU block's shared memory). The fast path keeps
    both states in local variables (registers) and writes them back only around the rare
    slow path.
    """
    a0 = state[0]
    a1 = state[1]
    b0 = state[2]
    b1 = state[3]
    for k in range(0, n - 1, 2):
        x = a0 + a1
        a1 ^= a0
        a0 = _rotl(a0, 24) ^ a1 ^ (a1 << uint64(16))
        a1 = _rotl(a1, 37)
        y = b0 + b1
        b1 ^= b0
        b0 = _rotl(b0, 24) ^ b1 ^ (b1 << uint64(16))
        b1 = _rotl(b1, 37)
        u, i = _from_bits(x)
        v, j = _from_bits(y)
        if abs(u) < zig[1, i] and abs(v) < zig[1, j]:
            out[k] = u * zig[0, i]
            out[k + 1] = v * zig[0, j]
        else:
            state[0] = a0
            state[1] = a1
            state[2] = b0
            state[3] = b1
            out[k] = u * zig[0, i] if abs(u) < zig[1, i] else _finish(state, 0, u, i, zig)
            out[k + 1] = v * zig[0, j] if abs(v) < zig[1, j] else _finish(state, 2, v, j, zig)
            a0 = state[0]
            a1 = state[1]
            b0 = state[2]
            b1 = state[3]
    state[0] = a0
    state[1] = a1
    state[2] = b0
    state[3] = b1
    if n % 2 == 1:
        out[n - 1] = normal(state, 0, zig)
