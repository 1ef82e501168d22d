"""Adam and its relatives: Adam (with AMSGrad as an option), Adamax, Nadam.

m_t = b1 m_{t-1} + (1 - b1) g_t and v_t = b2 v_{t-1} + (1 - b2) g_t^2 throughout.
"""
import math

from . import _validate as V
from ._jit import kernel
from .optimizer import Optimizer

ADAM = 6
ADAMAX = 7
NADAM = 8

EPS_MODES = ("inside", "outside", "scaled")


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), the lecture's form by default:

        m_hat = m_t / (1 - b1^t),  v_hat = v_t / (1 - b2^t)   (both 1 without ``bias_correction``),
        theta_t = theta_{t-1} - lr m_hat / sqrt(v_hat + eps)             eps="inside" (lecture)
                                        / (sqrt(v_hat) + eps)           eps="outside" (paper, PyTorch, optax)
                  theta_{t-1} - lr sqrt(1 - b2^t) / (1 - b1^t) m_t / (sqrt(v_t) + eps)   eps="scaled" (Keras;
                  the paper's "eps-hat" form).

    ``amsgrad`` (Reddi, Kale & Kumar 2018) replaces v by its running maximum: of the raw v_t
    (PyTorch, Keras; ``amsgrad_max="raw"``) or of v_hat (optax; ``"corrected"``). The paper's
    AMSGrad has no bias correction: ``bias_correction=False``. ``lr_sqrt_decay`` uses lr / sqrt(t)
    at step t, the schedule of Reddi et al.'s analysis.
    """

    kind = ADAM
    hyper_names = ("lr", "b1", "b2", "eps", "bias_correction", "eps_mode", "amsgrad", "amsgrad_corrected",
                   "lr_sqrt_decay")

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, bias_correction=True, eps_placement="inside",
                 amsgrad=False, amsgrad_max="raw", lr_sqrt_decay=False):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.in_interval("eps", eps, 0.0, math.inf, hi_open=True)
        self.bias_correction = bool(bias_correction)
        self.eps_placement = V.choice("eps_placement", eps_placement, EPS_MODES)
        self.eps_mode = EPS_MODES.index(self.eps_placement)
        self.amsgrad = bool(amsgrad)
        V.choice("amsgrad_max", amsgrad_max, ("raw", "corrected"))
        self.amsgrad_corrected = amsgrad_max == "corrected"
        self.lr_sqrt_decay = bool(lr_sqrt_decay)
        self.n_state = 3 if self.amsgrad else 2


class AMSGrad(Adam):
    """Adam with ``amsgrad=True`` (see ``Adam``)."""

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, bias_correction=True, eps_placement="inside",
                 amsgrad_max="raw", lr_sqrt_decay=False):
        super().__init__(lr, b1, b2, eps, bias_correction, eps_placement, True, amsgrad_max, lr_sqrt_decay)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba 2015, sec. 7): u_t = max(b2 u_{t-1}, |g_t|), theta -= lr m_hat / (u_t + eps).

    ``eps_in_max`` is PyTorch's and optax's form, u_t = max(b2 u_{t-1}, |g_t| + eps), theta -= lr m_hat / u_t
    (Keras adds eps after the max). The lecture and the paper have eps = 0.
    """

    kind = ADAMAX
    n_state = 2
    hyper_names = ("lr", "b1", "b2", "eps", "eps_in_max")

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, eps_in_max=False):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.in_interval("eps", eps, 0.0, math.inf, hi_open=True)
        self.eps_in_max = bool(eps_in_max)


class Nadam(Optimizer):
    """Nadam (Dozat 2016): Adam with Nesterov momentum and a momentum schedule

        mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay))   (mu_t = b1 when momentum_decay is None),
        theta_t = theta_{t-1} - lr [ (1 - mu_t) g_t / (1 - prod_{i<=t} mu_i)
                                    + mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i) ] / (sqrt(v_hat) + eps).

    PyTorch: momentum_decay = 0.004; Keras 3: 1 (mu_t = b1 (1 - 0.5 * 0.96^t)); optax: None.
    """

    kind = NADAM
    n_state = 3
    hyper_names = ("lr", "b1", "b2", "eps", "momentum_decay", "constant_momentum")

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8, momentum_decay=0.004):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.b2 = V.in_interval("b2", b2, 0.0, 1.0, hi_open=True)
        self.eps = V.positive_finite("eps", eps)
        self.constant_momentum = momentum_decay is None
        self.momentum_decay = 0.0 if momentum_decay is None else V.positive_finite("momentum_decay",
                                                                                   momentum_decay)


@kernel(inline=True)
def adam_step(theta, g, state, hyper, t):
    lr, b1, b2, eps = hyper[0], hyper[1], hyper[2], hyper[3]
    if hyper[8] != 0.0:
        lr = lr / math.sqrt(t)
    bc1 = 1.0 - b1**t if hyper[4] != 0.0 else 1.0
    bc2 = 1.0 - b2**t if hyper[4] != 0.0 else 1.0
    mode = int(hyper[5])
    ams = hyper[6] != 0.0
    corrected = hyper[7] != 0.0
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


@kernel(inline=True)
def adamax_step(theta, g, state, hyper, t):
    lr, b1, b2, eps = hyper[0], hyper[1], hyper[2], hyper[3]
    in_max = hyper[4] != 0.0
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


@kernel(inline=True)
def nadam_step(theta, g, state, hyper, t):
    lr, b1, b2, eps, psi = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    if hyper[5] != 0.0:
        mu = b1
        mu_next = b1
    else:
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    m = state[0]
    v = state[1]
    prod = state[2]  # the running product of mu, the same in every coordinate
    bc2 = 1.0 - b2**t
    for i in range(theta.shape[0]):
        p = mu if t == 1 else prod[i] * mu
        prod[i] = p
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i]
        den = math.sqrt(v[i] / bc2) + eps
        theta[i] -= lr * ((1.0 - mu) / (1.0 - p) * g[i] + mu_next / (1.0 - p * mu_next) * m[i]) / den
