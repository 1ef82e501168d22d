"""Results saved and loaded: every array and the meta come back, and the files read without simsgd."""
import json

import numpy as np

import simsgd as ss


def test_save_load_round_trip(tmp_path):
    prob = ss.Quadratic(np.array([0.5, 1.0]), noise_std=1.0, x0=1.0)
    r = ss.simulate(prob, ss.Adam(0.1), runs=64, steps=20, seed=3, record_every=5, keep_theta=True, progress=False)
    npz, js = r.save(tmp_path / "adam")
    back = ss.load(tmp_path / "adam.npz")
    np.testing.assert_array_equal(back.steps, r.steps)
    np.testing.assert_array_equal(back.count, r.count)
    np.testing.assert_array_equal(back.theta, r.theta)
    for m in r.metrics:
        np.testing.assert_array_equal(back.mean(m), r.mean(m))
        np.testing.assert_array_equal(back.var(m), r.var(m))
        np.testing.assert_array_equal(back.final(m), r.final(m))
    assert back.metrics == r.metrics and back.meta["seed"] == 3 and back.meta["lr"] == 0.1
    # without simsgd: plain NumPy and JSON
    head = json.loads(js.read_text())
    with np.load(npz) as f:
        j = head["metrics"].index("loss")
        np.testing.assert_allclose(f["m2"][:, j] / (f["count"] - 1), r.var("loss"))
    table = r.table()
    assert len(table) == r.steps.size * len(r.metrics)
    row = table[(table.metric == "loss") & (table.step == 20)].iloc[0]
    assert row["mean"] == r.mean("loss")[-1] and row["sem"] == r.sem("loss")[-1]


def test_theta_not_kept_round_trips(tmp_path):
    r = ss.simulate(ss.Quadratic([1.0]), ss.SGD(0.1), runs=8, steps=4, keep_theta=False, progress=False)
    r.save(tmp_path / "r.json")
    back = ss.load(tmp_path / "r")
    np.testing.assert_array_equal(back.final("loss"), r.final("loss"))
