"""1-nearest-neighbour regression on the unit torus, in compiled Monte Carlo runs.

Inputs uniform on [0, 1)^d with the wrap-around distance, target f(x) = sqrt(2/d) sum_j cos(2 pi x_j)
(mean 0, variance 1), labels f(x_i) + sigma eps_i. A run draws its test points, then streams training
points one at a time, keeping for every test point the squared distance to its nearest training point so
far and that point's label; at each n of ``ns`` it records the mean squared error (f(x) - label)^2 over
the test points. The training sets of one run are therefore nested (the first n points of one stream),
so a run's errors at different n are correlated; runs are independent. ``theory.neighbours`` has the
exact expectation.
"""
import math
import numbers

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.rng import next_double, normal
from .runs import per_run

_TWO_PI = 2.0 * math.pi


@kernel
def _nn_body(r, rng, zig, scratch, args):
    ns, sizes, noise, out = args
    d = sizes[0]
    m = sizes[1]
    # scratch: test points coordinate-major (d x m, so the distance loop runs over test points in unit
    # stride and vectorises), f there, best squared distance, label of the nearest, distances, one point
    x_test = scratch[:d * m].reshape((d, m))
    f_test = scratch[d * m:d * m + m]
    best = scratch[d * m + m:d * m + 2 * m]
    label = scratch[d * m + 2 * m:d * m + 3 * m]
    dist = scratch[d * m + 3 * m:d * m + 4 * m]
    point = scratch[d * m + 4 * m:d * m + 4 * m + d]
    scale = math.sqrt(2.0 / d)
    sigma = noise[0]
    for j in range(m):
        s = 0.0
        for k in range(d):
            u = next_double(rng, 0)
            x_test[k, j] = u
            s += math.cos(_TWO_PI * u)
        f_test[j] = scale * s
        best[j] = math.inf
        label[j] = 0.0
    rec = 0
    for i in range(1, ns[ns.size - 1] + 1):
        for k in range(d):
            point[k] = next_double(rng, 0)
        for j in range(m):
            dist[j] = 0.0
        for k in range(d):
            p = point[k]
            row = x_test[k]
            for j in range(m):
                g = abs(p - row[j])
                g = min(g, 1.0 - g)  # the wrap-around distance per coordinate, without a branch
                dist[j] += g * g
        # a training point's label is computed (and its noise drawn) only once it is somebody's nearest:
        # that happens ~ m log n times in a run, against n d cosines if every point were labelled
        labelled = False
        y = 0.0
        for j in range(m):
            if dist[j] < best[j]:
                if not labelled:
                    y = 0.0
                    for k in range(d):
                        y += math.cos(_TWO_PI * point[k])
                    y *= scale
                    if sigma > 0.0:
                        y += sigma * normal(rng, 0, zig)
                    labelled = True
                best[j] = dist[j]
                label[j] = y
        if i == ns[rec]:
            acc = 0.0
            for j in range(m):
                e = f_test[j] - label[j]
                acc += e * e
            out[r, rec] = acc / m
            rec += 1


def nearest_neighbour_error(d, ns, runs, test_points=64, noise=0.0, seed=0, threads=None):
    """Per-run mean squared error of 1-NN regression on the d-torus, shape ``(runs, len(ns))``.

    ``ns``: training-set sizes, strictly increasing integers >= 1 (nested within a run);
    ``test_points``: test points per run; ``noise``: label noise standard deviation sigma (adds sigma^2).
    Cost per run ~ test_points * max(ns) * d.
    """
    d = V.int_at_least("d", d, 1)
    try:
        grid = np.asarray(ns)
    except (TypeError, ValueError):  # ragged input
        grid = np.zeros(0)
    if grid.ndim != 1 or grid.size == 0 or grid.dtype.kind not in "iuf" or not np.all(np.isfinite(grid)) \
            or np.any(grid != np.round(grid)) or grid[0] < 1 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"ns must be a 1-D sequence of strictly increasing integers >= 1; got {ns!r}")
    grid = grid.astype(np.int64)
    runs = V.int_at_least("runs", runs, 1)
    m = V.int_at_least("test_points", test_points, 1)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    seed = V.seed("seed", seed)
    if threads is not None:
        threads = V.int_at_least("threads", threads, 1)
    out = np.empty((runs, grid.size))
    args = (grid, np.array([d, m], dtype=np.int64), np.array([float(noise)]), out)
    per_run(_nn_body, runs, seed, d * m + 4 * m + d, args, threads=threads)
    return out
