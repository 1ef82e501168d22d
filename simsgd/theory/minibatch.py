"""The covariance of a minibatch gradient drawn from a finite set of per-example gradients, any model.

With per-example gradients u_1 .. u_n at one theta and their population covariance
Sigma = (1/n) sum_i (u_i - u_bar)(u_i - u_bar)^T, the average of B of them is unbiased for u_bar with
covariance Sigma / B when the B are drawn independently with replacement, and
Sigma (n - B) / (B (n - 1)) when they are a uniformly random B-subset (sampling without replacement:
the finite-population factor, 0 at B = n). Any step of an epoch is such a subset, given nothing of the
epoch's earlier steps; the rows of one epoch are not independent across its steps.
"""
import numpy as np

from .. import validate as V


def finite_population_factor(n, batch_size, replacement=True):
    """1/B with replacement, (n - B) / (B (n - 1)) without (0 at n = 1)."""
    B = V.int_at_least("batch_size", batch_size, 1)
    if not replacement and B > n:
        raise ValueError(f"batch_size must be in [1, n = {n}] without replacement; got {B}")
    return 1.0 / B if replacement else ((n - B) / (B * (n - 1)) if n > 1 else 0.0)


def minibatch_covariance(example_gradients, batch_size=1, replacement=True):
    """Covariance of the mean of ``batch_size`` rows of ``example_gradients`` (n, p), sampled as the module says."""
    u = np.asarray(example_gradients, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] < 1:
        raise ValueError(f"example_gradients must be (n, p) with n >= 1; got shape {u.shape}")
    d = u - u.mean(axis=0)
    return d.T @ d / u.shape[0] * finite_population_factor(u.shape[0], batch_size, replacement)
