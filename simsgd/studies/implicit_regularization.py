"""Implicit regularization: from zero, gradient descent on under-determined least squares finds X^+ y.

Claim C30 (the lecture's "regularización implícita"; Neyshabur et al. 2017; Zhang et al. 2017, sec. 5).
With fewer rows than parameters (n < p, X of full row rank) every update of GD and SGD is a
combination of rows of X, so theta_t - theta_0 stays in the row space and the iterates converge to
the interpolant closest to theta_0: X^+ y from zero, X^+ y + (I - X^+ X) theta_0 otherwise, the
minimum-norm solution shifted by theta_0's null-space part. Measured on a Gaussian design: GD
(every run the same), SGD drawing rows with replacement and in epochs, each from zero and from a
random start, distance of the final iterates to that prediction and the interpolation residual;
Adam from zero (its per-coordinate scaling leaves the row space) is reported beside: its distance
to X^+ y and its residual.
"""
import numpy as np

import simsgd as ss
from simsgd.workflow.claims import Claim

CLAIMS = ("C30",)
_BASE = {"n": 20, "p": 60, "data_seed": 3, "x0_scale": 1.0, "lr": 0.5, "adam_lr": 0.01, "steps": 10_000,
         "tolerance": 1e-10}
SCALES = {"quick": {**_BASE, "runs": 200}, "full": {**_BASE, "runs": 2000}}
_RULES = {"GD": ("with_replacement", None), "SGD": ("with_replacement", 1), "SGD_epochs": ("epochs", 4)}


def _data(p):
    rng = np.random.default_rng(p["data_seed"])
    X = rng.normal(size=(p["n"], p["p"])) / np.sqrt(p["p"])
    y = rng.normal(size=p["n"])
    x0 = p["x0_scale"] * rng.normal(size=p["p"])
    return X, y, x0


def simulate(p, ctx):
    X, y, x0 = _data(p)
    out = {}
    for start, theta0 in (("zero", np.zeros(p["p"])), ("random", x0)):
        for name, (sampling, B) in _RULES.items():
            prob = ss.LeastSquares(X, y, sampling="epochs" if B is None else sampling, x0=theta0)
            runs, batch = (2, p["n"]) if B is None else (p["runs"], B)  # GD: epochs of the whole data
            r = ctx.point(f"{name}_{start}", lambda: {"theta": ss.simulate(
                prob, ss.SGD(p["lr"]), runs=runs, steps=p["steps"], batch_size=batch, seed=ctx.seed,
                target=ctx.target, progress=False, keep_theta=True).theta})
            out[f"{name}_{start}"] = r["theta"]
    prob = ss.LeastSquares(X, y, x0=0.0)
    out["Adam_zero"] = ctx.point("Adam_zero", lambda: {"theta": ss.simulate(
        prob, ss.Adam(p["adam_lr"]), runs=p["runs"], steps=p["steps"], seed=ctx.seed, target=ctx.target,
        progress=False, keep_theta=True).theta})["theta"]
    return out


def _prediction(X, y, theta0):
    pinv = np.linalg.pinv(X)
    return pinv @ y + theta0 - pinv @ (X @ theta0)


