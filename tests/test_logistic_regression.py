"""Logistic regression on a finite dataset: its minimiser, metrics and gradients against NumPy and scikit-learn."""
import numpy as np
import pytest

import simsgd as ss
from simsgd.device.rng import STATE_WORDS, ZIGGURAT, seed_key, seed_stream
from simsgd.engine.statistics import z_threshold

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)) * [1.0, 0.5, 2.0]
Y = (X @ [1.0, -2.0, 0.5] + RNG.normal(size=40) > 0).astype(float)
XT = RNG.normal(size=(15, 3))
YT = (XT @ [1.0, -2.0, 0.5] > 0).astype(float)
X0 = [0.5, -1.0, 0.2]


def _loss(th, X=X, Y=Y, ridge=0.0):
    z = X @ th
    return np.mean(np.logaddexp(0.0, z) - Y * z) + 0.5 * ridge * th @ th


def _grads(th, ridge):
    """Per-example gradients (n, p)."""
    return X * (1 / (1 + np.exp(-(X @ th))) - Y)[:, None] + ridge * th


def test_minimiser_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    ridge = 0.05
    prob = ss.LogisticRegression(X, Y, ridge=ridge)
    assert np.linalg.norm(prob.grad_at(prob.theta_hat)) < 1e-13
    sk = LogisticRegression(C=1 / (ridge * len(Y)), fit_intercept=False, tol=1e-12, max_iter=10_000).fit(X, Y)
    np.testing.assert_allclose(prob.theta_hat, sk.coef_[0], atol=1e-5)
    assert ss.LogisticRegression(X, Y).theta_hat is None  # no ridge: a minimiser need not exist


@pytest.mark.parametrize("ridge,test", [(0.0, False), (0.1, False), (0.1, True), (0.0, True)])
def test_metrics_match_numpy_at_the_start_and_the_end(ridge, test):
    kw = dict(X_test=XT, y_test=YT) if test else {}
    prob = ss.LogisticRegression(X, Y, x0=X0, ridge=ridge, **kw)
    want = ("loss", "accuracy") + (("test_loss", "test_accuracy") if test else ()) + (("error_sq",) if ridge else ())
    assert prob.metrics == want
    r = ss.simulate(prob, ss.Adam(0.05), runs=4, steps=30, batch_size=5, seed=0, progress=False, keep_theta=True)
    for th, at in ((np.array(X0), lambda m: r.mean(m)[0]), (r.theta[2], lambda m: r.final(m)[2])):
        expect = {"loss": _loss(th, ridge=ridge), "accuracy": np.mean((X @ th > 0) == (Y == 1)),
                  "test_loss": _loss(th, XT, YT), "test_accuracy": np.mean((XT @ th > 0) == (YT == 1)),
                  "error_sq": None if prob.theta_hat is None else np.sum((th - prob.theta_hat) ** 2)}
        for m in prob.metrics:
            assert at(m) == pytest.approx(expect[m], rel=1e-12, abs=1e-15), m


def test_loss_is_finite_far_from_the_origin():
    # margins of +-2000: softplus and the sigmoid must neither overflow nor lose the linear part
    prob = ss.LogisticRegression(X * 1000.0, Y, x0=X0)
    r = ss.simulate(prob, ss.SGD(1e-9), runs=2, steps=1, seed=0, progress=False, keep_theta=True)
    assert r.diverged.sum() == 0
    assert r.mean("loss")[0] == pytest.approx(_loss(np.array(X0), X * 1000.0), rel=1e-12)


