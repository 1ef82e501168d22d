"""The nine Keras optimizers of the lecture, each against an independent NumPy oracle, with bands.

Claim C29: SGD with momentum, Nesterov, RMSprop, Adagrad, Adadelta, Adam, Adamax, AMSGrad and
Nadam are available; each is built by ``from_framework("keras", ...)`` (Keras 3 semantics and
defaults, checked against Keras itself in the tests) and judged two ways against
``simsgd.oracle`` (plain NumPy, no kernel), with Keras' formulas (eps = 1e-7 unless noted):
    SGD+momentum  v = m v + g, x -= lr v             Nesterov  x -= lr (g + m v)
    RMSprop       v = rho v + (1 - rho) g^2, x -= lr g / sqrt(v + eps)        (rho 0.9)
    Adagrad       s = s + g^2 (s_0 = 0.1), x -= lr g / sqrt(s + eps)
    Adadelta      s, D as in ``Adadelta`` with rho 0.95, x -= lr sqrt(D + eps) / sqrt(s + eps) g
    Adam          x -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)     (AMSGrad: v -> max of v)
    Adamax        u = max(b2 u, |g|), x -= lr / (1 - b1^t) m / (u + eps)
    Nadam         Dozat's schedule mu_t = b1 (1 - 0.5 0.96^t), as in ``Nadam``
Open loop: the compiled step and the oracle fed the same random gradients give the same iterates
(to 1e-10 of their scale). Closed loop: on a noisy quadratic the mean error curves agree within
their joint standard error (the oracle draws its own noise). SGD with momentum also matches the
exact moment recursion. The shrink factors are reported: Adadelta with Keras' eps = 1e-7 starts
with steps of order sqrt(eps) and is still slow after 500 steps.
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.oracle import replay_rule, simulate_quadratic
from simsgd.workflow.claims import Claim

CLAIMS = ("C29",)
_BASE = {"dim": 10, "mu": 0.1, "L": 1.0, "noise_std": 0.5, "x0": 2.0, "steps": 500, "record_every": 10,
         "replay_steps": 300, "replay_seed": 7,
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


def _oracle(name, kw):
    """(oracle rule, its hyperparameters) for Keras' ``name(**kw)``, from the formulas above."""
    lr, eps = kw["learning_rate"], 1e-7
    adam = dict(lr=lr, b1=0.9, b2=0.999, eps=eps)
    return {
        "SGD": lambda: ("heavy_ball", dict(lr=lr, momentum=kw.get("momentum", 0.0), nesterov=kw.get("nesterov", False))),
        "RMSprop": lambda: ("rmsprop", dict(lr=lr, rho=0.9, eps=eps)),
        "Adagrad": lambda: ("adagrad", dict(lr=lr, eps=eps, initial_accumulator=0.1)),
        "Adadelta": lambda: ("adadelta", dict(lr=lr, rho=0.95, eps=eps)),
        "Adam": lambda: ("adam", dict(adam, placement="scaled", amsgrad=kw.get("amsgrad", False))),
        "Adamax": lambda: ("adamax", adam),
        "Nadam": lambda: ("nadam", dict(adam, momentum_decay=1.0)),
    }[name]()


def _problem(p):
    return ss.Quadratic(np.linspace(p["mu"], p["L"], p["dim"]), p["noise_std"], p["x0"])


def simulate(p, ctx):
    prob = _problem(p)
    grads = np.random.default_rng(p["replay_seed"]).normal(size=(p["replay_steps"], p["dim"]))
    grads *= np.geomspace(0.01, 3.0, p["dim"])  # gradient scales on both sides of sqrt(eps) and of 1
    rows, oracle, sim_replay, oracle_replay = [], [], [], []
    for i, (name, kw) in enumerate(p["zoo"]):
        opt = ss.from_framework("keras", name, **kw)
        rows.append(ctx.curve(f"opt{i}", prob, opt, p["runs"], p["steps"], first_run=i * p["runs"],
                              record_every=p["record_every"]))
        rule, hyper = _oracle(name, kw)
        oracle.append(ctx.point(f"oracle{i}", lambda: {"curve": simulate_quadratic(
            rule, hyper, prob.eigenvalues, p["noise_std"], p["x0"], p["runs"], p["steps"], p["record_every"],
            [ctx.seed, i])})["curve"])
        sim_replay.append(ss.replay(opt, p["x0"], grads))
        oracle_replay.append(replay_rule(rule, p["x0"], grads, **hyper))
    return {"steps": rows[0]["steps"], "mean": np.stack([r["mean"] for r in rows]),
            "sem": np.stack([r["sem"] for r in rows]), "diverged": np.stack([r["diverged"] for r in rows]),
            "oracle_mean": np.stack([o[0] for o in oracle]), "oracle_sem": np.stack([o[1] for o in oracle]),
            "replay": np.stack(sim_replay), "oracle_replay": np.stack(oracle_replay)}


