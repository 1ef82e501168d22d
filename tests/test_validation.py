"""Bad input: a ValueError naming the parameter and its valid range, before any kernel runs."""
import numpy as np
import pytest

import simsgd as ss
from simsgd.targets import cpu


@pytest.fixture(autouse=True)
def no_kernel(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("a kernel ran on invalid input")

    monkeypatch.setattr(cpu, "run", boom)
    monkeypatch.setattr(cpu, "driver", boom)


@pytest.mark.parametrize("lr", [0, -0.1, np.nan, np.inf, "0.1", True, None])
def test_learning_rate(lr):
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0"):
        ss.SGD(lr)


PROB = dict(eigenvalues=[0.5, 1.0], noise_std=1.0, x0=1.0)


@pytest.mark.parametrize("kw,pattern", [
    ({"eigenvalues": [0.0, 1.0]}, r"eigenvalues must be > 0"),
    ({"eigenvalues": [-1.0]}, r"eigenvalues must be > 0"),
    ({"eigenvalues": []}, r"eigenvalues must be a 1-d array with at least 1 entry"),
    ({"eigenvalues": [[1.0, 2.0]]}, r"eigenvalues must be a 1-d array"),
    ({"eigenvalues": [1.0, np.inf]}, r"eigenvalues must be finite"),
    ({"noise_std": -1.0}, r"noise_std must be >= 0"),
    ({"noise_std": [1.0, 1.0, 1.0]}, r"noise_std must be a scalar or have shape \(2,\)"),
    ({"x0": [1.0, 2.0, 3.0]}, r"x0 must be a scalar or have shape \(2,\)"),
    ({"x0": np.nan}, r"x0 must be finite"),
    ({"theta_star": np.ones(3)}, r"theta_star must be a scalar or have shape \(2,\)"),
    ({"rotation": np.ones((2, 2))}, r"rotation must be orthogonal"),
    ({"rotation": np.eye(3)}, r"rotation must be None, an int seed, or shape \(2, 2\)"),
    ({"minibatch": "sum"}, r"minibatch must be one of 'scaled', 'average'"),
])
def test_quadratic(kw, pattern):
    with pytest.raises(ValueError, match=pattern):
        ss.Quadratic(**{**PROB, **kw})


@pytest.mark.parametrize("kw,pattern", [
    ({"runs": 0}, r"runs must be an integer >= 1"),
    ({"runs": 2.5}, r"runs must be an integer >= 1"),
    ({"steps": 0}, r"steps must be an integer >= 1"),
    ({"batch_size": 0}, r"batch_size must be an integer >= 1"),
    ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*64\)"),
    ({"seed": 2**64}, r"seed must be an integer in \[0, 2\*\*64\)"),
    ({"target": "gpu"}, r"target must be one of 'cpu', 'cuda'"),
    ({"dtype": "float16"}, r"dtype must be one of 'float64', 'float32'"),
    ({"dtype": np.int32}, r"dtype must be one of 'float64', 'float32'"),
    ({"record_every": 0}, r"record_every must be an integer >= 1"),
    ({"first_run": -3}, r"first_run must be an integer >= 0"),
    ({"problem": "quadratic"}, r"problem must be a simsgd problem"),
    ({"optimizer": "sgd"}, r"optimizer must be a simsgd optimizer"),
])
def test_simulate(kw, pattern):
    args = {"problem": ss.Quadratic(**PROB), "optimizer": ss.SGD(0.1), "runs": 10, "steps": 5, **kw}
    with pytest.raises(ValueError, match=pattern):
        ss.simulate(**args)
