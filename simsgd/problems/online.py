"""Online linear losses on a box: Reddi, Kale & Kumar's (2018) counterexamples to Adam.

f_t(x) = c_t x on [-box, box], d = 1, after each step the parameter is projected back onto the box.
Deterministic: c_t = C if t mod 3 == 1 else -1 (C > 2), so the average loss (C - 2)/3 x is
minimised at x = -box. Stochastic: c_t = big with probability p, else small, minimised at -box when
p big + (1 - p) small > 0 (the paper's 1010 / -10 with p = 0.01 has mean slope 0.2).
Metrics: ``error_sq`` = (x + box)^2 and ``loss`` = mean slope * (x + box) (average regret per step).
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.layout import Layout, value
from ..device.rng import next_double
from .base import Problem, ProblemKernels

LAYOUT = Layout(floats=("x0", "C", "p", "big", "small", "box", "mean_slope"), ints=("stochastic",))
F, I = LAYOUT.F, LAYOUT.I


@kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    x[0] = value(fd, idata, F.x0)


@kernel(inline=True)
def grad(x, g, t, rs, rng, zig, fd, idata, work):
    if idata[I.stochastic] != 0:
        g[0] = value(fd, idata, F.big) if next_double(rng, 0) < value(fd, idata, F.p) else value(fd, idata, F.small)
    else:
        g[0] = value(fd, idata, F.C) if t % 3 == 1 else -1.0


@kernel(inline=True)
def project(x, fd, idata):
    box = value(fd, idata, F.box)
    x[0] = min(max(x[0], -box), box)


@kernel(inline=True)
def metric_values(x, out, fd, idata, work):
    e = x[0] + value(fd, idata, F.box)
    out[0] = e * e
    out[1] = value(fd, idata, F.mean_slope) * e


class OnlineLinear(Problem):
    """Reddi et al.'s online linear problem (``stochastic`` False: the cyclic sequence; True: the random one)."""

    layout = LAYOUT
    metrics = ("error_sq", "loss")
    kernels = ProblemKernels(init=init, grad=grad, metrics=metric_values, project=project)
    dim = 1

    def __init__(self, stochastic=False, C=3.0, p=0.01, big=1010.0, small=-10.0, box=1.0, x0=0.0):
        self.stochastic = bool(stochastic)
        self.C = V.in_interval("C", C, 2.0, math.inf, lo_open=True, hi_open=True)
        self.p = V.in_interval("p", p, 0.0, 1.0, lo_open=True, hi_open=True)
        self.big = V.in_interval("big", big, -math.inf, math.inf, lo_open=True, hi_open=True)
        self.small = V.in_interval("small", small, -math.inf, math.inf, lo_open=True, hi_open=True)
        self.box = V.positive_finite("box", box)
        self.x0 = np.array([V.in_interval("x0", x0, -self.box, self.box)])
        if self.stochastic and self.mean_slope <= 0:
            raise ValueError("p * big + (1 - p) * small must be > 0 (the minimiser is then -box)")

    @classmethod
    def example(cls):
        return cls(stochastic=True)

    @property
    def mean_slope(self):
        return self.p * self.big + (1 - self.p) * self.small if self.stochastic else (self.C - 2.0) / 3.0

    def params(self):
        return {"problem": "OnlineLinear", "stochastic": self.stochastic, "C": self.C, "p": self.p,
                "big": self.big, "small": self.small, "box": self.box}

    def check_batch_size(self, batch_size):
        if batch_size != 1:
            raise ValueError(f"batch_size must be 1 for OnlineLinear; got {batch_size!r}")

    def pack(self, batch_size, dtype):
        return LAYOUT.pack(dtype, x0=self.x0, C=self.C, p=self.p, big=self.big, small=self.small, box=self.box,
                           mean_slope=self.mean_slope, stochastic=self.stochastic)

    def __repr__(self):
        return f"OnlineLinear(stochastic={self.stochastic}, box={self.box:g})"
