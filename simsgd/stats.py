"""Statistics over runs: merging per-chunk moments, standard errors and test thresholds."""
import numpy as np
from scipy import stats as _st


def merge_chunks(count, mean, m2):
    """Merge per-chunk (count, mean, M2) in chunk order (Chan et al., 1979).

    ``count``: (C, K); ``mean``, ``m2``: (C, K, m). Returns (count (K,), mean (K, m), M2 (K, m)).
    A fixed order makes the result independent of how chunks were scheduled.
    """
    n = np.zeros(count.shape[1], dtype=np.int64)
    mu = np.zeros(mean.shape[1:])
    s = np.zeros(mean.shape[1:])
    for c in range(count.shape[0]):
        nb = count[c].astype(np.float64)[:, None]
        na = n.astype(np.float64)[:, None]
        tot = na + nb
        safe = np.where(tot > 0, tot, 1.0)
        delta = mean[c] - mu
        mu = np.where(tot > 0, mu + delta * nb / safe, mu)
        s = np.where(tot > 0, s + m2[c] + delta**2 * na * nb / safe, s)
        n = n + count[c]
    return n, mu, s


def z_threshold(n_tests, family_error=1e-3):
    """Two-sided |z| beyond which any of ``n_tests`` normal z-scores is implausible (Bonferroni)."""
    return float(_st.norm.isf(family_error / (2.0 * max(int(n_tests), 1))))


def zscores(estimate, sem, expected):
    """(estimate - expected) / sem, with sem floored at 1e-300 to keep zero-variance cases finite."""
    return (np.asarray(estimate) - np.asarray(expected)) / np.maximum(np.asarray(sem), 1e-300)
