"""Datasets for the finite-data problems: small real sets bundled with scikit-learn (no download), and
synthetic Gaussian designs."""
from .real import DATASETS, Dataset, load_dataset
from .synthetic import gaussian_design

__all__ = ["DATASETS", "Dataset", "gaussian_design", "load_dataset"]
