"""Sample complexity of nearest-neighbour regression: the n that reaches a fixed error grows exponentially in d.

Claim C07. Inputs uniform on the torus [0, 1)^d (wrap-around distance), target f(x) = sqrt(2/d) sum_j cos(2 pi
x_j) (mean 0, variance 1, equally smooth in every d), noise-free labels, 1-nearest-neighbour regression. Each
run draws ``test_points`` test points and streams training points, recording the test mean squared error at
every n of a log-spaced grid from 1 to ``span`` times the exact n* (nested training sets within a run,
independent runs, one master seed per d). The oracle is exact (``theory.neighbours``): the error is 2 E[1 -
g_d(r)], r the nearest-neighbour distance, g_d the sphere average of cos(2 pi r u_1), up to a remainder from
neighbours farther than 1/2 whose bound must be below ``remainder_sem_fraction`` standard errors at every
compared (d, n) (points where it is not, at small n and large d, are shown, not compared). n*(d), the first n
where the error reaches ``eps`` (of 2 Var f = 2 at n = 0), is interpolated in log-log between grid points from
the simulated mean and, the same way, from the exact curve; its standard error is the interpolated mean's
(with the covariance of neighbouring grid points, which share training points) through the local log-log
slope. The fit log n* = a + b d is weighted by those errors. Checks: every compared mean equals the exact
error (z, Bonferroni); n*(d) equals the exact curve's; b equals the exact b and is above 0; the local power
exponent log(n*(d+1)/n*(d)) / log(1 + 1/d) rises from the first pair of dimensions to the last (under
polynomial growth c d^k it would stay k: the per-dimension ratio would fall to 1 as (1 + 1/d)^k).
"""
import numpy as np

from simsgd.engine.statistics import calibration, z_threshold, zscores
from simsgd.montecarlo.neighbours import nearest_neighbour_error as simulate_errors
from simsgd.theory.neighbours import n_reaching, nearest_neighbour_error_exact, nearest_neighbour_remainder
from simsgd.workflow.claims import Claim
from simsgd.workflow.studies import memo_by_params

CLAIMS = ("C07",)
_BASE = {"eps": 0.3, "test_points": 64, "span": 2.0, "grid_points": 28, "remainder_sem_fraction": 0.1,
         "family_error": 1e-3, "plot_points": 40, "plot_remainder": 1e-3}
SCALES = {"quick": {**_BASE, "runs": 400, "dims": [1, 2, 3, 4, 5, 6]},
          "full": {**_BASE, "runs": 4000, "dims": [1, 2, 3, 4, 5, 6, 7, 8]}}


def _grid(p, d, points):
    """Integer n log-spaced from 1 to ``span`` times the exact n*, so every curve crosses eps inside."""
    top = p["span"] * n_reaching(d, p["eps"])
    return np.unique(np.round(np.geomspace(1.0, top, points)).astype(np.int64))


@memo_by_params
def _theory(p):
    out = {}
    for d in p["dims"]:
        ns = _grid(p, d, p["grid_points"])
        out[d] = {"ns": ns, "exact": nearest_neighbour_error_exact(d, ns), "remainder": nearest_neighbour_remainder(d, ns),
                  "n_star": n_reaching(d, p["eps"])}
    return out


@memo_by_params
def _dense(p):
    """Exact curves for the figure, where the dropped remainder is below ``plot_remainder`` (invisible)."""
    out = {}
    for d in p["dims"]:
        ns = _grid(p, d, p["plot_points"])
        ns = ns[nearest_neighbour_remainder(d, ns) < p["plot_remainder"]]
        out[d] = (ns, nearest_neighbour_error_exact(d, ns))
    return out


def simulate(p, ctx):
    out = {}
    for d in p["dims"]:
        ns = _theory(p)[d]["ns"]

        def run():
            e = simulate_errors(d, ns, p["runs"], test_points=p["test_points"], seed=(ctx.seed * 64 + d) % 2**64)
            c = e - e.mean(axis=0)
            # covariance of the means at neighbouring n (the same runs' nested training sets)
            cov_next = np.sum(c[:, :-1] * c[:, 1:], axis=0) / (p["runs"] - 1) / p["runs"]
            return {"ns": ns, "mean": e.mean(axis=0), "sem": e.std(axis=0, ddof=1) / np.sqrt(p["runs"]),
                    "cov_next": cov_next}
        for key, v in ctx.point(f"d{d}", run).items():
            out[f"d{d}_{key}"] = v
    return out


