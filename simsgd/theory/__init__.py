"""Closed-form theory that the simulations are checked against; each module states its assumptions."""
from .sgd import (
    bound_trajectory,
    gd_rate,
    max_lr_for_bound,
    noise_ball_bound,
    recursion_bound,
    sgd_error_sq,
    sgd_error_sq_limit,
    sgd_loss,
)

__all__ = [
    "bound_trajectory",
    "gd_rate",
    "max_lr_for_bound",
    "noise_ball_bound",
    "recursion_bound",
    "sgd_error_sq",
    "sgd_error_sq_limit",
    "sgd_loss",
]
