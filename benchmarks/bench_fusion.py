"""How much of the generator's rate an SGD step can keep: the generator alone against the ways of consuming its draws.

Every variant runs ``runs`` runs x ``steps`` steps of d = ``dim`` draws per step in a numba
``prange`` over runs (2 threads), best of ``rounds`` interleaved rounds, and reports run-steps/s
and the share of the first row's rate:

  generator alone          ``fill_normals`` into one buffer, nothing else (the yardstick)
  generator, 2 buffers     the same draws, alternate steps into two buffers (nothing else)
  + read one draw          the generator, then one draw read back
  separate loops (simsgd)  the generator, then g = lam x + sigma z, then x -= lr g: the engine's
                           shape (the problem's gradient, then the rule's step)
  fused into the draws     the update inside the generator's loop, no buffer: one problem and
                           one rule written together, which the engine does not do

    python benchmarks/bench_fusion.py [--runs 10000] [--dim 100] [--steps 200] [--rounds 7]
"""
import argparse
import time

import numba
import numpy as np
from numba import prange, uint64

from simsgd.device.jit import FASTMATH
from simsgd.device.rng import ZIGGURAT, _finish, _from_bits, fill_normals, seed_key, seed_stream, xoroshiro_step

OPT = {"fastmath": FASTMATH, "error_model": "numpy"}
LR = 0.1


@numba.njit(parallel=True, **OPT)
def alone(states, X, G, Z, lam, sig, steps, zig):
    for r in prange(X.shape[0]):
        for _ in range(steps):
            fill_normals(states[r], Z[r], X.shape[1], zig)


@numba.njit(parallel=True, **OPT)
def two_buffers(states, X, G, Z, lam, sig, steps, zig):
    for r in prange(X.shape[0]):
        for _ in range(steps // 2):
            fill_normals(states[r], Z[r], X.shape[1], zig)
            fill_normals(states[r], G[r], X.shape[1], zig)


@numba.njit(parallel=True, **OPT)
def read_one(states, X, G, Z, lam, sig, steps, zig):
    for r in prange(X.shape[0]):
        for _ in range(steps):
            fill_normals(states[r], Z[r], X.shape[1], zig)
            X[r, 0] += Z[r, 0]


@numba.njit(parallel=True, **OPT)
def separate(states, X, G, Z, lam, sig, steps, zig):
    n = X.shape[1]
    for r in prange(X.shape[0]):
        x, g, z = X[r], G[r], Z[r]
        for _ in range(steps):
            fill_normals(states[r], z, n, zig)
            for i in range(n):
                g[i] = lam[i] * x[i] + sig[i] * z[i]
            for i in range(n):
                x[i] -= LR * g[i]


@numba.njit(parallel=True, **OPT)
def fused(states, X, G, Z, lam, sig, steps, zig):
    n = X.shape[1]
    xz, rz = zig[0], zig[1]
    for r in prange(X.shape[0]):
        st, x = states[r], X[r]
        for _ in range(steps):
            a0, a1, b0, b1 = st[0], st[1], st[2], st[3]
            k = uint64(0)
            while k < uint64(n):
                xa, a0, a1 = xoroshiro_step(a0, a1)
                yb, b0, b1 = xoroshiro_step(b0, b1)
                u, i = _from_bits(xa)
                v, j = _from_bits(yb)
                if (abs(u) < rz[i]) & (abs(v) < rz[j]):
                    z0, z1 = u * xz[i], v * xz[j]
                else:
                    st[0], st[1], st[2], st[3] = a0, a1, b0, b1
                    z0 = u * xz[i] if abs(u) < rz[i] else _finish(st, 0, u, int(i), zig)
                    z1 = v * xz[j] if abs(v) < rz[j] else _finish(st, 2, v, int(j), zig)
                    a0, a1, b0, b1 = st[0], st[1], st[2], st[3]
                k1 = k + uint64(1)
                x[k] -= LR * (lam[k] * x[k] + sig[k] * z0)
                x[k1] -= LR * (lam[k1] * x[k1] + sig[k1] * z1)
                k += uint64(2)
            st[0], st[1], st[2], st[3] = a0, a1, b0, b1


@numba.njit(parallel=True)
def _seed(key, states):
    for r in prange(states.shape[0]):
        seed_stream(key, r, states[r])


VARIANTS = {"generator alone": alone, "generator, 2 buffers": two_buffers, "+ read one draw": read_one,
            "separate loops (simsgd)": separate, "fused into the draws": fused}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--rounds", type=int, default=7)
    a = p.parse_args()
    if a.dim % 2 or a.steps % 2:
        p.error("--dim and --steps must be even")
    states = np.zeros((a.runs, 8), np.uint64)
    _seed(np.uint64(seed_key(0)), states)
    X, G, Z = np.ones((a.runs, a.dim)), np.zeros((a.runs, a.dim)), np.zeros((a.runs, a.dim))
    lam, sig = np.linspace(0.1, 1.0, a.dim), np.ones(a.dim)
    for f in VARIANTS.values():
        f(states[:2].copy(), X[:2].copy(), G[:2].copy(), Z[:2].copy(), lam, sig, 2, ZIGGURAT)
    best = {}
    for _ in range(a.rounds):
        for name, f in VARIANTS.items():
            t0 = time.perf_counter()
            f(states, X, G, Z, lam, sig, a.steps, ZIGGURAT)
            best[name] = min(best.get(name, np.inf), time.perf_counter() - t0)
    print(f"{a.runs} runs x {a.steps} steps x d = {a.dim}, {numba.get_num_threads()} threads, best of {a.rounds} rounds\n")
    print("| variant | run-steps/s | share of the generator alone |")
    print("|---|---:|---:|")
    for name, t in best.items():
        print(f"| {name} | {a.runs * a.steps / t:.3g} | {best['generator alone'] / t:.0%} |")


if __name__ == "__main__":
    main()
