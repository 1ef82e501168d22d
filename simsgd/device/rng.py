"""Per-run random streams: SplitMix64 seeding, xoroshiro128+, 1024-layer ziggurat normals.

Each run owns two xoroshiro128+ generators (Blackman & Vigna, 2018; constants
a=24, b=16, c=37), A in ``state[0:2]`` and B in ``state[2:4]`` of a ``uint64[4]``
array. ``fill_normals`` draws even positions from A and odd ones from B: the two
dependency chains interleave, which doubles the CPU's throughput. The state of run
``r`` under ``seed`` is four SplitMix64 outputs keyed by ``(seed, r)``, so any run
can be regenerated on its own in constant time. Streams start at independent-looking
points of a 2**128 - 1 period; the chance that two of 2e6 generators overlap within
1e10 draws is below 1e-15.

Normals come from a 1024-layer ziggurat, one 64-bit output per float64 draw and one
32-bit half per float32 draw; its table (3 x 1025 doubles, 24.6 KB) is an argument, so a
GPU block can hold it in shared memory. ``benchmarks/bench_normals.py`` measures it against
the 256-layer version it replaced and the other candidates.

Every constant is cast to ``uint64``: numba promotes ``uint64 op int`` to
``int64``, which would turn ``>>`` into an arithmetic shift.
"""
import math

import numpy as np
from numba import uint64

from .jit import kernel

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_MIX1 = uint64(0xBF58476D1CE4E5B9)
_MIX2 = uint64(0x94D049BB133111EB)
_INV_2_53 = 1.0 / 9007199254740992.0


@kernel
def splitmix64(x):
    """SplitMix64 finaliser of ``x + golden``: a bijection of uint64."""
    z = uint64(x) + _GOLDEN
    z = (z ^ (z >> uint64(30))) * _MIX1
    z = (z ^ (z >> uint64(27))) * _MIX2
    return z ^ (z >> uint64(31))


STATE_WORDS = 4


@kernel
def seed_stream(seed_key, run, state):
    """Write the generator state of run ``run`` under ``seed_key`` into ``state[0:4]``."""
    base = uint64(seed_key) + uint64(run) * uint64(STATE_WORDS) * _GOLDEN
    for k in range(STATE_WORDS):
        state[k] = splitmix64(base + uint64(k) * _GOLDEN)
    for k in range(0, STATE_WORDS, 2):
        if state[k] == uint64(0) and state[k + 1] == uint64(0):
            state[k] = uint64(1)


@kernel
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@kernel(inline=True)
def xoroshiro_step(s0, s1):
    """One xoroshiro128+ step of a state held in two words (registers): (output, new s0, new s1)."""
    out = s0 + s1
    s1 ^= s0
    return out, _rotl(s0, 24) ^ s1 ^ (s1 << uint64(16)), _rotl(s1, 37)


@kernel
def next_u64(state, g):
    """Advance generator ``g`` (0: A, 2: B) and return its 64-bit output."""
    result, state[g], state[g + 1] = xoroshiro_step(state[g], state[g + 1])
    return result


@kernel
def next_double(state, g):
    """Uniform double in [0, 1) from the top 53 bits (the low bits of xoroshiro128+ are weaker)."""
    return float(next_u64(state, g) >> uint64(11)) * _INV_2_53


LAYERS = 1024
# The tail start r and the common layer area v of a 1024-layer ziggurat for exp(-x^2/2), found by
# solving the construction below for a top layer that closes at density 1 (tests check it closes).
_ZIG_TAIL = 4.038849846109504
_ZIG_AREA = 0.0012263246463530893


