"""One prepared check of the CUDA target on a machine with an NVIDIA GPU.

For d = 8 and d = 100: SGD (lr 0.1) on the quadratic with eigenvalues linspace(0.1, 1, d),
noise_std 1, x0 1, float64, ``--runs`` runs x ``--steps`` steps recording every step:
  - run-steps/s on the GPU (compilation excluded and reported apart);
  - the share of time spent on per-step statistics (the same run recording only the last step);
  - the first ``--cpu-runs`` runs recomputed on the CPU target with the same seed: largest
    relative difference of the final parameters and the fraction that is bit-identical;
  - the simulated mean against the exact E||theta_t - theta*||^2 (max |z| over steps);
  - JAX (jit + vmap inside lax.scan, float64) on the same GPU and workload, side by side;
  - every registered problem x optimizer (their ``example()``), ``--registry-runs``
    runs x 200 steps on the GPU against the CPU target: counts, means and final parameters;
  - with ``--configs``: each block reduction, block size and register cap of ``CONFIGS`` timed at
    every d, with the registers the driver reports (ptxas's counts: ``ptxas_report.py``);
  - with ``--mlp-nets N``: N networks 1-32-1 tanh trained with Adam (``bench_mlp.py``'s workload)
    on the CUDA target against PyTorch's torch.func vmap and batched bmm on the same GPU.
Prints a table and writes everything to ``--json`` (default: $OUT/gpu_check.json when OUT is set).

    python benchmarks/gpu_check.py              # full size, needs a GPU
    python benchmarks/gpu_check.py --configs --problems Quadratic MLP --mlp-nets 100000   # issue-sized run
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu_check.py --tiny --no-jax   # the simulator, seconds
"""
import argparse
import json
import os
import sys
import time

import numpy as np

import simsgd as ss
from simsgd.targets import cuda as _cuda
from simsgd.workflow import provenance
from simsgd.engine.statistics import zscores

LR = 0.1
SEED = 0


def problem(d):
    return ss.Quadratic(np.linspace(0.1, 1.0, d), noise_std=1.0, x0=1.0)


CONFIGS = [("shuffle", 128, None), ("tree", 128, None), ("shuffle", 256, None), ("shuffle", 128, 64),
           ("shuffle", 128, 80)]


def configure(reduction, tpb, max_registers):
    _cuda.REDUCTION, _cuda.THREADS_PER_BLOCK, _cuda.MAX_REGISTERS = reduction, tpb, max_registers
    return {"reduction": reduction, "threads_per_block": tpb, "register_cap": max_registers}


def kernel_resources(prob, opt, dtype):
    """Registers, local and shared memory per thread/block of the kernel just used (the driver's numbers)."""
    from simsgd.engine.simulate import plan

    job = plan(prob, opt, runs=2, steps=2, dtype=dtype)
    kern = _cuda.get_kernel(job.pairing, _cuda.shape_of(job, _cuda.THREADS_PER_BLOCK))
    out = {}
    for name in ("get_regs_per_thread", "get_local_mem_per_thread", "get_shared_mem_per_block",
                 "get_max_threads_per_block"):
        try:
            out[name[4:]] = int(getattr(kern, name)())
        except Exception as exc:  # the dispatcher's API differs between versions
            out[name[4:]] = f"{type(exc).__name__}: {exc}"
    return out


