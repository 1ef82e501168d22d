"""``simulate``: validate, seed and allocate in Python, then run a compiled target."""
import time

import numpy as np

from . import _validate as V
from ._rng import seed_key
from .optimizer import Optimizer
from .result import Result

TARGETS = ("cpu", "cuda")


def record_steps(steps, record_every):
    """Recorded step indices: 0, r, 2r, ... and always the last step."""
    rec = np.arange(0, steps, record_every, dtype=np.int64)
    return np.append(rec, np.int64(steps))


def simulate(problem, optimizer, runs, steps, batch_size=1, seed=0, target="cpu",
             record_every=1, first_run=0, dtype="float64", progress=None):
    """Run ``runs`` independent copies of ``optimizer`` on ``problem`` for ``steps`` steps.

    Run ``i`` uses the random stream keyed by ``(seed, first_run + i)``, so any
    subset of runs can be regenerated alone. Moments over runs are accumulated
    while the runs stream (memory O(runs * d + records)); runs whose metrics leave
    the finite range are counted in ``Result.diverged`` and left out of the moments.

    ``target``: "cpu" (parallel over runs) or "cuda" (one GPU thread per run); the same seed
    gives the same random streams on both. ``dtype``: "float64" or "float32" for the
    parameters and optimizer state (statistics are always accumulated in float64).
    ``progress``: None shows a bar only for calls that last more than a few seconds.
    """
    if not hasattr(problem, "_pack"):
        raise ValueError(f"problem must be a simsgd problem such as Quadratic; got {type(problem).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a simsgd optimizer such as SGD; got {type(optimizer).__name__}")
    runs = V.int_at_least("runs", runs, 1)
    steps = V.int_at_least("steps", steps, 1)
    batch_size = V.int_at_least("batch_size", batch_size, 1)
    seed = V.seed("seed", seed)
    target = V.choice("target", target, TARGETS)
    record_every = V.int_at_least("record_every", record_every, 1)
    first_run = V.int_at_least("first_run", first_run, 0)
    if first_run + runs > 2**63:
        raise ValueError("first_run + runs must be <= 2**63")

    dtype = np.dtype(V.choice("dtype", np.dtype(dtype).name if _is_dtype(dtype) else dtype,
                              ("float64", "float32")))
    if target == "cuda":
        from . import _cuda as backend

        backend.cuda_module()  # a missing GPU is reported before anything is compiled
    else:
        from . import _cpu as backend

    data = problem._pack(batch_size)
    rec = record_steps(steps, record_every)
    theta0 = np.ascontiguousarray(problem.x0, dtype=np.float64)
    bar = _progress_bar(runs, progress)
    t_start = time.perf_counter()
    try:
        n, mu, s, diverged, final, theta = backend.run(
            data, optimizer, optimizer._hyper(), theta0, rec, runs, first_run, seed_key(seed), dtype, bar)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t_start

    meta = {
        **problem.params(),
        **optimizer.params(),
        "runs": runs,
        "steps": steps,
        "batch_size": batch_size,
        "seed": seed,
        "first_run": first_run,
        "record_every": record_every,
        "target": target,
        "dtype": dtype.name,
        "wall_time_s": wall,
    }
    return Result(rec, data.metrics, n, mu, s, diverged, final, theta, meta)


def _is_dtype(x):
    try:
        np.dtype(x)
        return True
    except TypeError:
        return False


def _progress_bar(runs, progress):
    if progress is False:
        return None
    from tqdm.auto import tqdm

    # delay: the bar appears only if the call is still running after 3 s
    return tqdm(total=runs, unit="run", desc="simulate", delay=0.0 if progress else 3.0, leave=False)
