"""AMSGrad fixes a convergence failure of Adam (Reddi, Kale & Kumar 2018).

Claim C26, on the paper's online problems over [-1, 1] (``OnlineLinear``), where the best point is
x = -1. Deterministic: f_t(x) = C x if t mod 3 == 1 else -x, C = 3, b1 = 0, b2 = 1/(1 + C^2),
alpha_t = alpha / sqrt(t), no bias correction: Adam ends at +1 (the worst point), AMSGrad near -1.
Stochastic: 1010 x with probability 0.01, else -10 x (mean slope 0.2), b = (0.9, 0.99), thousands
of runs. The criterion is the paper's: the average regret R_T / T = (1/T) sum_t 0.2 (E x_t + 1) (the
``loss`` metric, recorded every ``record_every`` steps) tends to 0 for AMSGrad and not for Adam. Over a
finite horizon that is judged as a trend: between T/100 and T, AMSGrad's average regret and mean
position fall and Adam's rise (towards 0.4 and x = +1, the worst point), each beyond the Bonferroni z
with a conservative standard error (the mean of the per-step ones, as the time average's runs are
one sample each). Adam with the max (AMSGrad) is otherwise identical here.
"""
import numpy as np

import simsgd as ss
from simsgd.engine.statistics import z_threshold
from simsgd.workflow.claims import Claim

CLAIMS = ("C26",)
_BASE = {"C": 3.0, "lr": 0.5, "eps": 1e-8, "det_steps": 3000, "sto_b1": 0.9, "sto_b2": 0.99,
         "det_every": 10, "record_every": 100, "early_fraction": 0.01}
SCALES = {"quick": {**_BASE, "runs": 500, "sto_steps": 200_000},
          "full": {**_BASE, "runs": 4000, "sto_steps": 1_000_000}}
_NAMES = {"adam": "Adam", "amsgrad": "AMSGrad"}


def _opt(p, amsgrad, b1, b2):
    return ss.Adam(p["lr"], b1, b2, p["eps"], bias_correction=False, eps_placement="outside", amsgrad=amsgrad,
                   lr_sqrt_decay=True)


def simulate(p, ctx):
    out = {}
    det = ss.OnlineLinear(stochastic=False, C=p["C"])
    sto = ss.OnlineLinear(stochastic=True)
    for ams, name in ((False, "adam"), (True, "amsgrad")):
        r = ctx.curve(f"det_{name}", det, _opt(p, ams, 0.0, 1.0 / (1.0 + p["C"] ** 2)), 1, p["det_steps"],
                      record_every=p["det_every"])
        out[f"det_{name}_error"], out["det_steps"] = r["mean"], r["steps"]
        r = ctx.curve(f"sto_{name}", sto, _opt(p, ams, p["sto_b1"], p["sto_b2"]), p["runs"], p["sto_steps"],
                      metric="loss", first_run=int(ams) * p["runs"], record_every=p["record_every"])
        out[f"sto_{name}_regret"], out[f"sto_{name}_regret_sem"] = r["mean"], r["sem"]
        out[f"sto_{name}_diverged"], out["sto_steps"] = r["diverged"], r["steps"]
    return out


def _average_regret(data, name, upto):
    """R_T / T over recorded steps 1..upto (index) and its conservative standard error."""
    m, s = data[f"sto_{name}_regret"][1:upto + 1], data[f"sto_{name}_regret_sem"][1:upto + 1]
    return float(m.mean()), float(s.mean())


def _trends(data, p, zc):
    slope = ss.OnlineLinear(stochastic=True).mean_slope
    T = data["sto_steps"].size - 1
    early = max(1, int(round(T * p["early_fraction"])))
    out = {}
    for name in _NAMES:
        (r0, s0), (r1, s1) = _average_regret(data, name, early), _average_regret(data, name, T)
        m, s = data[f"sto_{name}_regret"], data[f"sto_{name}_regret_sem"]
        out[name] = {
            "average_regret_early": r0, "average_regret": r1, "average_regret_z_change": (r1 - r0) / (s0 + s1),
            "mean_x_early": float(m[early] / slope - 1), "mean_x_final": float(m[-1] / slope - 1),
            "mean_x_sem_final": float(s[-1] / slope),
            "mean_x_z_change": float((m[-1] - m[early]) / np.hypot(s[-1], s[early])),
        }
    out["early_step"] = int(data["sto_steps"][early])
    out["final_mean_x_z_adam_minus_amsgrad"] = float(
        (data["sto_adam_regret"][-1] - data["sto_amsgrad_regret"][-1])
        / np.hypot(data["sto_adam_regret_sem"][-1], data["sto_amsgrad_regret_sem"][-1]))
    return out


