"""The CUDA target: one thread per run, calling the same run loop as the CPU target.

numba-cuda compiles the run loop's ``@njit`` functions as device functions when a
``cuda.jit`` kernel calls them. Local arrays need compile-time shapes, so kernels are
built per (problem/optimizer pair, dimension, state sizes, metrics, block size, dtype)
and kept for the process.

Statistics stay deterministic: per recorded step, each warp pools its threads' (count,
mean, M2) pairwise with shuffles (lane i takes lane i + 16, then i + 8, ...), the warps'
totals are pooled in warp order through shared memory, and a second kernel merges the
block partials in block order, one thread per record, all with ``device.moments.merge``.
No float atomics. ``REDUCTION = "tree"`` selects the previous shared-memory tree instead
(log2(threads) barriers per record); the tests check both against the CPU target.
"""
import os

import numpy as np

from ..device.moments import merge
from ..device.rng import STATE_WORDS, ZIGGURAT
from ..device.tallies import tally_columns

try:
    # a module global: the simulator swaps in its fake ``cuda`` by name in the kernel's globals
    from numba import cuda
except Exception as exc:  # ImportError, or the runtime library missing
    cuda = None
    _IMPORT_ERROR = exc


def simulator():
    """True when numba runs CUDA kernels in its Python simulator (NUMBA_ENABLE_CUDASIM=1)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


if simulator():
    from .cudasim import add_warp_shuffle, lock_shared_memory, plain

    if cuda is not None:
        lock_shared_memory()
        add_warp_shuffle()
else:
    from ..device.jit import kernel

    @kernel(inline=True)
    def plain(a):
        return a


THREADS_PER_BLOCK = 128
WARP = 32
FULL_MASK = 0xFFFFFFFF
REDUCTIONS = ("shuffle", "tree")
# how a block pools its runs' moments per record: warp shuffles (one barrier per record), or the
# shared-memory tree (log2(threads) barriers). The simulator's shuffles are emulated with two block
# barriers each (``cudasim.add_warp_shuffle``), six times slower there than the tree: it defaults to the tree
REDUCTION = "tree" if simulator() else "shuffle"
# a cap on registers per thread (None: the compiler's choice). The run kernels need about 100 (d = 8 or
# 100) to 250 (a 1-32-1 MLP in float64), which leaves sm_90 at 12-25% occupancy (benchmarks/ptxas_report.py);
# whether a cap's spills cost less than the occupancy gains is measured by benchmarks/gpu_check.py
MAX_REGISTERS = None
ZIG_COLS = ZIGGURAT.shape[1]
PARTIAL_BYTES = 64 * 2**20  # per launch, for the block partials of its records

_KERNELS = {}


def cuda_module():
    """``numba.cuda``, or a RuntimeError that says how to get a usable one."""
    if cuda is None:
        raise RuntimeError(
            "target='cuda' needs numba-cuda and the CUDA runtime: pip install 'simsgd[cuda]' "
            f"({type(_IMPORT_ERROR).__name__}: {_IMPORT_ERROR})") from _IMPORT_ERROR
    if not simulator() and not cuda.is_available():
        raise RuntimeError(
            "target='cuda' found no usable NVIDIA GPU (driver and device). Use target='cpu', or run "
            "the kernels in numba's CUDA simulator by setting NUMBA_ENABLE_CUDASIM=1 before numba is imported.")
    return cuda


def device_info():
    """Name, compute capability and driver of the current device; None without one."""
    try:
        cuda_module()
    except RuntimeError as exc:
        return {"available": False, "reason": str(exc)}
    if simulator():
        return {"available": True, "simulator": True}
    dev = cuda.get_current_device()
    cc = dev.compute_capability
    name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    return {"available": True, "simulator": False, "name": name,
            "compute_capability": f"{cc[0]}.{cc[1]}", "driver": _driver_version()}


def _driver_version():
    try:
        v = cuda.cudadrv.driver.driver.get_version()
        return f"{v[0]}.{v[1]}" if isinstance(v, tuple) else str(v)
    except Exception:
        return None


def shape_of(job, tpb):
    """The compile-time shapes of ``job``'s kernel."""
    return (job.dim, job.n_state, job.n_scalar, job.work_size, job.run_state_size, len(job.metrics), job.n_hit,
            job.n_tally, tpb, np.dtype(job.dtype).name, REDUCTION, MAX_REGISTERS)


def get_kernel(pair, shape):
    """The kernel for a ``device.loop.Pairing`` and compile-time ``shape`` (``shape_of``), built once per process."""
    key = (pair.tag, shape)
    if key not in _KERNELS:
        _KERNELS[key] = _build(pair, *shape)
    return _KERNELS[key]


