"""Problems the kernels simulate, one module each; ``PROBLEMS`` is their registry (one line per problem)."""
from ..device.registry import Registry
from .base import Problem, ProblemKernels, check_problem_class
from .least_squares import LeastSquares
from .logistic_regression import LogisticRegression
from .mlp import MLP, activation
from .online import OnlineLinear
from .quadratic import Quadratic
from .sigmoid_neuron import SigmoidNeuron

PROBLEMS = Registry("problem", check_problem_class)
PROBLEMS.add(Quadratic)
PROBLEMS.add(OnlineLinear)
PROBLEMS.add(LeastSquares)
PROBLEMS.add(LogisticRegression)
PROBLEMS.add(MLP)
PROBLEMS.add(SigmoidNeuron)


def register_problem(cls, name=None):
    """Make a ``Problem`` subclass (e.g. one defined in your own module) available to ``simulate``."""
    return PROBLEMS.add(cls, name)


__all__ = ["PROBLEMS", "LeastSquares", "LogisticRegression", "MLP", "OnlineLinear", "Problem", "ProblemKernels", "Quadratic", "SigmoidNeuron", "activation", "register_problem"]
