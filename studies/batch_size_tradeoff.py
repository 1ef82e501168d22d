"""The batch-size trade-off: fewer steps with larger batches, perfect scaling, then diminishing returns.

Claim C17 (its computational part: a larger B gives a better gradient estimate at more compute, and
small batches need smaller rates), on the noisy quadratic model (NQM; Zhang et al. 2019): curvatures
h_i = 1/i, per-example gradient noise covariance H, a minibatch of B dividing it by B, theta_i(0) = 1.
For each B the constant rate that reaches the target loss (a fraction of the initial one) in the
fewest steps is found on the exact expected loss (``theory.best_rate_steps``); at that rate thousands
of runs are simulated and their steps to the target read off the mean loss, with a Bonferroni
interval. SGD and H^-1/2-preconditioned SGD (plain SGD on curvatures and noise h^(1/2), see
``theory.batch_size``). McCandlish et al.'s S = S_min (1 + B_crit / B) is fitted to the simulated
steps of each; its fit error and the noise scales B_simple, B_noise at the start are reported.
The hardware side of C17 (threads, memory, powers of two) is not measured here.
"""
import json

import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.workflow.claims import Claim

CLAIMS = ("C17",)
_BASE = {"dim": 50, "target_fraction": 0.01, "powers": [0.0, 0.5], "batch_sizes": [1, 4, 16, 64, 256, 1024, 4096],
         "theory_batch_sizes": [2**k for k in range(15)], "horizon": 1.3, "records": 400,
         "perfect_scaling_within": 0.15, "diminishing_below": 1.5}
SCALES = {"quick": {**_BASE, "runs": 500}, "full": {**_BASE, "runs": 5000}}
_THEORY = {}


def _nqm(p, power):
    h = 1.0 / np.arange(1, p["dim"] + 1)
    lam, s2, e0 = theory.precondition(h, h, np.ones(p["dim"]), power)
    return lam, s2, e0, p["target_fraction"] * 0.5 * h.sum()


def _theory(p):
    key = json.dumps(p, sort_keys=True)
    if key not in _THEORY:  # verdict and plot both need it; the rate searches take seconds
        out = {}
        for power in p["powers"]:
            lam, s2, e0, target = _nqm(p, power)
            best = [theory.best_rate_steps(lam, e0, s2, B, target) for B in p["theory_batch_sizes"]]
            out[power] = {"steps": [b[0] for b in best], "lr": [b[1] for b in best], "target": target,
                          "noise_scales": theory.nqm_noise_scales(lam, np.sqrt(e0), s2)}
        _THEORY[key] = out
    return _THEORY[key]


def _lr(p, power, B):
    th = _theory(p)[power]
    return th["lr"][p["theory_batch_sizes"].index(B)], th["steps"][p["theory_batch_sizes"].index(B)]


def _horizon(p, steps):
    every = max(1, int(np.ceil(p["horizon"] * steps / p["records"])))
    return every * p["records"], every


def simulate(p, ctx):
    out = {}
    for k, power in enumerate(p["powers"]):
        lam, s2, e0, _ = _nqm(p, power)
        prob = ss.Quadratic(lam, np.sqrt(s2), np.sqrt(e0))
        for i, B in enumerate(p["batch_sizes"]):
            lr, steps = _lr(p, power, B)
            T, every = _horizon(p, steps)
            r = ctx.curve(f"p{k}_B{B}", prob, ss.SGD(lr), p["runs"], T, metric="loss", batch_size=B,
                          record_every=every, first_run=(k * len(p["batch_sizes"]) + i) * p["runs"])
            for key in ("mean", "sem", "diverged", "steps"):
                out[f"p{k}_B{B}_{key}"] = r[key]
    return out


