import numpy as np
import pytest

import simsgd as ss


@pytest.fixture(scope="session")
def spread():
    """A small quadratic with a spread spectrum, non-zero optimum and per-direction noise."""
    d = 8
    return ss.Quadratic(np.linspace(0.2, 1.0, d), noise_std=np.linspace(0.5, 1.5, d), x0=2.0,
                        theta_star=np.linspace(-1, 1, d))
