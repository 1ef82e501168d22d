"""Minimum-norm least squares refitted thousands of times: Gaussian designs and random ReLU features.

Both fits are beta_hat = A^+ y for a design A of n rows and p columns, computed by one Cholesky
factorisation of the smaller Gram matrix: A^T A (p <= n, then beta_hat = (A^T A)^{-1} A^T y, ordinary
least squares) or A A^T (p > n, then beta_hat = A^T (A A^T)^{-1} y, the interpolant of least norm). No
ridge is added, so near p = n the Gram matrix may be numerically singular: a factorisation that fails
is counted in ``failed`` and its errors are +inf (never NaN, so medians and ranks stay defined).
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.linalg import cho_solve, cholesky
from ..device.rng import normal
from .runs import per_run


@kernel
def gram_factor(A, n, p, G):
    """Cholesky factor of the smaller Gram matrix of A[:n, :p] into G's leading min(n, p) block; False if singular.

    Only the lower triangle is formed, the part ``cholesky`` reads.
    """
    if p <= n:
        for j in range(p):
            for m in range(j + 1):
                G[j, m] = 0.0
        for i in range(n):
            for j in range(p):
                a = A[i, j]
                for m in range(j + 1):
                    G[j, m] += a * A[i, m]
        return cholesky(G, p)
    for i in range(n):
        for m in range(i + 1):
            s = 0.0
            for j in range(p):
                s += A[i, j] * A[m, j]
            G[i, m] = s
    return cholesky(G, n)


@kernel
def min_norm_apply(A, n, p, G, y, out, work):
    """out[:p] = A^+ y for A = A[:n, :p], G from ``gram_factor``; ``work`` holds n words."""
    if p <= n:
        for j in range(p):
            out[j] = 0.0
        for i in range(n):
            yi = y[i]
            for j in range(p):
                out[j] += A[i, j] * yi
        cho_solve(G, p, out)
        return
    for i in range(n):
        work[i] = y[i]
    cho_solve(G, n, work)
    for j in range(p):
        out[j] = 0.0
    for i in range(n):
        c = work[i]
        for j in range(p):
            out[j] += A[i, j] * c


@kernel
def _solve_one(A, y, G, out, work):
    n, p = A.shape
    if not gram_factor(A, n, p, G):
        return False
    min_norm_apply(A, n, p, G, y, out, work)
    return True


def min_norm_solution(A, y):
    """A^+ y by the kernels' solver, for checking it against NumPy; ``LinAlgError`` if the Gram matrix is singular."""
    A = np.ascontiguousarray(A, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if A.ndim != 2 or A.size == 0 or y.shape != (A.shape[0],):
        raise ValueError(f"A must be (n, p) with n, p >= 1 and y (n,); got {A.shape} and {y.shape}")
    k = min(A.shape)
    out = np.zeros(A.shape[1])
    if not _solve_one(A, y, np.zeros((k, k)), out, np.zeros(A.shape[0])):
        raise np.linalg.LinAlgError("the Gram matrix of A is not numerically positive definite")
    return out


def _sizes(name, ps):
    try:
        a = np.asarray(ps)
    except (TypeError, ValueError):
        a = None
    if a is None or a.ndim != 1 or a.size == 0 or a.dtype.kind not in "iu" or np.any(a < 1):
        raise ValueError(f"{name} must be a non-empty 1-D sequence of integers >= 1; got {ps!r}")
    return np.ascontiguousarray(a, dtype=np.int64)


def _nonnegative(name, x):
    return V.in_interval(name, x, 0.0, math.inf, hi_open=True)


# ---------------------------------------------------------------- isotropic Gaussian design

@kernel
def _gaussian_body(r, rng, zig, scratch, args):
    ps, par, bias, variance, excess, failed = args
    n = int(par[0])
    sigma = par[1]
    signal = par[2]
    pmax = int(par[3])
    k = min(n, pmax)
    wide = max(n, pmax)
    o = 0
    A = scratch[o:o + n * pmax].reshape((n, pmax))
    o += n * pmax
    G = scratch[o:o + k * k].reshape((k, k))
    o += k * k
    eps = scratch[o:o + n]
    o += n
    xb = scratch[o:o + n]
    o += n
    work = scratch[o:o + n]
    o += n
    u = scratch[o:o + wide]
    o += wide
    v = scratch[o:o + wide]
    for q in range(ps.shape[0]):
        p = ps[q]
        for i in range(n):
            for j in range(p):
                A[i, j] = normal(rng, 0, zig)
        for i in range(n):
            eps[i] = normal(rng, 0, zig)
            xb[i] = signal * A[i, 0]  # X beta with beta = signal e_1 (the design is rotation invariant)
        if not gram_factor(A, n, p, G):
            bias[r, q] = math.inf
            variance[r, q] = math.inf
            excess[r, q] = math.inf
            failed[r, q] = True
            continue
        failed[r, q] = False
        min_norm_apply(A, n, p, G, xb, u, work)
        min_norm_apply(A, n, p, G, eps, v, work)
        b = 0.0
        s = 0.0
        e = 0.0
        for j in range(p):
            beta = signal if j == 0 else 0.0
            b += (u[j] - beta) ** 2
            s += v[j] * v[j]
            e += (u[j] + sigma * v[j] - beta) ** 2
        bias[r, q] = b
        variance[r, q] = sigma * sigma * s
        excess[r, q] = e


def min_norm_fits(n, ps, noise_std, signal, runs, seed=0, threads=None):
    """Excess risk of the minimum-norm fit X^+ y, X with iid N(0, 1) entries, for each p in ``ps``.

    Per run and per p a fresh X (n x p) and noise: y = X beta + noise_std eps, ||beta|| = ``signal``.
    Returns a dict of (runs, len(ps)) arrays: ``bias`` ||(X^+ X - I) beta||^2, ``variance``
    noise_std^2 ||X^+ eps||^2, ``excess`` ||X^+ y - beta||^2 (the test risk minus noise_std^2) and
    ``failed`` (the Gram matrix did not factorise; those errors are +inf).
    """
    n = V.int_at_least("n", n, 2)
    ps = _sizes("ps", ps)
    noise_std = _nonnegative("noise_std", noise_std)
    signal = _nonnegative("signal", signal)
    runs = V.int_at_least("runs", runs, 1)
    seed = V.seed("seed", seed)
    pmax = int(ps.max())
    k = min(n, pmax)
    shape = (runs, ps.size)
    out = {"bias": np.empty(shape), "variance": np.empty(shape), "excess": np.empty(shape),
           "failed": np.empty(shape, dtype=np.bool_)}
    par = np.array([n, noise_std, signal, pmax], dtype=np.float64)
    size = n * pmax + k * k + 3 * n + 2 * max(n, pmax)
    per_run(_gaussian_body, runs, seed, size, (ps, par, out["bias"], out["variance"], out["excess"], out["failed"]),
            threads=threads)
    return out


# ---------------------------------------------------------------- random ReLU features

@kernel
def _features_body(r, rng, zig, scratch, args):
    ps, par, test_error, train_error, failed = args
    n = int(par[0])
    d = int(par[1])
    sigma = par[2]
    n_test = int(par[3])
    pmax = int(par[4])
    npk = ps.shape[0]
    k = min(n, pmax)
    wide = max(n, pmax)
    w_scale = 1.0 / math.sqrt(d)
    o = 0
    W = scratch[o:o + pmax * d].reshape((pmax, d))
    o += pmax * d
    X = scratch[o:o + n * d].reshape((n, d))
    o += n * d
    Z = scratch[o:o + n * pmax].reshape((n, pmax))
    o += n * pmax
    G = scratch[o:o + k * k].reshape((k, k))
    o += k * k
    y = scratch[o:o + n]
    o += n
    work = scratch[o:o + n]
    o += n
    coef = scratch[o:o + npk * wide].reshape((npk, wide))
    o += npk * wide
    x = scratch[o:o + d]
    o += d
    z = scratch[o:o + pmax]
    for j in range(pmax):
        for c in range(d):
            W[j, c] = w_scale * normal(rng, 0, zig)
    for i in range(n):
        for c in range(d):
            X[i, c] = normal(rng, 0, zig)
        y[i] = X[i, 0] + sigma * normal(rng, 0, zig)  # teacher x_0 (unit signal), plus label noise
    for i in range(n):
        for j in range(pmax):
            s = 0.0
            for c in range(d):
                s += W[j, c] * X[i, c]
            Z[i, j] = s if s > 0.0 else 0.0
    for q in range(npk):
        p = ps[q]
        failed[r, q] = not gram_factor(Z, n, p, G)
        if failed[r, q]:
            continue
        min_norm_apply(Z, n, p, G, y, coef[q], work)
        s = 0.0
        for i in range(n):
            f = 0.0
            for j in range(p):
                f += coef[q, j] * Z[i, j]
            s += (f - y[i]) ** 2
        train_error[r, q] = s / n
        test_error[r, q] = 0.0
    for t in range(n_test):
        for c in range(d):
            x[c] = normal(rng, 0, zig)
        for j in range(pmax):
            s = 0.0
            for c in range(d):
                s += W[j, c] * x[c]
            z[j] = s if s > 0.0 else 0.0
        for q in range(npk):
            if failed[r, q]:
                continue
            f = 0.0
            for j in range(ps[q]):
                f += coef[q, j] * z[j]
            test_error[r, q] += (f - x[0]) ** 2
    for q in range(npk):
        if failed[r, q]:
            test_error[r, q] = math.inf
            train_error[r, q] = math.inf
        else:
            test_error[r, q] /= n_test


def random_features_fits(n, d, ps, noise_std, runs, test_points, seed=0, threads=None):
    """Test error of minimum-norm least squares on p random ReLU features, for each p in ``ps``.

    Per run: n training inputs x ~ N(0, I_d) with labels y = x_0 + noise_std eps (a linear teacher of unit
    signal), one first layer W ~ N(0, 1/d) of max(ps) rows whose first p rows give the features relu(W x), and
    ``test_points`` fresh inputs. Returns a dict of (runs, len(ps)) arrays: ``test_error`` the mean of
    (f(x) - x_0)^2 over the test points (the risk minus noise_std^2), ``train_error`` the mean squared
    residual on the training set, ``failed`` (numerically singular Gram matrix; errors +inf).
    """
    n = V.int_at_least("n", n, 2)
    d = V.int_at_least("d", d, 1)
    ps = _sizes("ps", ps)
    noise_std = _nonnegative("noise_std", noise_std)
    runs = V.int_at_least("runs", runs, 1)
    test_points = V.int_at_least("test_points", test_points, 1)
    seed = V.seed("seed", seed)
    pmax = int(ps.max())
    k = min(n, pmax)
    shape = (runs, ps.size)
    out = {"test_error": np.empty(shape), "train_error": np.empty(shape), "failed": np.empty(shape, dtype=np.bool_)}
    par = np.array([n, d, noise_std, test_points, pmax], dtype=np.float64)
    size = pmax * d + n * d + n * pmax + k * k + 2 * n + ps.size * max(n, pmax) + d + pmax
    per_run(_features_body, runs, seed, size, (ps, par, out["test_error"], out["train_error"], out["failed"]),
            threads=threads)
    return out