def test_full_batch_epochs_are_gradient_descent():
    prob = ss.LogisticRegression(X, Y, sampling="epochs", x0=X0, ridge=0.01)
    r = ss.simulate(prob, ss.SGD(0.5), runs=3, steps=100, batch_size=len(Y), seed=0, progress=False, keep_theta=True)
    th = np.array(X0)
    for _ in range(100):
        th -= 0.5 * _grads(th, 0.01).mean(axis=0)
    np.testing.assert_allclose(r.theta, np.tile(th, (3, 1)), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("sampling,B", [("with_replacement", 1), ("with_replacement", 10), ("epochs", 10),
                                        ("epochs", 39)])
def test_one_step_gradient_mean_and_covariance(sampling, B):
    # unbiased minibatch gradient; its covariance is the per-example one / B, times (n - B)/(n - 1) in epochs
    th0, ridge, n = np.array(X0), 0.1, len(Y)
    prob = ss.LogisticRegression(X, Y, sampling=sampling, x0=th0, ridge=ridge)
    r = ss.simulate(prob, ss.SGD(1.0), runs=20_000, steps=1, batch_size=B, seed=2, progress=False, keep_theta=True)
    g = th0 - r.theta
    per = _grads(th0, ridge)
    cov = np.cov(per.T, bias=True) / B * ((n - B) / (n - 1) if sampling == "epochs" else 1.0)
    zc = z_threshold(4)
    z = (g.mean(axis=0) - per.mean(axis=0)) / np.sqrt(np.diag(cov) / g.shape[0])
    assert np.abs(z).max() < zc
    d = ((g - g.mean(axis=0)) ** 2).sum(axis=1)
    assert abs(d.mean() - np.trace(cov)) < zc * d.std() / np.sqrt(d.size)


def _rows(prob, B, steps, run=0):
    """The rows each step averages, read off the gradient at 0 with X = I (every row's term is non-zero)."""
    fd, idata = prob.pack(B, np.dtype("float64"))
    pk = type(prob).kernels
    rng = np.zeros(STATE_WORDS, np.uint64)
    seed_stream(np.uint64(seed_key(7)), run, rng)
    x, g = np.zeros(prob.dim), np.zeros(prob.dim)
    rs = np.zeros(prob.run_state_size, np.int64)
    pk.init(x, rs, rng, ZIGGURAT, fd, idata)
    x[:] = 0.0
    out = []
    for t in range(1, steps + 1):
        pk.grad(x, g, t, rs, rng, ZIGGURAT, fd, idata, np.zeros(1))
        out.append(np.flatnonzero(g).tolist())
    return out


@pytest.mark.parametrize("sampling,B", [("with_replacement", 1), ("epochs", 3)])
def test_draws_the_same_rows_as_least_squares(sampling, B):
    n = 11
    y = np.arange(n) % 2.0
    logreg = ss.LogisticRegression(np.eye(n), y, sampling=sampling, drop_last=False)
    lsq = ss.LeastSquares(np.eye(n), y + 1.0, sampling=sampling, drop_last=False)
    assert _rows(logreg, B, 20) == _rows(lsq, B, 20)


@pytest.mark.parametrize("kw,name", [
    (dict(y=np.where(Y > 0, 1.0, -1.0)), "y must hold labels 0 or 1"),
    (dict(y=Y * 0.5), "y must hold labels 0 or 1"),
    (dict(y=Y[:-1]), "y must have shape"),
    (dict(X=np.vstack([X[:-1], [np.inf, 0.0, 0.0]])), "X must be finite"),
    (dict(X=np.zeros((0, 3)), y=np.zeros(0)), "X must be a 2-d array"),
    (dict(X_test=XT[:, :2], y_test=YT), "X_test must have p = 3 columns"),
    (dict(X_test=XT), "X_test and y_test must be given together"),
    (dict(X_test=XT, y_test=YT + 1), "y_test must hold labels 0 or 1"),
    (dict(X_test=XT, y_test=YT[:3]), "y_test must have shape"),
    (dict(X_test=XT * np.nan, y_test=YT), "X_test must be finite"),
    (dict(ridge=-0.1), "ridge"),
    (dict(sampling="shuffle"), "sampling must be one of"),
])
def test_bad_data_is_a_clear_error(kw, name):
    with pytest.raises(ValueError, match=name):
        ss.LogisticRegression(**{"X": X, "y": Y, **kw})


def test_batch_larger_than_the_data_without_replacement_is_refused():
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, n = 40\]"):
        ss.simulate(ss.LogisticRegression(X, Y, sampling="epochs"), ss.SGD(0.1), runs=2, steps=1, batch_size=41,
                    progress=False)
