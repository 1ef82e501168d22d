"""Adadelta: the step's units from a running average of squared updates."""
import math

from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, names

H = names("lr", "rho", "eps")


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, rho, eps = h[H.lr], h[H.rho], h[H.eps]
    s = state[0]
    acc = state[1]
    for i in range(theta.shape[0]):
        s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i]
        dx = math.sqrt(acc[i] + eps) / math.sqrt(s[i] + eps) * g[i]
        acc[i] = rho * acc[i] + (1.0 - rho) * dx * dx
        theta[i] -= lr * dx


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), with the lecture's alpha0 (``lr``, usually 1, "not the learning rate"):

        s_t = rho s_{t-1} + (1 - rho) g_t^2,
        dx_t = sqrt(D_{t-1} + eps) / sqrt(s_t + eps) * g_t,   D_t = rho D_{t-1} + (1 - rho) dx_t^2,
        theta_t = theta_{t-1} - lr dx_t.

    D accumulates the squared unscaled updates dx_t^2 (Zeiler's E[dx^2]; PyTorch, Keras and optax
    alike), and lr multiplies afterwards. Departure from the slide: it writes
    Delta_t = b2 Delta_{t-1} + (1 - b2) theta_t^2, the squared parameters, which would make the rate
    depend on where the minimiser lies; read here as a typo for the squared update. ``rho`` is the
    slide's b2.
    """

    hyper = H
    n_state = 2
    kernels = OptimizerKernels(step=step)

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6):
        self.lr = V.positive_finite("lr", lr)
        self.rho = V.in_interval("rho", rho, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)

    @classmethod
    def example(cls):
        return cls()
