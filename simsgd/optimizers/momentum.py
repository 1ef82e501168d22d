"""Momentum as the lecture writes it: an exponentially weighted average of the gradients."""
from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, flag, names

H = names("lr", "b1")
O = names("bias_correction")


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, b1 = h[H.lr], h[H.b1]
    scale = lr / (1.0 - b1**t) if o[O.bias_correction] != 0 else lr
    m = state[0]
    for i in range(theta.shape[0]):
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        theta[i] -= scale * m[i]


class Momentum(Optimizer):
    """The lecture's momentum, an exponentially weighted average of gradients:

        m_t = b1 m_{t-1} + (1 - b1) g_t,   theta_t = theta_{t-1} - lr * m_t / c_t,

    with c_t = 1 - b1^t when ``bias_correction`` (the average's weights then sum to 1) and
    c_t = 1 otherwise. Effective rate lr (1 - b1), or lr (1 - b1) / (1 - b1^t) with correction.
    """

    hyper, options = H, O
    n_state = 1
    in_frameworks = False  # the lecture's form, which no framework has: checked against exact theory instead
    kernels = OptimizerKernels(step=step)
    aliases = {"momentum": "b1"}  # the frameworks' name for the same coefficient

    def __init__(self, lr, b1=0.9, bias_correction=False):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.bias_correction = flag("bias_correction", bias_correction)
