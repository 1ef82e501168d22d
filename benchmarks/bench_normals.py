"""Normal generators for the kernels, side by side: the current one, the previous one and the candidates measured for it.

Each candidate fills one (runs, dim) float array per step from per-run streams, ``steps`` times,
inside a numba ``prange`` over runs (as the CPU target does), at 1 and 2 threads; rounds
interleave the candidates and the table gives the median and best of the rounds. Every
candidate's output is checked (mean, variance, fourth moment) on the last buffer.

    python benchmarks/bench_normals.py [--runs 10000] [--dim 100] [--steps 100] [--rounds 5] [--json PATH]

Candidates:
  simsgd float64 / float32   ``fill_normals``: 1024-layer ziggurat, two interleaved xoroshiro128+,
                             inlined into the caller; float32 takes two draws per 64-bit output
  previous (256 layers)      the generator before this change (benchmarks/previous_rng.py), a call
                             per fill, one draw in 1.5% through the slow path
  raw bits, 4 lanes          xoroshiro128+ outputs alone, four interleaved lanes, no transform:
                             an upper bound for any transform of one output per draw
  raw bits, 32 lanes (SIMD)  the same with the lanes in arrays, a loop LLVM vectorises (AVX2)
  raw bits, Philox4x32-10    a counter-based generator (independent blocks: the loop vectorises),
                             64-bit outputs, no transform
  Box-Muller (libm)          two uniforms -> two normals with log, sqrt, sin, cos from libm
  NumPy Generator            ``Generator.standard_normal(out=...)``, one thread (for scale)
"""
import argparse
import importlib.metadata
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import prange, uint64

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import previous_rng  # noqa: E402

from simsgd.device.jit import FASTMATH  # noqa: E402
from simsgd.device.rng import STATE_WORDS, ZIGGURAT, fill_normals, seed_key, seed_stream, xoroshiro_step  # noqa: E402

OPT = {"fastmath": FASTMATH, "error_model": "numpy"}
LANES = 32
_INV_2_53 = 1.0 / 9007199254740992.0


def _driver(fill):
    @numba.njit(parallel=True, **OPT)
    def run(states, buf, steps, zig):
        n = buf.shape[1]
        for r in prange(buf.shape[0]):
            for _ in range(steps):
                fill(states[r], buf[r], n, zig)
    return run


@numba.njit(inline="always", **OPT)
def _raw4(state, out, n, zig):
    """xoroshiro128+ outputs of four interleaved lanes, as float64 bit patterns (no transform)."""
    ob = out.view(np.uint64)
    a0, a1, b0, b1 = state[0], state[1], state[2], state[3]
    c0, c1, d0, d1 = state[4], state[5], state[6], state[7]
    k = uint64(0)
    while k < uint64(n):
        ob[k], a0, a1 = xoroshiro_step(a0, a1)
        ob[k + uint64(1)], b0, b1 = xoroshiro_step(b0, b1)
        ob[k + uint64(2)], c0, c1 = xoroshiro_step(c0, c1)
        ob[k + uint64(3)], d0, d1 = xoroshiro_step(d0, d1)
        k += uint64(4)
    state[0], state[1], state[2], state[3] = a0, a1, b0, b1
    state[4], state[5], state[6], state[7] = c0, c1, d0, d1


@numba.njit(inline="always", **OPT)
def _raw_simd(state, out, n, zig):
    """``LANES`` lanes whose states live in ``state`` (s0 then s1): the lane loop vectorises."""
    ob = out.view(np.uint64)
    for base in range(0, n, LANES):
        for j in range(min(LANES, n - base)):
            a = state[j]
            b = state[LANES + j]
            ob[base + j] = a + b
            b ^= a
            state[j] = ((a << uint64(24)) | (a >> uint64(40))) ^ b ^ (b << uint64(16))
            state[LANES + j] = (b << uint64(37)) | (b >> uint64(27))


_M0, _M1 = uint64(0xD2511F53), uint64(0xCD9E8D57)
_W0, _W1 = uint64(0x9E3779B9), uint64(0xBB67AE85)
_LO32 = uint64(0xFFFFFFFF)


