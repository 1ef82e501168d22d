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

Every function here is vectorised over its scalar arguments (step size, batch size, mu, M, ...): pass
arrays and they broadcast together (NumPy rules) to a shape P; the result has shape P followed by the
function's own axes (the steps ``t`` where there are any). Per-direction arguments (``eigenvalues``,
``e0``, ``noise_var``) are not broadcast against them. With plain numbers a function returns what it
always did (a float, or an array over ``t``), and entry k of a vectorised call equals, bit for bit, the
call with the k-th scalars. Bad arguments raise a ValueError naming the parameter and its range.
For the noise of a ``Quadratic(noise_cov=Sigma)``, pass ``noise_var = eigenbasis_noise_var(Sigma, Q)``.
"""
import numpy as np

from . import _args as A


def max_lr_for_bound(L, mu):
    """2 / (L + mu): the largest step size for which the lecture's recursion and bound are proven.

    Vectorised over ``L`` and ``mu`` (broadcast together; a float when both are numbers)."""
    L = A.positive("L", L)
    mu = A.positive("mu", mu)
    A.shape(L=L, mu=mu)
    if np.any(mu > L):
        raise ValueError(f"mu must be <= L; got mu={A.out(mu)!r}, L={A.out(L)!r}")
    return A.out(2.0 / (L + mu))


def noise_ball_bound(lr, M, mu, batch_size=1):
    """alpha M / (B mu (2 - alpha mu)): the lecture's bound on lim E||theta_t - theta*||^2.

    Valid as a bound for alpha <= 2/(L + mu); attained when H = mu I and the noise is isotropic.
    Vectorised over ``lr``, ``M``, ``mu`` and ``batch_size`` (broadcast together; a float when all are
    numbers). Every entry needs alpha mu < 2.
    """
    lr = A.positive("lr", lr)
    M = A.nonnegative("M", M)
    mu = A.positive("mu", mu)
    batch_size = A.positive("batch_size", batch_size)
    A.shape(lr=lr, M=M, mu=mu, batch_size=batch_size)
    bad = lr * mu >= 2.0
    if np.any(bad):
        lr_b, mu_b = np.broadcast_arrays(lr, mu)
        i = tuple(int(k) for k in np.argwhere(bad)[0]) if bad.ndim else ()
        at = f" at index {i}" if i else ""
        raise ValueError(f"lr must be < 2/mu = {2.0 / float(mu_b[i])!r} for the bound to be finite; "
                         f"got {float(lr_b[i])!r}{at}")
    return A.out(lr * M / (batch_size * mu * (2.0 - lr * mu)))


def recursion_bound(prev, lr, M, mu, batch_size=1):
    """One step of the lecture's recursion: alpha^2 M / B + (1 - alpha mu)^2 * prev.

    Vectorised over ``lr``, ``M``, ``mu`` and ``batch_size`` (shape P): the result has shape P + prev.shape.
    """
    lr, M, mu = A.positive("lr", lr), A.nonnegative("M", M), A.positive("mu", mu)
    batch_size = A.positive("batch_size", batch_size)
    P = A.shape(lr=lr, M=M, mu=mu, batch_size=batch_size)
    prev = np.asarray(prev, dtype=np.float64)
    q = A.lift(lr * lr * M / batch_size, P, prev.ndim)
    c = A.lift(A.pypow(1.0 - lr * mu, 2), P, prev.ndim)
    return q + c * prev


def bound_trajectory(t, e0_sq, lr, M, mu, batch_size=1):
    """The recursion iterated from E||theta_0 - theta*||^2 = e0_sq, evaluated at steps ``t``.

    u_t = c^t u_0 + (alpha^2 M / B) (1 - c^t) / (1 - c),  c = (1 - alpha mu)^2; an upper bound on
    E||theta_t - theta*||^2 for alpha <= 2/(L + mu), tending to ``noise_ball_bound``.
    Vectorised over ``e0_sq``, ``lr``, ``M``, ``mu`` and ``batch_size`` (shape P): the result has shape
    P + t.shape.
    """
    t = _steps(t)
    e0_sq, lr = A.nonnegative("e0_sq", e0_sq), A.positive("lr", lr)
    M, mu, batch_size = A.nonnegative("M", M), A.positive("mu", mu), A.positive("batch_size", batch_size)
    P = A.shape(e0_sq=e0_sq, lr=lr, M=M, mu=mu, batch_size=batch_size)
    c = A.lift(A.pypow(1.0 - lr * mu, 2), P, t.ndim)
    q = A.lift(lr * lr * M / batch_size, P, t.ndim)
    return np.power(c, t) * A.lift(e0_sq, P, t.ndim) + q * _geom(c, t)


def _steps(t):
    """Steps as a float array, finite and >= 0 (any shape)."""
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"t must be finite steps >= 0; got {t!r}")
    return t


def _geom(r, t):
    """sum_{s<t} r^s = (1 - r^t)/(1 - r), and t where r == 1; broadcasts."""
    r = np.asarray(r, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    one = np.isclose(r, 1.0, rtol=0, atol=1e-15)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = np.where(one, t, (1.0 - r**t) / np.where(one, 0.5, 1.0 - r))
    return g


def _checked(lr, eigenvalues, noise_var, batch_size):
    lr = A.positive("lr", lr)
    batch_size = A.positive("batch_size", batch_size)
    lam = A.eigenvalues(eigenvalues)
    s2 = A.per_direction("noise_var", noise_var, lam.size)
    return lr, lam, s2, batch_size, A.shape(lr=lr, batch_size=batch_size)


def _directions(t, lr, eigenvalues, e0, noise_var, batch_size):
    """Per-direction E[e_i(t)^2], shape P + t.shape + (d,)."""
    lr, lam, s2, batch_size, P = _checked(lr, eigenvalues, noise_var, batch_size)
    e0 = A.per_direction("e0", e0, lam.size)
    t = _steps(t)
    lr = A.lift(lr, P, t.ndim + 1)
    batch_size = A.lift(batch_size, P, t.ndim + 1)
    t = t[..., None]
    r = (1.0 - lr * lam) ** 2
    with np.errstate(over="ignore", invalid="ignore"):
        return r**t * e0**2 + (lr * lr * s2 / batch_size) * _geom(r, t)


def sgd_error_sq(t, lr, eigenvalues, e0, noise_var, batch_size=1):
    """Exact E||theta_t - theta*||^2 at steps ``t`` (any shape); ``e0`` is the initial error in the eigenbasis.

    ``e0`` and ``noise_var`` are per eigendirection (a number or shape (d,)). Vectorised over ``lr`` and
    ``batch_size`` (broadcast together to a shape P): the result has shape P + t.shape, e.g.
    ``sgd_error_sq(np.arange(100), np.array([0.1, 0.2, 0.5]), ...)`` is (3, 100), row k the curve of lr[k].
    """
    return _directions(t, lr, eigenvalues, e0, noise_var, batch_size).sum(axis=-1)


def sgd_loss(t, lr, eigenvalues, e0, noise_var, batch_size=1):
    """Exact E[f(theta_t) - f*] = 1/2 sum_i lambda_i E[e_i(t)^2]; shapes as ``sgd_error_sq``."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    return 0.5 * (_directions(t, lr, eigenvalues, e0, noise_var, batch_size) * lam).sum(axis=-1)


