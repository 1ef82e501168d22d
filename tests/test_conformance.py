"""Every registered rule and problem on the CPU target (see CASES for which pairs), driven by the registries alone.

The CUDA target runs the same matrix in numba's simulator (``cudasim/test_cuda_simulator.py``).
``quartic`` registers a problem defined in the tests, the way a user adds one.
"""
import numpy as np
import pytest

import quartic  # noqa: F401 (registers Quartic)
import simsgd as ss
from reference import reference_runs
from simsgd.problems.base import unconstrained

# Every rule with the quadratic, in float64 and float32; every other problem with rules that cover each shape of
# state the kernels carry (none, a look-ahead point, moments, a running maximum, two accumulators, per-run
# scalars), in float64, and with plain SGD in float32. A rule's step is the same inlined function whatever
# the problem, so the full cross product repeats itself at 4-14 s of compiling a pair, and the suite must stay
# under ten minutes.
_SHAPES = (ss.SGD, ss.Nesterov, ss.Adam, ss.AMSGrad, ss.Adadelta, ss.Nadam)
CASES = [(p, o, dt) for p in ss.PROBLEMS for o in ss.OPTIMIZERS
         for dt in (("float64", "float32") if p is ss.Quadratic or o is ss.SGD else ("float64",))
         if p is ss.Quadratic or o in _SHAPES]
IDS = [f"{p.__name__}-{o.__name__}-{dt}" for p, o, dt in CASES]
RTOL = {"float64": 1e-11, "float32": 2e-5}


@pytest.mark.parametrize("problem_cls,optimizer_cls,dtype", CASES, ids=IDS)
def test_kernel_runs_the_contract(problem_cls, optimizer_cls, dtype):
    prob, opt = problem_cls.example(), optimizer_cls.example()
    res = ss.simulate(prob, opt, runs=5, steps=8, record_every=4, seed=3, first_run=7, dtype=dtype,
                      keep_theta=True, progress=False)
    theta, finals, starts, grads = reference_runs(prob, opt, 5, 8, seed=3, dtype=dtype, first_run=7)
    np.testing.assert_allclose(res.theta, theta, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(theta).max())
    for j, m in enumerate(prob.metrics):
        np.testing.assert_allclose(res.final(m), finals[:, j], rtol=RTOL[dtype], atol=1e-300)
        np.testing.assert_allclose(res.mean(m)[-1], finals[:, j].mean(), rtol=1e-4 if dtype == "float32" else 1e-12)
    assert np.all(res.count + res.diverged == 5) and res.steps.tolist() == [0, 4, 8]
    assert res.meta["dtype"] == dtype and res.meta["kernel"].startswith(ss.PROBLEMS.name_of(problem_cls))
    if dtype == "float64" and problem_cls.kernels.project is unconstrained:
        # the compiled step, fed the gradients the kernel drew, retraces every run
        for r in range(5):
            np.testing.assert_allclose(ss.replay(opt, starts[r], grads[r])[-1], theta[r], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("optimizer_cls", list(ss.OPTIMIZERS), ids=lambda c: c.__name__)
def test_every_rule_validates_its_rate(optimizer_cls):
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0"):
        optimizer_cls(lr=-1.0)
    opt = optimizer_cls.example()
    assert set(opt.params()) >= {"optimizer", "lr"} and repr(opt).startswith(optimizer_cls.__name__)


@pytest.mark.parametrize("problem_cls", list(ss.PROBLEMS), ids=lambda c: c.__name__)
def test_every_problem_validates_the_call(problem_cls, monkeypatch):
    from simsgd.targets import cpu

    monkeypatch.setattr(cpu, "driver", lambda pair: pytest.fail("compiled on invalid input"))
    prob = problem_cls.example()
    for kw, pattern in (({"runs": 0}, "runs must be"), ({"steps": -1}, "steps must be"),
                        ({"dtype": "int8"}, "dtype must be"), ({"keep_theta": 1}, "keep_theta must be")):
        with pytest.raises(ValueError, match=pattern):
            ss.simulate(prob, ss.SGD(0.1), **{"runs": 2, "steps": 2, **kw})
    fd, idata = prob.pack(1, np.dtype("float64"))
    assert fd.dtype == np.float64 and idata.dtype == np.int64 and prob.dim >= 1


def test_every_rule_a_framework_has_is_covered_by_goldens():
    import json
    from pathlib import Path

    cases = json.loads((Path(__file__).parent / "fixtures" / "optimizer_goldens.json").read_text())["cases"]
    covered = {type(ss.from_framework(c["framework"], c["name"], **c["kwargs"])) for c in cases}
    for cls in ss.OPTIMIZERS:
        assert (cls in covered) == cls.in_frameworks, cls.__name__
