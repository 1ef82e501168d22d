"""Strongly convex quadratic with additive Gaussian gradient noise.

    f(theta) = 1/2 (theta - theta*)^T H (theta - theta*),   H = Q diag(lambda) Q^T,
    g(theta) = H (theta - theta*) + Q (sigma * z) / sqrt(B),   z ~ N(0, I_d).

The noise has covariance Q diag(sigma^2) Q^T, so M = E||g - grad f||^2 = sum(sigma^2)
for one sample. A minibatch of B averages B independent draws. With
``minibatch="scaled"`` (default) that average, itself Gaussian with variance
sigma^2 / B, is drawn exactly as one draw scaled by 1/sqrt(B), at the same cost for
every B; ``minibatch="average"`` draws the B samples and averages them, at B times
the cost, for checking the 1/B law without building it in.
"""
from dataclasses import dataclass
import math

import numpy as np

from . import _validate as V
from ._jit import kernel
from ._rng import fill_normals

KIND = 0
METRICS = ("error_sq", "loss")


@dataclass(frozen=True)
class ProblemData:
    """What a kernel needs of a problem: a kind id and arrays it only reads."""

    kind: int
    vec: np.ndarray   # (rows, d)
    mat: np.ndarray   # (d, d), or (1, 1) when unused
    scal: np.ndarray  # (k,)
    n_work: int       # scratch vectors of length d per run
    metrics: tuple


class Quadratic:
    """Noisy quadratic ``f(theta) = 1/2 (theta-theta*)^T H (theta-theta*)`` with ``H = Q diag(eigenvalues) Q^T``.

    Parameters
    ----------
    eigenvalues : array (d,), all > 0. ``mu = min``, ``L = max``.
    noise_std : scalar or (d,), >= 0. Per-eigendirection std ``sigma`` of one gradient sample.
    x0 : scalar or (d,). Starting point in the original coordinates.
    theta_star : scalar or (d,). The minimiser (default 0).
    rotation : None (Q = I), an int (seed of a Haar-random orthogonal Q) or a (d, d) orthogonal array.
        Rotation leaves SGD's error and loss unchanged in distribution; it matters for
        per-coordinate optimizers.
    minibatch : "scaled" (one Gaussian draw of the minibatch mean) or "average" (B draws averaged).
    """

    def __init__(self, eigenvalues, noise_std=1.0, x0=1.0, theta_star=0.0, rotation=None, minibatch="scaled"):
        lam = np.asarray(eigenvalues, dtype=np.float64)
        if lam.ndim != 1 or lam.size < 1:
            raise ValueError(f"eigenvalues must be a 1-d array with at least 1 entry; got shape {lam.shape}")
        d = lam.size
        self.eigenvalues = V.vector("eigenvalues", lam, d, positive=True)
        self.noise_std = V.vector("noise_std", noise_std, d, nonnegative=True)
        self.x0 = V.vector("x0", x0, d)
        self.theta_star = V.vector("theta_star", theta_star, d)
        self.rotation = _rotation(rotation, d)
        self.minibatch = V.choice("minibatch", minibatch, ("scaled", "average"))

    @property
    def dim(self):
        return self.eigenvalues.size

    @property
    def mu(self):
        return float(self.eigenvalues.min())

    @property
    def L(self):
        return float(self.eigenvalues.max())

    @property
    def noise_var(self):
        """Per-eigendirection variance of one gradient sample, sigma^2."""
        return self.noise_std**2

    @property
    def M(self):
        """Total variance of one gradient sample, sum(sigma^2)."""
        return float(self.noise_var.sum())

    @property
    def hessian(self):
        if self.rotation is None:
            return np.diag(self.eigenvalues)
        q = self.rotation
        return (q * self.eigenvalues) @ q.T

    @property
    def e0(self):
        """Initial error theta_0 - theta* in the eigenbasis, Q^T (x0 - theta*)."""
        e = self.x0 - self.theta_star
        return e if self.rotation is None else self.rotation.T @ e

    def params(self):
        """JSON-ready description (for meta.json)."""
        return {
            "problem": "Quadratic",
            "dim": self.dim,
            "mu": self.mu,
            "L": self.L,
            "M": self.M,
            "rotated": self.rotation is not None,
            "minibatch": self.minibatch,
        }

    def _pack(self, batch_size):
        rotated = self.rotation is not None
        draws = batch_size if self.minibatch == "average" else 1
        vec = np.stack([self.eigenvalues, self.theta_star, self.noise_std / math.sqrt(batch_size)])
        mat = np.ascontiguousarray(self.rotation) if rotated else np.zeros((1, 1))
        scal = np.array([1.0 if rotated else 0.0, float(draws)])
        return ProblemData(KIND, np.ascontiguousarray(vec), mat, scal, 3, METRICS)