def verdict(data, p):
    X, y, x0 = _data(p)
    mn = np.linalg.pinv(X) @ y
    scale = np.linalg.norm(mn)
    rows, ok = {}, {}
    for start, theta0 in (("zero", np.zeros(p["p"])), ("random", x0)):
        want = _prediction(X, y, theta0)
        for name in _RULES:
            th = data[f"{name}_{start}"]
            dist = np.linalg.norm(th - want, axis=1) / scale
            resid = np.linalg.norm(th @ X.T - y, axis=1) / np.linalg.norm(y)
            rows[f"{name}_{start}"] = {"max_rel_distance_to_prediction": float(dist.max()),
                                       "max_rel_residual": float(resid.max()),
                                       "rel_distance_to_min_norm": float(np.linalg.norm(th.mean(0) - mn) / scale)}
            ok[f"{name}_{start}"] = dist.max() < p["tolerance"] and resid.max() < p["tolerance"]
    adam = data["Adam_zero"]
    adam_row = {"mean_rel_distance_to_min_norm": float(np.mean(np.linalg.norm(adam - mn, axis=1)) / scale),
                "max_rel_residual": float(np.max(np.linalg.norm(adam @ X.T - y, axis=1) / np.linalg.norm(y))),
                "median_rel_residual": float(np.median(np.linalg.norm(adam @ X.T - y, axis=1) / np.linalg.norm(y))),
                "norm_over_min_norm": float(np.mean(np.linalg.norm(adam, axis=1)) / scale)}
    worst = max(r["max_rel_distance_to_prediction"] for r in rows.values())
    shift = rows["GD_random"]["rel_distance_to_min_norm"]
    numbers = {"runs": p["runs"], "n": p["n"], "p": p["p"], "per_case": rows, "adam_from_zero": adam_row}
    c30 = Claim("supported", (
        f"n = {p['n']} rows, p = {p['p']} parameters, {p['steps']:,} steps: GD and SGD (with replacement, B = 1, "
        f"and in epochs, B = 4; {p['runs']:,} runs) from zero all end at X⁺y and from a random θ0 at "
        f"X⁺y + (I − X⁺X)θ0 (largest distance {worst:.0e} of ‖X⁺y‖, residuals ≤ "
        f"{max(r['max_rel_residual'] for r in rows.values()):.0e}); from θ0 that point is {shift:.2f}‖X⁺y‖ away "
        f"from X⁺y. Adam from zero (α = {p['adam_lr']}) ends {adam_row['mean_rel_distance_to_min_norm']:.2f}‖X⁺y‖ "
        f"away from X⁺y on average, {adam_row['norm_over_min_norm']:.2f}× its norm, relative residual "
        f"{adam_row['median_rel_residual']:.0e} (median; largest {adam_row['max_rel_residual']:.0e}): reported"),
        {f"{k}_reaches_the_prediction": v for k, v in ok.items()})
    return {"C30": c30}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    X, y, x0 = _data(p)
    mn = np.linalg.pinv(X) @ y
    null = np.eye(p["p"]) - np.linalg.pinv(X) @ X
    with style() as plt:
        fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
        # each run's final point: its row-space part against X^+ y, its null-space part against theta_0's
        for i, (key, label, color) in enumerate((("SGD_zero", "SGD from 0", "C0"),
                                                 ("SGD_random", "SGD from θ0", "C1"),
                                                 ("Adam_zero", "Adam from 0", "C3"))):
            th = data[key]
            ax[0].scatter(np.linalg.norm(th @ null, axis=1), np.linalg.norm(th - th @ null, axis=1), s=6,
                          color=color, label=label, alpha=0.6)
        ax[0].axhline(np.linalg.norm(mn), color="k", lw=0.8, ls=":", label="‖X⁺y‖ (row-space part)")
        ax[0].axvline(np.linalg.norm(null @ x0), color="C1", lw=0.8, ls=":", label="‖(I − X⁺X)θ0‖")
        ax[0].set(xlabel="null-space part of θ_T", ylabel="row-space part of θ_T")
        verdict_title(ax[0], passed, f"n = {p['n']} < p = {p['p']}: where the runs end")
        ax[0].legend()
        cases = list(numbers["per_case"])
        d = [max(numbers["per_case"][k]["max_rel_distance_to_prediction"], 1e-17) for k in cases]
        ax[1].bar(range(len(cases)), d, color="C0")
        ax[1].axhline(p["tolerance"], color="k", ls=":", lw=0.8, label="tolerance")
        ax[1].set(yscale="log", xticks=range(len(cases)), ylabel="max ‖θ_T − prediction‖ / ‖X⁺y‖",
                  title="distance to X⁺y + (I − X⁺X)θ0")
        ax[1].set_xticklabels([c.replace("_", "\n") for c in cases], fontsize=8)
        ax[1].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
