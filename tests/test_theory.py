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


# --- vectorised over the scalar arguments: each entry equals the scalar call ---------------------------------

LAM = np.linspace(0.1, 1.0, 7)
E0 = np.linspace(-1.0, 2.0, 7)
S2 = np.linspace(0.5, 2.0, 7)
LRS = np.array([0.05, 0.3, 1.1, 1.9, 2.1])  # 2.1 > 2/L: the unstable regime too
BS = np.array([1, 2, 5])


def _same(vec, loop):
    """Equal within 2 units in the last place (observed bit for bit; the margin is for other SIMD paths of NumPy)."""
    vec, loop = np.asarray(vec), np.asarray(loop, dtype=np.float64)
    assert vec.shape == loop.shape, (vec.shape, loop.shape)
    np.testing.assert_array_max_ulp(vec, loop, maxulp=2)


@pytest.mark.parametrize("fn", [theory.sgd_error_sq, theory.sgd_loss])
def test_sgd_curves_vectorised_over_lr_and_batch_size(fn):
    t = np.arange(40)
    got = fn(t, LRS[:, None], LAM, E0, S2, BS[None, :])
    assert got.shape == (LRS.size, BS.size, t.size)  # P = (lr, B) broadcast, then the steps
    _same(got, [[fn(t, a, LAM, E0, S2, b) for b in BS] for a in LRS])
    _same(fn(t, LRS, LAM, E0, S2), [fn(t, a, LAM, E0, S2) for a in LRS])
    t2 = np.array([[0, 3], [7, 2]])
    _same(fn(t2, LRS, LAM, E0, S2, 3), [fn(t2, a, LAM, E0, S2, 3) for a in LRS])
    _same(fn(9, LRS, LAM, E0, S2, 2), [fn(9, a, LAM, E0, S2, 2) for a in LRS])  # scalar t: shape P
    assert np.ndim(fn(9, 0.3, LAM, E0, S2)) == 0


def test_limits_rates_and_bounds_vectorised():
    lr = LRS[:, None]
    _same(theory.sgd_error_sq_limit(lr, LAM, S2, BS),
          [[theory.sgd_error_sq_limit(a, LAM, S2, b) for b in BS] for a in LRS])
    assert np.isinf(theory.sgd_error_sq_limit(LRS, LAM, S2)[-1])
    _same(theory.gd_rate(LRS, LAM), [theory.gd_rate(a, LAM) for a in LRS])
    mus, Ls = np.array([0.1, 0.2]), np.array([[1.0], [3.0], [10.0]])
    _same(theory.max_lr_for_bound(Ls, mus), [[theory.max_lr_for_bound(L, m) for m in mus] for L in Ls[:, 0]])
    lrs = LRS[:3]
    _same(theory.noise_ball_bound(lrs[:, None], 5.0, 0.1, BS), [[theory.noise_ball_bound(a, 5.0, 0.1, b) for b in BS]
                                                                 for a in lrs])
    _same(theory.noise_ball_bound(0.1, np.array([0.0, 1.0, 7.5]), np.array([0.1, 0.5, 1.0]), 2),
          [theory.noise_ball_bound(0.1, M, m, 2) for M, m in ((0.0, 0.1), (1.0, 0.5), (7.5, 1.0))])
    t, prev = np.arange(30), np.linspace(0.0, 3.0, 11)
    _same(theory.bound_trajectory(t, 2.0, lrs[:, None], 3.0, 0.1, BS),
          [[theory.bound_trajectory(t, 2.0, a, 3.0, 0.1, b) for b in BS] for a in lrs])
    _same(theory.bound_trajectory(t, np.array([0.0, 4.0]), 0.5, 3.0, 0.1),
          [theory.bound_trajectory(t, e, 0.5, 3.0, 0.1) for e in (0.0, 4.0)])
    _same(theory.recursion_bound(prev, lrs, 3.0, 0.1, 2), [theory.recursion_bound(prev, a, 3.0, 0.1, 2) for a in lrs])
    assert isinstance(theory.noise_ball_bound(0.1, 1.0, 0.1), float)


def test_momentum_theory_vectorised():
    lr, b1, B = np.array([0.1, 0.5, 2.0])[:, None, None], np.array([0.0, 0.5, 0.9])[None, :, None], np.array([1, 4])
    for kw in ({}, {"bias_correction": True}, {"nesterov": True, "at_lookahead": True}, {"weights": LAM / 2}):
        got = theory.momentum_error_sq(30, lr, b1, LAM, E0, S2, B, **kw)
        assert got.shape == (3, 3, 2, 31)
        _same(got, [[[theory.momentum_error_sq(30, a, m, LAM, E0, S2, b, **kw) for b in B] for m in b1.ravel()]
                    for a in lr.ravel()])
    lrv, b1v = np.array([0.1, 0.5, 40.0]), np.array([0.0, 0.9])
    _same(theory.momentum_error_sq_limit(lrv[:, None], b1v, LAM, S2, 2),
          [[theory.momentum_error_sq_limit(a, m, LAM, S2, 2) for m in b1v] for a in lrv])
    _same(theory.momentum_rate(lrv[:, None], b1v, LAM, nesterov=True),
          [[theory.momentum_rate(a, m, LAM, nesterov=True) for m in b1v] for a in lrv])
    _same(theory.momentum_effective_lr(lrv, 0.9), [theory.momentum_effective_lr(a, 0.9) for a in lrv])
    t = np.arange(1, 6)
    _same(theory.momentum_effective_lr(0.1, b1v, t, bias_correction=True),
          [theory.momentum_effective_lr(0.1, m, t, bias_correction=True) for m in b1v])
    Ls = np.array([1.0, 10.0, 1e4])
    for got, k in zip(theory.optimal_heavy_ball(Ls, 0.5), range(3)):
        _same(got, [theory.optimal_heavy_ball(L, 0.5)[k] for L in Ls])


