"""Independent Monte Carlo runs on the CPU: one random stream per run, fixed chunks, threads taking chunks in turn.

A Monte Carlo kernel is one ``body(r, rng, zig, scratch, args)`` compiled with ``device.jit.kernel``:
it simulates run ``r`` from the stream in ``rng`` (already seeded by ``(seed, r)``), may write into
``scratch`` (its thread's row, contents undefined on entry) and writes run ``r``'s results into the
arrays of the tuple ``args`` at index ``r``. Nothing else is shared, so every output is the same
bits whatever the thread count, and any run regenerates alone. ``per_run`` is the Python side:
it compiles the chunk loop once per body (cached on disk under the kernel-source hash), allocates
the scratch rows, and hands out chunks as the engine's CPU target does.
"""
import itertools

import numba
import numpy as np

from .. import validate as V
from ..device.jit import SOURCE_HASH, digest_of, specialise
from ..device.rng import STATE_WORDS, ZIGGURAT, seed_key, seed_stream
from ..targets.cpu import LINE, _pool

MAX_CHUNKS = 256  # the chunk count depends on the run count only


def _chunk(c, chunk_size, n_runs, key, zig, rng, scratch, args):
    for r in range(c * chunk_size, min((c + 1) * chunk_size, n_runs)):
        seed_stream(key, r, rng)
        body(r, rng, zig, scratch, args)  # noqa: F821 (bound per body)


_DRIVERS = {}


def _driver(body):
    # the body's own sources are in the tag: one defined outside the package is recompiled when edited
    tag = f"{body.py_func.__qualname__}-{digest_of(body, extra=SOURCE_HASH)[:12]}"
    if tag not in _DRIVERS:
        _DRIVERS[tag] = specialise(_chunk, tag, {"body": body, "seed_stream": seed_stream}, cache=True, nogil=True)
    return _DRIVERS[tag]


def per_run(body, runs, seed, scratch_size, args, threads=None):
    """Call ``body`` for runs ``0 .. runs - 1`` under master ``seed``; ``args`` is a tuple of arrays.

    ``scratch_size`` float64 words of scratch per thread; ``threads`` defaults to numba's thread count.
    """
    runs = V.int_at_least("runs", runs, 1)
    seed = V.seed("seed", seed)
    scratch_size = V.int_at_least("scratch_size", scratch_size, 0)
    if threads is not None:
        threads = V.int_at_least("threads", threads, 1)
    if not isinstance(args, tuple) or not all(isinstance(a, np.ndarray) for a in args):
        raise ValueError(f"args must be a tuple of numpy arrays; got {type(args).__name__}")
    n_chunks = min(runs, MAX_CHUNKS)
    chunk_size = -(-runs // n_chunks)
    n_chunks = -(-runs // chunk_size)
    threads = max(1, min(threads or numba.get_num_threads(), n_chunks))
    size = max(int(scratch_size), 1)
    scratch = np.zeros((threads, size + LINE))
    rng = np.zeros((threads, STATE_WORDS + LINE), dtype=np.uint64)
    fn = _driver(body)
    key = np.uint64(seed_key(seed))
    chunks = itertools.count()  # next() is atomic under the GIL: each chunk is taken by one thread

    def worker(s):
        while (c := next(chunks)) < n_chunks:
            fn(c, chunk_size, runs, key, ZIGGURAT, rng[s, :STATE_WORDS], scratch[s, :size], args)

    if threads == 1:
        worker(0)
    else:
        for f in [_pool(threads).submit(worker, s) for s in range(threads)]:
            f.result()
