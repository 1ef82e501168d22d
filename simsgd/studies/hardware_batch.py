"""Batch size on this machine: a step's time against B with one and with every CPU thread, and memory against B.

Claim C17, its hardware side (multicore hardware has a minimum useful batch size; memory grows with
B; powers of two can be faster on GPUs). One least-squares model (p features, n rows taken in order)
trained by minibatch SGD, its batch's rows split over the threads (``targets.data_parallel``): each
step forks and joins the threads, a fixed cost a small batch cannot amortise, so below some B more
cores buy nothing. Measured: seconds per step (median of repeats, many steps per call) for powers of
two and their neighbours, with 1 and with every thread; the minimum useful batch size, read off as
the smallest power of two at which every thread beats one; the peak memory of one step of the same
model as NumPy code is usually written (gather the batch, residuals, gradient), by ``tracemalloc``.
Numbers are of the machine that ran it (``meta.json`` names it), reported as measured. GPUs (warps of
32 threads, where a batch one past a power of two can cost a whole extra warp) are not measured here.
"""
import os
import platform
import tracemalloc

import numba
import numpy as np

from simsgd.targets.data_parallel import sgd_steps
from simsgd.workflow.claims import Claim
from simsgd.workflow.timing import median_time

CLAIMS = ("C17",)
_BASE = {"p": 64, "n": 8192, "lr": 1e-3, "powers": list(range(14)), "neighbours_from": 4,
         "linear_slope": [0.8, 1.2], "memory_batch_sizes": [2**k for k in range(6, 14)], "data_seed": 0}
SCALES = {"quick": {**_BASE, "runs": 1, "rows_per_call": 300_000, "repeats": 3},
          "full": {**_BASE, "runs": 1, "rows_per_call": 3_000_000, "repeats": 7}}


def _data(p):
    rng = np.random.default_rng(p["data_seed"])
    X = rng.normal(size=(p["n"], p["p"]))
    return X, X @ rng.normal(size=p["p"]) + rng.normal(size=p["n"])


def _batch_sizes(p):
    Bs = set()
    for k in p["powers"]:
        Bs.add(2**k)
        if k >= p["neighbours_from"]:
            Bs.update((2**k - 1, 2**k + 1))
    return sorted(Bs)


def _numpy_step(theta, X, y, lr, B, rng):
    idx = rng.integers(0, X.shape[0], size=B)
    Xb = X[idx]
    return theta - lr * Xb.T @ (Xb @ theta - y[idx]) / B


