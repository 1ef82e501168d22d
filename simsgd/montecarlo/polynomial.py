"""Least-squares polynomial fits of every degree to resampled training sets, and their bias and variance.

A training set is ``n`` inputs x = cos(pi u) (the arcsine law on [-1, 1]; u the next uniform double of
generator A) with labels y = f(x) + sigma eps (eps the next normal of generator A, drawn right after its
x), f a Chebyshev series. The fit of degree k minimises the squared error over T_0 .. T_k. The Gram
matrix of degree K is accumulated once and factorised once, G = L L^T: its leading (k + 1) block is the
degree-k Gram matrix and the leading block of L is that block's factor, so one forward substitution
serves every degree and each degree costs one back substitution. After the set, m normals eps* make
fresh test labels y* = f(x*) + sigma eps* at the fixed test inputs, shared by every degree.

One run of ``per_run`` is a group of consecutive training sets: it keeps, per degree and test input, the
mean prediction over its sets and the sum of squared deviations from it, so that bias^2 (which needs the
mean over all sets) and variance follow with jackknife errors over groups, in little memory.
"""
import math

import numpy as np
from numpy.polynomial import chebyshev as _cheb

from .. import validate as V
from ..device.jit import kernel
from ..device.linalg import cholesky
from ..device.rng import next_double, normal
from .runs import per_run


@kernel
def _chebyshev_basis(x, k, t):
    """t[0:k + 1] = T_0(x) .. T_k(x) by the three-term recurrence."""
    t[0] = 1.0
    if k >= 1:
        t[1] = x
    for j in range(2, k + 1):
        t[j] = 2.0 * x * t[j - 1] - t[j - 2]


@kernel
def _chebyshev_value(coef, x):
    """sum_j coef[j] T_j(x) (Clenshaw)."""
    b1 = 0.0
    b2 = 0.0
    for j in range(coef.size - 1, 0, -1):
        b0 = coef[j] + 2.0 * x * b1 - b2
        b2 = b1
        b1 = b0
    return coef[0] + x * b1 - b2


@kernel
def _accumulate(gram, rhs, t, k, y):
    """Add one example (basis row t, label y) to the lower triangle of the Gram matrix and to Phi^T y."""
    for j in range(k + 1):
        tj = t[j]
        rhs[j] += tj * y
        for l in range(j + 1):
            gram[j, l] += tj * t[l]


@kernel
def _forward(L, k, z):
    """Overwrite z[0:k + 1] with L^-1 z."""
    for i in range(k + 1):
        s = z[i]
        for l in range(i):
            s -= L[i, l] * z[l]
        z[i] = s / L[i, i]


@kernel
def _backward(L, k, z, a):
    """a[0:k + 1] = L_k^-T z[0:k + 1], L_k the leading (k + 1) block: the degree-k coefficients."""
    for i in range(k, -1, -1):
        s = z[i]
        for l in range(i + 1, k + 1):
            s -= L[l, i] * a[l]
        a[i] = s / L[i, i]


@kernel
def fit_all_degrees(x, y, max_degree, coef_out, scratch):
    """Least-squares Chebyshev fits of degrees 0 .. K to (x, y): ``coef_out[k, :k + 1]`` (rest zeroed).

    ``scratch`` holds at least (K + 1) (K + 4) words. False if the Gram matrix is not positive definite.
    """
    p = max_degree + 1
    gram = scratch[:p * p].reshape((p, p))
    rhs = scratch[p * p:p * p + p]
    t = scratch[p * p + p:p * p + 2 * p]
    for j in range(p):
        rhs[j] = 0.0
        for l in range(p):
            gram[j, l] = 0.0
    for i in range(x.size):
        _chebyshev_basis(x[i], max_degree, t)
        _accumulate(gram, rhs, t, max_degree, y[i])
    if not cholesky(gram, p):
        return False
    _forward(gram, max_degree, rhs)
    for k in range(p):
        for j in range(p):
            coef_out[k, j] = 0.0
        _backward(gram, k, rhs, coef_out[k])
    return True


