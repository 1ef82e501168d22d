"""Online linear losses on a box: Reddi, Kale & Kumar's (2018) counterexamples to Adam.

f_t(x) = c_t x on [-box, box], d = 1, after each step the parameter is projected back onto the box.
Deterministic: c_t = C if t mod 3 == 1 else -1 (C > 2), so the average loss (C - 2)/3 x is
minimised at x = -box. Stochastic: c_t = big with probability p, else small, minimised at -box when
p big + (1 - p) small > 0 (the paper's 1010 / -10 with p = 0.01 has mean slope 0.2).
Metrics: ``error_sq`` = (x + box)^2 and ``loss`` = mean slope * (x + box) (average regret per step).
"""
import math

import numpy as np

from . import _validate as V
from ._jit import kernel
from ._rng import next_double
from .quadratic import ProblemData

KIND = 1
METRICS = ("error_sq", "loss")


class OnlineLinear:
    """Reddi et al.'s online linear problem (``stochastic`` False: the cyclic sequence; True: the random one)."""

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

    dim = 1

    @property
    def mean_slope(self):
        return self.p * self.big + (1 - self.p) * self.small if self.stochastic else (self.C - 2.0) / 3.0

    def params(self):
        return {"problem": "OnlineLinear", "stochastic": self.stochastic, "C": self.C, "p": self.p,
                "big": self.big, "small": self.small, "box": self.box}

    def _pack(self, batch_size):
        if batch_size != 1:
            raise ValueError(f"batch_size must be 1 for OnlineLinear; got {batch_size!r}")
        scal = np.array([1.0 if self.stochastic else 0.0, self.C, self.p, self.big, self.small, self.box,
                         self.mean_slope])
        return ProblemData(KIND, np.zeros((1, 1)), np.zeros((1, 1)), scal, 1, METRICS)


@kernel(inline=True)
def grad(x, rng, scal, g, t):
    if scal[0] != 0.0:
        g[0] = scal[3] if next_double(rng, 0) < scal[2] else scal[4]
    else:
        g[0] = scal[1] if t % 3 == 1 else -1.0


@kernel(inline=True)
def project(x, scal):
    x[0] = min(max(x[0], -scal[5]), scal[5])


@kernel(inline=True)
def metrics(x, scal, out):
    e = x[0] + scal[5]
    out[0] = e * e
    out[1] = scal[6] * e
