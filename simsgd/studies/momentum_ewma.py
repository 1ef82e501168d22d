"""Momentum as an exponentially weighted average: its weights, its effective rate, its ball-versus-speed frontier.

Claim C19. m_t = b1 m_{t-1} + (1 - b1) g_t weighs g_{t-k} by (1 - b1) b1^k (read off the compiled
step, and off PyTorch's SGD(momentum=b1, dampening=b1), the same average from its second step), so
the newest gradient moves theta by alpha (1 - b1): the lecture's effective rate, by definition.
Read as dynamics the claim fails: the weights sum to one, so at a small alpha momentum tracks plain
SGD at alpha, not at alpha (1 - b1). The lecture's goal, a smaller noise ball at a high rate without
a larger batch, is judged on the frontier: SGD at several alpha, and momentum at the alpha whose
exact ball (``theory.momentum_error_sq_limit``) matches each; at a matched ball, which reaches
twice the ball first (steps with their Bonferroni interval from the standard errors). Every curve
is checked against the exact moment recursion.
"""
import numpy as np
from scipy.optimize import brentq

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import first_at_or_below, z_threshold, zscores
from simsgd.workflow.claims import Claim

CLAIMS = ("C19",)
_BASE = {"dim": 20, "mu": 0.1, "L": 1.0, "noise_std": 1.0, "x0": 10.0, "b1": 0.9, "slow_lr": 0.01,
         "slow_steps": 3000, "record_every": 10, "weights_shown": 40,
         "frontier_sgd_lr": [0.05, 0.1, 0.2, 0.4, 0.8], "frontier_steps": 1200, "high_lr": 1.5, "level_over_ball": 2.0,
         "tracks_within": 0.1, "differs_beyond": 0.5}  # relative gaps: the two readings of the effective rate
SCALES = {"quick": {**_BASE, "runs": 1000}, "full": {**_BASE, "runs": 20_000}}


def _problem(p):
    return ss.Quadratic(np.linspace(p["mu"], p["L"], p["dim"]), p["noise_std"], p["x0"])


def _matched_lr(p, lr_sgd):
    """The momentum rate whose exact ball equals SGD's at ``lr_sgd`` (momentum's ball is smaller at equal rates)."""
    prob = _problem(p)
    target = theory.sgd_error_sq_limit(lr_sgd, prob.eigenvalues, prob.noise_var)
    ball = lambda a: theory.momentum_error_sq_limit(a, p["b1"], prob.eigenvalues, prob.noise_var) - target
    return brentq(ball, lr_sgd, 4 * lr_sgd, xtol=1e-14, rtol=1e-14)


def _runs(p):
    """(key, optimizer, steps, record_every) of every simulated curve."""
    b1 = p["b1"]
    out = [("slow_momentum", ss.Momentum(p["slow_lr"], b1), p["slow_steps"], p["record_every"]),
           ("slow_sgd", ss.SGD(p["slow_lr"]), p["slow_steps"], p["record_every"]),
           ("slow_sgd_damped", ss.SGD(p["slow_lr"] * (1 - b1)), p["slow_steps"], p["record_every"])]
    for i, a in enumerate(p["frontier_sgd_lr"]):
        out += [(f"frontier{i}_sgd", ss.SGD(a), p["frontier_steps"], 1),
                (f"frontier{i}_momentum", ss.Momentum(_matched_lr(p, a), b1), p["frontier_steps"], 1)]
    return out + [("high_sgd", ss.SGD(p["high_lr"]), p["frontier_steps"], 1),
                  ("high_momentum", ss.Momentum(p["high_lr"], b1), p["frontier_steps"], 1)]


def simulate(p, ctx):
    prob = _problem(p)
    out = {}
    # the weights, read off the compiled steps: a unit gradient at step 2 after a zero one, then zeros
    impulse = np.zeros((p["weights_shown"] + 1, 1))
    impulse[1, 0] = 1.0
    out["weights"] = -np.diff(ss.replay(ss.Momentum(1.0, p["b1"]), 0.0, impulse)[1:, 0])
    torch_form = ss.HeavyBall(1.0, p["b1"], dampening=p["b1"])
    out["weights_dampened_heavy_ball"] = -np.diff(ss.replay(torch_form, 0.0, impulse)[1:, 0])
    for i, (tag, opt, steps, every) in enumerate(_runs(p)):
        r = ctx.curve(tag, prob, opt, p["runs"], steps, first_run=i * p["runs"], record_every=every)
        out[f"{tag}_mean"], out[f"{tag}_sem"], out[f"{tag}_diverged"] = r["mean"], r["sem"], r["diverged"]
        out[f"{tag}_steps"] = r["steps"]
    return out


