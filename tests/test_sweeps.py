"""Sweeps: the spec and its errors, quantities against the closed form, the store, resuming after kill -9, Dask."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import simsgd as ss
from simsgd import theory
from simsgd.engine.statistics import t_threshold
from simsgd.sweeps import quantities as Q
from simsgd.sweeps.execute import _Packer, _tasks

SPEC = """\
# SGD's ball on H = mu I over the rate and the batch size
problem = "noisy_quadratic"
optimizer = "SGD"
runs = 400
steps = 300
record_every = 5
groups = 20

[fixed]
dim = 4
mu = 0.5
M = 2.0
x0 = 1.0

[grid]
lr = [0.1, 0.4, 8.0]
batch_size = [1, 4]

[[quantities]]
name = "ball"
kind = "average"
metric = "error_sq"
from_step = 150

[[quantities]]
name = "hit"
kind = "steps_to"
metric = "error_sq"
target = 2.0

[[quantities]]
kind = "diverged"
"""


def _write(tmp_path, text=SPEC, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _exact_curve(spec, lr, B):
    t = Q.record_steps(spec.steps, spec.record_every)
    return t, theory.sgd_error_sq(t, lr, np.full(4, 0.5), 1.0, 2.0 / 4, B)


def test_grid_sweep_matches_the_closed_form(tmp_path):
    spec = ss.load_spec(_write(tmp_path))
    assert spec.size == 6 and spec.grid_dims == ("optimizer.lr", "simulate.batch_size")
    ds = ss.sweep(spec, tmp_path / "s.zarr", progress=False)
    assert dict(ds.sizes) == {"lr": 3, "batch_size": 2, "step": 61}
    zc = t_threshold(8, spec.groups - 1)
    for lr in (0.1, 0.4):
        for B in (1, 4):
            pt = ds.sel(lr=lr, batch_size=B)
            t, curve = _exact_curve(spec, lr, B)
            ball = curve[t >= 150].mean()
            assert abs(float(pt["ball"]) - ball) < zc * float(pt["ball_sem"])
            hit = Q.crossing(t.astype(float), curve, 2.0)[0]
            assert abs(float(pt["hit"]) - hit) < zc * float(pt["hit_sem"]) and bool(pt["hit_reached"])
            assert float(pt["diverged"]) == 0.0
    # alpha mu = 4: every run diverges; counted, never averaged into the curves
    bad = ds.sel(lr=8.0)
    assert np.all(bad["diverged"] == 1.0) and np.all(bad["diverged_runs"][..., -1] == spec.runs)
    assert np.all(np.isnan(bad["error_sq_mean"][..., -1]))
    # the store reads back as the same labelled Dataset
    again = ss.open_sweep(tmp_path / "s.zarr")
    for k in ds.data_vars:
        assert np.array_equal(again[k].values, ds[k].values, equal_nan=True), k
    assert json.loads(again.attrs["spec"]) == spec.to_dict() and again.attrs["kernel_source_hash"]


def test_groups_pool_to_one_call():
    """The pooled moments of G groups equal those of one call over all the runs (same streams)."""
    spec = ss.SweepSpec("noisy_quadratic", "SGD", 60, 50, fixed={"dim": 3, "mu": 0.5}, grid={"lr": [0.2]},
                        groups=6)
    out = Q.run_point(spec, 0)
    prob, opt, _ = spec.build(0)
    one = ss.simulate(prob, opt, 60, 50, seed=spec.point_seed(0), progress=False)
    np.testing.assert_allclose(out["error_sq_mean"], one.mean("error_sq"), rtol=1e-12, atol=0)
    np.testing.assert_allclose(out["error_sq_sem"][1:], one.sem("error_sq")[1:], rtol=1e-10)


def test_crossing_interpolates_and_censors():
    steps = np.array([0.0, 10.0, 20.0])
    assert Q.crossing(steps, np.array([4.0, 2.0, 1.0]), 3.0) == (5.0, True)
    assert Q.crossing(steps, np.array([4.0, 2.0, 1.0]), 5.0) == (0.0, True)
    assert Q.crossing(steps, np.array([4.0, 3.0, 2.5]), 1.0) == (20.0, False)


def test_point_streams_follow_the_parameters(tmp_path):
    spec = ss.load_spec(_write(tmp_path))
    seeds = {spec.point_seed(i) for i in range(spec.size)}
    assert len(seeds) == spec.size
    # a point regenerates alone: a sweep of that point only gives the same bits
    full = ss.sweep(spec, progress=False)
    alone = ss.sweep(ss.load_spec(_write(tmp_path, SPEC.replace("lr = [0.1, 0.4, 8.0]", "lr = [0.4]")
                                          .replace("batch_size = [1, 4]", "batch_size = [4]"), "one.toml")),
                     progress=False)
    a, b = full.sel(lr=0.4, batch_size=4), alone.isel(lr=0, batch_size=0)
    for k in ("error_sq_mean", "ball", "ball_sem", "hit", "point_seed"):
        assert np.array_equal(a[k].values, b[k].values), k
    crn = ss.load_spec(_write(tmp_path, SPEC.replace("groups = 20", "groups = 20\ncommon_random_numbers = true"),
                              "crn.toml"))
    assert {crn.point_seed(i) for i in range(crn.size)} == {crn.seed}
    other = ss.load_spec(_write(tmp_path, SPEC.replace("groups = 20", "groups = 20\nseed = 1"), "s1.toml"))
    assert not seeds & {other.point_seed(i) for i in range(other.size)}


def _small_net(width, seed=3):
    """A user's factory: a 2-width-2 tanh classifier on a fixed dataset with a held-out set."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return ss.MLP((2, width, 2), "tanh", X[:48], y[:48], loss="cross_entropy", X_test=X[48:], y_test=y[48:])


