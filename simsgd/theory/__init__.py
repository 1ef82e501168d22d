"""Closed-form theory that the simulations are checked against; each module states its assumptions."""
from .batch_size import (
    best_rate_steps,
    fit_critical_batch,
    momentum_steps_to_loss,
    nqm_noise_scales,
    precondition,
    sgd_steps_to_loss,
)
from .dimension import ball_fraction_exact, cube_distance_moments, relative_spread
from .double_descent import min_norm_risk_exact, min_norm_risk_limit
from .least_squares import (
    critical_lr,
    expected_noise,
    gradient_covariance,
    minimiser,
    sgd_moments,
    stationary_second_moment,
)
from .minibatch import finite_population_factor, minibatch_covariance
from .neighbours import ball_volume, n_reaching, nearest_neighbour_error_exact, nearest_neighbour_remainder, sphere_cosine
from .momentum import (
    adam_effective_lr,
    momentum_effective_lr,
    momentum_error_sq,
    momentum_error_sq_limit,
    momentum_rate,
    optimal_heavy_ball,
)
from .sgd import (
    bound_trajectory,
    eigenbasis_noise_var,
    gd_rate,
    max_lr_for_bound,
    noise_ball_bound,
    recursion_bound,
    sgd_error_sq,
    sgd_error_sq_limit,
    sgd_loss,
)

__all__ = [
    "ball_fraction_exact",
    "cube_distance_moments",
    "relative_spread",
    "min_norm_risk_exact",
    "min_norm_risk_limit",
    "ball_volume",
    "n_reaching",
    "nearest_neighbour_error_exact",
    "nearest_neighbour_remainder",
    "sphere_cosine",
    "best_rate_steps",
    "fit_critical_batch",
    "nqm_noise_scales",
    "precondition",
    "sgd_steps_to_loss",
    "momentum_steps_to_loss",
    "critical_lr",
    "expected_noise",
    "stationary_second_moment",
    "gradient_covariance",
    "finite_population_factor",
    "minibatch_covariance",
    "minimiser",
    "sgd_moments",
    "adam_effective_lr",
    "momentum_effective_lr",
    "momentum_error_sq",
    "momentum_error_sq_limit",
    "momentum_rate",
    "optimal_heavy_ball",
    "bound_trajectory",
    "eigenbasis_noise_var",
    "gd_rate",
    "max_lr_for_bound",
    "noise_ball_bound",
    "recursion_bound",
    "sgd_error_sq",
    "sgd_error_sq_limit",
    "sgd_loss",
]
