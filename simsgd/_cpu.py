"""The CPU target: ``prange`` over fixed chunks of runs, Welford moments per chunk.

A chunk's runs are simulated one after another by one thread, so each chunk's
partial moments are the same bits whatever the thread count; the host merges
chunks in index order (``simsgd.stats.merge_chunks``).
"""
import numba
from numba import prange

from ._core import advance, measure, start_run
from ._jit import FASTMATH


@numba.njit(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
def run_chunks(c_lo, c_hi, chunk_size, n_runs, first_run, key, rec_steps,
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
        g = g_buf[ci]
        rng = rng_buf[ci]
        met = met_buf[ci, 0]
        r_hi = min((c + 1) * chunk_size, n_runs)
        for r in range(c * chunk_size, r_hi):
            x = theta[r]
            start_run(key, first_run + r, rng, x, theta0, state)
            t = 0
            for k in range(n_rec):
                advance(t, rec_steps[k], x, state, g, work, rng, pkind, vec, mat, scal, okind, hyper)
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