def _rotation(rotation, d):
    if rotation is None:
        return None
    if isinstance(rotation, (int, np.integer)) and not isinstance(rotation, bool):
        if d == 1:
            return None
        from scipy.stats import ortho_group

        return np.ascontiguousarray(ortho_group.rvs(d, random_state=int(rotation)))
    q = np.asarray(rotation, dtype=np.float64)
    if q.shape != (d, d):
        raise ValueError(f"rotation must be None, an int seed, or shape ({d}, {d}); got shape {q.shape}")
    if not np.allclose(q.T @ q, np.eye(d), atol=1e-8):
        raise ValueError("rotation must be orthogonal (Q^T Q = I within 1e-8)")
    return np.ascontiguousarray(q)


@kernel(inline=True)
def _error_in_eigenbasis(x, ts, mat, y):
    """y = Q^T (x - theta*)."""
    d = ts.shape[0]
    for j in range(d):
        y[j] = 0.0
    for i in range(d):
        e = x[i] - ts[i]
        for j in range(d):
            y[j] += mat[i, j] * e


@kernel(inline=True)
def grad(x, rng, zig, vec, mat, scal, work, g):
    """Write one noisy gradient at ``x`` into ``g``; ``work[0]`` holds the noise, ``work[1]`` Q^T(x - theta*)."""
    d = vec.shape[1]  # a run-time length: a GPU compiler that unrolled these loops would run out of registers
    z = work[0]
    fill_normals(rng, z, d, zig)
    draws = int(scal[1])
    if draws > 1:
        # sum of `draws` standard normals; sigma/sqrt(B) * sum/sqrt(B) is the mean of B samples
        extra = work[2]
        for _ in range(draws - 1):
            fill_normals(rng, extra, d, zig)
            for i in range(d):
                z[i] += extra[i]
        inv = 1.0 / math.sqrt(draws)
        for i in range(d):
            z[i] *= inv
    lam = vec[0]
    ts = vec[1]
    sig = vec[2]
    if scal[0] == 0.0:
        for i in range(d):
            g[i] = lam[i] * (x[i] - ts[i]) + sig[i] * z[i]
    else:
        y = work[1]
        _error_in_eigenbasis(x, ts, mat, y)
        for j in range(d):
            y[j] = lam[j] * y[j] + sig[j] * z[j]
        for i in range(d):
            s = 0.0
            for j in range(d):
                s += mat[i, j] * y[j]
            g[i] = s


@kernel(inline=True)
def metrics(x, vec, mat, scal, work, out):
    """``out[0] = ||x - theta*||^2``, ``out[1] = f(x) - f*``."""
    d = vec.shape[1]  # run-time length, as in ``grad``
    lam = vec[0]
    ts = vec[1]
    err = 0.0
    loss = 0.0
    if scal[0] == 0.0:
        for i in range(d):
            e = x[i] - ts[i]
            err += e * e
            loss += lam[i] * e * e
    else:
        y = work[1]
        _error_in_eigenbasis(x, ts, mat, y)
        for j in range(d):
            err += y[j] * y[j]  # Q is orthogonal: ||Q^T e|| = ||e||
            loss += lam[j] * y[j] * y[j]
    out[0] = err
    out[1] = 0.5 * loss
