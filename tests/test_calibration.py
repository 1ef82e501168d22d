"""The standard errors behind every verdict are right: pooled z^2 over independent curves is about 1."""
import numpy as np
import pytest

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import calibration
from simsgd.theory import momentum as tm

LAM = np.linspace(0.1, 1.0, 4)
PROB = ss.Quadratic(LAM, noise_std=[0.5, 1.0, 1.0, 2.0], x0=1.0)
STEPS, RUNS, CURVES = 40, 200, 150


def _z_final(opt, exact, batch_size=1):
    """z of the final mean against the exact value, one per disjoint block of runs (independent curves)."""
    z = []
    for k in range(CURVES):
        r = ss.simulate(PROB, opt, runs=RUNS, steps=STEPS, batch_size=batch_size, seed=11, first_run=k * RUNS,
                        record_every=STEPS, progress=False)
        z.append((r.mean("error_sq")[-1] - exact) / r.sem("error_sq")[-1])
    return np.array(z)


@pytest.fixture(scope="module")
def pooled():
    cases = {
        "sgd": (ss.SGD(0.3), theory.sgd_error_sq(STEPS, 0.3, LAM, PROB.e0, PROB.noise_var), 1),
        "sgd_minibatch": (ss.SGD(0.3), theory.sgd_error_sq(STEPS, 0.3, LAM, PROB.e0, PROB.noise_var, 4), 4),
        "momentum": (ss.Momentum(0.5, 0.9), tm.momentum_error_sq(STEPS, 0.5, 0.9, LAM, PROB.e0, PROB.noise_var)[-1], 1),
    }
    return {k: _z_final(opt, ex, B) for k, (opt, ex, B) in cases.items()}


def test_pooled_z_squared_is_about_one(pooled):
    z = np.concatenate(list(pooled.values()))
    mean_z2, (lo, hi) = calibration(z)
    assert lo < mean_z2 < hi, (mean_z2, lo, hi)
    for name, zz in pooled.items():
        m, (lo, hi) = calibration(zz)
        assert lo < m < hi, (name, m, lo, hi)


def test_calibration_sees_wrong_errors(pooled):
    z = np.concatenate(list(pooled.values()))
    assert calibration(z / 0.8)[0] > calibration(z / 0.8)[1][1]  # standard errors 20% too small
    # blocks of runs overlapping by three quarters are not independent: their differences are too small
    ex = theory.sgd_error_sq(STEPS, 0.3, LAM, PROB.e0, PROB.noise_var)
    means, sems = [], []
    for k in range(60):
        r = ss.simulate(PROB, ss.SGD(0.3), runs=RUNS, steps=STEPS, seed=11, first_run=k * (RUNS // 4),
                        record_every=STEPS, progress=False)
        means.append(r.mean("error_sq")[-1])
        sems.append(r.sem("error_sq")[-1])
    d = np.diff(means) / np.hypot(sems[1:], sems[:-1])
    assert calibration(d)[0] < calibration(d)[1][0]
    assert calibration((np.array(means[::4]) - ex) / np.array(sems[::4]))[0] < 3  # disjoint ones are fine
