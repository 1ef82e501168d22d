"""The nine Keras optimizers of the lecture on one noisy quadratic, with bands.

Claim C29: SGD with momentum, Nesterov, RMSprop, Adagrad, Adadelta, Adam, Adamax, AMSGrad and
Nadam are available; each is built by ``from_framework("keras", ...)`` (Keras 3 semantics and
defaults, checked against Keras itself in the tests) and simulated on both targets' kernels.
The verdict: every rule runs without divergence and lowers the mean error significantly (by more
than the Bonferroni z times its standard error), and SGD with momentum matches the exact moment
recursion. The shrink factors are reported, not judged: Adadelta with Keras' eps = 1e-7 starts with
steps of order sqrt(eps) and is still slow after 500 steps.
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores

CLAIMS = ("C29",)
_BASE = {"dim": 10, "mu": 0.1, "L": 1.0, "noise_std": 0.5, "x0": 2.0, "steps": 500, "record_every": 2,
         "zoo": [["SGD", {"learning_rate": 0.05, "momentum": 0.9}],
                 ["SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}],
                 ["RMSprop", {"learning_rate": 0.01}],
                 ["Adagrad", {"learning_rate": 0.5}],
                 ["Adadelta", {"learning_rate": 1.0}],
                 ["Adam", {"learning_rate": 0.05}],
                 ["Adamax", {"learning_rate": 0.05}],
                 ["Adam", {"learning_rate": 0.05, "amsgrad": True}],
                 ["Nadam", {"learning_rate": 0.05}]]}
SCALES = {"quick": {**_BASE, "runs": 1000}, "full": {**_BASE, "runs": 20_000}}


def _label(name, kw):
    if kw.get("nesterov"):
        name = "SGD+Nesterov"
    elif kw.get("momentum"):
        name = "SGD+momentum"
    elif kw.get("amsgrad"):
        name = "AMSGrad"
    return f"{name} (lr {kw['learning_rate']})"


def _problem(p):
    return ss.Quadratic(np.linspace(p["mu"], p["L"], p["dim"]), p["noise_std"], p["x0"])


def simulate(p, ctx):
    prob = _problem(p)
    rows = []
    for i, (name, kw) in enumerate(p["zoo"]):
        rows.append(ctx.curve(f"opt{i}", prob, ss.from_framework("keras", name, **kw), p["runs"], p["steps"],
                              first_run=i * p["runs"], record_every=p["record_every"]))
    return {"steps": rows[0]["steps"], "mean": np.stack([r["mean"] for r in rows]),
            "sem": np.stack([r["sem"] for r in rows]), "diverged": np.stack([r["diverged"] for r in rows])}


def _heavy_ball_exact(p, kw, t):
    prob = _problem(p)
    beta = kw["momentum"]
    lr = kw["learning_rate"] / (1 - beta)  # heavy ball (lr, beta) is EWMA momentum (lr / (1 - beta), beta)
    return theory.momentum_error_sq(int(t[-1]), lr, beta, prob.eigenvalues, prob.e0, prob.noise_var,
                                    nesterov=bool(kw.get("nesterov")))[t]


def verdict(data, p):
    t = data["steps"]
    zc = z_threshold(t.size - 1)
    rows = []
    for i, (name, kw) in enumerate(p["zoo"]):
        row = {"optimizer": _label(name, kw), "final_error_sq": float(data["mean"][i, -1]),
               "final_sem": float(data["sem"][i, -1]), "shrink_factor": float(data["mean"][i, 0] / data["mean"][i, -1]),
               "diverged": int(data["diverged"][i, -1])}
        if name == "SGD" and not kw.get("nesterov"):
            ex = _heavy_ball_exact(p, kw, t)
            row["max_abs_z_vs_exact"] = float(np.abs(zscores(data["mean"][i, 1:], data["sem"][i, 1:], ex[1:])).max())
        rows.append(row)
    start = float(data["mean"][0, 0])
    passed = all(r["diverged"] == 0 and r["final_error_sq"] + zc * r["final_sem"] < start
                 and r.get("max_abs_z_vs_exact", 0.0) < zc for r in rows)
    return passed, {"runs": p["runs"], "z_critical": zc, "per_optimizer": rows}


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    t = data["steps"]
    with style() as plt:
        fig, ax = plt.subplots(1, 1, figsize=(8.5, 5))
        for i, row in enumerate(numbers["per_optimizer"]):
            band(ax, t + 1, data["mean"][i], data["sem"][i], row["optimizer"], color=f"C{i}")
        name, kw = p["zoo"][0]
        ax.plot(t + 1, _heavy_ball_exact(p, kw, t), "k--", lw=0.8, label="SGD+momentum, exact")
        ax.set(xscale="log", yscale="log", xlabel="step t + 1", ylabel="E||θ_t - θ*||²")
        verdict_title(ax, passed, f"the nine Keras optimizers, {p['runs']} runs each (95% bands)")
        ax.legend(ncol=2)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
