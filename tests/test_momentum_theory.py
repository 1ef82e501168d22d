"""Momentum theory against direct recursion and against simulation."""
import numpy as np
import pytest

import simsgd as ss
from simsgd.engine.statistics import z_threshold, zscores
from simsgd.theory import momentum as tm

LAM = np.linspace(0.1, 1.0, 5)


def test_optimal_heavy_ball_rate_is_the_spectral_radius():
    lr, beta, rate = tm.optimal_heavy_ball(1.0, 0.1)
    k = 10.0
    assert rate == pytest.approx((np.sqrt(k) - 1) / (np.sqrt(k) + 1))
    # heavy ball (lr, beta) is EWMA momentum with lr / (1 - beta), b1 = beta
    assert tm.momentum_rate(lr / (1 - beta), beta, LAM) == pytest.approx(rate, rel=1e-6)
    assert tm.momentum_rate(lr / (1 - beta), beta, LAM) < ss.theory.gd_rate(2 / 1.1, LAM)


def test_effective_rates():
    assert tm.momentum_effective_lr(0.1, 0.9) == pytest.approx(0.01)
    assert tm.momentum_effective_lr(0.1, 0.9, t=1, bias_correction=True) == pytest.approx(0.1)
    assert tm.momentum_effective_lr(0.1, 0.9, t=1000, bias_correction=True) == pytest.approx(0.01)


def test_limit_is_the_long_run_of_the_recursion():
    lim = tm.momentum_error_sq_limit(0.5, 0.9, LAM, 1.0, 2)
    assert lim == pytest.approx(tm.momentum_error_sq(4000, 0.5, 0.9, LAM, 1.0, 1.0, 2)[-1], rel=1e-10)
    assert tm.momentum_error_sq_limit(50.0, 0.9, LAM, 1.0) == np.inf


@pytest.mark.parametrize("opt,args", [
    (ss.HeavyBall(0.3, 0.8), dict(lr=0.3 / 0.2, b1=0.8)),
    (ss.Momentum(0.5, 0.9), dict(lr=0.5, b1=0.9)),
    (ss.Momentum(0.5, 0.9, bias_correction=True), dict(lr=0.5, b1=0.9, bias_correction=True)),
    (ss.Nesterov(0.5, 0.9), dict(lr=0.5, b1=0.9, nesterov=True)),
], ids=["heavy_ball", "ewma", "ewma_corrected", "nesterov_lookahead"])
def test_exact_second_moments_match_simulation(opt, args):
    prob = ss.Quadratic(LAM, noise_std=np.linspace(0.5, 1.5, 5), x0=1.0)
    r = ss.simulate(prob, opt, runs=4000, steps=150, batch_size=2, seed=3, progress=False)
    ex = tm.momentum_error_sq(150, eigenvalues=LAM, e0=prob.e0, noise_var=prob.noise_var, batch_size=2, **args)
    z = zscores(r.mean("error_sq")[1:], r.sem("error_sq")[1:], ex[1:])
    assert np.abs(z).max() < z_threshold(z.size)


def test_nesterov_lookahead_damps_the_stiff_direction():
    # at a high rate the look-ahead gradient makes the stiff direction contract where classical momentum does not
    lam = np.array([0.01, 1.0])
    assert tm.momentum_rate(3.0, 0.9, lam, nesterov=True) < tm.momentum_rate(3.0, 0.9, lam)


def test_lookahead_replay_is_the_momentum_update():
    # given gradients, the look-ahead changes only where they are taken
    g = np.random.default_rng(0).normal(size=(6, 3))
    np.testing.assert_array_equal(ss.replay(ss.Nesterov(0.1, 0.9), 1.0, g), ss.replay(ss.Momentum(0.1, 0.9), 1.0, g))


def test_momentum_tracks_sgd_at_lr_not_at_the_lectures_effective_rate():
    # identities behind momentum_ewma's C19 verdict, kept here: exact curves only
    lam, e0 = np.linspace(0.1, 1.0, 20), np.full(20, 10.0)
    T = 3000
    mom = tm.momentum_error_sq(T, 0.01, 0.9, lam, e0, 1.0)
    sgd = ss.theory.sgd_error_sq(np.arange(T + 1), 0.01, lam, e0, 1.0)
    damped = ss.theory.sgd_error_sq(np.arange(T + 1), 0.001, lam, e0, 1.0)
    assert np.max(np.abs(mom / sgd - 1)) < 0.1
    assert np.max(np.abs(mom / damped - 1)) > 0.5
    # at a high rate the same-lr ball is smaller, yet at a matched ball the transient is slower
    assert tm.momentum_error_sq_limit(0.8, 0.9, lam, 1.0) < ss.theory.sgd_error_sq_limit(0.8, lam, 1.0)
