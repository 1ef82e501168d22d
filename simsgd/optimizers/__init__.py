"""Update rules, one module each; ``OPTIMIZERS`` is their registry (one line per rule)."""
from ..device.registry import Registry
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import AMSGrad, Adam
from .adamax import Adamax
from .base import Optimizer, OptimizerKernels, check_optimizer_class, names
from .frameworks import FRAMEWORKS, from_framework
from .heavy_ball import HeavyBall
from .momentum import Momentum
from .nadam import Nadam
from .nesterov import Nesterov
from .rmsprop import RMSProp
from .sgd import SGD

OPTIMIZERS = Registry("optimizer", check_optimizer_class)
OPTIMIZERS.add(SGD)
OPTIMIZERS.add(Momentum)
OPTIMIZERS.add(HeavyBall)
OPTIMIZERS.add(Nesterov)
OPTIMIZERS.add(Adagrad)
OPTIMIZERS.add(RMSProp)
OPTIMIZERS.add(Adadelta)
OPTIMIZERS.add(Adam)
OPTIMIZERS.add(AMSGrad)
OPTIMIZERS.add(Adamax)
OPTIMIZERS.add(Nadam)


def register_optimizer(cls, name=None):
    """Make an ``Optimizer`` subclass (e.g. one defined in your own module) available to ``simulate``."""
    return OPTIMIZERS.add(cls, name)


__all__ = ["AMSGrad", "Adadelta", "Adagrad", "Adam", "Adamax", "FRAMEWORKS", "HeavyBall", "Momentum", "Nadam",
           "Nesterov", "OPTIMIZERS", "Optimizer", "OptimizerKernels", "RMSProp", "SGD", "from_framework",
           "names", "register_optimizer"]
