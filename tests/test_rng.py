"""The in-kernel generator: bit-exact reference values and the distribution of its normals."""
import math

import numpy as np
import pytest
from scipy import stats

from simsgd.device import rng as _rng

M64 = 0xFFFFFFFFFFFFFFFF


def _splitmix(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


def _reference_stream(key, run, n, g=0):
    """Generator g (0: A, 2: B) of run ``run``: xoroshiro128+ (24, 16, 37) seeded by SplitMix64, in Python ints."""
    base = (key + run * 4 * 0x9E3779B97F4A7C15) & M64
    s0 = _splitmix((base + g * 0x9E3779B97F4A7C15) & M64)
    s1 = _splitmix((base + (g + 1) * 0x9E3779B97F4A7C15) & M64)
    out = []
    for _ in range(n):
        out.append((s0 + s1) & M64)
        s1 ^= s0
        s0 = _rotl(s0, 24) ^ s1 ^ ((s1 << 16) & M64)
        s1 = _rotl(s1, 37)
    return out


@pytest.mark.parametrize("seed,run", [(0, 0), (0, 1), (12345, 999_999), (2**64 - 1, 2**40)])
def test_stream_matches_reference(seed, run):
    key = _rng.seed_key(seed)
    assert key == int(_rng.splitmix64(np.uint64(seed)))
    state = np.zeros(4, np.uint64)
    _rng.seed_stream(np.uint64(key), run, state)
    for g in (0, 2):
        got = [int(_rng.next_u64(state, g)) for _ in range(20)]
        assert got == _reference_stream(key, run, 20, g)


def _normals(seed, n, run=0, dtype=np.float64):
    state = np.zeros(4, np.uint64)
    _rng.seed_stream(np.uint64(_rng.seed_key(seed)), run, state)
    out = np.empty(n, dtype)
    _rng.fill_normals(state, out, n, _rng.ZIGGURAT)
    return out


def test_ziggurat_tables_close():
    """Every layer, the base strip with its tail, has area v, and the top layer closes at density 1."""
    x, f = _rng.ZIGGURAT[0], _rng.ZIGGURAT[2]
    c, r, v = _rng.LAYERS, _rng._ZIG_TAIL, _rng._ZIG_AREA
    assert x.shape == (c + 1,) and x[1] == r and x[c] == 0.0
    base = r * np.exp(-0.5 * r * r) + np.sqrt(np.pi / 2) * math.erfc(r / np.sqrt(2))
    assert base == pytest.approx(v, rel=1e-12)
    layers = x[1:c] * (f[2:c + 1] - f[1:c])  # layer i spans densities f(x_i) .. f(x_{i+1}), width x_i
    np.testing.assert_allclose(layers, v, rtol=1e-10)
    np.testing.assert_allclose(_rng.ZIGGURAT[1, :c], x[1:] / x[:-1])
    # acceptance of the first try: the mean of R, 99.57% for 1024 layers
    assert _rng.ZIGGURAT[1, :c].mean() == pytest.approx(0.99572, abs=1e-5)


@pytest.mark.parametrize("n", [5000, 4999])
def test_fill_normals_interleaves_the_two_generators(n):
    a = _normals(3, n)
    state = np.zeros(4, np.uint64)
    _rng.seed_stream(np.uint64(_rng.seed_key(3)), 0, state)
    b = np.array([_rng.normal(state, 0 if k % 2 == 0 else 2, _rng.ZIGGURAT) for k in range(n)])
    assert np.array_equal(a, b)
    rest = np.empty(2)
    _rng.fill_normals(state, rest, 2, _rng.ZIGGURAT)  # the stream goes on where fill_normals left it
    again = np.empty(n + 2) if n % 2 == 0 else None
    if again is not None:
        state2 = np.zeros(4, np.uint64)
        _rng.seed_stream(np.uint64(_rng.seed_key(3)), 0, state2)
        _rng.fill_normals(state2, again, n + 2, _rng.ZIGGURAT)
        assert np.array_equal(again[n:], rest)


def _half(h):
    """A 32-bit half's draw: 22-bit centred u and the top 10 bits' layer, as ``_fill32`` reads them."""
    return ((h & 0x3FFFFF) + 0.5) / 2**21 - 1.0, h >> 22


@pytest.mark.parametrize("n", [4000, 4003])
def test_float32_draws_two_per_output(n):
    """float32: positions 4m, 4m+2 from A's low and high halves, 4m+1, 4m+3 from B's; rejected halves finish on 64-bit draws."""
    got = _normals(5, n, dtype=np.float32)
    state = np.zeros(4, np.uint64)
    _rng.seed_stream(np.uint64(_rng.seed_key(5)), 0, state)
    X, R = _rng.ZIGGURAT[0], _rng.ZIGGURAT[1]
    want, finished = [], 0
    for _ in range(n // 4):
        a, b = int(_rng.next_u64(state, 0)), int(_rng.next_u64(state, 2))
        for g, word in ((0, a & 0xFFFFFFFF), (2, b & 0xFFFFFFFF), (0, a >> 32), (2, b >> 32)):
            u, i = _half(word)
            if abs(u) < R[i]:
                want.append(u * X[i])
            else:
                want.append(_rng._finish(state, g, u, i, _rng.ZIGGURAT))
                finished += 1
    want += [_rng.normal(state, 0 if m % 2 == 0 else 2, _rng.ZIGGURAT) for m in range(n - n % 4, n)]
    assert finished > 0  # the slow path was exercised
    assert np.array_equal(got, np.array(want, np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normal_distribution(dtype):
    n = 4_000_000
    x = _normals(7, n, dtype=dtype).astype(np.float64)
    se = 1 / np.sqrt(n)
    assert abs(x.mean()) < 5 * se
    assert abs(x.var() - 1) < 5 * np.sqrt(2) * se
    assert abs(stats.skew(x)) < 5 * np.sqrt(6) * se
    assert abs(stats.kurtosis(x)) < 5 * np.sqrt(24) * se
    assert stats.kstest(x[:1_000_000], "norm").pvalue > 1e-3
    # 200 equiprobable bins (every layer's rectangles and wedges), then the tail branch (|x| > r) apart
    counts, _ = np.histogram(stats.norm.cdf(x), 200, (0.0, 1.0))
    assert stats.chisquare(counts).pvalue > 1e-3
    r = _rng._ZIG_TAIL
    edges = np.array([-np.inf, -r, -3.5, -2.5, -1, 0, 1, 2.5, 3.5, r, np.inf])
    counts, _ = np.histogram(x, edges)
    expected = n * np.diff(stats.norm.cdf(edges))
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_tail_to_six_sigma():
    """The tail branch alone (first try in the base strip, |u| X_0 beyond r) against the normal's tail to 6 sigma and beyond."""
    state = np.zeros(4, np.uint64)
    _rng.seed_stream(np.uint64(_rng.seed_key(9)), 0, state)
    n, r = 400_000, _rng._ZIG_TAIL
    x = np.array([_rng._slow_path(state, 0, 1.0 - 2.0 * (k % 2), 0, _rng.ZIGGURAT) for k in range(n)])
    assert np.all(np.abs(x) > r) and abs((x > 0).mean() - 0.5) < 5 * 0.5 / np.sqrt(n)
    t = np.abs(x)
    edges = np.array([r, 4.2, 4.4, 4.7, 5.0, 5.5, 6.0, np.inf])
    counts, _ = np.histogram(t, edges)
    expected = n * np.diff(stats.norm.cdf(edges)) / stats.norm.sf(r)
    assert expected[-1] > 10  # about 15 draws beyond 6 sigma expected
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    assert t.mean() == pytest.approx(stats.truncnorm.mean(r, np.inf), abs=5 * t.std() / np.sqrt(n))


def test_runs_and_generators_are_independent():
    a, b = _normals(11, 200_000, run=0), _normals(11, 200_000, run=1)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)
    assert abs(np.corrcoef(a[0::2], a[1::2])[0, 1]) < 5 / np.sqrt(a.size / 2)
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 5 / np.sqrt(a.size)
    assert not np.array_equal(_normals(11, 10), _normals(12, 10))