def _exact(p):
    prob = _problem(p)
    lam, e0, s2, b1 = prob.eigenvalues, prob.e0, prob.noise_var, p["b1"]
    out = {}
    for tag, opt, steps, every in _runs(p):
        lr = opt.lr
        full = theory.momentum_error_sq(steps, lr, b1, lam, e0, s2) if isinstance(opt, ss.Momentum) \
            else theory.sgd_error_sq(np.arange(steps + 1), lr, lam, e0, s2)
        out[tag] = full[::every] if steps % every == 0 else np.append(full[::every], full[-1])
    return out


def _frontier(data, p, zc, ex):
    prob = _problem(p)
    rows = []
    for i, a in enumerate(p["frontier_sgd_lr"]):
        ball = theory.sgd_error_sq_limit(a, prob.eigenvalues, prob.noise_var)
        level = p["level_over_ball"] * ball
        row = {"sgd_lr": a, "momentum_lr": _matched_lr(p, a), "exact_ball": ball, "level": level}
        for m in ("sgd", "momentum"):
            mean, sem = data[f"frontier{i}_{m}_mean"], data[f"frontier{i}_{m}_sem"]
            lo, mid, hi = first_at_or_below(mean, level, sem=sem, z=zc)  # every step recorded: index = step
            row[f"{m}_steps_to_level"], row[f"{m}_steps_interval"] = mid, [lo, hi]
            row[f"{m}_steps_exact"] = first_at_or_below(ex[f"frontier{i}_{m}"], level)
            row[f"{m}_final"], row[f"{m}_final_sem"] = float(mean[-1]), float(sem[-1])
        row["final_difference_z"] = (row["momentum_final"] - row["sgd_final"]) / np.hypot(row["momentum_final_sem"],
                                                                                        row["sgd_final_sem"])
        ms, ss_ = row["momentum_steps_interval"], row["sgd_steps_interval"]
        row["momentum_is"] = ("slower" if ms[0] > ss_[1] >= 0 else "faster" if 0 <= ms[1] < ss_[0] else "tied")
        rows.append(row)
    return rows


def verdict(data, p):
    ex = _exact(p)
    n = sum(ex[k].size - 1 for k in ex)
    zc = z_threshold(n)
    zmax = {k: float(np.abs(zscores(data[f"{k}_mean"][1:], data[f"{k}_sem"][1:], ex[k][1:])).max()) for k in ex}
    k = np.arange(data["weights"].size)
    want = (1 - p["b1"]) * p["b1"] ** k
    weights_err = float(np.max(np.abs(data["weights"] - want)))
    torch_err = float(np.max(np.abs(data["weights_dampened_heavy_ball"] - want)))
    # simulated gaps, momentum at alpha against SGD at alpha and at alpha (1 - b1), past the first record
    gap = {tag: float(np.max(np.abs(data["slow_momentum_mean"][1:] / data[f"{tag}_mean"][1:] - 1)))
           for tag in ("slow_sgd", "slow_sgd_damped")}
    rows = _frontier(data, p, zc, ex)
    (hm, hs), (sm, ssem) = [(data[f"high_{m}_mean"][-1], data[f"high_{m}_sem"][-1]) for m in ("momentum", "sgd")]
    high = {"lr": p["high_lr"], "momentum_ball": float(hm), "sgd_ball": float(sm), "ratio": float(hm / sm),
            "z": float((hm - sm) / np.hypot(hs, ssem))}
    diverged = int(sum(data[f"{k}_diverged"][-1] for k in ex))
    numbers = {
        "runs": p["runs"], "z_critical": zc, "max_abs_z_vs_exact": zmax,
        "max_weight_error": weights_err, "max_weight_error_dampened_heavy_ball": torch_err,
        "newest_gradient_coefficient_over_lr": float(data["weights"][0]),
        "slow_max_rel_gap_vs_sgd_at_lr": gap["slow_sgd"],
        "slow_max_rel_gap_vs_sgd_at_lr_times_1_minus_b1": gap["slow_sgd_damped"],
        "frontier": rows, "same_high_lr": high, "diverged": diverged,
    }
    verdicts = [r["momentum_is"] for r in rows]
    top = rows[-1]
    steps_ok = all(r[f"{m}_steps_interval"][0] <= r[f"{m}_steps_exact"] <= r[f"{m}_steps_interval"][1]
                   for r in rows for m in ("sgd", "momentum"))
    c19 = Claim("refuted", (
        f"the weights (1−β1)β1^k and the newest gradient's coefficient α(1−β1) = {data['weights'][0]:.3g}α hold by "
        f"definition (read off, error {weights_err:.0e}; PyTorch's dampened heavy ball the same); as dynamics the "
        f"effective rate is α, not α(1−β1): at α = {p['slow_lr']} momentum stays within {gap['slow_sgd']:.1%} of "
        f"SGD at α and {gap['slow_sgd_damped']:.1%} away from SGD at α(1−β1). At the same high α its ball is "
        f"smaller ({high['momentum_ball']:.1f} vs {high['sgd_ball']:.1f} at α = {high['lr']}), but that is "
        f"no gain at a high rate: at a matched ball, steps to twice the ball are "
        + ", ".join(f"{r['momentum_steps_to_level']} vs {r['sgd_steps_to_level']}" for r in rows)
        + f" (momentum vs SGD at SGD's α = {', '.join(str(a) for a in p['frontier_sgd_lr'])}: "
        + ", ".join(verdicts) + f"), so momentum is slightly faster at small rates and "
        f"{top['momentum_steps_to_level'] / top['sgd_steps_to_level']:.1f}× slower at the highest; every curve and "
        f"crossing equals the exact recursion (max |z| {max(zmax.values()):.2f}, threshold {zc:.2f})"), {
        "weights_read_off": weights_err < 1e-14 and torch_err < 1e-14,
        "curves_match_exact": all(z < zc for z in zmax.values()),
        "tracks_sgd_at_lr": gap["slow_sgd"] < p["tracks_within"],
        "not_sgd_at_lr_times_1_minus_b1": gap["slow_sgd_damped"] > p["differs_beyond"],
        "matched_balls_agree": all(abs(r["final_difference_z"]) < zc for r in rows),
        "frontier_steps_match_exact": steps_ok,
        "slower_at_a_matched_ball_at_the_highest_rate": verdicts[-1] == "slower",
        "smaller_ball_at_the_same_high_lr": high["z"] < -zc,
        "no_divergence": diverged == 0})
    return {"C19": c19}, numbers


