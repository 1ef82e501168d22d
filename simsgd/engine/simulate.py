"""``simulate``: validate, seed and allocate in Python, then run a compiled target."""
import sys
import time
from dataclasses import dataclass

import numpy as np

from .. import validate as V
from ..device.jit import SOURCE_HASH
from ..device.loop import Pairing, pairing
from ..device.rng import seed_key
from ..optimizers import OPTIMIZERS, Optimizer
from ..problems import PROBLEMS, Problem
from ..targets import TARGETS, target as get_target
from . import perrun
from .result import Result

KEEP_THETA_BYTES = 256 * 2**20  # keep_theta=None keeps every run's final parameters up to this size


def record_steps(steps, record_every):
    """Recorded step indices: 0, r, 2r, ... and always the last step."""
    rec = np.arange(0, steps, record_every, dtype=np.int64)
    return np.append(rec, np.int64(steps))


@dataclass(frozen=True)
class Job:
    """Everything a target needs for one call: the compiled pair, the packed arrays and the sizes."""

    pairing: Pairing
    fd: np.ndarray           # the problem's float data, run dtype
    idata: np.ndarray        # the problem's integer data and float-field offsets, int64
    h: np.ndarray            # the optimizer's hyperparameters, float64
    o: np.ndarray            # the optimizer's options, int64
    dim: int
    n_state: int
    n_scalar: int
    work_size: int
    run_state_size: int
    metrics: tuple
    rec: np.ndarray          # recorded steps
    runs: int
    first_run: int
    key: int                 # the seed's stream key
    dtype: np.dtype
    keep_theta: bool
    tf: np.ndarray           # per-run statistics to count (``engine.perrun``), float64 and int64
    ti: np.ndarray
    targets: tuple           # ((metric, target), ...) of ``hitting``
    edges: tuple             # ((metric, edges), ...) of ``histogram``
    n_keep: int              # runs whose metrics are kept at every record

    @property
    def n_hit(self):
        return len(self.targets)

    @property
    def n_tally(self):
        """Columns a run may add to at one record (one per target, one per histogram)."""
        return len(self.targets) + len(self.edges)

    @property
    def n_columns(self):
        return perrun.n_columns(self.targets, self.edges)


def simulate(problem, optimizer, runs, steps, batch_size=1, seed=0, target="cpu",
             record_every=1, first_run=0, dtype="float64", keep_theta=None, progress=None,
             hitting=None, histogram=None, trajectories=0):
    """Run ``runs`` independent copies of ``optimizer`` on ``problem`` for ``steps`` steps.

    Run ``i`` uses the random stream keyed by ``(seed, first_run + i)``, so any
    subset of runs can be regenerated alone. Moments over runs are accumulated
    while the runs stream (memory O(records) plus O(d) per thread, and O(runs * d) only
    for ``keep_theta``); runs whose metrics leave the finite range are counted in
    ``Result.diverged`` and left out of the moments.

    ``target``: "cpu" (threads over runs) or "cuda" (one GPU thread per run); the same seed
    gives the same random streams on both. ``dtype``: "float64" or "float32" for the
    parameters and optimizer state (statistics are always accumulated in float64).
    ``keep_theta``: keep every run's final parameters as ``Result.theta`` (None: only while
    they take at most 256 MiB). ``progress``: None shows a bar on a terminal for calls that
    last more than a few seconds (never in a log), True always, False never; unless False, a
    first call's compilation is reported on stderr with its time.

    Per-run statistics, counted in the kernels (``engine.perrun``): ``hitting={metric: targets}``
    (``Result.hitting``: at which recorded step each run first had the metric <= each target, and
    how many never did), ``histogram={metric: bin edges}`` (``Result.histogram``,
    ``Result.quantile``), ``trajectories=K`` (``Result.trajectories``: the first K runs' metrics at
    every record).
    """
    job = plan(problem, optimizer, runs, steps, batch_size, seed, record_every, first_run, dtype, keep_theta,
               hitting, histogram, trajectories)
    target = V.choice("target", target, TARGETS)
    backend = get_target(target)  # a missing GPU is reported before anything is compiled
    bar = _progress_bar(runs, progress)
    t_start = time.perf_counter()
    try:
        n, mu, s, diverged, final, theta, tally, traj = backend.run(job, bar, None if progress is False else _notify)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t_start

    meta = {
        **problem.params(),
        **optimizer.params(),
        "runs": job.runs,
        "steps": steps,
        "batch_size": batch_size,
        "seed": seed,
        "first_run": job.first_run,
        "record_every": record_every,
        "target": target,
        "dtype": job.dtype.name,
        "kernel_source_hash": SOURCE_HASH,
        "kernel": job.pairing.tag,
        "wall_time_s": wall,
    }
    theta = theta.astype(np.float64, copy=False) if job.keep_theta else None
    return Result(job.rec, job.metrics, n, mu, s, diverged, final, theta, meta,
                  tally=tally, targets=job.targets, edges=job.edges, traj=traj)