def test_a_user_factory_and_the_test_loss_of_networks():
    spec = ss.SweepSpec(_small_net, "Adam", 20, 200, grid={"width": [2, 8], "lr": [0.03]}, fixed={"batch_size": 8},
                        record_every=50, quantities=[{"kind": "final", "metric": "test_loss"},
                                                     {"kind": "final", "metric": "train_loss"}])
    assert spec.problem_name.endswith("test_sweeps:_small_net")
    ds = ss.sweep(spec, progress=False)
    assert ds["final_test_loss"].shape == (2, 1) and np.all(ds["final_test_loss_sem"] > 0)
    # the wider net fits the training set better
    assert float(ds["final_train_loss"].sel(width=8, lr=0.03)) < float(ds["final_train_loss"].sel(width=2, lr=0.03))


@pytest.mark.parametrize("name", ["sgd_ball.toml", "adam_sensitivity.toml"])
def test_the_example_specs_are_valid(name):
    from pathlib import Path

    spec = ss.load_spec(Path(__file__).resolve().parent.parent / "examples" / name)
    assert spec.size >= 1 and spec.quantities


def test_results_do_not_depend_on_task_packing():
    spec = ss.SweepSpec("noisy_quadratic", "SGD", 20, 40, fixed={"dim": 2}, grid={"lr": [0.1, 0.2, 0.3]},
                        quantities=["final"], task_seconds=0.0)
    packed = ss.SweepSpec("noisy_quadratic", "SGD", 20, 40, fixed={"dim": 2}, grid={"lr": [0.1, 0.2, 0.3]},
                          quantities=["final"], task_seconds=60.0)
    a, b = ss.sweep(spec, progress=False), ss.sweep(packed, progress=False)
    assert np.array_equal(a["final_error_sq"].values, b["final_error_sq"].values)
    parts, rest = _tasks(np.array([0, 1, 2, 5, 6, 9]), 5)
    assert [p.tolist() for p in parts] == [[0, 1, 2], [5, 6]] and rest.tolist() == [9]
    packer = _Packer(1.0)
    assert packer.size() == 1
    packer.add([0.5, 0.01, 0.02])
    assert packer.size() == 100


def test_sampled_design_is_seeded_and_in_range():
    kw = dict(problem="noisy_quadratic", optimizer="SGD", runs=10, steps=5, fixed={"dim": 2}, samples=16,
              ranges={"lr": {"low": 0.01, "high": 1.0, "scale": "log"},
                      "batch_size": {"low": 1, "high": 8, "scale": "log", "integer": True}})
    a, b = ss.SweepSpec(**kw), ss.SweepSpec(**kw)
    lr, B = a.points["optimizer.lr"], a.points["simulate.batch_size"]
    assert np.array_equal(lr, b.points["optimizer.lr"]) and lr.min() >= 0.01 and lr.max() <= 1.0
    assert B.dtype == np.int64 and B.min() >= 1 and B.max() <= 8
    assert np.mean(lr < 0.1) == pytest.approx(0.5, abs=0.2)  # log scale: half the points below the middle decade


