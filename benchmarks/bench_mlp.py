"""Benchmark simsgd against PyTorch and JAX on training many small networks independently.

Workload: ``nets`` networks 1-``width``-1 with tanh, each from its own initialisation (``nn.Linear``'s
default, uniform +-1/sqrt(fan_in) for weights and biases), trained with Adam (lr 0.01, PyTorch's
defaults otherwise) on the mean squared error of y = sin(2 pi x) at ``n`` points x in [-1, 1], minibatches
of ``B`` rows drawn with replacement, ``steps`` steps; the mean training loss over the networks is
recorded every ``record`` steps (on all n points). Peers, each as usually written for this job:

- PyTorch, batched: the weights of all networks as (nets, out, in) tensors, ``torch.bmm``, autograd and
  one ``torch.optim.Adam`` over them (one optimizer for all nets is exact: Adam acts per coordinate).
- PyTorch, ``torch.func``: the model-ensembling recipe, ``vmap(grad(functional_call))`` over stacked
  module states, with Adam written out on the stacked tensors.
- JAX: one network's step written once, ``vmap`` over the networks inside one jitted ``lax.scan``.

All reach the same mean final loss within error bars (each draws its own initialisations and
batches). Implementations are interleaved in rounds; the speed-up is the median of the within-round
ratios. PyTorch and JAX are not project dependencies: a missing one is skipped.

    python benchmarks/bench_mlp.py [--nets 1000] [--width 32] [--n 256] [--batch 16] [--steps 1000] [--dtype float64]
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


def data(n):
    x = np.linspace(-1.0, 1.0, n)
    return x[:, None], np.sin(2 * np.pi * x)


def bench_simsgd(X, y, a):
    prob = ss.MLP((1, a.width, 1), "tanh", X, y, loss="mse", init="pytorch")
    t0 = time.perf_counter()
    ss.simulate(prob, ss.Adam(LR), runs=2, steps=2, batch_size=a.batch, dtype=a.dtype, progress=False,
                target=a.device)
    first = time.perf_counter() - t0

    def run():
        res = ss.simulate(prob, ss.Adam(LR), runs=a.nets, steps=a.steps, batch_size=a.batch, seed=SEED,
                          record_every=a.record, dtype=a.dtype, progress=False, keep_theta=False)
        return res.final("train_loss")
    return {"run": run, "first": first}


def bench_torch_batched(X, y, a):
    try:
        import torch
    except ImportError as e:
        print(f"PyTorch: skipped ({e})")
        return None
    torch.set_num_threads(os.cpu_count())
    dt = getattr(torch, a.dtype)
    dev = "cuda" if a.device == "cuda" else "cpu"
    Xt, yt = torch.tensor(X, dtype=dt, device=dev), torch.tensor(y, dtype=dt, device=dev)
    n, R, H = X.shape[0], a.nets, a.width
    g = torch.Generator(device=dev).manual_seed(SEED)

    def run():
        def uniform(shape, fan_in):
            return ((torch.rand(shape, generator=g, dtype=dt, device=dev) * 2 - 1) / fan_in ** 0.5).requires_grad_()
        W1, b1, W2, b2 = uniform((R, H, 1), 1), uniform((R, H, 1), 1), uniform((R, 1, H), H), uniform((R, 1, 1), H)
        opt = torch.optim.Adam([W1, b1, W2, b2], lr=LR)

        def net(x):  # x (R, 1, B) -> (R, 1, B)
            return torch.bmm(W2, torch.tanh(torch.bmm(W1, x) + b1)) + b2
        for t in range(a.steps):
            idx = torch.randint(0, n, (R, a.batch), generator=g, device=dev)
            loss = ((net(Xt[idx].transpose(1, 2)) - yt[idx][:, None, :]) ** 2).mean(dim=(1, 2)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if (t + 1) % a.record == 0:
                with torch.no_grad():
                    final = ((net(Xt.T.expand(R, 1, n)) - yt[None, None, :]) ** 2).mean(dim=(1, 2))
        return final.cpu().numpy()
    return {"run": run, "version": torch.__version__}


def bench_torch_func(X, y, a):
    try:
        import torch
        from torch import nn
        from torch.func import functional_call, grad, vmap
    except ImportError as e:
        print(f"PyTorch torch.func: skipped ({e})")
        return None
    dt = getattr(torch, a.dtype)
    dev = "cuda" if a.device == "cuda" else "cpu"
    Xt, yt = torch.tensor(X, dtype=dt, device=dev), torch.tensor(y, dtype=dt, device=dev)
    n, R, H = X.shape[0], a.nets, a.width
    torch.manual_seed(SEED)

    def run():
        # what stack_module_state returns for R copies of the module, drawn at once (nn.Linear's default init)
        def uniform(shape, fan_in):
            return (torch.rand(shape, dtype=dt, device=dev) * 2 - 1) / fan_in ** 0.5
        params = {"0.weight": uniform((R, H, 1), 1), "0.bias": uniform((R, H), 1),
                  "2.weight": uniform((R, 1, H), H), "2.bias": uniform((R, 1), H)}
        base = nn.Sequential(nn.Linear(1, H), nn.Tanh(), nn.Linear(H, 1)).to(dt).to("meta")

        def loss(p, xb, yb):
            return ((functional_call(base, p, (xb,))[:, 0] - yb) ** 2).mean()
        step_grad = vmap(grad(loss))
        full_loss = vmap(loss, in_dims=(0, None, None))
        m = {k: torch.zeros_like(v) for k, v in params.items()}
        v2 = {k: torch.zeros_like(v) for k, v in params.items()}
        b1, b2, eps = 0.9, 0.999, 1e-8
        for t in range(1, a.steps + 1):
            idx = torch.randint(0, n, (R, a.batch), device=dev)
            gr = step_grad(params, Xt[idx], yt[idx])
            with torch.no_grad():
                for k in params:
                    m[k].mul_(b1).add_(gr[k], alpha=1 - b1)
                    v2[k].mul_(b2).addcmul_(gr[k], gr[k], value=1 - b2)
                    denom = (v2[k] / (1 - b2 ** t)).sqrt_().add_(eps)
                    params[k] -= LR / (1 - b1 ** t) * m[k] / denom
            if t % a.record == 0:
                final = full_loss(params, Xt, yt)
        return final.cpu().numpy()
    return {"run": run}


def bench_jax(X, y, a):
    try:
        import jax
    except ImportError as e:
        print(f"JAX: skipped ({e})")
        return None
    jax.config.update("jax_enable_x64", a.dtype == "float64")
    import jax.numpy as jnp

    dt = jnp.float64 if a.dtype == "float64" else jnp.float32
    Xj, yj = jnp.asarray(X[:, 0], dtype=dt), jnp.asarray(y, dtype=dt)
    n, H = X.shape[0], a.width
    b1, b2, eps = 0.9, 0.999, 1e-8

    def init(key):
        k = jax.random.split(key, 4)
        u = lambda kk, shape, fan: jax.random.uniform(kk, shape, dt, -1.0, 1.0) / fan ** 0.5  # noqa: E731
        return (u(k[0], (H,), 1), u(k[1], (H,), 1), u(k[2], (H,), H), u(k[3], (), H))

    def loss(p, xb, yb):
        w1, c1, w2, c2 = p
        f = jnp.tanh(xb[:, None] * w1 + c1) @ w2 + c2
        return jnp.mean((f - yb) ** 2)

    def one_net(key):
        p = init(key)
        zeros = jax.tree_util.tree_map(jnp.zeros_like, p)

        def step(carry, t):
            p, m, v = carry
            idx = jax.random.randint(jax.random.fold_in(key, t), (a.batch,), 0, n)
            g = jax.grad(loss)(p, Xj[idx], yj[idx])
            m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
            v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
            tt = (t + 1).astype(dt)
            p = jax.tree_util.tree_map(lambda p, m, v: p - LR / (1 - b1 ** tt) * m / (jnp.sqrt(v / (1 - b2 ** tt)) + eps),
                                       p, m, v)
            return (p, m, v), None

        def chunk(carry, c):  # ``record`` steps, then the loss on all n points
            carry, _ = jax.lax.scan(step, carry, c * a.record + jnp.arange(a.record))
            return carry, loss(carry[0], Xj, yj)

        _, curve = jax.lax.scan(chunk, (p, zeros, zeros), jnp.arange(a.steps // a.record))
        return curve[-1]

    keys = jax.random.split(jax.random.key(SEED), a.nets)
    t0 = time.perf_counter()
    compiled = jax.jit(jax.vmap(one_net)).lower(keys).compile()
    compile_s = time.perf_counter() - t0
    return {"run": lambda: np.asarray(jax.block_until_ready(compiled(keys))), "compile": compile_s,
            "version": jax.__version__}


def parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nets", type=int, default=1_000)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=1_000)
    ap.add_argument("--record", type=int, default=100)
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="cuda: simsgd's CUDA target and PyTorch on the GPU (JAX uses its default backend)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip", nargs="*", default=[], help="implementations to leave out (e.g. 'torch.func')")
    return ap


def compare(a):
    """Run every implementation ``a.rounds`` times interleaved; print and return times, final losses and ratios."""
    X, y = data(a.n)
    print(f"workload: {a.nets} nets 1-{a.width}-1 tanh, n = {a.n}, B = {a.batch}, Adam, {a.steps} steps, {a.dtype}, "
          f"loss on all n points every {a.record} steps; {a.rounds} interleaved rounds; device {a.device}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numba threads "
          f"{numba.get_num_threads()}\n")
    builders = {"simsgd": bench_simsgd, "PyTorch bmm+autograd": bench_torch_batched,
                "PyTorch torch.func vmap": bench_torch_func, "JAX jit+vmap+scan": bench_jax}
    impls = {}
    for name, build in builders.items():
        if not any(s in name for s in a.skip):
            impl = build(X, y, a)
            if impl is not None:
                impls[name] = impl
    times = {k: [] for k in impls}
    finals = {}
    for _ in range(a.rounds):
        for name, impl in impls.items():
            t0 = time.perf_counter()
            finals[name] = np.asarray(impl["run"](), dtype=np.float64)
            times[name].append(time.perf_counter() - t0)
    ref = finals["simsgd"]
    print("mean final training loss over the nets (+- standard error), and z against simsgd's:")
    agree = True
    for name, f in finals.items():
        z = (f.mean() - ref.mean()) / np.hypot(f.std(ddof=1) / np.sqrt(f.size), ref.std(ddof=1) / np.sqrt(ref.size))
        agree &= abs(z) < 4 or name == "simsgd"
        print(f"  {name}: {f.mean():.5f} +- {f.std(ddof=1) / np.sqrt(f.size):.5f}" + ("" if name == "simsgd" else f" (z = {z:+.2f})"))
    print("all agree within 4 standard errors" if agree else "DISAGREEMENT: a peer does not train the same way")
    ratios = {k: statistics.median(t / s for t, s in zip(times[k], times["simsgd"])) for k in impls}
    print("\n| implementation | median s | net-steps/s | simsgd speed-up |")
    print("|---|---:|---:|---:|")
    for name in impls:
        med = statistics.median(times[name])
        print(f"| {name} | {med:.2f} | {a.nets * a.steps / med:.2e} | {ratios[name]:.1f}x |")
    extra = {k: v["compile"] for k, v in impls.items() if "compile" in v}
    print(f"\n(simsgd's first call, compile or cache load: {impls['simsgd']['first']:.1f} s; JAX compile "
          f"{extra.get('JAX jit+vmap+scan', float('nan')):.1f} s, not in the times)")
    return {"workload": {k: getattr(a, k) for k in ("nets", "width", "n", "batch", "steps", "record", "dtype", "device")},
            "median_s": {k: statistics.median(v) for k, v in times.items()},
            "net_steps_per_s": {k: a.nets * a.steps / statistics.median(v) for k, v in times.items()},
            "simsgd_speedup": ratios, "agree_within_4_se": bool(agree),
            "mean_final_loss": {k: float(f.mean()) for k, f in finals.items()},
            "simsgd_first_call_s": impls["simsgd"]["first"], "jax_compile_s": extra.get("JAX jit+vmap+scan")}


def main():
    compare(parser().parse_args())


if __name__ == "__main__":
    main()
