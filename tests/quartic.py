"""A problem defined outside the package, as a user would: its own module plus one registry line.

f(theta) = sum_i c_i theta_i^4 / 4, minimised at 0, with additive Gaussian gradient noise of std sigma_i:
g_i = c_i theta_i^3 + sigma_i z_i. Metrics: ``error_sq`` = ||theta||^2 and ``loss`` = f(theta).
"""
import numpy as np

import simsgd as ss

LAYOUT = ss.Layout(floats=("x0", "curvature", "noise_std"), ints=("dim",))
F, I = LAYOUT.F, LAYOUT.I


@ss.kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    x0 = ss.field(fd, idata, F.x0)
    for i in range(idata[I.dim]):
        x[i] = x0[i]


@ss.kernel(inline=True)
def grad(x, g, t, rs, rng, zig, fd, idata, work):
    d = idata[I.dim]
    z = work[0:d]
    ss.fill_normals(rng, z, d, zig)
    c = ss.field(fd, idata, F.curvature)
    s = ss.field(fd, idata, F.noise_std)
    for i in range(d):
        g[i] = c[i] * x[i] * x[i] * x[i] + s[i] * z[i]


@ss.kernel(inline=True)
def metric_values(x, out, fd, idata, work):
    c = ss.field(fd, idata, F.curvature)
    err = 0.0
    loss = 0.0
    for i in range(idata[I.dim]):
        err += x[i] * x[i]
        loss += 0.25 * c[i] * x[i] ** 4
    out[0] = err
    out[1] = loss


class Quartic(ss.Problem):
    """Separable quartic with additive noise (see the module docstring)."""

    layout = LAYOUT
    metrics = ("error_sq", "loss")
    kernels = ss.ProblemKernels(init=init, grad=grad, metrics=metric_values)

    def __init__(self, curvature, noise_std=0.0, x0=1.0):
        self.curvature = np.asarray(curvature, dtype=np.float64)
        self.noise_std = np.broadcast_to(np.asarray(noise_std, dtype=np.float64), self.curvature.shape).copy()
        self.x0 = np.broadcast_to(np.asarray(x0, dtype=np.float64), self.curvature.shape).copy()

    @classmethod
    def example(cls):
        return cls([0.5, 1.0, 2.0], noise_std=[0.1, 0.2, 0.3], x0=[1.0, -0.5, 0.8])

    @property
    def dim(self):
        return self.curvature.size

    def work_size(self, batch_size):
        return self.dim

    def pack(self, batch_size, dtype):
        return LAYOUT.pack(dtype, x0=self.x0, curvature=self.curvature,
                           noise_std=self.noise_std / np.sqrt(batch_size), dim=self.dim)

    def params(self):
        return {"problem": "Quartic", "dim": self.dim}


ss.register_problem(Quartic)
