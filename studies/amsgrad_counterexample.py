"""AMSGrad fixes a convergence failure of Adam (Reddi, Kale & Kumar 2018).

Claim C26, on the paper's online problems over [-1, 1] (``OnlineLinear``), where the best point is
x = -1. Deterministic: f_t(x) = C x if t mod 3 == 1 else -x, C = 3, b1 = 0, b2 = 1/(1 + C^2),
alpha_t = alpha / sqrt(t), no bias correction: Adam ends at +1 (the worst point), AMSGrad near -1.
Stochastic: 1010 x with probability 0.01, else -10 x, b = (0.9, 0.99), over thousands of runs:
Adam stays on the wrong side, AMSGrad's mean error is significantly smaller.
"""
import numpy as np

import simsgd as ss
from simsgd.engine.statistics import z_threshold

CLAIMS = ("C26",)
_BASE = {"C": 3.0, "lr": 0.5, "eps": 1e-8, "det_steps": 3000, "sto_steps": 20000, "sto_b1": 0.9, "sto_b2": 0.99,
         "record_every": 10}
SCALES = {"quick": {**_BASE, "runs": 500}, "full": {**_BASE, "runs": 20_000}}


def _opt(p, amsgrad, b1, b2):
    return ss.Adam(p["lr"], b1, b2, p["eps"], bias_correction=False, eps_placement="outside", amsgrad=amsgrad,
                   lr_sqrt_decay=True)


def simulate(p, ctx):
    out = {}
    det = ss.OnlineLinear(stochastic=False, C=p["C"])
    sto = ss.OnlineLinear(stochastic=True)
    for ams, name in ((False, "adam"), (True, "amsgrad")):
        r = ctx.curve(f"det_{name}", det, _opt(p, ams, 0.0, 1.0 / (1.0 + p["C"] ** 2)), 1, p["det_steps"],
                      record_every=p["record_every"])
        out[f"det_{name}_error"], out["det_steps"] = r["mean"], r["steps"]
        r = ctx.curve(f"sto_{name}", sto, _opt(p, ams, p["sto_b1"], p["sto_b2"]), p["runs"], p["sto_steps"],
                      first_run=int(ams) * p["runs"], record_every=p["record_every"])
        out[f"sto_{name}_mean"], out[f"sto_{name}_sem"], out[f"sto_{name}_diverged"] = r["mean"], r["sem"], r["diverged"]
        out["sto_steps"] = r["steps"]
    return out


def verdict(data, p):
    # error_sq = (x + 1)^2 on [-1, 1]: x = sqrt(error_sq) - 1
    x_adam = float(np.sqrt(data["det_adam_error"][-1]) - 1)
    x_ams = float(np.sqrt(data["det_amsgrad_error"][-1]) - 1)
    ma, sa = data["sto_adam_mean"][-1], data["sto_adam_sem"][-1]
    mm, sm = data["sto_amsgrad_mean"][-1], data["sto_amsgrad_sem"][-1]
    z_diff = float((ma - mm) / np.hypot(sa, sm))
    zc = z_threshold(1)
    numbers = {"runs": p["runs"], "deterministic_final_x_adam": x_adam, "deterministic_final_x_amsgrad": x_ams,
               "stochastic_final_error_sq_adam": float(ma), "stochastic_final_error_sq_amsgrad": float(mm),
               "stochastic_z_adam_minus_amsgrad": z_diff, "z_critical": zc,
               "diverged": int(data["sto_adam_diverged"][-1] + data["sto_amsgrad_diverged"][-1])}
    # error_sq > 1 means the mean position is on the wrong side of 0
    passed = x_adam > 0.9 and x_ams < -0.9 and z_diff > zc and ma > 1.0 and numbers["diverged"] == 0
    return passed, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    with style() as plt:
        fig, ax = plt.subplots(1, 2, figsize=(12, 4))
        t = data["det_steps"]
        for name, color in (("adam", "C1"), ("amsgrad", "C0")):
            ax[0].plot(t, np.sqrt(data[f"det_{name}_error"]) - 1, color=color,
                       label="Adam" if name == "adam" else "AMSGrad")
        ax[0].axhline(-1, color="k", lw=0.8, ls=":", label="best point x = -1")
        ax[0].set(xlabel="step t", ylabel="x_t", ylim=(-1.1, 1.1),
                  title=f"deterministic, C = {p['C']}, β1 = 0, β2 = 1/(1+C²), α/√t")
        ax[0].legend()
        s = data["sto_steps"]
        for name, color in (("adam", "C1"), ("amsgrad", "C0")):
            band(ax[1], s, data[f"sto_{name}_mean"], data[f"sto_{name}_sem"],
                 "Adam" if name == "adam" else "AMSGrad", color=color)
        ax[1].set(xscale="symlog", xlabel="step t", ylabel="E(x_t + 1)²", ylim=(0, 4.2))
        ax[1].set_xlim(left=0)
        verdict_title(ax[1], passed, f"stochastic, {p['runs']} runs: Adam − AMSGrad = "
                      f"{numbers['stochastic_z_adam_minus_amsgrad']:.0f} SE")
        ax[1].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