def sgd_error_sq_limit(lr, eigenvalues, noise_var, batch_size=1):
    """lim_t E||theta_t - theta*||^2 = sum_i alpha sigma_i^2 / (B lambda_i (2 - alpha lambda_i)); inf if alpha >= 2/L.

    Vectorised over ``lr`` and ``batch_size`` (broadcast to a shape P): an array of shape P (inf where
    unstable), a float when both are numbers.
    """
    lr, lam, s2, batch_size, P = _checked(lr, eigenvalues, noise_var, batch_size)
    if P == ():
        if np.any(lr * lam >= 2.0):
            return float("inf")
        return float(np.sum(lr * s2 / (batch_size * lam * (2.0 - lr * lam))))
    lr, batch_size = A.lift(lr, P, 1), A.lift(batch_size, P, 1)
    unstable = np.any(lr * lam >= 2.0, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = np.sum(lr * s2 / (batch_size * lam * (2.0 - lr * lam)), axis=-1)
    return np.where(unstable, np.inf, total)


def gd_rate(lr, eigenvalues):
    """Per-step contraction of ||theta_t - theta*|| under gradient descent: max_i |1 - alpha lambda_i|.

    Equals 1 - alpha mu for alpha <= 2/(L + mu) and is smallest, (kappa - 1)/(kappa + 1), at alpha = 2/(L + mu).
    Converges (linearly) iff it is < 1, i.e. alpha < 2/L. Vectorised over ``lr`` (shape P; a float for a number).
    """
    lr = A.positive("lr", lr)
    lam = A.eigenvalues(eigenvalues)
    return A.out(np.max(np.abs(1.0 - lr[..., None] * lam), axis=-1))


def eigenbasis_noise_var(noise_cov, Q=None):
    """diag(Q^T Sigma Q): the gradient-noise variance along each eigendirection of H = Q diag(lambda) Q^T.

    ``noise_cov`` is Sigma, the (d, d) covariance of one sample's gradient noise in the coordinates of
    theta (as ``Quadratic(noise_cov=...)`` takes it); ``Q`` the orthogonal matrix of H's eigenvectors
    (columns; None for Q = I, H diagonal). Use the result as ``noise_var`` in ``sgd_error_sq``, ``sgd_loss``,
    ``sgd_error_sq_limit``, ``theory.momentum`` and ``theory.batch_size``: they stay exact.

    Why only the diagonal enters: with e = Q^T (theta - theta*) and xi_t the minibatch noise (covariance
    Sigma / B, independent across steps, mean 0), SGD gives e_{t+1} = (I - alpha Lambda) e_t - alpha Q^T xi_t,
    so the error covariance C_t = E[e_t e_t^T] evolves as C_{t+1} = D C_t D + alpha^2 S / B with
    D = I - alpha Lambda diagonal and S = Q^T Sigma Q. Its diagonal obeys
    C_ii(t+1) = (1 - alpha lambda_i)^2 C_ii(t) + alpha^2 S_ii / B, closed by itself: the off-diagonal of S
    changes only the off-diagonal of C, which neither E||theta_t - theta*||^2 = tr C_t nor
    E f(theta_t) - f* = tr(Lambda C_t) / 2 sees. The same holds for any update linear in the gradient whose
    matrices are diagonal in H's eigenbasis (momentum, Nesterov; not per-coordinate methods such as Adam
    unless Q = I). Assumptions: additive noise independent of theta and across steps, with finite
    covariance; Gaussianity is not needed for these second moments (e.g. Bottou, Curtis & Nocedal,
    SIAM Review 60(2), 2018, Sec. 4; the noisy quadratic model of Zhang et al. 2019, which takes Sigma = H).
    """
    cov = np.asarray(noise_cov, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or not np.all(np.isfinite(cov)):
        raise ValueError(f"noise_cov must be a finite (d, d) matrix; got shape {cov.shape}")
    if Q is None:
        return np.diag(cov).copy()
    q = np.asarray(Q, dtype=np.float64)
    if q.shape != cov.shape:
        raise ValueError(f"Q must have the shape of noise_cov, {cov.shape}; got {q.shape}")
    return np.einsum("ij,ik,kj->j", q, cov, q)
