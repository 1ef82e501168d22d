"""Strongly convex quadratic with additive Gaussian gradient noise.

    f(theta) = 1/2 (theta - theta*)^T H (theta - theta*),   H = Q diag(lambda) Q^T,
    g(theta) = H (theta - theta*) + Q (sigma * z) / sqrt(B),   z ~ N(0, I_d).

The noise has covariance Q diag(sigma^2) Q^T, so M = E||g - grad f||^2 = sum(sigma^2)
for one sample. A minibatch of B averages B independent draws. With
``minibatch="scaled"`` (default) that average, itself Gaussian with variance
sigma^2 / B, is drawn exactly as one draw scaled by 1/sqrt(B), at the same cost for
every B; ``minibatch="average"`` draws the B samples and averages them, at B times
the cost, for checking the 1/B law without building it in.

With ``noise_cov=Sigma`` the noise is instead L z / sqrt(B), L L^T = Sigma (Sigma in the coordinates of
theta, so it need not share H's eigenvectors): covariance Sigma / B, drawn from the same d normals per
sample in both minibatch modes. Only diag(Q^T Sigma Q) enters E||theta_t - theta*||^2 and the loss of SGD
(``theory.eigenbasis_noise_var``), which ``noise_var`` returns.
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.layout import Layout, field, value
from ..device.rng import fill_normals
from .base import Problem, ProblemKernels

LAYOUT = Layout(floats=("x0", "x0_spread", "eigenvalues", "theta_star", "noise_scale", "rotation", "noise_factor"),
                ints=("dim", "rotated", "draws", "full_noise"))
F, I = LAYOUT.F, LAYOUT.I


@kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    """x0, plus x0_spread * N(0, I) from the run's stream when the spread is not 0 (nothing drawn otherwise)."""
    d = idata[I.dim]
    x0 = field(fd, idata, F.x0)
    s = value(fd, idata, F.x0_spread)
    if s != 0.0:
        fill_normals(rng, x, d, zig)
        for i in range(d):
            x[i] = x0[i] + s * x[i]
    else:
        for i in range(d):
            x[i] = x0[i]


@kernel(inline=True)
def _error_in_eigenbasis(x, ts, q, d, y):
    """y = Q^T (x - theta*), Q row-major in ``q``."""
    for j in range(d):
        y[j] = 0.0
    for i in range(d):
        e = x[i] - ts[i]
        for j in range(d):
            y[j] += q[i * d + j] * e


@kernel(inline=True)
def _add_factor_noise(y, lf, z, d):
    """y += F z, F (d, d) row-major in ``lf``: correlated noise from d independent standard normals."""
    for i in range(d):
        s = 0.0
        for k in range(d):
            s += lf[i * d + k] * z[k]
        y[i] += s


@kernel(inline=True)
def grad(x, g, t, rs, rng, zig, fd, idata, work):
    """One noisy minibatch gradient at ``x``; ``work`` holds the noise, Q^T(x - theta*) and extra draws.

    The noise is ``noise_scale * z`` per eigendirection, or with ``full_noise`` F z for the packed factor F
    (Sigma's factor L / sqrt(B), turned into the eigenbasis, Q^T L / sqrt(B), when rotated); both use the
    same d normals per sample, so the random streams are consumed alike."""
    d = idata[I.dim]  # a run-time length: a GPU compiler that unrolled these loops would run out of registers
    z = work[0:d]
    fill_normals(rng, z, d, zig)
    draws = idata[I.draws]
    if draws > 1:
        # sum of `draws` standard normals; sigma/sqrt(B) * sum/sqrt(B) is the mean of B samples
        extra = work[2 * d:3 * d]
        for _ in range(draws - 1):
            fill_normals(rng, extra, d, zig)
            for i in range(d):
                z[i] += extra[i]
        inv = 1.0 / math.sqrt(draws)
        for i in range(d):
            z[i] *= inv
    lam = field(fd, idata, F.eigenvalues)
    ts = field(fd, idata, F.theta_star)
    sig = field(fd, idata, F.noise_scale)
    full = idata[I.full_noise]
    if idata[I.rotated] == 0:
        if full == 0:
            for i in range(d):
                g[i] = lam[i] * (x[i] - ts[i]) + sig[i] * z[i]
        else:
            for i in range(d):
                g[i] = lam[i] * (x[i] - ts[i])
            _add_factor_noise(g, field(fd, idata, F.noise_factor), z, d)
    else:
        q = field(fd, idata, F.rotation)
        y = work[d:2 * d]
        _error_in_eigenbasis(x, ts, q, d, y)
        if full == 0:
            for j in range(d):
                y[j] = lam[j] * y[j] + sig[j] * z[j]
        else:
            for j in range(d):
                y[j] = lam[j] * y[j]
            _add_factor_noise(y, field(fd, idata, F.noise_factor), z, d)
        for i in range(d):
            s = 0.0
            for j in range(d):
                s += q[i * d + j] * y[j]
            g[i] = s


