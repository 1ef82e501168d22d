"""One run's life, written once for every target: start it, advance it between records, measure it.

The bodies below call ``problem_*`` and ``optimizer_*`` by name; ``pairing`` compiles a copy
of each with those names bound to one problem's and one optimizer's device functions
(``jit.specialise``), so a target's driver inlines exactly that pair's code: nothing else is
compiled, and adding a problem or an optimizer never makes a kernel bigger.
"""
from dataclasses import dataclass

from .jit import SOURCE_HASH, digest_of, specialise
from .rng import seed_stream

# Beyond this a metric's square (summed over runs) could overflow the moments.
DIVERGED_ABOVE = 1e100


def start_run(key, run, x, rs, rng, zig, fd, idata, state, sc, h, o):
    """Seed run ``run``'s stream, then let the problem place it and the optimizer set its state."""
    seed_stream(key, run, rng)
    problem_init(x, rs, rng, zig, fd, idata)  # noqa: F821 (bound by ``pairing``)
    optimizer_init(x, state, sc, h, o)  # noqa: F821


def advance(t0, t1, x, g, p, rs, rng, zig, fd, idata, work, state, sc, h, o):
    """Apply updates t0+1 .. t1 (1-based step counts); ``p`` holds a look-ahead point if the rule has one."""
    for t in range(t0 + 1, t1 + 1):
        at = p if optimizer_lookahead(x, p, state, sc, h, o) else x  # noqa: F821
        problem_grad(at, g, t, rs, rng, zig, fd, idata, work)  # noqa: F821
        optimizer_step(x, g, t, state, sc, h, o)  # noqa: F821
        problem_project(x, fd, idata)  # noqa: F821


def measure(x, out, fd, idata, work):
    """Write the run's metrics into ``out``; return False if any left the finite range (the run diverged).

    The finite range is ``|metric| <= DIVERGED_ABOVE``; NaN and inf are outside it.
    """
    problem_metrics(x, out, fd, idata, work)  # noqa: F821
    ok = True
    for m in range(out.shape[0]):
        if not abs(out[m]) <= DIVERGED_ABOVE:  # also false for NaN
            ok = False
    return ok


@dataclass(frozen=True)
class Pairing:
    """The run loop compiled for one problem class and one optimizer class.

    ``tag`` names the pair in the kernel cache: the registered names and a hash of what both
    classes and their device functions are built from (``jit.digest_of``, on top of
    ``SOURCE_HASH``, which covers the package), so an edit to a rule defined outside the
    package is seen too.
    """

    tag: str
    start_run: object
    advance: object
    measure: object


def _tag(name, *built_from):
    """``name`` and a digest of what the classes and device functions are built from: a kernel's cache name."""
    return f"{name}-{digest_of(*built_from, extra=SOURCE_HASH)[:12]}"


_PAIRINGS = {}


def pairing(problem_cls, problem_name, optimizer_cls, optimizer_name):
    """The ``Pairing`` of two registered classes, compiled once per process."""
    key = (problem_cls, optimizer_cls)
    if key not in _PAIRINGS:
        pk, ok = problem_cls.kernels, optimizer_cls.kernels
        tag = _tag(f"{problem_name}-{optimizer_name}", problem_cls, optimizer_cls, *pk, *ok)
        bind = {"problem_init": pk.init, "problem_grad": pk.grad, "problem_project": pk.project,
                "problem_metrics": pk.metrics, "optimizer_init": ok.init, "optimizer_step": ok.step,
                "optimizer_lookahead": ok.lookahead}
        _PAIRINGS[key] = Pairing(tag, *(specialise(f, tag, bind, inline=True) for f in (start_run, advance, measure)))
    return _PAIRINGS[key]


def replay_steps(theta, state, sc, h, o, grads, out):
    """Apply the optimizer's step to the gradients ``grads[t - 1]``, t = 1..T; ``out[t]`` = theta_t."""
    optimizer_init(theta, state, sc, h, o)  # noqa: F821
    out[0] = theta
    for t in range(1, grads.shape[0] + 1):
        optimizer_step(theta, grads[t - 1], t, state, sc, h, o)  # noqa: F821
        out[t] = theta


_REPLAYERS = {}


def replayer(optimizer_cls, optimizer_name):
    """``replay_steps`` compiled for one optimizer class (cached on disk under its tag)."""
    if optimizer_cls not in _REPLAYERS:
        ok = optimizer_cls.kernels
        bind = {"optimizer_init": ok.init, "optimizer_step": ok.step}
        _REPLAYERS[optimizer_cls] = specialise(replay_steps, _tag(optimizer_name, optimizer_cls, *ok), bind, cache=True)
    return _REPLAYERS[optimizer_cls]
