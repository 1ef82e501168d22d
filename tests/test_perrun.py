"""Per-run statistics counted in the kernels: first passages, histograms and trajectories.

The counts are checked against the same runs' trajectories (kept for every run), against a
NumPy recomputation of the runs, and first passages against the exact time of a noise-free run.
"""
import numpy as np
import pytest

import simsgd as ss
from simsgd.engine.statistics import z_threshold, zscores

PROB = ss.Quadratic(np.array([0.2, 1.0]), noise_std=0.5, x0=2.0)


def _run(**kw):
    return ss.simulate(PROB, ss.SGD(0.1), runs=500, steps=120, seed=4, record_every=3, progress=False,
                       hitting={"error_sq": [1.0, 0.3, 1e-9]}, histogram={"loss": np.geomspace(1e-3, 10, 30)},
                       trajectories=500, **kw)


def test_counts_equal_the_trajectories():
    r = _run()
    err, loss = r.trajectories("error_sq"), r.trajectories("loss")
    assert err.shape == (500, r.steps.size) and np.isfinite(err).all()
    np.testing.assert_array_equal(err[:, -1], r.final("error_sq"))
    np.testing.assert_allclose(err.mean(axis=0), r.mean("error_sq"), rtol=1e-12)
    for target in (1.0, 0.3, 1e-9):
        h = r.hitting("error_sq", target)
        below = err <= target
        first = np.where(below.any(axis=1), below.argmax(axis=1), -1)
        expect = np.array([(first == k).sum() for k in range(r.steps.size)])
        np.testing.assert_array_equal(h.first, expect)
        assert h.never == (first < 0).sum()
    assert r.hitting("error_sq", 1e-9).never == 500 and r.hitting("error_sq", 1.0).never < 500
    hist = r.histogram("loss")
    edges = np.geomspace(1e-3, 10, 30)
    for k in (0, 5, r.steps.size - 1):
        expect = np.bincount(np.searchsorted(edges, loss[:, k], side="right"), minlength=edges.size + 1)
        np.testing.assert_array_equal(hist.counts[k], expect)
    q = r.quantile("loss", 0.5)
    med = np.median(loss, axis=0)
    inside = np.isfinite(q)
    assert inside[-1]
    # linear within a bin: the median lies in the same bin as the exact one
    np.testing.assert_array_equal(np.searchsorted(edges, q[inside]), np.searchsorted(edges, med[inside]))


def test_counts_do_not_depend_on_threads_or_kept_trajectories():
    import numba

    a = _run()
    b = ss.simulate(PROB, ss.SGD(0.1), runs=500, steps=120, seed=4, record_every=3, progress=False,
                    hitting={"error_sq": [1.0, 0.3, 1e-9]}, histogram={"loss": np.geomspace(1e-3, 10, 30)})
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        c = _run()
    finally:
        numba.set_num_threads(old)
    for other in (b, c):
        np.testing.assert_array_equal(a.hitting("error_sq", 0.3).first, other.hitting("error_sq", 0.3).first)
        np.testing.assert_array_equal(a.histogram("loss").counts, other.histogram("loss").counts)
        np.testing.assert_array_equal(a.mean("loss"), other.mean("loss"))


def test_noise_free_first_passage_is_exact():
    # GD on lambda = 1, lr = 0.1 from e0: error_sq = (0.9^t)^2 e0^2 first <= target at t* = ceil(log(target/e0^2)/(2 log 0.9))
    prob = ss.Quadratic(np.array([1.0]), noise_std=0.0, x0=3.0)
    target = 1e-4
    r = ss.simulate(prob, ss.SGD(0.1), runs=7, steps=200, progress=False, hitting={"error_sq": target})
    t_star = int(np.ceil(np.log(target / 9.0) / (2 * np.log(0.9))))
    h = r.hitting("error_sq", target)
    assert h.first[t_star] == 7 and h.first.sum() == 7 and h.quantile(0.5) == t_star
    assert h.mean() == (t_star, 0.0, 0)


def test_diverged_runs_never_hit_and_leave_the_histogram():
    prob = ss.Quadratic(np.array([1.0]), noise_std=1.0, x0=0.0)
    r = ss.simulate(prob, ss.SGD(2.5), runs=64, steps=700, seed=8, record_every=35, progress=False,
                    hitting={"loss": [-1.0]}, histogram={"loss": [0.0, 1.0]}, trajectories=3)
    assert r.hitting("loss", -1.0).never == 64
    np.testing.assert_array_equal(r.histogram("loss").counts.sum(axis=1), r.count)
    tr = r.trajectories("loss")
    assert not np.isfinite(tr[:, -1]).any()


def test_hitting_time_distribution_against_the_mean_curve():
    # the fraction of runs below a target at step t equals P(error_sq_t <= target): compare with the runs'
    # own indicator means (a different route through the same runs: trajectories) and with a fresh seed's
    r = ss.simulate(PROB, ss.SGD(0.1), runs=4000, steps=60, seed=1, progress=False, hitting={"error_sq": 0.5},
                    trajectories=4000)
    ever = np.maximum.accumulate(r.trajectories("error_sq") <= 0.5, axis=1).mean(axis=0)
    np.testing.assert_allclose(r.hitting("error_sq", 0.5).fraction(), ever, rtol=0, atol=1e-15)
    other = ss.simulate(PROB, ss.SGD(0.1), runs=4000, steps=60, seed=2, progress=False, hitting={"error_sq": 0.5})
    p1, p2 = r.hitting("error_sq", 0.5).fraction(), other.hitting("error_sq", 0.5).fraction()
    se = np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 4000)
    ok = se > 0
    z = zscores(p1[ok], se[ok], p2[ok])
    assert np.abs(z).max() < z_threshold(z.size)


@pytest.mark.parametrize("kw,msg", [({"hitting": {"eror_sq": [1.0]}}, "did you mean 'error_sq'"),
                                    ({"hitting": {"loss": [np.nan]}}, "finite"),
                                    ({"histogram": {"loss": [1.0, 1.0]}}, "strictly increasing"),
                                    ({"trajectories": 11}, "trajectories must be in [0, runs = 10]"),
                                    ({"hitting": [1.0]}, "hitting must be None or a dict")])
def test_bad_requests_are_named(kw, msg):
    with pytest.raises(ValueError, match=msg.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        ss.simulate(PROB, ss.SGD(0.1), runs=10, steps=5, progress=False, **kw)


def test_save_and_load_keep_them(tmp_path):
    r = _run()
    r.save(tmp_path / "r")
    back = ss.load(tmp_path / "r")
    np.testing.assert_array_equal(back.hitting("error_sq", 0.3).first, r.hitting("error_sq", 0.3).first)
    np.testing.assert_array_equal(back.histogram("loss").counts, r.histogram("loss").counts)
    np.testing.assert_array_equal(back.trajectories("loss"), r.trajectories("loss"))
