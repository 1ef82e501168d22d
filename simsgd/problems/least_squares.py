"""Least squares on a finite dataset, sampled with replacement or in epochs without it.

    f(theta) = ||X theta - y||^2 / (2 n) + ridge ||theta||^2 / 2,
    g(theta) = (1/|S|) sum_{i in S} x_i (x_i^T theta - y_i) + ridge theta,

with S the step's minibatch, drawn as ``problems.finite_data`` describes. Metrics: ``error_sq`` =
||theta - theta_hat||^2 with theta_hat the minimiser (the minimum-norm one, X^+ y, when it is not
unique and ridge = 0), and ``loss`` = f(theta) - f(theta_hat) = (theta - theta_hat)^T H (theta - theta_hat) / 2,
H = X^T X / n + ridge I.
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.layout import Layout, field, value
from .base import ProblemKernels
from .finite_data import SAMPLER_INTS, FiniteData, batch_begin, batch_row, start_sampler

LAYOUT = Layout(floats=("x0", "X", "y", "theta_hat", "hessian", "ridge"), ints=SAMPLER_INTS + ("p",))
F, I = LAYOUT.F, LAYOUT.I


@kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    x0 = field(fd, idata, F.x0)
    for i in range(idata[I.p]):
        x[i] = x0[i]
    start_sampler(rs, idata, I.n)


@kernel(inline=True)
def _add_row(x, g, k, X, y, p):
    """g += x_k (x_k^T x - y_k)."""
    # a view of the row, indexed by the loop counter alone: X[k * p + i] makes numba check for a negative
    # index on every read, which kept LLVM from vectorising (measured: 78 -> 17 ns a row at p = 20)
    row = X[k * p:(k + 1) * p]
    r = -y[k]
    for i in range(p):
        r += row[i] * x[i]
    for i in range(p):
        g[i] += r * row[i]


@kernel(inline=True)
def grad(x, g, t, rs, rng, zig, fd, idata, work):
    p = idata[I.p]
    X, y = field(fd, idata, F.X), field(fd, idata, F.y)
    for i in range(p):
        g[i] = 0.0
    first, count, key = batch_begin(rs, rng, idata, I.n)
    for j in range(count):
        _add_row(x, g, batch_row(j, first, count, key, rng, idata, I.n), X, y, p)
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
        hi = h[i * p:(i + 1) * p]
        s = 0.0
        for j in range(p):
            s += hi[j] * (x[j] - th[j])
        loss += ei * s
    out[0] = err
    out[1] = 0.5 * loss


class LeastSquares(FiniteData):
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

    def __init__(self, X, y, sampling="with_replacement", drop_last=True, x0=0.0, ridge=0.0):
        super().__init__(X, y, sampling, drop_last)
        X, y = self.X, self.y
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

    def params(self):
        return {"problem": "LeastSquares", **self.sampler_params(), "ridge": self.ridge}

    def pack(self, batch_size, dtype):
        return LAYOUT.pack(dtype, x0=self.x0, X=self.X, y=self.y, theta_hat=self.theta_hat, hessian=self.hessian,
                           ridge=self.ridge, p=self.dim, **self.sampler_fields(batch_size))

    def __repr__(self):
        return f"LeastSquares(n={self.n}, p={self.dim}, sampling={self.sampling!r}, drop_last={self.drop_last})"
