"""Activations and their derivatives, and backpropagation's gradient against finite differences.

Claims C04 and C11. C04: the kernels' sigmoid, tanh, ReLU and alpha-ELU (``MLP``'s ``activate``, the
code every network runs) and their derivatives equal the closed forms 1/(1 + e^-z),
sigma(1 - sigma); tanh, 1 - tanh^2; max(z, 0), [z > 0]; z or alpha (e^z - 1), 1 or alpha e^z,
computed apart with NumPy/SciPy on a grid; each derivative also equals the central difference of
the kernel's own values away from the kinks. C11: for networks of several depths, activations and
both losses, the gradient of the kernels' backward pass equals central differences of their loss,
(f(theta + h e_i) - f(theta - h e_i)) / 2h, down to the rounding floor: the relative error falls as
h^2 (truncation) until rounding, about eps/h, takes over, the V of a correct gradient; a wrong
backward pass would level off at its own error instead.
"""
import numpy as np
from scipy.special import expit

import simsgd as ss
from simsgd.workflow.claims import Claim

CLAIMS = ("C04", "C11")
_BASE = {"z_max": 6.0, "grid": 601, "elu_alpha": 0.7, "fd_step": 1e-5, "kink_gap": 1e-3,
         "values_within": 1e-14, "derivatives_within": 1e-12, "fd_derivatives_within": 1e-8,
         "nets": [[[1, 16, 1], "tanh", "mse"], [[3, 8, 8, 2], "sigmoid", "mse"], [[2, 6, 6, 6, 3], "elu", "cross_entropy"],
                  [[4, 10, 1], "tanh", "cross_entropy"], [[2, 5, 5, 1], "relu", "mse"]],
         "rows": 20, "data_seed": 0, "h": list(np.geomspace(1e-11, 1e-1, 21)), "gradient_within": 1e-8,
         "truncation_slope": [1.6, 2.4]}
SCALES = {"quick": {**_BASE, "runs": 1}, "full": {**_BASE, "runs": 1}}
SHOWN = ("sigmoid", "tanh", "relu", "elu")


def _closed_forms(z, alpha):
    s = expit(z)
    return {"sigmoid": (s, s * (1 - s)), "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
            "relu": (np.maximum(z, 0.0), (z > 0).astype(float)),
            "elu": (np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))), np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))))}


def _net(p, k):
    widths, act, loss = p["nets"][k]
    rng = np.random.default_rng(p["data_seed"] + k)
    X = rng.normal(size=(p["rows"], widths[0]))
    m = widths[-1]
    y = rng.normal(size=(p["rows"], m)) if loss == "mse" else rng.integers(0, max(m, 2), p["rows"]).astype(float)
    mlp = ss.MLP(widths, act, X, y, loss=loss, init="he")
    return mlp, rng.normal(scale=0.7, size=mlp.dim)


def simulate(p, ctx):
    z = np.linspace(-p["z_max"], p["z_max"], p["grid"])
    out = {"z": z}
    for name in SHOWN:
        a, d = ss.activation(name, z, alpha=p["elu_alpha"])
        h = p["fd_step"]
        out[f"{name}_value"], out[f"{name}_derivative"] = a, d
        out[f"{name}_fd"] = (ss.activation(name, z + h, alpha=p["elu_alpha"])[0]
                             - ss.activation(name, z - h, alpha=p["elu_alpha"])[0]) / (2 * h)
    hs = np.array(p["h"])
    for k in range(len(p["nets"])):
        mlp, theta = _net(p, k)
        _, g = mlp.loss_and_grad(theta)
        err = []
        for h in hs:
            fd = np.array([(mlp.loss_and_grad(theta + h * e)[0] - mlp.loss_and_grad(theta - h * e)[0]) / (2 * h)
                           for e in np.eye(mlp.dim)])
            err.append(np.abs(fd - g).max() / np.abs(g).max())
        out[f"net{k}_fd_error"] = np.array(err)
    out["h"] = hs
    return out


