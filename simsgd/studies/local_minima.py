"""Exponentially many local minima for a single sigmoid neuron with the squared loss.

Claim C10 (its landscape part; Auer, Herbster & Warmuth 1995). One neuron sigmoid(w^T x), no bias, the
mean squared error (``SigmoidNeuron``). The data follow their construction: on each of the d axes,
``per_axis`` examples x = s e_a with target ``y``, at input scales s = 1, 1/ratio, 1/ratio^2, ...; an
example makes a saturating well near w_a = logit(y)/s, the scales keep the wells apart, and the loss
is a sum of one function per axis, so it has per_axis^d = floor(n/d)^d minima (n = per_axis d examples).
Those minima are located apart with NumPy on a fine grid of each axis's loss (the oracle). Thousands of
runs start at w_a = 10^U(lo, hi) per coordinate and descend with Adam (its per-coordinate
normalisation crosses the saturated plateaus; epsilon 1e-30 so that it does not stall there); the
final weights are clustered by rounding log10 w to 0.1, without the oracle. The claim holds if the
clusters are exactly the oracle's minima, all per_axis^d of them, for every d: each cluster's median
within 1e-3 decades of one (a 20% error in the sigmoid's slope term moves them 2e-3), and nearly every
run within 0.05 decades.
"""
import numpy as np

import simsgd as ss
from simsgd.workflow.claims import Claim

CLAIMS = ("C10",)
_BASE = {"ratio": 100.0, "y": 0.9, "per_axis": 2, "log10_range": [-0.3, 2.85], "lr": 0.1, "eps": 1e-30,
         "steps": 30000, "centre_within_decades": 1e-3, "run_within_decades": 0.05, "converged_fraction": 0.99, "grid": [-1.0, 5.0, 600001]}
SCALES = {"quick": {**_BASE, "runs": 400, "dims": [1, 2, 3]},
          "full": {**_BASE, "runs": 8000, "dims": [1, 2, 3, 4, 5]}}


def _problem(p, d):
    m = p["per_axis"]
    X = np.zeros((m * d, d))
    for a in range(d):
        X[a * m:(a + 1) * m, a] = p["ratio"] ** -np.arange(m)
    return ss.SigmoidNeuron(X, np.full(m * d, p["y"]), sampling="epochs", log10_range=p["log10_range"])


def axis_minima(p):
    """The minima of one axis's loss sum_j (sigmoid(w s_j) - y)^2, from a grid over log10 w (NumPy)."""
    lw = np.linspace(*p["grid"][:2], int(p["grid"][2]))
    w = 10.0 ** lw
    s = p["ratio"] ** -np.arange(p["per_axis"])
    f = np.sum((1 / (1 + np.exp(-np.outer(w, s))) - p["y"]) ** 2, axis=1)
    i = np.flatnonzero((f[1:-1] < f[:-2]) & (f[1:-1] <= f[2:])) + 1
    return lw[i], lw, f


def simulate(p, ctx):
    out = {}
    for k, d in enumerate(p["dims"]):
        prob = _problem(p, d)

        def run():
            res = ss.simulate(prob, ss.Adam(p["lr"], eps=p["eps"]), runs=p["runs"], steps=p["steps"],
                              batch_size=prob.n, seed=ctx.seed, first_run=k * p["runs"], record_every=p["steps"],
                              keep_theta=True, target=ctx.target, progress=False)
            return {"theta": res.theta, "loss": res.final("loss"), "diverged": res.diverged}
        for key, v in ctx.point(f"d{d}", run).items():
            out[f"d{d}_{key}"] = v
    return out


def _clusters(theta):
    """Distinct rows of log10 theta rounded to 0.1 (no reference to the oracle), their centres and sizes."""
    keys, inv, counts = np.unique(np.round(np.log10(theta), 1), axis=0, return_inverse=True, return_counts=True)
    centres = np.array([np.median(np.log10(theta[inv.ravel() == c]), axis=0) for c in range(len(keys))])
    return centres, counts


