"""Small batches and generalisation: test error against B at matched epochs, with a tuned rate per B.

Claim C17, its last part ("small batches regularise and generalise better but need smaller learning
rates"; ``hardware_batch`` measures the hardware part). A 30-``width``-1 tanh network with the logistic
loss on the breast-cancer data (standardised), split once into training, validation and test rows.
For each batch size B, plain SGD runs ``epochs`` epochs (sampling without replacement, the short last
batch kept), so every B sees the same examples; the rate is the one of ``lrs`` with the lowest mean
validation loss (rates where any run diverged are excluded), then fresh runs at that rate are scored
on the test rows. There is no closed form to check against: the status is ``reported``, with the
measured best rate, test loss, test accuracy and generalisation gap per B and their standard errors;
the conditions only guard the measurement (the best rate inside the grid, no divergence at it).
"""
import numpy as np

import simsgd as ss
from simsgd.workflow.claims import Claim
from simsgd.workflow.studies import memo_by_params

CLAIMS = ("C17",)
_BASE = {"dataset": "breast_cancer", "split_seed": 0, "n_val": 142, "n_test": 142, "width": 64, "epochs": 30,
         "batch_sizes": [1, 4, 16, 64, 285]}
SCALES = {"quick": {**_BASE, "runs": 8, "lrs": np.geomspace(1e-3, 3.0, 8).round(6).tolist()},
          "full": {**_BASE, "runs": 100, "lrs": np.geomspace(1e-3, 3.0, 15).round(6).tolist()}}


@memo_by_params
def _split(p):
    d = ss.load_dataset(p["dataset"])
    idx = np.random.default_rng(p["split_seed"]).permutation(len(d.y))
    te, va, tr = np.split(idx, [p["n_test"], p["n_test"] + p["n_val"]])
    return (d.X[tr], d.y[tr]), (d.X[va], d.y[va]), (d.X[te], d.y[te])


def _problem(p, held_out):
    (X, y), val, test = _split(p)
    Xh, yh = val if held_out == "val" else test
    return ss.MLP((X.shape[1], p["width"], 1), "tanh", X, y, loss="cross_entropy", X_test=Xh, y_test=yh,
                  sampling="epochs", drop_last=False)


