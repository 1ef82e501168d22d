"""Which hyperparameters matter: Sobol and Morris indices from simulation, checked against the closed form.

Claims C16 and C24, through ``simsgd.sensitivity`` (SALib designs, each quantity's Monte Carlo error
carried into the indices). C16: SGD on an isotropic quadratic (H = mu I, d = 4, noise M spread evenly,
x0 = 1) over (alpha, mu, M, B) on log or linear ranges, with two quantities that have a closed form:
the error averaged over the second half of the steps (the ball alpha M / (B mu (2 - alpha mu)) plus the
decay left of the start, analysed as log10) and the step at which E||theta_t - theta*||^2 first reaches
``target``. Judged on the same Saltelli design as the exact quantities: every point's estimate equals the
exact value (|z| over all points, both seeds, Bonferroni; the mean of z^2 as Student's t says, so
that the errors are neither too small nor too large), and the first-order and total indices from
simulation equal those of the closed form within their Monte Carlo error; a second seed's indices differ
from the first's as that error says. C24 (reported): Adam on a noisy ill-conditioned quadratic (d = 8,
L = 1, eigenvalues geometric down to 1/condition, unit noise per direction) over (lr, b1, b2, eps, B,
condition): total Sobol indices and Morris mu* of the late loss (f - f* averaged over the second half,
log10: the quadratic's error itself is not stationary within the steps at condition 10^4) and of the
steps to a loss of ``adam_target`` (censored at the horizon), ranked; the late loss's error model is
checked by the second seed as above, the hitting time's indices are reported with whether they are
firm: with 100 runs a point (quick scale) they are not, the seeds disagreeing far beyond the error from
the groups where the mean loss levels off near the target (its crossing is then ill-determined); with
500 (full scale) they agree. Point errors come from 20 groups of runs,
so the point z-scores are judged against Student's t with 19 degrees of freedom.
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.simulate import record_steps
from simsgd.engine.statistics import t_calibration, t_threshold, z_threshold, zscores
from simsgd.sweeps.sensitivity import MAIN, analyse
from simsgd.workflow.claims import Claim

CLAIMS = ("C16", "C24")
_SGD_RANGES = {"lr": [0.05, 0.5, "log"], "mu": [0.2, 1.0, "linear"], "M": [0.05, 0.5, "log"],
               "batch_size": [1, 16, "log"]}
_ADAM_RANGES = {"lr": [1e-3, 0.1, "log"], "b1": [0.0, 0.99, "linear"], "b2": [0.9, 0.9999, "linear"],
                "eps": [1e-8, 1.0, "log"], "batch_size": [1, 64, "log"], "condition": [10.0, 1e4, "log"]}
_BASE = {"dim": 4, "x0": 1.0, "steps": 600, "target": 1.0, "sgd_ranges": _SGD_RANGES,
         "adam_dim": 8, "adam_steps": 2000, "adam_record_every": 20, "adam_target": 0.05,
         "adam_ranges": _ADAM_RANGES, "resamples": 200, "groups": 20}
SCALES = {"quick": {**_BASE, "runs": 200, "sgd_samples": 8, "adam_runs": 100, "adam_samples": 8, "resamples": 50,
                    "morris_trajectories": 4},
          "full": {**_BASE, "runs": 2000, "sgd_samples": 256, "adam_runs": 500, "adam_samples": 128,
                   "morris_trajectories": 64}}
_INTEGER = ("batch_size",)


def _ranges(r):
    return {k: {"low": lo, "high": hi, "scale": scale, "integer": k in _INTEGER} for k, (lo, hi, scale) in r.items()}


def _sgd_spec(p, seed):
    return ss.SweepSpec("noisy_quadratic", "SGD", p["runs"], p["steps"], seed=seed, groups=p["groups"],
                        fixed={"dim": p["dim"], "x0": p["x0"]}, ranges=_ranges(p["sgd_ranges"]),
                        quantities=[{"name": "ball", "kind": "average", "metric": "error_sq"},
                                    {"name": "hit", "kind": "steps_to", "metric": "error_sq", "target": p["target"]}])


def _adam_spec(p, seed):
    return ss.SweepSpec("noisy_quadratic", "Adam", p["adam_runs"], p["adam_steps"], seed=seed, groups=p["groups"],
                        record_every=p["adam_record_every"], fixed={"dim": p["adam_dim"], "L": 1.0},
                        ranges=_ranges(p["adam_ranges"]),
                        quantities=[{"name": "late_loss", "kind": "average", "metric": "loss"},
                                    {"name": "hit", "kind": "steps_to", "metric": "loss", "target": p["adam_target"]}])


PARTS = {"sgd": (("ball", True), ("hit", False)), "adam": (("late_loss", True), ("hit", False))}


def simulate(p, ctx):
    out = {}
    runs = (("sgd", "sobol", _sgd_spec, p["sgd_samples"]), ("adam", "sobol", _adam_spec, p["adam_samples"]),
            ("adam", "morris", _adam_spec, p["morris_trajectories"]))
    for part, method, make, samples in runs:
        s = ss.sensitivity(make(p, ctx.seed), method, ctx.cache / f"{part}_{method}", samples=samples,
                           target=ctx.target, progress=ctx.progress, resamples=2)
        tag = f"{part}_{method}"
        out[f"{tag}_X"] = s.X
        for k, v in s.points.items():
            out[f"{tag}_{k.split('.', 1)[1]}"] = v
        for q, _ in PARTS[part]:
            out[f"{tag}_{q}"] = np.stack([d[q].values for d in s.datasets])
            out[f"{tag}_{q}_sem"] = np.stack([d[f"{q}_sem"].values for d in s.datasets])
        out[f"{tag}_diverged"] = np.array([int(np.sum(d["diverged_runs"].values[:, -1])) for d in s.datasets])
    return out


def _exact(p, data):
    """The closed form of both SGD quantities at every design point, by the simulation's definitions (written
    apart from ``simsgd.sweeps``: the window mean of the exact curve, its interpolated crossing)."""
    t = record_steps(p["steps"], 1)
    ball, hit = [], []
    for a, m, noise, b in zip(*(data[f"sgd_sobol_{k}"] for k in ("lr", "mu", "M", "batch_size"))):
        curve = theory.sgd_error_sq(t, a, np.full(p["dim"], m), p["x0"], noise / p["dim"], b)
        ball.append(np.mean(curve[t >= p["steps"] // 2]))
        k = int(np.argmax(curve <= p["target"]))  # reached within the steps at every design point
        hit.append(k - 1 + (curve[k - 1] - p["target"]) / (curve[k - 1] - curve[k]))
    return {"ball": np.array(ball), "hit": np.array(hit)}


def _problem(ranges):
    from simsgd.sweeps.sensitivity import salib_problem

    return salib_problem(ss.SweepSpec("noisy_quadratic", "SGD" if "mu" in ranges else "Adam", 10, 1,
                                      fixed={"L": 1.0} if "condition" in ranges else {}, ranges=_ranges(ranges)))


def verdict(data, p):
    res = {}
    zc_pts = None
    exact = _exact(p, data)
    parts = (("sgd", "sobol", p["sgd_ranges"]), ("adam", "sobol", p["adam_ranges"]), ("adam", "morris", p["adam_ranges"]))
    for part, method, ranges in parts:
        tag = f"{part}_{method}"
        problem = _problem(ranges)
        X = data[f"{tag}_X"]
        for q, log in PARTS[part]:
            Y, S = data[f"{tag}_{q}"], data[f"{tag}_{q}_sem"]
            per_seed = []
            for k in range(Y.shape[0]):
                y, s = (np.log10(Y[k]), S[k] / (Y[k] * np.log(10.0))) if log else (Y[k], S[k])
                per_seed.append(analyse(method, problem, X, y, s, k, p["resamples"]))
            entry = {"seeds": per_seed, "inputs": problem["names"]}
            if tag == "sgd_sobol":
                ex = exact[q]
                entry["exact"] = analyse(method, problem, X, np.log10(ex) if log else ex, np.zeros_like(ex), 0, 0)
                z = zscores(Y, S, ex[None, :])
                entry["max_abs_z_points"] = float(np.abs(z).max())
                entry["mean_z2_points"], entry["mean_z2_interval"] = t_calibration(z, p["groups"] - 1)
                zc_pts = t_threshold(2 * Y.size, p["groups"] - 1)  # errors from the spread of the groups
            res[(tag, q)] = entry
    numbers = {"runs": p["runs"], "adam_runs": p["adam_runs"], "z_critical_points": zc_pts, "parts": {}}
    checks_c16, checks_c24 = {}, {}
    n_idx = 0
    for (tag, q), e in res.items():
        n_idx += sum(len(e["seeds"][0][k]) for k in MAIN[tag.split("_")[1]]) * (3 if "exact" in e else 2)
    zc = z_threshold(n_idx)
    for (tag, q), e in res.items():
        method = tag.split("_")[1]
        first = e["seeds"][0]
        rec = {"inputs": e["inputs"], "noise_share": first["noise_share"], "adequate": first["adequate"],
               "max_mc_error": first["max_mc_error"]}
        zs = []
        for k in MAIN[method]:
            rec[k] = [s[k].tolist() for s in e["seeds"]]
            rec[f"{k}_mc_error"] = first[f"{k}_mc_error"].tolist()
            if f"{k}_conf" in first:
                rec[f"{k}_conf"] = first[f"{k}_conf"].tolist()
            err = np.maximum(first[f"{k}_mc_error"], 1e-300)
            zs.append((e["seeds"][1][k] - first[k]) / (np.sqrt(2.0) * err))
            if "exact" in e:
                rec[f"{k}_exact"] = e["exact"][k].tolist()
                rec[f"max_abs_z_{k}_vs_exact"] = float(max(np.abs((s[k] - e["exact"][k]) / err).max()
                                                           for s in e["seeds"]))
        rec["replicate_max_abs_z"] = float(max(np.abs(z).max() for z in zs))
        rec["adequate"] = bool(first["adequate"] and rec["replicate_max_abs_z"] < zc)
        if "exact" in e:
            rec["max_abs_z_points_vs_exact"] = e["max_abs_z_points"]
            rec["mean_z2_points_vs_exact"], rec["mean_z2_interval"] = e["mean_z2_points"], e["mean_z2_interval"]
            checks_c16[f"{q}_points_match_exact"] = e["max_abs_z_points"] < zc_pts
            lo, hi = e["mean_z2_interval"]  # errors neither too small nor too large
            checks_c16[f"{q}_point_errors_calibrated"] = lo < e["mean_z2_points"] < hi
            for k in MAIN[method]:
                checks_c16[f"{q}_{k}_matches_exact"] = rec[f"max_abs_z_{k}_vs_exact"] < zc
            checks_c16[f"{q}_replicate_consistent"] = rec["replicate_max_abs_z"] < zc
        else:
            if q == "late_loss":  # the hitting time's indices are reported with their adequacy, not judged
                checks_c24[f"{tag}_{q}_replicate_consistent"] = rec["replicate_max_abs_z"] < zc
            key = "ST" if method == "sobol" else "mu_star"
            order = np.argsort(first[key])[::-1]
            rec["ranking"] = [e["inputs"][j] for j in order]
        numbers["parts"][f"{tag}_{q}"] = rec
    numbers["z_critical_indices"] = zc
    numbers["diverged"] = {k[:-9]: data[k].tolist() for k in data if k.endswith("_diverged")}
    sgd_b = numbers["parts"]["sgd_sobol_ball"]
    names = sgd_b["inputs"]
    ib = names.index("batch_size")
    c16 = Claim("supported", (
        f"{len(data['sgd_sobol_X'])} Saltelli points x {p['runs']:,} runs x 2 seeds: every point's ball and hitting time "
        f"equal the closed form (max |z| {sgd_b['max_abs_z_points_vs_exact']:.2f}, "
        f"{numbers['parts']['sgd_sobol_hit']['max_abs_z_points_vs_exact']:.2f}; threshold {zc_pts:.2f}); "
        f"Sobol indices of log10 ball: ST(B) {sgd_b['ST'][0][ib]:.3f} vs exact {sgd_b['ST_exact'][ib]:.3f}, "
        f"ST(α) {sgd_b['ST'][0][names.index('lr')]:.3f} vs {sgd_b['ST_exact'][names.index('lr')]:.3f} "
        f"(max |z| vs exact {max(sgd_b['max_abs_z_S1_vs_exact'], sgd_b['max_abs_z_ST_vs_exact']):.2f}, "
        f"threshold {zc:.2f}); the batch size matters to the ball and not to the hitting time "
        f"(ST(B) {numbers['parts']['sgd_sobol_hit']['ST'][0][ib]:.3f})"), checks_c16)
    late, hit = numbers["parts"]["adam_sobol_late_loss"], numbers["parts"]["adam_sobol_hit"]
    mor = numbers["parts"]["adam_morris_late_loss"]

    def top(rec, key):
        return ", ".join(f"{n} {rec[key][0][rec['inputs'].index(n)]:.2f}" for n in rec["ranking"][:3])

    c24 = Claim("reported", (
        f"Adam, {p['adam_runs']} runs per point: total Sobol indices of log10 late loss: {top(late, 'ST')} "
        f"(Morris mu* ranks {', '.join(mor['ranking'][:3])}); of the steps to loss {p['adam_target']}: "
        f"{top(hit, 'ST')}; late-loss indices {'firm' if late['adequate'] else 'NOT firm'} (noise share "
        f"{late['noise_share']:.1e}, seeds agree to |z| {late['replicate_max_abs_z']:.1f}); hitting-time indices "
        + (f"firm (noise share {hit['noise_share']:.1e}, seeds agree to |z| {hit['replicate_max_abs_z']:.1f})"
           if hit["adequate"] else
           f"NOT firm (seeds differ by |z| up to {hit['replicate_max_abs_z']:.0f}: where the mean loss levels off "
           f"near the target, its crossing is ill-determined)")),
        checks_c24)
    return {"C16": c16, "C24": c24}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    panels = (("sgd_sobol_ball", "SGD: log10 ball (Sobol)"), ("sgd_sobol_hit", "SGD: steps to target (Sobol)"),
              ("adam_sobol_late_loss", "Adam: log10 late loss (Sobol)"), ("adam_sobol_hit", "Adam: steps to target (Sobol)"),
              ("adam_morris_late_loss", "Adam: log10 late loss (Morris)"))
    with style() as plt:
        fig, axes = plt.subplots(1, 6, figsize=(27, 4.2))
        ex = _exact(p, data)
        ax = axes[0]
        Y, S = data["sgd_sobol_ball"][0], data["sgd_sobol_ball_sem"][0]
        ax.errorbar(ex["ball"], Y, yerr=1.96 * S, fmt="o", ms=2, lw=0.6, label="simulated (95%)")
        lim = [ex["ball"].min() * 0.8, ex["ball"].max() * 1.25]
        ax.plot(lim, lim, "k--", lw=1, label="y = x")
        ax.set(xscale="log", yscale="log", xlabel="exact time-averaged E||θ-θ*||²", ylabel="simulated")
        verdict_title(ax, passed, f"ball at {Y.size} points, max|z| "
                                  f"{numbers['parts']['sgd_sobol_ball']['max_abs_z_points_vs_exact']:.2f}")
        ax.legend()
        for ax, (key, title) in zip(axes[1:], panels):
            rec = numbers["parts"][key]
            first, second = ("S1", "ST") if "sobol" in key else ("mu_star", "sigma")
            x = np.arange(len(rec["inputs"]))
            for j, k in enumerate((first, second)):
                err = 1.96 * np.asarray(rec[f"{k}_mc_error"])
                if f"{k}_conf" in rec:
                    err = np.sqrt(err**2 + np.asarray(rec[f"{k}_conf"]) ** 2)
                ax.bar(x + (j - 0.5) * 0.38, rec[k][0], 0.38, yerr=err, capsize=2, color=f"C{j}", label=k)
                if f"{k}_exact" in rec:
                    ax.plot(x + (j - 0.5) * 0.38, rec[f"{k}_exact"], "k_", ms=14, mew=2,
                            label="closed form" if j else None)
            ax.set_xticks(x, rec["inputs"], rotation=30)
            ax.set(title=f"{title}\nnoise share {rec['noise_share']:.1e}", ylabel="index")
            ax.legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
