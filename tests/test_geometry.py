"""Uniform points in the cube: the ball fraction and pairwise distances against exact theory and against NumPy."""
import math

import numpy as np
import pytest
from scipy import stats

from simsgd.device.rng import next_double, seed_key, seed_stream
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.montecarlo import ball_fraction, pairwise_distances
from simsgd.theory.dimension import ball_fraction_exact, cube_distance_moments, relative_spread


def _stream(seed, r):
    state = np.zeros(4, dtype=np.uint64)
    seed_stream(np.uint64(seed_key(seed)), r, state)
    return lambda: 2.0 * next_double(state, 0) - 1.0


def test_ball_fraction_matches_the_exact_fraction():
    d_max, n = 12, 400_000
    inside, samples = ball_fraction(d_max, n, seed=3, batch=1 << 16)
    assert samples == n and inside.dtype == np.int64 and inside.shape == (d_max,)
    exact = np.minimum(ball_fraction_exact(np.arange(1, d_max + 1)), 1.0)
    p = [stats.binomtest(int(k), n, float(f)).pvalue for k, f in zip(inside, exact)]
    assert min(p) > 1e-3 / d_max, p


def test_ball_counts_are_nested_prefixes():
    inside, n = ball_fraction(15, 30_000, seed=1, batch=7_000)
    assert inside[0] == n  # a coordinate of [-1, 1) is always inside [-1, 1]
    assert np.all(np.diff(inside) <= 0)


def test_ball_counts_equal_numpy_on_the_regenerated_points():
    seed, d_max, n, batch = 5, 6, 50, 16  # four batches, the last of 2 points
    inside, _ = ball_fraction(d_max, n, seed=seed, batch=batch)
    depths = []
    for r in range(-(-n // batch)):
        draw = _stream(seed, r)
        for _ in range(min(batch, n - r * batch)):
            x = [draw()]
            while np.sum(np.square(x)) <= 1.0 and len(x) < d_max:
                x.append(draw())
            ok = np.cumsum(np.square(x)) <= 1.0
            depths.append(int(np.sum(ok)))
    expect = [sum(dep >= d for dep in depths) for d in range(1, d_max + 1)]
    assert inside.tolist() == expect


def test_pairwise_equals_numpy_on_the_regenerated_points():
    seed, dims, n, runs = 9, [1, 3, 7], 4, 3
    out = pairwise_distances(dims, n, runs, seed=seed)
    for r in range(runs):
        draw = _stream(seed, r)
        for j, d in enumerate(dims):
            x = np.array([draw() for _ in range(n * d)]).reshape(n, d)
            i, k = np.triu_indices(n, 1)
            sq = np.sum((x[i] - x[k]) ** 2, axis=1)
            np.testing.assert_allclose(out["mean_sq"][r, j], sq.mean(), rtol=1e-13)
            np.testing.assert_allclose(out["mean_fourth"][r, j], np.mean(sq**2), rtol=1e-13)
            np.testing.assert_allclose(out["min"][r, j], np.sqrt(sq.min()), rtol=1e-13)
            np.testing.assert_allclose(out["max"][r, j], np.sqrt(sq.max()), rtol=1e-13)


def test_pairwise_moments_match_the_exact_ones():
    dims, runs = [1, 4, 30, 300], 400
    out = pairwise_distances(dims, 40, runs, seed=2)
    m2, m4 = cube_distance_moments(np.array(dims))
    z = [zscores(out[k].mean(axis=0), out[k].std(axis=0, ddof=1) / math.sqrt(runs), m)
         for k, m in (("mean_sq", m2), ("mean_fourth", m4))]
    assert np.max(np.abs(z)) < z_threshold(2 * len(dims))
    assert np.all(out["min"] <= np.sqrt(out["mean_sq"])) and np.all(np.sqrt(out["mean_sq"]) <= out["max"])


def test_same_bits_with_one_and_two_threads():
    a = ball_fraction(10, 20_000, seed=4, batch=1_000, threads=1)[0]
    b = ball_fraction(10, 20_000, seed=4, batch=1_000, threads=2)[0]
    assert np.array_equal(a, b)
    p = pairwise_distances([2, 50], 10, 37, seed=4, threads=1)
    q = pairwise_distances([2, 50], 10, 37, seed=4, threads=2)
    assert all(np.array_equal(p[k], q[k]) for k in p)


@pytest.mark.parametrize("kwargs, name", [
    ({"d_max": 0}, "d_max"), ({"samples": 0}, "samples"), ({"samples": 1.5}, "samples"), ({"seed": -1}, "seed"),
    ({"batch": 0}, "batch"), ({"samples": 1 << 22, "batch": 1}, "batch"), ({"threads": 0}, "threads"),
])
def test_ball_fraction_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ball_fraction(**{"d_max": 3, "samples": 10, **kwargs})


@pytest.mark.parametrize("kwargs, name", [
    ({"dims": []}, "dims"), ({"dims": [0, 2]}, "dims"), ({"dims": [1.5]}, "dims"), ({"dims": [[1, 2]]}, "dims"),
    ({"points": 1}, "points"), ({"runs": 0}, "runs"), ({"seed": 2**64}, "seed"), ({"threads": 1.0}, "threads"),
])
def test_pairwise_distances_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        pairwise_distances(**{"dims": [2], "points": 3, "runs": 2, **kwargs})


def test_ball_fraction_exact_values_and_recursion():
    f = ball_fraction_exact(np.arange(1, 41))
    assert f[0] == pytest.approx(1.0, rel=1e-15)
    assert f[1] == pytest.approx(math.pi / 4, rel=1e-15)
    assert f[2] == pytest.approx(math.pi / 6, rel=1e-15)
    assert f[9] == pytest.approx(math.pi**5 / 120 / 1024, rel=1e-13)
    # V_d = V_(d-2) 2 pi / d, and the cube's volume grows by 4
    np.testing.assert_allclose(f[2:], f[:-2] * math.pi / (2 * np.arange(3, 41)), rtol=1e-12)
    with pytest.raises(ValueError, match="d"):
        ball_fraction_exact(0)


def test_distance_moments_against_numpy_monte_carlo():
    rng = np.random.default_rng(0)
    n = 200_000
    assert np.allclose(relative_spread([1, 7, 100]), [math.sqrt(7 / 5), math.sqrt(1 / 5), math.sqrt(7 / 500)])
    for d in (1, 7):
        sq = np.sum((rng.uniform(-1, 1, (n, d)) - rng.uniform(-1, 1, (n, d))) ** 2, axis=1)
        m2, m4 = cube_distance_moments(d)
        assert np.sqrt(m4 - m2 * m2) / m2 == pytest.approx(relative_spread(d), rel=1e-14)
        for est, expected in ((sq, m2), (sq**2, m4)):
            assert abs(zscores(est.mean(), est.std() / math.sqrt(n), expected)) < z_threshold(4)
    # the unit cube [0, 1]^d: E D^2 = d/6, Var D^2 = 7d/180
    m2, m4 = cube_distance_moments(5, half_width=0.5)
    assert m2 == pytest.approx(5 / 6) and m4 - m2 * m2 == pytest.approx(7 * 5 / 180)
