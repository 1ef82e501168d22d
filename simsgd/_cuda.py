"""The CUDA target: one thread per run, calling the same core functions as the CPU target.

numba-cuda compiles the core's ``@njit`` functions as device functions when a
``cuda.jit`` kernel calls them. Local arrays need compile-time shapes, so kernels
are built per (dimension, state rows, work rows, metrics, block size, dtype) and
kept for the process (``cache=True`` does not persist factory-built kernels).

Statistics stay deterministic: each block merges its threads' (count, mean, M2) per
recorded step with a fixed shared-memory tree (Chan et al., 1979), and a second kernel
merges the block partials in block order, one thread per record. No float atomics.
"""
import os
import sys

import numpy as np

from ._core import advance, measure, start_run
from ._jit import kernel
from ._rng import STATE_WORDS, ZIGGURAT

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
    def _plain(a):
        """The NumPy array inside a simulated device array: compiled core functions cannot take the wrapper."""
        return getattr(a, "_ary", a)

    def _lock_simulated_shared_memory():
        """Make the simulator's first ``cuda.shared.array`` call per line atomic.

        The simulator (numba-cuda 0.30) looks up a block's shared array by source line and
        creates it on a miss without a lock, so two threads can each create their own copy
        and a block reduction then silently merges nothing. Same lookup, under a lock.
        """
        import threading
        import traceback

        from numba.core import types
        from numba.cuda.simulator import kernelapi
        from numba.np import numpy_support

        original = kernelapi.FakeCUDAShared.array
        lock = threading.Lock()

        def array(self, shape, dtype, alignment=None):
            if shape == 0 or alignment is not None:
                return original(self, shape, dtype, alignment)
            if isinstance(dtype, types.Type):
                dtype = numpy_support.as_dtype(dtype)
            caller = traceback.extract_stack(sys._getframe())[-2][0:2]
            with lock:
                res = self._allocations.get(caller)
                if res is None:
                    res = self._allocations[caller] = np.empty(shape, dtype)
            return res

        kernelapi.FakeCUDAShared.array = array

    if cuda is not None:
        _lock_simulated_shared_memory()
else:
    @kernel
    def _plain(a):
        return a


THREADS_PER_BLOCK = 128
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


def get_kernel(pkind, okind, d, n_state, n_work, n_met, tpb, dtype):
    """The kernel for this problem and optimizer kind and these compile-time shapes, built once per process.

    Fixing the kinds at compile time lets the compiler drop every other problem's and
    optimizer's code: fewer registers per thread, more threads resident per SM.
    """
    key = (pkind, okind, d, n_state, n_work, n_met, tpb, np.dtype(dtype).name)
    if key not in _KERNELS:
        _KERNELS[key] = _build(*key)
    return _KERNELS[key]


def _build(pk, okd, d, n_state, n_work, n_met, tpb, dtype_name):
    from numba import float64, from_dtype, int32, uint64

    fdt = from_dtype(np.dtype(dtype_name))
    rows = max(n_state, 1)

    @cuda.jit
    def run_records(rec_steps, zig_global, k_lo, k_hi, key, first_run, n_runs,
                    vec, mat, scal, hyper, theta0,
                    theta, state, rng, alive, final,
                    p_count, p_mean, p_m2, p_div):
        r = cuda.grid(1)
        tid = cuda.threadIdx.x
        blk = cuda.blockIdx.x
        rec_steps = _plain(rec_steps)
        vec = _plain(vec)
        mat = _plain(mat)
        scal = _plain(scal)
        hyper = _plain(hyper)
        x = cuda.local.array(d, fdt)
        st = cuda.local.array((rows, d), fdt)
        g = cuda.local.array(d, fdt)
        pt = cuda.local.array(d, fdt)
        work = cuda.local.array((n_work, d), fdt)
        rs = cuda.local.array(STATE_WORDS, uint64)
        met = cuda.local.array(n_met, float64)
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
                for i in range(d):
                    x[i] = theta0[i]
                start_run(key, first_run + r, rs, st)
                ok = True
            else:
                t = rec_steps[k_lo - 1]
                for i in range(d):
                    x[i] = theta[r, i]
                for s in range(n_state):
                    for i in range(d):
                        st[s, i] = state[r, s, i]
                for w in range(STATE_WORDS):
                    rs[w] = rng[r, w]
                ok = alive[r] != 0
                for m in range(n_met):
                    met[m] = final[r, m]
        for k in range(k_lo, k_hi):
            if active and ok:
                advance(t, rec_steps[k], x, st, g, pt, work, rs, zig, pk, vec, mat, scal, okd, hyper)
                ok = measure(x, pk, vec, mat, scal, work, met)
            t = rec_steps[k]
            counted = active and ok
            sh_n[tid] = 1.0 if counted else 0.0
            for m in range(n_met):
                sh_mean[tid, m] = met[m] if counted else 0.0
                sh_m2[tid, m] = 0.0
            sh_div[tid] = 1 if (active and not ok) else 0
            cuda.syncthreads()
            half = tpb // 2
            while half > 0:
                if tid < half:
                    o = tid + half
                    na = sh_n[tid]
                    nb = sh_n[o]
                    n = na + nb
                    if nb > 0.0:
                        for m in range(n_met):
                            delta = sh_mean[o, m] - sh_mean[tid, m]
                            sh_mean[tid, m] += delta * nb / n
                            sh_m2[tid, m] += sh_m2[o, m] + delta * delta * na * nb / n
                    sh_n[tid] = n
                    sh_div[tid] += sh_div[o]
                cuda.syncthreads()
                half //= 2
            if tid == 0:
                j = k - k_lo
                p_count[blk, j] = int(sh_n[0])
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
            for w in range(STATE_WORDS):
                rng[r, w] = rs[w]
            alive[r] = 1 if ok else 0
            for m in range(n_met):
                final[r, m] = met[m]

    return run_records


