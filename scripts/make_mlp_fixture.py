"""Generate reference losses and gradients of small networks with PyTorch autograd.

Each case builds ``nn.Sequential`` from ``nn.Linear`` layers and an activation, loads a fixed flat
parameter vector into it in simsgd's documented layout (per layer the weight, row-major, then the
bias), and records the mean loss over a fixed dataset and its gradient flattened in the same
layout. Everything runs in float64. The result, ``tests/fixtures/mlp_autograd.json``, lets the
tests check the kernels' forward and backward passes without installing PyTorch.

To regenerate (PyTorch is not a project dependency)::

    pip install torch==2.13.0   # CPU build
    python scripts/make_mlp_fixture.py [--out PATH]
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float64)


class Power(nn.Module):
    def __init__(self, degree):
        super().__init__()
        self.degree = degree

    def forward(self, z):
        return z ** self.degree


def activation(name, elu_alpha, degree):
    return {"identity": nn.Identity(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(),
            "elu": nn.ELU(alpha=elu_alpha), "polynomial": Power(degree)}[name]


CASES = [  # widths, activation, loss, n, elu_alpha, degree
    ((1, 32, 1), "tanh", "mse", 16, 1.0, 2),
    ((2, 8, 8, 3), "relu", "cross_entropy", 12, 1.0, 2),
    ((3, 5, 1), "sigmoid", "cross_entropy", 10, 1.0, 2),
    ((2, 6, 4, 2), "elu", "mse", 9, 0.7, 2),
    ((1, 7, 1), "polynomial", "mse", 11, 1.0, 3),
    ((4, 3, 3, 3, 3, 2), "tanh", "cross_entropy", 8, 1.0, 2),
    ((2, 5, 3), "identity", "cross_entropy", 7, 1.0, 2),
    ((1, 2, 2, 2, 2, 1), "relu", "mse", 13, 1.0, 2),
]


def case(rng, widths, act, loss, n, elu_alpha, degree):
    layers = []
    for l, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if l < len(widths) - 2:
            layers.append(activation(act, elu_alpha, degree))
    net = nn.Sequential(*layers)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    dim = sum(m.weight.numel() + m.bias.numel() for m in linears)
    theta = rng.normal(scale=0.8, size=dim)
    X = rng.normal(size=(n, widths[0]))
    m = widths[-1]
    if loss == "mse":
        y = rng.normal(size=(n, m))
        target = torch.tensor(y)
        fn = nn.MSELoss()
    elif m == 1:
        y = rng.integers(0, 2, n).astype(float)
        target = torch.tensor(y).reshape(n, 1)
        fn = nn.BCEWithLogitsLoss()
    else:
        y = rng.integers(0, m, n).astype(float)
        target = torch.tensor(y, dtype=torch.long)
        fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        par = 0
        for lin in linears:
            for p in (lin.weight, lin.bias):
                p.copy_(torch.tensor(theta[par:par + p.numel()]).reshape(p.shape))
                par += p.numel()
    value = fn(net(torch.tensor(X)), target)
    value.backward()
    grad = np.concatenate([p.grad.numpy().ravel() for lin in linears for p in (lin.weight, lin.bias)])
    return {"widths": list(widths), "activation": act, "loss": loss, "elu_alpha": elu_alpha, "degree": degree,
            "X": X.tolist(), "y": y.tolist(), "theta": theta.tolist(), "value": value.item(),
            "grad": grad.tolist()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mlp_autograd.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(20261129)
    cases = [case(rng, *c) for c in CASES]
    Path(args.out).write_text(json.dumps({"torch": torch.__version__, "dtype": "float64", "cases": cases}) + "\n")
    print(f"{len(cases)} cases written to {args.out}")


if __name__ == "__main__":
    main()