def check_speed(d, runs, steps, dtype):
    """Run-steps/s of one configuration (``configure``), with statistics every step and at the last step only."""
    prob, opt = problem(d), ss.SGD(LR)
    t0 = time.perf_counter()
    ss.simulate(prob, opt, runs=min(runs, 256), steps=2, seed=SEED, target="cuda", dtype=dtype, progress=False)
    compile_s = time.perf_counter() - t0
    walls = []
    for _ in range(2):
        res = ss.simulate(prob, opt, runs=runs, steps=steps, seed=SEED, target="cuda", dtype=dtype, progress=False)
        walls.append(res.meta["wall_time_s"])
    last = ss.simulate(prob, opt, runs=runs, steps=steps, seed=SEED, target="cuda", dtype=dtype,
                       record_every=steps, progress=False)
    wall = min(walls)
    return {"d": d, "compile_s": compile_s, "wall_s": wall, "run_steps_per_s": runs * steps / wall,
            "wall_last_only_s": last.meta["wall_time_s"],
            "statistics_share": max(0.0, 1.0 - last.meta["wall_time_s"] / wall),
            "resources": kernel_resources(prob, opt, dtype)}


def check_mlp(nets, steps, dtype):
    """1-32-1 tanh networks with Adam: simsgd's CUDA target against PyTorch (torch.func vmap, and bmm) on the GPU."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_mlp

    a = bench_mlp.parser().parse_args(["--nets", str(nets), "--steps", str(steps), "--dtype", dtype, "--device", "cuda",
                                       "--rounds", "2", "--skip", "JAX"])
    return bench_mlp.compare(a)


def check_dim(d, runs, steps, cpu_runs, dtype):
    prob, opt = problem(d), ss.SGD(LR)
    t0 = time.perf_counter()
    ss.simulate(prob, opt, runs=min(runs, 256), steps=2, seed=SEED, target="cuda", dtype=dtype, progress=False)
    compile_s = time.perf_counter() - t0

    res = ss.simulate(prob, opt, runs=runs, steps=steps, seed=SEED, target="cuda", dtype=dtype, keep_theta=True,
                      progress=False)
    wall = res.meta["wall_time_s"]
    last = ss.simulate(prob, opt, runs=runs, steps=steps, seed=SEED, target="cuda", dtype=dtype,
                       record_every=steps, progress=False)
    wall_last = last.meta["wall_time_s"]

    cpu = ss.simulate(prob, opt, runs=cpu_runs, steps=steps, seed=SEED, target="cpu", dtype=dtype,
                      record_every=steps, progress=False)
    g, c = res.theta[:cpu_runs], cpu.theta
    rel = np.abs(g - c) / np.maximum(np.abs(c), 1e-300)
    exact = ss.theory.sgd_error_sq(res.steps, LR, prob.eigenvalues, prob.e0, prob.noise_var)
    z = zscores(res.mean("error_sq")[1:], res.sem("error_sq")[1:], exact[1:])
    return {
        "d": d, "runs": runs, "steps": steps, "dtype": dtype,
        "compile_s": compile_s, "wall_s": wall, "run_steps_per_s": runs * steps / wall,
        "wall_last_only_s": wall_last, "statistics_share": max(0.0, 1.0 - wall_last / wall),
        "cpu_runs": cpu_runs, "max_rel_diff_vs_cpu": float(rel.max()),
        "bit_identical_fraction": float(np.mean(g == c)),
        "max_abs_z_vs_exact": float(np.abs(z).max()), "diverged": int(res.diverged[-1]),
    }


def check_registry(runs, steps, dtype, problems=None):
    """Every registered problem (or those named) x optimizer on the GPU against the CPU target: same streams, so
    the same runs."""
    out = []
    for prob_cls in ss.PROBLEMS:
        if problems and prob_cls.__name__ not in problems:
            continue
        for opt_cls in ss.OPTIMIZERS:
            prob, opt = prob_cls.example(), opt_cls.example()
            t0 = time.perf_counter()
            gpu = ss.simulate(prob, opt, runs=runs, steps=steps, seed=SEED, target="cuda", dtype=dtype,
                              record_every=max(1, steps // 10), keep_theta=True, progress=False)
            first = time.perf_counter() - t0
            cpu = ss.simulate(prob, opt, runs=runs, steps=steps, seed=SEED, target="cpu", dtype=dtype,
                              record_every=max(1, steps // 10), keep_theta=True, progress=False)
            rel = np.abs(gpu.theta - cpu.theta) / np.maximum(np.abs(cpu.theta), 1e-300)
            m = cpu.metrics[0]
            mean_rel = np.nanmax(np.abs(gpu.mean(m) / cpu.mean(m) - 1))
            out.append({"problem": prob_cls.__name__, "optimizer": opt_cls.__name__, "dtype": dtype,
                        "first_call_s": first, "max_rel_diff_theta": float(rel.max()),
                        "max_rel_diff_mean": float(mean_rel), "bit_identical_fraction": float(np.mean(gpu.theta == cpu.theta)),
                        "same_counts": bool(np.array_equal(gpu.count, cpu.count))})
            print(json.dumps(out[-1]), flush=True)
    return out


def check_jax(d, runs, steps):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        return {"d": d, "skipped": str(exc)}
    jax.config.update("jax_enable_x64", True)
    lam = jnp.asarray(np.linspace(0.1, 1.0, d))

    def update(theta, z):
        return theta - LR * (lam * theta + z)

    @jax.jit
    def simulate(key):
        def step(theta, t):
            z = jax.random.normal(jax.random.fold_in(key, t), (runs, d), dtype=jnp.float64)
            theta = jax.vmap(update)(theta, z)
            return theta, jnp.mean(jnp.sum(theta**2, axis=1))

        theta, curve = jax.lax.scan(step, jnp.ones((runs, d)), jnp.arange(steps))
        return curve, theta

    key = jax.random.key(SEED)
    t0 = time.perf_counter()
    jax.block_until_ready(simulate(key))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    curve, _ = jax.block_until_ready(simulate(key))
    wall = time.perf_counter() - t0
    exact = ss.theory.sgd_error_sq(np.arange(1, steps + 1), LR, np.linspace(0.1, 1.0, d), 1.0, 1.0)
    return {"d": d, "backend": jax.default_backend(), "version": jax.__version__, "first_call_s": first,
            "wall_s": wall, "run_steps_per_s": runs * steps / wall,
            "final_rel_dev_vs_exact": float(abs(curve[-1] / exact[-1] - 1))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=1_000)
    ap.add_argument("--cpu-runs", type=int, default=4096)
    ap.add_argument("--dims", type=int, nargs="+", default=[8, 100])
    ap.add_argument("--dtype", default="float64")
    ap.add_argument("--tiny", action="store_true", help="simulator-sized: 64 runs, 6 steps, d = 3")
    ap.add_argument("--no-jax", action="store_true")
    ap.add_argument("--registry-runs", type=int, default=4096,
                    help="runs per registered problem x optimizer compared with the CPU (0: skip)")
    ap.add_argument("--problems", nargs="*", default=None, help="registry check for these problem classes only")
    ap.add_argument("--configs", action="store_true",
                    help="also time each (reduction, threads per block, register cap) of CONFIGS at every d")
    ap.add_argument("--mlp-nets", type=int, default=0, help="networks in the MLP comparison with PyTorch (0: skip)")
    ap.add_argument("--mlp-steps", type=int, default=1_000)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    if a.tiny:
        a.runs, a.steps, a.cpu_runs, a.dims, a.registry_runs = 64, 6, 64, [3], 0
        configs = [("shuffle", 32, None), ("tree", 32, None)]
        _cuda.THREADS_PER_BLOCK = 32
    else:
        configs = CONFIGS
        sys.setswitchinterval(1e-4)  # the simulator polls barriers under the GIL
    out_path = a.json or (os.path.join(os.environ["OUT"], "gpu_check.json") if os.environ.get("OUT") else None)
    report = {"device": _cuda.device_info(), "versions": provenance.versions(), "sgd": [], "jax": [], "registry": [],
              "configs": [], "mlp": []}

    def save():
        if out_path:
            with open(out_path, "w") as f:
                json.dump(report, f, indent=2)

    print(json.dumps(report["device"]), flush=True)
    for d in a.dims:
        r = check_dim(d, a.runs, a.steps, a.cpu_runs, a.dtype)
        report["sgd"].append(r)
        save()
        print(json.dumps(r), flush=True)
    if a.configs:
        default = (_cuda.REDUCTION, _cuda.THREADS_PER_BLOCK, _cuda.MAX_REGISTERS)
        for d in a.dims:
            for cfg in configs:
                r = {**configure(*cfg), **check_speed(d, a.runs, a.steps, a.dtype)}
                report["configs"].append(r)
                save()
                print(json.dumps(r), flush=True)
        configure(*default)
    if a.registry_runs:
        report["registry"] = check_registry(a.registry_runs, 200, a.dtype, a.problems)
        save()
    if not a.no_jax:
        for d in a.dims:
            r = check_jax(d, a.runs, a.steps)
            report["jax"].append(r)
            save()
            print(json.dumps(r), flush=True)

    if a.mlp_nets:
        for dtype in ("float64", "float32"):
            report["mlp"].append(check_mlp(a.mlp_nets, a.mlp_steps, dtype))
            save()

    print(f"\n| d | simsgd run-steps/s | statistics share | JAX run-steps/s | simsgd / JAX | "
          f"max rel diff vs CPU ({a.cpu_runs} runs) | bit-identical | max |z| vs exact |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    jax_by_d = {j["d"]: j for j in report["jax"] if "wall_s" in j}
    for r in report["sgd"]:
        j = jax_by_d.get(r["d"])
        jr = f"{j['run_steps_per_s']:.3g}" if j else "-"
        ratio = f"{r['run_steps_per_s'] / j['run_steps_per_s']:.1f}x" if j else "-"
        print(f"| {r['d']} | {r['run_steps_per_s']:.3g} | {r['statistics_share']:.0%} | {jr} | {ratio} | "
              f"{r['max_rel_diff_vs_cpu']:.1e} | {r['bit_identical_fraction']:.1%} | {r['max_abs_z_vs_exact']:.2f} |")
    tol = {"float64": 1e-9, "float32": 1e-4}
    agree = all(r["max_rel_diff_vs_cpu"] <= tol[r["dtype"]] for r in report["sgd"])
    if report["registry"]:
        print("\n| problem | optimizer | dtype | first call s | max rel diff theta | max rel diff mean | bit-identical |")
        print("|---|---|---|---:|---:|---:|---:|")
        for r in report["registry"]:
            print(f"| {r['problem']} | {r['optimizer']} | {r['dtype']} | {r['first_call_s']:.1f} | "
                  f"{r['max_rel_diff_theta']:.1e} | {r['max_rel_diff_mean']:.1e} | {r['bit_identical_fraction']:.1%} |")
        agree = agree and all(r["same_counts"] and r["max_rel_diff_mean"] <= tol[r["dtype"]] for r in report["registry"])
    if report["configs"]:
        print("\n| d | reduction | threads/block | register cap | registers | run-steps/s | statistics share | "
              "/ JAX |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|")
        for r in report["configs"]:
            j = jax_by_d.get(r["d"])
            ratio = f"{r['run_steps_per_s'] / j['run_steps_per_s']:.2f}x" if j else "-"
            print(f"| {r['d']} | {r['reduction']} | {r['threads_per_block']} | {r['register_cap'] or '-'} | "
                  f"{r['resources'].get('regs_per_thread')} | {r['run_steps_per_s']:.3g} | {r['statistics_share']:.0%} | "
                  f"{ratio} |")
    for m in report["mlp"]:
        print(f"\nMLP {m['workload']['dtype']}: " + ", ".join(f"{k} {v:.2f}x" for k, v in m["simsgd_speedup"].items()))
    print(f"\nCPU/GPU agreement {'PASS' if agree else 'FAIL'}")
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
