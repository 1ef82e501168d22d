"""The in-kernel generator: bit-exact reference values and the distribution of its normals."""
import numpy as np
import pytest
from scipy import stats

from simsgd import _rng

M64 = 0xFFFFFFFFFFFFFFFF


def _splitmix(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


def _reference_stream(key, run, n):
    """xoroshiro128+ (24, 16, 37) seeded by SplitMix64 of (key, run), in plain Python integers."""
    base = (key + run * 2 * 0x9E3779B97F4A7C15) & M64
    s0, s1 = _splitmix(base), _splitmix((base + 0x9E3779B97F4A7C15) & M64)
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
    state = np.zeros(2, np.uint64)
    _rng.seed_stream(np.uint64(key), run, state)
    got = [int(_rng.next_u64(state)) for _ in range(20)]
    assert got == _reference_stream(key, run, 20)


def _normals(seed, n, run=0):
    state = np.zeros(2, np.uint64)
    _rng.seed_stream(np.uint64(_rng.seed_key(seed)), run, state)
    out = np.empty(n)
    _rng.fill_normals(state, out, n)
    return out


def test_fill_normals_is_repeated_normal():
    a = _normals(3, 5000)
    state = np.zeros(2, np.uint64)
    _rng.seed_stream(np.uint64(_rng.seed_key(3)), 0, state)
    b = np.array([_rng.normal(state) for _ in range(5000)])
    assert np.array_equal(a, b)


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
    edges = np.array([-np.inf, -4, -3.442619855899, -2.5, -1, 0, 1, 2.5, 3.442619855899, 4, np.inf])
    counts, _ = np.histogram(x, edges)
    expected = n * np.diff(stats.norm.cdf(edges))
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_runs_are_independent():
    a, b = _normals(11, 200_000, run=0), _normals(11, 200_000, run=1)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)
    assert not np.array_equal(_normals(11, 10), _normals(12, 10))