BAD = [
    ("lr = [0.1, 0.4, 8.0]", "lr = [0.1, 0.1]", "must not repeat", "line 16"),
    ("mu = 0.5", "mux = 0.5", "unknown parameter 'mux'", "line 11"),
    ('metric = "error_sq"\nfrom_step', 'metric = "accuracy"\nfrom_step', "metric must be one of", None),
    ('optimizer = "SGD"', 'optimizer = "SGDX"', "optimizer .*must be one of", "line 3"),
    ("runs = 400", "runs = 0", "runs must be an integer >= 1", "line 4"),
    ("groups = 20", "groups = 7", "divide runs", "line 7"),
    ('problem = "noisy', 'bogus = 1\nproblem = "noisy', "unknown key 'bogus'", "line 2"),
    ("lr = [0.1, 0.4, 8.0]", "lr = [0.1, 0.4", "malformed TOML", "line 17"),
    ("from_step = 150", "from_step = 900", "from_step", None),
    ("M = 2.0", "M = -2.0", "M must be", None),
]


@pytest.mark.parametrize("old,new,message,line", BAD)
def test_bad_specs_are_named_before_anything_runs(tmp_path, old, new, message, line):
    assert old in SPEC
    with pytest.raises(ValueError, match=message) as err:
        ss.load_spec(_write(tmp_path, SPEC.replace(old, new, 1)))
    if line:
        assert line in str(err.value), str(err.value)


@pytest.mark.parametrize("ranges,message", [
    ({"lr": {"low": 0.5, "high": 0.1}}, "low must be < high"),
    ({"lr": {"low": 0.0, "high": 0.1, "scale": "log"}}, "log scale needs low > 0"),
    ({"lr": {"low": 0.1, "high": 0.5, "scale": "ln"}}, "scale must be one of"),
    ({"lr": [0.1, 0.5]}, "a range is"),
    ({"batch_size": {"low": 1.2, "high": 1.8, "integer": True}}, "no integer"),
])
def test_bad_ranges(ranges, message):
    with pytest.raises(ValueError, match=message):
        ss.SweepSpec("noisy_quadratic", "SGD", 10, 5, ranges=ranges, samples=4)


def test_other_spec_errors():
    with pytest.raises(ValueError, match="declare the swept parameters once"):
        ss.SweepSpec("noisy_quadratic", "SGD", 10, 5, grid={"lr": [0.1]}, ranges={"lr": {"low": 0.1, "high": 1}})
    with pytest.raises(ValueError, match="both fixed and swept"):
        ss.SweepSpec("noisy_quadratic", "SGD", 10, 5, fixed={"lr": 0.1}, grid={"lr": [0.1]})
    with pytest.raises(ValueError, match="point 1 .* is invalid"):
        ss.SweepSpec("noisy_quadratic", "SGD", 10, 5, grid={"lr": [0.1, -1.0]})
    with pytest.raises(ValueError, match="problem: must be one of"):
        ss.SweepSpec("quadratix", "SGD", 10, 5, grid={"lr": [0.1]})
    with pytest.raises(ValueError, match="ranges without samples"):
        ss.sweep(ss.SweepSpec("noisy_quadratic", "SGD", 10, 5, ranges={"lr": {"low": 0.1, "high": 1}}))


def test_a_store_of_another_spec_is_refused_untouched(tmp_path):
    spec = ss.SweepSpec("noisy_quadratic", "SGD", 10, 20, fixed={"dim": 2}, grid={"lr": [0.1, 0.2]})
    ss.sweep(spec, tmp_path / "s.zarr", progress=False)
    before = {p: p.read_bytes() for p in (tmp_path / "s.zarr").rglob("*") if p.is_file()}
    other = ss.SweepSpec("noisy_quadratic", "SGD", 10, 21, fixed={"dim": 2}, grid={"lr": [0.1, 0.2]})
    with pytest.raises(ValueError, match="written by a different spec"):
        ss.sweep(other, tmp_path / "s.zarr", progress=False)
    after = {p: p.read_bytes() for p in (tmp_path / "s.zarr").rglob("*") if p.is_file()}
    assert after == before


KILL_SPEC = """\
problem = "noisy_quadratic"
optimizer = "SGD"
runs = 200
steps = 600
task_seconds = 0.0
[fixed]
dim = 8
[grid]
lr = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15]
batch_size = [1, 2]
[[quantities]]
kind = "average"
metric = "loss"
"""


def _done(store):
    import zarr

    try:
        return int(np.sum(zarr.open_array(store / "done", mode="r")[:]))
    except Exception:  # noqa: BLE001 - not written yet
        return 0


