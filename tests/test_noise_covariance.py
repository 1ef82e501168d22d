"""Quadratic(noise_cov=Sigma): gradient noise with a general covariance, misaligned with the curvature."""
import json

import numpy as np
import pytest

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores

LAM = np.array([0.05, 0.2, 0.5, 1.0])
LR, B, STEPS, RUNS = 0.4, 2, 200, 20_000


def _orthogonal(seed, d=4):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _misaligned_cov():
    """Strongly anisotropic noise in a basis unrelated to H's (and not diagonal in theta's coordinates)."""
    R = _orthogonal(11)
    return (R * np.array([4.0, 1.0, 0.1, 0.01])) @ R.T


@pytest.fixture(scope="module")
def misaligned():
    prob = ss.Quadratic(LAM, x0=[1.0, -0.5, 2.0, 0.0], theta_star=0.3, rotation=5, noise_cov=_misaligned_cov())
    res = ss.simulate(prob, ss.SGD(LR), runs=RUNS, steps=STEPS, batch_size=B, seed=4)
    return prob, res


def _max_z(res, prob, noise_var):
    """Largest |z| of the simulated mean error_sq and loss (steps 1..STEPS) against the exact SGD curves for
    per-eigendirection noise variances ``noise_var``, and the threshold for that many z-scores."""
    t = res.steps
    zs = []
    for m, fn in (("error_sq", theory.sgd_error_sq), ("loss", theory.sgd_loss)):
        exact = fn(t, LR, prob.eigenvalues, prob.e0, noise_var, B)
        zs.append(zscores(res.mean(m)[1:], res.sem(m)[1:], exact[1:]))
    return float(np.abs(np.concatenate(zs)).max()), z_threshold(2 * (t.size - 1))


def test_exact_theory_uses_the_eigenbasis_diagonal(misaligned):
    prob, res = misaligned
    right = theory.eigenbasis_noise_var(prob.noise_cov, prob.rotation)
    np.testing.assert_allclose(prob.noise_var, right, rtol=1e-14)
    z, zc = _max_z(res, prob, prob.noise_var)
    assert z < zc, (z, zc)
    # two plausible but wrong theories must be rejected by the same test: it has the power to fail
    cov = prob.noise_cov
    for name, wrong in (("isotropic trace/d", np.full(4, np.trace(cov) / 4)),
                        ("diag of noise_cov in theta's coordinates", np.diag(cov))):
        zw, _ = _max_z(res, prob, wrong)
        assert zw > zc, (name, zw, zc)


def test_average_mode_and_a_singular_covariance():
    """Rank-1 noise (a PSD matrix with zero eigenvalues, factored by its eigendecomposition), B samples averaged."""
    v = np.array([1.0, 2.0, -1.0, 0.5])
    prob = ss.Quadratic(LAM, x0=1.0, rotation=2, noise_cov=np.outer(v, v), minibatch="average")
    assert prob.M == pytest.approx(v @ v, rel=1e-13)
    res = ss.simulate(prob, ss.SGD(LR), runs=4000, steps=80, batch_size=3, seed=5)
    t = res.steps
    zc = z_threshold(2 * (t.size - 1))
    for m, fn in (("error_sq", theory.sgd_error_sq), ("loss", theory.sgd_loss)):
        exact = fn(t, LR, prob.eigenvalues, prob.e0, prob.noise_var, 3)
        assert np.abs(zscores(res.mean(m)[1:], res.sem(m)[1:], exact[1:])).max() < zc
    # no noise off span(v): from theta* with H = I the error stays parallel to v
    flat = ss.Quadratic(np.ones(4), x0=0.0, noise_cov=np.outer(v, v))
    th = ss.simulate(flat, ss.SGD(0.3), runs=16, steps=5, seed=1).theta
    resid = th - np.outer(th @ v / (v @ v), v)
    assert np.abs(resid).max() < 1e-12 * np.abs(th).max()


