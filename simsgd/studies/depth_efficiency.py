"""Depth efficiency: the k-fold tent map, exact with 2 ReLUs per layer, needs 2^k - 1 units in one layer.

Claim C05 (Telgarsky 2016). The tent map D(x) = 2 relu(x) - 4 relu(x - 1/2) on [0, 1], composed k times,
is a sawtooth of 2^k linear pieces that alternates between 0 (at x = j/2^k, j even) and 1 (j odd).
A deep network with k hidden layers of 2 ReLUs computes it exactly (each layer is one D); a network
with one hidden layer of m ReLUs is piecewise linear with at most m kinks, and if its error were
below 1/2 at the 2^k + 1 points j/2^k its values would alternate around 1/2 there, which takes at
least 2^k - 1 kinks: with m <= 2^k - 2 units its sup error is at least 1/2, and with 2^k units (one per
piece) it is exact. Both exact constructions are run as weights through the kernels' forward pass.
Trained networks (full-batch Adam on the mean squared error at ``points`` equally spaced x, many
initialisations): shallow ones of 2k units (as many as the deep construction) and 2^k - 2 units must
stay at or above 1/2, the bound every run is checked against; the best trained deep narrow and shallow
wide errors against the number of units are reported (gradient descent rarely finds the deep
solution: measured, not assumed).
"""
import numpy as np

import simsgd as ss
from simsgd.workflow.claims import Claim

CLAIMS = ("C05",)
_BASE = {"points": 257, "lr": 0.03, "exact_within": 1e-12}
SCALES = {"quick": {**_BASE, "runs": 8, "steps": 5000, "ks": [1, 2, 3, 4]},
          "full": {**_BASE, "runs": 16, "steps": 15000, "ks": [1, 2, 3, 4, 5]}}


def tent_power(x, k):
    for _ in range(k):
        x = 2 * np.maximum(x, 0) - 4 * np.maximum(x - 0.5, 0)
    return x


def deep_weights(k):
    """Flat weights of 1-2-...-2-1 (k hidden layers) computing D^k: every hidden layer is relu(u), relu(u - 1/2) of the
    previous layer's D, u = 2 a_1 - 4 a_2."""
    first = [1.0, 1.0, 0.0, -0.5]
    middle = [2.0, -4.0, 2.0, -4.0, 0.0, -0.5]
    return np.array(first + middle * (k - 1) + [2.0, -4.0, 0.0])


def shallow_weights(k):
    """Flat weights of 1-2^k-1: the piecewise-linear interpolant of D^k at its 2^k + 1 breakpoints, one ReLU per piece."""
    t = np.arange(2 ** k + 1) / 2 ** k
    s = np.diff(tent_power(t, k)) / np.diff(t)
    return np.concatenate([np.ones(2 ** k), -t[:-1], np.concatenate([[s[0]], np.diff(s)]), [0.0]])


def _shapes(p, k):
    """(tag, widths) of the trained networks for k folds."""
    out = [("deep2", (1,) + (2,) * k + (1,)), ("deep4", (1,) + (4,) * k + (1,)), ("shallow_2k", (1, 2 * k, 1))]
    if 2 ** k - 2 >= 1 and 2 ** k - 2 != 2 * k:
        out.append(("shallow_below", (1, 2 ** k - 2, 1)))
    return out + [("shallow_2k_units", (1, 2 ** k, 1)), ("shallow_4k_units", (1, 2 ** (k + 1), 1))]


def simulate(p, ctx):
    x = np.linspace(0, 1, p["points"])
    out = {"x": x}
    for ki, k in enumerate(p["ks"]):
        y = tent_power(x, k)
        knots = np.arange(2 ** k + 1) / 2 ** k
        for tag, theta in (("deep_exact", deep_weights(k)), ("shallow_exact", shallow_weights(k))):
            widths = (1,) + (2,) * k + (1,) if tag == "deep_exact" else (1, 2 ** k, 1)
            f = ss.MLP(widths, "relu", x[:, None], y).predict(theta, x[:, None])[0, :, 0]
            out[f"k{k}_{tag}_error"] = np.abs(f - y).max()
        for si, (tag, widths) in enumerate(_shapes(p, k)):
            prob = ss.MLP(widths, "relu", x[:, None], y, sampling="epochs")

            def train():
                res = ss.simulate(prob, ss.Adam(p["lr"]), runs=p["runs"], steps=p["steps"], batch_size=p["points"],
                                  seed=ctx.seed, first_run=(ki * 10 + si) * p["runs"], record_every=p["steps"],
                                  keep_theta=True, target=ctx.target, progress=False)
                f = prob.predict(res.theta, x[:, None])[:, :, 0]
                fk = prob.predict(res.theta, knots[:, None])[:, :, 0]
                return {"sup": np.abs(f - y).max(axis=1), "knot_error": np.abs(fk - tent_power(knots, k)).max(axis=1),
                        "mse": res.final("train_loss"), "units": np.array(sum(widths[1:-1]))}
            for key, v in ctx.point(f"k{k}_{tag}", train).items():
                out[f"k{k}_{tag}_{key}"] = v
    return out


