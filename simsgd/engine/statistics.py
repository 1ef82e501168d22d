"""Judging simulated means against theory: z-scores, a multiple-testing threshold, and when a curve reaches a level."""
import numpy as np
from scipy import stats as _st


def z_threshold(n_tests, family_error=1e-3):
    """Two-sided |z| beyond which any of ``n_tests`` normal z-scores is implausible (Bonferroni)."""
    return float(_st.norm.isf(family_error / (2.0 * max(int(n_tests), 1))))


def t_threshold(n_tests, df, family_error=1e-3):
    """``z_threshold`` for standard errors estimated from ``df`` degrees of freedom (Student's t, Bonferroni):
    e.g. errors from the spread of G independent groups of runs have G - 1."""
    return float(_st.t.isf(family_error / (2.0 * max(int(n_tests), 1)), max(int(df), 1)))


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


def t_calibration(z, df, family_error=1e-3):
    """``calibration`` for z-scores whose errors come from ``df`` degrees of freedom: z^2 is then F(1, df),
    of mean df / (df - 2) and variance 2 df^2 (df - 1) / ((df - 2)^2 (df - 4)); the interval is that mean
    plus or minus the two-sided normal quantile of ``family_error`` times the standard error of the mean
    (many z-scores). Needs df > 4."""
    z = np.asarray(z, dtype=np.float64).ravel()
    if df <= 4:
        raise ValueError(f"df must be > 4 for the variance of z^2 to exist; got {df}")
    mean = df / (df - 2.0)
    sd = np.sqrt(2.0 * df**2 * (df - 1.0) / ((df - 2.0) ** 2 * (df - 4.0)) / z.size)
    q = float(_st.norm.isf(family_error / 2))
    return float(np.mean(z * z)), (float(mean - q * sd), float(mean + q * sd))


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


def best_on_grid(grid, scores, name="grid"):
    """The grid value with the lowest score, checked to lie inside the grid: ``(value, index)``.

    A best value at either end of ``grid`` means the optimum may lie beyond it (a tuning result that
    would change with a wider grid): a ValueError says which end and which way to extend ``name``.
    NaN scores (e.g. every run diverged) never win.
    """
    grid = np.asarray(grid)
    scores = np.asarray(scores, dtype=np.float64)
    if grid.shape != scores.shape or grid.ndim != 1 or grid.size < 3:
        raise ValueError(f"{name} and its scores must be 1-d of one length >= 3; got {grid.shape}, {scores.shape}")
    if np.all(np.isnan(scores)):
        raise ValueError(f"every score over {name} is NaN")
    i = int(np.nanargmin(scores))
    if i in (0, grid.size - 1):
        side = "below" if i == 0 else "above"
        raise ValueError(f"the best {name} value {grid[i].item()!r} is at the grid's edge: extend {name} {side} it")
    return grid[i].item(), i