def _crossing(ns, e, eps, sem=None, cov_next=None):
    """(n*, its standard error): the first n where e reaches eps, interpolated in log-log; nan if never."""
    hit = np.flatnonzero(e <= eps)
    if not hit.size or hit[0] == 0 or np.any(e[hit[0] - 1:hit[0] + 1] <= 0):
        return np.nan, np.nan
    k = hit[0]
    x0, x1 = np.log(ns[k - 1]), np.log(ns[k])
    y0, y1 = np.log(e[k - 1]), np.log(e[k])
    slope = (y1 - y0) / (x1 - x0)
    w = (np.log(eps) - y0) / (y1 - y0)
    n_star = float(np.exp(x0 + w * (x1 - x0)))
    if sem is None:
        return n_star, np.nan
    a, b = (1 - w) / e[k - 1], w / e[k]
    var = a**2 * sem[k - 1] ** 2 + b**2 * sem[k] ** 2 + 2 * a * b * cov_next[k - 1]
    return n_star, float(n_star * np.sqrt(max(var, 0.0)) / abs(slope))


def _fit(dims, log_n, se_log):
    """Weighted least squares log n* = a + b d: (a, b, se of b) with weights 1 / se_log^2."""
    X = np.stack([np.ones(len(dims)), np.asarray(dims, dtype=np.float64)], axis=1)
    W = 1.0 / np.asarray(se_log) ** 2
    cov = np.linalg.inv(X.T @ (W[:, None] * X))
    coef = cov @ X.T @ (W * np.asarray(log_n))
    return float(coef[0]), float(coef[1]), float(np.sqrt(cov[1, 1]))


def _local_power(dims, n_star, se):
    """log(n*(d+1)/n*(d)) / log(1 + 1/d) for consecutive dimensions, with standard errors (independent d)."""
    d = np.asarray(dims, dtype=np.float64)
    lr = np.log(n_star[1:] / n_star[:-1]) / np.log(d[1:] / d[:-1])
    rel = se / n_star
    return lr, np.sqrt(rel[1:] ** 2 + rel[:-1] ** 2) / np.log(d[1:] / d[:-1])


