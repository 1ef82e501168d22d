"""RMSProp: per-coordinate rates from an exponentially weighted average of squared gradients."""
from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, flag, names
from .epsilon import PLACEMENTS, scaled

H = names("lr", "b2", "eps")
O = names("bias_correction", "eps_inside")


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, rho, eps = h[H.lr], h[H.b2], h[H.eps]  # rho: the name scripts/mutation_test.py's snippet reads
    c = 1.0 / (1.0 - rho**t) if o[O.bias_correction] != 0 else 1.0
    inside = o[O.eps_inside] != 0
    v = state[0]
    for i in range(theta.shape[0]):
        v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i]
        theta[i] -= lr * scaled(g[i], v[i] * c, eps, inside)


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012), optionally bias-corrected as in the lecture:

        v_t = b2 v_{t-1} + (1 - b2) g_t^2,   v_hat = v_t / (1 - b2^t) if bias_correction else v_t,
        theta_t = theta_{t-1} - lr g_t / sqrt(v_hat + eps)   (eps_placement="outside": / (sqrt(v_hat) + eps)).

    ``b2`` is Adam's b2, Keras' ``rho`` (accepted as ``rho=``), PyTorch's ``alpha`` and optax's ``decay``.
    """

    hyper, options = H, O
    n_state = 1
    kernels = OptimizerKernels(step=step)
    aliases = {"rho": "b2",
               "eps_in_sqrt": ("eps_placement", lambda x: "inside" if flag("eps_in_sqrt", x) else "outside")}
    hints = {"alpha": ("b2", "alpha is PyTorch's name for RMSprop's b2; the lecture's alpha is the learning rate lr"),
             "decay": ("b2", "decay is optax's name for RMSProp's b2"),
             "momentum": (None, "the frameworks' RMSprop momentum is not modelled")}

    def __init__(self, lr, b2=0.9, eps=1e-8, bias_correction=False, eps_placement="inside"):
        self.lr = V.positive_finite("lr", lr)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)
        self.bias_correction = flag("bias_correction", bias_correction)
        self.eps_placement = V.choice("eps_placement", eps_placement, PLACEMENTS)
        self.eps_inside = self.eps_placement == "inside"
