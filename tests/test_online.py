"""The projected online problem of Reddi et al. and the lr / sqrt(t) schedule."""
import numpy as np
import pytest

import simsgd as ss


def _adam(amsgrad, b1=0.0, b2=0.1):
    return ss.Adam(0.5, b1, b2, 1e-8, bias_correction=False, eps_placement="outside", amsgrad=amsgrad,
                   lr_sqrt_decay=True)


def test_deterministic_counterexample():
    prob = ss.OnlineLinear(stochastic=False, C=3.0)
    adam = ss.simulate(prob, _adam(False), runs=1, steps=600, progress=False)
    ams = ss.simulate(prob, _adam(True), runs=1, steps=600, progress=False)
    assert adam.theta[0, 0] == 1.0  # pinned at the worst point by the projection
    assert ams.theta[0, 0] < -0.9
    assert np.all(np.abs(adam.theta) <= 1.0)


def test_cyclic_gradients_and_projection_replayed_by_hand():
    # t = 1: gradient C = 3, so with b1 = 0, v_1 = (1 - b2) 9 and the step is lr * 3 / sqrt(0.9 * 9)
    prob = ss.OnlineLinear(stochastic=False, C=3.0, x0=0.0)
    r = ss.simulate(prob, _adam(False), runs=1, steps=1, progress=False)
    assert r.theta[0, 0] == pytest.approx(-0.5 * 3 / (np.sqrt(0.9 * 9) + 1e-8), rel=1e-12)
    big = ss.simulate(prob, ss.SGD(10.0), runs=1, steps=1, progress=False)
    assert big.theta[0, 0] == -1.0  # projected back onto the box


def test_stochastic_gradients_have_the_stated_mixture():
    prob = ss.OnlineLinear(stochastic=True)
    # SGD from 0 with a tiny rate: x_T = -lr * sum of gradients, whose mean is 0.2 T
    r = ss.simulate(prob, ss.SGD(1e-7), runs=2000, steps=200, progress=False)
    sums = -r.theta[:, 0] / 1e-7
    se = np.sqrt(200 * (0.01 * 1010**2 + 0.99 * 10**2 - 0.2**2) / 2000)
    assert abs(sums.mean() - 0.2 * 200) < 5 * se


@pytest.mark.parametrize("kw,pattern", [({"C": 2.0}, r"C must be"), ({"p": 1.0}, r"p must be"),
                                        ({"box": 0.0}, r"box must be"), ({"x0": 2.0}, r"x0 must be"),
                                        ({"stochastic": True, "big": 1.0}, r"must be > 0")])
def test_bad_parameters(kw, pattern):
    with pytest.raises(ValueError, match=pattern):
        ss.OnlineLinear(**kw)


def test_batch_size_other_than_one_is_refused():
    with pytest.raises(ValueError, match="batch_size must be 1"):
        ss.simulate(ss.OnlineLinear(), ss.SGD(0.1), runs=2, steps=2, batch_size=2)
