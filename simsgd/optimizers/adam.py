"""Adam, with AMSGrad as an option: momentum and RMSProp, both bias-corrected.

m_t = b1 m_{t-1} + (1 - b1) g_t and v_t = b2 v_{t-1} + (1 - b2) g_t^2.
"""
import math

from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, flag, names

H = names("lr", "b1", "b2", "eps")
O = names("bias_correction", "eps_mode", "amsgrad", "amsgrad_corrected", "lr_sqrt_decay")
EPS_PLACEMENTS = ("inside", "outside", "scaled")  # eps_placement; the kernel reads its index, eps_mode


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, b1, b2, eps = h[H.lr], h[H.b1], h[H.b2], h[H.eps]
    if o[O.lr_sqrt_decay] != 0:
        lr = lr / math.sqrt(t)
    bc1 = 1.0 - b1**t if o[O.bias_correction] != 0 else 1.0
    bc2 = 1.0 - b2**t if o[O.bias_correction] != 0 else 1.0
    mode = o[O.eps_mode]
    ams = o[O.amsgrad] != 0
    corrected = o[O.amsgrad_corrected] != 0
    m = state[0]
    v = state[1]
    for i in range(theta.shape[0]):
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i]
        raw = v[i]
        if ams:
            vmax = state[2]
            if corrected:
                vmax[i] = max(vmax[i], v[i] / bc2)
                raw = vmax[i] * bc2
            else:
                vmax[i] = max(vmax[i], v[i])
                raw = vmax[i]
        if mode == 0:
            theta[i] -= lr * (m[i] / bc1) / math.sqrt(raw / bc2 + eps)
        elif mode == 1:
            theta[i] -= lr * (m[i] / bc1) / (math.sqrt(raw / bc2) + eps)
        else:
            theta[i] -= lr * math.sqrt(bc2) / bc1 * m[i] / (math.sqrt(raw) + eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), the lecture's form by default:

        m_hat = m_t / (1 - b1^t),  v_hat = v_t / (1 - b2^t)   (both 1 without ``bias_correction``),
        theta_t = theta_{t-1} - lr m_hat / sqrt(v_hat + eps)             eps_placement="inside" (lecture)
                                        / (sqrt(v_hat) + eps)           "outside" (paper, PyTorch, optax)
                  theta_{t-1} - lr sqrt(1 - b2^t) / (1 - b1^t) m_t / (sqrt(v_t) + eps)   "scaled" (Keras;
                  the paper's "eps-hat" form).

    ``amsgrad`` (Reddi, Kale & Kumar 2018) replaces v by its running maximum: of the raw v_t
    (PyTorch, Keras; ``amsgrad_max="raw"``) or of v_hat (optax; ``"corrected"``). The paper's
    AMSGrad has no bias correction: ``bias_correction=False``. ``lr_sqrt_decay`` uses lr / sqrt(t)
    at step t, the schedule of Reddi et al.'s analysis.
    """

    hyper, options = H, O
    kernels = OptimizerKernels(step=step)
    hints = {"amsgrad_corrected": ("amsgrad_max", "amsgrad_corrected=True is amsgrad_max='corrected'")}

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, bias_correction=True, eps_placement="inside",
                 amsgrad=False, amsgrad_max="raw", lr_sqrt_decay=False):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.in_interval("eps", eps, 0.0, math.inf, hi_open=True)
        self.bias_correction = flag("bias_correction", bias_correction)
        self.eps_placement = V.choice("eps_placement", eps_placement, EPS_PLACEMENTS)
        self.eps_mode = EPS_PLACEMENTS.index(self.eps_placement)
        self.amsgrad = flag("amsgrad", amsgrad)
        self.amsgrad_max = V.choice("amsgrad_max", amsgrad_max, ("raw", "corrected"))
        self.amsgrad_corrected = self.amsgrad_max == "corrected"
        self.lr_sqrt_decay = flag("lr_sqrt_decay", lr_sqrt_decay)
        self.n_state = 3 if self.amsgrad else 2


class AMSGrad(Adam):
    """Adam with ``amsgrad=True`` (see ``Adam``)."""

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, bias_correction=True, eps_placement="inside",
                 amsgrad_max="raw", lr_sqrt_decay=False):
        super().__init__(lr, b1, b2, eps, bias_correction, eps_placement, True, amsgrad_max, lr_sqrt_decay)
