"""Momentum: the lecture's exponentially weighted average, and heavy-ball (with the frameworks' Nesterov form)."""
from . import _validate as V
from ._jit import kernel
from .optimizer import Optimizer

MOMENTUM = 1
HEAVY_BALL = 2
NESTEROV = 9


class Momentum(Optimizer):
    """The lecture's momentum, an exponentially weighted average of gradients:

        m_t = b1 m_{t-1} + (1 - b1) g_t,   theta_t = theta_{t-1} - lr * m_t / c_t,

    with c_t = 1 - b1^t when ``bias_correction`` (the average's weights then sum to 1) and
    c_t = 1 otherwise. Effective rate lr (1 - b1), or lr (1 - b1) / (1 - b1^t) with correction.
    """

    kind = MOMENTUM
    n_state = 1
    hyper_names = ("lr", "b1", "bias_correction")

    def __init__(self, lr, b1=0.9, bias_correction=False):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.bias_correction = bool(bias_correction)


class HeavyBall(Optimizer):
    """Polyak's heavy ball as PyTorch, Keras and optax write it (constant lr):

        v_t = momentum v_{t-1} + (1 - dampening) g_t   (v_1 = g_1),
        theta_t = theta_{t-1} - lr * (g_t + momentum v_t if nesterov else v_t).

    ``nesterov`` is the frameworks' reparametrised Nesterov momentum (Sutskever et al. 2013,
    eq. 7 rewritten in the look-ahead variable). Keras keeps lr inside the velocity, which is
    the same trajectory for a constant lr. PyTorch starts v_1 = g_1 without dampening.
    """

    kind = HEAVY_BALL
    n_state = 1
    hyper_names = ("lr", "momentum", "dampening", "nesterov")

    def __init__(self, lr, momentum=0.9, dampening=0.0, nesterov=False):
        self.lr = V.positive_finite("lr", lr)
        self.momentum = V.in_interval("momentum", momentum, 0.0, 1.0, hi_open=True)
        self.dampening = V.in_interval("dampening", dampening, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.dampening != 0.0:
            raise ValueError("dampening must be 0 when nesterov=True")


class Nesterov(Optimizer):
    """Sutskever et al.'s (2013) Nesterov momentum in the lecture's notation: the gradient at the look-ahead point

        g_t = grad f(theta_{t-1} - lr b1 m_{t-1}),   m_t = b1 m_{t-1} + (1 - b1) g_t,   theta_t = theta_{t-1} - lr m_t.

    The simulator evaluates the gradient at the look-ahead point itself; ``HeavyBall(nesterov=True)``
    is the frameworks' reparametrised form, which tracks the look-ahead variable instead.
    """

    kind = NESTEROV
    n_state = 1
    hyper_names = ("lr", "b1", "bias_correction")

    def __init__(self, lr, b1=0.9):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.bias_correction = False


@kernel(inline=True)
def lookahead_point(theta, state, hyper, p):
    """p = theta - lr b1 m: where Nesterov evaluates the next gradient."""
    c = hyper[0] * hyper[1]
    m = state[0]
    for i in range(theta.shape[0]):
        p[i] = theta[i] - c * m[i]


@kernel(inline=True)
def momentum_step(theta, g, state, hyper, t):
    lr, b1 = hyper[0], hyper[1]
    scale = lr / (1.0 - b1**t) if hyper[2] != 0.0 else lr
    m = state[0]
    for i in range(theta.shape[0]):
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        theta[i] -= scale * m[i]


@kernel(inline=True)
def heavy_ball_step(theta, g, state, hyper, t):
    lr, mom, damp, nesterov = hyper[0], hyper[1], hyper[2], hyper[3] != 0.0
    v = state[0]
    for i in range(theta.shape[0]):
        v[i] = g[i] if t == 1 else mom * v[i] + (1.0 - damp) * g[i]
        theta[i] -= lr * (g[i] + mom * v[i] if nesterov else v[i])
