"""Benchmark simsgd against NumPy and JAX on SGD over a noisy quadratic.

Workload: ``runs`` independent runs of SGD (lr=0.1) on a diagonal quadratic with
eigenvalues linspace(0.1, 1, dim), noise_std=1, x0=1, float64, recording the mean
over runs of ||theta_t||^2 at every step 0..steps. simsgd runs in float64 and float32, on
2 threads and on 1 (thread scaling), beside NumPy and JAX in the same interleaved rounds.
Each implementation is checked against the exact expectation (float32 included: its
accuracy is part of the report), and the in-kernel generator's raw rate, drawing the same
normals with no update, gives the share of it the whole workload reaches.

    python benchmarks/bench_quadratic.py [--runs 10000] [--dim 100] [--steps 1000] [--repeats 3] [--json PATH]
"""
import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numba
import numpy as np
from numba import prange

import simsgd as ss
from simsgd.device.jit import FASTMATH
from simsgd.device.rng import ZIGGURAT, fill_normals, seed_key, seed_stream

LR = 0.1
SIGMA = 1.0
X0 = 1.0
SEED = 0


def eigenvalues(dim):
    return np.linspace(0.1, 1.0, dim)


def timed(fn, repeats):
    """Median wall time of ``repeats`` calls and the last call's result."""
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# ---------------------------------------------------------------- simsgd

def bench_simsgd(runs, dim, steps, dtype="float64", threads=2):
    lam = eigenvalues(dim)
    opt = ss.SGD(lr=LR)

    def call(prob, r, s):
        numba.set_num_threads(threads)
        try:
            return ss.simulate(prob, opt, runs=r, steps=s, batch_size=1, seed=SEED,
                               record_every=1, dtype=dtype, progress=False)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

    t0 = time.perf_counter()
    call(ss.Quadratic(eigenvalues=lam[:2], noise_std=SIGMA, x0=X0), 2, 2)
    first = time.perf_counter() - t0

    prob = ss.Quadratic(eigenvalues=lam, noise_std=SIGMA, x0=X0)
    return {"run": lambda: call(prob, runs, steps), "first": first, "threads": threads, "dtype": dtype}


# ---------------------------------------------------------------- NumPy

def numpy_sgd(runs, dim, steps):
    """SGD as usually written in NumPy: a (runs, d) array and a Python loop over steps."""
    lam = eigenvalues(dim)
    rng = np.random.default_rng(SEED)
    theta = np.full((runs, dim), X0)
    curve = np.empty(steps + 1)
    curve[0] = (theta**2).sum(1).mean()
    for t in range(1, steps + 1):
        z = rng.standard_normal((runs, dim))
        g = lam * theta + SIGMA * z
        theta -= LR * g
        curve[t] = (theta**2).sum(1).mean()
    return curve, theta


def bench_numpy(runs, dim, steps):
    return {"run": lambda: numpy_sgd(runs, dim, steps)}


# ---------------------------------------------------------------- JAX

def bench_jax(runs, dim, steps):
    try:
        import jax
    except ImportError as e:
        print(f"JAX: skipped ({e})")
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    lam = jnp.asarray(eigenvalues(dim))
    theta0 = jnp.full(dim, X0)

    def one_run(key):
        def step(theta, t):
            # every draw feeds theta, so XLA cannot skip generating any of them
            z = jax.random.normal(jax.random.fold_in(key, t), (dim,), dtype=jnp.float64)
            theta = theta - LR * (lam * theta + SIGMA * z)
            return theta, jnp.sum(theta**2)

        _, err = jax.lax.scan(step, theta0, jnp.arange(steps))
        return err

    def simulate_jax(keys):
        err = jax.vmap(one_run)(keys)  # (runs, steps)
        curve = jnp.concatenate([jnp.sum(theta0**2)[None], err.mean(axis=0)])
        return curve, err[:, -1]

    keys = jax.random.split(jax.random.key(SEED), runs)
    t0 = time.perf_counter()
    compiled = jax.jit(simulate_jax).lower(keys).compile()
    compile_s = time.perf_counter() - t0

    def run():
        return jax.block_until_ready(compiled(keys))

    t0 = time.perf_counter()
    run()  # warm call: first execution of the compiled program, same shapes
    first_exec = time.perf_counter() - t0
    return {"run": run, "compile": compile_s, "first_exec": first_exec, "version": jax.__version__}


# ---------------------------------------------------------------- raw generators

@numba.njit(parallel=True)
def _seed_states(key, states):
    for r in prange(states.shape[0]):
        seed_stream(key, r, states[r])


