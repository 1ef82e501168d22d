"""Double descent: the test error peaks at the interpolation threshold and falls again beyond it.

Claim C09 (Nakkiran et al. 2019; Belkin et al. 2019), at three levels, each with its threshold marked.

1. Minimum-norm least squares, y = X beta + sigma eps with X (n x p) iid N(0, 1), ||beta|| = r, fitted by
   X^+ y (compiled Cholesky of the smaller Gram matrix, ``montecarlo.min_norm_fits``) for p across n. The
   exact finite-n means (``theory.double_descent``: bias 0 and variance sigma^2 p/(n - p - 1) below,
   bias r^2 (1 - n/p) and variance sigma^2 n/(p - n - 1) above) are compared, with their bias and variance
   parts, by z-scores wherever a sample standard error is trustworthy: |p - n| >= ``judge_gap`` (8: the
   inverse Wishart moments behind the standard error's own variance exist only there). Closer to n the mean
   is infinite or heavy-tailed, so the medians are compared with those of an independent NumPy Monte Carlo
   (``lstsq``): the fraction of kernel runs below NumPy's median should be 1/2, with variance
   1/(4 R_kernel) + 1/(4 R_numpy); and the median must peak at p = n. Hastie, Montanari, Rosset &
   Tibshirani's proportional limit is drawn too.
2. Random ReLU features relu(W x), W ~ N(0, 1/d), fresh per run, with min-norm least squares on a linear
   teacher with label noise (``montecarlo.random_features_fits``), p swept across n. No closed form: the
   medians at a few p (``rf_ref_ps``) are compared with an independent NumPy Monte Carlo as in level 1; the
   median test error must peak at p = n (within one grid point) in >= 95% of bootstrap resamples over runs,
   and the mean log error must fall again by many standard errors at the largest p (paired over runs, as a
   run's features are nested) while rising from the best under-parameterised p to the peak.
3. Small tanh MLPs (d, h, 1) trained by the kernels (full-batch Adam on the mean squared error, one training
   set of n points with label noise, every network its own initialisation), widths h across the
   threshold h* where the parameter count (d + 2) h + 1 = n. The mean test error (against the noiseless
   teacher) must peak within one grid point of h* in >= 95% of bootstrap resamples over networks, rise
   to it from the narrowest network and fall from it to the widest by many standard errors, and the
   networks beyond 1.5 n parameters must interpolate (median training loss below 1e-4 sigma^2). The
   peak's location (bootstrap distribution) and height (mean and standard error) are reported.
   ``mlp_runs`` networks per width (``runs`` sets levels 1 and 2).
"""
import numpy as np

import simsgd as ss
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.montecarlo.least_norm import min_norm_fits, random_features_fits
from simsgd.theory.double_descent import min_norm_risk_exact, min_norm_risk_limit
from simsgd.workflow.claims import Claim

CLAIMS = ("C09",)
_BASE = {"n": 40, "noise_std": 0.5, "signal": 1.0, "judge_gap": 8, "family_error": 1e-3, "bootstrap": 1000,
         "peak_fraction": 0.95,
         "ps": [4, 8, 12, 16, 20, 24, 28, 32, 34, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 48, 52, 56, 64, 80,
                100, 140, 200],
         "rf_d": 10, "rf_ps": [4, 8, 16, 24, 32, 36, 38, 40, 42, 44, 48, 56, 80, 120, 200, 400],
         "rf_ref_ps": [16, 36, 40, 44, 80, 400],
         "mlp_n": 30, "mlp_d": 4, "mlp_noise_std": 0.5, "mlp_lr": 0.02, "mlp_steps": 2000, "mlp_test_points": 1000,
         "interpolated_below": 1e-4}
SCALES = {"quick": {**_BASE, "runs": 400, "ref_runs": 400, "rf_test_points": 100, "mlp_runs": 32,
                    "mlp_widths": [2, 4, 5, 6, 8, 16]},
          "full": {**_BASE, "runs": 4000, "ref_runs": 4000, "rf_test_points": 200, "mlp_runs": 400,
                   "mlp_widths": [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24]}}


