"""Registries: a problem or rule is its own module plus one registry line; anything unregistered is refused."""
import numpy as np
import pytest

import quartic
import simsgd as ss
from simsgd.engine.statistics import z_threshold, zscores


@pytest.fixture
def no_compile(monkeypatch):
    from simsgd.device import loop
    from simsgd.targets import cpu

    monkeypatch.setattr(cpu, "driver", lambda pair: pytest.fail("compiled for an unregistered class"))
    monkeypatch.setattr(loop, "specialise", lambda *a, **k: pytest.fail("compiled for an unregistered class"))


def test_an_unregistered_subclass_is_refused_before_compiling(no_compile):
    class Faster(ss.SGD):  # same kernels, but nobody registered it: it must not run as if it were SGD
        pass

    with pytest.raises(ValueError, match=r"optimizer class .*Faster is not registered: register it with "
                                         r"simsgd.register_optimizer\(Faster\)"):
        ss.simulate(ss.Quadratic([1.0]), Faster(0.1), runs=2, steps=2)
    with pytest.raises(ValueError, match="not registered"):
        ss.replay(Faster(0.1), 0.0, np.ones((2, 1)))

    class Bowl(quartic.Quartic):
        pass

    with pytest.raises(ValueError, match=r"problem class .*Bowl is not registered"):
        ss.simulate(Bowl([1.0]), ss.SGD(0.1), runs=2, steps=2)


def test_registration_checks_the_contract():
    class NoKernels(ss.Optimizer):
        pass

    with pytest.raises(ValueError, match=r"NoKernels.kernels must be OptimizerKernels"):
        ss.register_optimizer(NoKernels)

    class PlainStep(ss.Optimizer):
        kernels = ss.OptimizerKernels(step=lambda *a: None)
        hyper = ss.names("lr")

    with pytest.raises(ValueError, match=r"PlainStep.kernels.step must be compiled with simsgd.kernel"):
        ss.register_optimizer(PlainStep)
    with pytest.raises(ValueError, match=r"a problem must be a subclass of simsgd.Problem"):
        ss.register_problem(int)
    with pytest.raises(ValueError, match=r"optimizer name 'sgd' is taken"):
        ss.register_optimizer(type("SGD", (ss.SGD,), {}))
    assert ss.register_problem(quartic.Quartic) is quartic.Quartic  # registering again is harmless
    assert list(ss.OPTIMIZERS)[0] is ss.SGD and len(ss.OPTIMIZERS) >= 11


def test_names_are_positions():
    h = ss.names("lr", "b1", "b2")
    assert (h.lr, h.b1, h.b2) == (0, 1, 2) and h._fields == ("lr", "b1", "b2")
    adam = ss.Adam(0.1, b2=0.99, eps_placement="outside", amsgrad=True)
    assert adam.hyper_values()[ss.Adam.hyper.b2] == 0.99
    assert adam.option_values()[ss.Adam.options.eps_mode] == 1 and adam.n_state == 3


def test_layout_packs_named_fields():
    lay = ss.Layout(floats=("a", "b"), ints=("n", "k"))
    fd, idata = lay.pack(np.float32, a=[1.0, 2.0, 3.0], b=np.eye(2), n=5, k=7)
    assert fd.dtype == np.float32 and idata.dtype == np.int64
    assert fd[idata[lay.F.a]:idata[lay.F.a + 1]].tolist() == [1, 2, 3]
    assert fd[idata[lay.F.b]:idata[lay.F.b + 1]].tolist() == [1, 0, 0, 1]
    assert idata[lay.I.n] == 5 and idata[lay.I.k] == 7
    with pytest.raises(ValueError, match=r"missing \['k'\]"):
        lay.pack(a=1.0, b=2.0, n=1)


def test_quartic_gradient_descent_is_the_exact_iteration():
    c = np.array([0.5, 1.0, 2.0])
    prob = quartic.Quartic(c, noise_std=0.0, x0=[1.0, -0.5, 0.8])
    r = ss.simulate(prob, ss.SGD(0.3), runs=2, steps=50, record_every=10, keep_theta=True)
    x = prob.x0.copy()
    for _ in range(50):
        x = x - 0.3 * c * x**3
    np.testing.assert_allclose(r.theta, np.broadcast_to(x, (2, 3)), rtol=1e-13)
    np.testing.assert_allclose(r.final("loss"), (0.25 * c * x**4).sum(), rtol=1e-12)


def test_quartic_noise_has_the_stated_moments():
    # one step from x0: x1 = x0 - lr (c x0^3 + sigma z), so E||x1||^2 = ||x0 - lr c x0^3||^2 + lr^2 ||sigma||^2
    c, s, x0, lr = np.array([0.5, 1.0, 2.0]), np.array([0.3, 0.6, 0.9]), np.array([1.0, -0.5, 0.8]), 0.2
    r = ss.simulate(quartic.Quartic(c, s, x0), ss.SGD(lr), runs=20_000, steps=1, seed=4)
    exact = np.sum((x0 - lr * c * x0**3) ** 2) + lr**2 * np.sum(s**2)
    assert abs(zscores(r.mean("error_sq")[1], r.sem("error_sq")[1], exact)) < z_threshold(1)
