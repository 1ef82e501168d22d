"""Nesterov momentum: the gradient taken at the look-ahead point, in both of its usual forms.

Claim C21 (Sutskever et al. 2013). Classical momentum, Sutskever's Nesterov (the kernel evaluates
the gradient at theta - lr b1 m) and the frameworks' reparametrised Nesterov (``HeavyBall(nesterov=
True)``, whose parameters are that look-ahead point) on quadratics with kappa = 100 and 1000,
noise off and on. Each is checked against the exact moment recursion of its own linear system
(``theory.momentum_error_sq``: ``nesterov=True``; ``at_lookahead=True`` for the frameworks' form);
the per-step rates (spectral radii) and the noise balls are reported.
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.workflow.claims import Claim

CLAIMS = ("C21",)
_BASE = {"dim": 10, "L": 1.0, "kappas": [100, 1000], "noise_std": 0.3, "x0": 1.0, "lr": 5.0, "b1": 0.9,
         "steps": 1500, "record_every": 5}
SCALES = {"quick": {**_BASE, "runs": 1000}, "full": {**_BASE, "runs": 20_000}}
FORMS = ("classical", "nesterov", "framework")


def _problem(p, kappa, noise):
    lam = np.geomspace(p["L"] / kappa, p["L"], p["dim"])
    return ss.Quadratic(lam, p["noise_std"] if noise else 0.0, p["x0"])


def _optimizer(p, form):
    if form == "classical":
        return ss.Momentum(p["lr"], p["b1"])
    if form == "nesterov":
        return ss.Nesterov(p["lr"], p["b1"])
    return ss.HeavyBall(p["lr"] * (1 - p["b1"]), p["b1"], nesterov=True)


def _exact(p, kappa, noise, form, t):
    prob = _problem(p, kappa, noise)
    return theory.momentum_error_sq(int(t[-1]), p["lr"], p["b1"], prob.eigenvalues, prob.e0, prob.noise_var,
                                    nesterov=form != "classical", at_lookahead=form == "framework")[t]


def simulate(p, ctx):
    out = {}
    i = 0
    for kappa in p["kappas"]:
        for noise in (False, True):
            for form in FORMS:
                tag = f"k{kappa}_{'noisy' if noise else 'clean'}_{form}"
                r = ctx.curve(tag, _problem(p, kappa, noise), _optimizer(p, form), p["runs"] if noise else 2,
                              p["steps"], first_run=i * p["runs"], record_every=p["record_every"])
                out[f"{tag}_mean"], out[f"{tag}_sem"], out[f"{tag}_diverged"] = r["mean"], r["sem"], r["diverged"]
                out["steps"] = r["steps"]
                i += 1
    return out


def verdict(data, p):
    t = data["steps"]
    n_noisy = len(p["kappas"]) * len(FORMS)
    zc = z_threshold(n_noisy * (t.size - 1))
    rows = []
    for kappa in p["kappas"]:
        lam = np.geomspace(p["L"] / kappa, p["L"], p["dim"])
        prob = _problem(p, kappa, True)
        for form in FORMS:
            clean = data[f"k{kappa}_clean_{form}_mean"]
            ex_clean = _exact(p, kappa, False, form, t)
            noisy = f"k{kappa}_noisy_{form}"
            ex = _exact(p, kappa, True, form, t)
            rows.append({
                "kappa": kappa, "form": form,
                "noise_free_max_rel_err": float(np.max(np.abs(clean / ex_clean - 1))),
                "max_abs_z_vs_exact": float(np.abs(zscores(data[f"{noisy}_mean"][1:], data[f"{noisy}_sem"][1:],
                                                           ex[1:])).max()),
                "rate": theory.momentum_rate(p["lr"], p["b1"], lam, nesterov=form != "classical"),
                "ball_simulated": float(data[f"{noisy}_mean"][-1]),
                "ball_exact": theory.momentum_error_sq_limit(p["lr"], p["b1"], lam, prob.noise_var,
                                                             nesterov=form != "classical")
                if form != "framework" else None,
                "diverged": int(data[f"{noisy}_diverged"][-1] + data[f"k{kappa}_clean_{form}_diverged"][-1]),
            })
    k0 = {r["form"]: r for r in rows if r["kappa"] == p["kappas"][0]}
    c21 = Claim("supported", (
        f"classical, Sutskever's Nesterov (gradient at θ − αβ1 m) and the frameworks' form, κ = "
        f"{' and '.join(str(k) for k in p['kappas'])}: noise-free curves equal the exact ones to "
        f"{max(r['noise_free_max_rel_err'] for r in rows):.0e}, {p['runs']:,} noisy runs within max |z| "
        f"{max(r['max_abs_z_vs_exact'] for r in rows):.2f} (threshold {zc:.2f}) of the exact recursion of each form's "
        f"own linear system; κ = {p['kappas'][0]}: per-step rate {k0['nesterov']['rate']:.4f} (Nesterov) vs "
        f"{k0['classical']['rate']:.4f} (classical), ball {k0['nesterov']['ball_simulated']:.1f} vs "
        f"{k0['classical']['ball_simulated']:.1f}"), {
        "noise_free_matches_exact": all(r["noise_free_max_rel_err"] < 1e-9 for r in rows),
        "noisy_matches_exact": all(r["max_abs_z_vs_exact"] < zc for r in rows),
        "no_divergence": all(r["diverged"] == 0 for r in rows)})
    return {"C21": c21}, {"runs": p["runs"], "z_critical": zc, "per_case": rows}


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, marks, style, verdict_title

    t = data["steps"]
    colors = {"classical": "C1", "nesterov": "C0", "framework": "C2"}
    labels = {"classical": "classical momentum", "nesterov": "Nesterov (look-ahead gradient)",
              "framework": "frameworks' Nesterov (stores the look-ahead point)"}
    with style() as plt:
        fig, ax = plt.subplots(2, len(p["kappas"]), figsize=(12, 8), squeeze=False)
        for j, kappa in enumerate(p["kappas"]):
            for i, noise in enumerate((False, True)):
                a = ax[i, j]
                for n_form, form in enumerate(FORMS):
                    tag = f"k{kappa}_{'noisy' if noise else 'clean'}_{form}"
                    band(a, t, data[f"{tag}_mean"], data[f"{tag}_sem"], labels[form], color=colors[form],
                         **marks(n_form, t.size))
                    a.plot(t, _exact(p, kappa, noise, form, t), "k--", lw=0.6)
                a.set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²")
                title = f"κ = {kappa}, {'noise σ = ' + str(p['noise_std']) if noise else 'no noise'} (exact dashed)"
                if i == 0 and j == 0:
                    verdict_title(a, passed, title)
                else:
                    a.set_title(title)
                a.legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
