"""The optimizer contract: hyperparameters by name, per-run state, and one compiled step function.

An optimizer module declares the positions of its hyperparameters (floats) and options
(integers) with ``names``, writes its device functions against those names, and
defines a class that validates the values in Python:

    H = names("lr", "b1")                 # h[H.lr], h[H.b1] in the kernels
    O = names("bias_correction")          # o[O.bias_correction]

    @kernel(inline=True)
    def step(theta, g, t, state, sc, h, o): ...

    class Momentum(Optimizer):
        hyper, options = H, O
        n_state = 1                       # rows of per-coordinate state, state[k] of shape (d,)
        kernels = OptimizerKernels(step=step)

Device functions, on one run (``t`` is the 1-based step count; ``sc`` holds ``n_scalar``
scalar state slots):

    init(theta, state, sc, h, o)            # state before step 1 (default: zeros)
    step(theta, g, t, state, sc, h, o)      # theta_{t-1} -> theta_t in place, given the gradient g
    lookahead(theta, p, state, sc, h, o)    # True and p written: the next gradient is taken at p
                                            # (default: False, the gradient is taken at theta)
"""
from collections import namedtuple
from typing import NamedTuple

import numpy as np

from ..device.jit import kernel
from ..device.registry import check_contract


def names(*fields):
    """Positions by name, ``names("lr", "b1").b1 == 1``: the index constants of packed hyperparameters."""
    return namedtuple("Names", fields)(*range(len(fields)))


@kernel(inline=True)
def zero_state(theta, state, sc, h, o):
    """``init`` of a rule whose state starts at zero."""
    for s in range(state.shape[0]):
        for i in range(state.shape[1]):
            state[s, i] = 0.0
    for k in range(sc.shape[0]):
        sc[k] = 0.0


@kernel(inline=True)
def at_theta(theta, p, state, sc, h, o):
    """``lookahead`` of a rule that takes the gradient at theta."""
    return False


class OptimizerKernels(NamedTuple):
    step: object
    init: object = zero_state
    lookahead: object = at_theta


class Optimizer:
    """Base class of the update rules (see the module docstring for the contract)."""

    hyper = names()
    options = names()
    n_state = 0
    n_scalar = 0
    kernels = None
    in_frameworks = True  # PyTorch, Keras or optax has this rule: framework goldens must cover it

    def hyper_values(self):
        """The float hyperparameters in kernel order (float64)."""
        return np.array([float(getattr(self, n)) for n in self.hyper._fields] or [0.0], dtype=np.float64)

    def option_values(self):
        """The integer options in kernel order (int64; booleans as 0/1)."""
        return np.array([int(getattr(self, n)) for n in self.options._fields] or [0], dtype=np.int64)

    def params(self):
        """JSON-ready description (for meta.json)."""
        out = {"optimizer": type(self).__name__}
        out.update({n: float(getattr(self, n)) for n in self.hyper._fields})
        out.update({n: _plain(getattr(self, n)) for n in self.options._fields})
        return out

    @classmethod
    def example(cls):
        """A valid instance with a small rate, for the conformance tests every registered rule passes."""
        return cls(lr=0.05)

    def __repr__(self):
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.hyper._fields + self.options._fields)
        return f"{type(self).__name__}({args})"


def _plain(v):
    return bool(v) if isinstance(v, (bool, np.bool_)) else int(v)


def check_optimizer_class(cls):
    """What registering an optimizer class requires."""
    check_contract(cls, Optimizer, OptimizerKernels, "(step[, init, lookahead])")
    if "lr" not in cls.hyper._fields:
        raise ValueError(f"{cls.__name__}.hyper must include 'lr'")
