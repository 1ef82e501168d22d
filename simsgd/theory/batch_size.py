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

``sgd_steps_to_loss``, ``momentum_steps_to_loss`` and ``best_rate_steps`` are vectorised over their scalar
arguments (rate, b1, batch size, target): arrays broadcast together to a shape P and the result is an
array of shape P (float: a step count, inf where never); with plain numbers, what the scalar search
returns. Each entry is computed by the scalar search (a Python loop over P).
"""
import numpy as np
from scipy.optimize import least_squares

from .. import validate as V
from . import _args as A


def precondition(eigenvalues, noise_var, e0_sq, power):
    """The plain-SGD quadratic that H^-power preconditioned SGD is: (curvatures, noise variances, initial E e^2)."""
    h = np.asarray(eigenvalues, dtype=np.float64)
    return h ** (1 - power), np.asarray(noise_var, dtype=np.float64) * h ** (-power), np.asarray(e0_sq) * h**power


def _first_crossing(const, coef, mu, target, max_steps):
    """The smallest t >= 0 with const + Re sum_k coef_k mu_k^t <= target, scanned in growing chunks; inf if none
    up to ``max_steps``. Powers within a chunk are running products (a complex power costs far more)."""
    coef, mu = np.ravel(coef), np.ravel(mu)
    dtype = np.result_type(coef, mu)
    coef, mu = coef.astype(dtype), mu.astype(dtype)
    t0, chunk = 0, 128
    while t0 <= max_steps:
        within = np.empty((chunk, mu.size), dtype)
        within[0], within[1:] = 1.0, mu
        np.cumprod(within, axis=0, out=within)
        loss = const + np.real(within @ coef)
        hit = np.flatnonzero(loss <= target)
        if hit.size:
            return int(t0 + hit[0])
        coef = coef * within[-1] * mu
        t0, chunk = t0 + chunk, min(2 * chunk, 1 << 14)
    return float("inf")


def _checked(eigenvalues, e0_sq, noise_var, batch_size, target_loss):
    lam = np.asarray(eigenvalues, dtype=np.float64)
    e0 = np.broadcast_to(np.asarray(e0_sq, dtype=np.float64), lam.shape)
    s2 = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), lam.shape)
    return (lam, e0, s2, V.int_at_least("batch_size", batch_size, 1),
            V.positive_finite("target_loss", target_loss))


def sgd_steps_to_loss(lr, eigenvalues, e0_sq, noise_var, batch_size, target_loss, max_steps=10**8):
    """The smallest t at which the exact E f(theta_t) - f* of SGD is at most ``target_loss``; inf if never
    (the stationary loss is above the target, or alpha lambda_i >= 2 for a direction that is not at rest).
    Vectorised over ``lr``, ``batch_size`` and ``target_loss`` (see the module docstring)."""
    lr, B, target = A.positive("lr", lr), A.integer("batch_size", batch_size, 1), A.positive("target_loss", target_loss)
    P = A.shape(lr=lr, batch_size=B, target_loss=target)
    return A.elementwise(lambda lr, batch_size, target_loss: _sgd_steps(lr, eigenvalues, e0_sq, noise_var, batch_size,
                                                                        target_loss, max_steps),
                         P, {"lr": lr, "batch_size": B, "target_loss": target})


def _sgd_steps(lr, eigenvalues, e0_sq, noise_var, batch_size, target_loss, max_steps):
    lam, e0, s2, B, target = _checked(eigenvalues, e0_sq, noise_var, batch_size, target_loss)
    r = (1.0 - lr * lam) ** 2
    if np.any((r >= 1.0) & ((e0 > 0) | (s2 > 0))):
        return float("inf")
    limit = np.where(r < 1.0, lr * lr * s2 / (B * (1.0 - np.minimum(r, 1 - 1e-300))), 0.0)
    if 0.5 * np.sum(lam * limit) > target:
        return float("inf")
    const, coef = 0.5 * np.sum(lam * limit), 0.5 * lam * (e0 - limit)
    if np.all(coef >= 0):
        return _first_crossing_monotone(const, coef, r, target, max_steps)
    return _first_crossing(const, coef, r, target, max_steps)


def _first_crossing_monotone(const, coef, r, target, max_steps):
    """``_first_crossing`` when every coef >= 0 and 0 <= r < 1: the curve never rises, so the crossing is found
    by doubling then bisection, O(log t) evaluations instead of t."""
    def above(t):
        return const + float(np.sum(coef * r**t)) > target

    if not above(0):
        return 0
    hi = 1
    while above(hi):
        if hi >= max_steps:
            return float("inf")
        hi = min(2 * hi, int(max_steps))
    lo = hi // 2  # above(lo) holds: lo is 0 or an earlier doubling point
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if above(mid) else (lo, mid)
    return hi


def _momentum_second_moments(lr, b1, lam, noise_var, batch_size):
    """Per direction, (E e^2, E e m, E m^2) of EWMA momentum (``theory.momentum``, no bias correction) as the
    linear map s_t = M s_{t-1} + q: M (d, 3, 3) and q (d, 3)."""
    from .momentum import _system

    A, b = _system(lr, b1, lam)
    a, bb, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
    M = np.stack([np.stack([a * a, 2 * a * bb, bb * bb], -1), np.stack([a * c, a * d + bb * c, bb * d], -1),
                  np.stack([c * c, 2 * c * d, d * d], -1)], -2)
    v = noise_var / batch_size
    q = np.stack([v * b[:, 0] ** 2, v * b[:, 0] * b[:, 1], v * b[:, 1] ** 2], -1)
    return M, q


def momentum_steps_to_loss(lr, b1, eigenvalues, e0_sq, noise_var, batch_size, target_loss, max_steps=10**8):
    """``sgd_steps_to_loss`` for the lecture's EWMA momentum without bias correction (m_0 = 0): the exact
    E f(theta_t) - f* is 1/2 sum_i h_i E e_i(t)^2 with (E e^2, E e m, E m^2) per direction an affine
    recursion, whose powers come from its eigendecomposition. Heavy ball (lr_hb, beta) is lr = lr_hb /
    (1 - beta), b1 = beta. Stable iff lr (1 - b1) h_i < 2 (1 + b1) for every direction not at rest.
    Vectorised over ``lr``, ``b1``, ``batch_size`` and ``target_loss`` (see the module docstring)."""
    lr, b1 = A.positive("lr", lr), A.real("b1", b1, 0.0, 1.0, hi_open=True)
    B, target = A.integer("batch_size", batch_size, 1), A.positive("target_loss", target_loss)
    P = A.shape(lr=lr, b1=b1, batch_size=B, target_loss=target)
    return A.elementwise(lambda lr, b1, batch_size, target_loss: _momentum_steps(
        lr, b1, eigenvalues, e0_sq, noise_var, batch_size, target_loss, max_steps),
        P, {"lr": lr, "b1": b1, "batch_size": B, "target_loss": target})


def _momentum_steps(lr, b1, eigenvalues, e0_sq, noise_var, batch_size, target_loss, max_steps):
    lam, e0, s2, B, target = _checked(eigenvalues, e0_sq, noise_var, batch_size, target_loss)
    b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
    M, q = _momentum_second_moments(lr, b1, lam, s2, B)
    mu, vec = np.linalg.eig(M)
    moving = (e0 > 0) | (s2 > 0)
    if np.any(np.abs(mu[moving]).max(axis=-1) >= 1.0):
        return float("inf")
    limit = np.linalg.solve(np.eye(3) - M, q[..., None])[..., 0]
    const = 0.5 * float(np.sum(lam * limit[:, 0]))
    if const > target:
        return float("inf")
    start = np.zeros_like(limit)
    start[:, 0] = e0
    coef = vec[:, 0, :] * np.linalg.solve(vec, (start - limit)[..., None].astype(complex))[..., 0]
    return _first_crossing(const, 0.5 * lam[:, None] * coef, mu, target, max_steps)


def best_rate_steps(eigenvalues, e0_sq, noise_var, batch_size, target_loss, n_rates=60, b1=0.0):
    """``(steps, lr)``: the fewest steps to ``target_loss`` over constant rates, searched on a geometric grid up to
    the stability limit and refined around its best point: SGD (``b1 = 0``, limit 2 / max(lambda)) or EWMA
    momentum with that ``b1`` (limit 2 (1 + b1) / ((1 - b1) max(lambda))). Vectorised over ``batch_size``,
    ``target_loss`` and ``b1``: two arrays of their broadcast shape (steps, lr)."""
    B, target = A.integer("batch_size", batch_size, 1), A.positive("target_loss", target_loss)
    b1 = A.real("b1", b1, 0.0, 1.0, hi_open=True)
    P = A.shape(batch_size=B, target_loss=target, b1=b1)
    return A.elementwise(lambda batch_size, target_loss, b1: _best_rate_steps(
        eigenvalues, e0_sq, noise_var, batch_size, target_loss, n_rates, b1),
        P, {"batch_size": B, "target_loss": target, "b1": b1}, n_out=2)


def _best_rate_steps(eigenvalues, e0_sq, noise_var, batch_size, target_loss, n_rates, b1):
    lam = np.asarray(eigenvalues, dtype=np.float64)
    top = 2.0 * (1.0 + b1) / ((1.0 - b1) * lam.max())

    best = [10**8]

    def steps(a):  # a scan stops at the best count so far: a later crossing cannot win
        if b1 == 0.0:
            s = _sgd_steps(a, lam, e0_sq, noise_var, batch_size, target_loss, best[0])
        else:
            s = _momentum_steps(a, b1, lam, e0_sq, noise_var, batch_size, target_loss, best[0])
        best[0] = min(best[0], s)
        return s

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
