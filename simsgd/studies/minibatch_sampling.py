"""Minibatches from a finite dataset: with replacement, without (epochs), the finite-population factor.

Claims C16 and C18, on least squares over a Gaussian design (``LeastSquares``), where the gradient
noise depends on theta. C16: drawing B rows with replacement, the simulated E||theta_t - theta_hat||^2
and loss equal the exact moment recursion (``theory.sgd_moments``, state-dependent noise included)
for several B; one step from theta_0 has gradient covariance Sigma/B with replacement and
Sigma (n - B) / (B (n - 1)) for a uniformly random B-subset (``theory.gradient_covariance``), zero at
B = n. C18: epochs of n // B steps each visit every row once (read off the compiled sampler with an
identity design, whose gradient names its rows), every run its own reshuffles; B = n in epochs is
full-batch GD (every run equal to a NumPy GD loop). Random reshuffling's neighbourhood, measured at
epoch ends over a grid of alpha, is smaller than with replacement and shrinks faster with alpha (the
slopes of log error against log alpha; Mishchenko, Khaled & Richtarik 2020 bound it by O(alpha^2)
against O(alpha)). The one-step check is repeated on logistic regression over a real dataset
(``LogisticRegression``, breast cancer): the minibatch gradient's mean is the full gradient and its
covariance has the same two factors (``theory.minibatch_covariance``).
"""
import numpy as np

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.workflow.claims import Claim

CLAIMS = ("C16", "C18")
_BASE = {"n": 200, "p": 5, "data_seed": 0, "noise": 1.0, "lr": 0.05, "steps": 300, "batch_sizes": [1, 4, 16],
         "one_step_batches": [1, 10, 50, 100, 190, 200], "rr_batch": 10, "rr_lrs": [0.005, 0.01, 0.02, 0.04, 0.08],
         "rr_decays": 25.0, "min_slope_gain": 0.5, "read_n": 11, "read_batch": 3, "gd_steps": 50,
         "logistic_data": "breast_cancer", "logistic_ridge": 0.01, "logistic_batches": [1, 16, 128],
         "logistic_theta_seed": 1, "logistic_theta_scale": 0.3}
SCALES = {"quick": {**_BASE, "runs": 1000}, "full": {**_BASE, "runs": 5000}}


def _data(p):
    rng = np.random.default_rng(p["data_seed"])
    X = rng.normal(size=(p["n"], p["p"])) * np.geomspace(0.5, 2.0, p["p"])
    y = X @ rng.normal(size=p["p"]) + p["noise"] * rng.normal(size=p["n"])
    return X, y


def _logistic(p, sampling="with_replacement"):
    """The logistic problem (breast cancer, a column of ones for the intercept) started at a fixed theta_0."""
    d = ss.load_dataset(p["logistic_data"])
    X = np.column_stack([d.X, np.ones(len(d.y))])
    th0 = p["logistic_theta_scale"] * np.random.default_rng(p["logistic_theta_seed"]).normal(size=X.shape[1])
    return ss.LogisticRegression(X, d.y, sampling=sampling, x0=th0, ridge=p["logistic_ridge"])


def _rr_steps(p, lr):
    """Whole epochs covering about ``rr_decays`` e-folds of the slowest direction at rate ``lr``."""
    X, _ = _data(p)
    mu = np.linalg.eigvalsh(X.T @ X / p["n"]).min()
    per = p["n"] // p["rr_batch"]
    return per * max(2, int(np.ceil(p["rr_decays"] / (lr * mu) / per)))


def _read_batches(p, drop_last):
    """The rows of each step, 3 epochs long, of run 0: with X = I and y_k = k + 1 from 0, one step of lr 1 moves
    exactly the coordinates of its rows."""
    n, B = p["read_n"], p["read_batch"]
    prob = ss.LeastSquares(np.eye(n), np.arange(1.0, n + 1), sampling="epochs", drop_last=drop_last)
    per = n // B if drop_last else -(-n // B)
    prev, rows = np.zeros(n), []
    for t in range(1, 3 * per + 1):
        th = ss.simulate(prob, ss.SGD(1e-3), runs=1, steps=t, batch_size=B, progress=False, keep_theta=True).theta[0]
        rows.append(np.flatnonzero(np.abs(th - prev) > 0))
        prev = th
    return rows, per