def _steps(p, B):
    n = _split(p)[0][1].size
    return -(-n // B) * p["epochs"]


def simulate(p, ctx):
    out = {}
    for bi, B in enumerate(p["batch_sizes"]):
        for li, lr in enumerate(p["lrs"]):
            r = ctx.curve(f"tune_B{B}_lr{li}", _problem(p, "val"), ss.SGD(lr), p["runs"], _steps(p, B),
                          metric="test_loss", batch_size=B, first_run=(bi * 100 + li) * p["runs"],
                          record_every=_steps(p, B))
            out[f"tune_B{B}_val_loss"] = np.append(out.get(f"tune_B{B}_val_loss", []), r["mean"][-1])
            out[f"tune_B{B}_diverged"] = np.append(out.get(f"tune_B{B}_diverged", []), r["diverged"][-1])
        ok = out[f"tune_B{B}_diverged"] == 0
        best = int(np.argmin(np.where(ok, out[f"tune_B{B}_val_loss"], np.inf)))
        lr = p["lrs"][best]
        prob = _problem(p, "test")

        def final():
            res = ss.simulate(prob, ss.SGD(lr), runs=p["runs"], steps=_steps(p, B), batch_size=B, seed=ctx.seed,
                              first_run=(bi * 100 + 99) * p["runs"], record_every=_steps(p, B), target=ctx.target,
                              progress=False)
            return {m: res.final(m) for m in prob.metrics} | {"diverged": res.diverged}
        for k, v in ctx.point(f"test_B{B}", final).items():
            out[f"test_B{B}_{k}"] = v
        out[f"best_lr_index_B{B}"] = np.array(best)
    return out


def _mean_sem(v):
    v = np.asarray(v, float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


def verdict(data, p):
    rows = []
    for B in p["batch_sizes"]:
        i = int(data[f"best_lr_index_B{B}"])
        row = {"B": B, "best_lr": p["lrs"][i], "best_lr_index": i, "steps": _steps(p, B),
               "test_diverged": int(data[f"test_B{B}_diverged"][-1])}
        for m in ("test_loss", "test_accuracy", "train_loss", "train_accuracy"):
            row[m], row[f"{m}_sem"] = _mean_sem(data[f"test_B{B}_{m}"])
        gap = data[f"test_B{B}_test_loss"] - data[f"test_B{B}_train_loss"]
        row["gap"], row["gap_sem"] = _mean_sem(gap)
        rows.append(row)
    small, large = rows[0], rows[-1]
    z_loss = (large["test_loss"] - small["test_loss"]) / np.hypot(large["test_loss_sem"], small["test_loss_sem"])
    z_acc = (small["test_accuracy"] - large["test_accuracy"]) / max(np.hypot(large["test_accuracy_sem"],
                                                                              small["test_accuracy_sem"]), 1e-300)
    lrs = [r["best_lr"] for r in rows]
    numbers = {"runs": p["runs"], "epochs": p["epochs"], "rows": rows, "z_test_loss_largest_minus_smallest_B": z_loss,
               "z_test_accuracy_smallest_minus_largest_B": z_acc,
               "best_lr_grows_with_B": bool(all(b >= a for a, b in zip(lrs, lrs[1:])))}
    claim = Claim("reported", (
        f"{p['width']}-unit tanh network on {p['dataset']}, {p['epochs']} epochs at every B, SGD at the rate with the best "
        f"validation loss: best rate " + ", ".join(f"{r['best_lr']:.3g} (B = {r['B']})" for r in rows)
        + "; test loss " + ", ".join(f"{r['test_loss']:.4f} ± {r['test_loss_sem']:.4f}" for r in rows)
        + "; test accuracy " + ", ".join(f"{r['test_accuracy']:.1%}" for r in rows)
        + f" ({p['runs']} runs each; B = {small['B']} against {large['B']}: test loss z = {z_loss:+.1f}, accuracy "
        f"z = {z_acc:+.1f}). Small batches need smaller rates here: "
        f"{'yes' if numbers['best_lr_grows_with_B'] else 'not monotonically'}"), {
        "best_rates_inside_the_grid": all(0 < r["best_lr_index"] < len(p["lrs"]) - 1 for r in rows),
        "no_divergence_at_the_chosen_rates": all(r["test_diverged"] == 0 for r in rows)})
    return {"C17": claim}, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    rows = numbers["rows"]
    Bs = np.array([r["B"] for r in rows])
    with style() as plt:
        fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
        for i, B in enumerate(p["batch_sizes"]):
            v = np.where(data[f"tune_B{B}_diverged"] == 0, data[f"tune_B{B}_val_loss"], np.nan)
            ax[0].plot(p["lrs"], v, "o-", ms=3, color=f"C{i}", label=f"B = {B}")
        ax[0].set(xscale="log", yscale="log", xlabel="SGD rate α", ylabel="mean validation loss",
                  title=f"tuning the rate per B ({p['epochs']} epochs each)")
        ax[0].legend(fontsize=8)
        for m, color, label in (("test_loss", "C0", "test"), ("train_loss", "C1", "train")):
            ax[1].errorbar(Bs, [r[m] for r in rows], yerr=[1.96 * r[f"{m}_sem"] for r in rows], fmt="o-", color=color,
                           capsize=3, label=label)
        ax[1].set(xscale="log", xlabel="batch size B", ylabel="loss at the tuned rate", title="loss (95% intervals)")
        ax[1].legend()
        ax[2].errorbar(Bs, [r["test_accuracy"] for r in rows], yerr=[1.96 * r["test_accuracy_sem"] for r in rows],
                       fmt="o-", color="C0", capsize=3)
        ax[2].set(xscale="log", xlabel="batch size B", ylabel="test accuracy at the tuned rate")
        verdict_title(ax[2], passed, "test accuracy against B (reported)")
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
