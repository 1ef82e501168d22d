"""Named fields in flat typed arrays: how a problem's data and an optimizer's hyperparameters reach a kernel.

A kernel takes a problem's data as two flat arrays, floats (in the run's dtype) and
integers (int64), whatever the problem. ``Layout(floats=..., ints=...)`` declares the
names; ``pack`` lays the arrays out and writes, at the head of the integer array, where
each float field starts. Kernel code reads them by name through the index tuples
``layout.F`` and ``layout.I`` (namedtuples of positions, compile-time constants):

    lam = field(fd, idata, F.eigenvalues)      # a view of that float field
    draws = idata[I.draws]                       # an integer scalar
"""
from collections import namedtuple

import numpy as np

from .jit import kernel


class Layout:
    """Names of a packed record: float fields (arrays of any length) and integer scalars."""

    def __init__(self, floats=(), ints=()):
        names = tuple(floats) + tuple(ints)
        if len(set(names)) != len(names):
            raise ValueError(f"field names must be distinct; got {names}")
        self.floats = tuple(floats)
        self.ints = tuple(ints)
        # float field k starts at idata[k] and ends at idata[k + 1]; integer j sits at idata[nf + 1 + j]
        self.F = namedtuple("F", self.floats or ("_",))(*range(max(len(self.floats), 1)))
        nf = len(self.floats)
        self.I = namedtuple("I", self.ints or ("_",))(*range(nf + 1, nf + 1 + max(len(self.ints), 1)))

    def pack(self, dtype=np.float64, **values):
        """``(fdata, idata)``: every declared field from ``values`` (float arrays are flattened, C order)."""
        missing = set(self.floats + self.ints) - set(values)
        extra = set(values) - set(self.floats + self.ints)
        if missing or extra:
            raise ValueError(f"pack needs exactly the fields {self.floats + self.ints}; "
                             f"missing {sorted(missing)}, unknown {sorted(extra)}")
        parts = [np.ravel(np.asarray(values[n], dtype=np.float64)) for n in self.floats]
        offsets = np.cumsum([0] + [p.size for p in parts])
        fdata = np.concatenate(parts + [np.zeros(1)]).astype(dtype)  # never empty
        idata = np.concatenate([offsets, [int(values[n]) for n in self.ints] or [0]]).astype(np.int64)
        return np.ascontiguousarray(fdata), np.ascontiguousarray(idata)


@kernel(inline=True)
def field(fdata, idata, k):
    """The float field at index ``k`` of a record packed by ``Layout.pack``, as a view."""
    return fdata[idata[k]:idata[k + 1]]


@kernel(inline=True)
def value(fdata, idata, k):
    """The first (for a scalar field, the only) entry of float field ``k``."""
    return fdata[idata[k]]
