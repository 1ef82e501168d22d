"""Compiled kernels are never served stale: an edit to any kernel source changes the results, with no cache clearing."""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import simsgd

PACKAGE = Path(simsgd.__file__).resolve().parent

SCRIPT = textwrap.dedent("""
    import numpy as np, simsgd as ss
    import half  # a rule in a file of the user's own
    prob = ss.Quadratic([1.0], noise_std=0.0, x0=1.0)
    for opt in (ss.SGD(0.1), half.Half(0.1)):
        r = ss.simulate(prob, opt, runs=1, steps=1, keep_theta=True)
        print(type(opt).__name__, r.theta[0, 0], ss.replay(opt, 1.0, np.ones((1, 1)))[1, 0])
    state = np.array([2**62, 2**62, 1, 1], np.uint64)  # first output 2**63: a uniform of 1/2
    print("Uniform", half.first_uniform(state), 0.0)  # a cached user kernel calling a package one
    """)

HALF = textwrap.dedent('''
    import simsgd as ss
    H = ss.names("lr")

    @ss.kernel(inline=True)
    def step(theta, g, t, state, sc, h, o):
        for i in range(theta.shape[0]):
            theta[i] -= 0.5 * h[H.lr] * g[i]

    class Half(ss.Optimizer):
        hyper = H
        kernels = ss.OptimizerKernels(step=step)

        def __init__(self, lr):
            self.lr = lr

    ss.register_optimizer(Half)


    @ss.kernel
    def first_uniform(state):
        return ss.next_double(state, 0)
    ''')


def _run(tmp_path):
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'pkg'}{os.pathsep}{tmp_path / 'user'}",
           "SIMSGD_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return dict((line.split()[0], tuple(map(float, line.split()[1:]))) for line in out.stdout.splitlines())


def _cached(tmp_path):
    return sorted((str(p.relative_to(tmp_path)), p.stat().st_mtime_ns) for p in (tmp_path / "cache").rglob("*")
                  if p.is_file())


def test_edits_to_package_and_user_rules_reach_the_kernels(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "pkg" / "simsgd", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "half.py").write_text(HALF)

    first = _run(tmp_path)
    assert first == {"SGD": (0.9, 0.9), "Half": (0.95, 0.95), "Uniform": (0.5, 0.0)}
    files = _cached(tmp_path)
    assert any("run_chunk[quadratic-sgd-" in f for f, _ in files)
    assert any("run_chunk[quadratic-half-" in f for f, _ in files)
    assert _run(tmp_path) == first and _cached(tmp_path) == files  # served from the cache: no file rewritten

    sgd = tmp_path / "pkg" / "simsgd" / "optimizers" / "sgd.py"
    sgd.write_text(sgd.read_text().replace("theta[i] -= lr * g[i]", "theta[i] -= 2.0 * lr * g[i]"))
    rng = tmp_path / "pkg" / "simsgd" / "device" / "rng.py"
    rng.write_text(rng.read_text().replace(">> uint64(11)) * _INV_2_53", ">> uint64(11)) * _INV_2_53 * 0.5"))
    second = _run(tmp_path)
    assert second["SGD"] == (0.8, 0.8) and second["Uniform"] == (0.25, 0.0)

    half = tmp_path / "user" / "half.py"
    half.write_text(half.read_text().replace("0.5 * h[H.lr]", "0.25 * h[H.lr]"))
    assert _run(tmp_path)["Half"] == (0.975, 0.975)
