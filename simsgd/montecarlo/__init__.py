"""Compiled Monte Carlo for the claims that need no optimizer: geometry in high dimension, nearest
neighbours, least-squares fits resampled thousands of times. Each function validates its arguments in
Python, gives every run its own stream (``runs.per_run``) and returns per-run (or per-group) results as arrays.
"""
from .geometry import ball_fraction, pairwise_distances
from .least_norm import min_norm_fits, min_norm_solution, random_features_fits
from .neighbours import nearest_neighbour_error
from .polynomial import fit_all_degrees, polynomial_bias_variance, polynomial_fits
from .runs import per_run

__all__ = ["ball_fraction", "fit_all_degrees", "min_norm_fits", "min_norm_solution", "nearest_neighbour_error",
           "pairwise_distances", "per_run", "polynomial_bias_variance", "polynomial_fits", "random_features_fits"]
