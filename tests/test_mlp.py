"""MLP: the kernels' forward and backward passes against PyTorch autograd and finite differences, the
initialisations, the metrics, and the checks of bad input."""
import json
from pathlib import Path

import numpy as np
import pytest

import simsgd as ss
from simsgd.problems.mlp import ACTIVATIONS

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "mlp_autograd.json").read_text())


def _net(widths=(2, 4, 3, 1), activation="tanh", loss="mse", n=9, seed=0, **kw):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, widths[0]))
    m = widths[-1]
    y = rng.normal(size=(n, m)) if loss == "mse" else rng.integers(0, max(m, 2), n).astype(float)
    return ss.MLP(widths, activation, X, y, loss=loss, **kw)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: f"{c['widths']}-{c['activation']}-{c['loss']}")
def test_loss_and_gradient_match_pytorch_autograd(case):
    mlp = ss.MLP(case["widths"], case["activation"], np.array(case["X"]), np.array(case["y"]), loss=case["loss"],
                 elu_alpha=case["elu_alpha"], degree=case["degree"])
    loss, g = mlp.loss_and_grad(case["theta"])
    assert loss == pytest.approx(case["value"], rel=1e-10)
    np.testing.assert_allclose(g, case["grad"], rtol=1e-10, atol=1e-10 * np.abs(case["grad"]).max())


def test_fixture_covers_every_activation_and_loss():
    assert {c["activation"] for c in FIXTURE["cases"]} == set(ACTIVATIONS)
    assert {(c["loss"], c["widths"][-1] > 1) for c in FIXTURE["cases"]} == {
        ("mse", False), ("mse", True), ("cross_entropy", False), ("cross_entropy", True)}


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss,outputs", [("mse", 2), ("cross_entropy", 1), ("cross_entropy", 3)])
def test_backward_pass_equals_central_differences(activation, loss, outputs):
    mlp = _net((3, 4, 5, outputs), activation, loss, n=7, degree=3, elu_alpha=0.6)
    theta = np.random.default_rng(1).normal(size=mlp.dim)
    _, g = mlp.loss_and_grad(theta)
    h = 1e-6
    fd = np.array([(mlp.loss_and_grad(theta + h * e)[0] - mlp.loss_and_grad(theta - h * e)[0]) / (2 * h)
                   for e in np.eye(mlp.dim)])
    # central differences err by O(h^2 f''') + O(eps f / h): 1e-7 of the largest entry covers both here
    np.testing.assert_allclose(g, fd, rtol=0, atol=1e-7 * np.abs(g).max())


def test_activations_and_derivatives_match_closed_forms():
    z = np.linspace(-6, 6, 241)
    closed = {"identity": (z, np.ones_like(z)),
              "sigmoid": (1 / (1 + np.exp(-z)), np.exp(-z) / (1 + np.exp(-z)) ** 2),
              "tanh": (np.tanh(z), 1 / np.cosh(z) ** 2),
              "relu": (np.maximum(z, 0), (z > 0).astype(float)),
              "elu": (np.where(z > 0, z, 0.5 * np.expm1(z)), np.where(z > 0, 1.0, 0.5 * np.exp(z))),
              "polynomial": (z ** 3, 3 * z ** 2)}
    for name, (a, d) in closed.items():
        ka, kd = ss.activation(name, z, alpha=0.5, degree=3)
        np.testing.assert_allclose(ka, a, rtol=1e-14, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(kd, d, rtol=1e-13, atol=1e-15, err_msg=name)


def test_layout_follows_nn_linear_and_predict_is_the_forward_pass():
    mlp = _net((2, 3, 2), "relu", n=5)
    theta = np.arange(mlp.dim, dtype=float) / 10 - 0.7
    (W1, b1), (W2, b2) = mlp.layers(theta)
    assert W1.shape == (3, 2) and b1.shape == (3,) and W2.shape == (2, 3) and b2.shape == (2,)
    assert W1[1, 0] == theta[2] and b1[0] == theta[6] and W2[0, 0] == theta[9] and b2[1] == theta[16]
    f = np.maximum(mlp.X @ W1.T + b1, 0) @ W2.T + b2
    np.testing.assert_allclose(mlp.predict(theta, mlp.X)[0], f, rtol=1e-14)
    assert mlp.loss_and_grad(theta)[0] == pytest.approx(np.mean((f - mlp.y) ** 2), rel=1e-14)


@pytest.mark.parametrize("init", ["pytorch", "he", "glorot"])
def test_each_run_draws_its_own_initialisation_with_the_stated_variance(init):
    mlp = _net((3, 40, 10), "relu", init=init)
    res = ss.simulate(mlp, ss.SGD(lr=1e-300), runs=400, steps=1, seed=5, keep_theta=True, progress=False)
    (W1, b1), (W2, b2) = mlp.layers(res.theta)  # each (runs, rows, cols)
    var = {"pytorch": (1 / 9, 1 / 120), "he": (2 / 3, 2 / 40), "glorot": (2 / 43, 2 / 50)}[init]
    for W, v in zip((W1, W2), var):
        # a uniform's fourth moment is 9/5 sigma^4, a normal's 3 sigma^4: the sample variance's standard error
        se = v * np.sqrt(((9 / 5 if init == "pytorch" else 3) - 1) / W.size)
        assert abs(np.mean(W ** 2) - v) < 5 * se, (init, np.mean(W ** 2), v)
    # one step at a rate of 1e-300 moves nothing by more than 1e-290 (the start is the init)
    assert np.abs(b1).max() <= 1 / np.sqrt(3) and (np.abs(b1).max() < 1e-290) == (init != "pytorch")
    assert np.unique(res.theta[:, 0]).size == 400  # every run its own network
    again = ss.simulate(mlp, ss.SGD(lr=1e-300), runs=3, steps=1, seed=5, first_run=2, keep_theta=True, progress=False)
    np.testing.assert_array_equal(again.theta[0], res.theta[2])


def test_a_given_initial_vector_is_every_runs_start():
    mlp0 = _net((1, 5, 1))
    theta0 = np.linspace(-1, 1, mlp0.dim)
    mlp = _net((1, 5, 1), init=theta0)
    res = ss.simulate(mlp, ss.SGD(lr=1e-300), runs=4, steps=1, keep_theta=True, progress=False)
    np.testing.assert_allclose(res.theta, np.tile(theta0, (4, 1)), rtol=1e-12)


def test_training_reduces_the_loss_and_records_the_metrics_per_step():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)  # XOR-like quadrants: no linear model separates them
    mlp = ss.MLP((2, 16, 2), "tanh", X, y, loss="cross_entropy", X_test=X[:16] * 0.9, y_test=y[:16],
                 sampling="epochs")
    assert mlp.metrics == ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
    res = ss.simulate(mlp, ss.Adam(lr=0.03), runs=32, steps=600, batch_size=8, seed=1, record_every=100,
                      progress=False)
    assert res.mean("train_loss")[0] > 0.6 and res.mean("train_loss")[-1] < 0.3
    assert res.mean("train_accuracy")[-1] > 0.9 and res.mean("test_accuracy")[-1] > 0.85
    assert np.all(res.sem("train_loss") > 0) and res.final("train_loss").shape == (32,)
    theta = ss.simulate(mlp, ss.Adam(lr=0.03), runs=2, steps=600, batch_size=8, seed=1, keep_theta=True,
                        progress=False).theta
    loss, _ = mlp.loss_and_grad(theta[1])
    assert res.final("train_loss")[1] == pytest.approx(loss, rel=1e-12)


