"""What a declared sweep costs over the loop a user writes, in this process and on a local Dask cluster.

Workload: SGD on ``noisy_quadratic`` (d = ``dim``, mu = 0.1, M = 1) over a grid of ``points`` step sizes,
``runs`` runs x ``steps`` steps per point, the error averaged over the second half. Ways, run side by side:

- the loop as usually written: ``simulate`` once per point, the mean and its naive standard error kept
  in lists (no store, no per-quantity errors, nothing survives an interruption);
- ``ss.sweep`` in memory (10 groups of runs per point for the errors of averages);
- ``ss.sweep`` into a zarr store (written as points finish);
- ``ss.sweep`` on a Dask ``LocalCluster`` of ``workers`` single-threaded processes (startup included).

Then the same with many tiny points (``tiny_points`` of 100 runs x 100 steps), where per-point and
per-task overheads dominate. Each way runs ``rounds`` times, interleaved; medians are reported.

    python benchmarks/bench_sweep.py [--points 40] [--runs 2000] [--steps 1000] [--dim 10] [--workers 2]
"""
import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time

import numba
import numpy as np

import simsgd as ss


def loop(points, runs, steps, dim):
    prob = ss.noisy_quadratic(dim=dim, mu=0.1, M=1.0)
    means, sems = [], []
    for lr in points:
        r = ss.simulate(prob, ss.SGD(lr), runs, steps, seed=0, progress=False, keep_theta=False)
        tail = r.steps >= steps // 2
        means.append(r.mean("error_sq")[tail].mean())
        sems.append(r.sem("error_sq")[tail].mean())
    return np.array(means)


def spec(points, runs, steps, dim):
    return ss.SweepSpec("noisy_quadratic", "SGD", runs, steps, fixed={"dim": dim, "mu": 0.1, "M": 1.0},
                        grid={"lr": list(points)}, quantities=[{"name": "ball", "kind": "average",
                                                                 "metric": "error_sq"}])


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def workload(points, runs, steps, dim, workers, rounds, tmp):
    lrs = np.linspace(0.05, 1.0, points)
    s = spec(lrs, runs, steps, dim)
    ways = {
        "loop of simulate calls": lambda: loop(lrs, runs, steps, dim),
        "ss.sweep, in memory": lambda: ss.sweep(s, progress=False)["ball"].values,
        "ss.sweep, zarr store": lambda: ss.sweep(s, _fresh(tmp), progress=False)["ball"].values,
        f"ss.sweep, LocalCluster({workers})": lambda: ss.sweep(s, _fresh(tmp), workers=workers,
                                                             progress=False)["ball"].values,
    }
    loop(lrs[:1], 10, 10, dim)  # compile once, outside the timings
    times = {k: [] for k in ways}
    results = {}
    for _ in range(rounds):
        for k, fn in ways.items():
            t, results[k] = timed(fn)
            times[k].append(t)
    exact = np.array([ss.theory.sgd_error_sq(np.arange(steps // 2, steps + 1), a, np.full(dim, 0.1), 1.0,
                                             1.0 / dim).mean() for a in lrs])
    base = statistics.median(times["loop of simulate calls"])
    print(f"\n{points} points x {runs} runs x {steps} steps, d = {dim} ({points * runs * steps:.1e} run-steps)")
    print(f"{'way':32s} {'median s':>9s} {'vs loop':>8s}  max rel. diff from the exact ball")
    for k, ts in times.items():
        m = statistics.median(ts)
        dev = np.max(np.abs(results[k] - exact) / exact)
        print(f"{k:32s} {m:9.2f} {m / base:8.2f}  {dev:.3f}")


def _fresh(tmp):
    path = os.path.join(tmp, "store.zarr")
    shutil.rmtree(path, ignore_errors=True)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=40)
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--tiny-points", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numba {numba.__version__} "
          f"({numba.get_num_threads()} threads), simsgd {ss.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        workload(a.points, a.runs, a.steps, a.dim, a.workers, a.rounds, tmp)
        workload(a.tiny_points, 100, 100, a.dim, a.workers, a.rounds, tmp)


if __name__ == "__main__":
    main()