def test_momentum_theory_applies_with_the_eigenbasis_diagonal():
    prob = ss.Quadratic(LAM, x0=1.0, rotation=7, noise_cov=_misaligned_cov())
    res = ss.simulate(prob, ss.Momentum(0.5, 0.8), runs=6000, steps=100, batch_size=1, seed=6)
    exact = theory.momentum_error_sq(100, 0.5, 0.8, prob.eigenvalues, prob.e0, prob.noise_var)[res.steps]
    z = zscores(res.mean("error_sq")[1:], res.sem("error_sq")[1:], exact[1:])
    assert np.abs(z).max() < z_threshold(z.size)


def test_float32_runs_and_aligned_covariance_matches_noise_std():
    """Sigma = Q diag(s^2) Q^T is the aligned noise of noise_std = s: the same theory, float32 too."""
    s = np.array([0.5, 1.0, 1.5, 2.0])
    q = _orthogonal(3)
    prob = ss.Quadratic(LAM, x0=1.0, rotation=q, noise_cov=(q * s**2) @ q.T)
    np.testing.assert_allclose(prob.noise_var, s**2, rtol=1e-12)
    np.testing.assert_allclose(prob.noise_std, s, rtol=1e-12)
    res = ss.simulate(prob, ss.SGD(LR), runs=4000, steps=60, batch_size=2, seed=8, dtype="float32")
    exact = theory.sgd_error_sq(res.steps, LR, prob.eigenvalues, prob.e0, s**2, 2)
    z = zscores(res.mean("error_sq")[1:], res.sem("error_sq")[1:], exact[1:])
    assert np.abs(z).max() < z_threshold(z.size)


def test_params_are_json_and_small():
    prob = ss.Quadratic(LAM, noise_cov=_misaligned_cov())
    p = json.loads(json.dumps(prob.params()))
    np.testing.assert_allclose(p["noise_cov"], prob.noise_cov, rtol=0)
    assert p["M"] == pytest.approx(np.trace(_misaligned_cov()))
    big = ss.Quadratic(np.linspace(0.1, 1.0, 50), noise_cov=np.eye(50) * 0.5).params()["noise_cov"]
    assert big["trace"] == pytest.approx(25.0) and len(big["sha256"]) == 16
    assert "noise_cov" not in ss.Quadratic.example().params()  # unchanged without it
    assert ss.Quadratic.example().noise_cov is None


@pytest.mark.parametrize("kw,match", [
    ({"noise_cov": np.eye(3)}, r"noise_cov must be None or have shape \(4, 4\)"),
    ({"noise_cov": np.ones(4)}, r"noise_cov must be None or have shape \(4, 4\)"),
    ({"noise_cov": np.diag([1.0, np.nan, 1.0, 1.0])}, "noise_cov must be finite"),
    ({"noise_cov": np.eye(4) + np.triu(np.full((4, 4), 1e-6), 1)}, "noise_cov must be symmetric"),
    ({"noise_cov": np.diag([1.0, -1e-3, 1.0, 1.0])}, "noise_cov must be positive semi-definite"),
    ({"noise_cov": [["a"] * 4] * 4}, "noise_cov must be None or a"),
    ({"noise_cov": np.eye(4), "noise_std": 2.0}, "noise_std must be left at its default"),
])
def test_noise_cov_is_checked(kw, match):
    with pytest.raises(ValueError, match=match):
        ss.Quadratic(LAM, **kw)


def test_rounding_level_asymmetry_and_negative_eigenvalues_are_accepted():
    G = np.random.default_rng(0).normal(size=(4, 2))
    c = G @ G.T  # rank 2: two eigenvalues are zero up to rounding
    c[0, 1] *= 1 + 1e-15
    prob = ss.Quadratic(LAM, noise_cov=c)
    f = prob._noise_factor
    np.testing.assert_allclose(f @ f.T, prob.noise_cov, atol=1e-12 * np.abs(c).max())
    assert np.array_equal(prob.noise_cov, prob.noise_cov.T)