def _near(p):
    ps = np.array(p["ps"])
    return ps[np.abs(ps - p["n"]) < p["judge_gap"]]


def _numpy_medians(p, seed):
    """Median excess risk ||X^+ y - beta||^2 near the threshold from NumPy's lstsq, its own random numbers."""
    rs = np.random.default_rng((seed, 1))
    n = p["n"]
    out = []
    for q in _near(p):
        beta = np.zeros(q)
        beta[0] = p["signal"]
        e = np.empty(p["ref_runs"])
        for r in range(p["ref_runs"]):
            X = rs.standard_normal((n, q))
            y = X @ beta + p["noise_std"] * rs.standard_normal(n)
            e[r] = np.sum((np.linalg.lstsq(X, y, rcond=None)[0] - beta) ** 2)
        out.append(np.median(e))
    return np.array(out)


def _gaussian(p, ctx):
    f = min_norm_fits(p["n"], p["ps"], p["noise_std"], p["signal"], p["runs"], seed=ctx.seed)
    R = p["runs"]
    out = {"failed": f["failed"].sum(axis=0)}
    for part in ("bias", "variance", "excess"):
        out[f"{part}_mean"] = f[part].mean(axis=0)
        out[f"{part}_sem"] = f[part].std(axis=0, ddof=1) / np.sqrt(R)
    ex = np.sort(f["excess"], axis=0)
    half = 1.96 * np.sqrt(0.25 * R)  # order statistics bracketing the median at 95%
    out["excess_median"] = np.median(f["excess"], axis=0)
    out["excess_median_lo"] = ex[max(int(np.floor(R / 2 - half)), 0)]
    out["excess_median_hi"] = ex[min(int(np.ceil(R / 2 + half)), R - 1)]
    near = np.isin(p["ps"], _near(p))
    out["numpy_median"] = _numpy_medians(p, ctx.seed)
    out["below_numpy_median"] = np.mean(f["excess"][:, near] < out["numpy_median"], axis=0)
    out["bias_max_below_n"] = np.max(np.where(np.array(p["ps"]) <= p["n"] - p["judge_gap"], f["bias"], 0.0))
    return out


def _numpy_features_medians(p, seed):
    """Median test error of min-norm least squares on random ReLU features from NumPy's lstsq, its own random
    numbers, at the p of ``rf_ref_ps`` (each p its own runs)."""
    rs = np.random.default_rng((seed, 2))
    n, d = p["n"], p["rf_d"]
    out = []
    for q in p["rf_ref_ps"]:
        e = np.empty(p["ref_runs"])
        for r in range(p["ref_runs"]):
            W = rs.standard_normal((q, d)) / np.sqrt(d)
            X = rs.standard_normal((n, d))
            y = X[:, 0] + p["noise_std"] * rs.standard_normal(n)
            Xt = rs.standard_normal((p["rf_test_points"], d))
            a = np.linalg.lstsq(np.maximum(X @ W.T, 0.0), y, rcond=None)[0]
            e[r] = np.mean((np.maximum(Xt @ W.T, 0.0) @ a - Xt[:, 0]) ** 2)
        out.append(np.median(e))
    return np.array(out)


def _features(p, ctx):
    f = random_features_fits(p["n"], p["rf_d"], p["rf_ps"], p["noise_std"], p["runs"], p["rf_test_points"],
                             seed=ctx.seed + 1)
    above = np.array(p["rf_ps"]) > p["n"]
    train = np.where(f["failed"], 0.0, f["train_error"])
    ref = _numpy_features_medians(p, ctx.seed)
    at = np.searchsorted(p["rf_ps"], p["rf_ref_ps"])
    return {"test_error": f["test_error"].astype(np.float32), "failed": f["failed"].sum(axis=0),
            "train_max_above": train[:, above].max(axis=0), "numpy_median": ref,
            "below_numpy_median": np.mean(f["test_error"][:, at] < ref, axis=0)}


