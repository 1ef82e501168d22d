"""Momentum as an exponentially weighted average: its weights, its effective rate, and a smaller ball.

Claim C19. m_t = b1 m_{t-1} + (1 - b1) g_t weighs g_{t-k} by (1 - b1) b1^k, so the newest gradient
moves theta by alpha (1 - b1): the lecture's effective rate, read off the compiled step. Those
weights sum to one, so where the gradient varies slowly (small alpha) momentum at alpha tracks
plain SGD at alpha, not at alpha (1 - b1): both comparisons are measured. At a high alpha the
average also averages the noise: momentum keeps a smaller noise ball than SGD at the same alpha
without a larger batch, as the exact moment recursion (``theory.momentum_error_sq``) says.
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores

CLAIMS = ("C19",)
_BASE = {"dim": 20, "mu": 0.1, "L": 1.0, "noise_std": 1.0, "x0": 3.0, "b1": 0.9, "slow_lr": 0.01,
         "fast_lr": 1.5, "steps": 3000, "record_every": 10, "weights_shown": 40}
SCALES = {"quick": {**_BASE, "runs": 1000}, "full": {**_BASE, "runs": 20_000}}


def _problem(p):
    return ss.Quadratic(np.linspace(p["mu"], p["L"], p["dim"]), p["noise_std"], p["x0"])


def simulate(p, ctx):
    prob = _problem(p)
    out = {}
    # the weights, read off the compiled step: a unit gradient at step 1, then zeros
    impulse = np.zeros((p["weights_shown"], 1))
    impulse[0, 0] = 1.0
    out["weights"] = -np.diff(ss.replay(ss.Momentum(1.0, p["b1"]), 0.0, impulse)[:, 0])
    runs = {"slow_momentum": ss.Momentum(p["slow_lr"], p["b1"]),
            "slow_sgd": ss.SGD(p["slow_lr"]),
            "slow_sgd_damped": ss.SGD(p["slow_lr"] * (1 - p["b1"])),
            "fast_momentum": ss.Momentum(p["fast_lr"], p["b1"]),
            "fast_sgd": ss.SGD(p["fast_lr"])}
    for i, (tag, opt) in enumerate(runs.items()):
        r = ctx.curve(tag, prob, opt, p["runs"], p["steps"], first_run=i * p["runs"], record_every=p["record_every"])
        out[f"{tag}_mean"], out[f"{tag}_sem"], out[f"{tag}_diverged"] = r["mean"], r["sem"], r["diverged"]
        out["steps"] = r["steps"]
    return out


def _exact(p, t):
    prob = _problem(p)
    lam, e0, s2, b1 = prob.eigenvalues, prob.e0, prob.noise_var, p["b1"]
    T = int(t[-1])
    full = {
        "slow_momentum": theory.momentum_error_sq(T, p["slow_lr"], b1, lam, e0, s2),
        "slow_sgd": theory.sgd_error_sq(np.arange(T + 1), p["slow_lr"], lam, e0, s2),
        "slow_sgd_damped": theory.sgd_error_sq(np.arange(T + 1), p["slow_lr"] * (1 - b1), lam, e0, s2),
        "fast_momentum": theory.momentum_error_sq(T, p["fast_lr"], b1, lam, e0, s2),
        "fast_sgd": theory.sgd_error_sq(np.arange(T + 1), p["fast_lr"], lam, e0, s2),
    }
    return {k: v[t] for k, v in full.items()}


def verdict(data, p):
    t = data["steps"]
    ex = _exact(p, t)
    prob = _problem(p)
    zc = z_threshold(len(ex) * (t.size - 1))
    zmax = {k: float(np.abs(zscores(data[f"{k}_mean"][1:], data[f"{k}_sem"][1:], ex[k][1:])).max()) for k in ex}
    k = np.arange(data["weights"].size)
    weights_err = float(np.max(np.abs(data["weights"] - (1 - p["b1"]) * p["b1"] ** k)))
    slow_gap = float(np.max(np.abs(ex["slow_momentum"] / ex["slow_sgd"] - 1)))
    sim_slow_gap = float(np.max(np.abs(data["slow_momentum_mean"] / data["slow_sgd_mean"] - 1)))
    damped_gap = float(np.max(np.abs(ex["slow_momentum"] / ex["slow_sgd_damped"] - 1)))
    # the newest gradient's coefficient, read off the kernel: alpha (1 - b1) for a unit alpha
    newest = float(data["weights"][0])
    ball_m = theory.momentum_error_sq_limit(p["fast_lr"], p["b1"], prob.eigenvalues, prob.noise_var)
    ball_s = theory.sgd_error_sq_limit(p["fast_lr"], prob.eigenvalues, prob.noise_var)
    numbers = {
        "runs": p["runs"], "z_critical": zc, "max_abs_z_vs_exact": zmax,
        "max_weight_error": weights_err, "newest_gradient_coefficient_over_lr": newest,
        "slow_regime_max_rel_gap_vs_sgd_at_lr_exact": slow_gap,
        "slow_regime_max_rel_gap_vs_sgd_at_lr_simulated": sim_slow_gap,
        "slow_regime_max_rel_gap_vs_sgd_at_lr_times_1_minus_b1_exact": damped_gap,
        "fast_ball_momentum_exact": ball_m, "fast_ball_sgd_exact": ball_s,
        "fast_ball_momentum_simulated": float(data["fast_momentum_mean"][-1]),
        "fast_ball_sgd_simulated": float(data["fast_sgd_mean"][-1]),
        "ball_ratio_simulated": float(data["fast_momentum_mean"][-1] / data["fast_sgd_mean"][-1]),
        "diverged": int(sum(data[f"{k}_diverged"][-1] for k in ex)),
    }
    passed = (all(z < zc for z in zmax.values()) and weights_err < 1e-14 and abs(newest - (1 - p["b1"])) < 1e-15
              and slow_gap < 0.1 and damped_gap > 0.5
              and numbers["ball_ratio_simulated"] < 1 and ball_m < ball_s and numbers["diverged"] == 0)
    return passed, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    t = data["steps"]
    ex = _exact(p, t)
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(14, 4))
        k = np.arange(data["weights"].size)
        ax[0].bar(k, data["weights"], color="C0", label="weight of g_{t-k} in m_t (kernel)")
        ax[0].plot(k, (1 - p["b1"]) * p["b1"] ** k, "k.", label="(1-β1) β1^k")
        ax[0].set(xlabel="age k of the gradient", ylabel="weight", title=f"EWMA weights, β1 = {p['b1']}")
        ax[0].legend()
        for tag, color, label in (("slow_momentum", "C0", f"momentum, α = {p['slow_lr']}"),
                                  ("slow_sgd", "C1", f"SGD, α = {p['slow_lr']}"),
                                  ("slow_sgd_damped", "C2", f"SGD, α(1-β1) = {p['slow_lr'] * (1 - p['b1']):.3g}")):
            band(ax[1], t, data[f"{tag}_mean"], data[f"{tag}_sem"], label, color=color)
            ax[1].plot(t, ex[tag], "k--", lw=0.8)
        ax[1].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²",
                  title=f"small α: momentum vs SGD at α, max gap "
                        f"{numbers['slow_regime_max_rel_gap_vs_sgd_at_lr_exact']:.1%} (exact dashed)")
        ax[1].legend()
        for tag, color, label in (("fast_sgd", "C1", f"SGD, α = {p['fast_lr']}"),
                                  ("fast_momentum", "C0", f"momentum, α = {p['fast_lr']}, β1 = {p['b1']}")):
            band(ax[2], t, data[f"{tag}_mean"], data[f"{tag}_sem"], label, color=color)
            ax[2].plot(t, ex[tag], "k--", lw=0.8)
        ax[2].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²")
        verdict_title(ax[2], passed, f"high rate: ball ratio {numbers['ball_ratio_simulated']:.3f}")
        ax[2].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
