"""The CPU target: fixed chunks of runs, each simulated by one thread, merged in a fixed order.

``run_chunk`` simulates one chunk's runs one after another and keeps that chunk's partial
moments; ``numba.get_num_threads()`` threads take chunks in turn until none is left (the compiled
chunk releases the GIL; one task per thread, not per chunk: per-chunk dispatch cost 50 us a chunk,
most of a small call's time). The chunk count depends on ``runs`` only and the host merges the partials
pairwise in index order (``device.moments``), so the moments are the same bits whatever the
thread count. The chunk body is compiled per problem/optimizer pair and cached on disk
(``device.jit``), without numba's reference counting: it allocates nothing, and counting
the references of the array views it takes cost 30% of the run time (measured).
"""
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ..device.jit import specialise
from ..device.moments import merge, merge_tree
from ..device.rng import STATE_WORDS, ZIGGURAT
from ..device.tallies import tally_columns

MAX_CHUNKS = 128  # chunk count depends on `runs` only, never on threads
LINE = 8          # 8-byte words in a cache line: per-thread scratch rows are padded apart by one


def run_chunk(c, chunk_size, n_runs, first_run, key, rec_steps, zig, fd, idata, h, o,
              keep, theta, vecs, state, sc, work, rs, rng, met, hit, cols, tally, count, mean, m2, diverged, final,
              tf, ti, traj):
    """Simulate chunk ``c``; ``vecs`` (x, gradient, look-ahead point) .. ``tally`` are the calling thread's scratch
    (``hit``, ``cols`` and ``tally``: ``device.tallies``; integer counts, so per thread rather than per chunk)."""
    n_rec = rec_steps.shape[0]
    n_keep = traj.shape[0]
    n_tally = ti[0] + ti[1]
    x = vecs[0]
    g = vecs[1]
    p = vecs[2]
    for r in range(c * chunk_size, min((c + 1) * chunk_size, n_runs)):
        start_run(key, first_run + r, x, rs, rng, zig, fd, idata, state, sc, h, o)  # noqa: F821 (bound per pair)
        for j in range(hit.shape[0]):
            hit[j] = 0
        t = 0
        for k in range(n_rec):
            advance(t, rec_steps[k], x, g, p, rs, rng, zig, fd, idata, work, state, sc, h, o)  # noqa: F821
            t = rec_steps[k]
            ok = measure(x, met, fd, idata, work)  # noqa: F821
            if r < n_keep:
                for m in range(met.shape[0]):
                    traj[r, k, m] = met[m]
            if not ok:
                for kk in range(k, n_rec):
                    diverged[c, kk] += 1
                break
            n = count[c, k]
            for m in range(met.shape[0]):
                _, mean[c, k, m], m2[c, k, m] = merge(n, mean[c, k, m], m2[c, k, m], 1.0, met[m], 0.0)
            count[c, k] = n + 1.0
            if n_tally > 0:
                for i in range(tally_columns(met, tf, ti, hit, cols)):
                    tally[k, cols[i]] += 1
        for m in range(met.shape[0]):
            final[r, m] = met[m]
        if keep:
            for i in range(x.shape[0]):
                theta[r, i] = x[i]


_DRIVERS = {}


def driver(pair):
    """``run_chunk`` compiled for a ``device.loop.Pairing`` (cached on disk under the pair's tag)."""
    if pair.tag not in _DRIVERS:
        bind = {"start_run": pair.start_run, "advance": pair.advance, "measure": pair.measure}
        _DRIVERS[pair.tag] = specialise(run_chunk, pair.tag, bind, cache=True, nogil=True, _nrt=False)
    return _DRIVERS[pair.tag]


_POOLS = {}


def _pool(threads):
    """A pool of ``threads`` threads kept for the process: starting threads cost about 1 ms a call."""
    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="simsgd-cpu")
    return _POOLS[threads]


def run(job, bar, notify=None):
    """Simulate ``job`` (an ``engine.simulate.Job``) on the CPU; return (count, mean, M2, diverged) per record,
    final metrics and theta. ``notify(message)`` hears how long a first call's compilation took."""
    runs, d, dt = job.runs, job.dim, job.dtype
    n_met = len(job.metrics)
    n_chunks = min(runs, MAX_CHUNKS)
    chunk_size = -(-runs // n_chunks)
    n_chunks = -(-runs // chunk_size)
    K = job.rec.size
    threads = max(1, min(numba.get_num_threads(), n_chunks))
    theta = np.empty((runs, d) if job.keep_theta else (0, d), dtype=dt)
    final = np.empty((runs, n_met))
    count = np.zeros((n_chunks, K))
    mean = np.zeros((n_chunks, K, n_met))
    m2 = np.zeros((n_chunks, K, n_met))
    diverged = np.zeros((n_chunks, K), dtype=np.int64)
    fn = driver(job.pairing)
    shapes = (((3, d), dt), ((job.n_state, d), dt), ((job.n_scalar,), dt), ((job.work_size,), dt),
              ((job.run_state_size,), np.int64), ((STATE_WORDS,), np.uint64), ((n_met,), np.float64),
              ((job.n_hit,), np.int64), ((job.n_tally,), np.int64), ((K, job.n_columns), np.int64))
    traj = np.full((job.n_keep, K, n_met), np.nan)

    def per_thread(shape, dtype):  # C-contiguous (loops vectorise), a cache line apart from the next thread's
        size = int(np.prod(shape))
        buf = np.zeros((threads, size + LINE), dtype)
        return [buf[s, :size].reshape(shape) for s in range(threads)]

    scratch = list(zip(*(per_thread(shape, dtype) for shape, dtype in shapes)))
    key = np.uint64(job.key)
    chunks = itertools.count()  # next(): atomic under the GIL, so each chunk is taken by exactly one thread

    def worker(s):
        while True:
            c = next(chunks)
            if c >= n_chunks or stop.is_set():
                return
            fn(c, chunk_size, runs, job.first_run, key, job.rec, ZIGGURAT, job.fd, job.idata, job.h, job.o,
               job.keep_theta, theta, *scratch[s], count, mean, m2, diverged, final, job.tf, job.ti, traj)
            if bar is not None:
                bar.update(min((c + 1) * chunk_size, runs) - min(c * chunk_size, runs))

    if not fn.signatures:
        # compile (or load from the disk cache) before any chunk starts, so the bar times simulation only
        from numba import typeof

        args = (0, chunk_size, runs, job.first_run, key, job.rec, ZIGGURAT, job.fd, job.idata, job.h, job.o,
                job.keep_theta, theta, *scratch[0], count, mean, m2, diverged, final, job.tf, job.ti, traj)
        misses = sum(fn.stats.cache_misses.values())
        t0 = time.perf_counter()
        fn.compile(tuple(typeof(a) for a in args))
        took = time.perf_counter() - t0
        if notify is not None:
            how = "compiled" if sum(fn.stats.cache_misses.values()) > misses else "loaded from the kernel cache"
            notify(f"simsgd: {job.pairing.tag} kernel {how} in {took:.1f} s (first call in this process)")
        if bar is not None:
            bar.reset(total=runs)
    stop = threading.Event()
    try:
        if threads == 1:
            worker(0)
        else:
            for f in [_pool(threads).submit(worker, s) for s in range(threads)]:
                f.result()
    finally:
        stop.set()  # on an interrupt, chunks not started are dropped
    merge_tree(count, mean, m2)
    tally = np.sum([sc[-1] for sc in scratch], axis=0, dtype=np.int64)
    return count[0].astype(np.int64), mean[0], m2[0], diverged.sum(axis=0), final, theta, tally, traj
