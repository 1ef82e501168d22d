"""Uniform points in the cube [-1, 1]^d: the fraction inside the unit ball, and how pairwise distances concentrate.

Every coordinate is 2 u - 1 with u the next uniform double of the run's generator A, drawn in order
(point by point, coordinate by coordinate), so any run's points can be regenerated from ``(seed, r)``.
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.rng import next_double
from .runs import per_run

MAX_BATCHES = 1 << 20  # rows of the per-batch histogram


@kernel
def _ball_body(r, rng, zig, scratch, args):
    hist, sizes = args
    samples, batch, d_max = sizes[0], sizes[1], sizes[2]
    n = min(batch, samples - r * batch)
    for k in range(d_max + 1):
        hist[r, k] = 0
    for i in range(n):
        # the prefixes of one point are points of every lower dimension: it stays inside for d = 1 .. depth
        s = 0.0
        depth = 0
        while depth < d_max:
            x = 2.0 * next_double(rng, 0) - 1.0
            s += x * x
            if s > 1.0:
                break
            depth += 1
        hist[r, depth] += 1


def _threads(threads):
    return None if threads is None else V.int_at_least("threads", threads, 1)


def ball_fraction(d_max, samples, seed=0, batch=1 << 20, threads=None):
    """Points uniform in [-1, 1]^d inside the unit ball, for every d = 1 .. ``d_max``, from ``samples`` points.

    A point's coordinates are drawn one at a time until the sum of squares passes 1 (or ``d_max`` are
    drawn): its first d coordinates are a uniform point of the d-cube, inside the d-ball exactly when
    it got that far. One run of ``per_run`` is ``batch`` points (the last one fewer). Returns
    ``(inside, samples)``: ``inside[d - 1]`` (int64) counts the points inside at dimension d.
    """
    d_max = V.int_at_least("d_max", d_max, 1)
    samples = V.int_at_least("samples", samples, 1)
    seed = V.seed("seed", seed)
    batch = V.int_at_least("batch", batch, 1)
    threads = _threads(threads)
    runs = -(-samples // batch)
    if runs > MAX_BATCHES:
        raise ValueError(f"batch must be an integer >= samples / {MAX_BATCHES} = {-(-samples // MAX_BATCHES)}; "
                         f"got {batch!r}")
    hist = np.zeros((runs, d_max + 1), dtype=np.int64)
    per_run(_ball_body, runs, seed, 1, (hist, np.array([samples, batch, d_max], dtype=np.int64)), threads)
    depth = hist.sum(axis=0)
    # inside at d: the points that got at least d coordinates deep
    return np.cumsum(depth[::-1])[::-1][1:].copy(), samples


@kernel
def _pair_body(r, rng, zig, scratch, args):
    dims, n_points, mean_sq, mean_fourth, min_dist, max_dist = args
    n = n_points[0]
    pairs = 0.5 * n * (n - 1)
    for j in range(dims.size):
        d = dims[j]
        for i in range(n * d):
            scratch[i] = 2.0 * next_double(rng, 0) - 1.0
        s2 = 0.0
        s4 = 0.0
        lo = math.inf
        hi = 0.0
        for a in range(n):
            pa = scratch[a * d:(a + 1) * d]
            for b in range(a + 1, n):
                pb = scratch[b * d:(b + 1) * d]
                q = 0.0
                for k in range(d):
                    z = pa[k] - pb[k]
                    q += z * z
                s2 += q
                s4 += q * q
                lo = min(lo, q)
                hi = max(hi, q)
        mean_sq[r, j] = s2 / pairs
        mean_fourth[r, j] = s4 / pairs
        min_dist[r, j] = math.sqrt(lo)
        max_dist[r, j] = math.sqrt(hi)


def pairwise_distances(dims, points, runs, seed=0, threads=None):
    """Distances between ``points`` uniform points of [-1, 1]^d, for each d in ``dims``, in ``runs`` runs.

    Per run and dimension (fresh points for each): the means over all pairs of D^2 and of D^4 (each pair
    is two independent points, so these are unbiased for E D^2 and E D^4), and the smallest and largest
    D. A run draws its dimensions in the order given. Returns a dict of (runs, len(dims)) float64 arrays
    ``mean_sq``, ``mean_fourth``, ``min``, ``max``.
    """
    try:
        d = np.asarray(dims)
        ok = d.ndim == 1 and d.size >= 1 and d.dtype.kind in "iu" and bool(np.all(d >= 1))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"dims must be a non-empty 1-D sequence of integers >= 1; got {dims!r}")
    d = np.ascontiguousarray(d, dtype=np.int64)
    points = V.int_at_least("points", points, 2)
    runs = V.int_at_least("runs", runs, 1)
    seed = V.seed("seed", seed)
    threads = _threads(threads)
    out = {k: np.zeros((runs, d.size)) for k in ("mean_sq", "mean_fourth", "min", "max")}
    per_run(_pair_body, runs, seed, points * int(d.max()),
            (d, np.array([points], dtype=np.int64), out["mean_sq"], out["mean_fourth"], out["min"], out["max"]),
            threads)
    return out