@numba.njit(inline="always", **OPT)
def _philox(state, out, n, zig):
    """Philox4x32-10 (Salmon et al., 2011), counter-based: block m of a call is the counter
    (position + m, 0, 0, 0) under the run's key; blocks are independent, so the loop vectorises."""
    ob = out.view(np.uint64)
    key0, key1 = state[1] & _LO32, state[1] >> uint64(32)
    pos = state[0]
    for m in range(n // 2):
        c0, c1, c2, c3 = (pos + uint64(m)) & _LO32, (pos + uint64(m)) >> uint64(32), uint64(0), uint64(0)
        k0, k1 = key0, key1
        for _ in range(10):
            p0 = _M0 * c0
            p1 = _M1 * c2
            c0, c1, c2, c3 = ((p1 >> uint64(32)) ^ c1 ^ k0) & _LO32, p1 & _LO32, ((p0 >> uint64(32)) ^ c3 ^ k1) & _LO32, p0 & _LO32
            k0 = (k0 + _W0) & _LO32
            k1 = (k1 + _W1) & _LO32
        ob[2 * m] = c0 | (c1 << uint64(32))
        ob[2 * m + 1] = c2 | (c3 << uint64(32))
    state[0] = pos + uint64(n // 2)


@numba.njit(inline="always", **OPT)
def _box_muller(state, out, n, zig):
    """Box-Muller on the two interleaved generators: sqrt(-2 log u1) (cos, sin)(2 pi u2)."""
    a0, a1, b0, b1 = state[0], state[1], state[2], state[3]
    for k in range(0, n - 1, 2):
        x, a0, a1 = xoroshiro_step(a0, a1)
        y, b0, b1 = xoroshiro_step(b0, b1)
        rad = math.sqrt(-2.0 * math.log(1.0 - float(x >> uint64(11)) * _INV_2_53))
        ang = 2.0 * math.pi * float(y >> uint64(11)) * _INV_2_53
        out[k] = rad * math.cos(ang)
        out[k + 1] = rad * math.sin(ang)
    state[0], state[1], state[2], state[3] = a0, a1, b0, b1


@numba.njit(parallel=True)
def _seed(key, states):
    for r in prange(states.shape[0]):
        for w in range(0, states.shape[1] - STATE_WORDS + 1, STATE_WORDS):
            seed_stream(key, r * (states.shape[1] // STATE_WORDS) + w // STATE_WORDS, states[r, w:w + STATE_WORDS])


CANDIDATES = {
    "simsgd float64": (fill_normals, np.float64, ZIGGURAT, True),
    "simsgd float32": (fill_normals, np.float32, ZIGGURAT, True),
    "previous (256 layers, called)": (previous_rng.fill_normals, np.float64, previous_rng.ZIGGURAT, True),
    "raw bits, 4 lanes": (_raw4, np.float64, ZIGGURAT, False),
    f"raw bits, {LANES} lanes (SIMD)": (_raw_simd, np.float64, ZIGGURAT, False),
    "raw bits, Philox4x32-10": (_philox, np.float64, ZIGGURAT, False),
    "Box-Muller (libm)": (_box_muller, np.float64, ZIGGURAT, True),
}


def svml_status():
    try:
        rt = importlib.metadata.version("intel-cmplr-lib-rt")
    except importlib.metadata.PackageNotFoundError:
        rt = None
    return {"intel-cmplr-lib-rt": rt, "numba.config.USING_SVML": bool(numba.config.USING_SVML)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--json", type=Path, help="also write the results here")
    a = p.parse_args()
    states = np.zeros((a.runs, 2 * LANES), np.uint64)  # room for the widest candidate's lanes
    _seed(np.uint64(seed_key(0)), states)
    bufs = {dt: np.empty((a.runs, a.dim), dt) for dt in (np.float64, np.float32)}
    drivers, compile_s = {}, {}
    for name, (fill, dt, zig, _) in CANDIDATES.items():
        drivers[name] = _driver(fill)
        t0 = time.perf_counter()
        drivers[name](states[:2].copy(), bufs[dt][:2].copy(), 1, zig)
        compile_s[name] = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    n = a.runs * a.dim * a.steps
    times = {(name, th): [] for name in CANDIDATES for th in a.threads}
    times["NumPy Generator", 1] = []
    moments = {}
    for _ in range(a.rounds):
        for th in a.threads:
            numba.set_num_threads(th)
            for name, (fill, dt, zig, normal) in CANDIDATES.items():
                buf = bufs[dt]
                t0 = time.perf_counter()
                drivers[name](states, buf, a.steps, zig)
                times[name, th].append(time.perf_counter() - t0)
                if normal:
                    x = buf.astype(np.float64).ravel()
                    moments[name] = (float(x.mean()), float(x.var()), float((x**4).mean()), x.size)
            if th == a.threads[0]:  # NumPy's generator runs on one thread
                t0 = time.perf_counter()
                for _ in range(a.steps):
                    rng.standard_normal(out=bufs[np.float64])
                times["NumPy Generator", 1].append(time.perf_counter() - t0)
    print(f"{a.runs} runs x {a.dim} draws x {a.steps} fills = {n:.3g} draws per call; {a.rounds} interleaved rounds\n")
    print("| generator | threads | median s | best s | draws/s (median) | vs previous |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = []
    for (name, th), t in times.items():
        med = statistics.median(t)
        ref = times.get(("previous (256 layers, called)", th), [])
        prev = statistics.median(r / s for r, s in zip(ref, t)) if ref else math.nan
        rows.append({"generator": name, "threads": th, "median_s": med, "best_s": min(t), "rate": n / med,
                     "vs_previous": prev, "rounds_s": t})
        print(f"| {name} | {th} | {med:.3f} | {min(t):.3f} | {n / med:.3g} | {prev:.2f}x |")
    print("\nmoments of the last buffer (n draws): mean, variance, E x^4 - 3, each as a z-score")
    for name, (m, v, m4, size) in moments.items():
        print(f"  {name:30s} mean z {m * math.sqrt(size):+.2f}, var z {(v - 1) / math.sqrt(2 / size):+.2f}, "
              f"E x^4 z {(m4 - 3) / math.sqrt(96 / size):+.2f}")
    scaling = {name: statistics.median(times[name, 1]) / statistics.median(times[name, 2])
               for name in CANDIDATES if 1 in a.threads and 2 in a.threads}
    if scaling:
        print("\n2 threads vs 1: " + ", ".join(f"{k} {v:.2f}x" for k, v in scaling.items()))
    svml = svml_status()
    print(f"\nSVML: {svml}; first calls (compile) s: " + ", ".join(f"{k} {v:.1f}" for k, v in compile_s.items()))
    env = {"cpus": os.cpu_count(), "machine": platform.processor() or platform.machine(), "python": platform.python_version(),
           "numpy": np.__version__, "numba": numba.__version__, "llvmlite": importlib.metadata.version("llvmlite")}
    print(env)
    if a.json:
        a.json.write_text(json.dumps({"workload": vars(a) | {"json": str(a.json)}, "draws_per_call": n, "rows": rows,
                                      "moments": moments, "thread_scaling": scaling, "svml": svml,
                                      "compile_s": compile_s, "env": env}, indent=1) + "\n")


if __name__ == "__main__":
    main()
