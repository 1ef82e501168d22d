"""Classical bias and variance: least-squares polynomial fits of rising degree, U-shaped test error.

Claim C08. A training set is n inputs from the arcsine law on [-1, 1] (x = cos(pi U)) with labels
y = f(x) + sigma eps; f(x) = (1 - rho x) / (1 - 2 rho x + rho^2) = sum_j rho^j T_j(x), truncated after
``terms`` Chebyshev terms (rho^terms ~ 5e-9 here). Every degree k = 0 .. K is fitted by least squares in
the Chebyshev basis T_0 .. T_k, thousands of training sets resampled (inputs and labels) in a compiled
kernel (``simsgd.montecarlo.polynomial``: one Cholesky factor of the degree-K Gram matrix serves every
degree). Predictions at the m Gauss-Chebyshev nodes x* (the arcsine law's quadrature points) give, per
degree, the squared bias mean_x* (E f_hat - f)^2 and the variance mean_x* Var f_hat, pooled over all
sets with jackknife errors over groups of sets; fresh labels y* = f(x*) + sigma eps* give the test error.

Why this design: inputs uniform on [-1, 1] make high-degree fits erratic across designs. Measured over
20000 designs, the variance factor mean_x* phi*^T (Phi^T Phi)^-1 phi* of degree 20 has one design holding
42% of the sum with uniform inputs at n = 150, and 39% with arcsine inputs at n = 50; with arcsine inputs
at n = 150 its largest share is 0.3% (coefficient of variation 0.5), so the variance and its error are
those of a well-behaved mean. Chebyshev polynomials keep the Gram matrix near n diag(1, 1/2, ...).

Checks, against a NumPy oracle over independent designs that is exact given the design (QR; conditional
mean P_X f and variance sigma^2 phi*^T (Phi^T Phi)^-1 phi*, ``simsgd.oracle.regression``):
the mean fit E f_hat at every degree and test input (this fixes the squared bias; the bias estimate itself
is a degenerate quadratic, its error a weighted chi-square, so it is compared through the mean fit,
whose error is normal) and the variance at every degree, z-scores, Bonferroni over all comparisons;
bias^2 + variance + sigma^2 equals the measured test error on fresh labels at every degree; and the U:
the test error's minimum lies at an interior degree, both ends above it by more than the threshold
(paired differences over groups). Supported if all hold.
"""
import numpy as np
from numpy.polynomial import chebyshev as cheb

from simsgd.engine.statistics import t_threshold, z_threshold, zscores
from simsgd.montecarlo.polynomial import polynomial_bias_variance, polynomial_fits
from simsgd.oracle.regression import bias_variance as oracle_bias_variance
from simsgd.workflow.claims import Claim
from simsgd.workflow.studies import memo_by_params

CLAIMS = ("C08",)
_BASE = {"n": 150, "max_degree": 20, "rho": 0.73, "terms": 61, "noise_std": 1.0, "test_points": 64,
         "oracle_seed": 8008, "oracle_blocks": 100, "family_error": 1e-3, "fits_shown": [1, None, 20]}
SCALES = {"quick": {**_BASE, "runs": 4000, "groups": 100, "oracle_designs": 4000},
          "full": {**_BASE, "runs": 200_000, "groups": 200, "oracle_designs": 100_000}}


def _coef(p):
    return p["rho"] ** np.arange(p["terms"])


def _test_x(p):
    m = p["test_points"]
    return np.cos(np.pi * (np.arange(m) + 0.5) / m)


@memo_by_params
def _oracle(p):
    return oracle_bias_variance(_coef(p), p["noise_std"], p["n"], p["max_degree"], _test_x(p),
                                p["oracle_designs"], p["oracle_seed"], blocks=p["oracle_blocks"])


def simulate(p, ctx):
    def compute():
        fits = polynomial_fits(p["n"], p["max_degree"], _coef(p), p["noise_std"], _test_x(p), p["runs"],
                               seed=ctx.seed, groups=p["groups"])
        pv = polynomial_bias_variance(fits, _coef(p), _test_x(p))
        pv["decomposition_gap"] = pv["test_error"] - pv["bias2"] - pv["variance"] - p["noise_std"] ** 2
        G = p["groups"]
        out = {"test_error_groups": pv["test_error"], "mean_fit": pv["mean_fit"], "mean_fit_se": pv["mean_fit_se"],
               "first_x": fits["first_x"][0], "first_y": fits["first_y"][0], "first_coef": fits["first_coef"][0]}
        for key in ("bias2", "variance", "test_error", "decomposition_gap"):
            out[key] = pv[key].mean(axis=0)
            out[key + "_se"] = pv[key].std(axis=0, ddof=1) / np.sqrt(G)
        return out

    return ctx.point("fits", compute)


def _paired(data, a, b):
    """Mean and standard error over groups of test error at degree a minus at degree b."""
    d = data["test_error_groups"][:, a] - data["test_error_groups"][:, b]
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


