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
from functools import cached_property

import numpy as np

from .. import validate as V
from . import _args as A
from .minibatch import minibatch_covariance


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
    u = X * (X @ np.asarray(theta, dtype=np.float64) - y)[:, None]
    return minibatch_covariance(u, batch_size, replacement)


class _Recursion:
    """The moment recursion's pieces for one dataset, batch size and ridge, built once as linear maps on
    vec S (S's rows one after the other) and on m:

        vec S' = T(alpha) vec S + alpha^2 (C m + vec Sigma(theta_hat) / B),   m' = (I - alpha H) m,
        T(alpha) = I - alpha L1 + alpha^2 L2,   L1 vec S = vec(H S + S H),   L2 vec S = vec E[A S A],
        vec(Q + Q^T) = C m,   and the slide's M = E[tr Sigma(theta)] = c0 + g . m + G . vec S (``noise``).

    L1 and L2 (and so T) are symmetric; each is built on first use.
    """

    def __init__(self, X, y, batch_size=1, ridge=0.0):
        self.X, self.y, self.B, self.rho = X, y, batch_size, ridge
        self.n, self.p = X.shape
        self.th = minimiser(X, y, ridge)
        self.hx = X.T @ X / self.n
        self.H = self.hx + ridge * np.eye(self.p)
        self.r = X @ self.th - y  # residuals at theta_hat; per-row gradients u_i = x_i r_i

    @cached_property
    def L1(self):
        eye = np.eye(self.p)
        return np.kron(self.H, eye) + np.kron(eye, self.H)

    @cached_property
    def L2(self):
        """E[A (x) A]: Hx (x) Hx + (K - Hx (x) Hx) / B + rho (Hx (x) I + I (x) Hx) + rho^2 I, with
        K = (1/n) sum_i vec(x_i x_i^T) vec(x_i x_i^T)^T."""
        X, n, p, rho, hx = self.X, self.n, self.p, self.rho, self.hx
        xx = np.einsum("ni,nj->nij", X, X).reshape(n, p * p)
        eye = np.eye(p)
        return (np.kron(hx, hx) * (1 - 1 / self.B) + xx.T @ xx / (n * self.B)
                + rho * (np.kron(hx, eye) + np.kron(eye, hx)) + rho**2 * np.eye(p * p))

    @cached_property
    def C(self):
        """vec(Q + Q^T) = C m with Q = (W(m) + rho Hx m theta_hat^T) / B, W(m) = (1/n) sum_i (x_i^T m) x_i u_i^T."""
        X, p = self.X, self.p
        w = np.einsum("ni,nj,nk->ijk", X, X * self.r[:, None], X) / self.n
        q = (w + self.rho * np.einsum("ik,j->ijk", self.hx, self.th)) / self.B  # Q[i, j] = q[i, j, :] @ m
        return (q + q.transpose(1, 0, 2)).reshape(p * p, p)

    @cached_property
    def sigma(self):
        """vec of the minibatch gradient covariance at theta_hat, Sigma(theta_hat) / B."""
        return gradient_covariance(self.X, self.y, self.th, self.B).ravel()

    def operator(self, lr):
        """T(lr), the second moment's map (for m = 0)."""
        return np.eye(self.p * self.p) - lr * self.L1 + lr**2 * self.L2

    def radius(self, lr):
        """Spectral radius of T(lr) (symmetric): the recursion contracts when it is below 1."""
        return float(np.max(np.abs(np.linalg.eigvalsh(self.operator(lr)))))

    @cached_property
    def _noise(self):
        # tr Sigma(theta_hat + e) = mean_i ||x_i||^2 (r_i + x_i^T e)^2 - ||gbar + Hx e||^2, gbar = (1/n) sum_i x_i r_i,
        # so its expectation is affine in (E e, vec E[e e^T])
        X, r, n, hx = self.X, self.r, self.n, self.hx
        sq = (X**2).sum(axis=1)
        gbar = X.T @ r / n  # -ridge theta_hat at the ridge minimiser, 0 without ridge
        c0 = (sq * r**2).mean() - gbar @ gbar
        g = 2 * (X.T @ (sq * r) / n - hx @ gbar)
        G = (X * sq[:, None]).T @ X / n - hx @ hx
        return c0, g, G.ravel()

    def noise(self, mean, second):
        """E[tr Sigma(theta)] for theta = theta_hat + e with E[e] = ``mean`` and E[e e^T] = ``second``."""
        c0, g, G = self._noise
        return float(c0 + g @ mean + G @ np.ravel(second))


