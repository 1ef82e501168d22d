"""Your own update rule, from your own module: Polyak's heavy ball written out, registered, and run.

A rule is its hyperparameters by name, its per-run state and one compiled step function
(``ss.kernel``); registering it makes ``simulate`` compile it with every problem, on the CPU and the
GPU, like the built-in rules. Here the user's rule is checked against the built-in ``HeavyBall``:
same seed, same streams, so the same runs to rounding.
"""
import numpy as np

import simsgd as ss

H = ss.names("lr", "b1")                      # h[H.lr], h[H.b1] inside the kernel


@ss.kernel(inline=True)
def step(theta, g, t, state, sc, h, o):       # t: 1-based step; state: (n_state, d)
    v = state[0]
    for i in range(theta.shape[0]):
        v[i] = h[H.b1] * v[i] + g[i]          # v_t = b1 v_(t-1) + g_t
        theta[i] -= h[H.lr] * v[i]            # theta_t = theta_(t-1) - lr v_t


class Polyak(ss.Optimizer):
    """theta_t = theta_(t-1) - lr v_t, v_t = b1 v_(t-1) + g_t (v_0 = 0)."""

    hyper, n_state = H, 1
    kernels = ss.OptimizerKernels(step=step)
    in_frameworks = False                     # no framework golden to compare with

    def __init__(self, lr, b1=0.9):
        self.lr, self.b1 = lr, b1


ss.register_optimizer(Polyak)                 # the one registry line

prob = ss.Quadratic(np.linspace(0.1, 1.0, 10), noise_std=0.5, x0=1.0)
mine = ss.simulate(prob, Polyak(0.05, b1=0.8), runs=2000, steps=300, seed=3, keep_theta=True)
builtin = ss.simulate(prob, ss.HeavyBall(0.05, b1=0.8), runs=2000, steps=300, seed=3, keep_theta=True)
gap = np.abs(mine.theta - builtin.theta).max()
print(f"Polyak (user code) vs HeavyBall (built in): largest difference of the final parameters {gap:.1e}")
# heavy ball (lr, b1) is EWMA momentum with rate lr / (1 - b1): the exact curve of the lecture's recursion
exact = ss.theory.momentum_error_sq(300, 0.05 / (1 - 0.8), 0.8, prob.eigenvalues, prob.e0, prob.noise_var)
z = ss.stats.zscores(mine.mean("error_sq")[1:], mine.sem("error_sq")[1:], exact[1:])
print(f"against the exact curve: max |z| {np.abs(z).max():.2f} (threshold {ss.stats.z_threshold(z.size):.2f})")
assert gap < 1e-12 and np.abs(z).max() < ss.stats.z_threshold(z.size)