def simulate(p, ctx):
    X, y = _data(p)
    Bs = _batch_sizes(p)
    cores = numba.config.NUMBA_NUM_THREADS
    out = {"batch_sizes": np.array(Bs), "threads": np.array(sorted({1, cores}))}
    for threads in out["threads"]:
        def measure():
            sec = []
            for B in Bs:
                steps = max(100, p["rows_per_call"] // B)
                sec.append(median_time(lambda: sgd_steps(np.zeros(p["p"]), X, y, p["lr"], steps, B, threads),
                                       p["repeats"]) / steps)
            return {"seconds": np.array(sec)}
        out[f"seconds_per_step_{threads}"] = ctx.point(f"time_{threads}", measure)["seconds"]

    def memory():
        peak, rng = [], np.random.default_rng(0)
        for B in p["memory_batch_sizes"]:
            theta = np.zeros(p["p"])
            tracemalloc.start()
            _numpy_step(theta, X, y, p["lr"], B, rng)
            peak.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        return {"bytes": np.array(peak, dtype=np.float64)}
    out["numpy_step_peak_bytes"] = ctx.point("memory", memory)["bytes"]
    # the timed kernel must compute the same steps on every thread count (a race or a dropped row would not)
    out["theta_per_threads"] = np.stack([[sgd_steps(np.zeros(p["p"]), X, y, p["lr"], 50, B, t) for B in (1, 7, 1000)]
                                         for t in out["threads"]])
    out["machine"] = np.array(f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
                              f"{cores} numba threads, threading layer {numba.threading_layer()}")
    return out


def verdict(data, p):
    Bs = [int(b) for b in data["batch_sizes"]]
    threads = [int(t) for t in data["threads"]]
    one, most = data["seconds_per_step_1"], data[f"seconds_per_step_{threads[-1]}"]
    powers = [Bs.index(2**k) for k in p["powers"]]
    top = powers[-4:]
    slope = float(np.polyfit(np.log([Bs[i] for i in top]), np.log(one[top]), 1)[0])
    speedup = one / most
    useful = next((Bs[i] for i in powers if speedup[i] > 1.0), None)
    neighbours = {B: {"below": float(one[Bs.index(B - 1)] / one[Bs.index(B)]),
                      "above": float(one[Bs.index(B + 1)] / one[Bs.index(B)])}
                  for B in (2**k for k in p["powers"] if k >= p["neighbours_from"])}
    mem_B = np.array(p["memory_batch_sizes"], float)
    per_example, fixed = np.polyfit(mem_B, data["numpy_step_peak_bytes"], 1)
    resid = data["numpy_step_peak_bytes"] - (per_example * mem_B + fixed)
    numbers = {"machine": str(data["machine"]), "threads": threads,
               "seconds_per_step": {str(t): dict(zip(map(str, Bs), map(float, data[f"seconds_per_step_{t}"])))
                                    for t in threads},
               "speedup_of_every_thread": dict(zip(map(str, Bs), map(float, speedup))),
               "minimum_useful_batch": useful, "single_thread_log_slope_at_large_B": slope,
               "single_thread_step_time_B1_over_B8": float(one[Bs.index(1)] / one[Bs.index(8)]),
               "cpu_neighbours_over_power_of_two": neighbours,
               "numpy_bytes_per_example": float(per_example), "numpy_fixed_bytes": float(fixed),
               "numpy_bytes_per_example_over_8p": float(per_example / (8 * p["p"])),
               "memory_fit_max_rel_residual": float(np.max(np.abs(resid) / data["numpy_step_peak_bytes"]))}
    worst = max(max(v.values()) for v in neighbours.values())
    theta = data["theta_per_threads"]
    numbers["threads_max_rel_difference"] = float(np.max(np.abs(theta - theta[0])) / np.max(np.abs(theta[0])))
    checks = {"threads_compute_the_same_steps": numbers["threads_max_rel_difference"] < 1e-12,
              "time_grows_linearly_at_large_batches": p["linear_slope"][0] < slope < p["linear_slope"][1],
              "memory_grows_linearly_with_B": numbers["memory_fit_max_rel_residual"] < 0.05 and per_example > 8 * p["p"]}
    if len(threads) > 1:  # whether and where the threads start to pay is this machine's: reported, not judged
        checks["threads_buy_nothing_at_B1"] = speedup[Bs.index(1)] <= 1.0
    c17 = Claim("supported", (
        f"{numbers['machine']}; one least-squares model, p = {p['p']}: with {threads[-1]} threads a step "
        f"takes {most[Bs.index(1)] * 1e6:.2f} µs at B = 1 against {one[Bs.index(1)] * 1e6:.3f} µs on one thread "
        f"(the threads' fork and join); "
        + (f"the threads beat one thread from B = {useful}, the minimum useful batch on this machine" if useful else
           f"the threads never beat one thread up to B = {Bs[powers[-1]]}")
        + f" (speed-up {speedup[powers[-1]]:.2f}× at B = {Bs[powers[-1]]}). One thread's "
        f"step time grows as B^{slope:.2f} at large B. Memory of a NumPy step grows by {per_example:.0f} bytes per "
        f"example ({per_example / (8 * p['p']):.2f}× the batch's own {8 * p['p']} bytes). On the CPU a batch one off a "
        f"power of two costs {min(min(v.values()) for v in neighbours.values()):.2f}× to {worst:.2f}× the power's time "
        f"(no power-of-two advantage here; GPUs not measured)"), checks)
    return {"C17": c17}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    Bs = np.array(data["batch_sizes"], float)
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(15, 4.4))
        for t, color in zip(data["threads"], ("C0", "C3")):
            sec = data[f"seconds_per_step_{t}"]
            ax[0].plot(Bs, sec * 1e6, "o-", ms=3, color=color, label=f"{t} thread{'s' if t > 1 else ''}")
            ax[1].plot(Bs, sec / Bs * 1e9, "o-", ms=3, color=color, label=f"{t} thread{'s' if t > 1 else ''}")
        if numbers["minimum_useful_batch"]:
            for a in ax[:2]:
                a.axvline(numbers["minimum_useful_batch"], color="k", lw=0.8, ls=":",
                          label=f"minimum useful B = {numbers['minimum_useful_batch']}")
        ax[0].set(xscale="log", yscale="log", xlabel="batch size B", ylabel="µs per step")
        verdict_title(ax[0], passed, "one model, minibatch split over threads")
        ax[1].set(xscale="log", yscale="log", xlabel="batch size B", ylabel="ns per example",
                  title=numbers["machine"][:60])
        mem_B = np.array(p["memory_batch_sizes"], float)
        ax[2].plot(mem_B, data["numpy_step_peak_bytes"] / 2**20, "o-", color="C2", label="NumPy step, peak")
        ax[2].plot(mem_B, 8 * p["p"] * mem_B / 2**20, "k:", lw=1, label="the batch's rows alone (8 p B bytes)")
        ax[2].set(xscale="log", yscale="log", xlabel="batch size B", ylabel="MiB", title="memory of one step")
        for a in ax:
            a.legend(fontsize=7)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
