"""The noisy diagonal quadratic simulated in plain NumPy: g = lam x + sigma xi, x_0 = x0, minimiser 0."""
import numpy as np

from .rules import make_rule


def simulate_quadratic(name, hyper, eigenvalues, noise_std, x0, runs, steps, every, seed):
    """Mean and standard error over ``runs`` of ||x_t||^2 at t = 0, every, 2 every, ..., steps: array (2, K).

    Its own random numbers (NumPy's default generator from ``seed``), so it agrees with simsgd in
    distribution only: compare the means within their joint standard error.
    """
    rng = np.random.default_rng(seed)
    lam = np.asarray(eigenvalues, dtype=np.float64)
    x = np.full((runs, lam.size), float(x0))
    step = make_rule(name, **hyper)
    out = []
    for t in range(steps + 1):
        if t % every == 0 or t == steps:
            e = (x**2).sum(axis=1)
            out.append((e.mean(), e.std(ddof=1) / np.sqrt(runs)))
        if t == steps:
            break
        step(x, lam * x + noise_std * rng.standard_normal(x.shape), t + 1)
    return np.array(out).T
