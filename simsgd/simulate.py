"""``simulate``: validate, seed and allocate in Python, then run a compiled target."""
import math
import time

import numpy as np

from . import _validate as V
from ._rng import seed_key
from .optimizer import Optimizer
from .result import Result
from .stats import merge_chunks

TARGETS = ("cpu",)
MAX_CHUNKS = 128     # chunk count depends on `runs` only, never on threads
CHUNKS_PER_CALL = 16  # granularity of the progress bar


def record_steps(steps, record_every):
    """Recorded step indices: 0, r, 2r, ... and always the last step."""
    rec = np.arange(0, steps, record_every, dtype=np.int64)
    return np.append(rec, np.int64(steps))


def simulate(problem, optimizer, runs, steps, batch_size=1, seed=0, target="cpu",
             record_every=1, first_run=0, progress=None):
    """Run ``runs`` independent copies of ``optimizer`` on ``problem`` for ``steps`` steps.

    Run ``i`` uses the random stream keyed by ``(seed, first_run + i)``, so any
    subset of runs can be regenerated alone. Moments over runs are accumulated
    while the runs stream (memory O(runs * d + records)); runs whose metrics leave
    the finite range are counted in ``Result.diverged`` and left out of the moments.

    ``progress``: None shows a bar only for calls that last more than a few seconds.
    """
    if not hasattr(problem, "_pack"):
        raise ValueError(f"problem must be a simsgd problem such as Quadratic; got {type(problem).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a simsgd optimizer such as SGD; got {type(optimizer).__name__}")
    runs = V.int_at_least("runs", runs, 1)
    steps = V.int_at_least("steps", steps, 1)
    batch_size = V.int_at_least("batch_size", batch_size, 1)
    seed = V.seed("seed", seed)
    target = V.choice("target", target, TARGETS)
    record_every = V.int_at_least("record_every", record_every, 1)
    first_run = V.int_at_least("first_run", first_run, 0)
    if first_run + runs > 2**63:
        raise ValueError("first_run + runs must be <= 2**63")

    data = problem._pack(batch_size)
    rec = record_steps(steps, record_every)
    d = problem.dim
    n_met = len(data.metrics)
    n_chunks = min(runs, MAX_CHUNKS)
    chunk_size = -(-runs // n_chunks)
    n_chunks = -(-runs // chunk_size)
    K = rec.size

    theta = np.empty((runs, d))
    final = np.empty((runs, n_met))
    count = np.zeros((n_chunks, K), dtype=np.int64)
    mean = np.zeros((n_chunks, K, n_met))
    m2 = np.zeros((n_chunks, K, n_met))
    diverged = np.zeros((n_chunks, K), dtype=np.int64)
    hyper = optimizer._hyper()
    key = np.uint64(seed_key(seed))
    theta0 = np.ascontiguousarray(problem.x0, dtype=np.float64)

    from ._cpu import run_chunks  # compiling or loading the kernel waits until the inputs are valid

    g_max = min(CHUNKS_PER_CALL, n_chunks)
    state_buf = np.zeros((g_max, optimizer.n_state, d))
    work_buf = np.zeros((g_max, data.n_work, d))
    g_buf = np.zeros((g_max, d))
    rng_buf = np.zeros((g_max, 8), dtype=np.uint64)  # a cache line per chunk: no false sharing
    met_buf = np.zeros((g_max, 8, n_met))  # row [c, 0] per chunk, 64+ bytes apart: no false sharing

    bar = _progress_bar(runs, progress)
    t_start = time.perf_counter()
    try:
        for c_lo in range(0, n_chunks, g_max):
            c_hi = min(c_lo + g_max, n_chunks)
            run_chunks(c_lo, c_hi, chunk_size, runs, first_run, key, rec,
                       data.kind, data.vec, data.mat, data.scal, optimizer.kind, hyper, theta0,
                       theta, state_buf, work_buf, g_buf, rng_buf, met_buf,
                       count, mean, m2, diverged, final)
            if bar is not None:
                bar.update(min(c_hi * chunk_size, runs) - min(c_lo * chunk_size, runs))
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t_start

    n, mu, s = merge_chunks(count, mean, m2)
    meta = {
        **problem.params(),
        **optimizer.params(),
        "runs": runs,
        "steps": steps,
        "batch_size": batch_size,
        "seed": seed,
        "first_run": first_run,
        "record_every": record_every,
        "target": target,
        "wall_time_s": wall,
    }
    return Result(rec, data.metrics, n, mu, s, diverged.sum(axis=0), final, theta, meta)


def _progress_bar(runs, progress):
    if progress is False:
        return None
    from tqdm.auto import tqdm

    # delay: the bar appears only if the call is still running after 3 s
    return tqdm(total=runs, unit="run", desc="simulate", delay=0.0 if progress else 3.0, leave=False)
