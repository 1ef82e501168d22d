"""Generate reference optimizer trajectories from PyTorch, optax and Keras.

Each case replays one optimizer on a fixed, given sequence of gradients (the
gradients are not computed from a loss: step t always applies ``grads[t]``,
whatever the current parameters are) and records the full parameter
trajectory theta_0..theta_T. Everything runs in float64. The result is written
to ``tests/fixtures/optimizer_goldens.json`` so that the tests can check
simsgd's optimizers against the frameworks without installing them.

A keyword argument that the installed framework version does not accept drops
that case; it is listed, with the reason, under "skipped" in the JSON.

To regenerate (the frameworks are not project dependencies)::

    pip install torch==2.13.0   # CPU build
    pip install optax           # keeps the installed jax if it can
    pip install keras           # Keras 3, run here on the JAX backend
    python scripts/make_goldens.py [--out PATH]
"""

import argparse
import inspect
import json
import os
from pathlib import Path

# Keras picks its backend at import time.
os.environ["KERAS_BACKEND"] = "jax"

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import keras
import numpy as np
import optax
import torch

torch.set_default_dtype(torch.float64)
keras.config.set_floatx("float64")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "optimizer_goldens.json"

THETA0 = [0.5, -1.2, 2.0]
T = 12
SEED = 1234
GRAD_SCALE = [1.0, 0.1, 10.0]

PYTORCH_CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.0, nesterov=False)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.0, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.0, initial_accumulator_value=0.05, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, alpha=0.95, eps=1e-6, centered=False, momentum=0.0)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
    ("Adam", dict(lr=0.01, betas=(0.9, 0.99), eps=1e-6, amsgrad=True)),
    ("Adamax", dict(lr=0.02, betas=(0.85, 0.97), eps=1e-6)),
    ("NAdam", dict(lr=0.01, betas=(0.9, 0.99), eps=1e-7, momentum_decay=0.004)),
    ("Adadelta", dict(lr=1.0, rho=0.8, eps=1e-5)),
    ("Adadelta", dict(lr=0.5)),
]

KERAS_CASES = [
    ("SGD", dict(learning_rate=0.05)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=False)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.05, epsilon=1e-6)),
    ("RMSprop", dict(learning_rate=0.01, rho=0.8, epsilon=1e-6, momentum=0.0, centered=False)),
    ("Adam", dict(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-6)),
    ("Adam", dict(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-6, amsgrad=True)),
    ("Adamax", dict(learning_rate=0.02, beta_1=0.85, beta_2=0.97, epsilon=1e-6)),
    ("Nadam", dict(learning_rate=0.01, beta_1=0.9, beta_2=0.99, epsilon=1e-7)),
    ("Adadelta", dict(learning_rate=1.0, rho=0.8, epsilon=1e-5)),
    ("Adadelta", dict(learning_rate=0.001)),
]

OPTAX_CASES = [
    ("sgd", dict(learning_rate=0.05)),
    ("sgd", dict(learning_rate=0.05, momentum=0.9, nesterov=False)),
    ("sgd", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.05, eps=1e-6)),
    ("rmsprop", dict(learning_rate=0.01, decay=0.8, eps=1e-6)),
    ("rmsprop", dict(learning_rate=0.01, decay=0.8, eps=1e-6, eps_in_sqrt=False)),
    ("rmsprop", dict(learning_rate=0.01, decay=0.8, eps=1e-6, bias_correction=True)),
    ("adam", dict(learning_rate=0.01, b1=0.8, b2=0.95, eps=1e-6)),
    ("amsgrad", dict(learning_rate=0.01, b1=0.9, b2=0.99, eps=1e-6)),
    ("adamax", dict(learning_rate=0.02, b1=0.85, b2=0.97, eps=1e-6)),
    ("nadam", dict(learning_rate=0.01, b1=0.9, b2=0.99, eps=1e-7)),
    ("adadelta", dict(learning_rate=1.0, rho=0.8, eps=1e-5)),
]


def make_grads():
    rng = np.random.default_rng(SEED)
    return rng.normal(size=(T, len(THETA0))) * np.asarray(GRAD_SCALE)


def unknown_kwargs(fn, kwargs):
    params = inspect.signature(fn).parameters
    named = {
        name
        for name, p in params.items()
        if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    }
    return sorted(set(kwargs) - named)


def run_pytorch(name, kwargs, theta0, grads):
    p = torch.nn.Parameter(torch.tensor(theta0))
    opt = getattr(torch.optim, name)([p], **kwargs)
    traj = [p.detach().numpy().copy()]
    for g in grads:
        opt.zero_grad()
        p.grad = torch.tensor(g)
        opt.step()
        traj.append(p.detach().numpy().copy())
    return np.stack(traj)


def run_keras(name, kwargs, theta0, grads):
    v = keras.Variable(np.asarray(theta0), dtype="float64")
    opt = getattr(keras.optimizers, name)(**kwargs)
    traj = [keras.ops.convert_to_numpy(v).copy()]
    for g in grads:
        opt.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), v)])
        traj.append(keras.ops.convert_to_numpy(v).copy())
    return np.stack(traj)


def run_optax(name, kwargs, theta0, grads):
    tx = getattr(optax, name)(**kwargs)
    params = jnp.asarray(theta0, dtype=jnp.float64)
    state = tx.init(params)
    traj = [np.asarray(params)]
    for g in grads:
        updates, state = tx.update(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
        traj.append(np.asarray(params))
    return np.stack(traj)


FRAMEWORKS = [
    ("pytorch", PYTORCH_CASES, lambda n: getattr(torch.optim, n).__init__, run_pytorch),
    ("keras", KERAS_CASES, lambda n: getattr(keras.optimizers, n).__init__, run_keras),
    ("optax", OPTAX_CASES, lambda n: getattr(optax, n), run_optax),
]


def to_jsonable(value):
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v) for v in value]
    return value


def build(theta0=THETA0):
    grads = make_grads()
    cases, skipped = [], []
    for framework, case_list, ctor, runner in FRAMEWORKS:
        for name, kwargs in case_list:
            entry = {"framework": framework, "name": name, "kwargs": to_jsonable(kwargs)}
            missing = unknown_kwargs(ctor(name), kwargs)
            if missing:
                skipped.append({**entry, "reason": f"installed version has no kwarg(s) {missing}"})
                continue
            traj = runner(name, kwargs, theta0, grads)
            if traj.dtype != np.float64 or traj.shape != (T + 1, len(theta0)):
                raise RuntimeError(f"{framework} {name}: got {traj.dtype} {traj.shape}")
            cases.append({**entry, "trajectory": traj.tolist()})
    meta = {
        "torch": torch.__version__,
        "optax": optax.__version__,
        "jax": jax.__version__,
        "keras": keras.__version__,
        "created_by": "scripts/make_goldens.py",
        "dtype": "float64",
        "seed": SEED,
        "grad_scale": GRAD_SCALE,
        "theta0": list(theta0),
        "grads": grads.tolist(),
    }
    return {"meta": meta, "cases": cases, "skipped": skipped}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    data = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {len(data['cases'])} cases ({len(data['skipped'])} skipped) to {args.out}")


if __name__ == "__main__":
    main()
