"""Checking and broadcasting the scalar arguments of the theory functions (step sizes, batch sizes, b1, ...).

A theory function that is vectorised over its scalar arguments takes each as a number or an array; they
broadcast together (NumPy rules) to a shape P, and the result has shape P followed by the function's
own axes (e.g. the steps ``t``). With every such argument a plain number, P = () and the function returns
what it always did, computed with the same floating-point operations.
"""
import math
import numbers

import numpy as np

from .. import validate as V


def _describe(lo, hi, lo_open, hi_open):
    if hi == math.inf and lo == -math.inf:
        return "finite"
    if hi == math.inf:
        return f"finite and {'>' if lo_open else '>='} {lo:g}"
    left, right = "(" if lo_open else "[", ")" if hi_open else "]"
    return f"finite and in {left}{lo:g}, {hi:g}{right}"


def real(name, x, lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False):
    """``x`` (a number or an array of numbers) as a float64 array, every entry finite and in the range.

    A plain number is checked as ``validate`` checks it (same message) and comes back as a 0-d array."""
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        if lo == -math.inf and hi == math.inf:
            if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
                raise ValueError(f"{name} must be a finite number; got {x!r}")
            return np.asarray(float(x))
        if lo == 0.0 and lo_open and hi == math.inf:
            return np.asarray(V.positive_finite(name, x))
        return np.asarray(V.in_interval(name, x, lo, hi, lo_open=lo_open, hi_open=hi_open or hi == math.inf))
    try:
        a = np.asarray(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers; got {x!r}") from None
    if a.dtype.kind not in "iuf":
        valid = _describe(lo, hi, lo_open, hi_open)
        raise ValueError(f"{name} must be a number or an array of real numbers ({valid}); "
                         f"got an array of dtype {a.dtype}")
    a = a.astype(np.float64)
    ok = np.isfinite(a) & ((a > lo) if lo_open else (a >= lo)) & ((a < hi) if hi_open else (a <= hi))
    if not np.all(ok):
        idx = tuple(int(i) for i in np.argwhere(~ok)[0])
        valid = _describe(lo, hi, lo_open, hi_open)
        raise ValueError(f"{name} must be {valid} everywhere; got {a[idx]!r} at index {idx}")
    return a


def positive(name, x):
    """Finite and > 0, a number or an array."""
    return real(name, x, 0.0, math.inf, lo_open=True)


def nonnegative(name, x):
    return real(name, x, 0.0, math.inf)


def integer(name, x, lo):
    """Integers >= ``lo`` (a Python/NumPy integer or an integer array), as an int64 array."""
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return np.asarray(V.int_at_least(name, x, lo), dtype=np.int64)
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an integer >= {lo} or an array of them; got an array of dtype {a.dtype}")
    if np.any(a < lo):
        idx = tuple(int(i) for i in np.argwhere(a < lo)[0])
        raise ValueError(f"{name} must be integers >= {lo} everywhere; got {a[idx]!r} at index {idx}")
    return a.astype(np.int64)


def shape(**arrays):
    """The broadcast shape of the named arrays; a ValueError naming them when they do not broadcast."""
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        what = ", ".join(f"{k} {np.shape(a)}" for k, a in arrays.items())
        raise ValueError(f"the scalar arguments must broadcast together; got shapes {what}") from None


def lift(a, P, trailing=0):
    """``a`` broadcast to shape P, then ``trailing`` unit axes appended (to meet the function's own axes)."""
    return np.broadcast_to(a, P).reshape(P + (1,) * trailing)


def per_direction(name, x, d):
    """A number or a length-d array of finite floats, broadcast to (d,) (read-only view)."""
    a = np.asarray(x, dtype=np.float64)
    try:
        a = np.broadcast_to(a, (d,))
    except ValueError:
        raise ValueError(f"{name} must be a number or have shape ({d},) (one per eigenvalue); got shape {a.shape}") \
            from None
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite; got {x!r}")
    return a


def eigenvalues(x):
    """The curvatures as a 1-d float array of finite numbers (a number is one direction)."""
    lam = np.asarray(x, dtype=np.float64)
    if lam.ndim > 1 or lam.size < 1:
        raise ValueError(f"eigenvalues must be a number or a 1-d array with at least 1 entry; got shape {lam.shape}")
    if not np.all(np.isfinite(lam)):
        raise ValueError(f"eigenvalues must be finite; got {x!r}")
    return lam


def pypow(base, exponent):
    """``base ** exponent`` elementwise as Python floats compute it (the C library's pow).

    NumPy squares an array when the exponent is the scalar 2 (x * x, correctly rounded), which differs
    from pow(x, 2.0) in the last bit for about 1 input in 1,000; the scalar formulas used Python floats,
    so their vectorised forms use this to give the same bits."""
    b = np.asarray(base, dtype=np.float64)
    if b.ndim == 0:
        return np.asarray(float(b) ** exponent)
    return np.fromiter((v ** exponent for v in b.ravel().tolist()), np.float64, b.size).reshape(b.shape)


def out(x):
    """A 0-d result as a Python float, anything else unchanged."""
    return float(x) if np.ndim(x) == 0 else x


def elementwise(fn, P, args, n_out=1):
    """Call ``fn(**scalars)`` for every index of shape P, the scalars taken from the broadcast ``args``
    (a dict of arrays); for P = () once with plain Python numbers. Returns an array of shape P (or a tuple
    of ``n_out`` of them) of the results as floats; for P = () whatever ``fn`` returned."""
    def item(a, idx):
        v = np.broadcast_to(a, P)[idx]
        return int(v) if np.asarray(v).dtype.kind in "iu" else float(v)

    if P == ():
        return fn(**{k: item(a, ()) for k, a in args.items()})
    res = [np.empty(P) for _ in range(n_out)]
    for idx in np.ndindex(*P):
        r = fn(**{k: item(a, idx) for k, a in args.items()})
        for j, v in enumerate(r if n_out > 1 else (r,)):
            res[j][idx] = v
    return tuple(res) if n_out > 1 else res[0]
