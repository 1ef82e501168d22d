"""Geometry of the cube [-1, 1]^d: how much of it the unit ball fills, and how its pairwise distances concentrate.

Points are uniform in the cube, i.e. d independent U(-1, 1) coordinates. The ball fraction is the volume of
the unit d-ball over the cube's, pi^(d/2) / (Gamma(d/2 + 1) 2^d). For two independent points the squared
distance D^2 is a sum of d independent Z_k^2 with Z = x - y (triangular on [-2, 2]): E Z^2 = 2/3 and
E Z^4 = 2 E x^4 + 6 (E x^2)^2 = 2/5 + 2/3 = 16/15, so Var Z^2 = 28/45. Hence E D^2 = 2d/3,
Var D^2 = 28d/45 and sd(D^2) / E D^2 = sqrt(7 / (5 d)) exactly, at every d (for the unit cube [0, 1]^d
divide the distances by 2: E D^2 = d/6, Var D^2 = 7d/180, the same ratio).
"""
import numpy as np
from scipy.special import gammaln

from .. import validate as V


def _dims(d):
    a = np.asarray(d)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise ValueError(f"d must be integers >= 1; got {d!r}")
    if np.any(a < 1):
        raise ValueError(f"d must be integers >= 1; got {d!r}")
    return a.astype(np.float64)


def ball_fraction_exact(d):
    """Fraction of the cube [-1, 1]^d inside the unit ball, pi^(d/2) / (Gamma(d/2 + 1) 2^d), for integer d >= 1
    (scalar or array). Computed in logs, so it stays accurate down to d in the hundreds (the volume of the
    d-ball, e.g. Ball 1997, "An elementary introduction to modern convex geometry", lecture 1)."""
    x = _dims(d)
    return np.exp(0.5 * x * np.log(np.pi) - gammaln(0.5 * x + 1.0) - x * np.log(2.0))


def cube_distance_moments(d, half_width=1.0):
    """(E D^2, E D^4) for the distance D between two independent uniform points of [-h, h]^d, h = ``half_width``:
    E D^2 = 2 d h^2 / 3 and E D^4 = (E D^2)^2 + 28 d h^4 / 45 (derivation in the module docstring)."""
    x = _dims(d)
    h2 = V.positive_finite("half_width", half_width) ** 2
    m2 = 2.0 * x * h2 / 3.0
    return m2, m2 * m2 + 28.0 * x * h2 * h2 / 45.0


def relative_spread(d):
    """sd(D^2) / E D^2 = sqrt(7 / (5 d)) for two independent uniform points of a d-cube (any side)."""
    return np.sqrt(7.0 / (5.0 * _dims(d)))
