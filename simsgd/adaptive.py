"""Per-coordinate adaptive rates without momentum: Adagrad, RMSProp, Adadelta.

``eps_inside`` places epsilon under the square root, g / sqrt(s + eps) (the lecture, Keras,
optax), or outside, g / (sqrt(s) + eps) (PyTorch's Adagrad and RMSprop).
"""
import math

from . import _validate as V
from ._jit import kernel
from .optimizer import Optimizer

ADAGRAD = 3
RMSPROP = 4
ADADELTA = 5


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011):

        s_t = s_{t-1} + g_t^2  (s_0 = initial_accumulator),
        theta_t = theta_{t-1} - lr_t g_t / sqrt(s_t + eps),   lr_t = lr / (1 + (t - 1) lr_decay).

    ``lr_decay`` is PyTorch's; the paper has none.
    """

    kind = ADAGRAD
    n_state = 1
    hyper_names = ("lr", "eps", "initial_accumulator", "eps_inside", "lr_decay")

    def __init__(self, lr, eps=1e-8, initial_accumulator=0.0, eps_inside=True, lr_decay=0.0):
        self.lr = V.positive_finite("lr", lr)
        self.eps = V.in_interval("eps", eps, 0.0, math.inf, hi_open=True)
        self.initial_accumulator = V.in_interval("initial_accumulator", initial_accumulator, 0.0, math.inf,
                                                 hi_open=True)
        self.eps_inside = bool(eps_inside)
        self.lr_decay = V.in_interval("lr_decay", lr_decay, 0.0, math.inf, hi_open=True)
        if self.eps == 0.0 and self.initial_accumulator == 0.0:
            raise ValueError("eps must be > 0 when initial_accumulator is 0 (the first step divides by it)")


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012), optionally bias-corrected as in the lecture:

        v_t = rho v_{t-1} + (1 - rho) g_t^2,   v_hat = v_t / (1 - rho^t) if bias_correction else v_t,
        theta_t = theta_{t-1} - lr g_t / sqrt(v_hat + eps).
    """

    kind = RMSPROP
    n_state = 1
    hyper_names = ("lr", "rho", "eps", "bias_correction", "eps_inside")

    def __init__(self, lr, rho=0.9, eps=1e-8, bias_correction=False, eps_inside=True):
        self.lr = V.positive_finite("lr", lr)
        self.rho = V.in_interval("rho", rho, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)
        self.bias_correction = bool(bias_correction)
        self.eps_inside = bool(eps_inside)


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), with the lecture's alpha0 (``lr``, usually 1, "not the learning rate"):

        s_t = rho s_{t-1} + (1 - rho) g_t^2,
        dx_t = sqrt(D_{t-1} + eps) / sqrt(s_t + eps) * g_t,   D_t = rho D_{t-1} + (1 - rho) dx_t^2,
        theta_t = theta_{t-1} - lr dx_t.

    D accumulates the squared updates (the slide's Delta_t).
    """

    kind = ADADELTA
    n_state = 2
    hyper_names = ("lr", "rho", "eps")

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6):
        self.lr = V.positive_finite("lr", lr)
        self.rho = V.in_interval("rho", rho, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)


@kernel(inline=True)
def _scaled(g, s, eps, inside):
    return g / math.sqrt(s + eps) if inside else g / (math.sqrt(s) + eps)


@kernel(inline=True)
def adagrad_step(theta, g, state, hyper, t):
    lr = hyper[0] / (1.0 + (t - 1) * hyper[4])
    eps, inside = hyper[1], hyper[3] != 0.0
    s = state[0]
    for i in range(theta.shape[0]):
        if t == 1:
            s[i] = hyper[2]
        s[i] += g[i] * g[i]
        theta[i] -= lr * _scaled(g[i], s[i], eps, inside)


@kernel(inline=True)
def rmsprop_step(theta, g, state, hyper, t):
    lr, rho, eps = hyper[0], hyper[1], hyper[2]
    c = 1.0 / (1.0 - rho**t) if hyper[3] != 0.0 else 1.0
    inside = hyper[4] != 0.0
    v = state[0]
    for i in range(theta.shape[0]):
        v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i]
        theta[i] -= lr * _scaled(g[i], v[i] * c, eps, inside)


@kernel(inline=True)
def adadelta_step(theta, g, state, hyper, t):
    lr, rho, eps = hyper[0], hyper[1], hyper[2]
    s = state[0]
    acc = state[1]
    for i in range(theta.shape[0]):
        s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i]
        dx = math.sqrt(acc[i] + eps) / math.sqrt(s[i] + eps) * g[i]
        acc[i] = rho * acc[i] + (1.0 - rho) * dx * dx
        theta[i] -= lr * dx
