"""Research question: does Nesterov reach a target in fewer steps than classical momentum, each at its best rate?

On an ill-conditioned quadratic (kappa = 100) with mild noise, count for every run the first step at
which ||theta - theta*||^2 falls below 1% of its start (per-run hitting times, counted in the
kernels), tune each rule's step size on a grid (the best must lie inside it), and compare the
median steps with two independent seeds at the tuned rates.
"""
import os

import numpy as np

import simsgd as ss

RUNS = int(os.environ.get("SIMSGD_EXAMPLE_RUNS", 4000))
prob = ss.Quadratic(np.linspace(0.01, 1.0, 20), noise_std=0.01, x0=1.0)
target = 0.01 * prob.e0 @ prob.e0  # 1% of the initial squared distance
grid = np.geomspace(0.5, 40, 11)
rules = {"classical momentum": ss.Momentum, "Nesterov": ss.Nesterov}


def median_steps(rule, lr, seed):
    r = ss.simulate(prob, rule(lr, b1=0.9), runs=RUNS, steps=3000, seed=seed, hitting={"error_sq": [target]})
    h = r.hitting("error_sq", target)
    return h.quantile(0.5), h.never


for name, rule in rules.items():
    scores = np.array([median_steps(rule, lr, seed=0)[0] for lr in grid])
    best, i = ss.stats.best_on_grid(grid, scores, "lr")
    again = [median_steps(rule, best, seed=s) for s in (1, 2)]
    print(f"{name}: best lr {best:.3f} on the grid; median steps to 1%: {scores[i]:.0f} (tuning seed), "
          + ", ".join(f"{m:.0f} (seed {s}, {n} never)" for s, (m, n) in zip((1, 2), again)))
