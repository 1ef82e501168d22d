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

Vectorised over the scalar arguments (``lr``, ``b1``, ``batch_size``; ``L``, ``mu``): they broadcast
together to a shape P and a result has shape P followed by its own axes (the steps); plain numbers give
what the scalar formulas give, and entry k of a vectorised call equals the call with the k-th scalars.
"""
import numpy as np
from scipy.linalg import solve_discrete_lyapunov

from . import _args as A


def _lr_b1(lr, b1):
    lr = A.positive("lr", lr)
    b1 = A.real("b1", b1, 0.0, 1.0, hi_open=True)
    return lr, b1, A.shape(lr=lr, b1=b1)


def momentum_effective_lr(lr, b1, t=None, bias_correction=False):
    """The lecture's effective rate: lr (1 - b1), or lr (1 - b1) / (1 - b1^t) with bias correction.

    Vectorised over ``lr`` and ``b1`` (shape P): a float for numbers, else shape P; with bias correction
    shape P + t.shape (t >= 1)."""
    lr, b1, P = _lr_b1(lr, b1)
    if not bias_correction:
        return A.out(lr * (1.0 - b1))
    if t is None:
        raise ValueError("t must be given (steps >= 1) with bias_correction=True")
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t < 1):
        raise ValueError(f"t must be finite steps >= 1; got {t!r}")
    lr, b1 = A.lift(lr, P, t.ndim), A.lift(b1, P, t.ndim)
    return lr * (1.0 - b1) / (1.0 - np.power(b1, t))


def adam_effective_lr(lr, b1, b2, t, v, eps=0.0):
    """The lecture's per-coordinate Adam rate lr (1 - b1) / ((1 - b1^t) sqrt(v_t / (1 - b2^t) + eps))."""
    t = np.asarray(t, dtype=np.float64)
    return lr * (1.0 - b1) / ((1.0 - b1**t) * np.sqrt(np.asarray(v) / (1.0 - b2**t) + eps))


def _system(c, b1, lam, nesterov=False):
    """A (..., 2, 2) and b (..., 2) of the EWMA recursion for step factor c and eigenvalues lam (broadcast
    with c and b1).

    With ``nesterov`` the gradient is taken at e - c b1 m (Sutskever's look-ahead), which
    multiplies the m column's gradient term: m_t = (1-b1) lam e + b1 (1 - c (1-b1) lam) m + (1-b1) xi.
    """
    c, b1, lam = np.broadcast_arrays(np.asarray(c, dtype=np.float64), np.asarray(b1, dtype=np.float64),
                                     np.asarray(lam, dtype=np.float64))
    A = np.empty(c.shape + (2, 2))
    damp = 1.0 - c * (1.0 - b1) * lam
    A[..., 0, 0] = damp
    A[..., 0, 1] = -c * b1 * damp if nesterov else -c * b1
    A[..., 1, 0] = (1.0 - b1) * lam
    A[..., 1, 1] = b1 * damp if nesterov else b1
    b = np.stack([-c * (1.0 - b1), 1.0 - b1], axis=-1)
    return A, b


