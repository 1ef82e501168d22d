"""Adadelta: the step's units from a running average of squared updates."""
import math

from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, names

H = names("lr", "b2", "eps")


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, b2, eps = h[H.lr], h[H.b2], h[H.eps]
    s = state[0]
    acc = state[1]
    for i in range(theta.shape[0]):
        s[i] = b2 * s[i] + (1.0 - b2) * g[i] * g[i]
        dx = math.sqrt(acc[i] + eps) / math.sqrt(s[i] + eps) * g[i]
        acc[i] = b2 * acc[i] + (1.0 - b2) * dx * dx
        theta[i] -= lr * dx


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), with the lecture's alpha0 (``lr``, usually 1, "not the learning rate"):

        s_t = b2 s_{t-1} + (1 - b2) g_t^2,
        dx_t = sqrt(D_{t-1} + eps) / sqrt(s_t + eps) * g_t,   D_t = b2 D_{t-1} + (1 - b2) dx_t^2,
        theta_t = theta_{t-1} - lr dx_t.

    D accumulates the squared unscaled updates dx_t^2 (Zeiler's E[dx^2]; PyTorch, Keras and optax
    alike), and lr multiplies afterwards. Departure from the slide: it writes
    Delta_t = b2 Delta_{t-1} + (1 - b2) theta_t^2, the squared parameters, which would make the rate
    depend on where the minimiser lies; read here as a typo for the squared update. ``b2`` is the
    frameworks' ``rho`` (accepted as ``rho=``).
    """

    hyper = H
    n_state = 2
    kernels = OptimizerKernels(step=step)
    aliases = {"rho": "b2"}

    def __init__(self, lr=1.0, b2=0.9, eps=1e-6):
        self.lr = V.positive_finite("lr", lr)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)

    @classmethod
    def example(cls):
        return cls()
