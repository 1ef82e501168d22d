"""Per-coordinate adaptive rates: Adagrad, RMSProp, Adam, Adamax, Nadam, Adadelta.

Claims C22, C23, C24, C25, C27 and C28. On two separable directions with curvatures 0.01 and 1 (noise-free),
SGD needs ~kappa times more steps on the flat one; Adagrad, RMSProp and Adam rescale each coordinate
by its own gradient history and need about as many on both (measured: steps to reach (x - x*)^2 <=
0.01 from 1). Read off the compiled steps with ``replay`` (exact): Adagrad's rate
alpha / sqrt(sum g^2) decays like alpha / sqrt(t) under a constant gradient (C22); Adamax's
u_t = max(b2 u_{t-1}, |g_t|) after one unit gradient (C25); Nadam's update uses the look-ahead
average b1 m_hat_t + (1 - b1) g_t / (1 - b1^t) (C27, optax's constant schedule). Adadelta (C28) is
run at alpha0 = 0.5, 1, 2 against Adam at alpha and 2 alpha on a noisy quadratic; its balls are
reported, not judged.

Against an independent oracle: Adagrad, bias-corrected RMSProp and Adam (the lecture's form, epsilon
inside the root, and the paper's, outside) on a noisy quadratic with curvatures from 0.01 to 1 in
six dimensions and epsilon comparable to v (so its placement matters), each simulated by simsgd and by
a NumPy implementation written from these formulas with its own random numbers; the mean error
curves must agree within their joint standard error:
    Adagrad   s_t = s_{t-1} + g_t^2,                   theta -= lr g_t / sqrt(s_t + eps)
    RMSProp   v_t = rho v_{t-1} + (1 - rho) g_t^2,      theta -= lr g_t / sqrt(v_t / (1 - rho^t) + eps)
    Adam      m_t, v_t as above with b1, b2,            theta -= lr m_hat / sqrt(v_hat + eps)   (lecture)
                                                        theta -= lr m_hat / (sqrt(v_hat) + eps) (paper)
with m_hat = m_t / (1 - b1^t), v_hat = v_t / (1 - b2^t), all state starting at 0.
"""
import numpy as np

import simsgd as ss
from simsgd.engine.statistics import z_threshold

CLAIMS = ("C22", "C23", "C24", "C25", "C27", "C28")
_BASE = {"flat": 0.01, "steep": 1.0, "coord_steps": 600, "target": 0.01, "read_steps": 40,
         "b1": 0.9, "b2": 0.999, "ball_dim": 10, "ball_noise": 0.5, "ball_steps": 8000, "adam_lr": 0.05}
_BASE.update({"oracle_dim": 6, "oracle_noise": 0.1, "oracle_eps": 1e-2, "oracle_lr": 0.05, "oracle_rho": 0.9,
              "oracle_steps": 400, "oracle_every": 10})
SCALES = {"quick": {**_BASE, "runs": 300, "oracle_runs": 2000}, "full": {**_BASE, "runs": 5000, "oracle_runs": 20_000}}
_RULES = {"SGD": ss.SGD(1.0), "Adagrad": ss.Adagrad(0.1), "RMSProp": ss.RMSProp(0.01, bias_correction=True),
          "Adam": ss.Adam(0.01)}


def _oracle_rules(p):
    lr, eps = p["oracle_lr"], p["oracle_eps"]
    return {"Adagrad": ss.Adagrad(lr, eps=eps),
            "RMSProp": ss.RMSProp(lr, rho=p["oracle_rho"], eps=eps, bias_correction=True),
            "Adam": ss.Adam(lr, p["b1"], p["b2"], eps),
            "Adam_eps_outside": ss.Adam(lr, p["b1"], p["b2"], eps, eps_placement="outside")}


def _oracle_problem(p):
    return ss.Quadratic(np.logspace(-2, 0, p["oracle_dim"]), p["oracle_noise"], 1.0)


