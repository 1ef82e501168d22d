"""The CUDA target without a GPU: numba's simulator in a process of its own, and a real compile to PTX."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _run(args, env_extra, timeout=900):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=HERE.parent)


def test_simulator_suite():
    out = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "cudasim")],
               {"NUMBA_ENABLE_CUDASIM": "1"})
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-3000:]
    assert " passed" in out.stdout


def test_no_gpu_is_a_clear_error():
    code = textwrap.dedent("""
        import numpy as np, simsgd as ss
        try:
            ss.simulate(ss.Quadratic([1.0]), ss.SGD(0.1), runs=2, steps=2, target="cuda")
        except RuntimeError as e:
            print("ERR", e)
        """)
    out = _run(["-c", code], {"NUMBA_ENABLE_CUDASIM": "0", "CUDA_VISIBLE_DEVICES": ""})
    assert out.returncode == 0, out.stderr
    if "ERR" not in out.stdout:
        pytest.skip("a GPU is visible here")
    assert "NUMBA_ENABLE_CUDASIM=1" in out.stdout and "target='cpu'" in out.stdout


PTX = textwrap.dedent("""
    import sys
    import numpy as np
    from numba import cuda, typeof
    from numba.cuda.cudadrv import nvvm
    try:
        nvvm.NVVM()
    except Exception as exc:  # the compiler library is not installed here
        print("NO-NVVM", type(exc).__name__, exc); sys.exit(0)
    import simsgd as ss
    from simsgd.engine.simulate import plan
    from simsgd.targets import cuda as target

    class _Device:  # kernels that call device functions ask for the current device
        compute_capability = (9, 0)
        id = 0
    cuda.dispatcher.get_current_device = lambda: _Device()
    cases = [(ss.Quadratic(np.linspace(0.1, 1.0, 8)), ss.SGD(0.1), "float64", 1),  # with per-run statistics below
             (ss.Quadratic(np.linspace(0.1, 1.0, 100)), ss.Adam(0.1), "float64", 1),
             (ss.Quadratic(np.linspace(0.1, 1.0, 4), rotation=1, minibatch="average"), ss.Nadam(0.1), "float32", 2),
             (ss.Quadratic(np.linspace(0.1, 1.0, 3), x0_spread=0.5), ss.HeavyBall(0.1), "float64", 1),
             (ss.Quadratic(np.linspace(0.1, 1.0, 3)), ss.Nesterov(0.1), "float32", 1),
             (ss.OnlineLinear(stochastic=True), ss.AMSGrad(0.1, lr_sqrt_decay=True), "float64", 1),
             (ss.LeastSquares(np.eye(6, 3), np.ones(6), sampling="epochs"), ss.SGD(0.1), "float64", 4),
             (ss.LeastSquares(np.eye(6, 3), np.ones(6)), ss.Momentum(0.1), "float32", 2),
             (ss.LogisticRegression(np.eye(6, 3), np.ones(6) % 2, sampling="epochs", ridge=0.1,
                                    X_test=np.ones((2, 3)), y_test=np.ones(2)), ss.Adam(0.1), "float32", 6),
             (ss.MLP((2, 5, 3), "tanh", np.eye(4, 2), np.arange(4) % 3, loss="cross_entropy", X_test=np.ones((2, 2)),
                     y_test=np.ones(2), sampling="epochs"), ss.Adam(0.1), "float32", 2),
             (ss.MLP((1, 4, 4, 1), "relu", np.ones((5, 1)), np.ones(5), init="he"), ss.Nesterov(0.1), "float64", 3)]
    perrun = dict(hitting={"loss": [1.0, 0.1]}, histogram={"error_sq": [0.1, 1.0, 10.0]}, trajectories=2)
    for n, (prob, opt, dtype, batch) in enumerate(cases):
        job = plan(prob, opt, runs=10, steps=3, batch_size=batch, dtype=dtype, **(perrun if n == 0 else {}))
        kern = target.get_kernel(job.pairing, target.shape_of(job, 128))
        args = target.Arguments(job, 1, 4, np.ascontiguousarray, np.zeros).launch(0, 4)
        ptx, _ = cuda.compile_ptx(kern.py_func, tuple(typeof(a) for a in args), cc=(9, 0))
        assert ".target sm_90" in ptx, ptx[:400]
        assert "shfl.sync.down" in ptx  # the warp-shuffle reduction, which the simulator only emulates
        if n == 0:  # the per-run counts: integer atomics
            assert any(op in ptx for op in ("atom.global.add.u64", "red.global.add.u64", "atom.add.u64")), "no 64-bit atomic add"
        print("PTX", job.pairing.tag, dtype, len(ptx))
    target.REDUCTION = "tree"
    job = plan(*cases[0][:2], runs=10, steps=3, dtype="float64")
    kern = target.get_kernel(job.pairing, target.shape_of(job, 128))
    args = target.Arguments(job, 1, 4, np.ascontiguousarray, np.zeros).launch(0, 4)
    ptx, _ = cuda.compile_ptx(kern.py_func, tuple(typeof(a) for a in args), cc=(9, 0))
    assert ".target sm_90" in ptx and "shfl.sync" not in ptx and "bar.sync" in ptx
    print("PTX tree", len(ptx))
    merge = target.merge_kernel()
    margs = (np.zeros((4, 3)), np.zeros((4, 3, 2)), np.zeros((4, 3, 2)), np.zeros((4, 3), np.int64), 3, 0,
             np.zeros(3), np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(3, np.int64))
    ptx, _ = cuda.compile_ptx(merge.py_func, tuple(typeof(a) for a in margs), cc=(9, 0))
    assert ".target sm_90" in ptx
    print("PTX merge", len(ptx))
    """)


def test_kernels_compile_to_ptx_for_sm90():
    # NVVM and NVRTC come with the test extra's wheels
    out = _run(["-c", PTX], {"NUMBA_ENABLE_CUDASIM": "0"})
    if "NO-NVVM" in out.stdout:
        pytest.skip("NVVM (libnvvm) is not available here: " + out.stdout.strip()[-300:])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-6000:]
    assert out.stdout.count("PTX") == 13
