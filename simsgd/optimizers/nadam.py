"""Nadam: Adam with Nesterov momentum and a momentum schedule."""
import math

from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, names

H = names("lr", "b1", "b2", "eps", "psi")  # psi: momentum_decay, 0 when it is None
O = names("constant_momentum")
S = names("mu_product")  # scalar state: prod_{i<=t} mu_i, the same in every coordinate


@kernel(inline=True)
def init(theta, state, sc, h, o):
    for s in range(state.shape[0]):
        for i in range(state.shape[1]):
            state[s, i] = 0.0
    sc[S.mu_product] = 1.0


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, b1, b2, eps, psi = h[H.lr], h[H.b1], h[H.b2], h[H.eps], h[H.psi]
    if o[O.constant_momentum] != 0:
        mu = b1
        mu_next = b1
    else:
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    m = state[0]
    v = state[1]
    p = sc[S.mu_product] * mu
    sc[S.mu_product] = p
    bc2 = 1.0 - b2**t
    for i in range(theta.shape[0]):
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i]
        den = math.sqrt(v[i] / bc2) + eps
        theta[i] -= lr * ((1.0 - mu) / (1.0 - p) * g[i] + mu_next / (1.0 - p * mu_next) * m[i]) / den


class Nadam(Optimizer):
    """Nadam (Dozat 2016): Adam with Nesterov momentum and a momentum schedule

        mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay))   (mu_t = b1 when momentum_decay is None),
        theta_t = theta_{t-1} - lr [ (1 - mu_t) g_t / (1 - prod_{i<=t} mu_i)
                                    + mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i) ] / (sqrt(v_hat) + eps).

    PyTorch: momentum_decay = 0.004; Keras 3: 1 (mu_t = b1 (1 - 0.5 * 0.96^t)); optax: None.
    """

    hyper, options = H, O
    n_state = 2
    n_scalar = len(S)
    kernels = OptimizerKernels(step=step, init=init)

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, momentum_decay=0.004):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)
        self.momentum_decay = None if momentum_decay is None else V.positive_finite("momentum_decay",
                                                                                    momentum_decay)
        self.constant_momentum = momentum_decay is None
        self.psi = self.momentum_decay or 0.0
