"""SigmoidNeuron: its gradient and loss against NumPy, its log-uniform starts, and the checks of bad input."""
import numpy as np
import pytest

import simsgd as ss


def _neuron(**kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    return ss.SigmoidNeuron(X, rng.uniform(0.1, 0.9, 12), **kw)


def test_one_full_batch_step_is_numpy_gradient_descent():
    prob = _neuron(sampling="epochs", x0=[0.3, -0.2, 1.5])
    res = ss.simulate(prob, ss.SGD(0.7), runs=2, steps=1, batch_size=12, keep_theta=True, progress=False)
    want = prob.x0 - 0.7 * prob.grad_at(prob.x0)
    np.testing.assert_allclose(res.theta[0], want, rtol=1e-13)
    assert res.final("loss")[0] == pytest.approx(prob.loss_at(want), rel=1e-13)


def test_numpy_gradient_is_the_derivative_of_the_loss():
    prob = _neuron()
    w = np.array([0.4, -1.1, 0.8])
    h = 1e-6
    fd = [(prob.loss_at(w + h * e) - prob.loss_at(w - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(prob.grad_at(w), fd, rtol=1e-7, atol=1e-10)


def test_log_uniform_starts_cover_the_range():
    prob = _neuron(log10_range=(-1.0, 3.0))
    res = ss.simulate(prob, ss.SGD(1e-300), runs=2000, steps=1, keep_theta=True, seed=4, progress=False)
    u = np.log10(res.theta).ravel()
    assert u.min() >= -1.0 and u.max() < 3.0
    # U(-1, 3): mean 1, variance 16/12; 6000 draws
    assert abs(u.mean() - 1.0) < 5 * np.sqrt(16 / 12 / u.size) and abs(u.var() - 16 / 12) < 0.1


@pytest.mark.parametrize("kw,pattern", [
    ({"y": np.full(12, 1.5)}, r"y must hold targets in \[0, 1\]"),
    ({"log10_range": (2.0, 1.0)}, r"log10_range must be \(lo, hi\) with lo <= hi"),
    ({"log10_range": (1.0,)}, r"log10_range must be a scalar or have shape \(2,\)"),
    ({"x0": [1.0, 2.0]}, r"x0 must be a scalar or have shape \(3,\)"),
])
def test_bad_input_names_the_parameter(kw, pattern):
    args = {"X": np.ones((12, 3)), "y": np.full(12, 0.5), **kw}
    with pytest.raises(ValueError, match=pattern):
        ss.SigmoidNeuron(**args)
