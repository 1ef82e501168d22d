"""A linear classifier against a small network on data no line separates: concentric circles and XOR.

Claim C03. Two 2-D datasets with labels 0/1: circles (radius 0.5 against 1, radial noise) and XOR
(four Gaussian blobs at (+-1, +-1), the label the sign of x1 x2), ``n`` training and ``n_test`` test
points. The linear classifier is the network without a hidden layer (2-1, the logistic loss on the
logit f = w^T x + b) trained by full-batch gradient descent; its optimum is the logistic regression
found apart by Newton's method (``LogisticRegression``), which every trained run must reach. The network
2-``width``-1 (tanh) is trained by full-batch Adam from many initialisations. The claim holds if the
network's mean test accuracy exceeds the linear optimum's by many standard errors on both datasets.
"""
import numpy as np

import simsgd as ss
from simsgd.engine.statistics import z_threshold
from simsgd.workflow.claims import Claim

CLAIMS = ("C03",)
_BASE = {"n": 200, "n_test": 2000, "data_seed": 0, "radial_noise": 0.1, "blob_std": 0.4, "width": 16, "lr": 0.02,
         "linear_lr": 1.0, "linear_within": 1e-6, "datasets": ["circles", "xor"], "min_gain": 0.2, "shown_run": 0}
SCALES = {"quick": {**_BASE, "runs": 32, "steps": 3000}, "full": {**_BASE, "runs": 100, "steps": 10000}}


def _make(name, n, rng, p):
    y = rng.integers(0, 2, n).astype(float)
    if name == "circles":
        a = rng.uniform(0, 2 * np.pi, n)
        r = np.where(y == 1, 0.5, 1.0) + p["radial_noise"] * rng.normal(size=n)
        return np.column_stack([r * np.cos(a), r * np.sin(a)]), y
    s = rng.choice([-1.0, 1.0], size=(n, 2))
    X = s + p["blob_std"] * rng.normal(size=(n, 2))
    return X, (s[:, 0] * s[:, 1] > 0).astype(float)


def _data(p, name):
    rng = np.random.default_rng([p["data_seed"], p["datasets"].index(name)])
    X, y = _make(name, p["n"], rng, p)
    Xt, yt = _make(name, p["n_test"], rng, p)
    return X, y, Xt, yt


def _problems(p, name):
    X, y, Xt, yt = _data(p, name)
    kw = {"X": X, "y": y, "X_test": Xt, "y_test": yt, "loss": "cross_entropy", "sampling": "epochs"}
    return ss.MLP((2, 1), "identity", **kw), ss.MLP((2, p["width"], 1), "tanh", **kw)


def _logistic_optimum(p, name):
    """Train loss, train and test accuracy of the best linear classifier (Newton's method, a negligible ridge)."""
    X, y, Xt, yt = _data(p, name)
    ones = lambda A: np.column_stack([A, np.ones(len(A))])  # noqa: E731
    lr = ss.LogisticRegression(ones(X), y, ridge=1e-12)
    th = lr.theta_hat
    acc = lambda A, b: float(np.mean((ones(A) @ th > 0) == (b > 0.5)))  # noqa: E731
    return float(lr.loss_at(th)), acc(X, y), acc(Xt, yt)


def simulate(p, ctx):
    out = {}
    g = np.linspace(-2.2, 2.2, 121)
    grid = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    out["grid"] = g
    for d, name in enumerate(p["datasets"]):
        rules = (ss.SGD(p["linear_lr"]), ss.Adam(p["lr"]))
        for i, (tag, prob, rule) in enumerate(zip(("linear", "net"), _problems(p, name), rules)):
            def train():
                res = ss.simulate(prob, rule, runs=p["runs"], steps=p["steps"], batch_size=p["n"], seed=ctx.seed,
                                  first_run=(2 * d + i) * p["runs"], record_every=p["steps"], keep_theta=True,
                                  target=ctx.target, progress=False)
                f = prob.predict(res.theta[p["shown_run"]], grid)[0, :, 0]
                return {**{f"{m}_final": res.final(m) for m in prob.metrics}, "diverged": res.diverged,
                        "logit_on_grid": f.reshape(g.size, g.size)}
            for k, v in ctx.point(f"{name}_{tag}", train).items():
                out[f"{name}_{tag}_{k}"] = v
    return out