def test_diverging_networks_are_counted_not_averaged():
    mlp = _net((1, 8, 1), "polynomial", degree=3, n=20)
    res = ss.simulate(mlp, ss.SGD(lr=5.0), runs=16, steps=50, seed=0, progress=False)
    assert res.diverged[-1] > 0 and np.all(np.isfinite(res.mean("train_loss")[res.count > 0]))


@pytest.mark.parametrize("kw,pattern", [
    ({"widths": (3,)}, r"widths must hold 2 to 17 integers >= 1"),
    ({"widths": (2, 0, 1)}, r"widths must hold 2 to 17 integers >= 1"),
    ({"widths": (2,) * 18 + (1,)}, r"widths must hold 2 to 17"),
    ({"widths": (2, 2.5, 1)}, r"widths must hold"),
    ({"activation": "swish"}, r"activation must be one of 'identity', 'sigmoid'"),
    ({"loss": "hinge"}, r"loss must be one of 'mse', 'cross_entropy'"),
    ({"X": np.zeros((5, 3))}, r"X must have widths\[0\] = 2 columns"),
    ({"y": np.zeros(4)}, r"y must have shape \(5,\)"),
    ({"loss": "cross_entropy", "y": np.array([0, 1, 2, 1, 0.0])}, r"y must hold class labels 0..1"),
    ({"loss": "cross_entropy", "widths": (2, 3, 3), "y": np.array([0, 1, 2, 1, 0.5])}, r"labels 0..2"),
    ({"init": np.zeros(7)}, r"init as a vector must have shape \(9,\)"),
    ({"init": "xavier"}, r"init must be one of"),
    ({"elu_alpha": 0.0}, r"elu_alpha must be"),
    ({"degree": 0}, r"degree must be an integer >= 1"),
    ({"X_test": np.zeros((2, 2))}, r"X_test and y_test must be given together"),
    ({"X_test": np.zeros((2, 1)), "y_test": np.zeros(2)}, r"X_test must have widths\[0\] = 2 columns"),
    ({"sampling": "shuffle"}, r"sampling must be one of"),
])
def test_bad_input_names_the_parameter(kw, pattern):
    args = {"widths": (2, 2, 1), "X": np.ones((5, 2)), "y": np.zeros(5), **kw}
    with pytest.raises(ValueError, match=pattern):
        ss.MLP(**args)


def test_epochs_need_a_batch_no_larger_than_the_data():
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, n = 9\]"):
        ss.simulate(_net(sampling="epochs"), ss.SGD(0.1), runs=2, steps=2, batch_size=10)
