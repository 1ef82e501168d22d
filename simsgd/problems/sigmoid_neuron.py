"""One sigmoid neuron with the squared loss on a finite dataset (Auer, Herbster & Warmuth 1995's many minima).

    f(w) = (1/n) sum_i (s_i - y_i)^2,   s_i = sigmoid(x_i^T w),
    g(w) = (1/|S|) sum_{i in S} 2 (s_i - y_i) s_i (1 - s_i) x_i,

with S the step's minibatch, drawn as ``problems.finite_data`` describes. There is no bias (a column
of ones in X gives one). Metric: ``loss`` = f(w). A run starts at ``x0`` or, with ``log10_range=(lo,
hi)``, at w_j = 10^u_j with u_j ~ U(lo, hi) from its own stream for each coordinate: positive weights
spread over orders of magnitude, where the construction's wells lie.
"""
import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.layout import Layout, field
from ..device.rng import next_double
from .base import ProblemKernels
from .finite_data import SAMPLER_INTS, FiniteData, batch_begin, batch_row, start_sampler
from .logistic_regression import _margin, _sigmoid, sigmoid

LAYOUT = Layout(floats=("x0", "X", "y", "log10_range"), ints=SAMPLER_INTS + ("p", "log_init"))
F, I = LAYOUT.F, LAYOUT.I


@kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    x0, r = field(fd, idata, F.x0), field(fd, idata, F.log10_range)
    for i in range(idata[I.p]):
        x[i] = 10.0 ** (r[0] + (r[1] - r[0]) * next_double(rng, 0)) if idata[I.log_init] != 0 else x0[i]
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
        s = sigmoid(_margin(x, row, p))
        r = 2.0 * (s - y[k]) * s * (1.0 - s)
        for i in range(p):
            g[i] += r * row[i]
    inv = 1.0 / count
    for i in range(p):
        g[i] *= inv


@kernel(inline=True)
def metric_values(x, out, fd, idata, work):
    p, n = idata[I.p], idata[I.n]
    X, y = field(fd, idata, F.X), field(fd, idata, F.y)
    loss = 0.0
    for k in range(n):
        r = sigmoid(_margin(x, X[k * p:(k + 1) * p], p)) - y[k]
        loss += r * r
    out[0] = loss / n


class SigmoidNeuron(FiniteData):
    """One neuron sigmoid(x^T w) fitted by the squared loss to the rows of ``X`` (n, p) (see the module docstring).

    Parameters
    ----------
    X, y : the data, finite, n >= 1 rows, targets y in [0, 1].
    sampling, drop_last : as for ``LeastSquares``.
    x0 : scalar or (p,), every run's start (unless ``log10_range`` is given).
    log10_range : (lo, hi) with lo <= hi: each run starts at w_j = 10^U(lo, hi) instead.
    """

    layout = LAYOUT
    metrics = ("loss",)
    kernels = ProblemKernels(init=init, grad=grad, metrics=metric_values)

    def __init__(self, X, y, sampling="with_replacement", drop_last=True, x0=0.0, log10_range=None):
        super().__init__(X, y, sampling, drop_last)
        if not np.all((self.y >= 0) & (self.y <= 1)):
            raise ValueError(f"y must hold targets in [0, 1] (a sigmoid's range); got values from {self.y.min()!r} "
                             f"to {self.y.max()!r}")
        self.x0 = V.vector("x0", x0, self.dim)
        self.log10_range = None
        if log10_range is not None:
            r = V.vector("log10_range", log10_range, 2)
            if not r[0] <= r[1] or np.abs(r).max() > 300:
                raise ValueError(f"log10_range must be (lo, hi) with lo <= hi, both in [-300, 300]; got {tuple(r)}")
            self.log10_range = r

    def loss_at(self, w):
        """f at ``w`` ((p,) or (..., p)), computed with NumPy."""
        s = _sigmoid(np.asarray(w) @ self.X.T)
        return np.mean((s - self.y) ** 2, axis=-1)

    def grad_at(self, w):
        """The full-batch gradient at ``w`` (p,), computed with NumPy."""
        s = _sigmoid(self.X @ np.asarray(w))
        return self.X.T @ (2 * (s - self.y) * s * (1 - s)) / self.n

    @classmethod
    def example(cls):
        X = np.array([[1.0, 0.0], [0.1, 0.0], [0.0, 1.0], [0.0, 0.3], [0.5, 0.5]])
        return cls(X, [0.9, 0.8, 0.7, 0.9, 0.2], sampling="epochs", drop_last=False, log10_range=(-1.0, 1.0))

    def params(self):
        return {"problem": "SigmoidNeuron", **self.sampler_params(),
                "log10_range": None if self.log10_range is None else self.log10_range.tolist()}

    def pack(self, batch_size, dtype):
        r = self.log10_range
        return LAYOUT.pack(dtype, x0=self.x0, X=self.X, y=self.y, log10_range=[0.0, 0.0] if r is None else r,
                           p=self.dim, log_init=r is not None, **self.sampler_fields(batch_size))

    def __repr__(self):
        return f"SigmoidNeuron(n={self.n}, p={self.dim}, sampling={self.sampling!r}, log10_range={self.log10_range})"
