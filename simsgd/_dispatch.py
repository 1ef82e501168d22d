"""The registry the kernels dispatch through: one entry per problem and per optimizer.

Kinds are compile-time integers, so each branch is resolved once per call and
the compiled kernel serves every problem/optimizer pair (and is cached on disk).
"""
from ._jit import kernel
from . import adam, adaptive, momentum, online, quadratic, sgd

QUADRATIC = quadratic.KIND
_quad_grad = quadratic.grad
_quad_metrics = quadratic.metrics
ONLINE = online.KIND
_online_grad, _online_project, _online_metrics = online.grad, online.project, online.metrics

# one line per optimizer: kind -> step function (the kinds are checked to be distinct in the tests)
SGD, _sgd = sgd.KIND, sgd.step
MOMENTUM, _momentum = momentum.MOMENTUM, momentum.momentum_step
HEAVY_BALL, _heavy_ball = momentum.HEAVY_BALL, momentum.heavy_ball_step
ADAGRAD, _adagrad = adaptive.ADAGRAD, adaptive.adagrad_step
RMSPROP, _rmsprop = adaptive.RMSPROP, adaptive.rmsprop_step
ADADELTA, _adadelta = adaptive.ADADELTA, adaptive.adadelta_step
ADAM, _adam = adam.ADAM, adam.adam_step
ADAMAX, _adamax = adam.ADAMAX, adam.adamax_step
NADAM, _nadam = adam.NADAM, adam.nadam_step
NESTEROV, _lookahead = momentum.NESTEROV, momentum.lookahead_point  # steps like MOMENTUM


@kernel(inline=True)
def problem_grad(kind, x, rng, zig, vec, mat, scal, work, g, t):
    """The stochastic gradient for update ``t`` (1-based)."""
    if kind == QUADRATIC:
        _quad_grad(x, rng, zig, vec, mat, scal, work, g)
    elif kind == ONLINE:
        _online_grad(x, rng, scal, g, t)


@kernel(inline=True)
def problem_project(kind, x, scal):
    """Map x back onto the problem's feasible set after a step (unconstrained problems: nothing)."""
    if kind == ONLINE:
        _online_project(x, scal)


@kernel(inline=True)
def problem_metrics(kind, x, vec, mat, scal, work, out):
    if kind == QUADRATIC:
        _quad_metrics(x, vec, mat, scal, work, out)
    elif kind == ONLINE:
        _online_metrics(x, scal, out)


@kernel(inline=True)
def optimizer_step(kind, theta, g, state, hyper, t):
    if kind == SGD:
        _sgd(theta, g, state, hyper, t)
    elif kind == MOMENTUM or kind == NESTEROV:
        _momentum(theta, g, state, hyper, t)
    elif kind == HEAVY_BALL:
        _heavy_ball(theta, g, state, hyper, t)
    elif kind == ADAGRAD:
        _adagrad(theta, g, state, hyper, t)
    elif kind == RMSPROP:
        _rmsprop(theta, g, state, hyper, t)
    elif kind == ADADELTA:
        _adadelta(theta, g, state, hyper, t)
    elif kind == ADAM:
        _adam(theta, g, state, hyper, t)
    elif kind == ADAMAX:
        _adamax(theta, g, state, hyper, t)
    elif kind == NADAM:
        _nadam(theta, g, state, hyper, t)


@kernel(inline=True)
def optimizer_eval_point(kind, theta, state, hyper, p):
    """Write into ``p`` where the next gradient is evaluated and return True, or return False for ``theta``."""
    if kind == NESTEROV:
        _lookahead(theta, state, hyper, p)
        return True
    return False
