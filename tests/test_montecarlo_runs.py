"""The Monte Carlo driver (one stream per run, chunks taken by threads) and the in-kernel linear algebra."""
import numpy as np
import pytest

from simsgd.device.jit import kernel
from simsgd.device.linalg import cho_solve, cholesky
from simsgd.device.rng import next_double, normal
from simsgd.montecarlo.runs import MAX_CHUNKS, per_run


@kernel
def _sums(r, rng, zig, scratch, args):
    out, first = args
    first[r] = next_double(rng, 0)
    s = 0.0
    for i in range(out.shape[1]):
        scratch[i] = normal(rng, 0, zig)
        s += scratch[i]
        out[r, i] = s


@kernel
def _solve(r, rng, zig, scratch, args):
    A, b, x, ok = args
    k = A.shape[1]
    a = scratch[:k * k].reshape((k, k))
    for i in range(k):
        x[r, i] = b[r, i]
        for j in range(k):
            a[i, j] = A[r, i, j]
    ok[r] = cholesky(a, k)
    if ok[r]:
        cho_solve(a, k, x[r])


def _draw(runs, seed, threads, width=50):
    out, first = np.zeros((runs, width)), np.zeros(runs)
    per_run(_sums, runs, seed, width, (out, first), threads=threads)
    return out, first


def test_same_bits_whatever_the_thread_count_and_each_run_alone():
    runs = 2 * MAX_CHUNKS + 7  # chunks of unequal use
    one, f1 = _draw(runs, 11, 1)
    two, f2 = _draw(runs, 11, 2)
    assert np.array_equal(one, two) and np.array_equal(f1, f2)
    # run r's stream depends on (seed, r) only: the first runs of a longer call are a shorter call
    short, _ = _draw(5, 11, 2)
    assert np.array_equal(short, one[:5])
    other, _ = _draw(5, 12, 2)
    assert not np.any(other == short)


def test_streams_are_independent_normals():
    out, first = _draw(4000, 3, None)
    z = np.diff(out, axis=1, prepend=0.0)
    assert abs(z.mean()) < 5 / np.sqrt(z.size)
    assert abs(z.var() - 1.0) < 5 * np.sqrt(2.0 / z.size)
    # neighbouring runs' draws are uncorrelated
    c = np.corrcoef(z[:-1, 0], z[1:, 0])[0, 1]
    assert abs(c) < 5 / np.sqrt(z.shape[0])
    assert 0.0 <= first.min() and first.max() < 1.0 and abs(first.mean() - 0.5) < 5 * np.sqrt(1 / 12 / first.size)


def test_cholesky_solves_like_numpy_and_refuses_an_indefinite_matrix():
    rng = np.random.default_rng(0)
    runs, k = 20, 7
    M = rng.standard_normal((runs, k, k))
    A = M @ M.transpose(0, 2, 1) + 0.1 * np.eye(k)
    A[-1] = -A[-1]
    b = rng.standard_normal((runs, k))
    x, ok = np.zeros((runs, k)), np.zeros(runs, dtype=np.bool_)
    per_run(_solve, runs, 0, k * k, (A, b, x, ok))
    assert ok[:-1].all() and not ok[-1]
    expect = np.linalg.solve(A[:-1], b[:-1, :, None])[..., 0]
    assert np.max(np.abs(x[:-1] - expect) / (1 + np.abs(expect))) < 1e-9


@pytest.mark.parametrize("kwargs,name", [({"runs": 0}, "runs"), ({"seed": -1}, "seed"), ({"threads": 0}, "threads"),
                                         ({"scratch_size": -1}, "scratch_size"), ({"args": [np.zeros(3)]}, "args")])
def test_bad_arguments_are_named(kwargs, name):
    args = {"runs": 3, "seed": 0, "scratch_size": 50, "args": (np.zeros((3, 50)), np.zeros(3))}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        per_run(_sums, args["runs"], args["seed"], args["scratch_size"], args["args"], threads=kwargs.get("threads"))