def plan(problem, optimizer, runs, steps, batch_size=1, seed=0, record_every=1, first_run=0, dtype="float64",
         keep_theta=None, hitting=None, histogram=None, trajectories=0):
    """Validate the arguments of ``simulate`` (ValueError naming the first bad one) and pack them as a ``Job``."""
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a simsgd problem such as Quadratic; got {type(problem).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a simsgd optimizer such as SGD; got {type(optimizer).__name__}")
    problem_name = PROBLEMS.resolve(problem)
    optimizer_name = OPTIMIZERS.resolve(optimizer)
    runs = V.int_at_least("runs", runs, 1)
    steps = V.int_at_least("steps", steps, 1)
    batch_size = V.int_at_least("batch_size", batch_size, 1)
    problem.check_batch_size(batch_size)
    seed = V.seed("seed", seed)
    record_every = V.int_at_least("record_every", record_every, 1)
    first_run = V.int_at_least("first_run", first_run, 0)
    if first_run + runs > 2**63:
        raise ValueError("first_run + runs must be <= 2**63")
    dtype = np.dtype(V.choice("dtype", np.dtype(dtype).name if _is_dtype(dtype) else dtype,
                              ("float64", "float32")))
    if keep_theta is None:
        keep_theta = runs * problem.dim * dtype.itemsize <= KEEP_THETA_BYTES
    elif not isinstance(keep_theta, (bool, np.bool_)):
        raise ValueError(f"keep_theta must be None, True or False; got {keep_theta!r}")
    for name, value in (("hitting", hitting), ("histogram", histogram)):
        if value is not None and not isinstance(value, dict):
            raise ValueError(f"{name} must be None or a dict {{metric: values}}; got {value!r}")
    tf, ti, targets, edges = perrun.pack(tuple(problem.metrics), hitting, histogram)
    n_keep = V.int_at_least("trajectories", trajectories, 0)
    if n_keep > runs:
        raise ValueError(f"trajectories must be in [0, runs = {runs}]; got {n_keep}")
    fd, idata = problem.pack(batch_size, dtype)
    return Job(pairing(type(problem), problem_name, type(optimizer), optimizer_name), fd, idata,
               optimizer.hyper_values(), optimizer.option_values(), problem.dim, optimizer.n_state,
               optimizer.n_scalar, problem.work_size(batch_size), problem.run_state_size, tuple(problem.metrics),
               record_steps(steps, record_every), runs, first_run, seed_key(seed), dtype, bool(keep_theta),
               tf, ti, targets, edges, n_keep)


def _is_dtype(x):
    try:
        np.dtype(x)
        return True
    except TypeError:
        return False


def _notify(message):
    print(message, file=sys.stderr, flush=True)


def _progress_bar(runs, progress):
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    from tqdm.auto import tqdm

    # delay: the bar appears only if the call is still running after 3 s
    return tqdm(total=runs, unit="run", desc="simulate", delay=0.0 if progress else 3.0, leave=False)
