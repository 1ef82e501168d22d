"""Minimum-norm least squares kernels (Gaussian design, random ReLU features) and the double-descent closed forms."""
import numpy as np
import pytest

from simsgd.engine.statistics import z_threshold, zscores
from simsgd.montecarlo.least_norm import (gram_factor, min_norm_apply, min_norm_fits, min_norm_solution,
                                          random_features_fits)
from simsgd.theory.double_descent import min_norm_risk_exact, min_norm_risk_limit


@pytest.mark.parametrize("shape", [(12, 5), (5, 12), (9, 9), (1, 4), (4, 1)])
def test_solver_equals_pinv(shape):
    rs = np.random.default_rng(sum(shape))
    A = rs.standard_normal(shape)
    y = rs.standard_normal(shape[0])
    np.testing.assert_allclose(min_norm_solution(A, y), np.linalg.pinv(A) @ y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n, p", [(10, 4), (4, 10)])
def test_solver_reads_the_leading_columns_of_a_wider_buffer(n, p):
    rs = np.random.default_rng(n * p)
    A = np.full((n, 13), np.nan)  # columns past p must never be read
    A[:, :p] = rs.standard_normal((n, p))
    y = rs.standard_normal(n)
    k = min(n, p)
    G = np.full((k + 2, k + 2), np.nan)
    out = np.full(13, np.nan)
    assert gram_factor(A, n, p, G)
    min_norm_apply(A, n, p, G, y, out, np.empty(n))
    np.testing.assert_allclose(out[:p], np.linalg.lstsq(A[:, :p], y, rcond=None)[0], rtol=1e-10, atol=1e-12)


def test_singular_design_raises():
    A = np.ones((4, 3))
    with pytest.raises(np.linalg.LinAlgError):
        min_norm_solution(A, np.ones(4))


def test_means_match_exact_finite_n():
    n, ps, sigma, r, runs = 20, [3, 8, 12, 28, 32, 60], 0.7, 1.3, 3000
    f = min_norm_fits(n, ps, sigma, r, runs, seed=5)
    bias, var = min_norm_risk_exact(n, np.array(ps), sigma, r)
    above = np.array(ps) > n
    sem = {k: f[k].std(axis=0, ddof=1) / np.sqrt(runs) for k in ("bias", "variance", "excess")}
    z = np.concatenate([zscores(f["variance"].mean(0), sem["variance"], var),
                        zscores(f["excess"].mean(0), sem["excess"], bias + var),
                        zscores(f["bias"].mean(0)[above], sem["bias"][above], bias[above])])
    assert np.max(np.abs(z)) < z_threshold(z.size)
    assert np.max(f["bias"][:, ~above]) < 1e-20
    assert not f["failed"].any()


def test_parts_are_exact_without_noise_or_signal():
    n, ps = 15, [5, 15, 30]
    quiet = min_norm_fits(n, ps, 0.0, 1.0, 50, seed=1)
    np.testing.assert_array_equal(quiet["variance"], 0.0)
    np.testing.assert_allclose(quiet["excess"], quiet["bias"], rtol=1e-12, atol=1e-24)
    flat = min_norm_fits(n, ps, 0.5, 0.0, 50, seed=1)
    np.testing.assert_array_equal(flat["bias"], 0.0)
    np.testing.assert_allclose(flat["excess"], flat["variance"], rtol=1e-12)


def test_random_features_interpolate_and_nest():
    ps = [2, 5, 10, 20, 21, 30, 60]
    f = random_features_fits(20, 6, ps, 0.5, 200, 50, seed=3)
    assert not f["failed"].any()
    above = np.array(ps) > 20
    assert np.max(f["train_error"][:, above]) < 1e-18
    # the features are nested (the first p rows of one W): the least-squares residual cannot grow with p
    assert np.all(np.diff(f["train_error"][:, ~above], axis=1) <= 1e-12)
    assert np.all(np.isfinite(f["test_error"])) and np.all(f["test_error"] > 0)


def test_failed_factorisations_are_inf_not_nan():
    # with one input, relu(w x) is |w| relu(+-x): at most two distinct columns, so p >= 3 is singular
    f = random_features_fits(5, 1, [1, 2, 3, 6], 0.5, 50, 10, seed=0)
    for key in ("test_error", "train_error"):
        np.testing.assert_array_equal(np.isinf(f[key]), f["failed"])
        assert not np.isnan(f[key]).any()
    assert not f["failed"][:, 0].any() and f["failed"][:, 3].mean() > 0.9


def test_same_bits_with_one_and_two_threads():
    a = min_norm_fits(12, [4, 12, 20], 0.5, 1.0, 300, seed=9, threads=1)
    b = min_norm_fits(12, [4, 12, 20], 0.5, 1.0, 300, seed=9, threads=2)
    c = random_features_fits(12, 3, [4, 12, 20], 0.5, 300, 20, seed=9, threads=1)
    d = random_features_fits(12, 3, [4, 12, 20], 0.5, 300, 20, seed=9, threads=2)
    for x, y in ((a, b), (c, d)):
        for k in x:
            assert np.array_equal(x[k], y[k])
    assert not np.array_equal(a["excess"], min_norm_fits(12, [4, 12, 20], 0.5, 1.0, 300, seed=10)["excess"])


def test_exact_forms_tend_to_the_proportional_limit():
    n = 10**6
    gamma = np.array([0.1, 0.5, 0.9, 1.1, 2.0, 10.0])
    b, v = min_norm_risk_exact(n, np.round(gamma * n), 0.5, 1.0)
    bl, vl = min_norm_risk_limit(gamma, 0.5, 1.0)
    np.testing.assert_allclose(b, bl, rtol=1e-4)
    np.testing.assert_allclose(v, vl, rtol=1e-4)


def test_exact_forms_at_the_threshold_and_by_hand():
    b, v = min_norm_risk_exact(10, np.array([4, 8, 9, 10, 11, 12, 20]), 2.0, 3.0)
    np.testing.assert_allclose(b, [0, 0, 0, 0, 9 * (1 - 10 / 11), 9 * (1 - 10 / 12), 9 * 0.5])
    assert v[0] == pytest.approx(4 * 4 / 5) and v[1] == pytest.approx(4 * 8) and v[5] == pytest.approx(4 * 10)
    assert np.all(np.isinf(v[2:5])) and v[6] == pytest.approx(4 * 10 / 9)
    bl, vl = min_norm_risk_limit(np.array([0.5, 1.0, 2.0]), 1.0, 1.0)
    np.testing.assert_allclose(bl, [0, 0, 0.5])
    assert vl[0] == 1 and np.isinf(vl[1]) and vl[2] == 1


@pytest.mark.parametrize("call, name", [
    (lambda: min_norm_fits(1, [2], 0.5, 1.0, 10), "n"),
    (lambda: min_norm_fits(10, [], 0.5, 1.0, 10), "ps"),
    (lambda: min_norm_fits(10, [0, 3], 0.5, 1.0, 10), "ps"),
    (lambda: min_norm_fits(10, [2.5], 0.5, 1.0, 10), "ps"),
    (lambda: min_norm_fits(10, [[2]], 0.5, 1.0, 10), "ps"),
    (lambda: min_norm_fits(10, [2], -0.5, 1.0, 10), "noise_std"),
    (lambda: min_norm_fits(10, [2], 0.5, float("nan"), 10), "signal"),
    (lambda: min_norm_fits(10, [2], 0.5, 1.0, 0), "runs"),
    (lambda: min_norm_fits(10, [2], 0.5, 1.0, 10, seed=-1), "seed"),
    (lambda: random_features_fits(10, 0, [2], 0.5, 10, 5), "d"),
    (lambda: random_features_fits(10, 2, [2], 0.5, 10, 0), "test_points"),
    (lambda: random_features_fits(10, 2, "ab", 0.5, 10, 5), "ps"),
    (lambda: random_features_fits(10, 2, [2], float("inf"), 10, 5), "noise_std"),
    (lambda: min_norm_solution(np.ones((3, 2)), np.ones(2)), "A"),
    (lambda: min_norm_risk_exact(0, [2], 0.5, 1.0), "n"),
    (lambda: min_norm_risk_exact(10, [0], 0.5, 1.0), "p"),
    (lambda: min_norm_risk_limit([-1.0], 0.5, 1.0), "gamma"),
    (lambda: min_norm_risk_limit([0.5], 0.5, -1.0), "signal"),
])
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
