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
