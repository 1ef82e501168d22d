"""Universal approximation: one hidden layer of width n, and the polynomial counter-example.

Claim C01 (Leshno, Lin, Pinkus & Schocken 1993: sums sum_i a_i g(w_i x + b_i) are dense in C[a, b]
exactly when g is not a polynomial). Networks 1-n-1 trained by full-batch Adam on the mean squared
error at ``points`` equally spaced x in [-1, 1], for sin(2 pi x) and |x|, many independent
initialisations per width; the error is measured on a grid ten times finer (mean squared and sup).
Non-polynomial activations: the best error over the networks falls with n (judged from the narrowest
to the widest: a trained network does not always find a narrower one's exact fit, e.g. relu(x) + relu(-x)
for |x| at width 2). Polynomial
activation z^k: the network is a polynomial of degree <= k in x, so its training error can never go
below the least-squares polynomial of degree k on the same points (computed apart with NumPy), at
any width; the trained ones reach that floor once n > k. The constructive side: the width-n ReLU
interpolant of f at n + 1 equally spaced knots (built here as weights and run by the kernels'
forward pass) has sup error <= h^2 ||f''|| / 8 with h = 2/n (here 2 pi^2 / n^2 for sin(2 pi x)); the
trained networks are compared with it.
"""
import numpy as np

import simsgd as ss
from simsgd.workflow.claims import Claim

CLAIMS = ("C01",)
_BASE = {"points": 64, "fine": 641, "lr": 0.01, "targets": ["sin", "abs"], "poly_over_floor": 1.05,
         "min_drop": 10.0, "interp_widths": [2, 4, 8, 16, 32, 64, 128, 256]}
SCALES = {"quick": {**_BASE, "runs": 8, "steps": 3000, "widths": [1, 2, 4, 8, 16, 32],
                    "activations": ["tanh", "relu", "polynomial2", "polynomial3"]},
          "full": {**_BASE, "runs": 16, "steps": 5000, "widths": [1, 2, 4, 8, 16, 32, 64, 128],
                   "activations": ["tanh", "relu", "sigmoid", "elu", "polynomial2", "polynomial3"]}}


def _f(name, x):
    return np.sin(2 * np.pi * x) if name == "sin" else np.abs(x)


def _act(a):
    """(activation, degree) from a study name such as 'polynomial3'."""
    return ("polynomial", int(a[len("polynomial"):])) if a.startswith("polynomial") else (a, 2)


def _grids(p):
    return np.linspace(-1, 1, p["points"]), np.linspace(-1, 1, p["fine"])


def _problem(p, target, act, width):
    x, xf = _grids(p)
    name, degree = _act(act)
    return ss.MLP((1, width, 1), name, x[:, None], _f(target, x), X_test=xf[:, None], y_test=_f(target, xf),
                  degree=degree, sampling="epochs")


def _interpolant(n, target):
    """Weights of the width-n ReLU network equal to the piecewise-linear interpolant at n + 1 knots on [-1, 1]."""
    t = np.linspace(-1, 1, n + 1)
    s = np.diff(_f(target, t)) / np.diff(t)
    W1, b1 = np.ones(n), -t[:-1]
    W2 = np.concatenate([[s[0]], np.diff(s)])
    return np.concatenate([W1, b1, W2, [_f(target, t[0])]])


def simulate(p, ctx):
    x, xf = _grids(p)
    out = {}
    for ti, target in enumerate(p["targets"]):
        for ai, act in enumerate(p["activations"]):
            for wi, w in enumerate(p["widths"]):
                prob = _problem(p, target, act, w)

                def train():
                    res = ss.simulate(prob, ss.Adam(p["lr"]), runs=p["runs"], steps=p["steps"],
                                      batch_size=p["points"], seed=ctx.seed, record_every=p["steps"],
                                      first_run=(ti * 1000 + ai * 100 + wi) * p["runs"], keep_theta=True,
                                      target=ctx.target, progress=False)
                    f = prob.predict(res.theta, xf[:, None])[:, :, 0]
                    return {"train": res.final("train_loss"), "mse": res.final("test_loss"),
                            "sup": np.abs(f - _f(target, xf)).max(axis=1)}
                r = ctx.point(f"{target}_{act}_w{w}", train)
                for k in ("train", "mse", "sup"):
                    out[f"{target}_{act}_w{w}_{k}"] = r[k]
        for n in p["interp_widths"]:
            mlp = ss.MLP((1, n, 1), "relu", x[:, None], _f(target, x))
            out[f"{target}_interp_n{n}_sup"] = np.abs(mlp.predict(_interpolant(n, target), xf[:, None])[0, :, 0]
                                                      - _f(target, xf)).max()
    return out


def _best(data, target, act, widths, key):
    """Per width, the best value over the networks that did not diverge (NaN where all did)."""
    vals = [data[f"{target}_{act}_w{w}_{key}"] for w in widths]
    return np.array([np.nanmin(v) if np.isfinite(v).any() else np.nan for v in vals])


