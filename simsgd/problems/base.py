"""The problem contract: what a problem declares on the host and the four device functions a kernel calls.

Host side, a ``Problem`` subclass declares

    layout = Layout(floats=(...), ints=(...))    # its data, packed once per call (``pack``)
    metrics = ("error_sq", "loss")                # what ``metrics`` writes, in this order
    kernels = ProblemKernels(init, grad, metrics, project)

and implements ``dim`` (the parameter count), ``pack(batch_size, dtype)``, ``params()`` and,
when it needs them, ``work_size(batch_size)`` (per-run float scratch) and
``run_state_size`` (per-run integers kept between steps, e.g. a sampler's position).

Device side, with ``fd, idata`` the packed data (read only), ``rs`` the run's integer
state, ``rng`` its random stream and ``zig`` the ziggurat table (``device.rng``):

    init(x, rs, rng, zig, fd, idata)                 # the run's starting point and state
    grad(x, g, t, rs, rng, zig, fd, idata, work)     # minibatch gradient at x for step t (1-based)
    project(x, fd, idata)                            # back onto the feasible set after a step
    metrics(x, out, fd, idata, work)                 # out[m] for each name in ``metrics``

The data are stored once per call (not per run) on either target.
"""
from typing import NamedTuple

from ..device.jit import kernel
from ..device.registry import check_contract


@kernel(inline=True)
def unconstrained(x, fd, idata):
    """``project`` of a problem without constraints."""
    return


class ProblemKernels(NamedTuple):
    init: object
    grad: object
    metrics: object
    project: object = unconstrained


class Problem:
    """Base class of the problems ``simulate`` runs (see the module docstring for the contract)."""

    layout = None
    metrics = ()
    kernels = None
    run_state_size = 0

    @property
    def dim(self):
        raise NotImplementedError

    def work_size(self, batch_size):
        """Floats of per-run scratch that ``grad`` and ``metrics`` may use."""
        return 0

    def check_batch_size(self, batch_size):
        """Raise a ValueError if this problem cannot draw minibatches of ``batch_size``."""

    def pack(self, batch_size, dtype):
        """``(fdata, idata)`` as laid out by ``layout``."""
        raise NotImplementedError

    def params(self):
        """JSON-ready description (for meta.json)."""
        raise NotImplementedError

    @classmethod
    def example(cls):
        """A small valid instance, for the conformance tests that every registered problem passes."""
        raise NotImplementedError

    def __repr__(self):
        """Class name and ``params()``, in angle brackets: not a call (the package's problems print their calls)."""
        try:
            shown = " ".join(f"{k}={v!r}" for k, v in self.params().items() if k != "problem")
        except NotImplementedError:
            return super().__repr__()
        return f"<{type(self).__name__} {shown}>"


def check_problem_class(cls):
    """What registering a problem class requires."""
    check_contract(cls, Problem, ProblemKernels, "(init, grad, metrics[, project])")
    if not cls.metrics or not all(isinstance(m, str) for m in cls.metrics):
        raise ValueError(f"{cls.__name__}.metrics must name at least one metric")
