"""Judging simulated means against theory: z-scores and a multiple-testing threshold."""
import numpy as np
from scipy import stats as _st


def z_threshold(n_tests, family_error=1e-3):
    """Two-sided |z| beyond which any of ``n_tests`` normal z-scores is implausible (Bonferroni)."""
    return float(_st.norm.isf(family_error / (2.0 * max(int(n_tests), 1))))


def zscores(estimate, sem, expected):
    """(estimate - expected) / sem, with sem floored at 1e-300 to keep zero-variance cases finite."""
    return (np.asarray(estimate) - np.asarray(expected)) / np.maximum(np.asarray(sem), 1e-300)


def calibration(z, family_error=1e-3):
    """Mean of z^2 over independent z-scores, and the interval it falls in with probability 1 - family_error
    if they are standard normal (chi-square with n degrees of freedom, over n): about 1 when the
    standard errors are right, above when they are too small (e.g. runs sharing random numbers)."""
    z = np.asarray(z, dtype=np.float64).ravel()
    n = z.size
    lo, hi = _st.chi2.ppf([family_error / 2, 1 - family_error / 2], n) / n
    return float(np.mean(z * z)), (float(lo), float(hi))