def verdict(data, p):
    nums, checks = {"runs": p["runs"]}, {}
    exact = max(max(data[f"k{k}_deep_exact_error"], data[f"k{k}_shallow_exact_error"]) for k in p["ks"])
    checks["both_constructions_exact"] = exact < p["exact_within"]
    below = []
    for k in p["ks"]:
        row = {"deep_units": 2 * k, "shallow_units_needed": 2 ** k - 1,
               "deep_exact_error": float(data[f"k{k}_deep_exact_error"]),
               "shallow_exact_error": float(data[f"k{k}_shallow_exact_error"])}
        for tag, widths in _shapes(p, k):
            units = sum(widths[1:-1])
            sup, knot = data[f"k{k}_{tag}_sup"], data[f"k{k}_{tag}_knot_error"]
            mse = data[f"k{k}_{tag}_mse"]
            row[tag] = {"units": units, "best_sup": float(np.nanmin(sup)), "median_sup": float(np.nanmedian(sup)),
                        "best_mse": float(np.nanmin(mse)), "median_mse": float(np.nanmedian(mse)),
                        "best_knot_error": float(np.nanmin(knot))}
            if len(widths) == 3 and units <= 2 ** k - 2:
                below.append(float(np.nanmin(knot)))
        nums[f"k{k}"] = row
    if below:
        checks["shallow_below_2k_minus_1_units_never_within_half"] = min(below) >= 0.5 - 1e-12
    nums["lowest_knot_error_below_the_bound"] = min(below) if below else None
    kmax = p["ks"][-1]
    top = nums[f"k{kmax}"]
    claim = Claim("supported", (
        f"D^k (2^k pieces) is exact with 2k ReLUs in k layers and with 2^k in one (kernel forward pass, max error "
        f"{exact:.0e}); every trained one-layer network with at most 2^k − 2 units stays ≥ 1/2 from it at the "
        f"breakpoints (lowest {nums['lowest_knot_error_below_the_bound']:.3f}), as the kink count requires. Trained at "
        f"k = {kmax}, best training MSE (sup error) of {p['runs']}: deep 2-wide {top['deep2']['best_mse']:.3g} "
        f"({top['deep2']['best_sup']:.2f}, {2 * kmax} units), 4-wide {top['deep4']['best_mse']:.3g} "
        f"({top['deep4']['best_sup']:.2f}, {4 * kmax} units); one layer of {2 * kmax} units "
        f"{top['shallow_2k']['best_mse']:.3g} ({top['shallow_2k']['best_sup']:.2f}), of {2 ** kmax} "
        f"{top['shallow_2k_units']['best_mse']:.3g} ({top['shallow_2k_units']['best_sup']:.2f}), of {2 ** (kmax + 1)} "
        f"{top['shallow_4k_units']['best_mse']:.3g} ({top['shallow_4k_units']['best_sup']:.2f}): depth's advantage "
        f"holds for what networks can represent, while Adam from random starts does not find the deep solution "
        f"beyond k = {max([k for k in p['ks'] if nums[f'k{k}']['deep2']['best_sup'] < 0.1] or [0])}"), checks)
    return {"C05": claim}, nums


def plot(data, p, passed, numbers, path):
    import matplotlib as mpl

    from simsgd.workflow.plotting import style, verdict_title

    x = data["x"]
    kmax = p["ks"][-1]
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(17, 4.3))
        ax[0].plot(x, tent_power(x, 3), "k", lw=2, label="D³ (8 pieces)")
        ax[0].plot(x, tent_power(x, 1), "C0--", label="D (2 ReLUs)")
        ax[0].set(xlabel="x", ylabel="y", title="the tent map and its 3-fold composition")
        ax[0].legend(fontsize=8)
        marks = {"deep2": ("C0", "o", "deep, 2 per layer"), "deep4": ("C2", "s", "deep, 4 per layer"),
                 "shallow_2k": ("C1", "^", "one layer, 2k units"), "shallow_below": ("C3", "v", "one layer, 2^k − 2 units"),
                 "shallow_2k_units": ("C4", "D", "one layer, 2^k units"), "shallow_4k_units": ("C5", "P", "one layer, 2^(k+1) units")}
        seen = set()
        for k in p["ks"]:
            for tag, (color, m, label) in marks.items():
                if tag in numbers[f"k{k}"]:
                    r = numbers[f"k{k}"][tag]
                    for a, key in ((ax[1], "best_sup"), (ax[2], "best_mse")):
                        a.plot(r["units"], max(r[key], 1e-6), m, color=color, label=None if tag in seen else label)
                        a.annotate(str(k), (r["units"], max(r[key], 1e-6)), fontsize=6, xytext=(3, 2),
                                   textcoords="offset points")
                    seen.add(tag)
        ax[1].axhline(0.5, color="k", ls=":", lw=1, label="1/2: the floor below 2^k − 1 units in one layer")
        ax[1].set(xscale="log", yscale="log", xlabel="hidden units", ylabel="best sup error over the trained networks")
        ax[1].set_title(f"D^k, k = 1..{kmax} (labels: k; floored at 1e-6 for display)")
        ax[1].legend(fontsize=7)
        ax[2].set(xscale="log", yscale="log", xlabel="hidden units", ylabel="best training MSE over the trained networks")
        verdict_title(ax[2], passed, "training error (floored at 1e-6 for display)")
        for a in ax[1:]:
            a.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())  # after set(xscale=...), which resets it
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