def verdict(data, p):
    z = data["z"]
    ref = _closed_forms(z, p["elu_alpha"])
    smooth = np.abs(z) > p["kink_gap"]  # relu and elu have a kink (or a jump of sigma') at 0
    val = {n: float(np.max(np.abs(data[f"{n}_value"] - ref[n][0]))) for n in SHOWN}
    der = {n: float(np.max(np.abs(data[f"{n}_derivative"] - ref[n][1]))) for n in SHOWN}
    fdd = {n: float(np.max(np.abs(data[f"{n}_derivative"] - data[f"{n}_fd"])[smooth])) for n in SHOWN}
    relu0 = float(data["relu_derivative"][np.argmin(np.abs(z))])
    c04 = Claim("supported", (
        f"the kernels' σ and σ′ equal the closed forms on [−{p['z_max']:g}, {p['z_max']:g}] (max error: values "
        f"{max(val.values()):.1e}, derivatives {max(der.values()):.1e}; α-ELU with α = {p['elu_alpha']}) and σ′ "
        f"equals the central difference of σ within {max(fdd.values()):.1e} away from the kinks; ReLU′(0) = "
        f"{relu0:g} (PyTorch's convention)"), {
        "values_match_closed_forms": max(val.values()) < p["values_within"],
        "derivatives_match_closed_forms": max(der.values()) < p["derivatives_within"],
        "derivatives_match_differences": max(fdd.values()) < p["fd_derivatives_within"],
        "relu_derivative_at_zero_is_zero": relu0 == 0.0})
    hs = data["h"]
    best, slope = [], []
    for k in range(len(p["nets"])):
        err = data[f"net{k}_fd_error"]
        best.append(float(err.min()))
        big = hs >= 1e-3  # truncation dominates here
        slope.append(float(np.polyfit(np.log(hs[big]), np.log(err[big]), 1)[0]))
    smooth_nets = [k for k, net in enumerate(p["nets"]) if net[1] != "relu"]
    lo, hi = p["truncation_slope"]
    c11 = Claim("supported", (
        f"backpropagation's gradient equals central differences for {len(p['nets'])} networks (depths "
        f"{min(len(n[0]) for n in p['nets']) - 1}–{max(len(n[0]) for n in p['nets']) - 1}, tanh, sigmoid, ELU, ReLU, "
        f"MSE and cross-entropy): best relative error {max(best):.1e} or less; with smooth activations the error "
        f"grows as h^{np.mean([slope[k] for k in smooth_nets]):.2f} for h ≥ 1e−3 (truncation, h² expected)"), {
        "gradient_matches_differences": max(best) < p["gradient_within"],
        "truncation_error_is_second_order": all(lo < slope[k] < hi for k in smooth_nets)})
    numbers = {"max_value_error": val, "max_derivative_error": der, "max_derivative_vs_difference": fdd,
               "relu_derivative_at_zero": relu0, "best_relative_gradient_error": best,
               "truncation_slope": slope, "nets": p["nets"]}
    return {"C04": c04, "C11": c11}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    z = data["z"]
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
        for i, name in enumerate(SHOWN):
            label = f"α-ELU, α = {p['elu_alpha']}" if name == "elu" else name
            ax[0].plot(z, data[f"{name}_value"], color=f"C{i}", label=label)
            ax[1].plot(z, data[f"{name}_derivative"], color=f"C{i}", label=label)
            ax[1].plot(z[::30], data[f"{name}_fd"][::30], ".", color=f"C{i}", ms=4)
        ax[0].set(xlabel="z", ylabel="σ(z)", ylim=(-1.5, 3), title="activations (kernel)")
        ax[0].legend()
        ax[1].set(xlabel="z", ylabel="σ′(z)", title="derivatives (kernel; dots: central differences)")
        ax[1].legend()
        for k, (widths, act, loss) in enumerate(p["nets"]):
            ax[2].loglog(data["h"], data[f"net{k}_fd_error"], "o-", ms=3, label=f"{'-'.join(map(str, widths))} {act}, {loss}")
        ax[2].set(xlabel="finite-difference step h", ylabel="max |backprop − central difference| / max |grad|")
        verdict_title(ax[2], passed, "backpropagation against finite differences")
        ax[2].legend(fontsize=7)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