def test_steps_to_loss_vectorised():
    H = 1.0 / np.arange(1, 9)
    lrs, Bs = np.array([0.2, 0.8, 1.5, 2.5]), np.array([1, 16])
    _same(theory.sgd_steps_to_loss(lrs[:, None], H, 1.0, H, Bs, 0.05),
          [[theory.sgd_steps_to_loss(a, H, 1.0, H, b, 0.05) for b in Bs] for a in lrs])
    _same(theory.momentum_steps_to_loss(lrs[:, None], np.array([0.0, 0.5]), H, 1.0, H, 4, 0.05),
          [[theory.momentum_steps_to_loss(a, m, H, 1.0, H, 4, 0.05) for m in (0.0, 0.5)] for a in lrs])
    steps, lr = theory.best_rate_steps(H, 1.0, H, np.array([1, 64]), 0.05, n_rates=20, b1=np.array([[0.0], [0.5]]))
    assert steps.shape == lr.shape == (2, 2)
    for i, m in enumerate((0.0, 0.5)):
        for j, b in enumerate((1, 64)):
            assert (steps[i, j], lr[i, j]) == theory.best_rate_steps(H, 1.0, H, b, 0.05, n_rates=20, b1=m)


def test_sgd_moments_vectorised():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    lrs = np.array([0.05, 0.2])
    err, loss = theory.sgd_moments(X, y, lrs[:, None], 20, np.ones(3), np.array([1, 3]))
    assert err.shape == loss.shape == (2, 2, 21)
    for i, a in enumerate(lrs):
        for j, b in enumerate((1, 3)):
            e, l = theory.sgd_moments(X, y, a, 20, np.ones(3), b)
            _same(err[i, j], e)
            _same(loss[i, j], l)


@pytest.mark.parametrize("call,name", [
    (lambda: theory.sgd_error_sq(np.arange(5), np.array([0.1, -0.2]), LAM, E0, S2), r"lr must be finite and > 0"),
    (lambda: theory.sgd_error_sq(np.arange(5), 0.1, LAM, E0, S2, np.array([1, 0])), "batch_size"),
    (lambda: theory.sgd_error_sq(np.arange(5), np.nan, LAM, E0, S2), "lr"),
    (lambda: theory.sgd_error_sq(-1, 0.1, LAM, E0, S2), "t must be"),
    (lambda: theory.sgd_error_sq(3, 0.1, LAM, E0, np.ones(3)), r"noise_var must be .* shape \(7,\)"),
    (lambda: theory.sgd_error_sq(3, np.ones(2), LAM, E0, S2, np.ones(3)), "broadcast"),
    (lambda: theory.sgd_error_sq(3, np.array(["a"]), LAM, E0, S2), "lr"),
    (lambda: theory.sgd_error_sq_limit(np.array([0.1, np.inf]), LAM, S2), "lr"),
    (lambda: theory.noise_ball_bound(np.array([0.1, 25.0]), 1.0, 0.1), r"lr must be < 2/mu .* at index \(1,\)"),
    (lambda: theory.noise_ball_bound(0.1, np.array([1.0, -1.0]), 0.1), r"M must be finite and >= 0"),
    (lambda: theory.max_lr_for_bound(np.array([1.0, 0.05]), 0.1), "mu must be <= L"),
    (lambda: theory.momentum_error_sq(5, 0.1, np.array([0.5, 1.0]), LAM, E0, S2), r"b1 must be finite and in \[0, 1\)"),
    (lambda: theory.momentum_error_sq(2.5, 0.1, 0.5, LAM, E0, S2), "steps"),
    (lambda: theory.momentum_rate(np.array([0.0]), 0.5, LAM), "lr"),
    (lambda: theory.momentum_effective_lr(0.1, 0.9, bias_correction=True), "t must be given"),
    (lambda: theory.sgd_steps_to_loss(0.1, LAM, 1.0, S2, np.array([1.0, 2.0]), 0.1), "batch_size must be an integer"),
    (lambda: theory.sgd_steps_to_loss(0.1, LAM, 1.0, S2, np.array([1, 0]), 0.1), "batch_size must be integers >= 1"),
    (lambda: theory.best_rate_steps(LAM, 1.0, S2, 1, np.array([0.1, 0.0])), "target_loss"),
    (lambda: theory.sgd_moments(np.ones((3, 2)), np.ones(3), np.array([0.1, -1.0]), 3, 0.0), "lr"),
])
def test_vectorised_arguments_are_checked(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_eigenbasis_noise_var():
    rng = np.random.default_rng(1)
    G = rng.normal(size=(4, 4))
    cov = G @ G.T
    Q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    np.testing.assert_allclose(theory.eigenbasis_noise_var(cov, Q), np.diag(Q.T @ cov @ Q), rtol=1e-13)
    np.testing.assert_array_equal(theory.eigenbasis_noise_var(cov), np.diag(cov))
    assert theory.eigenbasis_noise_var(cov, Q).sum() == pytest.approx(np.trace(cov), rel=1e-13)  # M is basis-free
    with pytest.raises(ValueError, match="noise_cov"):
        theory.eigenbasis_noise_var(np.ones(4), Q)
    with pytest.raises(ValueError, match="Q must"):
        theory.eigenbasis_noise_var(cov, np.eye(3))
