"""Least squares on a finite dataset: the sampler, the keyed permutations, and simulation against exact theory."""
import numpy as np
import pytest
from scipy import stats
from numba import uint64

import simsgd as ss
from simsgd.device.rng import STATE_WORDS, ZIGGURAT, seed_key, seed_stream
from simsgd.device.shuffle import half_bits_for, permute, rounds_for
from simsgd.engine.statistics import z_threshold, zscores

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)) * [1.0, 0.5, 2.0]
Y = X @ [1.0, 2.0, 3.0] + RNG.normal(size=40)
X0 = [2.0, -1.0, 0.0]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16, 17, 100, 1000])
def test_keyed_permutation_is_a_permutation(n):
    h = half_bits_for(n)
    for key in (0, 1, 12345, 2**63 + 5, 2**64 - 1):
        assert sorted(permute(i, n, h, rounds_for(h), uint64(key)) for i in range(n)) == list(range(n))


@pytest.mark.parametrize("n", [3, 10, 50])
def test_keyed_permutations_look_uniform(n):
    # where each i lands over 20,000 keys: a chi-square over the n x n table of counts
    h = half_bits_for(n)
    keys = np.random.default_rng(n).integers(0, 2**63, size=20_000, dtype=np.uint64)
    counts = np.zeros((n, n))
    for k in keys:
        for i in range(n):
            counts[i, permute(i, n, h, rounds_for(h), uint64(k))] += 1
    expected = keys.size / n
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < stats.chi2.isf(1e-4, (n - 1) ** 2)


def _batches(prob, B, steps, run=0, seed=0):
    """The rows each step averages, recovered from the gradient: with X = I and y_k = k + 1, g = -(y_k e_k)/|S|."""
    fd, idata = prob.pack(B, np.dtype("float64"))
    pk = type(prob).kernels
    rng = np.zeros(STATE_WORDS, np.uint64)
    seed_stream(np.uint64(seed_key(seed)), run, rng)
    x, g = np.zeros(prob.dim), np.zeros(prob.dim)
    rs = np.zeros(prob.run_state_size, np.int64)
    pk.init(x, rs, rng, ZIGGURAT, fd, idata)
    out = []
    for t in range(1, steps + 1):
        pk.grad(x, g, t, rs, rng, ZIGGURAT, fd, idata, np.zeros(1))
        out.append(sorted(np.flatnonzero(g).tolist()))
    return out


