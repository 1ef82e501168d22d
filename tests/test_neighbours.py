"""1-NN regression on the torus: the compiled runs against the exact error, the exact error against NumPy."""
import numpy as np
import pytest

from simsgd.device.rng import next_double, seed_key, seed_stream
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.montecarlo import nearest_neighbour_error as simulate_errors
from simsgd.theory.neighbours import (
    ball_volume,
    n_reaching,
    nearest_neighbour_error_exact,
    nearest_neighbour_remainder,
    sphere_cosine,
)


def _target(x):
    d = x.shape[-1]
    return np.sqrt(2.0 / d) * np.cos(2 * np.pi * x).sum(axis=-1)


def _torus_sq_dist(a, b):
    g = np.abs(a[..., :, None, :] - b[..., None, :, :])
    g = np.minimum(g, 1.0 - g)
    return (g * g).sum(axis=-1)


def test_sphere_cosine_closed_forms_and_ball_volume():
    r = np.array([0.0, 0.05, 0.2, 0.45, 0.8])
    np.testing.assert_allclose(sphere_cosine(1, r), np.cos(2 * np.pi * r), atol=1e-14)
    np.testing.assert_allclose(sphere_cosine(3, r), np.sinc(2 * r), atol=1e-14)  # sin(2 pi r) / (2 pi r)
    assert ball_volume(2) == pytest.approx(np.pi, rel=1e-14)
    assert ball_volume(3) == pytest.approx(4 * np.pi / 3, rel=1e-14)


def test_exact_error_limits():
    # one training point is independent of the test point: E (f(x) - f(y))^2 = 2 Var f = 2, within the remainder
    for d in (2, 4, 8):
        assert abs(nearest_neighbour_error_exact(d, 1.0)[()] - 2.0) <= nearest_neighbour_remainder(d, 1.0)[()]
    assert nearest_neighbour_error_exact(1, 1.0)[()] == pytest.approx(2.0, rel=1e-10)  # no remainder in d = 1
    # d = 1, large n: 2 E (2 pi r)^2 / 2 with E r^2 = 1 / (2 (n + 1) (n + 2)), up to O(1/n^2) relatively
    n = np.array([1e5, 1e7])
    np.testing.assert_allclose(nearest_neighbour_error_exact(1, n), 2 * np.pi**2 / ((n + 1) * (n + 2)), rtol=1e-6)
    # label noise adds sigma^2; the error decreases in n; n_reaching inverts it
    assert nearest_neighbour_error_exact(3, 40.0, noise=0.5)[()] == pytest.approx(nearest_neighbour_error_exact(3, 40.0)[()]
                                                                           + 0.25, rel=1e-12)
    assert np.all(np.diff(nearest_neighbour_error_exact(5, np.geomspace(10, 1e5, 30))) < 0)
    ns = n_reaching(4, 0.3)
    assert nearest_neighbour_error_exact(4, ns)[()] == pytest.approx(0.3, rel=1e-9)


def test_exact_error_against_numpy_monte_carlo():
    rng = np.random.default_rng(12)
    reps, m = 3000, 8
    cases = [(1, 5), (2, 20), (3, 30), (5, 50)]
    z, thr = [], z_threshold(len(cases))
    for d, n in cases:
        err = np.empty(reps)
        for c in range(0, reps, 500):
            x = rng.random((500, m, d))
            y = rng.random((500, n, d))
            nearest = np.argmin(_torus_sq_dist(x, y), axis=-1)
            pred = np.take_along_axis(_target(y), nearest, axis=-1)
            err[c:c + 500] = np.mean((_target(x) - pred) ** 2, axis=-1)
        sem = err.std(ddof=1) / np.sqrt(reps)
        assert nearest_neighbour_remainder(d, n)[()] < 0.1 * sem
        z.append(zscores(err.mean(), sem, nearest_neighbour_error_exact(d, n)[()]))
    assert np.all(np.abs(z) < thr), z


def test_kernel_against_exact_error():
    cases = [(2, [8, 20, 100], 0.0), (4, [60, 300], 0.0), (3, [100], 0.5)]
    thr = z_threshold(sum(len(ns) for _, ns, _ in cases))
    for d, ns, noise in cases:
        e = simulate_errors(d, ns, 2000, test_points=32, noise=noise, seed=3)
        sem = e.std(axis=0, ddof=1) / np.sqrt(e.shape[0])
        assert np.all(nearest_neighbour_remainder(d, np.array(ns)) < 0.1 * sem)
        z = zscores(e.mean(axis=0), sem, nearest_neighbour_error_exact(d, ns, noise=noise))
        assert np.all(np.abs(z) < thr), (d, z)


def test_kernel_equals_numpy_on_the_same_stream():
    # noise-free: a run draws its m x d test coordinates, then d coordinates per training point, all uniform
    d, m, ns, seed = 3, 5, [1, 2, 7, 40], 11
    out = simulate_errors(d, ns, 3, test_points=m, seed=seed)
    state = np.zeros(4, dtype=np.uint64)
    for r in range(3):
        seed_stream(np.uint64(seed_key(seed)), r, state)
        u = np.array([next_double(state, 0) for _ in range((m + ns[-1]) * d)])
        x, y = u[:m * d].reshape(m, d), u[m * d:].reshape(ns[-1], d)
        for k, n in enumerate(ns):
            nearest = np.argmin(_torus_sq_dist(x, y[:n]), axis=-1)
            expected = np.mean((_target(x) - _target(y[:n])[nearest]) ** 2)
            assert out[r, k] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_same_bits_whatever_the_thread_count():
    a = simulate_errors(4, [3, 30, 200], 97, test_points=7, noise=0.3, seed=5, threads=1)
    b = simulate_errors(4, [3, 30, 200], 97, test_points=7, noise=0.3, seed=5, threads=2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, simulate_errors(4, [3, 30, 200], 97, test_points=7, noise=0.3, seed=6))


@pytest.mark.parametrize("kwargs, name", [
    ({"d": 0}, "d"), ({"ns": [5, 3]}, "ns"), ({"ns": [0, 4]}, "ns"), ({"ns": [2, 2]}, "ns"), ({"ns": [1.5]}, "ns"),
    ({"ns": []}, "ns"), ({"ns": [[1, 2]]}, "ns"), ({"ns": ["a"]}, "ns"), ({"runs": 0}, "runs"),
    ({"test_points": 0}, "test_points"), ({"noise": -0.1}, "noise"), ({"noise": float("nan")}, "noise"),
    ({"seed": -1}, "seed"), ({"threads": 0}, "threads"),
])
def test_bad_arguments_raise(kwargs, name):
    args = {"d": 2, "ns": [1, 10], "runs": 4, **kwargs}
    with pytest.raises(ValueError, match=name):
        simulate_errors(**args)


def test_theory_bad_arguments_raise():
    with pytest.raises(ValueError, match="d"):
        nearest_neighbour_error_exact(0, 5)
    with pytest.raises(ValueError, match="n"):
        nearest_neighbour_error_exact(2, [0.5, 4])
    with pytest.raises(ValueError, match="noise"):
        nearest_neighbour_error_exact(2, 4, noise=-1.0)
    with pytest.raises(ValueError, match="level"):
        n_reaching(2, -0.3)
