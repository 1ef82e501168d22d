"""Nesterov momentum in Sutskever et al.'s (2013) form: the lecture's momentum, the gradient at the look-ahead point."""
from .. import validate as V
from ..device.jit import kernel
from . import momentum
from .base import Optimizer, OptimizerKernels

H, O = momentum.H, momentum.O  # the same update as Momentum, on the same hyperparameters


@kernel(inline=True)
def lookahead(theta, p, state, sc, h, o):
    """p = theta - lr b1 m: where the next gradient is taken."""
    c = h[H.lr] * h[H.b1]
    m = state[0]
    for i in range(theta.shape[0]):
        p[i] = theta[i] - c * m[i]
    return True


class Nesterov(Optimizer):
    """Sutskever et al.'s (2013) Nesterov momentum in the lecture's notation: the gradient at the look-ahead point

        g_t = grad f(theta_{t-1} - lr b1 m_{t-1}),   m_t = b1 m_{t-1} + (1 - b1) g_t,   theta_t = theta_{t-1} - lr m_t.

    The simulator evaluates the gradient at the look-ahead point itself; ``HeavyBall(nesterov=True)``
    is the frameworks' reparametrised form, which tracks the look-ahead variable instead.
    """

    hyper, options = H, O
    n_state = 1
    in_frameworks = False  # the lecture's form, which no framework has: checked against exact theory instead
    kernels = OptimizerKernels(step=momentum.step, lookahead=lookahead)
    aliases = {"momentum": "b1"}

    def __init__(self, lr, b1=0.9):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.bias_correction = False  # the kernel's option, not a keyword: Sutskever et al. have none