def _build(pair, d, n_state, n_scalar, n_work, n_rs, n_met, n_hit, n_tally, tpb, dtype_name, reduction, max_registers):
    from numba import float64, from_dtype, int32, int64, uint64

    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")
    SHUFFLE = reduction == "shuffle"
    if SHUFFLE and tpb % WARP:
        raise ValueError(f"the shuffle reduction needs whole warps: threads per block a multiple of {WARP}; got {tpb}")
    n_warps = max(1, tpb // WARP)
    fdt = from_dtype(np.dtype(dtype_name))
    start_run, advance, measure = pair.start_run, pair.advance, pair.measure
    rows, n_sc, n_w, n_r = max(n_state, 1), max(n_scalar, 1), max(n_work, 1), max(n_rs, 1)
    n_h, n_c = max(n_hit, 1), max(n_tally, 1)

    @cuda.jit(**({"max_registers": max_registers} if max_registers else {}))
    def run_records(rec_steps, zig_global, k_lo, k_hi, key, first_run, n_runs, fd, idata, h, o,
                    theta, state, scalars, run_state, rng, alive, final,
                    p_count, p_mean, p_m2, p_div, tf, ti, hitflags, tally, traj):
        r = cuda.grid(1)
        tid = cuda.threadIdx.x
        blk = cuda.blockIdx.x
        rec_steps = plain(rec_steps)
        fd = plain(fd)
        idata = plain(idata)
        h = plain(h)
        o = plain(o)
        tf = plain(tf)
        ti = plain(ti)
        n_keep = traj.shape[0]
        hit = cuda.local.array(n_h, int64)
        cols = cuda.local.array(n_c, int64)
        x = cuda.local.array(d, fdt)
        g = cuda.local.array(d, fdt)
        pt = cuda.local.array(d, fdt)
        st_full = cuda.local.array((rows, d), fdt)
        sc_full = cuda.local.array(n_sc, fdt)
        work_full = cuda.local.array(n_w, fdt)
        rs_full = cuda.local.array(n_r, int64)
        st = st_full[:n_state]
        sc = sc_full[:n_scalar]
        work = work_full[:n_work]
        rs = rs_full[:n_rs]
        rg = cuda.local.array(STATE_WORDS, uint64)
        met = cuda.local.array(n_met, float64)
        if SHUFFLE:
            lane = tid % WARP
            warp = tid // WARP
            w_mean = cuda.local.array(n_met, float64)
            w_m2 = cuda.local.array(n_met, float64)
            sw_n = cuda.shared.array((2, n_warps), float64)
            sw_mean = cuda.shared.array((2, n_warps, n_met), float64)
            sw_m2 = cuda.shared.array((2, n_warps, n_met), float64)
            sw_div = cuda.shared.array((2, n_warps), int64)
        else:
            sh_n = cuda.shared.array(tpb, float64)
            sh_mean = cuda.shared.array((tpb, n_met), float64)
            sh_m2 = cuda.shared.array((tpb, n_met), float64)
            sh_div = cuda.shared.array(tpb, int32)
        zig = cuda.shared.array((3, ZIG_COLS), float64)
        for c in range(tid, 3 * ZIG_COLS, tpb):
            zig[c // ZIG_COLS, c % ZIG_COLS] = zig_global[c // ZIG_COLS, c % ZIG_COLS]
        cuda.syncthreads()

        active = r < n_runs
        ok = False
        t = 0
        if active:
            if k_lo == 0:
                start_run(key, first_run + r, x, rs, rg, zig, fd, idata, st, sc, h, o)
                ok = True
                for j in range(n_hit):
                    hit[j] = 0
            else:
                t = rec_steps[k_lo - 1]
                for i in range(d):
                    x[i] = theta[r, i]
                for s in range(n_state):
                    for i in range(d):
                        st[s, i] = state[r, s, i]
                for k in range(n_scalar):
                    sc[k] = scalars[r, k]
                for k in range(n_rs):
                    rs[k] = run_state[r, k]
                for w in range(STATE_WORDS):
                    rg[w] = rng[r, w]
                ok = alive[r] != 0
                for m in range(n_met):
                    met[m] = final[r, m]
                for j in range(n_hit):
                    hit[j] = hitflags[r, j]
        for k in range(k_lo, k_hi):
            if active and ok:
                advance(t, rec_steps[k], x, g, pt, rs, rg, zig, fd, idata, work, st, sc, h, o)
                ok = measure(x, met, fd, idata, work)
                if r < n_keep:
                    for m in range(n_met):
                        traj[r, k, m] = met[m]
                if ok and n_tally > 0:
                    for i in range(tally_columns(met, tf, ti, hit, cols)):
                        cuda.atomic.add(tally, (k, cols[i]), 1)
            t = rec_steps[k]
            counted = active and ok
            if SHUFFLE:
                # lanes pool pairwise down the warp (lane 0 ends with its warp's 32 runs), warps through shared
                # memory in warp order; buffers alternate by record, so one barrier per record suffices
                n = 1.0 if counted else 0.0
                dv = 1 if (active and not ok) else 0
                for m in range(n_met):
                    w_mean[m] = met[m] if counted else 0.0
                    w_m2[m] = 0.0
                off = WARP // 2
                while off > 0:
                    nb = cuda.shfl_down_sync(FULL_MASK, n, off)
                    dv += cuda.shfl_down_sync(FULL_MASK, dv, off)
                    for m in range(n_met):
                        mb = cuda.shfl_down_sync(FULL_MASK, w_mean[m], off)
                        m2b = cuda.shfl_down_sync(FULL_MASK, w_m2[m], off)
                        _, w_mean[m], w_m2[m] = merge(n, w_mean[m], w_m2[m], nb, mb, m2b)
                    n += nb
                    off //= 2
                buf = k & 1
                if lane == 0:
                    sw_n[buf, warp] = n
                    sw_div[buf, warp] = dv
                    for m in range(n_met):
                        sw_mean[buf, warp, m] = w_mean[m]
                        sw_m2[buf, warp, m] = w_m2[m]
                cuda.syncthreads()
                if tid == 0:
                    for w in range(1, n_warps):
                        nb = sw_n[buf, w]
                        dv += sw_div[buf, w]
                        for m in range(n_met):
                            _, w_mean[m], w_m2[m] = merge(n, w_mean[m], w_m2[m], nb, sw_mean[buf, w, m],
                                                          sw_m2[buf, w, m])
                        n += nb
                    j = k - k_lo
                    p_count[blk, j] = n
                    p_div[blk, j] = dv
                    for m in range(n_met):
                        p_mean[blk, j, m] = w_mean[m]
                        p_m2[blk, j, m] = w_m2[m]
            else:
                sh_n[tid] = 1.0 if counted else 0.0
                for m in range(n_met):
                    sh_mean[tid, m] = met[m] if counted else 0.0
                    sh_m2[tid, m] = 0.0
                sh_div[tid] = 1 if (active and not ok) else 0
                cuda.syncthreads()
                half = tpb // 2
                while half > 0:
                    if tid < half:
                        b = tid + half
                        na = sh_n[tid]
                        nb = sh_n[b]
                        for m in range(n_met):
                            _, sh_mean[tid, m], sh_m2[tid, m] = merge(na, sh_mean[tid, m], sh_m2[tid, m],
                                                                      nb, sh_mean[b, m], sh_m2[b, m])
                        sh_n[tid] = na + nb
                        sh_div[tid] += sh_div[b]
                    cuda.syncthreads()
                    half //= 2
                if tid == 0:
                    j = k - k_lo
                    p_count[blk, j] = sh_n[0]
                    p_div[blk, j] = sh_div[0]
                    for m in range(n_met):
                        p_mean[blk, j, m] = sh_mean[0, m]
                        p_m2[blk, j, m] = sh_m2[0, m]
                cuda.syncthreads()
        if active:
            for i in range(d):
                theta[r, i] = x[i]
            for s in range(n_state):
                for i in range(d):
                    state[r, s, i] = st[s, i]
            for k in range(n_scalar):
                scalars[r, k] = sc[k]
            for k in range(n_rs):
                run_state[r, k] = rs[k]
            for w in range(STATE_WORDS):
                rng[r, w] = rg[w]
            alive[r] = 1 if ok else 0
            for m in range(n_met):
                final[r, m] = met[m]
            for j in range(n_hit):
                hitflags[r, j] = hit[j]

    return run_records


def run(job, bar, notify=None):
    """Simulate ``job`` (an ``engine.simulate.Job``) on the GPU; return (count, mean, M2, diverged) per record, final metrics and theta.

    Records are processed in launches of ``kc`` at a time, the runs' state staying on the
    device in between; the block partials are merged on the device after each launch, so
    only (records, metrics) numbers travel back whatever the number of runs.
    """
    cuda_module()
    runs, d = job.runs, job.dim
    n_met = len(job.metrics)
    tpb = THREADS_PER_BLOCK
    blocks = -(-runs // tpb)
    K = job.rec.size
    kc = int(max(1, min(K, PARTIAL_BYTES // max(1, blocks * (2 * n_met * 8 + 16)))))
    kern = get_kernel(job.pairing, shape_of(job, tpb))

    d_args = Arguments(job, blocks, kc, cuda.to_device, cuda.device_array)
    out_count = cuda.device_array(K, dtype=np.float64)
    out_mean = cuda.device_array((K, n_met), dtype=np.float64)
    out_m2 = cuda.device_array((K, n_met), dtype=np.float64)
    out_div = cuda.device_array(K, dtype=np.int64)
    merge_blocks = merge_kernel()
    for k_lo in range(0, K, kc):
        k_hi = min(k_lo + kc, K)
        kern[blocks, tpb](*d_args.launch(k_lo, k_hi))
        n = k_hi - k_lo
        merge_blocks[-(-n // MERGE_THREADS), MERGE_THREADS](*d_args.partials, n, k_lo,
                                                             out_count, out_mean, out_m2, out_div)
        if bar is not None:
            bar.update(runs * n / K)
    cuda.synchronize()
    theta = d_args.theta.copy_to_host() if job.keep_theta else np.empty((0, d), dtype=job.dtype)
    tally = d_args.tally.copy_to_host()[:, :job.n_columns]
    return (out_count.copy_to_host().astype(np.int64), out_mean.copy_to_host(), out_m2.copy_to_host(),
            out_div.copy_to_host(), d_args.final.copy_to_host(), theta, tally, d_args.traj.copy_to_host())


class Arguments:
    """The kernel's arguments for ``job``: its read-only inputs copied with ``to``, per-run state and block
    partials allocated with ``alloc`` (device arrays on a GPU; NumPy arrays to compile to PTX without one)."""

    def __init__(self, job, blocks, kc, to, alloc):
        runs, d, dt, n_met = job.runs, job.dim, job.dtype, len(job.metrics)
        self.job = job
        self.inputs = tuple(to(np.ascontiguousarray(a)) for a in (job.rec, ZIGGURAT))
        self.data = tuple(to(np.ascontiguousarray(a)) for a in (job.fd, job.idata, job.h, job.o))
        self.theta = alloc((runs, d), dt)
        self.final = alloc((runs, n_met), np.float64)
        # zero-size state is never touched: a placeholder of one element keeps the argument types simple
        self.per_run = (self.theta, alloc((runs, max(job.n_state, 1), d), dt), alloc((runs, max(job.n_scalar, 1)), dt),
                        alloc((runs, max(job.run_state_size, 1)), np.int64), alloc((runs, STATE_WORDS), np.uint64),
                        alloc(runs, np.int8), self.final)
        self.partials = (alloc((blocks, kc), np.float64), alloc((blocks, kc, n_met), np.float64),
                         alloc((blocks, kc, n_met), np.float64), alloc((blocks, kc), np.int64))
        # per-run statistics: counts zeroed, trajectories NaN until written (``to`` of host arrays sets both)
        self.tally = to(np.zeros((job.rec.size, max(job.n_columns, 1)), np.int64))
        self.traj = to(np.full((job.n_keep, job.rec.size, n_met), np.nan))
        self.perrun = (*(to(np.ascontiguousarray(a)) for a in (job.tf, job.ti)),
                       alloc((runs if job.n_hit else 1, max(job.n_hit, 1)), np.int8), self.tally, self.traj)

    def launch(self, k_lo, k_hi):
        """The arguments of the launch that advances every run through records ``k_lo .. k_hi - 1``."""
        return (*self.inputs, k_lo, k_hi, np.uint64(self.job.key), self.job.first_run, self.job.runs, *self.data,
                *self.per_run, *self.partials, *self.perrun)


MERGE_THREADS = 64


def merge_kernel():
    """The kernel that merges block partials in block order, one thread per record."""
    if "merge" not in _KERNELS:
        @cuda.jit
        def merge_blocks(p_count, p_mean, p_m2, p_div, n_rec, k_lo, count, mean, m2, div):
            j = cuda.grid(1)
            if j >= n_rec:
                return
            n_met = p_mean.shape[2]
            n = 0.0
            dv = 0
            for m in range(n_met):
                mean[k_lo + j, m] = 0.0
                m2[k_lo + j, m] = 0.0
            for b in range(p_count.shape[0]):
                nb = p_count[b, j]
                dv += p_div[b, j]
                for m in range(n_met):
                    _, mean[k_lo + j, m], m2[k_lo + j, m] = merge(n, mean[k_lo + j, m], m2[k_lo + j, m],
                                                                  nb, p_mean[b, j, m], p_m2[b, j, m])
                n += nb
            count[k_lo + j] = n
            div[k_lo + j] = dv

        _KERNELS["merge"] = merge_blocks
    return _KERNELS["merge"]