def _mlp_data(p, seed):
    rs = np.random.default_rng((seed, 3))
    n, d = p["mlp_n"], p["mlp_d"]
    X = rs.standard_normal((n, d))
    y = X[:, 0] + p["mlp_noise_std"] * rs.standard_normal(n)
    Xt = rs.standard_normal((p["mlp_test_points"], d))
    return X, y, Xt, Xt[:, 0]  # tested against the noiseless teacher: the risk minus sigma^2


def _mlp(p, ctx, k, h):
    X, y, Xt, yt = _mlp_data(p, ctx.seed)
    prob = ss.MLP(widths=(p["mlp_d"], h, 1), activation="tanh", X=X, y=y, loss="mse", X_test=Xt, y_test=yt,
                  sampling="epochs")
    res = ss.simulate(prob, ss.Adam(p["mlp_lr"]), runs=p["mlp_runs"], steps=p["mlp_steps"], batch_size=p["mlp_n"],
                      seed=ctx.seed + 2, first_run=k * p["mlp_runs"], record_every=p["mlp_steps"],
                      target=ctx.target, progress=False)
    return {"test": res.final("test_loss"), "train": res.final("train_loss"), "diverged": res.diverged[-1:]}


def simulate(p, ctx):
    out = {}
    for key, v in ctx.point("gaussian", lambda: _gaussian(p, ctx)).items():
        out[f"l1_{key}"] = v
    for key, v in ctx.point("features", lambda: _features(p, ctx)).items():
        out[f"l2_{key}"] = v
    tests, trains, diverged = [], [], []
    for k, h in enumerate(p["mlp_widths"]):
        r = ctx.point(f"mlp_h{h}", lambda: _mlp(p, ctx, k, h))
        tests.append(r["test"])
        trains.append(r["train"])
        diverged.append(int(r["diverged"][0]))
    out["l3_test"] = np.stack(tests, axis=1)
    out["l3_train"] = np.stack(trains, axis=1)
    out["l3_diverged"] = np.array(diverged)
    return out


def _threshold_width(p):
    return (p["mlp_n"] - 1) / (p["mlp_d"] + 2)


def _level1(data, p):
    n, ps = p["n"], np.array(p["ps"])
    bias, var = min_norm_risk_exact(n, ps, p["noise_std"], p["signal"])
    below = ps <= n - p["judge_gap"]
    above = ps >= n + p["judge_gap"]
    judged = below | above
    z = {"variance": zscores(data["l1_variance_mean"], data["l1_variance_sem"], var)[judged],
         "excess": zscores(data["l1_excess_mean"], data["l1_excess_sem"], bias + var)[judged],
         "bias": zscores(data["l1_bias_mean"], data["l1_bias_sem"], bias)[above]}
    frac = data["l1_below_numpy_median"]
    z_med = (frac - 0.5) / np.sqrt(0.25 / p["runs"] + 0.25 / p["ref_runs"])
    n_tests = sum(v.size for v in z.values()) + z_med.size
    thr = z_threshold(n_tests, p["family_error"])
    peak = int(ps[np.argmax(data["l1_excess_median"])])
    worst = {k: float(np.max(np.abs(v))) for k, v in z.items()}
    nums = {"judged_p": ps[judged].tolist(), "max_abs_z": worst, "median_vs_numpy_max_abs_z": float(np.max(np.abs(z_med))),
            "z_threshold": thr, "median_peak_p": peak, "median_at_n": float(data["l1_excess_median"][ps == n][0]),
            "failed_factorisations": int(data["l1_failed"].sum()),
            "bias_max_below_n": float(data["l1_bias_max_below_n"])}
    checks = {"l1_means_match_exact_finite_n": max(worst.values()) < thr,
              "l1_medians_near_threshold_match_numpy": float(np.max(np.abs(z_med))) < thr,
              "l1_median_peaks_at_p_equals_n": peak == n,
              "l1_no_bias_below_n": nums["bias_max_below_n"] < 1e-8 * p["signal"] ** 2}
    return checks, nums


