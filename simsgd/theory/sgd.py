"""Closed forms for (minibatch) SGD on a strongly convex quadratic with additive gradient noise.

Assumptions (shared by every function here unless it says otherwise):
f(theta) = 1/2 (theta - theta*)^T H (theta - theta*) with eigenvalues lambda_i in [mu, L], mu > 0;
the stochastic gradient is grad f(theta) + xi with E[xi] = 0, independent across steps, and with
variance sigma_i^2 along eigendirection i for one sample (M = sum_i sigma_i^2); a minibatch of B
i.i.d. samples divides it by B; constant step size alpha (``lr``).

In the eigenbasis each coordinate e_i = (theta - theta*)_i evolves independently:
e_i <- (1 - alpha lambda_i) e_i - alpha xi_i, so with r_i = (1 - alpha lambda_i)^2

    E[e_i(t)^2] = r_i^t e_i(0)^2 + (alpha^2 sigma_i^2 / B) (1 - r_i^t) / (1 - r_i)        (exact)

and (1 - r_i) = alpha lambda_i (2 - alpha lambda_i), giving the slide's per-direction limit
alpha sigma_i^2 / (B lambda_i (2 - alpha lambda_i)). When alpha <= 2/(L + mu),
max_i |1 - alpha lambda_i| = 1 - alpha mu and the lecture's recursion and bound follow
(slides "Bola de ruido"; Bottou, Curtis & Nocedal, SIAM Review 60(2), 2018, Thm 4.6).
"""
import numpy as np

from .. import validate as V


def max_lr_for_bound(L, mu):
    """2 / (L + mu): the largest step size for which the lecture's recursion and bound are proven."""
    L = V.positive_finite("L", L)
    mu = V.positive_finite("mu", mu)
    if mu > L:
        raise ValueError(f"mu must be <= L; got mu={mu!r}, L={L!r}")
    return 2.0 / (L + mu)


def noise_ball_bound(lr, M, mu, batch_size=1):
    """alpha M / (B mu (2 - alpha mu)): the lecture's bound on lim E||theta_t - theta*||^2.

    Valid as a bound for alpha <= 2/(L + mu); attained when H = mu I and the noise is isotropic.
    """
    lr = V.positive_finite("lr", lr)
    M = V.in_interval("M", M, 0.0, float("inf"), hi_open=True)
    mu = V.positive_finite("mu", mu)
    batch_size = V.positive_finite("batch_size", batch_size)
    if lr * mu >= 2.0:
        raise ValueError(f"lr must be < 2/mu = {2.0 / mu!r} for the bound to be finite; got {lr!r}")
    return lr * M / (batch_size * mu * (2.0 - lr * mu))


def recursion_bound(prev, lr, M, mu, batch_size=1):
    """One step of the lecture's recursion: alpha^2 M / B + (1 - alpha mu)^2 * prev."""
    return lr * lr * M / batch_size + (1.0 - lr * mu) ** 2 * np.asarray(prev, dtype=np.float64)


def bound_trajectory(t, e0_sq, lr, M, mu, batch_size=1):
    """The recursion iterated from E||theta_0 - theta*||^2 = e0_sq, evaluated at steps ``t``.

    u_t = c^t u_0 + (alpha^2 M / B) (1 - c^t) / (1 - c),  c = (1 - alpha mu)^2; an upper bound on
    E||theta_t - theta*||^2 for alpha <= 2/(L + mu), tending to ``noise_ball_bound``.
    """
    t = np.asarray(t, dtype=np.float64)
    c = (1.0 - lr * mu) ** 2
    q = lr * lr * M / batch_size
    return c**t * e0_sq + q * _geom(c, t)


def _geom(r, t):
    """sum_{s<t} r^s = (1 - r^t)/(1 - r), and t where r == 1; broadcasts."""
    r = np.asarray(r, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    one = np.isclose(r, 1.0, rtol=0, atol=1e-15)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = np.where(one, t, (1.0 - r**t) / np.where(one, 0.5, 1.0 - r))
    return g


def _directions(t, lr, eigenvalues, e0, noise_var, batch_size):
    """Per-direction E[e_i(t)^2], shape t.shape + (d,)."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    e0 = np.broadcast_to(np.asarray(e0, dtype=np.float64), lam.shape)
    s2 = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), lam.shape)
    t = np.asarray(t, dtype=np.float64)[..., None]
    r = (1.0 - lr * lam) ** 2
    with np.errstate(over="ignore", invalid="ignore"):
        return r**t * e0**2 + (lr * lr * s2 / batch_size) * _geom(r, t)


def sgd_error_sq(t, lr, eigenvalues, e0, noise_var, batch_size=1):
    """Exact E||theta_t - theta*||^2 at steps ``t`` (any shape); ``e0`` is the initial error in the eigenbasis."""
    return _directions(t, lr, eigenvalues, e0, noise_var, batch_size).sum(axis=-1)


def sgd_loss(t, lr, eigenvalues, e0, noise_var, batch_size=1):
    """Exact E[f(theta_t) - f*] = 1/2 sum_i lambda_i E[e_i(t)^2]."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    return 0.5 * (_directions(t, lr, eigenvalues, e0, noise_var, batch_size) * lam).sum(axis=-1)


def sgd_error_sq_limit(lr, eigenvalues, noise_var, batch_size=1):
    """lim_t E||theta_t - theta*||^2 = sum_i alpha sigma_i^2 / (B lambda_i (2 - alpha lambda_i)); inf if alpha >= 2/L."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    s2 = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), lam.shape)
    if np.any(lr * lam >= 2.0):
        return float("inf")
    return float(np.sum(lr * s2 / (batch_size * lam * (2.0 - lr * lam))))


def gd_rate(lr, eigenvalues):
    """Per-step contraction of ||theta_t - theta*|| under gradient descent: max_i |1 - alpha lambda_i|.

    Equals 1 - alpha mu for alpha <= 2/(L + mu) and is smallest, (kappa - 1)/(kappa + 1), at alpha = 2/(L + mu).
    Converges (linearly) iff it is < 1, i.e. alpha < 2/L.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    return float(np.max(np.abs(1.0 - lr * lam)))
