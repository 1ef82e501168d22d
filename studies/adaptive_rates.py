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
"""
import numpy as np

import simsgd as ss

CLAIMS = ("C22", "C23", "C24", "C25", "C27", "C28")
_BASE = {"flat": 0.01, "steep": 1.0, "coord_steps": 600, "target": 0.01, "read_steps": 40,
         "b1": 0.9, "b2": 0.999, "ball_dim": 10, "ball_noise": 0.5, "ball_steps": 8000, "adam_lr": 0.05}
SCALES = {"quick": {**_BASE, "runs": 300}, "full": {**_BASE, "runs": 5000}}
_RULES = {"SGD": ss.SGD(1.0), "Adagrad": ss.Adagrad(0.1), "RMSProp": ss.RMSProp(0.01, bias_correction=True),
          "Adam": ss.Adam(0.01)}


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
    adaptive = [n for n in _RULES if n != "SGD"]
    passed = (all(ratio[n] < ratio["SGD"] / 10 for n in adaptive) and all(e < 1e-12 for e in err.values())
              and numbers["diverged"] == 0)
    return passed, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
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
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
