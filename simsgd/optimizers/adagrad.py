"""Adagrad: per-coordinate rates from the sum of squared gradients."""
import math

from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, names
from .epsilon import PLACEMENTS, scaled

H = names("lr", "eps", "initial_accumulator", "lr_decay")
O = names("eps_inside")


@kernel(inline=True)
def init(theta, state, sc, h, o):
    for i in range(state.shape[1]):
        state[0, i] = h[H.initial_accumulator]


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr = h[H.lr] / (1.0 + (t - 1) * h[H.lr_decay])
    eps, inside = h[H.eps], o[O.eps_inside] != 0
    s = state[0]
    for i in range(theta.shape[0]):
        s[i] += g[i] * g[i]
        theta[i] -= lr * scaled(g[i], s[i], eps, inside)


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011):

        s_t = s_{t-1} + g_t^2  (s_0 = initial_accumulator),
        theta_t = theta_{t-1} - lr_t g_t / sqrt(s_t + eps),   lr_t = lr / (1 + (t - 1) lr_decay).

    ``eps_placement="outside"`` puts eps outside the root, g / (sqrt(s) + eps) (PyTorch).
    ``lr_decay`` is PyTorch's; the paper has none.
    """

    hyper, options = H, O
    n_state = 1
    kernels = OptimizerKernels(step=step, init=init)

    def __init__(self, lr, eps=1e-8, initial_accumulator=0.0, eps_placement="inside", lr_decay=0.0):
        self.lr = V.positive_finite("lr", lr)
        self.eps = V.in_interval("eps", eps, 0.0, math.inf, hi_open=True)
        self.initial_accumulator = V.in_interval("initial_accumulator", initial_accumulator, 0.0, math.inf,
                                                 hi_open=True)
        self.eps_placement = V.choice("eps_placement", eps_placement, PLACEMENTS)
        self.eps_inside = self.eps_placement == "inside"
        self.lr_decay = V.in_interval("lr_decay", lr_decay, 0.0, math.inf, hi_open=True)
        if self.eps == 0.0 and self.initial_accumulator == 0.0:
            raise ValueError("eps must be > 0 when initial_accumulator is 0 (the first step divides by it)")