def verdict(data, p):
    zc = z_threshold(len(p["datasets"]))
    nums, checks = {"runs": p["runs"], "z_critical": zc}, {}
    for name in p["datasets"]:
        loss_opt, acc_opt, test_opt = _logistic_optimum(p, name)
        lin = data[f"{name}_linear_train_loss_final"]
        gap = float(np.max(np.abs(lin - loss_opt)) / loss_opt)
        lin_test = float(np.mean(data[f"{name}_linear_test_accuracy_final"]))
        net = data[f"{name}_net_test_accuracy_final"]
        net_mean, net_sem = float(net.mean()), float(net.std(ddof=1) / np.sqrt(net.size))
        z = (net_mean - test_opt) / max(net_sem, 1e-300)
        diverged = int(data[f"{name}_linear_diverged"][-1] + data[f"{name}_net_diverged"][-1])
        nums[name] = {"logistic_optimum_train_loss": loss_opt, "logistic_optimum_train_accuracy": acc_opt,
                      "logistic_optimum_test_accuracy": test_opt, "linear_max_rel_loss_gap": gap,
                      "linear_mean_test_accuracy": lin_test, "net_test_accuracy": net_mean, "net_test_accuracy_sem": net_sem,
                      "net_train_accuracy": float(np.mean(data[f"{name}_net_train_accuracy_final"])),
                      "z_net_minus_linear": z, "diverged": diverged}
        checks[f"{name}_linear_model_reaches_the_logistic_optimum"] = gap < p["linear_within"]
        checks[f"{name}_network_beats_the_best_linear_classifier"] = z > zc and net_mean - test_opt > p["min_gain"]
        checks[f"{name}_no_divergence"] = diverged == 0
    claim = Claim("supported", "; ".join(
        f"{name}: the best linear classifier (every trained run reaches the logistic optimum within "
        f"{nums[name]['linear_max_rel_loss_gap']:.0e}) scores {nums[name]['logistic_optimum_test_accuracy']:.1%} on test, "
        f"the 2-{p['width']}-1 tanh network {nums[name]['net_test_accuracy']:.1%} ± {nums[name]['net_test_accuracy_sem']:.1%}"
        for name in p["datasets"]) + f" ({p['runs']} networks each)", checks)
    return {"C03": claim}, nums


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import style, verdict_title

    g = data["grid"]
    with style() as plt:
        fig, ax = plt.subplots(1, 2 * len(p["datasets"]), figsize=(18, 4.4))
        k = 0
        for name in p["datasets"]:
            X, y, _, _ = _data(p, name)
            for tag, label in (("linear", "linear"), ("net", f"2-{p['width']}-1 tanh")):
                a = ax[k]
                a.contourf(g, g, data[f"{name}_{tag}_logit_on_grid"] > 0, levels=[-0.5, 0.5, 1.5],
                           colors=["#f4c7c3", "#c6dbef"], alpha=0.8)
                a.scatter(X[:, 0], X[:, 1], c=np.where(y > 0.5, "C0", "C1"), s=6)
                acc = numbers[name]["logistic_optimum_test_accuracy"] if tag == "linear" else numbers[name]["net_test_accuracy"]
                title = f"{name}, {label}: test accuracy {acc:.1%}"
                if k == 2 * len(p["datasets"]) - 1:
                    verdict_title(a, passed, title)
                else:
                    a.set_title(title)
                a.set(xlabel="x1", ylabel="x2", aspect="equal")
                k += 1
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
