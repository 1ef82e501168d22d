"""RMSProp: per-coordinate rates from an exponentially weighted average of squared gradients."""
from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, names
from .epsilon import scaled

H = names("lr", "rho", "eps")
O = names("bias_correction", "eps_inside")


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, rho, eps = h[H.lr], h[H.rho], h[H.eps]
    c = 1.0 / (1.0 - rho**t) if o[O.bias_correction] != 0 else 1.0
    inside = o[O.eps_inside] != 0
    v = state[0]
    for i in range(theta.shape[0]):
        v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i]
        theta[i] -= lr * scaled(g[i], v[i] * c, eps, inside)


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012), optionally bias-corrected as in the lecture:

        v_t = rho v_{t-1} + (1 - rho) g_t^2,   v_hat = v_t / (1 - rho^t) if bias_correction else v_t,
        theta_t = theta_{t-1} - lr g_t / sqrt(v_hat + eps)   (eps_inside=False: / (sqrt(v_hat) + eps)).
    """

    hyper, options = H, O
    n_state = 1
    kernels = OptimizerKernels(step=step)

    def __init__(self, lr, rho=0.9, eps=1e-8, bias_correction=False, eps_inside=True):
        self.lr = V.positive_finite("lr", lr)
        self.rho = V.in_interval("rho", rho, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)
        self.bias_correction = bool(bias_correction)
        self.eps_inside = bool(eps_inside)