def sgd_moments(X, y, lr, steps, x0, batch_size=1, ridge=0.0, noise=False):
    """Exact E||theta_t - theta_hat||^2 and E f(theta_t) - f(theta_hat), t = 0..steps, of SGD with rows drawn
    with replacement (every run starting at ``x0``); two arrays of shape (steps + 1,). With ``noise`` a third:
    the slide's M_t = E[tr Cov(g | theta_t)] for one row (``expected_noise``).

    Vectorised over ``lr``, ``batch_size`` and ``ridge``: arrays broadcast together to a shape P and each
    result has shape P + (steps + 1,), entry k the scalar call with the k-th values (a loop over P)."""
    lr_a, B_a = A.positive("lr", lr), A.integer("batch_size", batch_size, 1)
    rho_a = A.nonnegative("ridge", ridge)
    P = A.shape(lr=lr_a, batch_size=B_a, ridge=rho_a)
    if P == ():
        return _sgd_moments(X, y, lr, steps, x0, batch_size, ridge, noise)
    lr_a, B_a, rho_a = (np.broadcast_to(a, P) for a in (lr_a, B_a, rho_a))
    rows = [_sgd_moments(X, y, float(lr_a[i]), steps, x0, int(B_a[i]), float(rho_a[i]), noise) for i in np.ndindex(*P)]
    return tuple(np.stack([r[j] for r in rows]).reshape(P + rows[0][j].shape) for j in range(len(rows[0])))


def _sgd_moments(X, y, lr, steps, x0, batch_size, ridge, noise):
    X, y = _data(X, y)
    p = X.shape[1]
    lr = V.positive_finite("lr", lr)
    B = V.int_at_least("batch_size", batch_size, 1)
    rho = V.in_interval("ridge", ridge, 0.0, np.inf, hi_open=True)
    rec = _Recursion(X, y, B, rho)
    T, F, C, sig = rec.operator(lr), np.eye(p) - lr * rec.H, rec.C, rec.sigma
    h, diag = rec.H.ravel(), slice(None, None, p + 1)  # tr(H S) = vec(H) . vec(S); tr S = the diagonal of vec S
    m = V.vector("x0", x0, p) - rec.th
    s = np.outer(m, m).ravel()
    err, loss, M = [s[diag].sum()], [0.5 * h @ s], [rec.noise(m, s)]  # M is for one row: B does not enter it
    for _ in range(V.int_at_least("steps", steps, 0)):
        s = T @ s + lr**2 * (C @ m + sig)
        m = F @ m
        err.append(s[diag].sum())
        loss.append(0.5 * h @ s)
        if noise:
            M.append(rec.noise(m, s))
    return (np.array(err), np.array(loss)) + ((np.array(M),) if noise else ())


def expected_noise(X, y, mean, second, ridge=0.0):
    """E[tr Sigma(theta)] for theta = theta_hat + e with E[e] = ``mean``, E[e e^T] = ``second``: the slide's M
    (one row; divide by B for a minibatch). tr Sigma = (1/n) sum_i ||x_i||^2 r_i^2 - ||(1/n) sum_i x_i r_i||^2, r_i the
    residuals, both quadratic in e."""
    X, y = _data(X, y)
    rho = V.in_interval("ridge", ridge, 0.0, np.inf, hi_open=True)
    p = X.shape[1]
    return _Recursion(X, y, 1, rho).noise(V.vector("mean", mean, p), np.asarray(second, dtype=np.float64))


def stationary_second_moment(X, y, lr, batch_size=1, ridge=0.0):
    """The fixed point S of the second-moment recursion (m = 0; with ``ridge``, about the ridge minimiser), or None
    when it has none that is positive semi-definite: the recursion's operator then has spectral radius >= 1 and
    E||e||^2 grows without bound, whatever the start. Also returns that spectral radius."""
    X, y = _data(X, y)
    p = X.shape[1]
    B = V.int_at_least("batch_size", batch_size, 1)
    rec = _Recursion(X, y, B, V.in_interval("ridge", ridge, 0.0, np.inf, hi_open=True))
    radius = rec.radius(lr)
    if radius >= 1:
        return None, radius
    S = np.linalg.solve(np.eye(p * p) - rec.operator(lr), lr**2 * rec.sigma).reshape(p, p)
    return (S + S.T) / 2, radius


def critical_lr(X, y, batch_size=1, hi=None, ridge=0.0):
    """The smallest rate at which the second-moment recursion stops contracting (spectral radius 1), by bisection
    below ``hi`` (default 2 / L, L the largest eigenvalue of H, ridge included)."""
    X, y = _data(X, y)
    B = V.int_at_least("batch_size", batch_size, 1)
    rec = _Recursion(X, y, B, V.in_interval("ridge", ridge, 0.0, np.inf, hi_open=True))
    hi = 2.0 / np.linalg.eigvalsh(rec.H).max() if hi is None else hi
    lo = 0.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rec.radius(mid) < 1 else (lo, mid)
    return 0.5 * (lo + hi)