@pytest.mark.parametrize("drop_last", [True, False])
def test_epochs_visit_every_row_once(drop_last):
    n, B = 11, 3
    prob = ss.LeastSquares(np.eye(n), np.arange(1.0, n + 1), sampling="epochs", drop_last=drop_last)
    per_epoch = n // B if drop_last else -(-n // B)
    steps = _batches(prob, B, 4 * per_epoch)
    epochs = [steps[i:i + per_epoch] for i in range(0, len(steps), per_epoch)]
    for ep in epochs:
        rows = [k for b in ep for k in b]
        assert len(rows) == len(set(rows)) == (n - n % B if drop_last else n)
        assert [len(b) for b in ep] == [B] * (n // B) + ([] if drop_last or n % B == 0 else [n % B])
    assert len({tuple(map(tuple, ep)) for ep in epochs}) == len(epochs)  # a fresh shuffle each epoch
    assert steps == _batches(prob, B, 4 * per_epoch)  # regenerated from (seed, run) alone
    assert steps != _batches(prob, B, 4 * per_epoch, run=1)


def test_full_batch_epochs_are_gradient_descent():
    prob = ss.LeastSquares(X, Y, sampling="epochs", x0=X0)
    r = ss.simulate(prob, ss.SGD(0.05), runs=3, steps=100, batch_size=len(Y), seed=0, progress=False, keep_theta=True)
    th = np.array(X0)
    for _ in range(100):
        th -= 0.05 * X.T @ (X @ th - Y) / len(Y)
    np.testing.assert_allclose(r.theta, np.tile(th, (3, 1)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("B,ridge", [(1, 0.0), (4, 0.0), (3, 0.1)])
def test_with_replacement_matches_the_exact_moments(B, ridge):
    prob = ss.LeastSquares(X, Y, x0=X0, ridge=ridge)
    r = ss.simulate(prob, ss.SGD(0.05), runs=4000, steps=150, batch_size=B, seed=1, progress=False)
    err, loss = ss.theory.sgd_moments(X, Y, 0.05, 150, X0, B, ridge)
    zc = z_threshold(300)
    assert np.abs(zscores(r.mean("error_sq")[1:], r.sem("error_sq")[1:], err[1:])).max() < zc
    assert np.abs(zscores(r.mean("loss")[1:], r.sem("loss")[1:], loss[1:])).max() < zc


@pytest.mark.parametrize("sampling,B", [("with_replacement", 1), ("with_replacement", 10), ("epochs", 1),
                                        ("epochs", 10), ("epochs", 39)])
def test_one_step_gradient_covariance_has_the_finite_population_factor(sampling, B):
    th0 = np.array(X0)
    prob = ss.LeastSquares(X, Y, sampling=sampling, x0=th0)
    r = ss.simulate(prob, ss.SGD(1.0), runs=20_000, steps=1, batch_size=B, seed=2, progress=False, keep_theta=True)
    g = th0 - r.theta
    d = ((g - g.mean(axis=0)) ** 2).sum(axis=1)  # per-run squared deviation: its mean is the trace
    want = np.trace(ss.theory.gradient_covariance(X, Y, th0, B, replacement=sampling == "with_replacement"))
    assert abs(d.mean() - want) < z_threshold(5) * d.std() / np.sqrt(d.size)


def test_minimiser_and_loss():
    prob = ss.LeastSquares(X, Y, x0=X0, ridge=0.2)
    np.testing.assert_allclose(prob.theta_hat, ss.theory.minimiser(X, Y, 0.2))
    r = ss.simulate(prob, ss.SGD(0.01), runs=2, steps=1, seed=0, progress=False)
    f = lambda th: ((X @ th - Y) ** 2).sum() / (2 * len(Y)) + 0.1 * th @ th
    assert r.mean("loss")[0] == pytest.approx(f(np.array(X0)) - f(prob.theta_hat), rel=1e-12)
    under = ss.LeastSquares(X[:2], Y[:2])  # more parameters than rows: the minimum-norm interpolant
    np.testing.assert_allclose(under.theta_hat, np.linalg.pinv(X[:2]) @ Y[:2], atol=1e-12)


@pytest.mark.parametrize("kw,name", [
    (dict(X=np.ones((3, 2)), y=np.ones(4)), "y must have shape"),
    (dict(X=np.ones(3), y=np.ones(3)), "X must be a 2-d array"),
    (dict(X=np.zeros((0, 2)), y=np.zeros(0)), "X must be a 2-d array"),
    (dict(X=np.array([[1.0, np.nan]]), y=np.ones(1)), "must be finite"),
    (dict(X=np.ones((3, 2)), y=np.ones(3), sampling="shuffle"), "sampling must be one of"),
    (dict(X=np.ones((3, 2)), y=np.ones(3), ridge=-1.0), "ridge"),
])
def test_bad_data_is_a_clear_error(kw, name):
    with pytest.raises(ValueError, match=name):
        ss.LeastSquares(**kw)


def test_batch_larger_than_the_data_without_replacement_is_refused():
    prob = ss.LeastSquares(X, Y, sampling="epochs")
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, n = 40\]"):
        ss.simulate(prob, ss.SGD(0.1), runs=2, steps=1, batch_size=41, progress=False)
    ss.simulate(ss.LeastSquares(X, Y), ss.SGD(0.1), runs=2, steps=1, batch_size=41, progress=False)


def test_expected_noise_is_the_average_over_a_finite_set_of_points():
    # tr Sigma(theta) is quadratic in theta, so its mean over any set is a function of the set's first two moments
    es = np.random.default_rng(5).normal(size=(7, 3))
    th = ss.theory.minimiser(X, Y)
    want = np.mean([np.trace(ss.theory.gradient_covariance(X, Y, th + e)) for e in es])
    got = ss.theory.expected_noise(X, Y, es.mean(axis=0), es.T @ es / len(es))
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("B,ridge", [(1, 0.0), (3, 0.1)])
def test_stationary_second_moment_and_the_critical_rate(B, ridge):
    a = 0.05
    S, radius = ss.theory.stationary_second_moment(X, Y, a, B, ridge)
    err = ss.theory.sgd_moments(X, Y, a, 4000, ss.theory.minimiser(X, Y, ridge), B, ridge)[0]
    assert radius < 1 and np.trace(S) == pytest.approx(err[-1], rel=1e-9)
    ac = ss.theory.critical_lr(X, Y, B, ridge=ridge)
    assert ss.theory.stationary_second_moment(X, Y, 0.99 * ac, B, ridge)[0] is not None
    assert ss.theory.stationary_second_moment(X, Y, 1.01 * ac, B, ridge)[0] is None
    L = np.linalg.eigvalsh(X.T @ X / len(Y)).max() + ridge
    assert ac < 2 / L  # the noise makes it unstable before 2/L


def test_datasets():
    d = ss.load_dataset("diabetes")
    assert d.X.shape == (442, 10) and d.task == "regression" and "Efron" in d.source
    np.testing.assert_allclose(d.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(d.X.std(axis=0), 1)
    c = ss.load_dataset("breast_cancer")
    assert c.X.shape == (569, 30) and set(np.unique(c.y)) == {0.0, 1.0}
    with pytest.raises(ValueError, match="name must be one of"):
        ss.load_dataset("mnist")
    X2, y2, w = ss.gaussian_design(50, 4, noise=0.0, seed=1)
    np.testing.assert_allclose(X2 @ w, y2)