def simulate(p, ctx):
    X, y = _data(p)
    out = {}
    for i, B in enumerate(p["batch_sizes"]):
        r = ctx.curve(f"wr_B{B}", ss.LeastSquares(X, y), ss.SGD(p["lr"]), p["runs"], p["steps"],
                      metric=("error_sq", "loss"), batch_size=B, first_run=i * p["runs"])
        for k in ("error_sq_mean", "error_sq_sem", "loss_mean", "loss_sem", "diverged"):
            out[f"wr_B{B}_{k}"] = r[k]
    for sampling in ("with_replacement", "epochs"):
        for B in p["one_step_batches"]:
            def one_step():
                r = ss.simulate(ss.LeastSquares(X, y, sampling=sampling), ss.SGD(1.0), runs=p["runs"], steps=1,
                                batch_size=B, seed=ctx.seed, target=ctx.target, progress=False, keep_theta=True)
                g = -r.theta  # from theta_0 = 0 with lr 1
                d = ((g - g.mean(axis=0)) ** 2).sum(axis=1)
                return {"trace": d.mean(), "sem": d.std(ddof=1) / np.sqrt(d.size)}
            r = ctx.point(f"one_{sampling}_B{B}", one_step)
            out[f"one_{sampling}_B{B}"] = np.array([r["trace"], r["sem"]])
    for sampling in ("with_replacement", "epochs"):
        prob = _logistic(p, sampling)
        for B in p["logistic_batches"]:
            def one_step():
                r = ss.simulate(prob, ss.SGD(1.0), runs=p["runs"], steps=1, batch_size=B, seed=ctx.seed,
                                target=ctx.target, progress=False, keep_theta=True)
                g = prob.x0 - r.theta
                d = ((g - g.mean(axis=0)) ** 2).sum(axis=1)
                return {"mean": g.mean(axis=0), "mean_sem": g.std(axis=0, ddof=1) / np.sqrt(g.shape[0]),
                        "trace": d.mean(), "sem": d.std(ddof=1) / np.sqrt(d.size)}
            r = ctx.point(f"logistic_{sampling}_B{B}", one_step)
            for k in ("mean", "mean_sem", "trace", "sem"):
                out[f"logistic_{sampling}_B{B}_{k}"] = r[k]
    gd = ctx.point("gd", lambda: {"theta": ss.simulate(
        ss.LeastSquares(X, y, sampling="epochs"), ss.SGD(p["lr"]), runs=4, steps=p["gd_steps"], batch_size=p["n"],
        seed=ctx.seed, target=ctx.target, progress=False, keep_theta=True).theta})
    out["gd_theta"] = gd["theta"]
    per = p["n"] // p["rr_batch"]
    for sampling in ("with_replacement", "epochs"):
        for j, lr in enumerate(p["rr_lrs"]):
            r = ctx.curve(f"rr_{sampling}_{j}", ss.LeastSquares(X, y, sampling=sampling), ss.SGD(lr), p["runs"],
                          _rr_steps(p, lr), batch_size=p["rr_batch"], record_every=per,
                          first_run=(10 + j) * p["runs"])
            out[f"rr_{sampling}_{j}"] = np.array([r["mean"][-1], r["sem"][-1], r["diverged"][-1]])
    for drop_last in (True, False):
        rows, per = _read_batches(p, drop_last)
        out[f"read_{drop_last}"] = np.array([np.pad(r, (0, p["read_batch"] - r.size), constant_values=-1)
                                             for r in rows])
    return out


def _slope(lrs, mean, sem):
    """Weighted least-squares slope of log(mean) on log(lr), and its standard error."""
    x, yv, w = np.log(lrs), np.log(mean), (mean / sem) ** 2
    A = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    coef = cov @ A.T @ (w * yv)
    return float(coef[1]), float(np.sqrt(cov[1, 1]))


