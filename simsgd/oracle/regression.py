"""Bias and variance of least-squares polynomial fits over random designs, in plain NumPy.

The model: n inputs x drawn from the arcsine law on [-1, 1] (x = cos(pi U)), labels y = f(x) + sigma eps,
f a Chebyshev series, fits of every degree k = 0..K in the Chebyshev basis T_0..T_k. Given a design X,
the fit's mean is the projection P_X f and its covariance sigma^2 (Phi^T Phi)^-1, both exact here
(one QR of the degree-K basis matrix serves every degree), so only the designs are sampled, from NumPy's
own generator: nothing is shared with the compiled Monte Carlo, which samples labels as well.
"""
import numpy as np
from numpy.polynomial import chebyshev as C


def conditional_fits(x, coef, max_degree, test_x):
    """Mean prediction P_X f and variance factor phi*^T (Phi^T Phi)^-1 phi* at ``test_x``, every degree.

    ``x`` has shape (D, n) (D designs) or (n,); returns two arrays of shape (D, K + 1, m) (or (K + 1, m)),
    degree k in row k. With Phi = QR, the degree-k fit uses the leading k + 1 columns of Q and block of R,
    so w = R^-T phi* gives the prediction as the partial sums of w_j (Q^T f)_j and the variance factor as
    the partial sums of w_j^2.
    """
    x = np.asarray(x, dtype=np.float64)
    single = x.ndim == 1
    x = np.atleast_2d(x)
    phi = C.chebvander(x, max_degree)                      # (D, n, K + 1)
    q, r = np.linalg.qr(phi)
    qf = np.einsum("dnj,dn->dj", q, C.chebval(x, coef))     # Q^T f(X)
    phi_test = C.chebvander(np.asarray(test_x, dtype=np.float64), max_degree)  # (m, K + 1)
    w = np.linalg.solve(np.swapaxes(r, 1, 2), np.broadcast_to(phi_test.T, r.shape[:1] + phi_test.T.shape))
    mean = np.cumsum(w * qf[:, :, None], axis=1)
    factor = np.cumsum(w * w, axis=1)
    return (mean[0], factor[0]) if single else (mean, factor)


def arcsine_designs(rng, designs, n):
    """``designs`` x ``n`` independent draws of the arcsine law on [-1, 1]."""
    return np.cos(np.pi * rng.random((designs, n)))


def bias_variance(coef, noise_std, n, max_degree, test_x, designs, seed, blocks=100, chunk=500):
    """Squared bias, variance and their parts per degree, averaged over ``test_x``, with standard errors.

    For degree k and test input x*, E[fit] = E_X[P_X f(x*)] and Var[fit] = sigma^2 E_X[factor] +
    Var_X[P_X f(x*)] (the law of total variance); bias^2 = mean over x* of (E[fit] - f)^2, the
    unbiased estimate (mean - f)^2 - s^2 / D (s^2 the sample variance over the D designs). Standard
    errors by the jackknife over ``blocks`` equal blocks of designs. Returns a dict of arrays of
    length K + 1: ``bias2``, ``variance``, ``noise_part`` (sigma^2 E_X[factor]), ``design_part``
    (Var_X P_X f), ``test_error`` (bias2 + variance + sigma^2), each with ``<name>_se``; and
    ``mean_fit`` (K + 1, m), E_X[P_X f] at each test input, with ``mean_fit_se``.
    """
    if designs % blocks:
        raise ValueError(f"designs must be a multiple of blocks={blocks}; got {designs}")
    rng = np.random.default_rng(seed)
    test_x = np.asarray(test_x, dtype=np.float64)
    f_test = C.chebval(test_x, coef)
    per_block = designs // blocks
    s1 = np.zeros((blocks, max_degree + 1, test_x.size))
    s2 = np.zeros_like(s1)
    sf = np.zeros_like(s1)
    for b in range(blocks):
        for start in range(0, per_block, chunk):
            mean, factor = conditional_fits(arcsine_designs(rng, min(chunk, per_block - start), n), coef,
                                            max_degree, test_x)
            d = mean - f_test
            s1[b] += d.sum(axis=0)
            s2[b] += (d * d).sum(axis=0)
            sf[b] += factor.sum(axis=0)

    def estimates(t1, t2, tf, count):
        m = t1 / count                                       # E_X[P_X f] - f
        s = (t2 - count * m * m) / (count - 1)               # sample variance over designs
        noise = noise_std ** 2 * (tf / count).mean(axis=-1)
        design = s.mean(axis=-1)
        return {"bias2": (m * m - s / count).mean(axis=-1), "variance": noise + design,
                "noise_part": noise, "design_part": design}

    full = estimates(s1.sum(0), s2.sum(0), sf.sum(0), designs)
    loo = estimates(s1.sum(0) - s1, s2.sum(0) - s2, sf.sum(0) - sf, designs - per_block)
    out = {}
    for key, value in full.items():
        pseudo = blocks * value - (blocks - 1) * loo[key]
        out[key] = value
        out[key + "_se"] = pseudo.std(axis=0, ddof=1) / np.sqrt(blocks)
    t1, t2 = s1.sum(0), s2.sum(0)
    out["mean_fit"] = f_test + t1 / designs
    out["mean_fit_se"] = np.sqrt((t2 - t1 * t1 / designs) / (designs - 1) / designs)
    out["test_error"] = out["bias2"] + out["variance"] + noise_std ** 2
    pseudo = blocks * (full["bias2"] + full["variance"]) - (blocks - 1) * (loo["bias2"] + loo["variance"])
    out["test_error_se"] = pseudo.std(axis=0, ddof=1) / np.sqrt(blocks)
    return out