def _heavy_ball_exact(p, kw, t):
    prob = _problem(p)
    beta = kw["momentum"]
    lr = kw["learning_rate"] / (1 - beta)  # heavy ball (lr, beta) is EWMA momentum (lr / (1 - beta), beta)
    return theory.momentum_error_sq(int(t[-1]), lr, beta, prob.eigenvalues, prob.e0, prob.noise_var,
                                    nesterov=bool(kw.get("nesterov")))[t]


def verdict(data, p):
    t = data["steps"]
    n = len(p["zoo"])
    zc = z_threshold((n + 1) * (t.size - 1))
    rows = []
    for i, (name, kw) in enumerate(p["zoo"]):
        m, se = data["mean"][i], data["sem"][i]
        om, ose = data["oracle_mean"][i], data["oracle_sem"][i]
        rep, orep = data["replay"][i], data["oracle_replay"][i]
        row = {"optimizer": _label(name, kw), "final_error_sq": float(m[-1]), "final_sem": float(se[-1]),
               "oracle_final_error_sq": float(om[-1]), "shrink_factor": float(m[0] / m[-1]),
               "max_abs_z_vs_numpy": float(np.max(np.abs(m[1:] - om[1:]) / np.hypot(se[1:], ose[1:]))),
               "replay_max_rel_diff": float(np.max(np.abs(rep - orep)) / np.max(np.abs(orep))),
               "diverged": int(data["diverged"][i, -1])}
        if name == "SGD" and not kw.get("nesterov"):
            ex = _heavy_ball_exact(p, kw, t)
            row["max_abs_z_vs_exact"] = float(np.abs(zscores(m[1:], se[1:], ex[1:])).max())
        rows.append(row)
    worst_z = max(r["max_abs_z_vs_numpy"] for r in rows)
    worst_rep = max(r["replay_max_rel_diff"] for r in rows)
    shrink = sorted((r["shrink_factor"], r["optimizer"]) for r in rows)
    c29 = Claim("supported", (
        f"all nine Keras rules, built by from_framework('keras', ...), equal NumPy implementations of Keras' "
        f"formulas: fed the same gradients to {worst_rep:.0e} (relative), and over {p['runs']:,} noisy runs within "
        f"the joint standard error (max |z| {worst_z:.2f}, threshold {zc:.2f}); SGD+momentum equals the exact "
        f"recursion (max |z| {rows[0]['max_abs_z_vs_exact']:.2f}); error shrinks ×{shrink[0][0]:.1f} "
        f"({shrink[0][1]}) to ×{shrink[-1][0]:.0f} ({shrink[-1][1]}) in {p['steps']} steps, no run diverges"), {
        "same_gradients_same_iterates": worst_rep < 1e-10,
        "closed_loop_matches_numpy": worst_z < zc,
        "momentum_matches_exact": rows[0]["max_abs_z_vs_exact"] < zc,
        "no_divergence": all(r["diverged"] == 0 for r in rows)})
    return {"C29": c29}, {"runs": p["runs"], "z_critical": zc, "per_optimizer": rows}


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, marks, style, verdict_title

    t = data["steps"]
    with style() as plt:
        fig, ax = plt.subplots(1, 1, figsize=(8.5, 5))
        for i, row in enumerate(numbers["per_optimizer"]):
            band(ax, t, data["mean"][i], data["sem"][i], row["optimizer"], color=f"C{i}", **marks(i, t.size))
            ax.plot(t, data["oracle_mean"][i], "k:", lw=0.8)
        name, kw = p["zoo"][0]
        ax.plot(t, _heavy_ball_exact(p, kw, t), "k--", lw=0.8, label="SGD+momentum, exact")
        ax.plot([], [], "k:", lw=0.8, label="NumPy oracle (Keras' formulas)")
        ax.set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²")
        verdict_title(ax, passed, f"the nine Keras optimizers, {p['runs']} runs each (95% bands)")
        ax.legend(ncol=2)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