@kernel
def _group_body(r, rng, zig, scratch, args):
    (sizes, noise, coef, test_x, mean, m2, test_error, first_x, first_y, first_coef, sets) = args
    n, K, per_group = sizes[0], sizes[1], sizes[2]
    sigma = noise[0]
    m = test_x.size
    p = K + 1
    gram = scratch[:p * p].reshape((p, p))
    o = p * p
    rhs = scratch[o:o + p]
    t = scratch[o + p:o + 2 * p]
    a = scratch[o + 2 * p:o + 3 * p]
    o += 3 * p
    basis_test = scratch[o:o + m * p].reshape((m, p))
    o += m * p
    f_test = scratch[o:o + m]
    y_test = scratch[o + m:o + 2 * m]
    for i in range(m):
        _chebyshev_basis(test_x[i], K, basis_test[i])
        f_test[i] = _chebyshev_value(coef, test_x[i])
    for k in range(p):
        test_error[r, k] = 0.0
        for i in range(m):
            mean[r, k, i] = 0.0
            m2[r, k, i] = 0.0
    sets[r] = 0
    done = 0  # sets in the group's running means
    for s in range(per_group):
        for j in range(p):
            rhs[j] = 0.0
            for l in range(j + 1):
                gram[j, l] = 0.0
        for i in range(n):
            x = math.cos(math.pi * next_double(rng, 0))
            y = _chebyshev_value(coef, x) + sigma * normal(rng, 0, zig)
            if s == 0:
                first_x[r, i] = x
                first_y[r, i] = y
            _chebyshev_basis(x, K, t)
            _accumulate(gram, rhs, t, K, y)
        for i in range(m):
            y_test[i] = f_test[i] + sigma * normal(rng, 0, zig)
        if not cholesky(gram, p):
            continue
        done += 1
        sets[r] = done
        _forward(gram, K, rhs)
        for k in range(p):
            _backward(gram, k, rhs, a)
            if s == 0:
                for j in range(p):
                    first_coef[r, k, j] = a[j] if j <= k else 0.0
            err = 0.0
            for i in range(m):
                pred = 0.0
                for j in range(k + 1):
                    pred += a[j] * basis_test[i, j]
                d = pred - y_test[i]
                err += d * d
                delta = pred - mean[r, k, i]
                mean[r, k, i] += delta / done
                m2[r, k, i] += delta * (pred - mean[r, k, i])
            test_error[r, k] += (err / m - test_error[r, k]) / done


def _array(name, x, lo=-math.inf, hi=math.inf):
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        a = None
    if a is None or a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)) or np.any(a < lo) or np.any(a > hi):
        where = "" if lo == -math.inf else f" in [{lo:g}, {hi:g}]"
        raise ValueError(f"{name} must be a non-empty 1-D array of finite numbers{where}; got {x!r}")
    return np.ascontiguousarray(a)


