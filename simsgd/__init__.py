"""simsgd: many independent runs of SGD and its relatives on noisy quadratics, checked against theory."""
from . import theory
from .adam import AMSGrad, Adam, Adamax, Nadam
from .adaptive import Adadelta, Adagrad, RMSProp
from .frameworks import from_framework
from .momentum import HeavyBall, Momentum, Nesterov
from .online import OnlineLinear
from .optimizer import Optimizer
from .quadratic import Quadratic
from .replay import replay
from .result import Result
from .sgd import SGD
from .simulate import TARGETS, simulate

__version__ = "0.1.0"

__all__ = ["AMSGrad", "Adadelta", "Adagrad", "Adam", "Adamax", "HeavyBall", "Momentum", "Nadam", "Nesterov", "OnlineLinear", "Optimizer",
           "Quadratic", "RMSProp", "Result", "SGD", "TARGETS", "from_framework", "replay", "simulate", "theory",
           "__version__"]
