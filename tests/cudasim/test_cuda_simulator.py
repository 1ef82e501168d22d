"""The CUDA target in numba's simulator (this folder runs only with NUMBA_ENABLE_CUDASIM=1 set at start-up).

The simulator runs the kernel's Python body with the core's compiled CPU functions, so
it checks the kernel's logic (streams, records, block reductions, chunked launches,
divergence) against the CPU target; what only a real compiler catches is left to the
PTX test.
"""
import numpy as np
import pytest

import quartic  # noqa: F401 (registers a problem defined in the tests: it runs on both targets too)
import simsgd as ss
from simsgd import theory
from simsgd.targets import cuda as _cuda
from simsgd.engine.statistics import z_threshold, zscores


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    # the simulator costs milliseconds per thread start and per barrier: keep blocks small
    monkeypatch.setattr(_cuda, "THREADS_PER_BLOCK", 32)


def _both(prob, opt, **kw):
    return (ss.simulate(prob, opt, target="cpu", **kw), ss.simulate(prob, opt, target="cuda", **kw))


def _assert_agree(cpu, gpu, rtol=1e-12):
    assert cpu.meta["dtype"] == gpu.meta["dtype"] and gpu.meta["target"] == "cuda"
    np.testing.assert_array_equal(cpu.steps, gpu.steps)
    np.testing.assert_array_equal(cpu.count, gpu.count)
    np.testing.assert_array_equal(cpu.diverged, gpu.diverged)
    np.testing.assert_allclose(gpu.theta, cpu.theta, rtol=rtol, atol=0)
    for m in cpu.metrics:
        np.testing.assert_allclose(gpu.final(m), cpu.final(m), rtol=rtol, atol=0)
        np.testing.assert_allclose(gpu.mean(m), cpu.mean(m), rtol=max(1e-10, rtol))
        np.testing.assert_allclose(gpu.var(m), cpu.var(m), rtol=max(1e-8, 10 * rtol))


def test_same_streams_and_moments_as_the_cpu():
    prob = ss.Quadratic(np.linspace(0.2, 1.0, 4), noise_std=[0.5, 1.0, 1.5, 2.0], x0=1.5, theta_star=-0.5)
    cpu, gpu = _both(prob, ss.SGD(0.3), runs=80, steps=40, batch_size=3, seed=11, record_every=8)
    _assert_agree(cpu, gpu)
    assert gpu.meta["target"] == "cuda"


def test_rotated_and_averaged_minibatches():
    prob = ss.Quadratic(np.array([0.3, 0.6, 1.0]), noise_std=1.0, x0=[1.0, -1.0, 2.0], rotation=5,
                        minibatch="average")
    cpu, gpu = _both(prob, ss.SGD(0.4), runs=40, steps=20, batch_size=2, seed=3, record_every=5)
    _assert_agree(cpu, gpu)


def test_chunked_launches_equal_one_launch(monkeypatch):
    prob = ss.Quadratic(np.linspace(0.2, 1.0, 3), noise_std=1.0, x0=1.0)
    one = ss.simulate(prob, ss.SGD(0.5), runs=40, steps=12, seed=1, record_every=2, target="cuda")
    monkeypatch.setattr(_cuda, "PARTIAL_BYTES", 1)  # one record per launch
    many = ss.simulate(prob, ss.SGD(0.5), runs=40, steps=12, seed=1, record_every=2, target="cuda")
    np.testing.assert_array_equal(one.theta, many.theta)
    np.testing.assert_array_equal(one.mean("loss"), many.mean("loss"))
    np.testing.assert_array_equal(one.var("loss"), many.var("loss"))


def test_divergence_is_counted_the_same_way():
    prob = ss.Quadratic(np.array([1.0]), noise_std=1.0, x0=0.0)
    cpu, gpu = _both(prob, ss.SGD(2.5), runs=48, steps=700, seed=8, record_every=35)
    np.testing.assert_array_equal(cpu.diverged, gpu.diverged)
    np.testing.assert_array_equal(cpu.count, gpu.count)
    assert gpu.diverged[-1] == 48 and (0 < gpu.diverged).any()


def test_subsets_regenerate_on_the_gpu():
    prob = ss.Quadratic(np.linspace(0.2, 1.0, 3), noise_std=1.0, x0=1.0)
    full = ss.simulate(prob, ss.SGD(0.5), runs=64, steps=10, seed=2, record_every=10, target="cuda")
    part = ss.simulate(prob, ss.SGD(0.5), runs=16, steps=10, seed=2, record_every=10, first_run=40,
                       target="cuda")
    np.testing.assert_array_equal(part.theta, full.theta[40:56])


