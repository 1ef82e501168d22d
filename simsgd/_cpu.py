"""The CPU target: ``prange`` over fixed chunks of runs, Welford moments per chunk.

A chunk's runs are simulated one after another by one thread, so each chunk's
partial moments are the same bits whatever the thread count; the host merges
chunks in index order (``simsgd.stats.merge_chunks``).
"""
import numba
import numpy as np
from numba import prange

from ._core import advance, measure, start_run
from ._jit import FASTMATH
from ._rng import ZIGGURAT
from .stats import merge_chunks

MAX_CHUNKS = 128      # chunk count depends on `runs` only, never on threads
CHUNKS_PER_CALL = 16  # granularity of the progress bar


def run(data, optimizer, hyper, theta0, rec, runs, first_run, key, dtype, bar):
    """Simulate on the CPU; return merged moments (count, mean, M2, diverged per record), final metrics and theta."""
    d = theta0.size
    n_met = len(data.metrics)
    n_chunks = min(runs, MAX_CHUNKS)
    chunk_size = -(-runs // n_chunks)
    n_chunks = -(-runs // chunk_size)
    K = rec.size
    theta = np.empty((runs, d), dtype=dtype)
    final = np.empty((runs, n_met))
    count = np.zeros((n_chunks, K), dtype=np.int64)
    mean = np.zeros((n_chunks, K, n_met))
    m2 = np.zeros((n_chunks, K, n_met))
    diverged = np.zeros((n_chunks, K), dtype=np.int64)
    g_max = min(CHUNKS_PER_CALL, n_chunks)
    state_buf = np.zeros((g_max, optimizer.n_state, d), dtype=dtype)
    work_buf = np.zeros((g_max, data.n_work, d), dtype=dtype)
    g_buf = np.zeros((g_max, 2, d), dtype=dtype)  # the gradient and a look-ahead point
    rng_buf = np.zeros((g_max, 8), dtype=np.uint64)  # a cache line per chunk: no false sharing
    met_buf = np.zeros((g_max, 8, n_met))  # row [c, 0] per chunk, 64+ bytes apart: no false sharing
    vec, mat, th0 = data.vec.astype(dtype), data.mat.astype(dtype), theta0.astype(dtype)
    for c_lo in range(0, n_chunks, g_max):
        c_hi = min(c_lo + g_max, n_chunks)
        run_chunks(c_lo, c_hi, chunk_size, runs, first_run, np.uint64(key), rec, ZIGGURAT,
                   data.kind, vec, mat, data.scal, optimizer.kind, hyper, th0,
                   theta, state_buf, work_buf, g_buf, rng_buf, met_buf,
                   count, mean, m2, diverged, final)
        if bar is not None:
            bar.update(min(c_hi * chunk_size, runs) - min(c_lo * chunk_size, runs))
    n, mu, s = merge_chunks(count, mean, m2)
    return n, mu, s, diverged.sum(axis=0), final, theta.astype(np.float64, copy=False)


@numba.njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def run_chunks(c_lo, c_hi, chunk_size, n_runs, first_run, key, rec_steps, zig,
               pkind, vec, mat, scal, okind, hyper, theta0,
               theta, state_buf, work_buf, g_buf, rng_buf, met_buf,
               count, mean, m2, diverged, final):
    """Simulate chunks ``c_lo .. c_hi-1``; buffers indexed ``[c - c_lo]`` are that chunk's scratch."""
    n_rec = rec_steps.shape[0]
    n_met = met_buf.shape[2]
    for ci in prange(c_hi - c_lo):
        c = c_lo + ci
        state = state_buf[ci]
        work = work_buf[ci]
        g = g_buf[ci, 0]
        pt = g_buf[ci, 1]
        rng = rng_buf[ci]
        met = met_buf[ci, 0]
        r_hi = min((c + 1) * chunk_size, n_runs)
        for r in range(c * chunk_size, r_hi):
            x = theta[r]
            x[:] = theta0
            start_run(key, first_run + r, rng, state)
            t = 0
            for k in range(n_rec):
                advance(t, rec_steps[k], x, state, g, pt, work, rng, zig, pkind, vec, mat, scal, okind, hyper)
                t = rec_steps[k]
                ok = measure(x, pkind, vec, mat, scal, work, met)
                if not ok:
                    for kk in range(k, n_rec):
                        diverged[c, kk] += 1
                    break
                n = count[c, k] + 1
                count[c, k] = n
                for m in range(n_met):
                    delta = met[m] - mean[c, k, m]
                    mean[c, k, m] += delta / n
                    m2[c, k, m] += delta * (met[m] - mean[c, k, m])
            for m in range(n_met):
                final[r, m] = met[m]
