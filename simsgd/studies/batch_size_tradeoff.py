"""The batch-size trade-off: fewer steps with larger batches, perfect scaling, then diminishing returns.

Claim C17 (its computational part: a larger B gives a better gradient estimate at more compute, and
small batches need smaller rates). Two settings.
- The noisy quadratic model (NQM; Zhang et al. 2019): curvatures h_i = 1/i, per-example gradient noise
  covariance H, a minibatch of B dividing it by B, theta_i(0) = 1. For each B the constant rate (and
  for momentum the b1 of a grid) reaching the target loss in the fewest steps is found on the exact
  expected loss (``theory.best_rate_steps``); at that rate thousands of runs are simulated and their
  steps read off the mean loss with a Bonferroni interval. Three forms: SGD, H^-1/2-preconditioned
  SGD (plain SGD on curvatures and noise h^(1/2), ``theory.precondition``) and the lecture's EWMA
  momentum (``theory.momentum_steps_to_loss``); Zhang et al. found that the last two move the critical
  batch size up, which the simulated steps are asked to show.
- Least squares on the diabetes data (``LeastSquares``, rows drawn with replacement): per B a sweep of
  rates, each point thousands of runs, the best one by simulation, its mean loss checked against the
  exact state-dependent recursion (``theory.sgd_moments``).
McCandlish et al.'s S = S_min (1 + B_crit / B) is fitted to the simulated steps of each; its fit error
and the noise scales B_simple, B_noise at the start are reported. The hardware side of C17 (threads,
memory, powers of two) is the study ``hardware_batch``.
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.data import load_dataset
from simsgd.engine.statistics import first_at_or_below, z_threshold, zscores
from simsgd.workflow.claims import Claim
from simsgd.workflow.studies import memo_by_params

CLAIMS = ("C17",)
_BASE = {"dim": 50, "target_fraction": 0.01, "batch_sizes": [1, 4, 16, 64, 256, 1024, 4096],
         "horizon": 1.3, "records": 400, "perfect_scaling_within": 0.15, "diminishing_below": 1.5,
         "data": {"dataset": "diabetes", "target_fraction": 0.02, "batch_sizes": [1, 4, 16, 64, 256, 1024],
                  "lrs": np.geomspace(0.0005, 0.45, 20).round(6).tolist(), "steps_at_B1": 4000, "records": 200}}
# forms: name -> [preconditioning power, the b1 grid searched (0: SGD)]; the theory curve's batch sizes
SCALES = {"quick": {**_BASE, "runs": 500, "theory_batch_sizes": _BASE["batch_sizes"],
                    "forms": {"SGD": [0.0, [0.0]], "SGD, H^-1/2": [0.5, [0.0]], "momentum": [0.0, [0.5, 0.9]]}},
          "full": {**_BASE, "runs": 5000, "theory_batch_sizes": [2**k for k in range(15)],
                   "forms": {"SGD": [0.0, [0.0]], "SGD, H^-1/2": [0.5, [0.0]], "momentum": [0.0, [0.5, 0.7, 0.9]]}}}


def _nqm(p, power):
    h = 1.0 / np.arange(1, p["dim"] + 1)
    lam, s2, e0 = theory.precondition(h, h, np.ones(p["dim"]), power)
    return lam, s2, e0, p["target_fraction"] * 0.5 * h.sum()


@memo_by_params
def _theory(p):
    out = {}
    for form, (power, b1s) in p["forms"].items():
        lam, s2, e0, target = _nqm(p, power)
        best = []
        for B in p["theory_batch_sizes"]:
            tries = [(*theory.best_rate_steps(lam, e0, s2, B, target, b1=b1), b1) for b1 in b1s]
            best.append(min(tries, key=lambda x: x[0]))
        out[form] = {"steps": [b[0] for b in best], "lr": [b[1] for b in best], "b1": [b[2] for b in best],
                     "target": target, "noise_scales": theory.nqm_noise_scales(lam, np.sqrt(e0), s2)}
    return out


def _tuned(p, form, B):
    th = _theory(p)[form]
    i = p["theory_batch_sizes"].index(B)
    return th["lr"][i], th["b1"][i], th["steps"][i]


def _records(total, records):
    """(steps, record_every) covering ``total`` steps with at most ``records`` records."""
    every = max(1, int(np.ceil(total / records)))
    return every * min(records, int(np.ceil(total / every))), every


def _optimizer(lr, b1):
    return ss.SGD(lr) if b1 == 0.0 else ss.Momentum(lr, b1)


def _exact_nqm(p, form, t, lr, b1, B):
    lam, s2, e0, _ = _nqm(p, p["forms"][form][0])
    if b1 == 0.0:
        return theory.sgd_loss(t, lr, lam, np.sqrt(e0), s2, B)
    return theory.momentum_error_sq(int(t[-1]), lr, b1, lam, np.sqrt(e0), s2, B, weights=lam / 2)[t.astype(int)]


def _data(p):
    d = load_dataset(p["data"]["dataset"])
    prob = ss.LeastSquares(d.X, d.y)
    return d.X, d.y, prob, p["data"]["target_fraction"] * 0.5 * prob.theta_hat @ prob.hessian @ prob.theta_hat


def _data_horizon(p, B):
    return _records(p["data"]["steps_at_B1"] / B + 50, p["data"]["records"])


def simulate(p, ctx):
    out, first = {}, 0
    for k, form in enumerate(p["forms"]):
        lam, s2, e0, _ = _nqm(p, p["forms"][form][0])
        prob = ss.Quadratic(lam, np.sqrt(s2), np.sqrt(e0))
        for B in p["batch_sizes"]:
            lr, b1, steps = _tuned(p, form, B)
            T, every = _records(p["horizon"] * steps, p["records"])
            r = ctx.curve(f"f{k}_B{B}", prob, _optimizer(lr, b1), p["runs"], T, metric="loss", batch_size=B,
                          record_every=every, first_run=first)
            first += p["runs"]
            for key in ("mean", "sem", "diverged", "steps"):
                out[f"f{k}_B{B}_{key}"] = r[key]
    _, _, prob, _ = _data(p)
    for B in p["data"]["batch_sizes"]:
        T, every = _data_horizon(p, B)
        for i, lr in enumerate(p["data"]["lrs"]):
            r = ctx.curve(f"data_B{B}_{i}", prob, ss.SGD(lr), p["runs"], T, metric="loss", batch_size=B,
                          record_every=every, first_run=first)
            first += p["runs"]
            for key in ("mean", "sem", "diverged", "steps"):
                out[f"data_B{B}_{i}_{key}"] = r[key]
    return out


def _read(m, s, t, target, zc):
    """Steps to the target read off a mean curve: (likely, [earliest plausible, latest plausible])."""
    maybe, likely, sure = first_at_or_below(m, target, t, s, zc)
    return likely, [maybe, sure]


def _scaling(rows, key):
    """Speed-up over the ideal from the first to the second batch size, and the speed-up of the last doubling."""
    S = {r["B"]: r[key] for r in rows}
    Bs = [r["B"] for r in rows]
    return S[Bs[0]] / (S[Bs[1]] * Bs[1] / Bs[0]), S[Bs[-2]] / S[Bs[-1]]


def _fit(rows, key):
    fit = theory.fit_critical_batch([r["B"] for r in rows], [r[key] for r in rows])
    return {"S_min": fit[0], "B_crit": fit[1], "fit_max_rel_error": fit[2]}


def _nqm_verdict(data, p, zc):
    th = _theory(p)
    forms = {}
    for k, form in enumerate(p["forms"]):
        target = th[form]["target"]
        rows = []
        for B in p["batch_sizes"]:
            m, s, t = (data[f"f{k}_B{B}_{x}"] for x in ("mean", "sem", "steps"))
            lr, b1, exact_steps = _tuned(p, form, B)
            likely, (maybe, sure) = _read(m, s, t, target, zc)
            every = int(t[1] - t[0])
            rows.append({"B": B, "lr": lr, "b1": b1, "steps_exact": int(exact_steps), "steps_simulated": likely,
                         "steps_interval": [maybe, sure], "examples_simulated": B * likely,
                         "max_abs_z_vs_exact": float(np.abs(zscores(m[1:], s[1:],
                                                                    _exact_nqm(p, form, t, lr, b1, B)[1:])).max()),
                         "exact_in_interval": maybe - every <= exact_steps <= sure and sure >= 0,
                         "diverged": int(data[f"f{k}_B{B}_diverged"][-1])})
        fit_theory = theory.fit_critical_batch(p["theory_batch_sizes"], th[form]["steps"])
        forms[form] = {"rows": rows, **_fit(rows, "steps_simulated"),
                       "theory_fit": {"S_min": fit_theory[0], "B_crit": fit_theory[1], "max_rel_error": fit_theory[2]},
                       "B_simple_at_start": th[form]["noise_scales"][0],
                       "B_noise_at_start": th[form]["noise_scales"][1], "target_loss": target}
    return forms


def _data_verdict(data, p, zc):
    X, y, prob, target = _data(p)
    q = p["data"]
    rows = []
    for B in q["batch_sizes"]:
        sweep = []
        for i, lr in enumerate(q["lrs"]):
            m, s, t = (data[f"data_B{B}_{i}_{x}"] for x in ("mean", "sem", "steps"))
            likely, interval = _read(m, s, t, target, zc)
            sweep.append({"lr": lr, "steps": likely, "interval": interval,
                          "diverged": int(data[f"data_B{B}_{i}_diverged"][-1])})
        ok = [r for r in sweep if r["steps"] > 0]
        best = min(ok, key=lambda r: r["steps"])
        i = q["lrs"].index(best["lr"])
        m, s, t = (data[f"data_B{B}_{i}_{x}"] for x in ("mean", "sem", "steps"))
        exact = theory.sgd_moments(X, y, best["lr"], int(t[-1]), 0.0, B)[1][t.astype(int)]
        exact_steps = first_at_or_below(exact, target, t)
        rows.append({"B": B, "lr": best["lr"], "steps_simulated": best["steps"], "steps_interval": best["interval"],
                     "steps_exact_at_that_rate": exact_steps, "examples_simulated": B * best["steps"],
                     "max_abs_z_vs_exact": float(np.abs(zscores(m[1:], s[1:], exact[1:])).max()),
                     "exact_in_interval": best["interval"][0] <= exact_steps <= best["interval"][1],
                     "sweep": sweep})
    G = prob.hessian @ (0.0 - prob.theta_hat)
    sigma = theory.gradient_covariance(X, y, np.zeros(X.shape[1]))
    return {"dataset": q["dataset"], "n": len(y), "p": X.shape[1], "target_loss": target, "rows": rows,
            **_fit(rows, "steps_simulated"), "B_simple_at_start": float(np.trace(sigma) / (G @ G)),
            "B_noise_at_start": float(np.trace(prob.hessian @ sigma) / (G @ prob.hessian @ G))}


def verdict(data, p):
    n_curves = len(p["forms"]) * len(p["batch_sizes"]) + len(p["data"]["batch_sizes"]) * len(p["data"]["lrs"])
    zc = z_threshold(n_curves * max(p["records"], p["data"]["records"]))
    forms, real = _nqm_verdict(data, p, zc), _data_verdict(data, p, zc)
    names = list(p["forms"])
    sgd, pre, mom = (forms[f] for f in names)
    small, large = _scaling(sgd["rows"], "steps_simulated")
    real_small, real_large = _scaling(real["rows"], "steps_simulated")
    Bs = p["batch_sizes"]
    S = [r["steps_simulated"] for r in sgd["rows"]]
    examples = [r["examples_simulated"] for r in sgd["rows"]]
    lrs = [r["lr"] for r in sgd["rows"]]
    real_examples = [r["examples_simulated"] for r in real["rows"]]
    zmax = max(r["max_abs_z_vs_exact"] for f in forms.values() for r in f["rows"])
    numbers = {"runs": p["runs"], "z_critical": zc, "per_form": forms, "diabetes": real,
               "small_batch_speedup_over_ideal": small, "large_batch_speedup": large,
               "diabetes_small_batch_speedup_over_ideal": real_small, "diabetes_large_batch_speedup": real_large}
    c17 = Claim("supported", (
        f"NQM, d = {p['dim']}, target {p['target_fraction']:g}× the initial loss, best constant rate per B, "
        f"{p['runs']:,} runs each: SGD needs {', '.join(map(str, S))} steps at B = {', '.join(map(str, Bs))} "
        f"(exact {', '.join(str(r['steps_exact']) for r in sgd['rows'])}), so {Bs[1]}× the batch gives {small:.2f}× "
        f"the ideal speed-up at small B and {Bs[-1] // Bs[-2]}× only {large:.2f}× at large B, while the examples grow "
        f"from {min(examples):,} to {examples[-1]:,}; the best rate grows with B ({lrs[0]:.3g} → {lrs[-1]:.3g}). "
        f"S = S_min(1 + B_crit/B) fits with B_crit = {sgd['B_crit']:.0f} (error {sgd['fit_max_rel_error']:.0%}; "
        f"B_noise at the start {sgd['B_noise_at_start']:.1f}); H^-1/2 preconditioning moves it to {pre['B_crit']:.0f}, "
        f"tuned momentum to {mom['B_crit']:.0f} ({mom['rows'][-1]['steps_simulated']} steps at B = {Bs[-1]}). Every "
        f"curve equals the exact loss (max |z| {zmax:.2f}, threshold {zc:.2f}). On the {real['dataset']} data (n = "
        f"{real['n']}, best of {len(p['data']['lrs'])} rates per B by simulation): "
        f"{', '.join(str(r['steps_simulated']) for r in real['rows'])} steps at B = "
        f"{', '.join(str(r['B']) for r in real['rows'])}, {real_small:.2f}× the ideal speed-up at small B, "
        f"{real_large:.2f}× for the last ×{real['rows'][-1]['B'] // real['rows'][-2]['B']}, B_crit = "
        f"{real['B_crit']:.0f} (error {real['fit_max_rel_error']:.0%}; B_noise at the start "
        f"{real['B_noise_at_start']:.1f}), every tuned curve equal to the exact recursion (max |z| "
        f"{max(r['max_abs_z_vs_exact'] for r in real['rows']):.2f})"), {
        "simulation_matches_exact": zmax < zc,
        "steps_match_exact": all(r["exact_in_interval"] for f in forms.values() for r in f["rows"]),
        "perfect_scaling_at_small_batches": abs(small - 1) < p["perfect_scaling_within"],
        "diminishing_returns_at_large_batches": large < p["diminishing_below"],
        "examples_grow_past_the_knee": examples[-1] > 2 * min(examples),
        "preconditioning_raises_the_critical_batch": pre["B_crit"] > sgd["B_crit"],
        "momentum_raises_the_critical_batch": mom["B_crit"] > sgd["B_crit"],
        "no_divergence": all(r["diverged"] == 0 for f in forms.values() for r in f["rows"]),
        "data_simulation_matches_exact": all(r["max_abs_z_vs_exact"] < zc for r in real["rows"]),
        "data_steps_match_exact": all(r["exact_in_interval"] for r in real["rows"]),
        "data_perfect_scaling_at_small_batches": abs(real_small - 1) < p["perfect_scaling_within"],
        "data_diminishing_returns_at_large_batches": real_large < p["diminishing_below"],
        "data_examples_grow_past_the_knee": real_examples[-1] > 2 * min(real_examples)})
    return {"C17": c17}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    th = _theory(p)
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(17, 4.6))
        for form, color in zip(p["forms"], ("C0", "C1", "C2")):
            f = numbers["per_form"][form]
            Bt = np.array(p["theory_batch_sizes"], float)
            St = np.array(th[form]["steps"], float)
            ax[0].plot(Bt, St, "-", color=color, lw=1, label=f"{form}: exact, best rate")
            Bs = np.array([r["B"] for r in f["rows"]], float)
            S = np.array([r["steps_simulated"] for r in f["rows"]], float)
            lo = np.array([r["steps_interval"][0] for r in f["rows"]], float)
            hi = np.array([r["steps_interval"][1] for r in f["rows"]], float)
            ax[0].errorbar(Bs, S, yerr=[S - lo, hi - S], fmt="o", color=color, capsize=3, label=f"{form}: simulated")
            ax[0].plot(Bt, f["S_min"] * (1 + f["B_crit"] / Bt), ":", color=color, lw=1,
                       label=f"S_min(1 + B_crit/B), B_crit = {f['B_crit']:.0f}")
            ax[1].plot(Bt * St, St, "-", color=color, lw=1, label=form)
            ax[1].plot(Bs * S, S, "o", color=color)
        ax[0].set(xscale="log", yscale="log", xlabel="batch size B", ylabel="steps to the target")
        verdict_title(ax[0], passed, f"NQM, d = {p['dim']}, {p['runs']} runs per point")
        ax[0].legend(fontsize=6)
        ax[1].set(xscale="log", yscale="log", xlabel="examples to the target (B × steps)",
                  ylabel="steps to the target", title="the steps-examples hyperbola (NQM)")
        ax[1].legend()
        real = numbers["diabetes"]
        for r, color in zip(real["rows"], ("C0", "C1", "C2", "C3", "C4", "C5")):
            sw = [s for s in r["sweep"] if s["steps"] > 0]
            ax[2].plot([s["lr"] for s in sw], [s["steps"] for s in sw], "o-", color=color, ms=3, lw=1,
                       label=f"B = {r['B']}: best {r['steps_simulated']} steps at lr {r['lr']:.3g}")
        ax[2].set(xscale="log", yscale="log", xlabel="learning rate", ylabel="steps to the target (simulated)",
                  title=f"{real['dataset']} data, least squares: B_crit = {real['B_crit']:.0f}, "
                        f"B_noise(0) = {real['B_noise_at_start']:.1f}")
        ax[2].legend(fontsize=7)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
