"""The data-parallel kernel of ``hardware_batch``: the same SGD steps on one thread, on several, and in NumPy."""
import numpy as np
import pytest

from simsgd.targets.data_parallel import sgd_steps


@pytest.mark.parametrize("B", [1, 3, 64, 100])
def test_threads_split_the_batch_without_changing_the_steps(B):
    rng = np.random.default_rng(1)
    n, p, lr, steps = 37, 5, 0.05, 20
    X, y = rng.normal(size=(n, p)), rng.normal(size=n)
    want = np.zeros(p)
    for t in range(steps):
        rows = (t * B + np.arange(B)) % n
        want -= lr * X[rows].T @ (X[rows] @ want - y[rows]) / B
    for threads in (1, 2):
        got = sgd_steps(np.zeros(p), X, y, lr, steps, B, threads)
        assert np.allclose(got, want, rtol=1e-12, atol=1e-14)
