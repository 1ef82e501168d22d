"""Synthetic designs with known structure."""
import numpy as np

from .. import validate as V


def gaussian_design(n, p, noise=1.0, scales=None, seed=0):
    """``(X, y, w)``: rows x_i ~ N(0, diag(scales^2)), y = X w + noise * N(0, 1), w ~ N(0, I_p)."""
    n, p = V.int_at_least("n", n, 1), V.int_at_least("p", p, 1)
    rng = np.random.default_rng(seed)
    s = np.ones(p) if scales is None else V.vector("scales", scales, p, positive=True)
    X = rng.normal(size=(n, p)) * s
    w = rng.normal(size=p)
    return X, X @ w + V.in_interval("noise", noise, 0.0, np.inf, hi_open=True) * rng.normal(size=n), w
