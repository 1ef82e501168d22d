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
    from simsgd import _cuda

    class _Device:  # kernels that call device functions ask for the current device
        compute_capability = (9, 0)
        id = 0
    cuda.dispatcher.get_current_device = lambda: _Device()
    cases = [(8, "float64", ss.SGD(0.1), None), (100, "float64", ss.Adam(0.1), None),
             (4, "float32", ss.Nadam(0.1), None), (1, "float64", ss.AMSGrad(0.1, lr_sqrt_decay=True), "online")]
    for d, dtype, opt, kind in cases:
        if kind == "online":
            prob, data = ss.OnlineLinear(stochastic=True), ss.OnlineLinear(stochastic=True)._pack(1)
        else:
            prob = ss.Quadratic(np.linspace(0.1, 1.0, d), rotation=None if d > 4 else 1)
            data = prob._pack(2)
        kern = _cuda.get_kernel(data.kind, opt.kind, d, opt.n_state, data.n_work, len(data.metrics), 128, dtype)
        f = lambda *s: np.zeros(s, dtype=dtype)
        from simsgd._rng import ZIGGURAT
        args = (np.zeros(3, np.int64), ZIGGURAT, 0, 3, np.uint64(1), 0, 10, data.vec.astype(dtype),
                data.mat.astype(dtype), data.scal, opt._hyper(), f(d), f(10, d),
                f(10, max(opt.n_state, 1), d), np.zeros((10, 4), np.uint64), np.zeros(10, np.int8), np.zeros((10, 2)),
                np.zeros((1, 3), np.int64), np.zeros((1, 3, 2)), np.zeros((1, 3, 2)), np.zeros((1, 3), np.int64))
        sig = tuple(typeof(a) for a in args)
        ptx, _ = cuda.compile_ptx(kern.py_func, sig, cc=(9, 0))
        assert ".target sm_90" in ptx, ptx[:400]
        print("PTX", d, dtype, len(ptx))
    merge = _cuda.merge_kernel()
    margs = (np.zeros((4, 3), np.int64), np.zeros((4, 3, 2)), np.zeros((4, 3, 2)), np.zeros((4, 3), np.int64), 3, 0,
             np.zeros(3, np.int64), np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(3, np.int64))
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
    assert out.stdout.count("PTX") == 5
