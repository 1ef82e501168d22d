"""Least-squares polynomial fits in the Monte Carlo kernel: exact fits, exact group summaries, and bias and
variance against the NumPy oracle of random designs."""
import numpy as np
import pytest
from numpy.polynomial import chebyshev as cheb

from simsgd.engine.statistics import t_threshold, z_threshold, zscores
from simsgd.montecarlo.polynomial import fit_all_degrees, polynomial_bias_variance, polynomial_fits
from simsgd.oracle import regression as oracle

COEF = 0.7 ** np.arange(25)
TEST_X = np.cos(np.pi * (np.arange(16) + 0.5) / 16)


def _lstsq(x, y, k):
    return np.linalg.lstsq(cheb.chebvander(x, k), y, rcond=None)[0]


@pytest.mark.parametrize("law", ["arcsine", "uniform"])
def test_fit_of_every_degree_equals_lstsq(law):
    rng = np.random.default_rng(1)
    n, K = 40, 12
    x = np.cos(np.pi * rng.random(n)) if law == "arcsine" else rng.uniform(-1, 1, n)
    y = np.sin(3 * x) + 0.3 * rng.standard_normal(n)
    coef = np.full((K + 1, K + 1), np.nan)
    assert fit_all_degrees(x, y, K, coef, np.empty((K + 1) * (K + 4)))
    for k in range(K + 1):
        np.testing.assert_allclose(coef[k, :k + 1], _lstsq(x, y, k), rtol=0, atol=1e-10)
        assert np.all(coef[k, k + 1:] == 0)


def test_fit_reports_a_singular_gram_matrix():
    x = np.zeros(3)  # one distinct input: no unique line (T_1 vanishes there, so the pivot is exactly 0)
    assert not fit_all_degrees(x, x, 1, np.zeros((2, 2)), np.empty(2 * 5))
    assert fit_all_degrees(x, x, 0, np.zeros((1, 1)), np.empty(4))


def test_group_of_one_set_is_its_fit_at_the_test_inputs():
    n, K = 20, 6
    fits = polynomial_fits(n, K, COEF, 0.5, TEST_X, runs=8, seed=3, groups=8)
    assert np.all(fits["sets"] == 1) and np.all(fits["m2"] == 0)
    for g in range(8):
        x, y = fits["first_x"][g], fits["first_y"][g]
        assert np.all(np.abs(x) <= 1)
        for k in range(K + 1):
            a = _lstsq(x, y, k)
            np.testing.assert_allclose(fits["first_coef"][g, k, :k + 1], a, atol=1e-10)
            np.testing.assert_allclose(fits["mean"][g, k], cheb.chebval(TEST_X, a), atol=1e-10)
    # the inputs are arcsine draws and the labels f + noise: f(x) is recovered with noise 0
    clean = polynomial_fits(n, K, COEF, 0.0, TEST_X, runs=8, seed=3, groups=8)
    np.testing.assert_array_equal(clean["first_x"], fits["first_x"])
    np.testing.assert_allclose(clean["first_y"], cheb.chebval(fits["first_x"], COEF), atol=1e-13)
    np.testing.assert_allclose(clean["test_error"], ((clean["mean"] - cheb.chebval(TEST_X, COEF)) ** 2).mean(-1),
                               atol=1e-13)