@pytest.mark.parametrize("reduction", _cuda.REDUCTIONS)
def test_block_reductions_across_warps_and_blocks(monkeypatch, reduction):
    # two warps a block, a partial last block and runs that diverge part-way: every path of the pooling
    monkeypatch.setattr(_cuda, "THREADS_PER_BLOCK", 64)
    monkeypatch.setattr(_cuda, "REDUCTION", reduction)
    prob = ss.Quadratic(np.array([0.5, 1.0]), noise_std=1.0, x0=0.0)
    cpu, gpu = _both(prob, ss.SGD(3.5), runs=100, steps=280, seed=5, record_every=10)
    assert ((0 < gpu.diverged) & (gpu.diverged < 100)).any()
    _assert_agree(cpu, gpu)


def test_shuffle_needs_whole_warps(monkeypatch):
    monkeypatch.setattr(_cuda, "THREADS_PER_BLOCK", 48)
    monkeypatch.setattr(_cuda, "REDUCTION", "shuffle")
    with pytest.raises(ValueError, match="multiple of 32"):
        ss.simulate(ss.Quadratic([1.0]), ss.SGD(0.1), runs=4, steps=2, target="cuda")


def test_per_run_statistics_agree(monkeypatch):
    # one record per launch: the runs' "reached" flags must survive between launches
    monkeypatch.setattr(_cuda, "PARTIAL_BYTES", 1)
    prob = ss.Quadratic(np.array([0.3, 1.0]), noise_std=0.5, x0=2.0)
    kw = dict(runs=40, steps=30, seed=6, record_every=3, hitting={"error_sq": [2.0, 0.5]},
              histogram={"loss": np.geomspace(0.01, 10, 12)}, trajectories=5)
    cpu, gpu = _both(prob, ss.SGD(0.2), **kw)
    for target in (2.0, 0.5):
        np.testing.assert_array_equal(gpu.hitting("error_sq", target).first, cpu.hitting("error_sq", target).first)
    assert cpu.hitting("error_sq", 0.5).first.sum() > 0
    np.testing.assert_array_equal(gpu.histogram("loss").counts, cpu.histogram("loss").counts)
    np.testing.assert_allclose(gpu.trajectories("loss"), cpu.trajectories("loss"), rtol=1e-12)


def test_general_noise_covariance_agrees():
    cov = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    prob = ss.Quadratic(np.array([0.3, 0.6, 1.0]), x0=1.0, rotation=2, noise_cov=cov)
    cpu, gpu = _both(prob, ss.SGD(0.3), runs=40, steps=20, batch_size=2, seed=7, record_every=5)
    _assert_agree(cpu, gpu)


def test_float32_on_both_targets():
    prob = ss.Quadratic(np.linspace(0.2, 1.0, 4), noise_std=1.0, x0=1.0)
    cpu, gpu = _both(prob, ss.SGD(0.3), runs=64, steps=30, seed=4, record_every=10, dtype="float32")
    assert cpu.meta["dtype"] == gpu.meta["dtype"] == "float32"
    np.testing.assert_allclose(gpu.theta, cpu.theta, rtol=1e-5, atol=1e-6)
    exact = theory.sgd_error_sq(cpu.steps, 0.3, prob.eigenvalues, prob.e0, prob.noise_var)
    z = zscores(gpu.mean("error_sq")[1:], gpu.sem("error_sq")[1:], exact[1:])
    assert np.abs(z).max() < z_threshold(z.size)


def test_gpu_check_script_runs_tiny(tmp_path):
    import runpy
    import sys

    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"
    argv = sys.argv
    sys.argv = [str(script), "--tiny", "--no-jax", "--json", str(tmp_path / "gpu.json")]
    try:
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    assert exit_info.value.code == 0
    assert (tmp_path / "gpu.json").exists()


# The simulator runs a kernel's body in Python around the CPU-compiled device functions, so what it checks is the
# body's handling of each shape of state: rules with none (SGD, also float32), per-coordinate rows (Momentum, Adam,
# Adadelta), scalar slots (HeavyBall) and a look-ahead gradient (Nesterov) on the quadratic, and every other problem
# with Adam. The rules' own arithmetic is the CPU conformance matrix's; their compilation for the GPU, the PTX test's.
_SHAPES = ("SGD", "Momentum", "Adam", "Adadelta", "HeavyBall", "Nesterov")
CASES = [(p, o, dt) for p in ss.PROBLEMS for o in ss.OPTIMIZERS
         for dt in (("float64", "float32") if p is ss.Quadratic and o is ss.SGD else ("float64",))
         if (p is ss.Quadratic and o.__name__ in _SHAPES) or o is ss.Adam]


@pytest.mark.parametrize("problem_cls,optimizer_cls,dtype", CASES,
                         ids=[f"{p.__name__}-{o.__name__}-{dt}" for p, o, dt in CASES])
def test_every_registered_pair_agrees_with_the_cpu(problem_cls, optimizer_cls, dtype):
    cpu, gpu = _both(problem_cls.example(), optimizer_cls.example(), runs=32, steps=12, seed=9, record_every=6,
                     dtype=dtype, keep_theta=True)
    _assert_agree(cpu, gpu, rtol=1e-12 if dtype == "float64" else 1e-6)
