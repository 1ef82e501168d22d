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


def sgd_moments(X, y, lr, steps, x0, batch_size=1, ridge=0.0):
    """Exact E||theta_t - theta_hat||^2 and E f(theta_t) - f(theta_hat), t = 0..steps, of SGD with rows drawn
    with replacement (every run starting at ``x0``); two arrays of shape (steps + 1,)."""
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
    err, loss = [np.trace(S)], [0.5 * np.trace(H @ S)]
    for _ in range(V.int_at_least("steps", steps, 0)):
        q = np.einsum("ij,jk,ik->i", X, S, X)
        K = (X * q[:, None]).T @ X / n
        EASA = hx @ S @ hx + (K - hx @ S @ hx) / B + rho * (hx @ S + S @ hx) + rho**2 * S
        Q = ((X * (X @ m)[:, None]).T @ u / n + rho * np.outer(hx @ m, th)) / B
        S = S - lr * (H @ S + S @ H) + lr**2 * (EASA + Q + Q.T + sig)
        m = m - lr * (H @ m)
        err.append(np.trace(S))
        loss.append(0.5 * np.trace(H @ S))
    return np.array(err), np.array(loss)
