"""Logistic regression on a finite dataset with labels 0/1, sampled with replacement or in epochs without it.

    f(theta) = (1/n) sum_i [softplus(x_i^T theta) - y_i x_i^T theta] + ridge ||theta||^2 / 2,
    g(theta) = (1/|S|) sum_{i in S} x_i (sigmoid(x_i^T theta) - y_i) + ridge theta,

with S the step's minibatch, drawn as ``problems.finite_data`` describes; softplus(z) = log(1 + e^z).
There is no separate intercept: a column of ones in X gives one. Metrics: ``loss`` = f(theta) (the
objective itself, ridge term included: on separable data with ridge = 0 it has no minimiser),
``accuracy`` = the fraction of rows with (x_i^T theta > 0) == y_i; with a held-out set, ``test_loss``
(mean log-loss, no ridge term) and ``test_accuracy``; with ridge > 0, ``error_sq`` =
||theta - theta_hat||^2, theta_hat the unique minimiser found by Newton's method on the host.
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.layout import Layout, field, value
from .base import ProblemKernels
from .finite_data import SAMPLER_INTS, FiniteData, batch_begin, batch_row, rows_and_targets, start_sampler

LAYOUT = Layout(floats=("x0", "X", "y", "ridge", "X_test", "y_test", "theta_hat"),
                ints=SAMPLER_INTS + ("p", "n_test", "has_theta_hat"))
F, I = LAYOUT.F, LAYOUT.I


@kernel(inline=True)
def softplus(z):
    """log(1 + e^z) without overflow for large |z|."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


@kernel(inline=True)
def sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@kernel(inline=True)
def _margin(x, row, p):
    """x_k^T theta for ``row`` a view of x_k (a view: see ``least_squares._add_row``)."""
    z = 0.0
    for i in range(p):
        z += row[i] * x[i]
    return z


@kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    x0 = field(fd, idata, F.x0)
    for i in range(idata[I.p]):
        x[i] = x0[i]
    start_sampler(rs, idata, I.n)


@kernel(inline=True)
def grad(x, g, t, rs, rng, zig, fd, idata, work):
    p = idata[I.p]
    X, y = field(fd, idata, F.X), field(fd, idata, F.y)
    for i in range(p):
        g[i] = 0.0
    first, count, key = batch_begin(rs, rng, idata, I.n)
    for j in range(count):
        k = batch_row(j, first, count, key, rng, idata, I.n)
        row = X[k * p:(k + 1) * p]
        r = sigmoid(_margin(x, row, p)) - y[k]
        for i in range(p):
            g[i] += r * row[i]
    ridge = value(fd, idata, F.ridge)
    inv = 1.0 / count
    for i in range(p):
        g[i] = g[i] * inv + ridge * x[i]


@kernel(inline=True)
def _loss_and_accuracy(x, X, y, n, p):
    """Mean log-loss and accuracy of ``x`` on rows ``X`` (flat, n x p) and labels ``y``."""
    loss = 0.0
    right = 0
    for k in range(n):
        z = _margin(x, X[k * p:(k + 1) * p], p)
        loss += softplus(z) - y[k] * z
        if (z > 0.0) == (y[k] > 0.5):
            right += 1
    return loss / n, right / n


@kernel(inline=True)
def metric_values(x, out, fd, idata, work):
    """loss, accuracy[, test_loss, test_accuracy][, error_sq], in the order of ``LogisticRegression.metrics``."""
    p = idata[I.p]
    loss, acc = _loss_and_accuracy(x, field(fd, idata, F.X), field(fd, idata, F.y), idata[I.n], p)
    sq = 0.0
    for i in range(p):
        sq += x[i] * x[i]
    out[0] = loss + 0.5 * value(fd, idata, F.ridge) * sq
    out[1] = acc
    m = 2
    if idata[I.n_test] > 0:
        loss, acc = _loss_and_accuracy(x, field(fd, idata, F.X_test), field(fd, idata, F.y_test), idata[I.n_test], p)
        out[2] = loss
        out[3] = acc
        m = 4
    if idata[I.has_theta_hat] != 0:
        th = field(fd, idata, F.theta_hat)
        err = 0.0
        for i in range(p):
            err += (x[i] - th[i]) * (x[i] - th[i])
        out[m] = err


def _labels(name, y):
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:5]
        raise ValueError(f"{name} must hold labels 0 or 1 only; got also {bad.tolist()}")
    return y


def _softplus(z):
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