def test_kill_minus_9_then_resume_is_bit_identical(tmp_path):
    spec_path = _write(tmp_path, KILL_SPEC)
    store = tmp_path / "killed.zarr"
    cmd = [sys.executable, "-m", "simsgd.cli", "sweep", str(spec_path), "--out", str(store)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while _done(store) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_with = _done(store)
    assert 3 <= killed_with < 30, "the kill must land mid-sweep"
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    resumed = int(re.search(r"\((\d+) from an earlier run\)", out.stdout).group(1))
    assert resumed >= killed_with  # nothing finished was recomputed
    whole = ss.sweep(ss.load_spec(spec_path), tmp_path / "whole.zarr", progress=False)
    again = ss.open_sweep(store)
    for k in list(whole.data_vars) + list(whole.coords):
        assert np.array_equal(again[k].values, whole[k].values, equal_nan=True), k
    assert again["done"].values.all()


def test_dask_local_cluster_gives_the_same_numbers(tmp_path):
    pytest.importorskip("distributed")
    spec = ss.load_spec(_write(tmp_path))
    here = ss.sweep(spec, progress=False)
    there = ss.sweep(spec, tmp_path / "d.zarr", workers=2, progress=False)
    for k in here.data_vars:
        assert np.array_equal(here[k].values, there[k].values, equal_nan=True), k


def test_sensitivity_of_the_ball_matches_its_closed_form(tmp_path):
    """Sobol indices of log10 of SGD's ball over (alpha, B): simulation against the closed form, same design."""
    pytest.importorskip("SALib")
    from simsgd.sweeps.sensitivity import analyse

    spec = ss.SweepSpec("noisy_quadratic", "SGD", 200, 400, fixed={"dim": 2, "mu": 0.5, "x0": 0.0},
                        ranges={"lr": {"low": 0.05, "high": 0.5, "scale": "log"},
                                "batch_size": {"low": 1, "high": 16, "scale": "log", "integer": True}},
                        quantities=[{"name": "ball", "kind": "average", "metric": "error_sq"}],
                        sensitivity={"samples": 16, "log": ["ball"], "resamples": 100})
    s = ss.sensitivity(spec, "sobol", tmp_path / "out", progress=False)
    rep = s.report["quantities"]["ball"]
    assert (tmp_path / "out" / "sensitivity.json").exists() and (tmp_path / "out" / "sensitivity.png").exists()
    assert rep["adequate"] and rep["replicate_consistent"] and rep["noise_share"] < 1e-3
    t = Q.record_steps(400, 1)
    lr, B = s.points["optimizer.lr"], s.points["simulate.batch_size"]
    exact = np.array([theory.sgd_error_sq(t, a, [0.5, 0.5], 0.0, 0.5, b)[t >= 200].mean() for a, b in zip(lr, B)])
    ex = analyse("sobol", s.problem, s.X, np.log10(exact), np.zeros_like(exact), 0, 0)
    for k in ("S1", "ST"):
        err = np.asarray(rep[f"{k}_mc_error"])
        assert np.all(np.abs(np.asarray(rep[k]) - ex[k]) < 4.5 * err), (k, rep[k], ex[k], err)
    # the ball is alpha / (B (2 - alpha mu)) times a constant: B carries about half of log10's variance
    assert 0.3 < rep["ST"][1] < 0.7
    morris = ss.sensitivity(spec, "morris", samples=4, progress=False, replicate=False)
    assert set(morris.report["quantities"]["ball"]) >= {"mu_star", "sigma", "mu_star_mc_error", "adequate"}


def test_too_few_runs_are_flagged():
    pytest.importorskip("SALib")
    spec = ss.SweepSpec("noisy_quadratic", "SGD", 4, 60, fixed={"dim": 1, "mu": 0.5, "x0": 0.0}, groups=2,
                        ranges={"lr": {"low": 0.1, "high": 0.12}, "batch_size": {"low": 1, "high": 2, "integer": True}},
                        quantities=[{"name": "ball", "kind": "average", "metric": "error_sq"}])
    rep = ss.sensitivity(spec, "sobol", samples=8, progress=False, resamples=50).report["quantities"]["ball"]
    assert not rep["adequate"] and rep["noise_share"] > 0.05


def test_cli_sweep_and_errors(tmp_path):
    spec = _write(tmp_path, SPEC.replace("runs = 400", "runs = 40").replace("groups = 20", "groups = 4"))
    out = subprocess.run([sys.executable, "-m", "simsgd.cli", "sweep", str(spec)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "spec.zarr").is_dir() and "6 points done (0 from an earlier run)" in out.stdout
    bad = _write(tmp_path, SPEC.replace("mu = 0.5", "mux = 0.5"), "bad.toml")
    out = subprocess.run([sys.executable, "-m", "simsgd.cli", "sweep", str(bad)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)
    assert out.returncode == 2 and "unknown parameter 'mux'" in out.stderr and "line 11" in out.stderr
    assert not (tmp_path / "bad.zarr").exists()