def verdict(data, p):
    X, y = _data(p)
    n = p["n"]
    # C16: with replacement against the exact recursion; one step against the covariance with its factor
    t = np.arange(p["steps"] + 1)
    zc = z_threshold(2 * len(p["batch_sizes"]) * p["steps"] + 2 * len(p["one_step_batches"]) + 2 * len(p["rr_lrs"]))
    zmax = {}
    for B in p["batch_sizes"]:
        err, loss = theory.sgd_moments(X, y, p["lr"], p["steps"], 0.0, B)
        zmax[B] = max(np.abs(zscores(data[f"wr_B{B}_error_sq_mean"][1:], data[f"wr_B{B}_error_sq_sem"][1:],
                                     err[t[1:]])).max(),
                      np.abs(zscores(data[f"wr_B{B}_loss_mean"][1:], data[f"wr_B{B}_loss_sem"][1:], loss[t[1:]])).max())
    one = {}
    for sampling in ("with_replacement", "epochs"):
        for B in p["one_step_batches"]:
            got, sem = data[f"one_{sampling}_B{B}"]
            want = np.trace(theory.gradient_covariance(X, y, np.zeros(p["p"]), B, sampling == "with_replacement"))
            one[f"{sampling}_B{B}"] = {"trace": float(got), "theory": float(want),
                                       "z": float((got - want) / sem) if sem > 0 else float(got - want)}
    lp = _logistic(p)
    full = lp.grad_at(lp.x0)
    n_log = len(p["logistic_batches"])
    zl = z_threshold(2 * n_log * (lp.dim + 1))
    logistic = {}
    for sampling in ("with_replacement", "epochs"):
        for B in p["logistic_batches"]:
            k = f"logistic_{sampling}_B{B}"
            want = np.trace(theory.minibatch_covariance(lp.example_gradients(lp.x0), B, sampling == "with_replacement"))
            logistic[f"{sampling}_B{B}"] = {
                "trace": float(data[k + "_trace"]), "theory": float(want),
                "z_trace": float((data[k + "_trace"] - want) / data[k + "_sem"]),
                "max_abs_z_mean": float(np.abs((data[k + "_mean"] - full) / data[k + "_mean_sem"]).max())}
    log_z = max(max(abs(o["z_trace"]), o["max_abs_z_mean"]) for o in logistic.values())
    ball = {B: float(data[f"wr_B{B}_error_sq_mean"][-1]) for B in p["batch_sizes"]}
    Bk = p["one_step_batches"][-2]
    c16 = Claim("supported", (
        f"{n} rows, p = {p['p']}, rows drawn with replacement, B = {', '.join(map(str, p['batch_sizes']))}: "
        f"{p['runs']:,} runs match the exact moment recursion with state-dependent noise (max |z| "
        f"{max(zmax.values()):.2f}, threshold {zc:.2f}; final error {', '.join(f'{v:.4f}' for v in ball.values())}); "
        f"one step's gradient variance: with replacement tr Σ/B, without tr Σ (n−B)/(B(n−1)) "
        f"(B = {Bk}: {one['epochs_B' + str(Bk)]['trace']:.4f} vs {one['epochs_B' + str(Bk)]['theory']:.4f}, against "
        f"{one['with_replacement_B' + str(Bk)]['trace']:.4f} with replacement; max |z| "
        f"{max(abs(o['z']) for k, o in one.items() if not k.endswith(f'B{n}')):.2f}), exactly 0 at B = n; "
        f"logistic regression on {p['logistic_data'].replace('_', ' ')} (n = {lp.n}, p = {lp.dim}), B = "
        f"{', '.join(map(str, p['logistic_batches']))}: one step's mean is the full gradient and its variance "
        f"has the same factors (max |z| {log_z:.2f} over {2 * n_log * (lp.dim + 1)} comparisons, threshold {zl:.2f})"), {
        "with_replacement_matches_exact": max(zmax.values()) < zc,
        "one_step_variance_matches_theory": all(abs(o["z"]) < zc for k, o in one.items() if not k.endswith(f"B{n}")),
        "full_batch_has_no_variance": one[f"epochs_B{n}"]["trace"] < 1e-20,
        "logistic_one_step_matches_theory": log_z < zl,
        "no_divergence": all(int(data[f"wr_B{B}_diverged"][-1]) == 0 for B in p["batch_sizes"])})
    # C18: epochs read off; B = n is GD; random reshuffling's neighbourhood
    read = {}
    for drop_last in (True, False):
        rows = [set(r[r >= 0].tolist()) for r in data[f"read_{drop_last}"]]
        N, B = p["read_n"], p["read_batch"]
        per = N // B if drop_last else -(-N // B)
        epochs = [rows[i:i + per] for i in range(0, len(rows), per)]
        sizes = [[len(s) for s in ep] for ep in epochs]
        covered = [set().union(*ep) for ep in epochs]
        read[drop_last] = {"steps_per_epoch": per, "sizes": sizes,
                           "each_row_once": all(sum(len(s) for s in ep) == len(c) for ep, c in zip(epochs, covered)),
                           "rows_per_epoch": [len(c) for c in covered],
                           "fresh_shuffles": len({tuple(tuple(sorted(s)) for s in ep) for ep in epochs}) == len(epochs)}
    th = np.zeros(p["p"])
    for _ in range(p["gd_steps"]):
        th = th - p["lr"] * X.T @ (X @ th - y) / n
    gd_err = float(np.max(np.abs(data["gd_theta"] - th)) / np.max(np.abs(th)))
    lrs = np.array(p["rr_lrs"])
    wr = np.array([data[f"rr_with_replacement_{j}"] for j in range(lrs.size)])
    rr = np.array([data[f"rr_epochs_{j}"] for j in range(lrs.size)])
    exact = np.array([theory.sgd_moments(X, y, lr, _rr_steps(p, lr), 0.0, p["rr_batch"])[0][-1] for lr in lrs])
    z_wr = np.abs((wr[:, 0] - exact) / wr[:, 1])
    z_gap = (rr[:, 0] - wr[:, 0]) / np.hypot(rr[:, 1], wr[:, 1])
    s_wr, se_wr = _slope(lrs, wr[:, 0], wr[:, 1])
    s_rr, se_rr = _slope(lrs, rr[:, 0], rr[:, 1])
    numbers = {"runs": p["runs"], "z_critical": zc, "with_replacement_max_abs_z": {str(k): v for k, v in zmax.items()},
               "one_step_gradient_variance": one, "logistic_one_step": logistic, "logistic_z_critical": zl,
               "epochs_read_off": {str(k): v for k, v in read.items()},
               "full_batch_epochs_vs_gd_max_rel_diff": gd_err,
               "reshuffling": {"lr": lrs, "with_replacement": wr[:, 0], "with_replacement_exact": exact,
                               "epochs": rr[:, 0], "ratio": rr[:, 0] / wr[:, 0], "slope_with_replacement": s_wr,
                               "slope_with_replacement_se": se_wr, "slope_epochs": s_rr, "slope_epochs_se": se_rr},
               "diverged": int(wr[:, 2].sum() + rr[:, 2].sum())}
    c18 = Claim("definitional", (
        f"read off the sampler (n = {p['read_n']}, B = {p['read_batch']}): epochs of n // B = {read[True]['steps_per_epoch']} "
        f"steps (drop_last) or ⌈n/B⌉ = {read[False]['steps_per_epoch']} (last batch {p['read_n'] % p['read_batch']} rows), "
        f"each row at most once, a fresh shuffle each epoch; B = n in epochs is GD to {gd_err:.0e}. Random "
        f"reshuffling (B = {p['rr_batch']}) at epoch ends: error {rr[0, 0] / wr[0, 0]:.1e}× to "
        f"{rr[-1, 0] / wr[-1, 0]:.2f}× that of sampling with replacement over α = {lrs[0]:g}..{lrs[-1]:g}; log error vs "
        f"log α has slope {s_rr:.2f} ± {se_rr:.2f} against {s_wr:.2f} ± {se_wr:.2f} (with replacement, "
        f"which matches its exact recursion, max |z| {z_wr.max():.2f})"), {
        "epochs_visit_each_row_once": all(r["each_row_once"] and r["fresh_shuffles"] for r in read.values())
        and read[False]["rows_per_epoch"] == [p["read_n"]] * 3
        and read[True]["rows_per_epoch"] == [p["read_n"] - p["read_n"] % p["read_batch"]] * 3,
        "full_batch_epochs_are_gd": gd_err < 1e-12,
        "with_replacement_matches_exact": bool(np.all(z_wr < zc)),
        "reshuffling_neighbourhood_smaller": bool(np.all(z_gap < -zc)),
        "reshuffling_shrinks_faster_with_lr": s_rr - s_wr - zc * np.hypot(se_rr, se_wr) > p["min_slope_gain"],
        "no_divergence": numbers["diverged"] == 0})
    return {"C16": c16, "C18": c18}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    X, y = _data(p)
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(16, 4.2))
        t = np.arange(p["steps"] + 1)
        for i, B in enumerate(p["batch_sizes"]):
            band(ax[0], t, data[f"wr_B{B}_error_sq_mean"], data[f"wr_B{B}_error_sq_sem"], f"B = {B}", color=f"C{i}")
            ax[0].plot(t, theory.sgd_moments(X, y, p["lr"], p["steps"], 0.0, B)[0], "k--", lw=0.8)
        ax[0].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ̂||²", title="with replacement (exact dashed)")
        verdict_title(ax[0], passed, f"with replacement, α = {p['lr']} (exact dashed)")
        ax[0].legend()
        o = numbers["one_step_gradient_variance"]
        for sampling, color, label in (("with_replacement", "C0", "with replacement"), ("epochs", "C1", "without")):
            Bs = np.array(p["one_step_batches"])
            got = np.array([o[f"{sampling}_B{B}"]["trace"] for B in Bs])
            want = np.array([o[f"{sampling}_B{B}"]["theory"] for B in Bs])
            keep = got > 1e-12 * got.max()  # B = n without replacement: zero up to rounding, said in the title
            ax[1].plot(Bs[keep], got[keep], "o", color=color, label=f"{label} (simulated)")
            ax[1].plot(Bs[keep], want[keep], "-", color=color, lw=0.8)
        lo = numbers["logistic_one_step"]
        for sampling, color, label in (("with_replacement", "C2", "logistic, with"), ("epochs", "C3", "logistic, without")):
            Bs = np.array(p["logistic_batches"])
            ax[1].plot(Bs, [lo[f"{sampling}_B{B}"]["trace"] for B in Bs], "D", mfc="none", color=color,
                       label=f"{label} (simulated)")
            ax[1].plot(Bs, [lo[f"{sampling}_B{B}"]["theory"] for B in Bs], ":", color=color, lw=0.8)
        ax[1].set(xscale="log", yscale="log", xlabel="B", ylabel="tr Cov(g) at θ0",
                  title=f"one step: Σ/B and Σ(n−B)/(B(n−1)) (0 at B = n = {p['n']})")
        ax[1].legend()
        rs = numbers["reshuffling"]
        ax[2].plot(rs["lr"], rs["with_replacement"], "o-", color="C0", label=f"with replacement, slope {rs['slope_with_replacement']:.2f}")
        ax[2].plot(rs["lr"], rs["with_replacement_exact"], "k--", lw=0.8, label="exact (with replacement)")
        ax[2].plot(rs["lr"], rs["epochs"], "s-", color="C1", label=f"random reshuffling, slope {rs['slope_epochs']:.2f}")
        ax[2].set(xscale="log", yscale="log", xlabel="α", ylabel="E||θ - θ̂||² at epoch ends",
                  title=f"the neighbourhood, B = {p['rr_batch']}")
        ax[2].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
