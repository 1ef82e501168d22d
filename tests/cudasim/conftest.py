import os
import sys

import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    pytest.exit("tests/cudasim needs NUMBA_ENABLE_CUDASIM=1 in the environment before numba is imported", 2)

# the simulator's barriers poll under the GIL: a short switch interval makes them ~10x faster
sys.setswitchinterval(1e-4)