@numba.njit(parallel=True, fastmath=FASTMATH, error_model="numpy")
def _kernel_normals(states, buf, steps):
    n = buf.shape[1]
    for r in prange(buf.shape[0]):
        st = states[r]
        out = buf[r]
        for _ in range(steps):
            fill_normals(st, out, n, ZIGGURAT)


def bench_generators(runs, dim, steps, repeats, threads):
    """The kernel's generator alone (the workload's normals, no update) per dtype and thread count; NumPy's for scale."""
    # 8 uint64 per row: each run's state has a cache line to itself (no false sharing)
    states = np.zeros((runs, 8), dtype=np.uint64)
    _seed_states(np.uint64(seed_key(SEED)), states)
    n = runs * dim * steps
    out = {}
    for dt in (np.float64, np.float32):
        buf = np.empty((runs, dim), dt)
        t0 = time.perf_counter()
        _kernel_normals(states[:1].copy(), buf[:1].copy(), 1)
        compile_s = time.perf_counter() - t0
        for th in threads:
            numba.set_num_threads(th)
            med, _ = timed(lambda: _kernel_normals(states, buf, steps), repeats)
            out[np.dtype(dt).name, th] = {"rate": n / med, "s": med, "compile": compile_s,
                                          "moments": (float(buf.mean()), float(buf.var()))}
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    rng = np.random.default_rng(SEED)
    buf = np.empty((runs, dim))

    def numpy_normals():
        for _ in range(steps):
            rng.standard_normal(out=buf)

    med, _ = timed(numpy_normals, repeats)
    out["numpy"] = {"rate": n / med, "s": med}
    return out


# ---------------------------------------------------------------- report

def check_final(name, curve, final, exact, runs):
    """Max relative deviation over steps, and at the final step also the z-score from the per-run spread."""
    rel = np.abs(curve / exact - 1.0)
    z = (curve[-1] - exact[-1]) / (final.std(ddof=1) / np.sqrt(runs))
    print(f"  {name:7s} max rel dev over steps {rel.max():.2e}, final-step rel dev {rel[-1]:.2e}, "
          f"final-step z {z:+.2f}")


def fmt_rate(x):
    return f"{x:.3g}"


