"""A linear model against a small network on a nonlinear 1-D regression, train and test.

Claim C02 (linear solutions can be insufficient). Data: y = sin(2 pi x) + noise (std ``noise``) at
``n`` points x ~ U[-1, 1], and a fresh test set of ``n_test`` points. The linear model is the network
without a hidden layer (widths 1-1, f = w x + b) trained by full-batch gradient descent; its optimum is ordinary
least squares with an intercept, computed apart with NumPy, which every trained run must reach. The
network 1-``width``-1 (tanh) is trained by full-batch Adam from many initialisations. The claim holds if
the network's mean test error is below the best any linear model can do by many standard errors;
the noise variance is the floor neither can beat on average.
"""
import numpy as np

import simsgd as ss
from simsgd.engine.statistics import z_threshold
from simsgd.workflow.claims import Claim

CLAIMS = ("C02",)
_BASE = {"n": 64, "n_test": 1000, "noise": 0.1, "data_seed": 0, "width": 32, "lr": 0.01, "linear_lr": 0.5,
         "linear_within": 1e-10, "shown": 5}
SCALES = {"quick": {**_BASE, "runs": 32, "steps": 4000}, "full": {**_BASE, "runs": 200, "steps": 10000}}


def _data(p):
    rng = np.random.default_rng(p["data_seed"])
    x, xt = rng.uniform(-1, 1, p["n"]), rng.uniform(-1, 1, p["n_test"])
    f = lambda v: np.sin(2 * np.pi * v)  # noqa: E731
    return x, f(x) + p["noise"] * rng.normal(size=p["n"]), xt, f(xt) + p["noise"] * rng.normal(size=p["n_test"])


def _problems(p):
    x, y, xt, yt = _data(p)
    kw = {"X": x[:, None], "y": y, "X_test": xt[:, None], "y_test": yt, "sampling": "epochs"}
    return ss.MLP((1, 1), "identity", **kw), ss.MLP((1, p["width"], 1), "tanh", **kw)


def _least_squares(p):
    """Train and test MSE of ordinary least squares with an intercept (the best linear model on the training set)."""
    x, y, xt, yt = _data(p)
    A = np.column_stack([x, np.ones_like(x)])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return float(np.mean((A @ coef - y) ** 2)), float(np.mean((coef[0] * xt + coef[1] - yt) ** 2)), coef


def simulate(p, ctx):
    out = {}
    grid = np.linspace(-1, 1, 201)
    rules = (ss.SGD(p["linear_lr"]), ss.Adam(p["lr"]))
    for i, (tag, prob, rule) in enumerate(zip(("linear", "net"), _problems(p), rules)):
        def train():
            res = ss.simulate(prob, rule, runs=p["runs"], steps=p["steps"], batch_size=p["n"], seed=ctx.seed,
                              first_run=i * p["runs"], record_every=p["steps"] // 40, keep_theta=True,
                              target=ctx.target, progress=False)
            return {"steps": res.steps, "train_mean": res.mean("train_loss"), "train_sem": res.sem("train_loss"),
                    "test_mean": res.mean("test_loss"), "test_sem": res.sem("test_loss"),
                    "train_final": res.final("train_loss"), "test_final": res.final("test_loss"),
                    "diverged": res.diverged, "fits": prob.predict(res.theta[:p["shown"]], grid[:, None])[:, :, 0],
                    "coef": res.theta[:, :2]}
        for k, v in ctx.point(tag, train).items():
            out[f"{tag}_{k}"] = v
    out["grid"] = grid
    return out


def verdict(data, p):
    ls_train, ls_test, coef = _least_squares(p)
    lin_gap = float(np.max(np.abs(data["linear_train_final"] - ls_train)) / ls_train)
    coef_err = float(np.max(np.abs(data["linear_coef"] - coef)))
    zc = z_threshold(2)
    net_test, net_sem = float(data["net_test_mean"][-1]), float(data["net_test_sem"][-1])
    net_train = float(data["net_train_mean"][-1])
    z_test = (ls_test - net_test) / net_sem
    diverged = int(data["net_diverged"][-1] + data["linear_diverged"][-1])
    numbers = {"runs": p["runs"], "least_squares_train_mse": ls_train, "least_squares_test_mse": ls_test,
               "linear_max_rel_gap_to_least_squares": lin_gap, "linear_max_coefficient_error": coef_err,
               "net_train_mse": net_train, "net_test_mse": net_test, "net_test_sem": net_sem,
               "z_linear_minus_net_test": z_test, "linear_over_net_test": ls_test / net_test,
               "noise_variance": p["noise"] ** 2, "net_test_over_noise_variance": net_test / p["noise"] ** 2,
               "z_critical": zc, "diverged": diverged}
    claim = Claim("supported", (
        f"on sin(2πx) + noise (σ² = {p['noise'] ** 2:g}), every trained linear model reaches least squares (train MSE "
        f"{ls_train:.3f}, within {lin_gap:.0e}) and tests at {ls_test:.3f}; the 1-{p['width']}-1 tanh network "
        f"({p['runs']} runs) trains to {net_train:.4f} and tests at {net_test:.4f} ± {net_sem:.4f}, "
        f"{ls_test / net_test:.0f}× lower (z = {z_test:.0f}), {net_test / p['noise'] ** 2:.2f}× the noise floor"), {
        "linear_model_reaches_least_squares": lin_gap < p["linear_within"],
        "network_beats_every_linear_model_on_test": z_test > zc,
        "network_beats_every_linear_model_on_train": net_train < ls_train,
        "no_divergence": diverged == 0})
    return {"C02": claim}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, style, verdict_title

    x, y, _, _ = _data(p)
    _, _, coef = _least_squares(p)
    g = data["grid"]
    with style() as plt:
        fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
        ax[0].plot(x, y, "k.", ms=4, label="training data")
        ax[0].plot(g, coef[0] * g + coef[1], "C1", lw=2, label="least squares (linear)")
        for i, f in enumerate(data["net_fits"]):
            ax[0].plot(g, f, "C0", lw=1, alpha=0.7, label=f"1-{p['width']}-1 tanh networks" if i == 0 else None)
        ax[0].set(xlabel="x", ylabel="y", title="fits")
        ax[0].legend(fontsize=8)
        for tag, color, label in (("linear", "C1", "linear"), ("net", "C0", f"1-{p['width']}-1 tanh")):
            band(ax[1], data[f"{tag}_steps"], data[f"{tag}_test_mean"], data[f"{tag}_test_sem"], f"{label}, test", color=color)
            ax[1].plot(data[f"{tag}_steps"], data[f"{tag}_train_mean"], "--", color=color, lw=1, label=f"{label}, train")
        ax[1].axhline(numbers["least_squares_test_mse"], color="C1", ls=":", lw=1, label="least squares, test")
        ax[1].axhline(p["noise"] ** 2, color="k", ls=":", lw=1, label="noise variance")
        ax[1].set(yscale="log", xlabel="step", ylabel="mean squared error (mean over runs)")
        verdict_title(ax[1], passed, f"test error: linear {numbers['least_squares_test_mse']:.3f}, "
                                     f"network {numbers['net_test_mse']:.4f}")
        ax[1].legend(fontsize=8)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