def polynomial_fits(n, max_degree, coef, noise_std, test_x, runs, seed=0, groups=100, threads=None):
    """Fit degrees 0 .. ``max_degree`` to ``runs`` training sets of ``n`` arcsine inputs, f = sum coef[j] T_j.

    The sets form ``groups`` groups of runs / groups consecutive sets, each group one stream of
    ``per_run`` (seeded by (seed, group)). Returns a dict of float64 arrays, G = groups, K = max_degree,
    m = len(test_x): ``mean`` (G, K + 1, m) and ``m2`` (G, K + 1, m), each group's mean prediction at
    the test inputs and sum of squared deviations from it, degree k in row k; ``test_error`` (G, K + 1),
    the group's mean over sets of the mean over test inputs of (prediction - y*)^2 on fresh labels;
    ``first_x``, ``first_y`` (G, n) and ``first_coef`` (G, K + 1, K + 1) for each group's first set (the
    fit of degree k in row k); ``sets`` (G,) int64, the sets in each group's means: all of them but
    those with a Gram matrix not positive definite (none when n > K, except by rounding).
    """
    n = V.int_at_least("n", n, 1)
    max_degree = V.int_at_least("max_degree", max_degree, 0)
    if max_degree >= n:
        raise ValueError(f"max_degree must be an integer in [0, n - 1] = [0, {n - 1}]; got {max_degree!r}")
    coef = _array("coef", coef)
    noise_std = V.in_interval("noise_std", noise_std, 0.0, math.inf)
    test_x = _array("test_x", test_x, -1.0, 1.0)
    groups = V.int_at_least("groups", groups, 2)
    runs = V.int_at_least("runs", runs, groups)
    if runs % groups:
        raise ValueError(f"runs must be a multiple of groups={groups}; got {runs!r}")
    seed = V.seed("seed", seed)
    threads = None if threads is None else V.int_at_least("threads", threads, 1)
    p, m = max_degree + 1, test_x.size
    out = {"mean": np.zeros((groups, p, m)), "m2": np.zeros((groups, p, m)), "test_error": np.zeros((groups, p)),
           "first_x": np.zeros((groups, n)), "first_y": np.zeros((groups, n)),
           "first_coef": np.zeros((groups, p, p)), "sets": np.zeros(groups, dtype=np.int64)}
    sizes = np.array([n, max_degree, runs // groups], dtype=np.int64)
    per_run(_group_body, groups, seed, p * p + 3 * p + m * p + 2 * m,
            (sizes, np.array([noise_std]), coef, test_x, out["mean"], out["m2"], out["test_error"],
             out["first_x"], out["first_y"], out["first_coef"], out["sets"]), threads)
    return out


def polynomial_bias_variance(fits, coef, test_x):
    """Jackknife pseudo-values over groups of squared bias, variance and test error, per degree.

    From ``polynomial_fits``' output (every group of the same size) and the same ``coef`` and ``test_x``,
    f evaluated here with NumPy. Pooled over all N sets, per test input: the mean prediction mu, the
    unbiased variance v, and (mu - f)^2 - v / N, unbiased for the squared bias; each averaged over the
    test inputs. Returns a dict of (G, K + 1) arrays ``bias2``, ``variance``, ``test_error`` (the
    groups' means) whose means over groups are the estimates and whose standard deviations over
    sqrt(G) the standard errors; and ``mean_fit``, ``mean_fit_se`` (K + 1, m), mu and sqrt(v / N).

    The squared bias is a degenerate quadratic: the mean fit's residual f - mu is nearly orthogonal to
    the fits' fluctuations (all polynomials of degree k), so its error is of second order, a weighted
    chi-square rather than a normal, and its jackknife error is itself erratic at low degree. Compare
    ``mean_fit``, linear in the sets, when a normal error is needed.
    """
    sets = np.asarray(fits["sets"])
    if np.any(sets != sets[0]) or sets[0] < 1:
        raise ValueError(f"fits must hold groups of equal size (no singular set); got sets per group from "
                         f"{sets.min()} to {sets.max()}")
    mean, m2 = fits["mean"], fits["m2"]
    G, b = mean.shape[0], int(sets[0])
    if (G - 1) * b < 2:
        raise ValueError(f"fits must hold at least 2 sets outside any one group; got {G} groups of {b}")
    f = _cheb.chebval(np.asarray(test_x, dtype=np.float64), np.asarray(coef, dtype=np.float64))
    N = G * b
    mu = mean.mean(axis=0)
    dev = (mean - mu) ** 2
    ss = m2.sum(axis=0) + b * dev.sum(axis=0)

    def stats(mu_, ss_, count):
        v = ss_ / (count - 1)
        return ((mu_ - f) ** 2 - v / count).mean(axis=-1), v.mean(axis=-1)

    bias2, var = stats(mu, ss, N)
    mu_loo = (G * mu - mean) / (G - 1)
    ss_loo = (m2.sum(axis=0) - m2) + b * (dev.sum(axis=0) - dev * G / (G - 1))
    bias2_loo, var_loo = stats(mu_loo, ss_loo, N - b)
    return {"bias2": G * bias2 - (G - 1) * bias2_loo, "variance": G * var - (G - 1) * var_loo,
            "test_error": fits["test_error"].copy(), "mean_fit": mu, "mean_fit_se": np.sqrt(ss / (N - 1) / N)}
