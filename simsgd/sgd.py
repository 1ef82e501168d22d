"""Plain (minibatch) stochastic gradient descent."""
from . import _validate as V
from ._jit import kernel
from .optimizer import Optimizer

KIND = 0


class SGD(Optimizer):
    """``theta_t = theta_{t-1} - lr * g_t``, with ``g_t`` the (minibatch) gradient at ``theta_{t-1}``.

    Robbins & Monro (1951). No state. With zero gradient noise it is gradient descent.
    """

    kind = KIND
    n_state = 0
    hyper_names = ("lr",)

    def __init__(self, lr):
        self.lr = V.positive_finite("lr", lr)


@kernel(inline=True)
def step(theta, g, state, hyper, t):
    lr = hyper[0]
    for i in range(theta.shape[0]):
        theta[i] -= lr * g[i]