def test_jackknife_pseudo_values_equal_leave_one_group_out_recomputed():
    rng = np.random.default_rng(5)
    G, b, K, m = 7, 5, 3, 4
    x = np.linspace(-0.9, 0.9, m)
    coef = np.array([0.5, -0.2, 0.1])
    f = cheb.chebval(x, coef)
    pred = rng.standard_normal((G, b, K + 1, m)) * 0.3 + 0.2
    fits = {"mean": pred.mean(1), "m2": ((pred - pred.mean(1, keepdims=True)) ** 2).sum(1),
            "test_error": rng.random((G, K + 1)), "sets": np.full(G, b)}
    out = polynomial_bias_variance(fits, coef, x)

    def direct(p):
        mu, v = p.mean(0), p.var(0, ddof=1)
        return ((mu - f) ** 2 - v / p.shape[0]).mean(-1), v.mean(-1)

    flat = pred.reshape(G * b, K + 1, m)
    b_all, v_all = direct(flat)
    for g in range(G):
        b_loo, v_loo = direct(np.delete(pred, g, axis=0).reshape(-1, K + 1, m))
        np.testing.assert_allclose(out["bias2"][g], G * b_all - (G - 1) * b_loo, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(out["variance"][g], G * v_all - (G - 1) * v_loo, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(out["mean_fit"], flat.mean(0), atol=1e-14)
    np.testing.assert_allclose(out["mean_fit_se"], np.sqrt(flat.var(0, ddof=1) / (G * b)), rtol=1e-12)
    with pytest.raises(ValueError, match="equal size"):
        polynomial_bias_variance({**fits, "sets": np.array([b] * (G - 1) + [b - 1])}, coef, x)


def test_same_bits_whatever_the_thread_count():
    a = polynomial_fits(25, 8, COEF, 0.4, TEST_X, runs=240, seed=11, groups=24, threads=1)
    b = polynomial_fits(25, 8, COEF, 0.4, TEST_X, runs=240, seed=11, groups=24, threads=2)
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    c = polynomial_fits(25, 8, COEF, 0.4, TEST_X, runs=240, seed=12, groups=24, threads=2)
    assert not np.array_equal(a["mean"], c["mean"])


def test_bias_and_variance_agree_with_the_oracle():
    n, K, sigma, G = 40, 6, 0.5, 50
    fits = polynomial_fits(n, K, COEF, sigma, TEST_X, runs=4000, seed=2, groups=G)
    pv = polynomial_bias_variance(fits, COEF, TEST_X)
    o = oracle.bias_variance(COEF, sigma, n, K, TEST_X, designs=4000, seed=9, blocks=50)
    tests = fits["mean"][0].size + 2 * (K + 1)
    z_fit = zscores(pv["mean_fit"], np.hypot(pv["mean_fit_se"], o["mean_fit_se"]), o["mean_fit"])
    assert np.max(np.abs(z_fit)) < z_threshold(tests)
    thr = t_threshold(tests, G - 1)
    for key in ("variance", "test_error"):
        z = zscores(pv[key].mean(0), np.hypot(pv[key].std(0, ddof=1) / np.sqrt(G), o[key + "_se"]), o[key])
        assert np.max(np.abs(z)) < thr, key
    # the kernel's degree-0 fit is the mean label: variance (Var f(X) + sigma^2) / n, f's Chebyshev norm
    var_f = np.sum(COEF[1:] ** 2) / 2
    z0 = zscores(pv["variance"][:, 0].mean(), pv["variance"][:, 0].std(ddof=1) / np.sqrt(G), (var_f + sigma**2) / n)
    assert abs(z0) < t_threshold(1, G - 1)


def test_oracle_conditional_fits_equal_lstsq_and_the_inverse_gram():
    rng = np.random.default_rng(4)
    x = oracle.arcsine_designs(rng, 3, 30)
    mean, factor = oracle.conditional_fits(x, COEF, 8, TEST_X)
    for d in range(3):
        for k in range(9):
            phi, phi_t = cheb.chebvander(x[d], k), cheb.chebvander(TEST_X, k)
            np.testing.assert_allclose(mean[d, k], phi_t @ _lstsq(x[d], cheb.chebval(x[d], COEF), k), atol=1e-11)
            np.testing.assert_allclose(factor[d, k], np.einsum("ij,jk,ik->i", phi_t, np.linalg.inv(phi.T @ phi), phi_t),
                                       rtol=1e-9)


def test_oracle_at_degree_zero_is_exact():
    """Degree 0 fits the mean label: E = c_0, variance (Var f(X) + sigma^2) / n, and at Gauss-Chebyshev nodes
    (enough of them for f^2) bias^2 = Var f(X) = sum_{j>=1} c_j^2 / 2."""
    n, sigma, designs = 30, 0.5, 2000
    x = np.cos(np.pi * (np.arange(32) + 0.5) / 32)
    o = oracle.bias_variance(COEF, sigma, n, 2, x, designs=designs, seed=1, blocks=40)
    var_f = np.sum(COEF[1:] ** 2) / 2
    thr = z_threshold(x.size + 2)
    assert np.max(np.abs(zscores(o["mean_fit"][0], o["mean_fit_se"][0], COEF[0]))) < thr
    assert abs(zscores(o["variance"][0], o["variance_se"][0], (var_f + sigma**2) / n)) < thr
    # the error of the bias^2 estimate at degree 0 is d^2 - s^2 / D, d the mean fit's error: of second order
    assert abs(o["bias2"][0] - var_f) < (thr**2 + 1) * o["design_part"][0] / designs
    np.testing.assert_allclose(o["test_error"], o["bias2"] + o["variance"] + sigma**2)


def test_study_parameters_give_an_interior_minimum_in_theory():
    o = oracle.bias_variance(0.73 ** np.arange(61), 1.0, 150, 20, np.cos(np.pi * (np.arange(64) + 0.5) / 64),
                             designs=1000, seed=0, blocks=20)
    best = int(np.argmin(o["test_error"]))
    assert 3 <= best <= 10
    assert o["test_error"][0] - o["test_error"][best] > 0.3 and o["test_error"][20] - o["test_error"][best] > 0.05


@pytest.mark.parametrize("kwargs,name", [
    ({"n": 0}, "n"), ({"n": 10, "max_degree": 10}, "max_degree"), ({"max_degree": -1}, "max_degree"),
    ({"noise_std": -0.1}, "noise_std"), ({"noise_std": float("nan")}, "noise_std"),
    ({"coef": []}, "coef"), ({"coef": [[1.0]]}, "coef"), ({"coef": [1.0, np.inf]}, "coef"),
    ({"test_x": [0.0, 1.5]}, "test_x"), ({"test_x": "a"}, "test_x"),
    ({"runs": 250}, "runs"), ({"runs": 10, "groups": 20}, "runs"), ({"groups": 1}, "groups"),
    ({"seed": -1}, "seed"), ({"threads": 0}, "threads")])
def test_bad_arguments_name_the_parameter(kwargs, name):
    args = {"n": 20, "max_degree": 4, "coef": COEF, "noise_std": 0.5, "test_x": TEST_X, "runs": 200, "seed": 0,
            "groups": 20, "threads": None}
    with pytest.raises(ValueError, match=name):
        polynomial_fits(**{**args, **kwargs})
