import os

import numpy as np
import pytest

import simsgd as ss

# the simulator must be switched on before numba is imported: test_cuda_target.py runs that
# folder in a process of its own
collect_ignore = [] if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else ["cudasim"]


@pytest.fixture(scope="session")
def spread():
    """A small quadratic with a spread spectrum, non-zero optimum and per-direction noise."""
    d = 8
    return ss.Quadratic(np.linspace(0.2, 1.0, d), noise_std=np.linspace(0.5, 1.5, d), x0=2.0,
                        theta_star=np.linspace(-1, 1, d))
