"""What every problem on a finite dataset shares: the checks of its data and the minibatch sampler.

``sampling="with_replacement"``: a step averages B rows drawn uniformly and independently from the
run's stream. ``"epochs"``: each epoch walks a fresh keyed permutation of the n rows
(``device.shuffle``), B rows a step; with ``drop_last`` an epoch is n // B steps and the n mod B
leftover rows wait for a later epoch, otherwise the last step of an epoch averages the n mod B rows
left. Each run draws its epochs' keys from its own stream, so its batches depend on (seed, run)
alone. A step that takes all n rows (B = n in epochs) reads them in order: the sum is the full
gradient whatever the order, and the key is still drawn so that the run's stream does not shift.

A problem's layout starts its integers with ``SAMPLER_INTS`` and passes the position of the first
(``I.n``) to the device functions, which read the sampler's fields at fixed offsets from it.
"""
import numpy as np
from numba import uint64

from .. import validate as V
from ..device.jit import kernel
from ..device.rng import next_double, next_u64
from ..device.shuffle import half_bits_for, load_key, permute, rounds_for, store_key
from .base import Problem

SAMPLING = ("with_replacement", "epochs")
SAMPLER_INTS = ("n", "batch_size", "epochs", "drop_last", "half_bits", "rounds")
_N, _B, _EPOCHS, _DROP_LAST, _HALF_BITS, _ROUNDS = range(len(SAMPLER_INTS))
RUN_STATE_SIZE = 4
_POS, _EPOCH, _KEY = 0, 1, 2  # run state: place in the epoch, epochs started, the epoch's key (two slots)


@kernel(inline=True)
def start_sampler(rs, idata, at):
    rs[_POS] = idata[at + _N]  # the first step starts an epoch
    rs[_EPOCH] = 0


@kernel(inline=True)
def batch_begin(rs, rng, idata, at):
    """Start a step's minibatch: ``(first, count, key)``, with ``count`` rows to read through ``batch_row``."""
    n, B = idata[at + _N], idata[at + _B]
    if idata[at + _EPOCHS] == 0:
        return 0, B, uint64(0)
    pos = rs[_POS]
    if pos >= n or (idata[at + _DROP_LAST] != 0 and pos + B > n):
        store_key(rs, _KEY, next_u64(rng, 0))
        rs[_EPOCH] += 1
        pos = 0
    count = min(B, n - pos)
    rs[_POS] = pos + count
    return pos, count, load_key(rs, _KEY)


@kernel(inline=True)
def batch_row(j, first, count, key, rng, idata, at):
    """Row index of the minibatch's ``j``-th example (j = 0 .. count - 1), in the order ``batch_begin`` set."""
    n = idata[at + _N]
    if idata[at + _EPOCHS] == 0:
        return min(int(next_double(rng, 0) * n), n - 1)
    if count == n:
        return j
    return permute(first + j, n, idata[at + _HALF_BITS], idata[at + _ROUNDS], key)


def finite_array(name, a, ndim):
    """``a`` as a C-contiguous float64 array of ``ndim`` dimensions, non-empty and finite."""
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if a.ndim != ndim or 0 in a.shape:
        raise ValueError(f"{name} must be a {ndim}-d array with at least one entry along each axis; got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return np.ascontiguousarray(a)


def rows_and_targets(X, y, x_name="X", y_name="y"):
    """Checked ``(X, y)``: X (n, p) and y (n,), finite, n >= 1."""
    X = finite_array(x_name, X, 2)
    y = finite_array(y_name, y, 1)
    if y.shape != (X.shape[0],):
        raise ValueError(f"{y_name} must have shape ({X.shape[0]},), one value per row of {x_name}; got {y.shape}")
    return X, y


class FiniteData(Problem):
    """Base of the problems whose gradient averages a minibatch of the rows of ``X`` and ``y``."""

    run_state_size = RUN_STATE_SIZE

    def __init__(self, X, y, sampling, drop_last):
        self.X, self.y = rows_and_targets(X, y)
        self.sampling = V.choice("sampling", sampling, SAMPLING)
        self.drop_last = bool(drop_last)

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def dim(self):
        return self.X.shape[1]

    def check_batch_size(self, batch_size):
        if self.sampling == "epochs" and batch_size > self.n:
            raise ValueError(f"batch_size must be in [1, n = {self.n}] when sampling in epochs; got {batch_size}")

    def sampler_fields(self, batch_size):
        """The values of ``SAMPLER_INTS`` for ``Layout.pack``."""
        h = half_bits_for(self.n)
        return {"n": self.n, "batch_size": batch_size, "epochs": self.sampling == "epochs",
                "drop_last": self.drop_last, "half_bits": h, "rounds": rounds_for(h)}

    def sampler_params(self):
        return {"n": self.n, "p": self.dim, "sampling": self.sampling, "drop_last": self.drop_last}
