"""Judging simulated means against theory: z-scores and a multiple-testing threshold."""
import numpy as np
from scipy import stats as _st


def z_threshold(n_tests, family_error=1e-3):
    """Two-sided |z| beyond which any of ``n_tests`` normal z-scores is implausible (Bonferroni)."""
    return float(_st.norm.isf(family_error / (2.0 * max(int(n_tests), 1))))


def zscores(estimate, sem, expected):
    """(estimate - expected) / sem, with sem floored at 1e-300 to keep zero-variance cases finite."""
    return (np.asarray(estimate) - np.asarray(expected)) / np.maximum(np.asarray(sem), 1e-300)
