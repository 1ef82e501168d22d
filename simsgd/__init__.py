"""simsgd: many independent runs of SGD and its relatives, compiled with numba, checked against theory.

Layers, each importing only those below it: ``cli`` -> ``workflow`` (studies, provenance,
plotting) and ``sweeps`` (declared sweeps, their labelled store, sensitivity indices, Dask) -> ``engine`` (simulate, Result, replay, statistics) -> ``targets`` (cpu, cuda) ->
``problems`` and ``optimizers`` (one module each, registries), and ``montecarlo`` (compiled Monte Carlo on the CPU target's threads,
no optimizer) -> ``device`` (jit settings and
the kernel cache, random streams, packed data, moments, the run loop). ``theory`` holds the
closed forms.
"""
from . import theory
from .device.jit import kernel
from .device.layout import Layout, field, value
from .device.rng import fill_normals, next_double, normal
from .engine.replay import replay
from .engine import statistics as stats
from .workflow import plotting
from .engine.result import Result
from .engine.simulate import simulate
from .engine.statistics import z_threshold, zscores
from .optimizers import (
    AMSGrad,
    OPTIMIZERS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    HeavyBall,
    Momentum,
    Nadam,
    Nesterov,
    Optimizer,
    OptimizerKernels,
    RMSProp,
    from_framework,
    names,
    register_optimizer,
)
from .data import gaussian_design, load_dataset
from .montecarlo import (ball_fraction, min_norm_fits, nearest_neighbour_error, pairwise_distances, per_run,
                         polynomial_fits, random_features_fits)
from .problems import PROBLEMS, LeastSquares, LogisticRegression, MLP, OnlineLinear, Problem, ProblemKernels, Quadratic, SigmoidNeuron, activation, register_problem
from .sweeps import FACTORIES, SweepSpec, load_spec, noisy_quadratic, open_sweep, sensitivity, sweep
from .targets import TARGETS

__version__ = "0.1.0"
load = Result.load

__all__ = ["AMSGrad", "Adadelta", "Adagrad", "Adam", "Adamax", "HeavyBall", "Layout", "Momentum", "Nadam",
           "LeastSquares", "LogisticRegression", "MLP", "Nesterov", "OPTIMIZERS", "OnlineLinear", "Optimizer", "OptimizerKernels", "PROBLEMS", "Problem",
           "ProblemKernels", "Quadratic", "gaussian_design", "load_dataset", "RMSProp", "Result", "SGD", "SigmoidNeuron", "TARGETS", "activation", "field", "fill_normals",
           "from_framework", "kernel", "next_double", "normal", "names", "register_optimizer", "register_problem",
           "replay", "simulate", "load", "stats", "plotting", "FACTORIES", "SweepSpec", "load_spec", "noisy_quadratic", "open_sweep", "sensitivity", "sweep", "theory", "value", "z_threshold", "zscores", "ball_fraction", "min_norm_fits",
           "nearest_neighbour_error", "pairwise_distances", "per_run", "polynomial_fits", "random_features_fits",
           "__version__"]
