"""Simulated moments against the exact theory, and the engine's bookkeeping."""
import numba
import numpy as np
import pytest

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import z_threshold, zscores


def _check_exact(res, prob, lr, B, metrics=("error_sq", "loss")):
    t = res.steps
    exact = {"error_sq": theory.sgd_error_sq(t, lr, prob.eigenvalues, prob.e0, prob.noise_var, B),
             "loss": theory.sgd_loss(t, lr, prob.eigenvalues, prob.e0, prob.noise_var, B)}
    zc = z_threshold(len(metrics) * (t.size - 1))
    for m in metrics:
        z = zscores(res.mean(m)[1:], res.sem(m)[1:], exact[m][1:])
        assert np.abs(z).max() < zc, (m, np.abs(z).max(), zc)
        assert res.mean(m)[0] == pytest.approx(exact[m][0], rel=1e-12)


def test_public_api_shapes():
    prob = ss.Quadratic(eigenvalues=np.linspace(0.1, 1.0, 100), noise_std=1.0, x0=1.0)
    res = ss.simulate(prob, ss.SGD(lr=0.1), runs=64, steps=50, batch_size=4, seed=0, record_every=7)
    assert res.steps.tolist() == [0, 7, 14, 21, 28, 35, 42, 49, 50]
    for m in ("error_sq", "loss"):
        assert res.mean(m).shape == res.sem(m).shape == res.var(m).shape == (9,)
        assert res.final(m).shape == (64,)
    assert res.diverged.shape == (9,) and res.diverged.sum() == 0
    assert res.theta.shape == (64, 100)
    assert res.meta["batch_size"] == 4 and res.meta["target"] == "cpu"
    assert ss.theory.noise_ball_bound(lr=0.1, M=100.0, mu=0.1, batch_size=4) == pytest.approx(0.1 * 100 / (0.4 * 1.99))
    with pytest.raises(ValueError, match="metric"):
        res.mean("accuracy")


@pytest.mark.parametrize("lr,B", [(0.3, 1), (0.8, 4), (1.9, 2)])
def test_sgd_matches_exact_moments(spread, lr, B):
    res = ss.simulate(spread, ss.SGD(lr), runs=4000, steps=150, batch_size=B, seed=1)
    _check_exact(res, spread, lr, B)


def test_rotated_problem_matches_exact():
    prob = ss.Quadratic(np.linspace(0.2, 1.0, 6), noise_std=np.linspace(0.5, 1.5, 6), x0=np.arange(6.0),
                        theta_star=0.5, rotation=3)
    assert np.allclose(prob.hessian, prob.hessian.T)
    assert np.allclose(np.linalg.eigvalsh(prob.hessian), np.linspace(0.2, 1.0, 6))
    res = ss.simulate(prob, ss.SGD(0.5), runs=4000, steps=120, batch_size=2, seed=2)
    _check_exact(res, prob, 0.5, 2)


def test_minibatch_average_matches_exact(spread):
    prob = ss.Quadratic(spread.eigenvalues, spread.noise_std, spread.x0, spread.theta_star, minibatch="average")
    res = ss.simulate(prob, ss.SGD(0.6), runs=3000, steps=80, batch_size=5, seed=3)
    _check_exact(res, prob, 0.6, 5)


def test_noise_free_sgd_is_gradient_descent():
    prob = ss.Quadratic(np.linspace(0.1, 1.0, 20), noise_std=0.0, x0=1.0)
    lr = theory.max_lr_for_bound(1.0, 0.1)
    res = ss.simulate(prob, ss.SGD(lr), runs=3, steps=100, seed=0)
    exact = theory.sgd_error_sq(res.steps, lr, prob.eigenvalues, prob.e0, 0.0)
    np.testing.assert_allclose(res.mean("error_sq"), exact, rtol=1e-10)
    assert np.all(res.sem("error_sq") == 0)
    expected_theta = (1 - lr * prob.eigenvalues) ** 100
    np.testing.assert_allclose(res.theta, np.broadcast_to(expected_theta, (3, 20)), rtol=1e-9, atol=1e-300)


def test_streamed_moments_equal_moments_of_final_values(spread):
    res = ss.simulate(spread, ss.SGD(0.4), runs=1000, steps=30, seed=4, record_every=30)
    for m in ("error_sq", "loss"):
        f = res.final(m)
        assert res.mean(m)[-1] == pytest.approx(f.mean(), rel=1e-12)
        assert res.var(m)[-1] == pytest.approx(f.var(ddof=1), rel=1e-10)
    assert res.count[-1] == 1000


def test_any_subset_of_runs_regenerates(spread):
    full = ss.simulate(spread, ss.SGD(0.4), runs=300, steps=40, seed=5)
    part = ss.simulate(spread, ss.SGD(0.4), runs=37, steps=40, seed=5, first_run=150)
    assert np.array_equal(part.theta, full.theta[150:187])
    assert np.array_equal(part.final("loss"), full.final("loss")[150:187])