def verdict(data, p):
    o = _oracle(p)
    K = p["max_degree"]
    G = data["test_error_groups"].shape[0]
    est = {k: data[k] for k in ("bias2", "variance", "test_error")}
    se = {k: data[k + "_se"] for k in est}
    z_fit = zscores(data["mean_fit"], np.hypot(data["mean_fit_se"], o["mean_fit_se"]), o["mean_fit"])
    z_var = zscores(est["variance"], np.hypot(se["variance"], o["variance_se"]), o["variance"])
    z_gap = zscores(data["decomposition_gap"], data["decomposition_gap_se"], 0.0)
    best = int(np.argmin(est["test_error"]))
    left, left_se = _paired(data, 0, best)
    right, right_se = _paired(data, K, best)
    tests = z_fit.size + 2 * (K + 1) + 2
    thr_fit = z_threshold(tests, p["family_error"])
    thr = t_threshold(tests, G - 1, p["family_error"])  # errors from the spread of G groups
    z_left, z_right = left / max(left_se, 1e-300), right / max(right_se, 1e-300)
    checks = {
        "mean_fit_matches_oracle_every_degree_and_input": bool(np.max(np.abs(z_fit)) < thr_fit),
        "variance_matches_oracle_every_degree": bool(np.max(np.abs(z_var)) < thr),
        "bias2_plus_variance_plus_noise_equals_test_error": bool(np.max(np.abs(z_gap)) < thr),
        "test_error_minimum_at_interior_degree": 0 < best < K,
        "test_error_rises_on_both_sides_of_minimum": bool(z_left > thr and z_right > thr),
    }
    rel_bias = np.abs(est["bias2"] - o["bias2"]) / o["bias2"]
    numbers = {
        "runs": p["runs"], "groups": G, "oracle_designs": p["oracle_designs"],
        "degrees": list(range(K + 1)),
        "bias2": est["bias2"], "bias2_se": se["bias2"], "oracle_bias2": o["bias2"],
        "variance": est["variance"], "variance_se": se["variance"], "oracle_variance": o["variance"],
        "test_error": est["test_error"], "test_error_se": se["test_error"], "oracle_test_error": o["test_error"],
        "best_degree": best, "oracle_best_degree": int(np.argmin(o["test_error"])),
        "rise_to_degree_0": left, "rise_to_degree_0_z": z_left, "rise_to_max_degree": right,
        "rise_to_max_degree_z": z_right,
        "max_abs_z_mean_fit": float(np.max(np.abs(z_fit))), "max_abs_z_variance": float(np.max(np.abs(z_var))),
        "max_abs_z_decomposition": float(np.max(np.abs(z_gap))), "z_threshold_mean_fit": thr_fit,
        "t_threshold": thr, "comparisons": tests,
        "bias2_max_relative_difference_where_above_1e-3": float(np.max(rel_bias[o["bias2"] > 1e-3])),
    }
    claim = Claim("supported", (
        f"least-squares Chebyshev fits of degree 0-{K} to {p['runs']} resampled training sets (n = {p['n']}, "
        f"sigma = {p['noise_std']:g}): test error {est['test_error'][0]:.3f} at degree 0, minimum "
        f"{est['test_error'][best]:.3f} at degree {best} (oracle {numbers['oracle_best_degree']}), "
        f"{est['test_error'][K]:.3f} at degree {K} (rises z = {z_left:.0f}, {z_right:.0f}); bias^2 falls "
        f"{est['bias2'][0]:.3f} -> {est['bias2'][K]:.1e} +- {se['bias2'][K]:.0e}, variance rises "
        f"{est['variance'][0]:.4f} -> {est['variance'][K]:.4f}; bias^2 + variance + sigma^2 = test error "
        f"(max |z| {numbers['max_abs_z_decomposition']:.2f}); "
        f"vs the NumPy oracle: mean fits max |z| {numbers['max_abs_z_mean_fit']:.2f} (< {thr_fit:.2f}), variance "
        f"max |z| {numbers['max_abs_z_variance']:.2f} (< {thr:.2f})"), checks)
    return {"C08": claim}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    o = _oracle(p)
    K = p["max_degree"]
    k = np.arange(K + 1)
    est = {key: data[key] for key in ("bias2", "variance", "test_error")}
    se = {key: data[key + "_se"] for key in est}
    sigma2 = p["noise_std"] ** 2
    with style() as plt:
        fig, ax = plt.subplots(1, 2, figsize=(13, 4.8))
        band(ax[0], k, est["test_error"], se["test_error"], "test error (fresh labels)", color="C3", marker="o", ms=3)
        band(ax[0], k, est["bias2"], se["bias2"], "bias$^2$", color="C0")
        band(ax[0], k, est["variance"], se["variance"], "variance", color="C1")
        ax[0].plot(k, est["bias2"] + est["variance"] + sigma2, "C2:", lw=2, label="bias$^2$ + variance + $\\sigma^2$")
        ax[0].axhline(sigma2, color="0.5", lw=1, label="$\\sigma^2$")
        ax[0].plot(k, o["bias2"], "k--", lw=1.2, zorder=5, label="oracle (NumPy, exact given X)")
        ax[0].plot(k, o["variance"], "k--", lw=1.2, zorder=5)
        ax[0].plot(k, o["test_error"], "k--", lw=1.2, zorder=5)
        ax[0].axvline(numbers["best_degree"], color="C3", ls=":", lw=1,
                      label=f"lowest test error: degree {numbers['best_degree']}")
        ax[0].set(xlabel="polynomial degree k", ylabel="mean over test inputs", xticks=k[::2])
        verdict_title(ax[0], passed, f"C08: {p['runs']} training sets of n = {p['n']}, degrees 0-{K}")
        ax[0].legend(fontsize=8)

        x = np.linspace(-1, 1, 801)
        ax[1].plot(data["first_x"], data["first_y"], ".", color="0.6", ms=4, label="one training set")
        for c, deg in zip(("C0", "C2", "C1"), [numbers["best_degree"] if d is None else d for d in p["fits_shown"]]):
            ax[1].plot(x, cheb.chebval(x, data["first_coef"][deg][:deg + 1]), color=c, lw=1.5,
                       label=f"degree {deg} fit")
        ax[1].plot(x, cheb.chebval(x, _coef(p)), "k--", lw=1.5, zorder=5, label="f")
        lo, hi = data["first_y"].min(), data["first_y"].max()
        ax[1].set(xlabel="x", ylabel="y", title="low, best and high degree on one training set",
                  ylim=(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)))
        ax[1].legend(fontsize=8)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
