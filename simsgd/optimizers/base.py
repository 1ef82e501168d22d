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

A rule's public hyperparameters are its constructor's keywords, each stored under its own name
(the kernels' fields may be codes derived from them, e.g. Adam's ``eps_mode``): ``repr``, ``==``
and ``params()`` show those keywords, so ``eval(repr(opt), vars(simsgd)) == opt``. One name per
idea across rules (lr, b1, b2, eps, eps_placement, bias_correction, ...); other libraries'
spellings are accepted where they are unambiguous (``ALIASES``, a class's ``aliases``) and
otherwise refused with the keyword meant (``HINTS``, a class's ``hints``).
"""
import functools
import inspect
import numbers
from collections import namedtuple
from typing import NamedTuple

import numpy as np

from ..device.jit import kernel
from ..device.registry import check_contract
from ..validate import did_you_mean

# Other libraries' spellings of the lecture's symbols, accepted silently by every rule that has the symbol.
ALIASES = {
    "learning_rate": "lr", "epsilon": "eps", "beta1": "b1", "beta_1": "b1", "beta2": "b2", "beta_2": "b2",
    "initial_accumulator_value": "initial_accumulator",
    "eps_inside": ("eps_placement", lambda x: "inside" if flag("eps_inside", x) else "outside"),  # the old flag
}
# Spellings that mean different things in different places: refused, naming the keyword meant (None: no
# keyword of this rule) and why. A class's ``hints`` override these.
HINTS = {
    "alpha": ("lr", "the lecture's alpha is the learning rate lr; PyTorch's RMSprop calls its decay alpha"),
    "momentum": ("b1", "b1 is the decay of the gradient average, the frameworks' SGD momentum"),
    "rho": ("b2", "rho is Keras' name for RMSProp's and Adadelta's b2, the decay of the squared-gradient average"),
    "eps_mode": ("eps_placement", "eps_mode was an integer code of eps_placement: 'inside', 'outside', ..."),
    "weight_decay": (None, "simsgd does not model weight decay"),
}


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
    aliases = {}  # spelling -> keyword (or (keyword, convert)) accepted by this rule besides ``ALIASES``
    hints = {}  # spelling -> (keyword or None, why), refused by this rule, besides ``HINTS``

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_takes_aliases", False):
            return
        keywords, takes_any = _keywords(init)
        if takes_any:  # a **kwargs constructor takes its own spellings
            return

        @functools.wraps(init)
        def __init__(self, *args, **kw):
            renamed = _canonical(self, keywords, kw)
            try:
                init(self, *args, **kw)
            except ValueError as exc:  # name the keyword the caller wrote
                given = next((a for a, k in renamed if str(exc).startswith(f"{k} ")), None)
                if given is None:
                    raise
                raise ValueError(f"{exc} (given as {given})") from None

        __init__._takes_aliases = True
        cls.__init__ = __init__

    def hyper_values(self):
        """The float hyperparameters in kernel order (float64)."""
        return np.array([float(getattr(self, n)) for n in self.hyper._fields] or [0.0], dtype=np.float64)

    def option_values(self):
        """The integer options in kernel order (int64; booleans as 0/1)."""
        return np.array([int(getattr(self, n)) for n in self.options._fields] or [0], dtype=np.int64)

    def arguments(self):
        """{keyword: value} that rebuilds this rule: the constructor's keywords (the kernel fields for a
        class that does not store its keywords under their names)."""
        keywords = _keywords(type(self).__init__)[0]
        if not keywords or not all(hasattr(self, k) for k in keywords):
            keywords = self.hyper._fields + self.options._fields
        return {k: _plain(getattr(self, k)) for k in keywords}

    def params(self):
        """JSON-ready description (for meta.json): the rule's name and ``arguments()``, booleans as booleans."""
        return {"optimizer": type(self).__name__, **self.arguments()}

    @classmethod
    def example(cls):
        """A valid instance with a small rate, for the conformance tests every registered rule passes."""
        return cls(lr=0.05)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        if not isinstance(other, Optimizer):
            return NotImplemented
        return type(self) is type(other) and self.arguments() == other.arguments()

    def __hash__(self):
        return hash((type(self), tuple(self.arguments())))


def flag(name, x):
    """``x`` as a bool: True, False (numpy's too) or 0/1; anything else is a ValueError naming ``name``."""
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, numbers.Integral) and x in (0, 1)):
        return bool(x)
    raise ValueError(f"{name} must be True or False; got {x!r}")


@functools.cache
def _keywords(init):
    """(the keywords of ``init`` after self, whether it takes **kwargs)."""
    try:
        params = list(inspect.signature(init).parameters.values())[1:]
    except (TypeError, ValueError):
        return (), True
    keywords = tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    return keywords, any(p.kind is p.VAR_KEYWORD for p in params)


def _canonical(opt, keywords, kw):
    """Rename other spellings in ``kw`` (in place) to ``keywords``; return the (spelling, keyword) pairs renamed.

    A TypeError for a spelling that is ambiguous or unknown, naming the keyword meant or the closest one.
    """
    cls = type(opt)
    renamed = []
    for key in [k for k in kw if k not in keywords]:
        value = kw.pop(key)
        alias = {**ALIASES, **cls.aliases}.get(key)
        if key == "betas" and "b1" in keywords and "b2" in keywords:
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
                raise ValueError(f"betas must be a pair (b1, b2); got {value!r}")
            pairs = [("b1", value[0]), ("b2", value[1])]
        elif alias is not None and (alias if isinstance(alias, str) else alias[0]) in keywords:
            target, convert = (alias, None) if isinstance(alias, str) else alias
            pairs = [(target, value if convert is None else convert(value))]
        else:
            raise TypeError(_unknown(cls, key, keywords, alias))
        for target, v in pairs:
            if target in kw:
                first = next((a for a, k in renamed if k == target), target)
                raise TypeError(f"{cls.__name__} got {target} twice: as {first!r} and as {key!r}")
            kw[target] = v
            renamed.append((key, target))
    return renamed


def _unknown(cls, key, keywords, alias):
    """The message for keyword ``key``, which ``cls`` does not take."""
    head = f"{cls.__name__} has no keyword {key!r}"
    listed = f"{cls.__name__}'s keywords: {', '.join(keywords)}"
    target, why = {**HINTS, **cls.hints}.get(key, (None, None))
    if alias is not None and why is None:
        target = alias if isinstance(alias, str) else alias[0]
        why = f"{key} is another library's name for {target}"
    if target is None and key == "betas":
        target, why = "b1", "betas is PyTorch's pair (b1, b2)"
    if target in keywords:
        return f"{head}: did you mean {target!r}? ({why})"
    if why is not None:
        return f"{head} ({why}{'' if target is None else f'; {cls.__name__} has no {target}'}); {listed}"
    return f"{head}{did_you_mean(key, keywords)}; {listed}"


def _plain(v):
    """JSON-ready: numpy scalars to Python, booleans kept as booleans."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return v.tolist() if isinstance(v, np.ndarray) else v


def check_optimizer_class(cls):
    """What registering an optimizer class requires."""
    check_contract(cls, Optimizer, OptimizerKernels, "(step[, init, lookahead])")
    if "lr" not in cls.hyper._fields:
        raise ValueError(f"{cls.__name__}.hyper must include 'lr'")
