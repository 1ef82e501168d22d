"""The in-kernel generator: bit-exact reference values and the distribution of its normals."""
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


def _normals(seed, n, run=0):
    state = np.zeros(4, np.uint64)
    _rng.seed_stream(np.uint64(_rng.seed_key(seed)), run, state)
    out = np.empty(n)
    _rng.fill_normals(state, out, n, _rng.ZIGGURAT)
    return out


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


def test_normal_distribution():
    n = 2_000_000
    x = _normals(7, n)
    se = 1 / np.sqrt(n)
    assert abs(x.mean()) < 5 * se
    assert abs(x.var() - 1) < 5 * np.sqrt(2) * se
    assert abs(stats.skew(x)) < 5 * np.sqrt(6) * se
    assert abs(stats.kurtosis(x)) < 5 * np.sqrt(24) * se
    assert stats.kstest(x, "norm").pvalue > 1e-3
    # the tail branch (|x| > 3.44) and the wedges: counts in bins against the normal's probabilities
    edges = np.array([-np.inf, -4, -3.6541528853610088, -2.5, -1, 0, 1, 2.5, 3.6541528853610088, 4, np.inf])
    counts, _ = np.histogram(x, edges)
    expected = n * np.diff(stats.norm.cdf(edges))
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_runs_and_generators_are_independent():
    a, b = _normals(11, 200_000, run=0), _normals(11, 200_000, run=1)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)
    assert abs(np.corrcoef(a[0::2], a[1::2])[0, 1]) < 5 / np.sqrt(a.size / 2)
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 5 / np.sqrt(a.size)
    assert not np.array_equal(_normals(11, 10), _normals(12, 10))
