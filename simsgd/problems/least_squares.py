"""Least squares on a finite dataset, sampled with replacement or in epochs without it.

    f(theta) = ||X theta - y||^2 / (2 n) + ridge ||theta||^2 / 2,
    g(theta) = (1/|S|) sum_{i in S} x_i (x_i^T theta - y_i) + ridge theta,

with S the step's minibatch. ``sampling="with_replacement"``: B rows drawn uniformly and
independently from the run's stream. ``"epochs"``: each epoch walks a fresh keyed permutation of
the n rows (``device.shuffle``), B rows a step; with ``drop_last`` an epoch is n // B steps and the
n mod B leftover rows wait for a later epoch, otherwise the last step of an epoch averages the
n mod B rows left. Each run draws its epochs' keys from its own stream, so its batches depend on
(seed, run) alone. Metrics: ``error_sq`` = ||theta - theta_hat||^2 with theta_hat the minimiser (the
minimum-norm one, X^+ y, when it is not unique and ridge = 0), and ``loss`` = f(theta) - f(theta_hat)
= (theta - theta_hat)^T H (theta - theta_hat) / 2, H = X^T X / n + ridge I.
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.layout import Layout, field, value
from ..device.rng import next_double, next_u64
from ..device.shuffle import half_bits_for, load_key, permute, rounds_for, store_key
from .base import Problem, ProblemKernels

LAYOUT = Layout(floats=("x0", "X", "y", "theta_hat", "hessian", "ridge"),
                ints=("n", "p", "batch_size", "epochs", "drop_last", "half_bits", "rounds"))
F, I = LAYOUT.F, LAYOUT.I
SAMPLING = ("with_replacement", "epochs")
_POS, _EPOCH, _KEY = 0, 1, 2  # run state: place in the epoch, epochs started, the epoch's key (two slots)


@kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    x0 = field(fd, idata, F.x0)
    for i in range(idata[I.p]):
        x[i] = x0[i]
    rs[_POS] = idata[I.n]  # the first step starts an epoch
    rs[_EPOCH] = 0


@kernel(inline=True)
def _add_row(x, g, k, X, y, p):
    """g += x_k (x_k^T x - y_k)."""
    r = -y[k]
    for i in range(p):
        r += X[k * p + i] * x[i]
    for i in range(p):
        g[i] += r * X[k * p + i]


@kernel(inline=True)
def grad(x, g, t, rs, rng, zig, fd, idata, work):
    n, p, B = idata[I.n], idata[I.p], idata[I.batch_size]
    X, y = field(fd, idata, F.X), field(fd, idata, F.y)
    for i in range(p):
        g[i] = 0.0
    count = B
    if idata[I.epochs] == 0:
        for _ in range(B):
            k = min(int(next_double(rng, 0) * n), n - 1)
            _add_row(x, g, k, X, y, p)
    else:
        pos = rs[_POS]
        if pos >= n or (idata[I.drop_last] != 0 and pos + B > n):
            store_key(rs, _KEY, next_u64(rng, 0))
            rs[_EPOCH] += 1
            pos = 0
        key = load_key(rs, _KEY)
        count = min(B, n - pos)
        for j in range(count):
            _add_row(x, g, permute(pos + j, n, idata[I.half_bits], idata[I.rounds], key), X, y, p)
        rs[_POS] = pos + count
    ridge = value(fd, idata, F.ridge)
    inv = 1.0 / count
    for i in range(p):
        g[i] = g[i] * inv + ridge * x[i]


@kernel(inline=True)
def metric_values(x, out, fd, idata, work):
    """``out[0] = ||x - theta_hat||^2``, ``out[1] = (x - theta_hat)^T H (x - theta_hat) / 2``."""
    p = idata[I.p]
    th, h = field(fd, idata, F.theta_hat), field(fd, idata, F.hessian)
    err = 0.0
    loss = 0.0
    for i in range(p):
        ei = x[i] - th[i]
        err += ei * ei
        s = 0.0
        for j in range(p):
            s += h[i * p + j] * (x[j] - th[j])
        loss += ei * s
    out[0] = err
    out[1] = 0.5 * loss


class LeastSquares(Problem):
    """Least squares ``||X theta - y||^2 / (2n) + ridge ||theta||^2 / 2`` on the rows of ``X`` (n, p) and ``y`` (n,).

    Parameters
    ----------
    X, y : the data, finite, n >= 1 rows; kept once per call (device memory on the GPU).
    sampling : "with_replacement" (B independent uniform rows a step) or "epochs" (keyed reshuffles).
    drop_last : with epochs, skip the n mod B leftover rows (True) or take them as a short last batch.
    x0 : scalar or (p,), every run's start.
    ridge : >= 0.
    """

    layout = LAYOUT
    metrics = ("error_sq", "loss")
    kernels = ProblemKernels(init=init, grad=grad, metrics=metric_values)
    run_state_size = 4

    def __init__(self, X, y, sampling="with_replacement", drop_last=True, x0=0.0, ridge=0.0):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X must be a 2-d array with at least one row and one column; got shape {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), one value per row of X; got {y.shape}")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
            raise ValueError("X and y must be finite (no NaN or inf)")
        self.X, self.y = np.ascontiguousarray(X), np.ascontiguousarray(y)
        self.sampling = V.choice("sampling", sampling, SAMPLING)
        self.drop_last = bool(drop_last)
        self.x0 = V.vector("x0", x0, self.dim)
        self.ridge = V.in_interval("ridge", ridge, 0.0, math.inf, hi_open=True)
        n, p = X.shape
        self.hessian = X.T @ X / n + self.ridge * np.eye(p)
        if self.ridge > 0:
            self.theta_hat = np.linalg.solve(self.hessian, X.T @ y / n)
        else:
            self.theta_hat = np.linalg.lstsq(X, y, rcond=None)[0]  # minimum norm when not unique

    @classmethod
    def example(cls):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(7, 2))
        return cls(X, X @ [1.0, -1.0] + 0.3 * rng.normal(size=7), sampling="epochs", drop_last=False, x0=1.0)

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def dim(self):
        return self.X.shape[1]

    def check_batch_size(self, batch_size):
        if self.sampling == "epochs" and batch_size > self.n:
            raise ValueError(f"batch_size must be in [1, n = {self.n}] when sampling in epochs; got {batch_size}")

    def params(self):
        return {"problem": "LeastSquares", "n": self.n, "p": self.dim, "sampling": self.sampling,
                "drop_last": self.drop_last, "ridge": self.ridge}

    def pack(self, batch_size, dtype):
        return LAYOUT.pack(dtype, x0=self.x0, X=self.X, y=self.y, theta_hat=self.theta_hat, hessian=self.hessian,
                           ridge=self.ridge, n=self.n, p=self.dim, batch_size=batch_size,
                           epochs=self.sampling == "epochs", drop_last=self.drop_last,
                           half_bits=half_bits_for(self.n), rounds=rounds_for(half_bits_for(self.n)))

    def __repr__(self):
        return f"LeastSquares(n={self.n}, p={self.dim}, sampling={self.sampling!r}, drop_last={self.drop_last})"
