"""The step-size trade-off: a larger alpha reaches its noise ball sooner, but the ball is larger.

Claim C14, on a quadratic with spectrum in [mu, L]; the sweep runs from small alpha up to
2/(L+mu) (where the lecture's bound holds), between 2/(L+mu) and 2/L (SGD still converges,
the bound is no longer guaranteed) and past 2/L (every run diverges, and is counted).
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import first_at_or_below, z_threshold, zscores
from simsgd.workflow.claims import Claim

CLAIMS = ("C14",)
_BASE = {"dim": 20, "mu": 0.1, "L": 1.0, "noise_std": 1.0, "x0": 10.0, "batch_size": 1,
         "steps": 3000, "record_every": 1, "reach_factor": 2.0,
         "lr_fractions": [0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0, 1.07, 1.3]}
SCALES = {"quick": {**_BASE, "runs": 1000}, "full": {**_BASE, "runs": 20_000}}
# lr = fraction * 2/(L + mu); 1.07 * 2/1.1 = 1.945 < 2/L = 2; 1.3 * 2/1.1 = 2.36 > 2/L


def _problem(p):
    return ss.Quadratic(np.linspace(p["mu"], p["L"], p["dim"]), p["noise_std"], p["x0"])


def _lrs(p):
    return np.array(p["lr_fractions"]) * theory.max_lr_for_bound(p["L"], p["mu"])


def simulate(p, ctx):
    prob = _problem(p)
    rows = []
    for i, lr in enumerate(_lrs(p)):
        rows.append(ctx.curve(f"lr{i}", prob, ss.SGD(lr), p["runs"], p["steps"], batch_size=p["batch_size"],
                              record_every=p["record_every"]))
    return {
        "lr": _lrs(p),
        "steps": rows[0]["steps"],
        "mean": np.stack([r["mean"] for r in rows]),
        "sem": np.stack([r["sem"] for r in rows]),
        "diverged": np.stack([r["diverged"] for r in rows]),
    }


def _analysis(data, p):
    prob = _problem(p)
    lrs, t = data["lr"], data["steps"]
    L, mu, B = p["L"], p["mu"], p["batch_size"]
    a_max = theory.max_lr_for_bound(L, mu)
    rows = []
    for i, lr in enumerate(lrs):
        exact = theory.sgd_error_sq(t, lr, prob.eigenvalues, prob.e0, prob.noise_var, B)
        limit = theory.sgd_error_sq_limit(lr, prob.eigenvalues, prob.noise_var, B)
        converges = bool(np.isfinite(limit))
        row = {"lr": float(lr), "regime": "bound holds" if lr <= a_max * (1 + 1e-12)
               else ("converges" if converges else "diverges"),
               "diverged_final": int(data["diverged"][i, -1]), "exact_ball": limit}
        if converges:
            level = p["reach_factor"] * limit
            row["sim_ball"] = float(data["mean"][i, -1])
            row["sim_ball_sem"] = float(data["sem"][i, -1])
            row["z_final_vs_exact"] = float(zscores(data["mean"][i, 1:], data["sem"][i, 1:], exact[1:])[-1])
            row["max_abs_z_vs_exact"] = float(np.abs(zscores(data["mean"][i, 1:], data["sem"][i, 1:], exact[1:])).max())
            row["steps_to_ball_sim"] = first_at_or_below(data["mean"][i], level, t)
            row["steps_to_ball_exact"] = first_at_or_below(exact, level, t)
            row["bound"] = theory.noise_ball_bound(lr, prob.M, mu, B) if lr * mu < 2 else float("inf")
        rows.append(row)
    return rows


def verdict(data, p):
    rows = _analysis(data, p)
    held = [r for r in rows if r["regime"] == "bound holds"]
    conv = [r for r in rows if r["regime"] != "diverges"]
    div = [r for r in rows if r["regime"] == "diverges"]
    zc = z_threshold(sum(data["steps"].size - 1 for _ in conv))
    ball = np.array([r["sim_ball"] for r in held])
    sem = np.array([r["sim_ball_sem"] for r in held])
    reach = np.array([r["steps_to_ball_sim"] for r in held])
    checks = {
        "sim_matches_exact": all(r["max_abs_z_vs_exact"] < zc for r in conv),
        "ball_grows_with_lr": bool(np.all(np.diff(ball) > zc * np.hypot(sem[1:], sem[:-1]))),
        "reach_time_shrinks_with_lr": bool(np.all(reach > 0) and np.all(np.diff(reach) <= 0)),
        "no_divergence_when_converging": all(r["diverged_final"] == 0 for r in conv),
        "all_runs_diverge_past_2_over_L": all(r["diverged_final"] == p["runs"] for r in div),
    }
    numbers = {"runs": p["runs"], "z_critical": zc, "checks": checks,
               "ball_ratio_largest_over_smallest": float(ball[-1] / ball[0]),
               "reach_ratio_smallest_over_largest_lr": float(reach[0] / reach[-1]),
               "ball_over_bound": [r["sim_ball"] / r["bound"] for r in held],
               "per_lr": rows}
    checks["some_rate_diverges"] = len(div) > 0
    worst = max(r["max_abs_z_vs_exact"] for r in conv)
    c14 = Claim("supported", (
        f"from α = {held[0]['lr']:.3g} to 2/(L+μ) = {held[-1]['lr']:.3g} the simulated ball grows "
        f"{ball[-1] / ball[0]:.0f}× (each step of the grid significantly) and the steps to reach "
        f"{p['reach_factor']:g}× it shrink {reach[0] / reach[-1]:.0f}× ({reach[0]} → {reach[-1]}); every convergent α "
        f"matches the exact curve (max |z| {worst:.2f}, threshold {zc:.2f}); past 2/L "
        + ", ".join(f"{r['diverged_final']:,}/{p['runs']:,}" for r in div) + " runs diverge, counted"), checks)
    return {"C14": c14}, numbers


def plot(data, p, passed, numbers, path):
    import matplotlib as mpl

    from simsgd.workflow.plotting import band, style, verdict_title

    rows = numbers["per_lr"]
    t = data["steps"]
    with style() as plt:
        fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
        cmap = mpl.colormaps["viridis"]
        conv = [i for i, r in enumerate(rows) if r["regime"] != "diverges"]
        for j, i in enumerate(conv):
            band(ax[0], t + 1, data["mean"][i], data["sem"][i],
                 f"α = {rows[i]['lr']:.3g}" + ("" if rows[i]["regime"] == "bound holds" else " (> 2/(L+μ))"),
                 color=cmap(j / max(len(conv) - 1, 1)))
        ax[0].set(xscale="log", yscale="log", xlabel="step t + 1", ylabel="E||θ_t - θ*||²")
        verdict_title(ax[0], passed, "larger α: faster into a larger ball")
        ax[0].legend(ncol=2)
        held = [r for r in rows if r["regime"] != "diverges"]
        lr = np.array([r["lr"] for r in held])
        ax[1].errorbar(lr, [r["sim_ball"] for r in held], yerr=[1.96 * r["sim_ball_sem"] for r in held],
                       fmt="o", color="C0", label="simulated ball (final step)")
        grid = np.geomspace(lr.min(), lr.max(), 200)
        prob = _problem(p)
        ax[1].plot(grid, [theory.sgd_error_sq_limit(a, prob.eigenvalues, prob.noise_var, p["batch_size"]) for a in grid],
                   "k--", lw=1.2, label="exact limit")
        ax[1].plot(grid, [theory.noise_ball_bound(a, prob.M, prob.mu, p["batch_size"]) for a in grid],
                   color="C1", ls=":", label="αM/(μ(2-αμ))")
        ax[1].axvline(theory.max_lr_for_bound(p["L"], p["mu"]), color="gray", lw=0.8)
        ax[1].axvline(2 / p["L"], color="gray", lw=0.8, ls="--")
        ax[1].set(xscale="log", yscale="log", xlabel="step size α", ylabel="noise ball E||θ_∞ - θ*||²")
        tw = ax[1].twinx()
        tw.plot(lr, [r["steps_to_ball_sim"] for r in held], "s-", color="C2", label=f"steps to {p['reach_factor']:g}× ball")
        tw.set(yscale="log", ylabel="steps to reach 2× the ball (green, right axis)")
        tw.grid(False)
        div = [r for r in rows if r["regime"] == "diverges"]
        ax[1].set_title("lines: 2/(L+μ) solid, 2/L dashed; diverged past 2/L: "
                        + ", ".join(f"{r['diverged_final']}/{p['runs']}" for r in div))
        h1, l1 = ax[1].get_legend_handles_labels()
        h2, l2 = tw.get_legend_handles_labels()
        ax[1].legend(h1 + h2, l1 + l2, loc="upper center")
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