def run(data, optimizer, hyper, theta0, rec, runs, first_run, key, dtype, bar):
    """Simulate on the GPU; return merged moments (count, mean, M2, diverged per record), final metrics and theta.

    Records are processed in launches of ``kc`` at a time, the runs' state staying on the
    device in between; each launch's block partials are merged on the host right away, so
    host memory is O(blocks * kc) whatever the number of records.
    """
    cuda_module()
    d = theta0.size
    n_met = len(data.metrics)
    tpb = THREADS_PER_BLOCK
    blocks = -(-runs // tpb)
    K = rec.size
    kc = int(max(1, min(K, PARTIAL_BYTES // max(1, blocks * (2 * n_met * 8 + 16)))))
    kern = get_kernel(data.kind, optimizer.kind, d, optimizer.n_state, data.n_work, n_met, tpb, dtype)

    to = cuda.to_device
    d_args = [to(np.ascontiguousarray(a)) for a in (data.vec.astype(dtype), data.mat.astype(dtype),
                                                     data.scal, hyper, theta0.astype(dtype))]
    d_rec = to(rec)
    d_zig = to(ZIGGURAT)
    d_theta = cuda.device_array((runs, d), dtype=dtype)
    # no optimizer state: a placeholder the kernel never touches
    d_state = cuda.device_array((runs, optimizer.n_state, d) if optimizer.n_state else (1, 1, 1), dtype=dtype)
    d_rng = cuda.device_array((runs, STATE_WORDS), dtype=np.uint64)
    d_alive = cuda.device_array(runs, dtype=np.int8)
    d_final = cuda.device_array((runs, n_met), dtype=np.float64)
    d_count = cuda.device_array((blocks, kc), dtype=np.int64)
    d_mean = cuda.device_array((blocks, kc, n_met), dtype=np.float64)
    d_m2 = cuda.device_array((blocks, kc, n_met), dtype=np.float64)
    d_div = cuda.device_array((blocks, kc), dtype=np.int64)

    # merged over blocks on the device: only (K, n_met) numbers travel to the host
    d_out_count = cuda.device_array(K, dtype=np.int64)
    d_out_mean = cuda.device_array((K, n_met), dtype=np.float64)
    d_out_m2 = cuda.device_array((K, n_met), dtype=np.float64)
    d_out_div = cuda.device_array(K, dtype=np.int64)
    merge = merge_kernel()
    vec, mat, scal, hyp, th0 = d_args
    for k_lo in range(0, K, kc):
        k_hi = min(k_lo + kc, K)
        kern[blocks, tpb](d_rec, d_zig, k_lo, k_hi, np.uint64(key), first_run, runs,
                          vec, mat, scal, hyp, th0,
                          d_theta, d_state, d_rng, d_alive, d_final,
                          d_count, d_mean, d_m2, d_div)
        n = k_hi - k_lo
        merge[-(-n // MERGE_THREADS), MERGE_THREADS](d_count, d_mean, d_m2, d_div, n, k_lo,
                                                      d_out_count, d_out_mean, d_out_m2, d_out_div)
        if bar is not None:
            bar.update(runs * n / K)
    cuda.synchronize()
    return (d_out_count.copy_to_host(), d_out_mean.copy_to_host(), d_out_m2.copy_to_host(),
            d_out_div.copy_to_host(), d_final.copy_to_host(), d_theta.copy_to_host().astype(np.float64))


MERGE_THREADS = 64


def merge_kernel():
    """The kernel that merges block partials in block order, one thread per record (Chan et al., 1979)."""
    if "merge" not in _KERNELS:
        @cuda.jit
        def merge_blocks(p_count, p_mean, p_m2, p_div, n_rec, k_lo, count, mean, m2, div):
            j = cuda.grid(1)
            if j >= n_rec:
                return
            n_met = p_mean.shape[2]
            n = 0.0
            dv = 0
            for b in range(p_count.shape[0]):
                nb = float(p_count[b, j])
                dv += p_div[b, j]
                if nb > 0.0:
                    tot = n + nb
                    for m in range(n_met):
                        delta = p_mean[b, j, m] - mean[k_lo + j, m]
                        if n == 0.0:
                            mean[k_lo + j, m] = p_mean[b, j, m]
                            m2[k_lo + j, m] = p_m2[b, j, m]
                        else:
                            mean[k_lo + j, m] += delta * nb / tot
                            m2[k_lo + j, m] += p_m2[b, j, m] + delta * delta * n * nb / tot
                    n = tot
            if n == 0.0:
                for m in range(n_met):
                    mean[k_lo + j, m] = 0.0
                    m2[k_lo + j, m] = 0.0
            count[k_lo + j] = int(n)
            div[k_lo + j] = dv

        _KERNELS["merge"] = merge_blocks
    return _KERNELS["merge"]
