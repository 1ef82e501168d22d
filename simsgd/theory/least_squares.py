"""Minibatch SGD on least squares over a finite dataset: gradient noise that depends on theta.

f(theta) = ||X theta - y||^2 / (2n) + rho ||theta||^2 / 2 with minimiser theta_hat, H = X^T X / n + rho I,
per-row gradients u_i(theta) = x_i (x_i^T theta - y_i) and their population covariance
Sigma(theta) = (1/n) sum_i (u_i - u_bar)(u_i - u_bar)^T. A minibatch of B rows has gradient covariance
Sigma(theta) / B when the rows are drawn with replacement and Sigma(theta) (n - B) / (B (n - 1)) when
they are a uniformly random B-subset (without replacement: the finite-population factor; the first
batch of an epoch is one).

With replacement, e = theta - theta_hat evolves as e' = (I - alpha A) e - alpha c with A the
minibatch's Hessian and c its gradient at theta_hat, independent of e and of each other across
steps (E[A] = H, E[c] = 0), so the first and second moments m = E[e], S = E[e e^T] obey the exact
linear recursion

    m' = (I - alpha H) m,
    S' = S - alpha (H S + S H) + alpha^2 (E[A S A] + Q + Q^T + Sigma(theta_hat) / B),
    E[A S A] = Hx S Hx + (K(S) - Hx S Hx) / B + rho (Hx S + S Hx) + rho^2 S,
    Q = E[A m c^T] = (W(m) + rho Hx m theta_hat^T) / B,

with Hx = X^T X / n, K(S) = (1/n) sum_i (x_i^T S x_i) x_i x_i^T and W(m) = (1/n) sum_i (x_i^T m) x_i u_i(theta_hat)^T.
E||e||^2 = tr S and E f - f(theta_hat) = tr(H S) / 2. (The noise enters through K and W: it grows
with the distance from theta_hat, unlike the additive model of ``theory.sgd``.)
"""
import numpy as np

from .. import validate as V


def _data(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, p) and y (n,); got {X.shape} and {y.shape}")
    return X, y


def minimiser(X, y, ridge=0.0):
    """theta_hat: the ridge solution, or the minimum-norm least-squares solution X^+ y when ridge = 0."""
    X, y = _data(X, y)
    if ridge > 0:
        return np.linalg.solve(X.T @ X / len(y) + ridge * np.eye(X.shape[1]), X.T @ y / len(y))
    return np.linalg.lstsq(X, y, rcond=None)[0]


def gradient_covariance(X, y, theta, batch_size=1, replacement=True):
    """Covariance of the minibatch gradient at ``theta``: Sigma/B with replacement, Sigma (n-B)/(B(n-1)) without."""
    X, y = _data(X, y)
    n = len(y)
    B = V.int_at_least("batch_size", batch_size, 1)
    if not replacement and B > n:
        raise ValueError(f"batch_size must be in [1, n = {n}] without replacement; got {B}")
    u = X * (X @ np.asarray(theta, dtype=np.float64) - y)[:, None]
    d = u - u.mean(axis=0)
    sigma = d.T @ d / n
    factor = 1.0 / B if replacement else ((n - B) / (B * (n - 1)) if n > 1 else 0.0)
    return sigma * factor