def verdict(data, p):
    theory = _theory(p)
    dims = list(p["dims"])
    eps = p["eps"]
    z_all, rows, sim_n, sim_se, ex_n = [], [], [], [], []
    for d in dims:
        th = theory[d]
        ns, mean, sem = data[f"d{d}_ns"], data[f"d{d}_mean"], data[f"d{d}_sem"]
        compared = th["remainder"] < p["remainder_sem_fraction"] * sem
        z = zscores(mean, sem, th["exact"])[compared]
        z_all.append(z)
        n_s, se_s = _crossing(ns, mean, eps, sem, data[f"d{d}_cov_next"])
        n_e, _ = _crossing(ns, th["exact"], eps)
        sim_n.append(n_s), sim_se.append(se_s), ex_n.append(n_e)
        rows.append({"d": d, "compared": int(compared.sum()), "of": int(ns.size),
                     "max_abs_z": float(np.max(np.abs(z))) if z.size else np.nan,
                     "n_star": n_s, "n_star_se": se_s, "n_star_exact_grid": n_e, "n_star_exact": th["n_star"]})
    sim_n, sim_se, ex_n = np.array(sim_n), np.array(sim_se), np.array(ex_n)
    z_all = np.concatenate(z_all)
    n_compared = int(z_all.size)
    thr_curve = z_threshold(n_compared, p["family_error"])
    thr = z_threshold(len(dims) + 3, p["family_error"])
    finite = bool(np.all(np.isfinite(sim_n)) and np.all(np.isfinite(sim_se)) and np.all(sim_se > 0))
    if finite:
        se_log = sim_se / sim_n
        z_n = (np.log(sim_n) - np.log(ex_n)) / se_log
        a, b, b_se = _fit(dims, np.log(sim_n), se_log)
        a_ex, b_ex, _ = _fit(dims, np.log(ex_n), se_log)
        k_sim, k_se = _local_power(dims, sim_n, sim_se)
        k_ex, _ = _local_power(dims, ex_n, np.ones_like(ex_n))
        ratio = sim_n[1:] / sim_n[:-1]
        ratio_se = ratio * np.sqrt(se_log[1:] ** 2 + se_log[:-1] ** 2)
        k_gap_se = float(np.hypot(k_se[0], k_se[-1]))
    else:
        z_n = np.full(len(dims), np.inf)
        a = b = b_se = a_ex = b_ex = k_gap_se = np.nan
        k_sim = k_se = k_ex = ratio = ratio_se = np.full(len(dims) - 1, np.nan)
    checks = {
        "every_compared_mean_error_equals_exact": n_compared > 0 and bool(np.all(np.abs(z_all) < thr_curve)),
        "n_star_equals_exact_in_every_d": finite and bool(np.all(np.abs(z_n) < thr)),
        "rate_equals_exact": finite and abs(b - b_ex) < thr * b_se,
        "rate_positive": finite and b > thr * b_se,
        "local_power_exponent_rises": finite and k_sim[-1] - k_sim[0] > thr * k_gap_se,
    }
    calib, calib_range = calibration(z_all, p["family_error"]) if n_compared else (np.nan, (np.nan, np.nan))
    numbers = {
        "runs": p["runs"], "test_points": p["test_points"], "eps": eps, "dims": dims, "rows": rows,
        "compared_points": n_compared, "z_threshold_curves": thr_curve, "z_threshold_n_star": thr,
        "max_abs_z_curves": float(np.max(np.abs(z_all))) if n_compared else np.nan,
        "mean_z_sq_curves": calib, "mean_z_sq_range_if_independent": calib_range,
        "z_n_star": z_n.tolist(), "fit_intercept": a, "rate_b": b, "rate_b_se": b_se, "rate_b_exact": b_ex,
        "fit_intercept_exact": a_ex, "factor_per_dimension": float(np.exp(b)) if finite else np.nan,
        "ratio_per_dimension": np.asarray(ratio).tolist(), "ratio_per_dimension_se": np.asarray(ratio_se).tolist(),
        "ratio_per_dimension_exact": (ex_n[1:] / ex_n[:-1]).tolist(),
        "local_power_exponent": np.asarray(k_sim).tolist(), "local_power_exponent_se": np.asarray(k_se).tolist(),
        "local_power_exponent_exact": np.asarray(k_ex).tolist(),
        "last_ratio_if_polynomial_from_first_pair": float((dims[-1] / dims[-2]) ** k_sim[0]) if finite else np.nan,
    }
    claim = Claim("supported", (
        f"1-NN regression of a unit-variance cosine target on the d-torus, {p['runs']} training sets x "
        f"{p['test_points']} test points per (d, n): the n reaching error {eps} (of 2) is "
        + ", ".join(f"{n:.4g}" for n in sim_n) + f" for d = {dims[0]}..{dims[-1]} (exact "
        + ", ".join(f"{n:.4g}" for n in ex_n) + f"), log n* = a + b d with b = {b:.4f} +- {b_se:.4f} "
        f"(exact {b_ex:.4f}; x{np.exp(b):.3f} per dimension); local power exponent "
        f"{k_sim[0]:.2f} -> {k_sim[-1]:.2f} +- {k_gap_se:.2f} (constant if polynomial); {n_compared} mean errors "
        f"within |z| <= {numbers['max_abs_z_curves']:.2f} of the exact formula (threshold {thr_curve:.2f})"), checks)
    return {"C07": claim}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    dense = _dense(p)
    dims = list(p["dims"])
    with style() as plt:
        fig, ax = plt.subplots(1, 2, figsize=(13, 4.8))
        for i, d in enumerate(dims):
            band(ax[0], data[f"d{d}_ns"], data[f"d{d}_mean"], data[f"d{d}_sem"], f"d = {d}", color=f"C{i % 10}",
                 marker=".", ms=4)
        for i, d in enumerate(dims):
            label = f"exact (where remainder < {p['plot_remainder']:g})" if i == 0 else None
            ax[0].plot(*dense[d], "k--", lw=1, label=label, zorder=5)
        ax[0].axhline(p["eps"], color="0.4", ls=":", label=f"eps = {p['eps']}")
        ax[0].set(xscale="log", yscale="log", xlabel="training points n", ylabel="test mean squared error",
                  title="1-NN regression on the torus (bands: 95%)")
        ax[0].legend(fontsize=7, ncol=2)
        rows = numbers["rows"]
        n_s = np.array([r["n_star"] for r in rows])
        se = np.array([r["n_star_se"] for r in rows])
        ax[1].errorbar(dims, n_s, yerr=1.96 * se, fmt="C0o", label="simulated n* (95%)")
        ax[1].plot(dims, [r["n_star_exact_grid"] for r in rows], "k--", marker="x", label="exact curve's n*",
                   zorder=5)
        if np.isfinite(numbers["rate_b"]):
            dd = np.linspace(dims[0], dims[-1], 100)
            ax[1].plot(dd, np.exp(numbers["fit_intercept"] + numbers["rate_b"] * dd), "C1-", lw=1,
                       label=f"fit e^(a + b d), b = {numbers['rate_b']:.3f} +- {numbers['rate_b_se']:.3f}")
        ax[1].set(yscale="log", xlabel="dimension d", ylabel=f"n reaching error {p['eps']}")
        verdict_title(ax[1], passed, f"n* x{numbers['factor_per_dimension']:.2f} per dimension")
        ax[1].legend(fontsize=8)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
