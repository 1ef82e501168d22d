"""Plain (minibatch) stochastic gradient descent."""
from .. import validate as V
from ..device.jit import kernel
from .base import Optimizer, OptimizerKernels, names

H = names("lr")


@kernel(inline=True)
def step(theta, g, t, state, sc, h, o):
    lr = h[H.lr]
    for i in range(theta.shape[0]):
        theta[i] -= lr * g[i]


class SGD(Optimizer):
    """``theta_t = theta_{t-1} - lr * g_t``, with ``g_t`` the (minibatch) gradient at ``theta_{t-1}``.

    Robbins & Monro (1951). No state. With zero gradient noise it is gradient descent.
    """

    hyper = H
    kernels = OptimizerKernels(step=step)
    hints = {"momentum": (None, "the frameworks' SGD(momentum=...) is HeavyBall(lr, b1=...); the lecture's "
                                "momentum is Momentum(lr, b1)")}

    def __init__(self, lr):
        self.lr = V.positive_finite("lr", lr)