def test_same_bits_whatever_the_thread_count(spread):
    before = numba.get_num_threads()
    out = []
    try:
        for threads in (1, 2, 1):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            r = ss.simulate(spread, ss.SGD(0.4), runs=700, steps=60, seed=6, record_every=3)
            out.append(np.concatenate([r.mean("error_sq"), r.var("error_sq"), r.mean("loss"), r.final("loss"),
                                       r.theta.ravel()]))
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(out[0], out[1]) and np.array_equal(out[0], out[2])
    other = ss.simulate(spread, ss.SGD(0.4), runs=700, steps=60, seed=7, record_every=3)
    assert not np.array_equal(other.final("loss"), r.final("loss"))


def test_diverging_runs_are_counted_not_averaged():
    # |1 - lr L| = 1.5: the error grows like 1.5^t and crosses the finite range at a run-dependent step
    prob = ss.Quadratic(np.array([1.0]), noise_std=1.0, x0=0.0)
    res = ss.simulate(prob, ss.SGD(2.5), runs=500, steps=700, seed=8)
    assert res.diverged[-1] == 500
    assert np.all(res.count + res.diverged == 500)
    partial = (res.diverged > 0) & (res.diverged < 500)
    assert partial.any(), "expected steps where only some runs have diverged"
    m = res.mean("error_sq")
    assert np.all(np.isfinite(m[res.count > 0]))
    assert np.all(np.isnan(m[res.count == 0]))
    assert np.all(np.diff(res.diverged) >= 0)
    assert not np.any(np.abs(res.final("error_sq")) <= 1e100)  # each run's value when it left the range


def test_progress_bar_can_be_forced(spread, capsys):
    res = ss.simulate(spread, ss.SGD(0.4), runs=10, steps=5, seed=0, progress=True)
    assert res.runs == 10
    assert "simulate" in capsys.readouterr().err


def test_chunk_merge_equals_pooled_moments():
    from simsgd.device.moments import merge, merge_tree

    rng = np.random.default_rng(0)
    sizes = [0, 5, 1, 17, 0, 9, 3]
    data = [rng.normal(2.0, 3.0, (k, 4, 2)) for k in sizes]
    count = np.zeros((len(sizes), 4))
    mean = np.zeros((len(sizes), 4, 2))
    m2 = np.zeros((len(sizes), 4, 2))
    for c, x in enumerate(data):  # each chunk's runs added one at a time, as the CPU target does
        for run in x:
            for k in range(4):
                for m in range(2):
                    _, mean[c, k, m], m2[c, k, m] = merge(count[c, k], mean[c, k, m], m2[c, k, m],
                                                          1.0, run[k, m], 0.0)
                count[c, k] += 1
    merge_tree(count, mean, m2)
    pooled = np.concatenate(data)
    assert count[0].tolist() == [sum(sizes)] * 4
    np.testing.assert_allclose(mean[0], pooled.mean(0), rtol=1e-13)
    np.testing.assert_allclose(m2[0], ((pooled - pooled.mean(0)) ** 2).sum(0), rtol=1e-12)


def test_random_starts_match_exact_moments(spread):
    # each run starts at x0 + s z from its own stream: E e_i(0)^2 = e0_i^2 + s^2, and the exact curve follows
    prob = ss.Quadratic(spread.eigenvalues, spread.noise_std, spread.x0, spread.theta_star, rotation=2, x0_spread=0.7)
    res = ss.simulate(prob, ss.SGD(0.5), runs=4000, steps=60, batch_size=2, seed=9, keep_theta=False)
    exact = theory.sgd_error_sq(res.steps, 0.5, prob.eigenvalues, np.sqrt(prob.e0_sq), prob.noise_var, 2)
    z = zscores(res.mean("error_sq"), res.sem("error_sq"), exact)
    assert np.abs(z).max() < z_threshold(z.size)
    assert res.sem("error_sq")[0] > 0  # the starts differ
    with pytest.raises(ValueError, match="theta was not kept.*keep_theta=True"):
        res.theta


def test_theta_is_kept_only_when_asked_or_small(spread, monkeypatch):
    from simsgd.engine import simulate as engine

    assert ss.simulate(spread, ss.SGD(0.1), runs=3, steps=2).theta.shape == (3, 8)
    monkeypatch.setattr(engine, "KEEP_THETA_BYTES", 8 * 8 * 3 - 1)
    with pytest.raises(ValueError, match="theta was not kept"):
        ss.simulate(spread, ss.SGD(0.1), runs=3, steps=2).theta
    assert ss.simulate(spread, ss.SGD(0.1), runs=3, steps=2, keep_theta=True).theta.shape == (3, 8)
