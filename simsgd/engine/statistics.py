"""Judging simulated means against theory: z-scores, a multiple-testing threshold, and when a curve reaches a level."""
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


def first_at_or_below(curve, level, steps=None, sem=None, z=0.0):
    """The first recorded step at which ``curve`` is at or below ``level``; -1 if it never is.

    ``curve`` holds one value per record and ``steps`` the step of each record (default: the record's
    index 0, 1, ..., which is its step when every step is recorded). NaN never counts as reached (nor
    does a diverged mean, inf). With ``sem`` (a standard error per record, or one for all), a band of
    three: the first steps at which ``curve - z sem``, ``curve`` and ``curve + z sem`` are at or below
    ``level`` (possibly, likely and surely reached), in that order, so earliest to latest when all three
    are reached; each is -1 on its own when never (the last one first).
    """
    curve = np.asarray(curve, dtype=np.float64)
    steps = np.arange(curve.size) if steps is None else np.asarray(steps)

    def first(c):
        idx = np.flatnonzero(c <= level)
        return int(steps[idx[0]]) if idx.size else -1

    if sem is None:
        return first(curve)
    band = z * np.asarray(sem, dtype=np.float64)
    return first(curve - band), first(curve), first(curve + band)
