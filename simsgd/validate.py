"""Argument checks that run before any compilation or kernel launch.

Every failure is a ``ValueError`` that names the parameter and its valid range.
"""
import math
import numbers

import numpy as np


def _fail(name, valid, got):
    raise ValueError(f"{name} must be {valid}; got {got!r}")


def positive_finite(name, x):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x <= 0:
        _fail(name, "a finite number > 0", x)
    return float(x)


def in_interval(name, x, lo, hi, lo_open=False, hi_open=False):
    """Finite real in [lo, hi] (either end open on request)."""
    ok = isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)
    if ok:
        ok = (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)
    if not ok:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        _fail(name, f"a finite number in {left}{lo}, {hi}{right}", x)
    return float(x)


def int_at_least(name, x, lo):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < lo:
        _fail(name, f"an integer >= {lo}", x)
    return int(x)


def seed(name, x):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or not 0 <= x < 2**64:
        _fail(name, "an integer in [0, 2**64)", x)
    return int(x)


def vector(name, x, d, *, positive=False, nonnegative=False):
    """A scalar (broadcast to length ``d``) or a length-``d`` vector of finite floats."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(name, f"a number or an array of {d} numbers", x)
    if a.ndim == 0:
        a = np.full(d, float(a))
    if a.shape != (d,):
        raise ValueError(f"{name} must be a scalar or have shape ({d},); got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        _fail(name, "finite", x)
    if positive and not np.all(a > 0):
        raise ValueError(f"{name} must be > 0 everywhere; smallest is {a.min()!r}")
    if nonnegative and not np.all(a >= 0):
        raise ValueError(f"{name} must be >= 0 everywhere; smallest is {a.min()!r}")
    return np.ascontiguousarray(a)


def choice(name, x, options):
    if x not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}; got {x!r}"
                         + did_you_mean(x, options))
    return x


def did_you_mean(x, options):
    """`` (did you mean 'y'?)`` for the option closest to ``x`` in spelling, or an empty string."""
    import difflib

    if not isinstance(x, str):
        return ""
    strs = [o for o in options if isinstance(o, str)]
    close = difflib.get_close_matches(x, strs, n=1, cutoff=0.6) or \
        [o for o in strs if x.lower() in o.lower() or o.lower() in x.lower()][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""
