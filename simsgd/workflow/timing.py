"""Wall-clock measurements for the studies that time this machine: medians of repeats, per-step costs."""
import time

import numpy as np

from .. import validate as V


def median_time(fn, repeats=5):
    """Median wall time of ``fn()`` over ``repeats`` calls, after one untimed call (compilation, caches)."""
    repeats = V.int_at_least("repeats", repeats, 1)
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def time_per_step(run, short, long, repeats=5):
    """Seconds per step of ``run(steps)``: the difference of the median times of ``long`` and ``short`` steps,
    over their difference, so that what a call costs whatever its length (setup, copying data) cancels."""
    short = V.int_at_least("short", short, 1)
    long = V.int_at_least("long", long, short + 1)
    t_long = median_time(lambda: run(long), repeats)
    t_short = median_time(lambda: run(short), repeats)
    return (t_long - t_short) / (long - short)