def sgd_moments(X, y, lr, steps, x0, batch_size=1, ridge=0.0, noise=False):
    """Exact E||theta_t - theta_hat||^2 and E f(theta_t) - f(theta_hat), t = 0..steps, of SGD with rows drawn
    with replacement (every run starting at ``x0``); two arrays of shape (steps + 1,). With ``noise`` a third:
    the slide's M_t = E[tr Cov(g | theta_t)] for one row (``expected_noise``)."""
    X, y = _data(X, y)
    n, p = X.shape
    lr = V.positive_finite("lr", lr)
    B = V.int_at_least("batch_size", batch_size, 1)
    rho = V.in_interval("ridge", ridge, 0.0, np.inf, hi_open=True)
    th = minimiser(X, y, rho)
    hx = X.T @ X / n
    H = hx + rho * np.eye(p)
    u = X * (X @ th - y)[:, None]  # per-row gradients of the data term at theta_hat
    sig = gradient_covariance(X, y, th, B)
    m = V.vector("x0", x0, p) - th
    S = np.outer(m, m)
    err, loss, M = [np.trace(S)], [0.5 * np.trace(H @ S)], [expected_noise(X, y, m, S, rho)]
    # K and W as precomputed linear maps: (1/n) sum_i vec(x x^T) vec(x x^T)^T and (1/n) sum_i x_i u_i^T x_i^T
    xx = np.einsum("ni,nj->nij", X, X).reshape(n, p * p)
    kmat = xx.T @ xx / n
    wten = np.einsum("ni,nj,nk->ijk", X, u, X) / n
    r, sq = X @ th - y, (X**2).sum(axis=1)
    gbar = X.T @ r / n

    def noise_at(m, S):  # expected_noise with the pieces above
        e_r2 = r**2 + 2 * r * (X @ m) + xx @ S.ravel()
        return float((sq * e_r2).mean() - (gbar @ gbar + 2 * gbar @ hx @ m + np.trace(hx @ S @ hx)))
    for _ in range(V.int_at_least("steps", steps, 0)):
        K = (kmat @ S.ravel()).reshape(p, p)
        EASA = hx @ S @ hx + (K - hx @ S @ hx) / B + rho * (hx @ S + S @ hx) + rho**2 * S
        Q = (wten @ m + rho * np.outer(hx @ m, th)) / B
        S = S - lr * (H @ S + S @ H) + lr**2 * (EASA + Q + Q.T + sig)
        m = m - lr * (H @ m)
        err.append(np.trace(S))
        loss.append(0.5 * np.trace(H @ S))
        if noise:
            M.append(noise_at(m, S))
    return (np.array(err), np.array(loss)) + ((np.array(M),) if noise else ())


def expected_noise(X, y, mean, second, ridge=0.0):
    """E[tr Sigma(theta)] for theta = theta_hat + e with E[e] = ``mean``, E[e e^T] = ``second``: the slide's M
    (one row; divide by B for a minibatch). tr Sigma = (1/n) sum_i ||x_i||^2 r_i^2 - ||(1/n) sum_i x_i r_i||^2, r_i the
    residuals, both quadratic in e."""
    X, y = _data(X, y)
    n = len(y)
    th = minimiser(X, y, ridge)
    r = X @ th - y
    q = np.einsum("ij,jk,ik->i", X, second, X)
    sq = (X**2).sum(axis=1)
    hx = X.T @ X / n
    gbar = X.T @ r / n  # -ridge theta_hat at the ridge minimiser, 0 without ridge
    e_r2 = r**2 + 2 * r * (X @ mean) + q
    e_g2 = gbar @ gbar + 2 * gbar @ hx @ mean + np.trace(hx @ second @ hx)
    return float((sq * e_r2).mean() - e_g2)


def stationary_second_moment(X, y, lr, batch_size=1):
    """The fixed point S of the second-moment recursion (ridge 0, m = 0), or None when it has none that is
    positive semi-definite: the recursion's operator then has spectral radius >= 1 and E||e||^2 grows without
    bound, whatever the start. Also returns that spectral radius."""
    X, y = _data(X, y)
    n, p = X.shape
    B = V.int_at_least("batch_size", batch_size, 1)
    hx = X.T @ X / n

    def step(S):
        q = np.einsum("ij,jk,ik->i", X, S, X)
        K = (X * q[:, None]).T @ X / n
        return S - lr * (hx @ S + S @ hx) + lr**2 * (hx @ S @ hx + (K - hx @ S @ hx) / B)

    A = np.empty((p * p, p * p))
    for k in range(p * p):
        E = np.zeros(p * p)
        E[k] = 1.0
        A[:, k] = step(E.reshape(p, p)).ravel()
    radius = float(np.max(np.abs(np.linalg.eigvals(A))))
    if radius >= 1:
        return None, radius
    sig = gradient_covariance(X, y, minimiser(X, y), B)
    S = np.linalg.solve(np.eye(p * p) - A, (lr**2 * sig).ravel()).reshape(p, p)
    return (S + S.T) / 2, radius


def critical_lr(X, y, batch_size=1, hi=None):
    """The smallest rate at which the second-moment recursion stops contracting (spectral radius 1), by bisection
    below ``hi`` (default 2 / L)."""
    X, y = _data(X, y)
    hi = 2.0 / np.linalg.eigvalsh(X.T @ X / len(y)).max() if hi is None else hi
    lo = 0.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if stationary_second_moment(X, y, mid, batch_size)[1] < 1 else (lo, mid)
    return 0.5 * (lo + hi)
