"""The registry the kernels dispatch through: one entry per problem and per optimizer.

Kinds are compile-time integers, so each branch is resolved once per call and
the compiled kernel serves every problem/optimizer pair (and is cached on disk).
"""
from ._jit import kernel
from . import quadratic, sgd

QUADRATIC = quadratic.KIND
SGD = sgd.KIND
_quad_grad = quadratic.grad
_quad_metrics = quadratic.metrics
_sgd_step = sgd.step


@kernel(inline=True)
def problem_grad(kind, x, rng, zig, vec, mat, scal, work, g):
    if kind == QUADRATIC:
        _quad_grad(x, rng, zig, vec, mat, scal, work, g)


@kernel(inline=True)
def problem_metrics(kind, x, vec, mat, scal, work, out):
    if kind == QUADRATIC:
        _quad_metrics(x, vec, mat, scal, work, out)


@kernel(inline=True)
def optimizer_step(kind, theta, g, state, hyper, t):
    if kind == SGD:
        _sgd_step(theta, g, state, hyper, t)