def _numpy_oracle(name, p, seed):
    """Mean and standard error of ||theta_t||^2 at steps 0, every, 2 every, ... by the module docstring's formulas."""
    rng = np.random.default_rng(seed)
    R, d, T = p["oracle_runs"], p["oracle_dim"], p["oracle_steps"]
    lam, sig = np.logspace(-2, 0, d), p["oracle_noise"]
    lr, eps, rho, b1, b2 = p["oracle_lr"], p["oracle_eps"], p["oracle_rho"], p["b1"], p["b2"]
    x = np.ones((R, d))
    m, v, s = np.zeros((R, d)), np.zeros((R, d)), np.zeros((R, d))
    out = []
    for t in range(T + 1):
        if t % p["oracle_every"] == 0 or t == T:
            e = (x**2).sum(axis=1)
            out.append((e.mean(), e.std(ddof=1) / np.sqrt(R)))
        if t == T:
            break
        k = t + 1
        g = lam * x + sig * rng.standard_normal((R, d))
        if name == "Adagrad":
            s += g * g
            x -= lr * g / np.sqrt(s + eps)
        elif name == "RMSProp":
            v = rho * v + (1 - rho) * g * g
            x -= lr * g / np.sqrt(v / (1 - rho**k) + eps)
        else:
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            mh, vh = m / (1 - b1**k), v / (1 - b2**k)
            x -= lr * mh / (np.sqrt(vh + eps) if name == "Adam" else np.sqrt(vh) + eps)
    return np.array(out).T


def _impulse(n):
    g = np.zeros((n, 1))
    g[0, 0] = 1.0
    return g


