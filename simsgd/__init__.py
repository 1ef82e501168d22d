"""simsgd: many independent runs of SGD and its relatives on noisy quadratics, checked against theory."""
from . import theory
from .optimizer import Optimizer
from .quadratic import Quadratic
from .result import Result
from .sgd import SGD
from .simulate import TARGETS, simulate

__version__ = "0.1.0"

__all__ = ["Optimizer", "Quadratic", "Result", "SGD", "TARGETS", "simulate", "theory", "__version__"]
