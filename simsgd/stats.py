"""Statistics over runs: merging per-chunk moments, standard errors and test thresholds."""
import numpy as np
from scipy import stats as _st


def merge_chunks(count, mean, m2):
    """Merge per-chunk (count, mean, M2) into totals (Chan et al., 1979).

    ``count``: (C, K); ``mean``, ``m2``: (C, K, m). Returns (count (K,), mean (K, m), M2 (K, m)).
    Chunks are merged pairwise, (0, 1), (2, 3), ..., then the pairs likewise: a fixed order
    (the result does not depend on how chunks were scheduled) in O(log C) vectorised steps.
    """
    n = np.asarray(count, dtype=np.float64)[..., None]
    mu = np.asarray(mean, dtype=np.float64)
    s = np.asarray(m2, dtype=np.float64)
    while n.shape[0] > 1:
        if n.shape[0] % 2:
            pad = lambda a: np.concatenate([a, np.zeros_like(a[:1])])  # noqa: E731 (an empty chunk)
            n, mu, s = pad(n), pad(mu), pad(s)
        na, nb = n[0::2], n[1::2]
        tot = na + nb
        w = np.divide(nb, tot, out=np.zeros_like(tot), where=tot > 0)
        delta = mu[1::2] - mu[0::2]
        mu = mu[0::2] + delta * w
        s = s[0::2] + s[1::2] + delta**2 * na * w
        n = tot
    return n[0, :, 0].astype(np.int64), mu[0], s[0]


def z_threshold(n_tests, family_error=1e-3):
    """Two-sided |z| beyond which any of ``n_tests`` normal z-scores is implausible (Bonferroni)."""
    return float(_st.norm.isf(family_error / (2.0 * max(int(n_tests), 1))))


def zscores(estimate, sem, expected):
    """(estimate - expected) / sem, with sem floored at 1e-300 to keep zero-variance cases finite."""
    return (np.asarray(estimate) - np.asarray(expected)) / np.maximum(np.asarray(sem), 1e-300)