def plot(data, p, passed, numbers, path):
    import matplotlib as mpl

    from simsgd.workflow.plotting import band, marks, style, verdict_title

    ex = _exact(p)
    rows = numbers["frontier"]
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
        k = np.arange(data["weights"].size)
        ax[0].bar(k, data["weights"], color="C0", label="weight of g_{t-k} in m_t (kernel)")
        ax[0].plot(k, data["weights_dampened_heavy_ball"], "C1x", label="PyTorch SGD, dampening = β1 (kernel)")
        ax[0].plot(k, (1 - p["b1"]) * p["b1"] ** k, "k.", label="(1-β1) β1^k")
        ax[0].set(xlabel="age k of the gradient", ylabel="weight", title=f"EWMA weights, β1 = {p['b1']}")
        ax[0].legend()
        for n_curve, (tag, color, label) in enumerate((("slow_momentum", "C0", f"momentum, α = {p['slow_lr']}"),
                                  ("slow_sgd", "C1", f"SGD, α = {p['slow_lr']}"),
                                  ("slow_sgd_damped", "C2", f"SGD, α(1-β1) = {p['slow_lr'] * (1 - p['b1']):.3g}"))):
            t = data[f"{tag}_steps"]
            band(ax[1], t, data[f"{tag}_mean"], data[f"{tag}_sem"], label, color=color, **marks(n_curve, t.size))
            ax[1].plot(t, ex[tag], "k--", lw=0.8)
        ax[1].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²",
                  title=f"small α: the effective rate is α (max gap {numbers['slow_max_rel_gap_vs_sgd_at_lr']:.1%})")
        ax[1].legend()
        ball = [r["exact_ball"] for r in rows]
        for m, color, label in (("sgd", "C1", "SGD"), ("momentum", "C0", f"momentum, β1 = {p['b1']}")):
            y = np.array([r[f"{m}_steps_to_level"] for r in rows], float)
            lo = np.array([r[f"{m}_steps_interval"][0] for r in rows], float)
            hi = np.array([r[f"{m}_steps_interval"][1] for r in rows], float)
            ax[2].errorbar(ball, y, yerr=[y - lo, hi - y], fmt="o-", color=color, capsize=3, label=label)
        ax[2].set(xscale="log", yscale="log", xlabel="matched ball E||θ_∞ - θ*||² (exact)",
                  ylabel=f"steps to {p['level_over_ball']:g}× the ball")
        ax[2].xaxis.set_minor_formatter(mpl.ticker.NullFormatter())  # after set(xscale=...), which resets it
        verdict_title(ax[2], passed, "frontier: at a matched ball, steps to reach it")
        ax[2].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
