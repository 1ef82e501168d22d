"""Research question: does the lecture's noise-ball bound alpha M / (B mu (2 - alpha mu)) hold when the Hessian
is not diagonal, and the gradient noise is not aligned with its eigenvectors?

The bound assumes E||noise||^2 <= M and strong convexity mu. Simulate SGD on a quadratic whose
Hessian has a random eigenbasis (``rotation``), once with noise aligned with that basis and once with
a general noise covariance (``noise_cov``), and compare the final error with the exact curve and the bound.
"""
import os

import numpy as np

import simsgd as ss

RUNS = int(os.environ.get("SIMSGD_EXAMPLE_RUNS", 20000))
d, lr, B, steps = 8, 0.2, 2, 400
eig = np.linspace(0.2, 2.0, d)
rng = np.random.default_rng(0)
A = rng.normal(size=(d, d))
cov = A @ A.T / d  # a noise covariance with no relation to the Hessian's eigenbasis
cases = {"aligned": ss.Quadratic(eig, noise_std=1.0, x0=1.0, rotation=3),
         "misaligned": ss.Quadratic(eig, x0=1.0, rotation=3, noise_cov=cov)}

for name, prob in cases.items():
    r = ss.simulate(prob, ss.SGD(lr), runs=RUNS, steps=steps, batch_size=B, seed=0, record_every=10)
    exact = ss.theory.sgd_error_sq(r.steps, lr, prob.eigenvalues, prob.e0, prob.noise_var, B)
    z = ss.stats.zscores(r.mean("error_sq")[1:], r.sem("error_sq")[1:], exact[1:])
    M = prob.noise_var.sum()  # E||noise||^2 of one sample
    bound = ss.theory.noise_ball_bound(lr, M, eig.min(), B)
    final, final_se = r.mean("error_sq")[-1], r.sem("error_sq")[-1]
    print(f"{name}: final {final:.4f} ± {final_se:.4f}, exact {exact[-1]:.4f} (max |z| {np.abs(z).max():.2f}, "
          f"threshold {ss.stats.z_threshold(z.size):.2f}), bound {bound:.4f}: "
          f"{'holds' if final + 3 * final_se <= bound else 'VIOLATED'}")