def verdict(data, p):
    wells, _, _ = axis_minima(p)
    m = p["per_axis"]
    rows, checks = [], {}
    for d in p["dims"]:
        theta = data[f"d{d}_theta"]
        prob = _problem(p, d)
        centres, counts = _clusters(theta)
        # the oracle's minimum nearest to every cluster centre and to every run, coordinate by coordinate
        dist_c = np.abs(centres[:, :, None] - wells[None, None, :]).min(axis=2).max(axis=1)
        dist_r = np.abs(np.log10(theta)[:, :, None] - wells[None, None, :]).min(axis=2).max(axis=1)
        loss_gap = float(np.max(np.abs(data[f"d{d}_loss"] - prob.loss_at(theta)) / prob.loss_at(theta)))
        row = {"d": d, "n": m * d, "construction_minima": m ** d, "oracle_minima": len(wells) ** d,
               "clusters": int(len(centres)), "smallest_cluster_runs": int(counts.min()),
               "largest_centre_distance_decades": float(dist_c.max()),
               "converged_fraction": float(np.mean(dist_r < p["run_within_decades"])),
               "kernel_loss_vs_numpy": loss_gap, "diverged": int(data[f"d{d}_diverged"][-1])}
        rows.append(row)
        checks[f"d{d}_clusters_are_the_{len(wells) ** d}_minima"] = (
            row["clusters"] == len(wells) ** d and row["largest_centre_distance_decades"] < p["centre_within_decades"])
        checks[f"d{d}_runs_end_at_minima"] = row["converged_fraction"] >= p["converged_fraction"]
        checks[f"d{d}_kernel_loss_equals_numpy"] = loss_gap < 1e-12
    slope = float(np.polyfit(p["dims"], np.log([r["clusters"] for r in rows]), 1)[0])
    numbers = {"runs": p["runs"], "axis_minima_log10": wells.tolist(), "rows": rows,
               "log_count_slope_per_dimension": slope, "log_per_axis": float(np.log(m))}
    claim = Claim("supported", (
        f"one sigmoid neuron, squared loss, {m} examples per axis at input scales 1, 1/{p['ratio']:g} (targets "
        f"{p['y']}): each axis has {len(wells)} minima (NumPy, at w = " + ", ".join(f"{10 ** v:.4g}" for v in wells)
        + f"), and {p['runs']} Adam runs from random starts end in exactly "
        + ", ".join(f"{r['clusters']}" for r in rows) + " clusters for d = " + ", ".join(str(d) for d in p["dims"])
        + f" (= {m}^d = floor(n/d)^d; every cluster within {max(r['largest_centre_distance_decades'] for r in rows):.1e} "
        f"decades of a NumPy minimum; {min(r['converged_fraction'] for r in rows):.2%} of the runs or more within "
        f"{p['run_within_decades']} decades of one): "
        f"the count grows as e^({slope:.3f} d), ln {m} = {np.log(m):.3f}"), checks)
    return {"C10": claim}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    wells, lw, f = axis_minima(p)
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
        keep = (lw > p["log10_range"][0] - 0.5) & (lw < p["log10_range"][1] + 0.5)
        ax[0].plot(lw[keep], f[keep], "k", label="one axis's loss (NumPy)")
        for v in wells:
            ax[0].axvline(v, color="C1", ls=":", lw=1)
        h = ax[0].twinx()
        h.hist(np.log10(data[f"d{p['dims'][0]}_theta"][:, 0]), bins=120, color="C0", alpha=0.6)
        h.set_ylabel("runs (d = 1), final log10 w")
        ax[0].set(xlabel="log10 w", ylabel="loss", title="wells at the scales' logit(y)/s")
        ax[0].legend(fontsize=8)
        if 2 in p["dims"]:
            W = np.meshgrid(lw[keep][::200], lw[keep][::200])
            prob = _problem(p, 2)
            Z = prob.loss_at(np.stack([10.0 ** W[0], 10.0 ** W[1]], axis=-1))
            ax[1].contourf(W[0], W[1], Z, levels=30, cmap="Greys")
            t = np.log10(data["d2_theta"])
            ax[1].plot(t[:, 0], t[:, 1], "C0.", ms=3, label="final weights")
            ax[1].set(xlabel="log10 w1", ylabel="log10 w2", title="d = 2: the loss and where the runs end")
            ax[1].legend(fontsize=8)
        dims = [r["d"] for r in numbers["rows"]]
        ax[2].semilogy(dims, [r["clusters"] for r in numbers["rows"]], "C0o-", label="clusters of final weights")
        ax[2].semilogy(dims, [r["construction_minima"] for r in numbers["rows"]], "k--", label="floor(n/d)^d")
        ax[2].set(xlabel="dimension d", ylabel="distinct minima reached")
        verdict_title(ax[2], passed, f"{p['runs']} random starts per d")
        ax[2].legend(fontsize=8)
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