def _bootstrap_argmax(stat, runs, B, seed, axis_stat):
    """Index of the largest ``axis_stat`` (median or mean over runs) in each of B resamples of the runs."""
    rs = np.random.default_rng(seed)
    idx = np.empty(B, dtype=np.int64)
    for b in range(B):
        idx[b] = np.argmax(axis_stat(stat[rs.integers(0, runs, runs)], axis=0))
    return idx


def _paired_z(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    return float(d.mean() / (d.std(ddof=1) / np.sqrt(d.size)))


def _level2(data, p):
    ps = np.array(p["rf_ps"])
    err = data["l2_test_error"].astype(np.float64)
    i_n = int(np.argmin(np.abs(ps - p["n"])))
    med = np.median(err, axis=0)
    boot = _bootstrap_argmax(err, err.shape[0], p["bootstrap"], 11, np.median)
    frac = float(np.mean(np.abs(boot - i_n) <= 1))
    log = np.log(err)
    peak = int(np.argmax(med))
    best_under = int(np.argmin(med[ps < p["n"]]))
    z_fall = _paired_z(log[:, peak], log[:, -1])
    z_rise = _paired_z(log[:, peak], log[:, best_under])
    thr = z_threshold(2, p["family_error"])
    noise2 = p["noise_std"] ** 2
    z_med = (data["l2_below_numpy_median"] - 0.5) / np.sqrt(0.25 / p["runs"] + 0.25 / p["ref_runs"])
    thr_med = z_threshold(z_med.size, p["family_error"])
    nums = {"peak_p": int(ps[peak]), "median_at_peak": float(med[peak]), "median_at_largest_p": float(med[-1]),
            "best_under_p": int(ps[best_under]), "median_at_best_under": float(med[best_under]),
            "bootstrap_peak_within_one_point_of_n": frac, "z_fall": z_fall, "z_rise": z_rise, "z_threshold": thr,
            "failed_factorisations": int(data["l2_failed"].sum()),
            "train_max_above_n": float(np.max(data["l2_train_max_above"])),
            "median_vs_numpy_max_abs_z": float(np.max(np.abs(z_med))), "median_vs_numpy_z_threshold": thr_med}
    checks = {"l2_medians_match_numpy": nums["median_vs_numpy_max_abs_z"] < thr_med,
              "l2_median_peak_at_p_equals_n": frac >= p["peak_fraction"],
              "l2_error_falls_after_peak": z_fall > thr, "l2_error_rises_to_peak": z_rise > thr,
              "l2_interpolates_above_n": nums["train_max_above_n"] < 1e-8 * noise2}
    return checks, nums


def _level3(data, p):
    hs = np.array(p["mlp_widths"])
    test, train = data["l3_test"], data["l3_train"]
    R = test.shape[0]
    mean = np.nanmean(test, axis=0)
    sem = np.nanstd(test, axis=0, ddof=1) / np.sqrt(np.sum(np.isfinite(test), axis=0))
    hstar = _threshold_width(p)
    i_star = int(np.argmin(np.abs(hs - hstar)))
    peak = int(np.argmax(mean))
    boot = _bootstrap_argmax(test, R, p["bootstrap"], 12, np.nanmean)
    frac = float(np.mean(np.abs(boot - i_star) <= 1))
    z_rise = float((mean[peak] - mean[0]) / np.hypot(sem[peak], sem[0]))
    z_fall = float((mean[peak] - mean[-1]) / np.hypot(sem[peak], sem[-1]))
    thr = z_threshold(2, p["family_error"])
    params = (p["mlp_d"] + 2) * hs + 1
    wide = params >= 1.5 * p["mlp_n"]
    train_med = np.nanmedian(train, axis=0)
    heights = np.array([np.nanmean(test[np.random.default_rng((13, b)).integers(0, R, R)], axis=0).max()
                        for b in range(200)])
    nums = {"threshold_width": hstar, "peak_width": int(hs[peak]), "peak_mean": float(mean[peak]),
            "peak_sem": float(sem[peak]), "peak_height_bootstrap_95": [float(np.quantile(heights, 0.025)),
                                                                        float(np.quantile(heights, 0.975))],
            "bootstrap_peak_width_fractions": {int(h): float(np.mean(boot == k)) for k, h in enumerate(hs)
                                               if np.any(boot == k)},
            "bootstrap_peak_within_one_point_of_threshold": frac,
            "narrowest_mean": float(mean[0]), "widest_mean": float(mean[-1]), "widest_sem": float(sem[-1]),
            "z_rise": z_rise, "z_fall": z_fall, "z_threshold": thr,
            "train_median_at_peak": float(train_med[peak]),
            "train_median_max_beyond_1.5n": float(train_med[wide].max()) if wide.any() else None,
            "diverged": int(data["l3_diverged"].sum()), "networks": int(R * hs.size)}
    checks = {"l3_peak_near_threshold": frac >= p["peak_fraction"], "l3_error_rises_to_peak": z_rise > thr,
              "l3_error_falls_after_peak": z_fall > thr,
              "l3_interpolates_beyond_1.5n_params": bool(wide.any()) and nums["train_median_max_beyond_1.5n"]
              < p["interpolated_below"] * p["mlp_noise_std"] ** 2}
    return checks, nums


def verdict(data, p):
    c1, n1 = _level1(data, p)
    c2, n2 = _level2(data, p)
    c3, n3 = _level3(data, p)
    nums = {"runs": p["runs"], "mlp_runs": p["mlp_runs"], "least_squares": n1, "random_features": n2, "mlp": n3}
    claim = Claim("supported", (
        f"min-norm least squares (n = {p['n']}, {p['runs']} runs per p): means = exact finite-n risk at "
        f"|p - n| >= {p['judge_gap']} (max |z| {max(n1['max_abs_z'].values()):.2f}, threshold {n1['z_threshold']:.2f}), "
        f"medians = NumPy's near n (max |z| {n1['median_vs_numpy_max_abs_z']:.2f}), median peak at p = {n1['median_peak_p']} "
        f"({n1['median_at_n']:.3g}); random ReLU features: median test error peaks at p = {n2['peak_p']} "
        f"({n2['median_at_peak']:.3g}; {n2['bootstrap_peak_within_one_point_of_n']:.1%} of resamples within one point "
        f"of n; medians = NumPy's, max |z| {n2['median_vs_numpy_max_abs_z']:.2f}), falls to "
        f"{n2['median_at_largest_p']:.3g} at p = {p['rf_ps'][-1]} (z {n2['z_fall']:.0f}); tanh MLPs "
        f"(n = {p['mlp_n']}, {p['mlp_runs']} per width): test error peaks at h = {n3['peak_width']} "
        f"(h* = {n3['threshold_width']:.2f}; {n3['bootstrap_peak_within_one_point_of_threshold']:.1%} of resamples within "
        f"one width) at {n3['peak_mean']:.3f} ± {n3['peak_sem']:.3f}, up from {n3['narrowest_mean']:.3f} at "
        f"h = {p['mlp_widths'][0]} (z {n3['z_rise']:.1f}), down to {n3['widest_mean']:.3f} ± {n3['widest_sem']:.3f} at "
        f"h = {p['mlp_widths'][-1]} (z {n3['z_fall']:.1f})"), {**c1, **c2, **c3})
    return {"C09": claim}, nums


def plot(data, p, passed, numbers, path):
    import matplotlib as mpl

    from simsgd.workflow.plotting import band, style, verdict_title

    n, ps = p["n"], np.array(p["ps"])
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(18, 4.6))
        a = ax[0]
        judged = np.abs(ps - n) >= p["judge_gap"]
        g = ps / n
        for part, color, label in (("excess", "C0", "excess risk"), ("bias", "C1", "bias part"),
                                   ("variance", "C2", "variance part")):
            m, s = data[f"l1_{part}_mean"], data[f"l1_{part}_sem"]
            for side in (ps < n, ps > n):
                keep = judged & side & (m > 0)
                band(a, g[keep], m[keep], s[keep], label if side[0] else None, color=color, marker="o", ms=3)
        a.errorbar(g, data["l1_excess_median"],
                   yerr=[data["l1_excess_median"] - data["l1_excess_median_lo"],
                         data["l1_excess_median_hi"] - data["l1_excess_median"]],
                   fmt="s", color="C3", ms=3, label="median excess risk (95%)")
        a.plot(_near(p) / n, data["l1_numpy_median"], "x", color="C4", label="median, NumPy lstsq")
        fine = np.arange(1, ps.max() + 1)
        fine = fine[np.abs(fine - n) > 1]
        b, v = min_norm_risk_exact(n, fine, p["noise_std"], p["signal"])
        for side in (fine < n, fine > n):
            a.plot(fine[side] / n, (b + v)[side], "k--", lw=1.5, label="exact finite-n mean" if side[0] else None)
            a.plot(fine[side & (fine > n)] / n, b[side & (fine > n)], "k--", lw=0.8)
            a.plot(fine[side] / n, v[side], "k--", lw=0.8)
        gl = np.concatenate([np.linspace(0.05, 0.97, 200), np.linspace(1.03, ps.max() / n, 300)])
        bl, vl = min_norm_risk_limit(gl, p["noise_std"], p["signal"])
        for side in (gl < 1, gl > 1):
            a.plot(gl[side], (bl + vl)[side], ":", color="0.3", lw=1.2,
                   label="proportional limit (Hastie et al.)" if side[0] else None)
        a.axvline(1.0, color="0.5", lw=1, label="interpolation threshold p = n")
        a.set(xscale="log", yscale="log", ylim=(1e-3, 1e3), xlabel="p / n",
              ylabel="||beta_hat - beta||^2", title=f"min-norm least squares, n = {n}, {p['runs']} runs per p")
        a.legend(fontsize=7)

        a = ax[1]
        rps = np.array(p["rf_ps"])
        err = data["l2_test_error"].astype(np.float64)
        med = np.median(err, axis=0)
        rs = np.random.default_rng(0)
        boots = np.array([np.median(err[rs.integers(0, err.shape[0], err.shape[0])], axis=0) for _ in range(200)])
        band(a, rps / n, med, boots.std(axis=0), "median test error (bootstrap SE band)", color="C0", marker="o", ms=3)
        a.plot(np.array(p["rf_ref_ps"]) / n, data["l2_numpy_median"], "x", color="C4", label="median, NumPy lstsq")
        a.axvline(1.0, color="0.5", lw=1, label="interpolation threshold p = n")
        a.set(xscale="log", yscale="log", xlabel="features p / n", ylabel="test error (risk − σ²)",
              title=f"random ReLU features, n = {n}, d = {p['rf_d']}, {err.shape[0]} runs")
        a.legend(fontsize=7)

        a = ax[2]
        hs = np.array(p["mlp_widths"])
        test, train = data["l3_test"], data["l3_train"]
        mean = np.nanmean(test, axis=0)
        sem = np.nanstd(test, axis=0, ddof=1) / np.sqrt(np.sum(np.isfinite(test), axis=0))
        band(a, hs, mean, sem, "mean test error (95% band)", color="C0", marker="o", ms=3)
        a.plot(hs, np.nanmedian(test, axis=0), "C0:", lw=1, label="median test error")
        a.axvline(_threshold_width(p), color="0.5", lw=1, label="threshold: (d + 2) h + 1 = n")
        a.set(xscale="log", xlabel="hidden units h", ylabel="test error vs noiseless teacher")
        a.set_xticks(hs, [str(h) for h in hs])
        a.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())  # after set(xscale=...), which resets it
        t = a.twinx()
        t.semilogy(hs, np.nanmedian(train, axis=0), "s-", color="0.6", ms=3, lw=1, label="median training loss")
        t.set_ylabel("training loss", color="0.4")
        lines = a.get_legend_handles_labels()
        extra = t.get_legend_handles_labels()
        a.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize=7)
        verdict_title(a, passed, f"tanh MLPs, n = {p['mlp_n']}, d = {p['mlp_d']}, {test.shape[0]} nets per width")
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