def simulate(p, ctx):
    out = {}
    for name, opt in _RULES.items():
        for tag in ("flat", "steep"):
            r = ctx.curve(f"{name}_{tag}", ss.Quadratic([p[tag]], 0.0, 1.0), opt, 1, p["coord_steps"])
            out[f"coord_{name}_{tag}"] = r["mean"]
    T = p["read_steps"]
    out["adagrad_steps"] = -np.diff(ss.replay(ss.Adagrad(1.0, eps=1e-300), 0.0, np.ones((T, 1)))[:, 0])
    out["adamax_steps"] = -np.diff(ss.replay(ss.Adamax(1.0, p["b1"], p["b2"], eps=0.0), 0.0, _impulse(T))[:, 0])
    g = np.random.default_rng(0).normal(size=(T, 1))
    out["nadam_grads"] = g[:, 0]
    out["nadam_steps"] = -np.diff(ss.replay(ss.Nadam(1.0, p["b1"], p["b2"], 1e-8, momentum_decay=None), 0.0,
                                            g)[:, 0])
    prob = ss.Quadratic(np.linspace(0.1, 1.0, p["ball_dim"]), p["ball_noise"], 2.0)
    balls = []
    for i, opt in enumerate([ss.Adadelta(a) for a in (0.5, 1.0, 2.0)]
                            + [ss.Adam(p["adam_lr"] * a) for a in (0.5, 1.0, 2.0)]):
        r = ctx.curve(f"ball{i}", prob, opt, p["runs"], p["ball_steps"], first_run=i * p["runs"],
                      record_every=p["ball_steps"] // 40)
        balls.append(r)
    out["ball_steps"] = balls[0]["steps"]
    out["ball_mean"] = np.stack([b["mean"] for b in balls])
    out["ball_sem"] = np.stack([b["sem"] for b in balls])
    out["ball_diverged"] = np.stack([b["diverged"] for b in balls])
    for i, (name, opt) in enumerate(_oracle_rules(p).items()):
        r = ctx.curve(f"oracle_{name}", _oracle_problem(p), opt, p["oracle_runs"], p["oracle_steps"],
                      record_every=p["oracle_every"], first_run=10 * p["runs"])
        out[f"oracle_{name}_sim"] = np.stack([r["mean"], r["sem"]])
        out[f"oracle_{name}_diverged"] = r["diverged"]
        out[f"oracle_{name}_numpy"] = _numpy_oracle(name, p, [ctx.seed, i])
        out["oracle_steps"] = r["steps"]
    return out


def _reach(curve, level):
    idx = np.flatnonzero(curve <= level)
    return int(idx[0]) if idx.size else -1


def verdict(data, p):
    reach = {name: {tag: _reach(data[f"coord_{name}_{tag}"], p["target"]) for tag in ("flat", "steep")}
             for name in _RULES}
    ratio = {n: (r["flat"] / r["steep"]) if min(r.values()) > 0 else float("inf") for n, r in reach.items()}
    b1, b2, T = p["b1"], p["b2"], p["read_steps"]
    t = np.arange(1, T + 1)
    # Nadam (constant schedule) from the same gradients, written out
    g = data["nadam_grads"]
    m = v = 0.0
    want = []
    for k, gk in enumerate(g, start=1):
        m = b1 * m + (1 - b1) * gk
        v = b2 * v + (1 - b2) * gk * gk
        mh = b1 * m / (1 - b1 ** (k + 1)) + (1 - b1) * gk / (1 - b1**k)
        want.append(mh / (np.sqrt(v / (1 - b2**k)) + 1e-8))
    err = {"adagrad_1_over_sqrt_t": float(np.max(np.abs(data["adagrad_steps"] - 1 / np.sqrt(t)))),
           "adamax": float(np.max(np.abs(data["adamax_steps"]
                                         - (1 - b1) * b1 ** (t - 1) / ((1 - b1**t) * b2 ** (t - 1))))),
           "nadam_lookahead_average": float(np.max(np.abs(data["nadam_steps"] - np.array(want))))}
    final = data["ball_mean"][:, -1]
    numbers = {"runs": p["runs"], "steps_to_target": reach, "flat_over_steep": ratio,
               "max_abs_readoff_error": err,
               "adadelta_ball_alpha0_0.5_1_2": final[:3].tolist(), "adam_ball_lr_x0.5_1_2": final[3:].tolist(),
               "adadelta_ball_ratio_2_over_1": float(final[2] / final[1]),
               "adam_ball_ratio_2_over_1": float(final[5] / final[4]),
               "diverged": int(data["ball_diverged"][:, -1].sum())}
    oracle = list(_oracle_rules(p))
    zc = z_threshold(len(oracle) * (data["oracle_steps"].size - 1))
    zmax = {}
    for name in oracle:
        (a, sa), (b, sb) = data[f"oracle_{name}_sim"][:, 1:], data[f"oracle_{name}_numpy"][:, 1:]
        zmax[name] = float(np.max(np.abs(a - b) / np.sqrt(sa**2 + sb**2)))
    ball = {name: float(data[f"oracle_{name}_sim"][0, -1]) for name in oracle}
    numbers.update({"oracle_runs": p["oracle_runs"], "oracle_z_critical": zc,
                    "oracle_max_abs_z_simsgd_vs_numpy": zmax, "oracle_final_error_sq": ball,
                    "adam_final_error_eps_inside_over_outside": ball["Adam"] / ball["Adam_eps_outside"],
                    "oracle_diverged": int(sum(data[f"oracle_{n}_diverged"][-1] for n in oracle))})
    adaptive = [n for n in _RULES if n != "SGD"]
    passed = (all(ratio[n] < ratio["SGD"] / 10 for n in adaptive) and all(e < 1e-12 for e in err.values())
              and numbers["diverged"] == 0 and all(z < zc for z in zmax.values())
              and numbers["oracle_diverged"] == 0)
    return passed, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    with style() as plt:
        fig, ax = plt.subplots(1, 4, figsize=(20, 4.2))
        s = np.arange(p["coord_steps"] + 1)
        for i, name in enumerate(_RULES):
            for tag, ls in (("flat", "-"), ("steep", "--")):
                ax[0].plot(s + 1, data[f"coord_{name}_{tag}"], ls, color=f"C{i}",
                           label=f"{name}, λ = {p[tag]}" if tag == "flat" else None)
        ax[0].axhline(p["target"], color="k", lw=0.8, ls=":")
        ax[0].set(xscale="log", yscale="log", xlabel="step t + 1", ylabel="(x_t - x*)²", ylim=(1e-8, 2))
        verdict_title(ax[0], passed, "per-coordinate rates (dashed: λ = 1)")
        ax[0].legend()
        t = np.arange(1, p["read_steps"] + 1)
        ax[1].plot(t, data["adagrad_steps"], "o", ms=3, label="Adagrad step, constant gradient (kernel)")
        ax[1].plot(t, 1 / np.sqrt(t), "k-", lw=0.8, label="α / √t")
        ax[1].set(xscale="log", yscale="log", xlabel="step t", ylabel="step size / α", title="Adagrad's decay")
        ax[1].legend()
        st = data["ball_steps"]
        labels = [f"Adadelta α0 = {a}" for a in (0.5, 1, 2)] + [f"Adam α = {p['adam_lr'] * a:g}" for a in (0.5, 1, 2)]
        for i, lab in enumerate(labels):
            band(ax[2], st, data["ball_mean"][i], data["ball_sem"][i], lab, color=f"C{i}",
                 ls="-" if i < 3 else "--")
        ax[2].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²",
                  title=f"noisy quadratic, {p['runs']} runs: the balls")
        ax[2].legend(ncol=2)
        so = data["oracle_steps"]
        for i, name in enumerate(_oracle_rules(p)):
            mean, sem = data[f"oracle_{name}_sim"]
            band(ax[3], so, mean, sem, f"{name} (simsgd)", color=f"C{i}")
            ax[3].plot(so, data[f"oracle_{name}_numpy"][0], "k:", lw=1)
        ax[3].plot([], [], "k:", label="NumPy from the formulas")
        ax[3].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²",
                  title=f"vs a NumPy oracle: max|z| = {max(numbers['oracle_max_abs_z_simsgd_vs_numpy'].values()):.2f}"
                        f" (ε = {p['oracle_eps']})")
        ax[3].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