class LogisticRegression(FiniteData):
    """Logistic regression with labels 0/1 on the rows of ``X`` (n, p) (see the module docstring).

    Parameters
    ----------
    X, y : the data, finite, n >= 1 rows, y in {0, 1}; kept once per call (device memory on the GPU).
    sampling : "with_replacement" (B independent uniform rows a step) or "epochs" (keyed reshuffles).
    drop_last : with epochs, skip the n mod B leftover rows (True) or take them as a short last batch.
    x0 : scalar or (p,), every run's start.
    ridge : >= 0; above 0 the minimiser is unique and ``error_sq`` is measured.
    X_test, y_test : an optional held-out set with the same p columns; adds ``test_loss`` and ``test_accuracy``.
    """

    layout = LAYOUT
    metrics = ("loss", "accuracy")
    kernels = ProblemKernels(init=init, grad=grad, metrics=metric_values)

    def __init__(self, X, y, sampling="with_replacement", drop_last=True, x0=0.0, ridge=0.0, X_test=None,
                 y_test=None):
        super().__init__(X, y, sampling, drop_last)
        _labels("y", self.y)
        self.x0 = V.vector("x0", x0, self.dim)
        self.ridge = V.in_interval("ridge", ridge, 0.0, math.inf, hi_open=True)
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together (or neither)")
        self.X_test = self.y_test = None
        metrics = ["loss", "accuracy"]
        if X_test is not None:
            self.X_test, self.y_test = rows_and_targets(X_test, y_test, "X_test", "y_test")
            if self.X_test.shape[1] != self.dim:
                raise ValueError(f"X_test must have p = {self.dim} columns, as X has; got {self.X_test.shape[1]}")
            _labels("y_test", self.y_test)
            metrics += ["test_loss", "test_accuracy"]
        self.theta_hat = self._newton() if self.ridge > 0 else None
        if self.theta_hat is not None:
            metrics.append("error_sq")
        self.metrics = tuple(metrics)

    def loss_at(self, theta, test=False):
        """The ``loss`` (or ``test_loss``) metric at ``theta``, computed with NumPy."""
        X, y = (self.X_test, self.y_test) if test else (self.X, self.y)
        z = X @ theta
        loss = np.mean(_softplus(z) - y * z)
        return loss if test else loss + 0.5 * self.ridge * theta @ theta

    def example_gradients(self, theta):
        """Per-row gradients (n, p) at ``theta``, ridge term included: their mean is the full gradient."""
        theta = np.asarray(theta, dtype=np.float64)
        return self.X * (_sigmoid(self.X @ theta) - self.y)[:, None] + self.ridge * theta

    def grad_at(self, theta):
        """The full-batch gradient of f at ``theta``, computed with NumPy."""
        return self.X.T @ (_sigmoid(self.X @ theta) - self.y) / self.n + self.ridge * theta

    def _newton(self, max_iter=100):
        """The unique minimiser (ridge > 0): Newton's method, halving the step until f does not increase."""
        theta = np.zeros(self.dim)
        f = self.loss_at(theta)
        for _ in range(max_iter):
            s = _sigmoid(self.X @ theta)
            H = (self.X.T * (s * (1 - s))) @ self.X / self.n + self.ridge * np.eye(self.dim)
            step = np.linalg.solve(H, self.grad_at(theta))
            if np.linalg.norm(step) <= 1e-13 * (1.0 + np.linalg.norm(theta)):
                return theta - step
            a = 1.0
            while self.loss_at(theta - a * step) > f and a > 1e-6:
                a /= 2
            theta = theta - a * step
            f = self.loss_at(theta)
        raise RuntimeError(f"Newton's method did not converge in {max_iter} iterations")

    @classmethod
    def example(cls):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(9, 2))
        y = (X @ [1.0, -1.0] + rng.normal(size=9) > 0).astype(float)
        return cls(X, y, sampling="epochs", drop_last=False, x0=0.5, ridge=0.1, X_test=X[:4] + 0.5, y_test=y[:4])

    def params(self):
        return {"problem": "LogisticRegression", **self.sampler_params(), "ridge": self.ridge,
                "n_test": 0 if self.X_test is None else self.X_test.shape[0]}

    def pack(self, batch_size, dtype):
        has_test = self.X_test is not None
        return LAYOUT.pack(dtype, x0=self.x0, X=self.X, y=self.y, ridge=self.ridge,
                           X_test=self.X_test if has_test else [], y_test=self.y_test if has_test else [],
                           theta_hat=[] if self.theta_hat is None else self.theta_hat, p=self.dim,
                           n_test=self.X_test.shape[0] if has_test else 0,
                           has_theta_hat=self.theta_hat is not None, **self.sampler_fields(batch_size))

    def __repr__(self):
        return (f"LogisticRegression(n={self.n}, p={self.dim}, sampling={self.sampling!r}, "
                f"drop_last={self.drop_last}, ridge={self.ridge})")
