"""``from_framework``: the simsgd optimizer that reproduces a PyTorch, Keras or optax optimizer.

Each entry lists the framework's own defaults and maps its keyword arguments onto a simsgd
rule; what simsgd does not model (weight decay, centred RMSProp, RMSProp with momentum, ...)
is accepted only at its neutral value, otherwise it is a ValueError naming the argument.
"""
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import AMSGrad, Adam
from .adamax import Adamax
from .heavy_ball import HeavyBall
from .nadam import Nadam
from .rmsprop import RMSProp
from .sgd import SGD


def _sgd(lr, momentum, nesterov, dampening=0.0):
    if not momentum:
        if nesterov:
            raise ValueError("nesterov=True needs momentum > 0")
        return SGD(lr)
    return HeavyBall(lr, b1=momentum, dampening=dampening, nesterov=nesterov)  # the frameworks' momentum is b1


def _adam(amsgrad, *args, **kwargs):
    return AMSGrad(*args, **kwargs) if amsgrad else Adam(*args, **kwargs)


def _betas(k):
    b = k["betas"]
    if len(b) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2); got {b!r}")
    return float(b[0]), float(b[1])


# (defaults, neutral values of unsupported arguments, builder)
_PYTORCH = {
    "SGD": ({"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False},
            {"weight_decay": 0.0, "maximize": False},
            lambda k: _sgd(k["lr"], k["momentum"], k["nesterov"], k["dampening"])),
    "Adagrad": ({"lr": 1e-2, "lr_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10},
                {"weight_decay": 0.0, "maximize": False},
                lambda k: Adagrad(k["lr"], k["eps"], k["initial_accumulator_value"], eps_placement="outside",
                                  lr_decay=k["lr_decay"])),
    "RMSprop": ({"lr": 1e-2, "alpha": 0.99, "eps": 1e-8},
                {"weight_decay": 0.0, "momentum": 0.0, "centered": False, "maximize": False},
                lambda k: RMSProp(k["lr"], k["alpha"], k["eps"], eps_placement="outside")),
    "Adam": ({"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False},
             {"weight_decay": 0.0, "maximize": False},
             lambda k: _adam(k["amsgrad"], k["lr"], *_betas(k), k["eps"], eps_placement="outside")),
    "Adamax": ({"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8},
               {"weight_decay": 0.0, "maximize": False},
               lambda k: Adamax(k["lr"], *_betas(k), k["eps"], eps_placement="inside")),
    "NAdam": ({"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "momentum_decay": 4e-3},
              {"weight_decay": 0.0, "decoupled_weight_decay": False, "maximize": False},
              lambda k: Nadam(k["lr"], *_betas(k), k["eps"], momentum_decay=k["momentum_decay"])),
    "Adadelta": ({"lr": 1.0, "rho": 0.9, "eps": 1e-6},
                 {"weight_decay": 0.0, "maximize": False},
                 lambda k: Adadelta(k["lr"], k["rho"], k["eps"])),
}

_KERAS_NEUTRAL = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None,
                  "use_ema": False}
_KERAS = {
    "SGD": ({"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}, _KERAS_NEUTRAL,
            lambda k: _sgd(k["learning_rate"], k["momentum"], k["nesterov"])),
    "Adagrad": ({"learning_rate": 1e-3, "initial_accumulator_value": 0.1, "epsilon": 1e-7}, _KERAS_NEUTRAL,
                lambda k: Adagrad(k["learning_rate"], k["epsilon"], k["initial_accumulator_value"],
                                  eps_placement="inside")),
    "RMSprop": ({"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7},
                {**_KERAS_NEUTRAL, "momentum": 0.0, "centered": False},
                lambda k: RMSProp(k["learning_rate"], k["rho"], k["epsilon"], eps_placement="inside")),
    "Adam": ({"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False},
             _KERAS_NEUTRAL,
             lambda k: _adam(k["amsgrad"], k["learning_rate"], k["beta_1"], k["beta_2"], k["epsilon"],
                             eps_placement="scaled")),
    "Adamax": ({"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}, _KERAS_NEUTRAL,
               lambda k: Adamax(k["learning_rate"], k["beta_1"], k["beta_2"], k["epsilon"])),
    "Nadam": ({"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}, _KERAS_NEUTRAL,
              lambda k: Nadam(k["learning_rate"], k["beta_1"], k["beta_2"], k["epsilon"], momentum_decay=1.0)),
    "Adadelta": ({"learning_rate": 1e-3, "rho": 0.95, "epsilon": 1e-7}, _KERAS_NEUTRAL,
                 lambda k: Adadelta(k["learning_rate"], k["rho"], k["epsilon"])),
}

_REQUIRED = object()
_OPTAX = {
    "sgd": ({"learning_rate": _REQUIRED, "momentum": None, "nesterov": False}, {},
            lambda k: _sgd(k["learning_rate"], k["momentum"], k["nesterov"])),
    "adagrad": ({"learning_rate": _REQUIRED, "initial_accumulator_value": 0.1, "eps": 1e-7}, {},
                lambda k: Adagrad(k["learning_rate"], k["eps"], k["initial_accumulator_value"],
                                          eps_placement="inside")),
    "rmsprop": ({"learning_rate": _REQUIRED, "decay": 0.9, "eps": 1e-8, "eps_in_sqrt": True,
                 "bias_correction": False},
                {"initial_scale": 0.0, "centered": False, "momentum": None, "nesterov": False},
                lambda k: RMSProp(k["learning_rate"], k["decay"], k["eps"], k["bias_correction"],
                                  eps_placement="inside" if k["eps_in_sqrt"] else "outside")),
    "adam": ({"learning_rate": _REQUIRED, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, {"eps_root": 0.0, "nesterov": False},
             lambda k: Adam(k["learning_rate"], k["b1"], k["b2"], k["eps"], eps_placement="outside")),
    "amsgrad": ({"learning_rate": _REQUIRED, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, {"eps_root": 0.0},
                lambda k: AMSGrad(k["learning_rate"], k["b1"], k["b2"], k["eps"], eps_placement="outside",
                                  amsgrad_max="corrected")),
    "adamax": ({"learning_rate": _REQUIRED, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, {},
               lambda k: Adamax(k["learning_rate"], k["b1"], k["b2"], k["eps"], eps_placement="inside")),
    "nadam": ({"learning_rate": _REQUIRED, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, {"eps_root": 0.0},
              lambda k: Nadam(k["learning_rate"], k["b1"], k["b2"], k["eps"], momentum_decay=None)),
    "adadelta": ({"learning_rate": _REQUIRED, "rho": 0.9, "eps": 1e-6}, {"weight_decay": 0.0},
                 lambda k: Adadelta(k["learning_rate"], k["rho"], k["eps"])),
}

FRAMEWORKS = {"pytorch": _PYTORCH, "keras": _KERAS, "optax": _OPTAX}


def from_framework(framework, name, **kwargs):
    """The optimizer that reproduces ``framework``'s ``name`` called with ``kwargs`` and its defaults.

    ``framework``: "pytorch" (``torch.optim.<name>``), "keras" (``keras.optimizers.<name>``, Keras 3)
    or "optax" (``optax.<name>``); constant learning rates only.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(map(repr, FRAMEWORKS))}; got {framework!r}")
    table = FRAMEWORKS[framework]
    if name not in table:
        raise ValueError(f"name must be one of {', '.join(map(repr, table))} for {framework}; got {name!r}")
    defaults, neutral, build = table[name]
    for key, value in kwargs.items():
        if key in neutral:
            if value != neutral[key]:
                raise ValueError(f"{key}={value!r} is not supported for {framework} {name}; "
                                 f"only {key}={neutral[key]!r} is")
        elif key not in defaults:
            raise ValueError(f"{key} is not an argument of {framework} {name} that simsgd supports; "
                             f"supported: {', '.join(defaults)}")
    resolved = {k: kwargs.get(k, v) for k, v in defaults.items()}
    missing = [k for k, v in resolved.items() if v is _REQUIRED]
    if missing:
        raise ValueError(f"{missing[0]} is required by {framework} {name}")
    return build(resolved)