def verdict(data, p):
    # error_sq = (x + 1)^2 on [-1, 1]: x = sqrt(error_sq) - 1
    x_adam = float(np.sqrt(data["det_adam_error"][-1]) - 1)
    x_ams = float(np.sqrt(data["det_amsgrad_error"][-1]) - 1)
    zc = z_threshold(5)
    tr = _trends(data, p, zc)
    ad, am = tr["adam"], tr["amsgrad"]
    diverged = int(data["sto_adam_diverged"][-1] + data["sto_amsgrad_diverged"][-1])
    numbers = {"runs": p["runs"], "deterministic_final_x_adam": x_adam, "deterministic_final_x_amsgrad": x_ams,
               "stochastic": tr, "z_critical": zc, "diverged": diverged}
    T = int(data["sto_steps"][-1])
    c26 = Claim("supported", (
        f"deterministic: Adam ends at x = {x_adam:+.3f} (the worst point), AMSGrad at {x_ams:+.3f}; stochastic, "
        f"{p['runs']:,} runs: from step {tr['early_step']:,} to {T:,} AMSGrad's average regret R_T/T falls "
        f"{am['average_regret_early']:.3f} → {am['average_regret']:.3f} (z {am['average_regret_z_change']:.1f}) and "
        f"its mean position {am['mean_x_early']:+.3f} → {am['mean_x_final']:+.3f}, while Adam's rise "
        f"{ad['average_regret_early']:.3f} → {ad['average_regret']:.3f} (z {ad['average_regret_z_change']:+.1f}; "
        f"0.4 at the worst point) and {ad['mean_x_early']:+.3f} → {ad['mean_x_final']:+.3f}"), {
        "deterministic_adam_at_the_worst_point": x_adam > 0.9,
        "deterministic_amsgrad_at_the_best_point": x_ams < -0.9,
        "amsgrad_average_regret_falls": am["average_regret_z_change"] < -zc,
        "adam_average_regret_rises": ad["average_regret_z_change"] > zc,
        "amsgrad_mean_position_falls": am["mean_x_z_change"] < -zc,
        "adam_mean_position_rises": ad["mean_x_z_change"] > zc,
        "amsgrad_left_of_adam_at_the_end": tr["final_mean_x_z_adam_minus_amsgrad"] > zc,
        "no_divergence": diverged == 0})
    return {"C26": c26}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    slope = ss.OnlineLinear(stochastic=True).mean_slope
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(17, 4))
        t = data["det_steps"]
        for name, color in (("adam", "C1"), ("amsgrad", "C0")):
            ax[0].plot(t, np.sqrt(data[f"det_{name}_error"]) - 1, color=color, label=_NAMES[name])
        ax[0].axhline(-1, color="k", lw=0.8, ls=":", label="best point x = -1")
        ax[0].set(xlabel="step t", ylabel="x_t", ylim=(-1.1, 1.1),
                  title=f"deterministic, C = {p['C']}, β1 = 0, β2 = 1/(1+C²), α/√t")
        ax[0].legend()
        s = data["sto_steps"]
        for name, color in (("adam", "C1"), ("amsgrad", "C0")):
            m, se = data[f"sto_{name}_regret"], data[f"sto_{name}_regret_sem"]
            band(ax[1], s[1:], m[1:] / slope - 1, se[1:] / slope, _NAMES[name], color=color)
            avg = np.cumsum(m[1:]) / np.arange(1, m.size)
            ax[2].plot(s[1:], avg, color=color, label=_NAMES[name])
        ax[1].axhline(0, color="k", lw=0.6, ls=":")
        ax[1].set(xscale="log", xlabel="step t", ylabel="E x_t", ylim=(-1.05, 1.05))
        verdict_title(ax[1], passed, f"stochastic, {p['runs']} runs: mean position")
        ax[1].legend()
        ax[2].axhline(2 * slope, color="k", lw=0.6, ls=":", label="x = +1 every step")
        ax[2].set(xscale="log", xlabel="horizon T", ylabel="average regret R_T / T", ylim=(0, 0.45),
                  title="R_T/T: to 0 for AMSGrad, not for Adam")
        ax[2].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
