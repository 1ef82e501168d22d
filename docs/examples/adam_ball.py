"""Research question: how does Adam's noise ball scale with the step size and the batch size?

SGD's ball is alpha M / (B mu (2 - alpha mu)): linear in alpha, inverse in B. Adam divides each
coordinate's step by a running RMS of its gradients, which the noise dominates near the optimum,
so its ball need not follow. Simulate a grid of (lr, B), read the ball as the mean error over the
last quarter of the steps (with its standard error), and fit log ball against log lr and log B.
"""
import os

import numpy as np

import simsgd as ss

RUNS = int(os.environ.get("SIMSGD_EXAMPLE_RUNS", 4000))
prob = ss.Quadratic(np.linspace(0.1, 1.0, 10), noise_std=1.0, x0=1.0)
lrs, batches, steps = np.array([0.01, 0.03, 0.1]), np.array([1, 4, 16]), 3000

ball = np.empty((lrs.size, batches.size))
se = np.empty_like(ball)
settled = np.ones_like(ball, dtype=bool)
for i, lr in enumerate(lrs):
    for j, B in enumerate(batches):
        r = ss.simulate(prob, ss.Adam(lr), runs=RUNS, steps=steps,
                        batch_size=int(B), record_every=steps // 40, seed=1)
        tail, before = r.steps >= 0.75 * steps, (r.steps >= 0.5 * steps) & (r.steps < 0.75 * steps)
        ball[i, j] = r.mean("error_sq")[tail].mean()
        se[i, j] = r.sem("error_sq")[tail].mean()  # records are correlated: a conservative error
        settled[i, j] = abs(r.mean("error_sq")[before].mean() - ball[i, j]) <= 3 * se[i, j]

# least squares: log ball = c + a log lr + b log B
X = np.column_stack([np.ones(ball.size), np.log(np.repeat(lrs, batches.size)), np.log(np.tile(batches, lrs.size))])
ok = settled.ravel()  # a ball still shrinking at the end is not read: left out of the fit
coef, *_ = np.linalg.lstsq(X[ok], np.log(ball.ravel()[ok]), rcond=None)
for i, lr in enumerate(lrs):
    print(f"lr {lr:<6g}", "  ".join(f"B={B}: {b:.4f} ± {s:.4f}{'' if k else ' (not settled)'}"
                                    for B, b, s, k in zip(batches, ball[i], se[i], settled[i])))
print(f"ball ~ lr^{coef[1]:.2f} B^{coef[2]:.2f}   (SGD: lr^1 B^-1)")

with ss.plotting.style() as plt:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for j, B in enumerate(batches):
        ax.errorbar(lrs, ball[:, j], 1.96 * se[:, j], marker="os^"[j], label=f"B = {B}")
    ax.set(xscale="log", yscale="log", xlabel="Adam lr", ylabel="ball E||θ - θ*||²")
    ax.legend()
    fig.savefig(os.environ.get("SIMSGD_EXAMPLE_OUT", ".") + "/adam_ball.png")
