"""Polyak's heavy ball as the frameworks write it, with their Nesterov form."""
from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, flag, names

H = names("lr", "b1", "dampening")
O = names("nesterov")
S = names("first_coefficient")  # scalar state: the weight of g_t in v_t, 1 at t = 1, then 1 - dampening


@kernel(inline=True)
def init(theta, state, sc, h, o):
    for i in range(state.shape[1]):
        state[0, i] = 0.0
    sc[S.first_coefficient] = 1.0


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr, mom = h[H.lr], h[H.b1]
    nesterov = o[O.nesterov] != 0
    c = sc[S.first_coefficient]
    v = state[0]
    for i in range(theta.shape[0]):
        v[i] = mom * v[i] + c * g[i]
        theta[i] -= lr * (g[i] + mom * v[i] if nesterov else v[i])
    sc[S.first_coefficient] = 1.0 - h[H.dampening]


class HeavyBall(Optimizer):
    """Polyak's heavy ball as PyTorch, Keras and optax write it (constant lr):

        v_t = b1 v_{t-1} + (1 - dampening) g_t   (v_1 = g_1),
        theta_t = theta_{t-1} - lr * (g_t + b1 v_t if nesterov else v_t).

    ``b1`` is the frameworks' ``momentum`` (accepted as ``momentum=``), the same decay of past
    gradients as ``Momentum``'s b1: with dampening = b1 the two differ only in v_1.

    ``nesterov`` is the frameworks' reparametrised Nesterov momentum (Sutskever et al. 2013,
    eq. 7 rewritten in the look-ahead variable). Keras keeps lr inside the velocity, which is
    the same trajectory for a constant lr. PyTorch starts v_1 = g_1 without dampening.
    """

    hyper, options = H, O
    n_state = 1
    n_scalar = len(S)
    kernels = OptimizerKernels(step=step, init=init)
    aliases = {"momentum": "b1"}

    def __init__(self, lr, b1=0.9, dampening=0.0, nesterov=False):
        self.lr = V.positive_finite("lr", lr)
        self.b1 = V.in_interval("b1", b1, 0.0, 1.0, hi_open=True)
        self.dampening = V.in_interval("dampening", dampening, 0.0, 1.0)
        self.nesterov = flag("nesterov", nesterov)
        if self.nesterov and self.dampening != 0.0:
            raise ValueError("dampening must be 0 when nesterov=True")
