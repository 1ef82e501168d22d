"""Adamax: Adam with the infinity norm in place of the root mean square."""
import math

from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, flag, names
from .epsilon import PLACEMENTS

H = names("lr", "b1", "b2", "eps")
O = names("eps_in_max")


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, b1, b2, eps = h[H.lr], h[H.b1], h[H.b2], h[H.eps]
    in_max = o[O.eps_in_max] != 0
    scale = lr / (1.0 - b1**t)
    m = state[0]
    u = state[1]
    for i in range(theta.shape[0]):
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        if in_max:
            u[i] = max(b2 * u[i], abs(g[i]) + eps)
            theta[i] -= scale * m[i] / u[i]
        else:
            u[i] = max(b2 * u[i], abs(g[i]))
            theta[i] -= scale * m[i] / (u[i] + eps)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba 2015, sec. 7): u_t = max(b2 u_{t-1}, |g_t|), theta -= lr m_hat / (u_t + eps).

    ``eps_placement="inside"`` (inside the max, which stands for Adam's root) is PyTorch's and optax's
    form, u_t = max(b2 u_{t-1}, |g_t| + eps), theta -= lr m_hat / u_t; "outside" (default) is Keras'.
    The lecture and the paper have eps = 0.
    """

    hyper, options = H, O
    n_state = 2
    kernels = OptimizerKernels(step=step)
    aliases = {"eps_in_max": ("eps_placement", lambda x: "inside" if flag("eps_in_max", x) else "outside")}

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, eps_placement="outside"):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.in_interval("eps", eps, 0.0, math.inf, hi_open=True)
        self.eps_placement = V.choice("eps_placement", eps_placement, PLACEMENTS)
        self.eps_in_max = self.eps_placement == "inside"
