"""Momentum SGD on the noisy quadratic: effective rates, exact second moments, the optimal heavy ball.

Assumptions as in ``theory.sgd`` (quadratic, additive noise of variance sigma_i^2 / B per
eigendirection, independent across steps). The lecture's momentum (exponentially weighted
average, EWMA)

    m_t = b1 m_{t-1} + (1 - b1) g_t,   theta_t = theta_{t-1} - c_t m_t,   c_t = lr or lr / (1 - b1^t),

is, per eigendirection, the linear system s_t = A_t s_{t-1} + b_t xi_t on s = (e, m) with

    A_t = [[1 - c_t (1 - b1) lam, -c_t b1], [(1 - b1) lam, b1]],   b_t = [-c_t (1 - b1), 1 - b1],

so the second moments S_t = E[s_t s_t^T] obey S_t = A_t S_{t-1} A_t^T + (sigma^2 / B) b_t b_t^T
exactly. Heavy ball v_t = beta v_{t-1} + g_t, theta_t = theta_{t-1} - lr v_t is the EWMA with
b1 = beta and lr_EWMA = lr / (1 - beta) (v = m / (1 - b1)): the same trajectory.
Polyak (1964); Sutskever et al. (2013); the lecture's "Momentum" slides.
"""
import numpy as np
from scipy.linalg import solve_discrete_lyapunov

from .. import validate as V


def momentum_effective_lr(lr, b1, t=None, bias_correction=False):
    """The lecture's effective rate: lr (1 - b1), or lr (1 - b1) / (1 - b1^t) with bias correction."""
    lr = V.positive_finite("lr", lr)
    b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
    if not bias_correction:
        return lr * (1.0 - b1)
    t = np.asarray(t, dtype=np.float64)
    return lr * (1.0 - b1) / (1.0 - b1**t)


def adam_effective_lr(lr, b1, b2, t, v, eps=0.0):
    """The lecture's per-coordinate Adam rate lr (1 - b1) / ((1 - b1^t) sqrt(v_t / (1 - b2^t) + eps))."""
    t = np.asarray(t, dtype=np.float64)
    return lr * (1.0 - b1) / ((1.0 - b1**t) * np.sqrt(np.asarray(v) / (1.0 - b2**t) + eps))


def _system(c, b1, lam, nesterov=False):
    """A (..., 2, 2) and b (..., 2) of the EWMA recursion for step factor c and eigenvalues lam.

    With ``nesterov`` the gradient is taken at e - c b1 m (Sutskever's look-ahead), which
    multiplies the m column's gradient term: m_t = (1-b1) lam e + b1 (1 - c (1-b1) lam) m + (1-b1) xi.
    """
    c, lam = np.broadcast_arrays(np.asarray(c, dtype=np.float64), np.asarray(lam, dtype=np.float64))
    A = np.empty(c.shape + (2, 2))
    damp = 1.0 - c * (1.0 - b1) * lam
    A[..., 0, 0] = damp
    A[..., 0, 1] = -c * b1 * damp if nesterov else -c * b1
    A[..., 1, 0] = (1.0 - b1) * lam
    A[..., 1, 1] = b1 * damp if nesterov else b1
    b = np.stack([-c * (1.0 - b1), np.full(c.shape, 1.0 - b1)], axis=-1)
    return A, b


def momentum_error_sq(steps, lr, b1, eigenvalues, e0, noise_var, batch_size=1, bias_correction=False,
                      nesterov=False, at_lookahead=False, weights=None):
    """Exact E||theta_t - theta*||^2 of EWMA momentum for t = 0..steps (m_0 = 0); shape (steps + 1,).
    With ``weights`` w (per eigendirection) the sum is E sum_i w_i e_i^2 instead: w = eigenvalues / 2 gives
    the expected loss E f(theta_t) - f*.

    ``e0``: initial error in the eigenbasis. For heavy ball (lr_hb, beta) call with
    lr = lr_hb / (1 - beta), b1 = beta. ``at_lookahead`` gives E||theta_t - lr b1 m_t - theta*||^2
    instead: the point the frameworks' Nesterov form stores as its parameters.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    q = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), lam.shape) / batch_size
    S = np.zeros(lam.shape + (2, 2))
    S[:, 0, 0] = np.broadcast_to(np.asarray(e0, dtype=np.float64), lam.shape) ** 2
    w = np.array([1.0, -lr * b1 if at_lookahead else 0.0])  # the measured point is w . (e, m)
    k = np.ones(lam.shape) if weights is None else np.broadcast_to(np.asarray(weights, dtype=np.float64), lam.shape)
    out = [k @ S[:, 0, 0]]
    for t in range(1, steps + 1):
        c = lr / (1.0 - b1**t) if bias_correction else lr
        A, b = _system(c, b1, lam, nesterov)
        S = A @ S @ np.swapaxes(A, -1, -2) + q[:, None, None] * b[:, :, None] * b[:, None, :]
        out.append(float(np.einsum("n,i,nij,j->", k, w, S, w)))
    return np.array(out)


def momentum_error_sq_limit(lr, b1, eigenvalues, noise_var, batch_size=1, nesterov=False):
    """lim E||theta_t - theta*||^2 of EWMA momentum without bias correction (inf if it does not converge).

    Per direction the stationary S solves the discrete Lyapunov equation S = A S A^T + q b b^T.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    q = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), lam.shape) / batch_size
    A, b = _system(lr, b1, lam, nesterov)
    if np.any(np.max(np.abs(np.linalg.eigvals(A)), axis=-1) >= 1.0):
        return float("inf")
    return float(sum(solve_discrete_lyapunov(A[i], q[i] * np.outer(b[i], b[i]))[0, 0] for i in range(lam.size)))


def momentum_rate(lr, b1, eigenvalues, nesterov=False):
    """Per-step linear rate of noise-free EWMA momentum: the largest spectral radius of A over directions."""
    A, _ = _system(lr, b1, np.asarray(eigenvalues, dtype=np.float64), nesterov)
    return float(np.max(np.abs(np.linalg.eigvals(A))))


def optimal_heavy_ball(L, mu):
    """Polyak's optimal heavy ball: lr = 4 / (sqrt(L) + sqrt(mu))^2, beta = ((sqrt(k) - 1)/(sqrt(k) + 1))^2.

    Returns (lr, beta, rate) with rate = (sqrt(k) - 1) / (sqrt(k) + 1), k = L / mu.
    """
    L = V.positive_finite("L", L)
    mu = V.positive_finite("mu", mu)
    sk = np.sqrt(L / mu)
    rate = (sk - 1.0) / (sk + 1.0)
    return 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2, rate**2, rate
