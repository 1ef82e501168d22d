"""Benchmark simsgd against NumPy and JAX on minibatch SGD over a finite least-squares dataset.

Workload: ``runs`` independent runs of SGD (lr 0.01) on least squares over a Gaussian design with
``n`` rows and ``p`` features, minibatches of ``B`` rows, ``steps`` steps, float64, the mean over
runs of ||theta_t - theta_hat||^2 recorded at every step; rows drawn with replacement, and in
epochs (a fresh permutation per run and epoch, drop_last). Each implementation's final mean is
compared with the others' (with replacement also with the exact recursion, ``theory.sgd_moments``).
Implementations are interleaved in rounds; the speed-up is the median of the within-round ratios.

    python benchmarks/bench_least_squares.py [--runs 10000] [--n 10000] [--p 20] [--batch 32] [--steps 1000]
"""
import argparse
import os
import platform
import statistics
import time

import numba
import numpy as np

import simsgd as ss

LR = 0.01
SEED = 0


def data(n, p):
    X, y, _ = ss.gaussian_design(n, p, noise=1.0, seed=1)
    return X, y


def bench_simsgd(X, y, runs, steps, B, sampling):
    prob = ss.LeastSquares(X, y, sampling=sampling)
    t0 = time.perf_counter()
    ss.simulate(ss.LeastSquares(X[:B], y[:B], sampling=sampling), ss.SGD(LR), runs=2, steps=2, batch_size=B,
                progress=False)
    first = time.perf_counter() - t0

    def run():
        return ss.simulate(prob, ss.SGD(LR), runs=runs, steps=steps, batch_size=B, seed=SEED, progress=False,
                           keep_theta=False).mean("error_sq")
    return {"run": run, "first": first}


def numpy_sgd(X, y, runs, steps, B, sampling, theta_hat):
    """As usually written: (runs, p) parameters, the batch rows gathered per step, a Python loop over steps."""
    n, p = X.shape
    rng = np.random.default_rng(SEED)
    theta = np.zeros((runs, p))
    curve = np.empty(steps + 1)
    curve[0] = ((theta - theta_hat) ** 2).sum(1).mean()
    per_epoch = n // B
    perm = None
    for t in range(steps):
        if sampling == "with_replacement":
            idx = rng.integers(0, n, size=(runs, B))
        else:
            k = t % per_epoch
            if k == 0:
                perm = rng.permuted(np.broadcast_to(np.arange(n, dtype=np.int32), (runs, n)), axis=1)
            idx = perm[:, k * B:(k + 1) * B]
        Xb = X[idx]                                   # (runs, B, p)
        r = np.einsum("rbp,rp->rb", Xb, theta) - y[idx]
        theta -= LR * np.einsum("rbp,rb->rp", Xb, r) / B
        curve[t + 1] = ((theta - theta_hat) ** 2).sum(1).mean()
    return curve


def bench_jax(X, y, runs, steps, B, sampling, theta_hat):
    try:
        import jax
    except ImportError as e:
        print(f"JAX: skipped ({e})")
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    Xj, yj, th = jnp.asarray(X), jnp.asarray(y), jnp.asarray(theta_hat)
    n, p = X.shape
    per_epoch = n // B

    def one_run(key):
        def step(carry, t):
            theta, perm = carry
            if sampling == "with_replacement":
                idx = jax.random.randint(jax.random.fold_in(key, t), (B,), 0, n)
            else:  # a fresh permutation at each epoch start, carried between steps (t is the same for every run,
                # so under vmap the cond stays a branch)
                perm = jax.lax.cond(t % per_epoch == 0,
                                    lambda: jax.random.permutation(jax.random.fold_in(key, t // per_epoch), n),
                                    lambda: perm)
                idx = jax.lax.dynamic_slice(perm, ((t % per_epoch) * B,), (B,))
            Xb = Xj[idx]
            theta = theta - LR * Xb.T @ (Xb @ theta - yj[idx]) / B
            return (theta, perm), jnp.sum((theta - th) ** 2)

        _, err = jax.lax.scan(step, (jnp.zeros(p), jnp.arange(n)), jnp.arange(steps))
        return err

    def simulate_jax(keys):
        err = jax.vmap(one_run)(keys)
        return jnp.concatenate([jnp.sum(th**2)[None], err.mean(axis=0)])

    keys = jax.random.split(jax.random.key(SEED), runs)
    t0 = time.perf_counter()
    compiled = jax.jit(simulate_jax).lower(keys).compile()
    compile_s = time.perf_counter() - t0
    return {"run": lambda: np.asarray(jax.block_until_ready(compiled(keys))), "compile": compile_s,
            "version": jax.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--p", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=1_000)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    X, y = data(a.n, a.p)
    theta_hat = ss.theory.minimiser(X, y)
    print(f"workload: {a.runs} runs, n = {a.n}, p = {a.p}, B = {a.batch}, {a.steps} steps, float64, record every "
          f"step; {a.rounds} interleaved rounds; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}\n")
    rows = []
    for sampling in ("with_replacement", "epochs"):
        impls = {"simsgd": bench_simsgd(X, y, a.runs, a.steps, a.batch, sampling),
                 "NumPy": {"run": lambda s=sampling: numpy_sgd(X, y, a.runs, a.steps, a.batch, s, theta_hat)}}
        j = bench_jax(X, y, a.runs, a.steps, a.batch, sampling, theta_hat)
        if j is not None:
            impls["JAX jit+vmap+scan"] = j
        times = {k: [] for k in impls}
        finals = {}
        for _ in range(a.rounds):
            for name, impl in impls.items():
                t0 = time.perf_counter()
                curve = impl["run"]()
                times[name].append(time.perf_counter() - t0)
                finals[name] = float(np.asarray(curve)[-1])
        ratios = {k: statistics.median(t / s for t, s in zip(times[k], times["simsgd"])) for k in impls}
        exact = ss.theory.sgd_moments(X, y, LR, a.steps, 0.0, a.batch)[0][-1] if sampling == "with_replacement" \
            else None
        print(f"{sampling}: final E||theta - theta_hat||^2 " + ", ".join(f"{k} {v:.5g}" for k, v in finals.items())
              + (f", exact {exact:.5g}" if exact is not None else ""))
        for name in impls:
            med = statistics.median(times[name])
            rows.append((sampling, name, med, a.runs * a.steps / med, ratios[name]))
    print("\n| sampling | implementation | median s | run-steps/s | simsgd speed-up |")
    print("|---|---|---:|---:|---:|")
    for sampling, name, med, rate, ratio in rows:
        print(f"| {sampling} | {name} | {med:.2f} | {rate:.2e} | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