def _ziggurat_tables(c=LAYERS, r=_ZIG_TAIL, v=_ZIG_AREA):
    """Layer edges X, ratios R = X[i+1]/X[i] and densities F = exp(-X^2/2) of a ``c``-layer ziggurat.

    The construction of Doornik (2005, ZIGNOR) after Marsaglia & Tsang (2000): the tail starts
    at r and every layer, the base strip with its tail included, has area v.
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
_INV_2_52 = 1.0 / 4503599627370496.0
_INV_2_21 = 1.0 / 2097152.0
_LAYER_MASK = uint64(LAYERS - 1)
_LOW_22 = uint64(0x3FFFFF)
_HALF_TOP = 1.0 - 0.5 * _INV_2_21  # centres the 22-bit grid: u = (k + 1/2) 2^-21 - 1, mean 0


@kernel
def _from_bits(bits):
    """The ziggurat's uniform u in [-1, 1) (top 52 bits) and layer (bits 2..11) of one 64-bit output.

    The layer stays unsigned: numba indexes with it without a negative-index wraparound.
    """
    u = float(bits >> uint64(12)) * _INV_2_52 * 2.0 - 1.0
    return u, (bits >> uint64(2)) & _LAYER_MASK


@kernel
def _from_half(h):
    """u in [-1, 1) (low 22 bits) and layer (top 10 bits) of one 32-bit half of an output: float32 draws."""
    u = float(h & _LOW_22) * _INV_2_21 - _HALF_TOP
    return u, h >> uint64(22)


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
    """One N(0, 1) draw from generator ``g``: a 1024-layer ziggurat on one 64-bit output.

    The top 52 bits give the uniform u in [-1, 1) and bits 2..11 the layer, so the two
    never share bits (the layer and u are independent: the flaw Doornik's ZIGNOR fixes in
    Marsaglia & Tsang's version); the two lowest bits, the weakest of xoroshiro128+, are
    not used. 99.57% of draws take the first branch (98.5% with 256 layers, whose slow
    path cost a third of the generator's time); the wedge test compares with the
    tabulated densities, one ``exp`` per wedge draw.
    """
    while True:
        u, i = _from_bits(next_u64(state, g))
        if abs(u) < zig[1, i]:
            return u * zig[0, i]
        x = _slow_path(state, g, u, int(i), zig)
        if not math.isnan(x):
            return x


@kernel
def _finish(state, g, u, i, zig):
    """The rare slow path of a draw from generator ``g``, on its state in memory."""
    x = _slow_path(state, g, u, i, zig)
    if math.isnan(x):
        x = normal(state, g, zig)
    return x


@kernel(refcounts=False)
def _fill64(state, out, n, zig):
    """``fill_normals`` for float64 arrays: one draw per 64-bit output, A at even positions, B at odd."""
    a0 = state[0]
    a1 = state[1]
    b0 = state[2]
    b1 = state[3]
    X = zig[0]
    R = zig[1]
    # unsigned positions: numba then emits no negative-index wraparound in the hot loop
    k = uint64(0)
    pairs_end = uint64(n - n % 2)
    while k < pairs_end:
        x, a0, a1 = xoroshiro_step(a0, a1)
        y, b0, b1 = xoroshiro_step(b0, b1)
        u, i = _from_bits(x)
        v, j = _from_bits(y)
        # `&`, not `and`: one branch for the pair
        if (abs(u) < R[i]) & (abs(v) < R[j]):
            out[k] = u * X[i]
            out[k + uint64(1)] = v * X[j]
        else:
            state[0] = a0
            state[1] = a1
            state[2] = b0
            state[3] = b1
            out[k] = u * X[i] if abs(u) < R[i] else _finish(state, 0, u, int(i), zig)
            out[k + uint64(1)] = v * X[j] if abs(v) < R[j] else _finish(state, 2, v, int(j), zig)
            a0 = state[0]
            a1 = state[1]
            b0 = state[2]
            b1 = state[3]
        k += uint64(2)
    state[0] = a0
    state[1] = a1
    state[2] = b0
    state[3] = b1
    if n % 2 == 1:
        out[n - 1] = normal(state, 0, zig)


@kernel(refcounts=False)
def _fill32(state, out, n, zig):
    """``fill_normals`` for float32 arrays: two draws per 64-bit output, one from each 32-bit half.

    Of four consecutive positions, A's output gives the first and third (low half, high half)
    and B's the second and fourth. Each half holds a 22-bit u, finer than float32's rounding
    of the result for all but the top layers' smallest values, and a 10-bit layer; a rejected
    half finishes on 64-bit draws of its generator like a float64 draw.
    """
    a0 = state[0]
    a1 = state[1]
    b0 = state[2]
    b1 = state[3]
    X = zig[0]
    R = zig[1]
    k = uint64(0)
    quads_end = uint64(n - n % 4)
    while k < quads_end:
        x, a0, a1 = xoroshiro_step(a0, a1)
        y, b0, b1 = xoroshiro_step(b0, b1)
        u0, i0 = _from_half(x & uint64(0xFFFFFFFF))
        u1, i1 = _from_half(y & uint64(0xFFFFFFFF))
        u2, i2 = _from_half(x >> uint64(32))
        u3, i3 = _from_half(y >> uint64(32))
        if (abs(u0) < R[i0]) & (abs(u1) < R[i1]) & (abs(u2) < R[i2]) & (abs(u3) < R[i3]):
            out[k] = u0 * X[i0]
            out[k + uint64(1)] = u1 * X[i1]
            out[k + uint64(2)] = u2 * X[i2]
            out[k + uint64(3)] = u3 * X[i3]
        else:
            state[0] = a0
            state[1] = a1
            state[2] = b0
            state[3] = b1
            out[k] = u0 * X[i0] if abs(u0) < R[i0] else _finish(state, 0, u0, int(i0), zig)
            out[k + uint64(1)] = u1 * X[i1] if abs(u1) < R[i1] else _finish(state, 2, u1, int(i1), zig)
            out[k + uint64(2)] = u2 * X[i2] if abs(u2) < R[i2] else _finish(state, 0, u2, int(i2), zig)
            out[k + uint64(3)] = u3 * X[i3] if abs(u3) < R[i3] else _finish(state, 2, u3, int(i3), zig)
            a0 = state[0]
            a1 = state[1]
            b0 = state[2]
            b1 = state[3]
        k += uint64(4)
    state[0] = a0
    state[1] = a1
    state[2] = b0
    state[3] = b1
    for m in range(n - n % 4, n):
        out[m] = normal(state, 0 if m % 2 == 0 else 2, zig)


@kernel(refcounts=False)
def fill_normals(state, out, n, zig):
    """Write ``n`` independent N(0, 1) draws into ``out[0:n]``; ``zig`` is ``ZIGGURAT`` (or a copy, e.g. in a GPU block's shared memory).

    float64 ``out``: position k takes the next draw of generator A (even k) or B (odd k), the
    same values as ``normal(state, 0 if k % 2 == 0 else 2, zig)`` in that order. float32
    ``out``: two draws from each 64-bit output (``_fill32``). The two interleaved generators
    keep two dependency chains in flight; their states live in registers and go back to
    ``state`` only around the rare slow path. Compiled without reference counting: a call
    costs little, and inlining this body into every kernel took 4x the compile time of a
    problem/optimizer pair (measured: 15 s against 3.5 s) for 6% more draws/s.
    """
    if out.itemsize == 4:  # a compile-time constant: each dtype compiles one branch
        _fill32(state, out, n, zig)
    else:
        _fill64(state, out, n, zig)


def seed_key(seed):
    """Map a user seed in [0, 2**64) to the uint64 key the kernels use (``splitmix64`` in Python)."""
    m = 0xFFFFFFFFFFFFFFFF
    z = (int(seed) + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)