SIMSGD = {  # name: (dtype, threads)
    "simsgd float64": ("float64", 2),
    "simsgd float32": ("float32", 2),
    "simsgd float64, 1 thread": ("float64", 1),
    "simsgd float32, 1 thread": ("float32", 1),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--steps", type=int, default=1_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", type=Path, help="also write the results here")
    a = p.parse_args()
    runs, dim, steps, repeats = a.runs, a.dim, a.steps, a.repeats
    print(f"workload: {runs} runs x d={dim} x {steps} steps, record every step; "
          f"{repeats} interleaved rounds\n")

    impls = {name: bench_simsgd(runs, dim, steps, dt, th) for name, (dt, th) in SIMSGD.items()}
    impls["NumPy"] = bench_numpy(runs, dim, steps)
    j = bench_jax(runs, dim, steps)
    if j is not None:
        impls["JAX jit+vmap+scan"] = j
    # rounds interleave the implementations, so a slow spell of a shared machine hits all of
    # them; speed-ups are the median over rounds of the within-round ratios
    times = {name: [] for name in impls}
    out = {}
    for _ in range(repeats):
        for name, impl in impls.items():
            t0 = time.perf_counter()
            out[name] = impl["run"]()
            times[name].append(time.perf_counter() - t0)
    print("first calls (compile or numba-cache load, tiny problem): "
          + ", ".join(f"{k} {v['first']:.2f} s" for k, v in impls.items() if k in SIMSGD))
    if j is not None:
        print(f"JAX {j['version']}: compile {j['compile']:.2f} s, first execution {j['first_exec']:.3f} s")
    g = bench_generators(runs, dim, steps, repeats, sorted({th for _, th in SIMSGD.values()}))

    exact = ss.theory.sgd_error_sq(np.arange(steps + 1), LR, eigenvalues(dim), X0, SIGMA**2)
    accuracy = {}
    print("\ncorrectness vs exact E||theta_t||^2:")
    for name in SIMSGD:
        res = out[name]
        mean, sem = res.mean("error_sq"), res.sem("error_sq")
        pos = sem > 0  # step 0 is deterministic: every run starts at x0
        z = (mean[pos] - exact[pos]) / sem[pos]
        rel = np.abs(mean / exact - 1)
        accuracy[name] = {"max_abs_z": float(np.abs(z).max()), "steps": int(pos.sum()), "max_rel_dev": float(rel.max()),
                          "final_rel_dev": float(rel[-1]), "step0_abs_err": float(abs(mean[0] - exact[0])),
                          "diverged": int(res.diverged[-1])}
        print(f"  {name:26s} max |z| over steps {np.abs(z).max():.2f} ({pos.sum()} steps), "
              f"step 0 abs err {abs(mean[0] - exact[0]):.1e}, max rel dev {rel.max():.2e}, "
              f"diverged {int(res.diverged[-1])}")
    f32, f64 = out["simsgd float32"].mean("error_sq"), out["simsgd float64"].mean("error_sq")
    print(f"  float32 vs float64 mean curves (different streams): max rel diff {np.abs(f32 / f64 - 1).max():.2e}")
    curve, theta = out["NumPy"]
    check_final("NumPy", curve, (theta**2).sum(1), exact, runs)
    if j is not None:
        curve, final = out["JAX jit+vmap+scan"]
        check_final("JAX", np.asarray(curve), np.asarray(final), exact, runs)
    for (dt, th), v in ((k, v) for k, v in g.items() if k != "numpy"):
        m, var = v["moments"]
        print(f"  kernel generator {dt}, {th} thread(s): sample mean {m:+.1e}, var {var:.4f}")

    work = runs * steps
    med = {name: statistics.median(t) for name, t in times.items()}

    def speedup(name, ref):
        return statistics.median(r / t for r, t in zip(times[ref], times[name]))

    has_jax = j is not None
    print("\n| implementation | median s | min s | run-steps/s | speed-up vs NumPy | speed-up vs JAX | share of the generator's rate |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = []
    for name in impls:
        row = {"implementation": name, "median_s": med[name], "min_s": min(times[name]), "run_steps_per_s": work / med[name],
               "vs_numpy": speedup(name, "NumPy"), "vs_jax": speedup(name, "JAX jit+vmap+scan") if has_jax else None,
               "rounds_s": times[name]}
        if name in SIMSGD:
            dt, th = SIMSGD[name]
            row["generator_share"] = work * dim / med[name] / g[dt, th]["rate"]
        rows.append(row)
        vs_jax = f"{row['vs_jax']:.1f}x" if has_jax and name in SIMSGD else "-"
        share = f"{row['generator_share']:.0%}" if "generator_share" in row else "-"
        print(f"| {name} | {med[name]:.3f} | {min(times[name]):.3f} | {fmt_rate(work / med[name])} | "
              f"{row['vs_numpy']:.1f}x | {vs_jax} | {share} |")
    ratio32 = speedup("simsgd float32", "simsgd float64")
    scaling = speedup("simsgd float64", "simsgd float64, 1 thread")
    print(f"\nfloat32 / float64 run-steps/s: {ratio32:.2f}x; 2 threads / 1 thread (float64): {scaling:.2f}x, "
          f"(float32): {speedup('simsgd float32', 'simsgd float32, 1 thread'):.2f}x")

    print("\n| normal generator | threads | median s | normals/s |")
    print("|---|---:|---:|---:|")
    for (dt, th), v in ((k, v) for k, v in g.items() if k != "numpy"):
        print(f"| simsgd fill_normals {dt} (numba prange) | {th} | {v['s']:.3f} | {fmt_rate(v['rate'])} |")
    print(f"| NumPy Generator.standard_normal | 1 | {g['numpy']['s']:.3f} | {fmt_rate(g['numpy']['rate'])} |")

    jax_v = j["version"] if j is not None else "not installed"
    env = {"numba_threads": numba.config.NUMBA_NUM_THREADS, "cpus": os.cpu_count(), "python": platform.python_version(),
           "numpy": np.__version__, "numba": numba.__version__, "jax": jax_v, "simsgd": ss.__version__}
    print("\n" + ", ".join(f"{k} {v}" for k, v in env.items()))
    if a.json:
        gen = {f"{k[0]}, {k[1]} thread(s)" if k != "numpy" else k: {kk: vv for kk, vv in v.items() if kk != "moments"}
               for k, v in g.items()}
        a.json.write_text(json.dumps({"workload": {"runs": runs, "dim": dim, "steps": steps, "rounds": repeats},
                                      "rows": rows, "accuracy": accuracy, "generator": gen,
                                      "float32_over_float64": ratio32, "two_threads_over_one": scaling, "env": env},
                                     indent=1) + "\n")


if __name__ == "__main__":
    main()