def verdict(data, p):
    x, _ = _grids(p)
    nums, checks = {}, {}
    for target in p["targets"]:
        y = _f(target, x)
        t = {}
        for act in p["activations"]:
            name, k = _act(act)
            train = _best(data, target, act, p["widths"], "train")
            t[act] = {"best_train_mse": train.tolist(), "best_mse": _best(data, target, act, p["widths"], "mse").tolist(),
                      "best_sup": _best(data, target, act, p["widths"], "sup").tolist()}
            if name == "polynomial":
                coef = np.polynomial.polynomial.polyfit(x, y, k)
                floor = float(np.mean((np.polynomial.polynomial.polyval(x, coef) - y) ** 2))
                lowest = float(np.nanmin(np.concatenate([data[f"{target}_{act}_w{w}_train"] for w in p["widths"]])))
                wide = [i for i, w in enumerate(p["widths"]) if w > k]
                t[act].update({"least_squares_floor": floor, "lowest_train_mse": lowest,
                               "best_over_floor_when_wider_than_k": float(np.nanmax(train[wide]) / floor)})
                checks[f"{target}_{act}_never_below_the_degree_{k}_floor"] = lowest >= floor * (1 - 1e-9)
                checks[f"{target}_{act}_reaches_the_floor"] = t[act]["best_over_floor_when_wider_than_k"] <= p["poly_over_floor"]
            else:
                drop = float(train[0] / train[-1])
                t[act]["drop_from_narrowest_to_widest"] = drop
                checks[f"{target}_{act}_error_falls_with_width"] = drop >= p["min_drop"]
        polys = [a for a in p["activations"] if a.startswith("polynomial")]
        others = [a for a in p["activations"] if not a.startswith("polynomial")]
        if polys and others:
            best_poly_floor = min(t[a]["least_squares_floor"] for a in polys)
            best_other = min(t[a]["best_train_mse"][-1] for a in others)
            t["widest_non_polynomial_over_best_polynomial_floor"] = best_other / best_poly_floor
            checks[f"{target}_non_polynomial_beats_every_polynomial_floor"] = best_other < best_poly_floor / p["min_drop"]
        if target == "sin":
            ns = np.array(p["interp_widths"], float)
            sup = np.array([data[f"sin_interp_n{int(n)}_sup"] for n in ns])
            bound = 2 * np.pi ** 2 / ns ** 2
            slope = float(np.polyfit(np.log(ns[2:]), np.log(sup[2:]), 1)[0])
            t["interpolant"] = {"widths": p["interp_widths"], "sup": sup.tolist(), "bound": bound.tolist(),
                                "slope": slope}
            checks["relu_interpolant_within_the_constructive_bound"] = bool(np.all(sup <= bound * (1 + 1e-12)))
            checks["relu_interpolant_error_falls_as_n_to_minus_2"] = -2.2 < slope < -1.8
            widest = p["widths"][-1]
            relu_sup = t["relu"]["best_sup"][-1] if "relu" in t else np.nan
            t["trained_relu_sup_over_interpolant_bound_at_widest"] = float(relu_sup / (2 * np.pi ** 2 / widest ** 2))
        nums[target] = t
    sin = nums["sin"]
    nonpoly = [a for a in p["activations"] if not a.startswith("polynomial")]
    claim = Claim("supported", (
        f"1-n-1 networks, {p['runs']} trained per width: with {', '.join(nonpoly)} the best training MSE on "
        f"sin(2πx) falls from width {p['widths'][0]} to {p['widths'][-1]} by " + ", ".join(
            f"{sin[a]['drop_from_narrowest_to_widest']:.0f}×" for a in nonpoly)
        + "; with z^k it never goes below the degree-k least-squares floor ("
        + ", ".join(f"k = {_act(a)[1]}: floor {sin[a]['least_squares_floor']:.3g}, best {min(sin[a]['best_train_mse']):.3g}"
                    for a in p["activations"] if a.startswith("polynomial"))
        + f"), which every non-polynomial network of width {p['widths'][-1]} beats "
        f"({sin.get('widest_non_polynomial_over_best_polynomial_floor', float('nan')):.1e} of it); the width-n ReLU "
        f"interpolant run by the kernels stays within 2π²/n² (sup error ∝ n^{sin['interpolant']['slope']:.2f}), the "
        f"best trained ReLU net of width {p['widths'][-1]} is at {sin['trained_relu_sup_over_interpolant_bound_at_widest']:.1f}× "
        f"that bound"), checks)
    nums["runs"] = p["runs"]
    return {"C01": claim}, nums


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    ws = np.array(p["widths"])
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
        for j, target in enumerate(p["targets"]):
            t = numbers[target]
            for i, act in enumerate(p["activations"]):
                ax[j].loglog(ws, t[act]["best_train_mse"], "o-", color=f"C{i}", ms=4, label=act)
                if "least_squares_floor" in t[act]:
                    ax[j].axhline(t[act]["least_squares_floor"], color=f"C{i}", ls=":", lw=1)
            ax[j].set(xlabel="hidden width n", ylabel="best training MSE over the networks",
                      title=f"{'sin(2πx)' if target == 'sin' else '|x|'} on [-1, 1] (dotted: degree-k floors)")
            ax[j].legend(fontsize=8)
        it = numbers["sin"]["interpolant"]
        ax[2].loglog(it["widths"], it["sup"], "ks-", ms=4, label="ReLU interpolant (kernel)")
        ax[2].loglog(it["widths"], it["bound"], "k--", label="2π²/n²")
        for i, act in enumerate(p["activations"]):
            if not act.startswith("polynomial"):
                ax[2].loglog(ws, numbers["sin"][act]["best_sup"], "o-", color=f"C{i}", ms=4, label=f"trained {act}")
        ax[2].set(xlabel="hidden width n", ylabel="sup error on the fine grid")
        verdict_title(ax[2], passed, "sin(2πx): sup error against width")
        ax[2].legend(fontsize=8)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
