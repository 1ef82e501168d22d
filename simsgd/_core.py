"""Target-independent kernel pieces: one run's steps between two records, and its start.

These only read and write arrays they are given (no allocation, ``math`` not
``np``), so the CPU driver and a device kernel can call them alike.
"""
from ._dispatch import optimizer_eval_point, optimizer_step, problem_grad, problem_metrics, problem_project
from ._jit import kernel
from ._rng import seed_stream


@kernel(inline=True)
def start_run(key, run, rng, state):
    """Seed the run's stream and reset its optimizer state (the caller sets the starting point)."""
    seed_stream(key, run, rng)
    for s in range(state.shape[0]):
        for i in range(state.shape[1]):
            state[s, i] = 0.0


@kernel(inline=True)
def advance(t0, t1, x, state, g, p, work, rng, zig, pkind, vec, mat, scal, okind, hyper):
    """Apply updates t0+1 .. t1 (1-based step counts) to one run; ``p`` holds a look-ahead point if needed."""
    for t in range(t0, t1):
        if optimizer_eval_point(okind, x, state, hyper, p):
            problem_grad(pkind, p, rng, zig, vec, mat, scal, work, g, t + 1)
        else:
            problem_grad(pkind, x, rng, zig, vec, mat, scal, work, g, t + 1)
        optimizer_step(okind, x, g, state, hyper, t + 1)
        problem_project(pkind, x, scal)


# Beyond this a metric's square (summed over runs) could overflow the moments.
DIVERGED_ABOVE = 1e100


@kernel(inline=True)
def measure(x, pkind, vec, mat, scal, work, out):
    """Write the run's metrics into ``out``; return False if any left the finite range (the run diverged).

    The finite range is ``|metric| <= DIVERGED_ABOVE``; NaN and inf are outside it.
    """
    problem_metrics(pkind, x, vec, mat, scal, work, out)
    ok = True
    for m in range(out.shape[0]):
        if not abs(out[m]) <= DIVERGED_ABOVE:  # also false for NaN
            ok = False
    return ok