def verdict(data, p):
    th = _theory(p)
    n_curves = len(p["powers"]) * len(p["batch_sizes"])
    zc = z_threshold(n_curves * p["records"])
    forms = {}
    for k, power in enumerate(p["powers"]):
        lam, s2, e0, target = _nqm(p, power)
        rows = []
        for B in p["batch_sizes"]:
            m, s, t = (data[f"p{k}_B{B}_{x}"] for x in ("mean", "sem", "steps"))
            lr, exact_steps = _lr(p, power, B)
            ex = theory.sgd_loss(t, lr, lam, np.sqrt(e0), s2, B)
            sure, likely, maybe = (int(t[np.flatnonzero(c <= target)[0]]) if np.any(c <= target) else -1
                                   for c in (m + zc * s, m, m - zc * s))
            every = int(t[1] - t[0])
            rows.append({"B": B, "lr": lr, "steps_exact": int(exact_steps), "steps_simulated": likely,
                         "steps_interval": [maybe, sure], "examples_simulated": B * likely,
                         "max_abs_z_vs_exact": float(np.abs(zscores(m[1:], s[1:], ex[1:])).max()),
                         "exact_in_interval": maybe - every <= exact_steps <= sure and sure >= 0,
                         "diverged": int(data[f"p{k}_B{B}_diverged"][-1])})
        S = np.array([r["steps_simulated"] for r in rows], dtype=float)
        fit = theory.fit_critical_batch(p["batch_sizes"], S)
        fit_theory = theory.fit_critical_batch(p["theory_batch_sizes"], th[power]["steps"])
        forms[power] = {"rows": rows, "S_min": fit[0], "B_crit": fit[1], "fit_max_rel_error": fit[2],
                        "theory_fit": {"S_min": fit_theory[0], "B_crit": fit_theory[1],
                                       "max_rel_error": fit_theory[2]},
                        "B_simple_at_start": th[power]["noise_scales"][0],
                        "B_noise_at_start": th[power]["noise_scales"][1], "target_loss": target}
    sgd, pre = forms[p["powers"][0]], forms[p["powers"][-1]]
    S = {r["B"]: r["steps_simulated"] for r in sgd["rows"]}
    Bs = p["batch_sizes"]
    small = S[Bs[0]] / (S[Bs[1]] * Bs[1] / Bs[0])
    large = S[Bs[-2]] / S[Bs[-1]]
    lrs = [r["lr"] for r in sgd["rows"]]
    examples = [r["examples_simulated"] for r in sgd["rows"]]
    numbers = {"runs": p["runs"], "z_critical": zc, "per_form": {f"H^-{pw}": f for pw, f in forms.items()},
               "small_batch_speedup_over_ideal": small, "large_batch_speedup": large}
    c17 = Claim("supported", (
        f"NQM, d = {p['dim']}, target {p['target_fraction']:g}× the initial loss, best constant rate per B, "
        f"{p['runs']:,} runs each: SGD needs {', '.join(str(S[B]) for B in Bs)} steps at B = "
        f"{', '.join(map(str, Bs))} (exact {', '.join(str(r['steps_exact']) for r in sgd['rows'])}), so {Bs[1]}× the "
        f"batch gives {small:.2f}× the ideal speed-up at small B and {Bs[-1] // Bs[-2]}× only {large:.2f}× at large "
        f"B, while the examples grow from {min(examples):,} to {examples[-1]:,}; the best rate grows with B "
        f"({lrs[0]:.3g} → {lrs[-1]:.3g}). S = S_min(1 + B_crit/B) fits with B_crit = {sgd['B_crit']:.0f} (error "
        f"{sgd['fit_max_rel_error']:.0%}; B_noise at the start {sgd['B_noise_at_start']:.1f}); H^-1/2 "
        f"preconditioning moves it to {pre['B_crit']:.0f}. Every curve equals the exact loss (max |z| "
        f"{max(r['max_abs_z_vs_exact'] for f in forms.values() for r in f['rows']):.2f}, threshold {zc:.2f})"), {
        "simulation_matches_exact": all(r["max_abs_z_vs_exact"] < zc for f in forms.values() for r in f["rows"]),
        "steps_match_exact": all(r["exact_in_interval"] for f in forms.values() for r in f["rows"]),
        "perfect_scaling_at_small_batches": abs(small - 1) < p["perfect_scaling_within"],
        "diminishing_returns_at_large_batches": large < p["diminishing_below"],
        "examples_grow_past_the_knee": examples[-1] > 2 * min(examples),
        "preconditioning_raises_the_critical_batch": pre["B_crit"] > sgd["B_crit"],
        "no_divergence": all(r["diverged"] == 0 for f in forms.values() for r in f["rows"])})
    return {"C17": c17}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    th = _theory(p)
    with style() as plt:
        fig, ax = plt.subplots(1, 2, figsize=(13, 4.4))
        for k, (power, color) in enumerate(zip(p["powers"], ("C0", "C1"))):
            f = numbers["per_form"][f"H^-{power}"]
            label = "SGD" if power == 0 else f"SGD, H^-{power} preconditioned"
            Bt = np.array(p["theory_batch_sizes"], float)
            St = np.array(th[power]["steps"], float)
            ax[0].plot(Bt, St, "-", color=color, lw=1, label=f"{label}: exact, best rate")
            Bs = np.array([r["B"] for r in f["rows"]], float)
            S = np.array([r["steps_simulated"] for r in f["rows"]], float)
            lo = np.array([r["steps_interval"][0] for r in f["rows"]], float)
            hi = np.array([r["steps_interval"][1] for r in f["rows"]], float)
            ax[0].errorbar(Bs, S, yerr=[S - lo, hi - S], fmt="o", color=color, capsize=3, label=f"{label}: simulated")
            ax[0].plot(Bt, f["S_min"] * (1 + f["B_crit"] / Bt), ":", color=color, lw=1,
                       label=f"S_min(1 + B_crit/B), B_crit = {f['B_crit']:.0f}")
            ax[1].plot(Bt * St, St, "-", color=color, lw=1, label=label)
            ax[1].plot(Bs * S, S, "o", color=color)
        ax[0].set(xscale="log", yscale="log", xlabel="batch size B", ylabel="steps to the target")
        verdict_title(ax[0], passed, f"NQM, d = {p['dim']}, {p['runs']} runs per point")
        ax[0].legend(fontsize=7)
        ax[1].set(xscale="log", yscale="log", xlabel="examples to the target (B × steps)",
                  ylabel="steps to the target", title="the steps-examples hyperbola")
        ax[1].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
