"""The optimizer interface: hyperparameters + per-run state + one compiled step function.

An optimizer class validates its hyperparameters in Python and packs them into a
float64 vector; its step function, compiled once, updates ``theta`` in place from
the gradient ``g``, the state rows it owns and the 1-based step count ``t``:

    step(theta, g, state, hyper, t)      # state: (n_state, d), zeros at t = 1

Adding a rule means one module holding its class and step function and one
entry in ``simsgd._dispatch``.
"""
import numpy as np


class Optimizer:
    """Base class. Subclasses set ``kind``, ``n_state`` and ``hyper_names`` and validate in ``__init__``."""

    kind = -1
    n_state = 0
    hyper_names = ()

    def _hyper(self):
        return np.array([float(getattr(self, n)) for n in self.hyper_names], dtype=np.float64)

    def params(self):
        """JSON-ready description (for meta.json)."""
        return {"optimizer": type(self).__name__, **{n: float(getattr(self, n)) for n in self.hyper_names}}

    def __repr__(self):
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.hyper_names)
        return f"{type(self).__name__}({args})"
