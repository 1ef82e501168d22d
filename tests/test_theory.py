"""Closed forms against direct iteration of the moment recursions they solve."""
import numpy as np
import pytest

from simsgd import theory


def _iterate(steps, lr, lam, e0, s2, B):
    """E[e_i^2] by iterating E[e^2]_{t+1} = (1 - a lam)^2 E[e^2]_t + a^2 s2 / B."""
    m = np.asarray(e0, float) ** 2 * np.ones_like(lam)
    out = [m.sum()]
    for _ in range(steps):
        m = (1 - lr * lam) ** 2 * m + lr**2 * s2 / B
        out.append(m.sum())
    return np.array(out)


@pytest.mark.parametrize("lr,B", [(0.1, 1), (0.5, 4), (1.9, 2), (2.0, 1), (2.3, 1)])
def test_exact_error_solves_the_recursion(lr, B):
    lam = np.linspace(0.1, 1.0, 7)
    e0 = np.linspace(-1, 2, 7)
    s2 = np.linspace(0.5, 2.0, 7)
    t = np.arange(60)
    got = theory.sgd_error_sq(t, lr, lam, e0, s2, B)
    np.testing.assert_allclose(got, _iterate(59, lr, lam, e0, s2, B), rtol=1e-10)
    loss = theory.sgd_loss(t[-1], lr, lam, e0, s2, B)
    assert loss > 0


def test_limit_and_bound():
    lam = np.linspace(0.1, 1.0, 5)
    lim = theory.sgd_error_sq_limit(0.3, lam, 1.0, 2)
    assert lim == pytest.approx(theory.sgd_error_sq(10_000, 0.3, lam, 1.0, 1.0, 2), rel=1e-12)
    assert lim <= theory.noise_ball_bound(0.3, 5.0, 0.1, 2)
    assert theory.sgd_error_sq_limit(2.0, lam, 1.0) == np.inf
    assert theory.noise_ball_bound(lr=0.1, M=100.0, mu=0.1, batch_size=4) == pytest.approx(0.1 * 100 / (4 * 0.1 * 1.99))


def test_equality_case_meets_the_bound():
    mu, lr, d = 0.2, 0.5, 6
    t = np.arange(200)
    exact = theory.sgd_error_sq(t, lr, np.full(d, mu), 1.5, 0.7, 3)
    bound = theory.bound_trajectory(t, d * 1.5**2, lr, 0.7 * d, mu, 3)
    np.testing.assert_allclose(exact, bound, rtol=1e-12)


def test_recursion_needs_the_step_size_condition():
    lam = np.array([0.1, 1.0])
    M, mu = 2.0, 0.1
    for lr, holds in ((theory.max_lr_for_bound(1.0, mu), True), (1.98, False)):
        e = theory.sgd_error_sq(np.arange(50), lr, lam, np.array([0.0, 3.0]), 1.0)
        ok = np.all(e[1:] <= theory.recursion_bound(e[:-1], lr, M, mu) * (1 + 1e-12))
        assert ok == holds


def test_gd_rate():
    lam = np.linspace(0.1, 1.0, 10)
    k = 10.0
    assert theory.gd_rate(theory.max_lr_for_bound(1.0, 0.1), lam) == pytest.approx((k - 1) / (k + 1))
    assert theory.gd_rate(0.5, lam) == pytest.approx(1 - 0.5 * 0.1)


@pytest.mark.parametrize("kw,name", [({"lr": 0.0}, "lr"), ({"lr": np.nan}, "lr"), ({"M": -1.0}, "M"),
                                     ({"mu": 0.0}, "mu"), ({"lr": 25.0}, "lr"), ({"batch_size": 0}, "batch_size")])
def test_bound_rejects_bad_input(kw, name):
    args = {"lr": 0.1, "M": 1.0, "mu": 0.1, "batch_size": 1, **kw}
    with pytest.raises(ValueError, match=name):
        theory.noise_ball_bound(**args)


@pytest.mark.parametrize("B", [1, 2, 3, 5])
def test_minibatch_covariance_by_enumerating_every_batch(B):
    import itertools

    u = np.random.default_rng(3).normal(size=(5, 2))
    subsets = [u[list(c)].mean(axis=0) for c in itertools.combinations(range(5), B)]
    tuples = [u[list(c)].mean(axis=0) for c in itertools.product(range(5), repeat=B)]
    for means, replacement in ((subsets, False), (tuples, True)):
        np.testing.assert_allclose(np.cov(np.array(means).T, bias=True),
                                   theory.minibatch_covariance(u, B, replacement), atol=1e-14)
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, n = 5\]"):
        theory.minibatch_covariance(u, 6, replacement=False)
