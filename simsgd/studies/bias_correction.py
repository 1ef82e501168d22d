"""Bias correction: the zero-started averages underestimate, m_t / (1 - b1^t) fixes the weights.

Claim C20, read off the compiled step functions with ``replay`` (exact, deterministic):
m_1 = 0.1 g_1 and m_2 = 0.1 g_2 + 0.09 g_1 for b1 = 0.9; the weights of m_hat sum to 1 (a constant
gradient moves theta by exactly alpha per step, against alpha (1 - b1^t) without correction);
the newest gradient's effective rate is alpha (1 - b1) / (1 - b1^t); without correction RMSProp's
first steps are 1/sqrt(1 - rho^t) too large and Adam's (1 - b1^t)/sqrt(1 - b2^t) off. Then thousands
of noisy runs of momentum (against the exact moment recursion), RMSProp and Adam with and without it.
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.workflow.claims import Claim

CLAIMS = ("C20",)
_BASE = {"dim": 10, "mu": 0.1, "L": 1.0, "noise_std": 0.5, "x0": 2.0, "b1": 0.9, "b2": 0.999, "rho": 0.9,
         "lr": 0.05, "steps": 300, "read_steps": 30}
SCALES = {"quick": {**_BASE, "runs": 1000}, "full": {**_BASE, "runs": 20_000}}

_RULES = {
    "momentum": lambda p, bc: ss.Momentum(p["lr"], p["b1"], bias_correction=bc),
    "rmsprop": lambda p, bc: ss.RMSProp(p["lr"], p["rho"], 1e-8, bias_correction=bc),
    "adam": lambda p, bc: ss.Adam(p["lr"], p["b1"], p["b2"], 1e-8, bias_correction=bc),
}


def _problem(p):
    return ss.Quadratic(np.linspace(p["mu"], p["L"], p["dim"]), p["noise_std"], p["x0"])


def _readoffs(p):
    b1, b2, rho, T = p["b1"], p["b2"], p["rho"], p["read_steps"]
    two = -np.diff(ss.replay(ss.Momentum(1.0, b1), 0.0, np.eye(2)), axis=0)  # rows: m_1, m_2
    ones = np.ones((T, 1))
    steps = {}
    for bc in (False, True):
        tag = "corrected" if bc else "plain"
        steps[f"momentum_{tag}"] = -np.diff(ss.replay(ss.Momentum(1.0, b1, bc), 0.0, ones)[:, 0])
        steps[f"rmsprop_{tag}"] = -np.diff(ss.replay(ss.RMSProp(1.0, rho, 1e-300, bc), 0.0, ones)[:, 0])
        steps[f"adam_{tag}"] = -np.diff(ss.replay(ss.Adam(1.0, b1, b2, 0.0, bc, "outside"), 0.0, ones)[:, 0])
    # the newest gradient's coefficient at step t: an impulse at step t after t - 1 zero gradients
    newest = np.array([-np.diff(ss.replay(ss.Momentum(1.0, b1, True), 0.0, _impulse(t)), axis=0)[-1, 0]
                       for t in range(1, T + 1)])
    return two, steps, newest


def _impulse(t):
    g = np.zeros((t, 1))
    g[-1, 0] = 1.0
    return g


def simulate(p, ctx):
    prob = _problem(p)
    two, steps, newest = _readoffs(p)
    out = {"m1_m2": two, "newest": newest, **{f"unit_{k}": v for k, v in steps.items()}}
    i = 0
    for name, make in _RULES.items():
        for bc in (False, True):
            tag = f"{name}_{'corrected' if bc else 'plain'}"
            r = ctx.curve(tag, prob, make(p, bc), p["runs"], p["steps"], first_run=i * p["runs"])
            out[f"{tag}_mean"], out[f"{tag}_sem"], out[f"{tag}_diverged"] = r["mean"], r["sem"], r["diverged"]
            out["steps"] = r["steps"]
            i += 1
    return out


def verdict(data, p):
    b1, b2, rho = p["b1"], p["b2"], p["rho"]
    t = np.arange(1, p["read_steps"] + 1)
    err = {
        "m1_m2": float(np.max(np.abs(data["m1_m2"] - [[1 - b1, 0.0], [(1 - b1) * b1, 1 - b1]]))),
        "momentum_plain_underestimates": float(np.max(np.abs(data["unit_momentum_plain"] - (1 - b1**t)))),
        "momentum_corrected_weights_sum_to_1": float(np.max(np.abs(data["unit_momentum_corrected"] - 1))),
        "newest_rate": float(np.max(np.abs(data["newest"] - (1 - b1) / (1 - b1**t)))),
        "rmsprop_ratio": float(np.max(np.abs(data["unit_rmsprop_plain"] / data["unit_rmsprop_corrected"]
                                             - 1 / np.sqrt(1 - rho**t)))),
        "adam_ratio": float(np.max(np.abs(data["unit_adam_plain"] / data["unit_adam_corrected"]
                                          - (1 - b1**t) / np.sqrt(1 - b2**t)))),
    }
    prob = _problem(p)
    s = data["steps"]
    zc = z_threshold(2 * (s.size - 1))
    zmax = {}
    for bc in (False, True):
        tag = f"momentum_{'corrected' if bc else 'plain'}"
        ex = theory.momentum_error_sq(int(s[-1]), p["lr"], b1, prob.eigenvalues, prob.e0, prob.noise_var,
                                      bias_correction=bc)[s]
        zmax[tag] = float(np.abs(zscores(data[f"{tag}_mean"][1:], data[f"{tag}_sem"][1:], ex[1:])).max())
    diverged = int(sum(data[k][-1] for k in data if k.endswith("_diverged")))
    numbers = {"runs": p["runs"], "max_abs_readoff_error": err, "z_critical": zc,
               "momentum_max_abs_z_vs_exact": zmax, "diverged": diverged,
               "first_step_over_corrected": {r: float(data[f"unit_{r}_plain"][0] / data[f"unit_{r}_corrected"][0])
                                             for r in _RULES}}
    first = numbers["first_step_over_corrected"]
    c20 = Claim("definitional", (
        f"read off the compiled steps (β1 = {b1}): m_1 = {data['m1_m2'][0, 0]:.3g} g_1, m_2 = {data['m1_m2'][1, 1]:.3g} g_2 + "
        f"{data['m1_m2'][1, 0]:.3g} g_1; with m_t/(1−β1^t) a constant gradient moves θ by exactly α per step (the "
        f"weights sum to 1) and the newest gradient's rate is α(1−β1)/(1−β1^t), all to "
        f"{max(err.values()):.0e}; uncorrected first steps: momentum {first['momentum']:.2f}×, RMSProp "
        f"{first['rmsprop']:.2f}×, Adam {first['adam']:.2f}× the corrected; {p['runs']:,} noisy runs of momentum with "
        f"and without correction equal the exact recursion (max |z| {max(zmax.values()):.2f}, threshold {zc:.2f})"), {
        **{f"read_off_{k}": v < 1e-12 for k, v in err.items()},
        "momentum_matches_exact": all(z < zc for z in zmax.values()), "no_divergence": diverged == 0})
    return {"C20": c20}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    t = np.arange(1, p["read_steps"] + 1)
    s = data["steps"]
    with style() as plt:
        fig, ax = plt.subplots(1, 4, figsize=(17, 4))
        for i, r in enumerate(_RULES):
            ax[0].plot(t, data[f"unit_{r}_plain"] / data[f"unit_{r}_corrected"], "o-", ms=3, color=f"C{i}",
                       label=f"{r}: uncorrected / corrected step")
        ax[0].plot(t, 1 - p["b1"] ** t, "k:", lw=1, label="1 - β1^t")
        ax[0].set(xlabel="step t", ylabel="step ratio, constant gradient", xscale="log")
        verdict_title(ax[0], passed, "read off the kernels")
        ax[0].legend()
        for i, r in enumerate(_RULES):
            a = ax[i + 1]
            for bc, color in ((False, "C1"), (True, "C0")):
                tag = f"{r}_{'corrected' if bc else 'plain'}"
                band(a, s + 1, data[f"{tag}_mean"], data[f"{tag}_sem"],
                     f"{'with' if bc else 'without'} correction", color=color)
            if r == "momentum":
                prob = _problem(p)
                for bc in (False, True):
                    a.plot(s + 1, theory.momentum_error_sq(int(s[-1]), p["lr"], p["b1"], prob.eigenvalues, prob.e0,
                                                       prob.noise_var, bias_correction=bc)[s], "k--", lw=0.8)
            a.set(yscale="log", xscale="log", xlabel="step t + 1", ylabel="E||θ_t - θ*||²",
                  title=f"{r}, α = {p['lr']}, {p['runs']} runs" + (" (exact dashed)" if r == "momentum" else ""))
            a.legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
