"""Steps to a target loss against the batch size: the noisy quadratic model and McCandlish's hyperbola.

Noisy quadratic model (NQM; Zhang et al. 2019, "Which algorithmic choices matter at which batch
sizes?"): f = 1/2 sum_i h_i theta_i^2 with per-example gradient noise covariance H = diag(h), so a
minibatch of B has noise variance h_i / B along direction i. SGD with a constant rate alpha is the
additive-noise quadratic of ``theory.sgd``: per direction E theta_i(t)^2 = l_i + (theta_i(0)^2 - l_i) r_i^t,
r_i = (1 - alpha h_i)^2, l_i = alpha^2 s_i / (B (1 - r_i)). Diagonal preconditioning theta <- theta -
alpha H^-p g is plain SGD on phi = H^(p/2) theta, a quadratic with curvatures and noise variances h^(1-p)
and start H^(p/2) theta(0), with the same loss (``precondition``).
McCandlish, Kaplan, Amodei et al. (2018), "An empirical model of large-batch training": the steps S
and examples E = B S to a target trade off as (S / S_min - 1)(E / E_min - 1) = 1, i.e.
S = S_min (1 + B_crit / B) with B_crit = E_min / S_min; B_simple = tr(Sigma) / |G|^2 and
B_noise = tr(H Sigma) / (G^T H G) predict B_crit.
"""
import numpy as np
from scipy.optimize import least_squares

from .. import validate as V


def precondition(eigenvalues, noise_var, e0_sq, power):
    """The plain-SGD quadratic that H^-power preconditioned SGD is: (curvatures, noise variances, initial E e^2)."""
    h = np.asarray(eigenvalues, dtype=np.float64)
    return h ** (1 - power), np.asarray(noise_var, dtype=np.float64) * h ** (-power), np.asarray(e0_sq) * h**power


def sgd_steps_to_loss(lr, eigenvalues, e0_sq, noise_var, batch_size, target_loss, max_steps=10**8):
    """The smallest t at which the exact E f(theta_t) - f* of SGD is at most ``target_loss``; inf if never
    (the stationary loss is above the target, or alpha lambda_i >= 2 for a direction that is not at rest)."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    e0 = np.broadcast_to(np.asarray(e0_sq, dtype=np.float64), lam.shape)
    s2 = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), lam.shape)
    B = V.int_at_least("batch_size", batch_size, 1)
    target = V.positive_finite("target_loss", target_loss)
    r = (1.0 - lr * lam) ** 2
    if np.any((r >= 1.0) & ((e0 > 0) | (s2 > 0))):
        return float("inf")
    limit = np.where(r < 1.0, lr * lr * s2 / (B * (1.0 - np.minimum(r, 1 - 1e-300))), 0.0)
    if 0.5 * np.sum(lam * limit) > target:
        return float("inf")
    a, b = 0.5 * lam * limit, 0.5 * lam * (e0 - limit)
    t0, chunk = 0, 1024
    while t0 <= max_steps:
        t = np.arange(t0, t0 + chunk, dtype=np.float64)
        loss = a.sum() + (b[None, :] * r[None, :] ** t[:, None]).sum(axis=1)
        hit = np.flatnonzero(loss <= target)
        if hit.size:
            return int(t0 + hit[0])
        t0, chunk = t0 + chunk, min(2 * chunk, 1 << 16)
    return float("inf")


def best_rate_steps(eigenvalues, e0_sq, noise_var, batch_size, target_loss, n_rates=60):
    """``(steps, lr)``: the fewest steps to ``target_loss`` over constant rates, searched on a geometric grid up to
    the stability limit 2 / max(lambda) and refined around its best point."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    top = 2.0 / lam.max()

    def steps(a):
        return sgd_steps_to_loss(a, lam, e0_sq, noise_var, batch_size, target_loss)

    grid = top * np.geomspace(1e-4, 0.999, n_rates)
    s = np.array([steps(a) for a in grid])
    k = int(np.argmin(s))
    fine = np.geomspace(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)], 25)
    sf = np.array([steps(a) for a in fine])
    j = int(np.argmin(sf))
    return (sf[j], float(fine[j])) if sf[j] <= s[k] else (s[k], float(grid[k]))


def fit_critical_batch(batch_sizes, steps):
    """Fit S = S_min (1 + B_crit / B) to measured steps (least squares on log S); returns (S_min, B_crit, max
    relative error of the fit)."""
    B = np.asarray(batch_sizes, dtype=np.float64)
    S = np.asarray(steps, dtype=np.float64)

    def resid(q):
        return np.log(np.exp(q[0]) * (1.0 + np.exp(q[1]) / B)) - np.log(S)

    sol = least_squares(resid, x0=[np.log(S.min()), np.log(np.median(B))])
    s_min, b_crit = np.exp(sol.x)
    return float(s_min), float(b_crit), float(np.max(np.abs(s_min * (1 + b_crit / B) / S - 1)))


def nqm_noise_scales(eigenvalues, theta, noise_var):
    """McCandlish's B_simple = tr(Sigma) / |G|^2 and B_noise = tr(H Sigma) / (G^T H G) at ``theta`` (diagonal H and
    per-example noise covariance Sigma = diag(noise_var))."""
    h = np.asarray(eigenvalues, dtype=np.float64)
    s = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), h.shape)
    G = h * np.asarray(theta, dtype=np.float64)
    return float(s.sum() / (G @ G)), float((h * s).sum() / (G @ (h * G)))
