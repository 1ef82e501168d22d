"""Risk of the minimum-norm least-squares fit with isotropic Gaussian features: the double-descent curve.

Model: n rows x_i ~ N(0, I_p), y = X beta + sigma eps with eps ~ N(0, I_n), ||beta|| = r; the fit is
beta_hat = X^+ y (ordinary least squares for p <= n, the minimum-norm interpolant for p > n). For a
fresh x ~ N(0, I_p) the test risk is sigma^2 + ||beta_hat - beta||^2; the excess ||beta_hat - beta||^2
splits, in expectation over eps, into

    bias      ||(X^+ X - I) beta||^2     (the part of beta outside the row space of X; 0 for p <= n),
    variance  sigma^2 ||X^+ eps||^2 / sigma^2 = sigma^2 tr((X^T X)^+).

Both diverge at the interpolation threshold p = n, where X is square and its smallest singular value
is near zero.
"""
import numpy as np

from .. import validate as V


def _nonnegative(name, x):
    return V.in_interval(name, x, 0.0, np.inf, hi_open=True)


def _grid(name, x, lo):
    a = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(a)) or np.any(a < lo):
        raise ValueError(f"{name} must be finite and >= {lo}; got {x!r}")
    return a


def min_norm_risk_exact(n, p, noise_std, signal):
    """Expected excess risk (bias, variance) of X^+ y at finite n and p, Gaussian design, as arrays over ``p``.

    p <= n - 2: bias 0, variance sigma^2 p / (n - p - 1)  (E (X^T X)^{-1} = I / (n - p - 1), the mean of an
    inverse Wishart matrix; Breiman & Freedman 1983, Belkin, Hsu & Xu 2019 Thm. 1).
    p >= n + 2: bias r^2 (1 - n/p)  (X^+ X projects onto a uniformly random n-dimensional subspace), variance
    sigma^2 n / (p - n - 1)  (tr (X^T X)^+ = tr (X X^T)^{-1}, the same inverse Wishart mean with n and p
    swapped; Belkin, Hsu & Xu 2019 Thm. 1; Hastie, Montanari, Rosset & Tibshirani 2019 Sec. 2).
    |p - n| <= 1: the variance is infinite (the inverse Wishart mean does not exist), bias as above.
    The means' Monte Carlo variance is finite only for |p - n| >= 4 (second inverse moments), and the
    fourth moments that make a sample standard error trustworthy need |p - n| >= 8.
    """
    n = V.int_at_least("n", n, 1)
    p = _grid("p", p, 1)
    sigma2 = _nonnegative("noise_std", noise_std) ** 2
    r2 = _nonnegative("signal", signal) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = np.where(p > n, r2 * (1.0 - n / p), 0.0)
        variance = np.where(p <= n - 2, sigma2 * p / (n - p - 1.0),
                            np.where(p >= n + 2, sigma2 * n / (p - n - 1.0), np.inf))
    return bias, variance


def min_norm_risk_limit(gamma, noise_std, signal):
    """Excess risk of X^+ y as n, p -> infinity with p / n -> gamma: (bias, variance) as arrays over ``gamma``.

    gamma < 1: bias 0, variance sigma^2 gamma / (1 - gamma); gamma > 1: bias r^2 (1 - 1/gamma), variance
    sigma^2 / (gamma - 1); infinite at gamma = 1. Hastie, Montanari, Rosset & Tibshirani (2019), "Surprises in
    high-dimensional ridgeless least squares interpolation", Thm. 1 (isotropic features). The finite-n means of
    ``min_norm_risk_exact`` tend to these.
    """
    g = _grid("gamma", gamma, 0)
    sigma2 = _nonnegative("noise_std", noise_std) ** 2
    r2 = _nonnegative("signal", signal) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = np.where(g > 1, r2 * (1.0 - 1.0 / g), 0.0)
        variance = np.where(g < 1, sigma2 * g / (1.0 - g), np.where(g > 1, sigma2 / (g - 1.0), np.inf))
    return bias, variance