def momentum_error_sq(steps, lr, b1, eigenvalues, e0, noise_var, batch_size=1, bias_correction=False,
                      nesterov=False, at_lookahead=False, weights=None):
    """Exact E||theta_t - theta*||^2 of EWMA momentum for t = 0..steps (m_0 = 0); shape (steps + 1,).
    With ``weights`` w (per eigendirection) the sum is E sum_i w_i e_i^2 instead: w = eigenvalues / 2 gives
    the expected loss E f(theta_t) - f*.

    ``e0``: initial error in the eigenbasis. For heavy ball (lr_hb, beta) call with
    lr = lr_hb / (1 - beta), b1 = beta. ``at_lookahead`` gives E||theta_t - lr b1 m_t - theta*||^2
    instead: the point the frameworks' Nesterov form stores as its parameters.
    Vectorised over ``lr``, ``b1`` and ``batch_size`` (broadcast to a shape P): shape P + (steps + 1,).
    """
    steps = int(A.integer("steps", steps, 0))
    lr, b1, _ = _lr_b1(lr, b1)
    batch_size = A.positive("batch_size", batch_size)
    P = A.shape(lr=lr, b1=b1, batch_size=batch_size)
    lam = A.eigenvalues(eigenvalues)
    d = lam.size
    q = A.per_direction("noise_var", noise_var, d) / A.lift(batch_size, P, 1)
    S0 = np.zeros((d, 2, 2))
    S0[:, 0, 0] = A.per_direction("e0", e0, d) ** 2
    S = np.array(np.broadcast_to(S0, P + S0.shape))
    lr, b1 = A.lift(lr, P), A.lift(b1, P)
    w = np.stack([np.ones(P), -lr * b1 if at_lookahead else np.zeros(P)], axis=-1)  # the measured point is w . (e, m)
    k = np.ones(d) if weights is None else A.per_direction("weights", weights, d)
    out = np.empty(P + (steps + 1,))
    out[..., 0] = k @ S0[:, 0, 0]
    for t in range(1, steps + 1):
        c = lr / (1.0 - A.pypow(b1, t)) if bias_correction else lr
        Am, b = _system(c[..., None], b1[..., None], lam, nesterov)
        S = Am @ S @ np.swapaxes(Am, -1, -2) + q[..., None, None] * b[..., :, None] * b[..., None, :]
        out[..., t] = np.einsum("...n,...i,...nij,...j->...", k, w, S, w)
    return out


def _limit_one(lr, b1, lam, noise_var, batch_size, nesterov):
    q = noise_var / batch_size
    A_, b = _system(lr, b1, lam, nesterov)
    if np.any(np.max(np.abs(np.linalg.eigvals(A_)), axis=-1) >= 1.0):
        return float("inf")
    return float(sum(solve_discrete_lyapunov(A_[i], q[i] * np.outer(b[i], b[i]))[0, 0] for i in range(lam.size)))


def momentum_error_sq_limit(lr, b1, eigenvalues, noise_var, batch_size=1, nesterov=False):
    """lim E||theta_t - theta*||^2 of EWMA momentum without bias correction (inf if it does not converge).

    Per direction the stationary S solves the discrete Lyapunov equation S = A S A^T + q b b^T.
    Vectorised over ``lr``, ``b1`` and ``batch_size`` (shape P; a float for numbers).
    """
    lr, b1, _ = _lr_b1(lr, b1)
    batch_size = A.positive("batch_size", batch_size)
    P = A.shape(lr=lr, b1=b1, batch_size=batch_size)
    lam = A.eigenvalues(eigenvalues)
    s2 = A.per_direction("noise_var", noise_var, lam.size)
    return A.elementwise(lambda lr, b1, batch_size: _limit_one(lr, b1, lam, s2, batch_size, nesterov), P,
                         {"lr": lr, "b1": b1, "batch_size": batch_size})


def momentum_rate(lr, b1, eigenvalues, nesterov=False):
    """Per-step linear rate of noise-free EWMA momentum: the largest spectral radius of A over directions.

    Vectorised over ``lr`` and ``b1`` (shape P; a float for numbers)."""
    lr, b1, P = _lr_b1(lr, b1)
    lr, b1 = A.lift(lr, P, 1), A.lift(b1, P, 1)
    A_, _ = _system(lr, b1, A.eigenvalues(eigenvalues), nesterov)
    return A.out(np.max(np.abs(np.linalg.eigvals(A_)), axis=(-2, -1)))


def optimal_heavy_ball(L, mu):
    """Polyak's optimal heavy ball: lr = 4 / (sqrt(L) + sqrt(mu))^2, beta = ((sqrt(k) - 1)/(sqrt(k) + 1))^2.

    Returns (lr, beta, rate) with rate = (sqrt(k) - 1) / (sqrt(k) + 1), k = L / mu. Vectorised over ``L``
    and ``mu`` (three arrays of their broadcast shape; floats for numbers).
    """
    L = A.positive("L", L)
    mu = A.positive("mu", mu)
    A.shape(L=L, mu=mu)
    sk = np.sqrt(L / mu)
    rate = (sk - 1.0) / (sk + 1.0)
    return (A.out(4.0 / A.pypow(np.sqrt(L) + np.sqrt(mu), 2)), A.out(A.pypow(rate, 2)), A.out(rate))
