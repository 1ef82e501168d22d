"""What running the CUDA target in numba's simulator (NUMBA_ENABLE_CUDASIM=1) needs; imported only then."""
import sys
import threading
import traceback

import numpy as np


def plain(a):
    """The NumPy array inside a simulated device array: compiled device functions cannot take the wrapper."""
    return getattr(a, "_ary", a)


def lock_shared_memory():
    """Make the simulator's first ``cuda.shared.array`` call per line atomic.

    The simulator (numba-cuda 0.30) looks up a block's shared array by source line and
    creates it on a miss without a lock, so two threads can each create their own copy
    and a block reduction then silently merges nothing. Same lookup, under a lock.
    """
    from numba.core import types
    from numba.cuda.simulator import kernelapi
    from numba.np import numpy_support

    original = kernelapi.FakeCUDAShared.array
    if getattr(original, "simsgd_locked", False):
        return
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

    array.simsgd_locked = True
    kernelapi.FakeCUDAShared.array = array


def add_warp_shuffle():
    """Give the simulator ``cuda.shfl_down_sync``, which numba-cuda 0.30's simulator lacks.

    Each thread posts its value and reads lane ``laneid + delta`` of its own warp (its own value
    past the warp's end), between two block barriers: right for kernels in which every thread
    of the block reaches each shuffle, as the run kernel's reductions do; the mask is ignored.
    """
    from numba.cuda.simulator import kernelapi

    if hasattr(kernelapi.FakeCUDAModule, "shfl_down_sync"):
        return

    def shfl_down_sync(self, mask, value, delta):
        me = threading.current_thread()
        slots = me._manager.__dict__.setdefault("simsgd_shuffle", {})
        slots[me.thread_id] = value
        me.syncthreads()
        src = me.thread_id + delta
        out = slots[src] if src // 32 == me.thread_id // 32 and src in slots else value
        me.syncthreads()
        return out

    kernelapi.FakeCUDAModule.shfl_down_sync = shfl_down_sync
