"""Exact error of 1-nearest-neighbour regression of a smooth target on the unit torus.

Setting: inputs uniform on the torus [0, 1)^d with the wrap-around distance, target
f(x) = sqrt(2/d) sum_j cos(2 pi x_j) (mean 0, variance 1), labels f(x_i) + sigma eps_i (eps_i standard
normal, independent), and the prediction at a test point x is the label of its nearest of n training points.

Derivation. By translation invariance of the torus, the displacement delta from x to its nearest neighbour
(taken in [-1/2, 1/2)^d) is independent of x, so averaging over x first,
E (f(x) - f(x + delta))^2 = (2/d) sum_j E(1 - cos 2 pi delta_j) = 2 E H(delta), H in [0, 2]. The n
displacements are i.i.d. uniform on the cube, and delta has density n (1 - V_d |delta|^d)^(n-1) on the ball
|delta| <= 1/2 (V_d = pi^(d/2) / Gamma(d/2 + 1), the ball's volume, which does not wrap there): given
r = |delta| <= 1/2 its direction is uniform, and E[H | r] = h(r) = 1 - g_d(r) with
g_d(r) = E cos(2 pi r u_1) = Gamma(d/2) (pi r)^(1 - d/2) J_(d/2-1)(2 pi r) (u uniform on the unit sphere;
g_1 = cos 2 pi r). With P(r > t) = (1 - V_d t^d)^n for t <= 1/2,
    E H = int_0^(1/2) h'(t) P(r > t) dt + E[(H - h(1/2)); r > 1/2],
and the label noise adds sigma^2. The last term (the nearest neighbour outside the inscribed ball, where
directions are not isotropic) is dropped: its absolute value is at most
max(h(1/2), 2 - h(1/2)) (1 - V_d / 2^d)^n, which ``nearest_neighbour_remainder`` returns doubled (in the
units of the error). It vanishes for d = 1 (V_1 / 2 = 1).

For small t, h(t) ~ (2 pi t)^2 / (2 d), and the nearest-neighbour distance shrinks as n^(-1/d): the error
falls as n^(-2/d), so the n that reaches a fixed error grows exponentially with d (the curse of
dimensionality; e.g. Gyorfi, Kohler, Krzyzak & Walk 2002, "A Distribution-Free Theory of Nonparametric
Regression", ch. 6, and Biau & Devroye 2015, "Lectures on the Nearest Neighbor Method", for the rates).
"""
import numpy as np
from scipy import integrate, special
from scipy.optimize import brentq

from .. import validate as V


def ball_volume(d):
    """Volume V_d = pi^(d/2) / Gamma(d/2 + 1) of the unit ball in R^d."""
    d = V.int_at_least("d", d, 1)
    return float(np.exp(0.5 * d * np.log(np.pi) - special.gammaln(0.5 * d + 1.0)))


def sphere_cosine(d, r):
    """g_d(r) = E cos(2 pi r u_1), u uniform on the unit sphere of R^d: Gamma(d/2) (pi r)^(1-d/2) J_(d/2-1)(2 pi r)."""
    d = V.int_at_least("d", d, 1)
    r = np.abs(np.asarray(r, dtype=np.float64))
    nu = 0.5 * d - 1.0
    z = np.pi * np.where(r > 0, r, 1.0)
    g = np.exp(special.gammaln(0.5 * d) - nu * np.log(z)) * special.jv(nu, 2.0 * z)
    return np.where(r > 0, g, 1.0)


def _h_slope(d, t):
    """h'(t) = -g_d'(t) = 2 pi Gamma(d/2) (pi t)^(1-d/2) J_(d/2)(2 pi t)
    (from d/dz [z^-nu J_nu(z)] = -z^-nu J_(nu+1)(z))."""
    nu = 0.5 * d - 1.0
    z = np.pi * np.maximum(t, 1e-300)
    return 2.0 * np.pi * np.exp(special.gammaln(0.5 * d) - nu * np.log(z)) * special.jv(nu + 1.0, 2.0 * z)


def _checked(d, n):
    d = V.int_at_least("d", d, 1)
    n = np.asarray(n, dtype=np.float64)
    if not np.all(np.isfinite(n)) or not np.all(n >= 1):
        raise ValueError(f"n must be finite numbers >= 1; got {n!r}")
    return d, n


def nearest_neighbour_error_exact(d, n, noise=0.0):
    """Expected squared error E (f(x) - y_NN(x))^2 of 1-NN regression with n training points (vectorised over
    n; real n >= 1 allowed), up to the remainder ``nearest_neighbour_remainder``; ``noise`` is sigma, the
    labels' noise standard deviation (adds sigma^2). At n -> 0 it would be 2 = 2 Var f + sigma^2 without noise.
    Assumptions and derivation: the module docstring."""
    d, n = _checked(d, n)
    sigma = 0.0 if noise == 0 else V.positive_finite("noise", noise)
    vd = ball_volume(d)
    out = np.empty(n.shape)
    for idx, m in np.ndenumerate(n):
        t0 = (m * vd) ** (-1.0 / d)  # the nearest-neighbour distance's scale

        def integrand(t):
            return _h_slope(d, t) * np.exp(m * np.log1p(-vd * t**d))

        # the survival function falls from 1 to 0 around t0, as exp(-(t / t0)^d): breakpoints on a geometric
        # ladder from t0 / 16 up keep quad's panels on that scale however large n is
        pts = [p for p in t0 * 2.0 ** (0.25 * np.arange(-16, 200)) if p < 0.5]
        val, _ = integrate.quad(integrand, 0.0, 0.5, points=pts or None, limit=1000, epsabs=0.0, epsrel=1e-11)
        out[idx] = 2.0 * val
    return out + sigma**2


def nearest_neighbour_remainder(d, n):
    """Bound on |exact error - ``nearest_neighbour_error_exact``|: 2 max(h(1/2), 2 - h(1/2)) (1 - V_d / 2^d)^n,
    the part of the error from a nearest neighbour farther than 1/2 (vectorised over n)."""
    d, n = _checked(d, n)
    h_half = 1.0 - float(sphere_cosine(d, 0.5))
    p_far = max(1.0 - ball_volume(d) / 2.0**d, 0.0)
    return 2.0 * max(h_half, 2.0 - h_half) * p_far**n


def n_reaching(d, level, noise=0.0, n_max=1e12):
    """The real n >= 1 at which ``nearest_neighbour_error_exact`` falls to ``level`` (it decreases in n);
    1.0 if already below at n = 1, inf if not below by ``n_max``."""
    d = V.int_at_least("d", d, 1)
    level = V.positive_finite("level", level)
    if nearest_neighbour_error_exact(d, 1.0, noise)[()] <= level:
        return 1.0
    if nearest_neighbour_error_exact(d, n_max, noise)[()] > level:
        return float("inf")

    def gap(logn):
        return np.log(nearest_neighbour_error_exact(d, np.exp(logn), noise)[()]) - np.log(level)

    return float(np.exp(brentq(gap, 0.0, np.log(n_max), xtol=1e-12)))
