"""Per-run random streams: SplitMix64 seeding, xoroshiro128+, ziggurat normals.

Each run owns a 128-bit xoroshiro128+ state (Blackman & Vigna, 2018; constants
a=24, b=16, c=37) stored in a ``uint64[2]`` array. The state of run ``r`` under
``seed`` is two SplitMix64 outputs keyed by ``(seed, r)``, so any run can be
regenerated on its own in constant time. Streams start at independent-looking
points of a 2**128 - 1 period; the chance that two of 1e6 runs overlap within
1e10 draws is below 1e-16.

Every constant is cast to ``uint64``: numba promotes ``uint64 op int`` to
``int64``, which would turn ``>>`` into an arithmetic shift.
"""
import math

import numpy as np
from numba import uint64

from ._jit import kernel

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


@kernel
def seed_stream(seed_key, run, state):
    """Write the xoroshiro128+ state of run ``run`` under ``seed_key`` into ``state[0:2]``."""
    base = uint64(seed_key) + uint64(run) * uint64(2) * _GOLDEN
    s0 = splitmix64(base)
    s1 = splitmix64(base + _GOLDEN)
    if s0 == uint64(0) and s1 == uint64(0):
        s0 = uint64(1)
    state[0] = s0
    state[1] = s1


@kernel
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@kernel
def next_u64(state):
    """Advance xoroshiro128+ and return its 64-bit output."""
    s0 = state[0]
    s1 = state[1]
    result = s0 + s1
    s1 ^= s0
    state[0] = _rotl(s0, 24) ^ s1 ^ (s1 << uint64(16))
    state[1] = _rotl(s1, 37)
    return result


@kernel
def next_double(state):
    """Uniform double in [0, 1) from the top 53 bits (the low bits of xoroshiro128+ are weaker)."""
    return float(next_u64(state) >> uint64(11)) * _INV_2_53


def _ziggurat_tables(c=128, r=3.442619855899, v=9.91256303526217e-3):
    """Layer edges X and ratios R = X[i+1]/X[i] of Doornik's 128-layer ziggurat (ZIGNOR, 2005)."""
    x = np.zeros(c + 1)
    f = math.exp(-0.5 * r * r)
    x[0] = v / f
    x[1] = r
    for i in range(2, c):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_R = _ziggurat_tables()
_ZIG_TAIL = 3.442619855899
_INV_2_52 = 1.0 / 4503599627370496.0


@kernel
def _from_bits(bits):
    """The ziggurat's uniform u in [-1, 1) (top 52 bits) and layer (bits 4..10) of one output."""
    u = float(bits >> uint64(12)) * _INV_2_52 * 2.0 - 1.0
    return u, int((bits >> uint64(4)) & uint64(127))


@kernel
def _slow_path(state, u, i):
    """Finish a draw whose first try missed layer ``i``'s rectangle: the tail, or a wedge test (NaN if rejected)."""
    if i == 0:
        # tail beyond R (Marsaglia, 1964)
        while True:
            x = math.log(1.0 - next_double(state)) / _ZIG_TAIL
            y = math.log(1.0 - next_double(state))
            if -2.0 * y >= x * x:
                break
        return x - _ZIG_TAIL if u < 0.0 else _ZIG_TAIL - x
    x = u * _ZIG_X[i]
    f0 = math.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
    f1 = math.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
    if f1 + next_double(state) * (f0 - f1) < 1.0:
        return x
    return math.nan  # rejected: the caller draws afresh


@kernel
def normal(state):
    """One N(0, 1) draw: Doornik's ZIGNOR ziggurat (2005) on one 64-bit output.

    The top 52 bits give the uniform u in [-1, 1) and bits 4..10 the layer, so the two
    never share bits (the layer and u are independent, the flaw ZIGNOR fixes in
    Marsaglia & Tsang's version). About 99% of draws take the first branch.
    """
    while True:
        u, i = _from_bits(next_u64(state))
        if abs(u) < _ZIG_R[i]:
            return u * _ZIG_X[i]
        x = _slow_path(state, u, i)
        if not math.isnan(x):
            return x


@kernel
def fill_normals(state, out, n):
    """Write ``n`` independent N(0, 1) draws into ``out[0:n]``; the same draws as ``n`` calls of ``normal``.

    The fast path keeps the generator state in local variables (registers) and
    writes it back only around the rare slow path.
    """
    s0 = state[0]
    s1 = state[1]
    for k in range(n):
        bits = s0 + s1
        s1 ^= s0
        s0 = _rotl(s0, 24) ^ s1 ^ (s1 << uint64(16))
        s1 = _rotl(s1, 37)
        u, i = _from_bits(bits)
        if abs(u) < _ZIG_R[i]:
            out[k] = u * _ZIG_X[i]
        else:
            state[0] = s0
            state[1] = s1
            x = _slow_path(state, u, i)
            if math.isnan(x):
                x = normal(state)
            out[k] = x
            s0 = state[0]
            s1 = state[1]
    state[0] = s0
    state[1] = s1


def seed_key(seed):
    """Map a user seed in [0, 2**64) to the uint64 key the kernels use (``splitmix64`` in Python)."""
    m = 0xFFFFFFFFFFFFFFFF
    z = (int(seed) + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)
