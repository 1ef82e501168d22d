"""Running a sweep: in this process or on Dask distributed, resumably, with one progress bar.

Points are packed into tasks of about ``spec.task_seconds`` of work (per-task overhead on Dask is
0.2-1 ms): the first tasks hold one point each, later ones as many as the fastest points measured so far
fit. Tasks run in worker processes that live for the whole sweep, so a kernel compiles (or loads from
the disk cache) once per worker. The CPU target runs its own pool of compiled chunks that release the
GIL, not numba's threading layer, so it is safe in a worker's thread; each task sets numba's thread
count so that workers x threads does not exceed the cores. Only this process writes the store.
"""
import os
import time

import numpy as np

from .. import validate as V
from ..targets import TARGETS, target as get_target
from ..workflow import provenance
from . import store as S
from .quantities import run_point


def compute_task(spec, indices, target, threads):
    """Run the points ``indices`` (contiguous); return (start, arrays stacked over the points, seconds per point)."""
    import numba

    if threads:
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    outs, seconds = [], []
    for i in indices:
        t0 = time.perf_counter()
        outs.append(run_point(spec, i, target))
        seconds.append(time.perf_counter() - t0)
    arrays = {k: np.stack([o[k] for o in outs]) for k in outs[0]}
    return int(indices[0]), arrays, seconds


def sweep(spec, store=None, workers=None, scheduler=None, target="cpu", progress=None):
    """Run every point of ``spec`` not yet in ``store``; return the labelled xarray Dataset.

    ``store``: a zarr path written as points finish and resumed from when it exists (None: in memory only).
    ``workers``: run on a Dask ``LocalCluster`` of that many single-threaded worker processes;
    ``scheduler``: the address of a running Dask cluster. Neither: in this process. ``target``: "cpu" or
    "cuda" (on a cluster, tasks then ask for one ``GPU`` worker resource each).
    """
    import xarray as xr

    if spec.layout == "ranges":
        raise ValueError("this spec declares ranges without samples: give samples to sweep a sampled design, "
                         "or run its sensitivity analysis (which samples its own)")
    target = V.choice("target", target, TARGETS)
    get_target(target)  # a missing GPU is reported before anything runs
    if workers is not None and scheduler is not None:
        raise ValueError("give workers (a local cluster) or scheduler (an existing one), not both")
    if workers is not None:
        workers = V.int_at_least("workers", workers, 1)
    metrics = spec.build(0)[0].metrics
    prov = {**provenance.versions(), **provenance.git_commit(os.getcwd()), "machine": provenance.machine(),
            "written_at": provenance.now(), "target": target}
    ds = S.template(spec, metrics, prov)
    arrays = {k: ds[k].values.copy() for k in ds.data_vars if k not in ("done", "point_seed")}
    if store is not None:
        done = S.create_or_check(store, spec, metrics, prov)
        if done.any():
            saved, done = S.read(store)
            for k in arrays:
                arrays[k][done] = saved[k][done]
    else:
        done = np.zeros(spec.size, dtype=bool)
    pending = np.nonzero(~done)[0]

    def finished(start, out):
        n = len(next(iter(out.values())))
        for k, v in out.items():
            arrays[k][start:start + n] = v
        if store is not None:
            S.write(store, start, out)
        done[start:start + n] = True
        bar.update(n)

    bar = _bar(spec.size, int(done.sum()), progress)
    try:
        if not pending.size:
            pass
        elif workers is None and scheduler is None:
            _in_process(spec, pending, target, finished)
        else:
            _on_dask(spec, pending, target, finished, workers, scheduler)
    finally:
        bar.close()
    for k, v in arrays.items():
        ds[k] = (ds[k].dims, v)
    ds["done"] = ("point", done)
    ds.attrs["resumed_points"] = int(spec.size - pending.size)
    return S.labelled(ds) if isinstance(ds, xr.Dataset) else ds


def _tasks(pending, size):
    """Split the next ``size`` pending points into runs of consecutive indices."""
    head, rest = pending[:size], pending[size:]
    cuts = np.nonzero(np.diff(head) != 1)[0] + 1
    return np.split(head, cuts), rest


class _Packer:
    """How many points make a task of about ``seconds``, from the fastest point times seen so far."""

    def __init__(self, seconds):
        self.seconds, self.times = seconds, []

    def size(self):
        if not self.times or self.seconds <= 0:
            return 1
        return int(max(1, min(4096, self.seconds / max(min(self.times[-16:]), 1e-6))))

    def add(self, times):
        self.times.extend(times)


def _in_process(spec, pending, target, finished):
    packer = _Packer(spec.task_seconds)
    while pending.size:
        parts, pending = _tasks(pending, packer.size())
        for idx in parts:
            start, out, secs = compute_task(spec, idx, target, None)
            packer.add(secs)
            finished(start, out)


def _on_dask(spec, pending, target, finished, workers, scheduler):
    from distributed import Client, LocalCluster, as_completed

    resources = {"GPU": 1} if target == "cuda" else None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               resources=resources, silence_logs=40)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        n_workers = max(1, len(client.scheduler_info()["workers"]))
        threads = max(1, (os.cpu_count() or 1) // n_workers) if scheduler is None else None
        packer = _Packer(spec.task_seconds)
        remote_spec = client.scatter(spec, broadcast=True)
        futures = as_completed()

        def submit():
            nonlocal pending
            if not pending.size:
                return False
            parts, pending = _tasks(pending, packer.size())
            for idx in parts:
                futures.add(client.submit(compute_task, remote_spec, idx, target, threads, pure=False,
                                          key=f"simsgd-sweep-{spec.hash[:10]}-{idx[0]}-{idx[-1]}",
                                          resources=resources))
            return True

        for _ in range(2 * n_workers):
            submit()
        for fut in futures:
            start, out, secs = fut.result()
            packer.add(secs)
            finished(start, out)
            submit()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _bar(total, initial, progress):
    from tqdm.auto import tqdm

    # None: only on a terminal, and only when the sweep lasts more than a few seconds
    return tqdm(total=total, initial=initial, unit="point", desc="sweep", leave=False,
                disable=(progress is False) or (None if progress is None else False), delay=0 if progress else 3)