@kernel(inline=True)
def metric_values(x, out, fd, idata, work):
    """``out[0] = ||x - theta*||^2``, ``out[1] = f(x) - f*``."""
    d = idata[I.dim]
    lam = field(fd, idata, F.eigenvalues)
    ts = field(fd, idata, F.theta_star)
    err = 0.0
    loss = 0.0
    if idata[I.rotated] == 0:
        for i in range(d):
            e = x[i] - ts[i]
            err += e * e
            loss += lam[i] * e * e
    else:
        y = work[d:2 * d]
        _error_in_eigenbasis(x, ts, field(fd, idata, F.rotation), d, y)
        for j in range(d):
            err += y[j] * y[j]  # Q is orthogonal: ||Q^T e|| = ||e||
            loss += lam[j] * y[j] * y[j]
    out[0] = err
    out[1] = 0.5 * loss


class Quadratic(Problem):
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
    noise_cov : None, or a (d, d) symmetric positive semi-definite matrix Sigma: the covariance of one
        sample's gradient noise in the coordinates of theta (those of ``x0`` and ``theta_star``), so the
        noise can be misaligned with the curvature. Factored once (Cholesky, or the eigendecomposition when
        Sigma is singular) into L with L L^T = Sigma; a gradient sample then adds L z, z ~ N(0, I_d), and a
        minibatch of B has covariance Sigma / B in both ``minibatch`` modes. ``noise_std`` must then be left
        at its default and becomes sqrt(``noise_var``), with ``noise_var`` = diag(Q^T Sigma Q) (what the
        exact theory of SGD and momentum needs) and ``M`` = tr(Sigma). The default (None) keeps the aligned
        noise above with its random numbers exactly as before.
    x0_spread : >= 0. Each run starts at ``x0 + x0_spread * z`` with ``z ~ N(0, I_d)`` from its own
        stream (0: every run starts at ``x0`` and nothing is drawn). E||theta_0 - theta*||^2 is then
        ||x0 - theta*||^2 + d x0_spread^2 (``e0_sq``).
    """

    layout = LAYOUT
    metrics = ("error_sq", "loss")
    kernels = ProblemKernels(init=init, grad=grad, metrics=metric_values)

    def __init__(self, eigenvalues, noise_std=1.0, x0=1.0, theta_star=0.0, rotation=None, minibatch="scaled",
                 x0_spread=0.0, noise_cov=None):
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
        self.x0_spread = V.in_interval("x0_spread", x0_spread, 0.0, math.inf, hi_open=True)
        self.noise_cov, self._noise_factor = None, None
        if noise_cov is not None:
            if not np.all(self.noise_std == 1.0):
                raise ValueError("noise_std must be left at its default (1.0) when noise_cov is given: noise_cov "
                                 "is the whole noise covariance (scale it instead)")
            self.noise_cov, self._noise_factor = _noise_cov(noise_cov, d)
            q = np.eye(d) if self.rotation is None else self.rotation
            var = np.einsum("ij,ik,kj->j", q, self.noise_cov, q)  # theory.eigenbasis_noise_var
            self.noise_std = np.sqrt(np.maximum(var, 0.0))
            self._noise_var = np.maximum(var, 0.0)

    @classmethod
    def example(cls):
        return cls(np.array([0.3, 1.0]), noise_std=[1.0, 0.3], x0=[1.0, -2.0], theta_star=[0.5, 0.0])

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
        """Per-eigendirection variance of one gradient sample, sigma^2; diag(Q^T Sigma Q) with ``noise_cov``."""
        return self.noise_std**2 if self.noise_cov is None else self._noise_var.copy()

    @property
    def M(self):
        """Total variance of one gradient sample, sum(sigma^2) (tr Sigma with ``noise_cov``)."""
        return float(self.noise_var.sum())

    @property
    def hessian(self):
        if self.rotation is None:
            return np.diag(self.eigenvalues)
        q = self.rotation
        return (q * self.eigenvalues) @ q.T

    @property
    def e0(self):
        """Initial error theta_0 - theta* in the eigenbasis, Q^T (x0 - theta*) (its mean, with a spread)."""
        e = self.x0 - self.theta_star
        return e if self.rotation is None else self.rotation.T @ e

    @property
    def e0_sq(self):
        """E[(theta_0 - theta*)_i^2] per eigendirection: e0^2 + x0_spread^2 (an isotropic spread stays isotropic)."""
        return self.e0**2 + self.x0_spread**2

    def work_size(self, batch_size):
        return 3 * self.dim

    def params(self):
        return {
            "problem": "Quadratic",
            "dim": self.dim,
            "mu": self.mu,
            "L": self.L,
            "M": self.M,
            "rotated": self.rotation is not None,
            "minibatch": self.minibatch,
            "x0_spread": self.x0_spread,
            **({} if self.noise_cov is None else {"noise_cov": _cov_summary(self.noise_cov)}),
        }

    def pack(self, batch_size, dtype):
        rotated = self.rotation is not None
        full = self.noise_cov is not None
        if full:  # added in the coordinates the kernel forms H (x - theta*) in: the eigenbasis when rotated
            f = self._noise_factor if not rotated else self.rotation.T @ self._noise_factor
            factor = f / math.sqrt(batch_size)
        return LAYOUT.pack(
            dtype, x0=self.x0, x0_spread=self.x0_spread, eigenvalues=self.eigenvalues, theta_star=self.theta_star,
            noise_scale=self.noise_std / math.sqrt(batch_size),
            rotation=self.rotation if rotated else np.zeros(1),
            noise_factor=factor if full else np.zeros(1),
            dim=self.dim, rotated=rotated, draws=batch_size if self.minibatch == "average" else 1, full_noise=full)

    def __repr__(self):
        """The call that rebuilds this problem, ``eval(repr(q), vars(simsgd))``: arrays as lists (a vector of
        equal entries as one number), except past 1000 numbers (numpy's threshold), shown by their shape."""
        def show(a, scalar=True):
            if scalar and np.all(a == a.flat[0]):
                return repr(float(a.flat[0]))
            return repr(a.tolist()) if a.size <= 1000 else f"<array of shape {a.shape}>"

        cov = getattr(self, "noise_cov", None)  # given, noise_std is derived from it and not an argument
        args = {"eigenvalues": show(self.eigenvalues, scalar=False),
                "noise_std": "1.0" if cov is not None else show(self.noise_std),
                "x0": show(self.x0), "theta_star": show(self.theta_star),
                "rotation": "None" if self.rotation is None else show(self.rotation, scalar=False),
                "minibatch": repr(self.minibatch), "x0_spread": repr(self.x0_spread)}
        if cov is not None:
            args["noise_cov"] = show(cov, scalar=False)
        return f"Quadratic({', '.join(f'{k}={v}' for k, v in args.items())})"


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


def _noise_cov(noise_cov, d):
    """``noise_cov`` checked (finite, (d, d), symmetric within 1e-12 relative, PSD within rounding), symmetrised,
    and a factor L with L L^T = noise_cov: Cholesky's when it is positive definite, else V sqrt(w) from its
    eigendecomposition, eigenvalues within rounding (1e-12 d max|S|) of 0 set to 0."""
    try:
        c = np.asarray(noise_cov, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"noise_cov must be None or a ({d}, {d}) array of numbers; got {noise_cov!r}") from None
    if c.shape != (d, d):
        raise ValueError(f"noise_cov must be None or have shape ({d}, {d}); got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("noise_cov must be finite everywhere")
    scale = float(np.max(np.abs(c)))
    asym = float(np.max(np.abs(c - c.T)))
    if asym > 1e-12 * scale:
        raise ValueError(f"noise_cov must be symmetric (|S - S^T| <= 1e-12 max|S|); got an asymmetry of {asym:.3g} "
                         f"against max|S| = {scale:.3g}")
    c = np.ascontiguousarray(0.5 * (c + c.T))
    w, v = np.linalg.eigh(c)
    tol = 1e-12 * d * max(scale, 1e-300)  # eigenvalues within this of 0 are 0 up to rounding
    if w.min() < -tol:
        raise ValueError(f"noise_cov must be positive semi-definite; its smallest eigenvalue is {w.min():.6g} "
                         f"(largest {w.max():.6g})")
    factor = None
    if w.min() > tol:
        try:
            factor = np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            pass
    if factor is None:  # singular (or nearly): no noise at all along the null space
        factor = v * np.sqrt(np.where(w > tol, w, 0.0))
    return c, np.ascontiguousarray(factor)


def _cov_summary(c):
    """noise_cov for ``params()``: the matrix as nested lists up to 6 x 6, else its trace and a digest."""
    if c.shape[0] <= 6:
        return c.tolist()
    import hashlib

    return {"trace": float(np.trace(c)), "sha256": hashlib.sha256(np.ascontiguousarray(c).tobytes()).hexdigest()[:16]}
