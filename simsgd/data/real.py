"""Real datasets, as bundled with scikit-learn (``pip install "simsgd[data]"``): read from the installed
package, never downloaded."""
from typing import NamedTuple

import numpy as np


class Dataset(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    name: str
    task: str
    source: str


DATASETS = {
    "diabetes": ("load_diabetes", "regression",
                 "Efron, Hastie, Johnstone & Tibshirani (2004), 'Least angle regression', Ann. Statist. 32(2): "
                 "442 patients, 10 baseline variables, disease progression one year later"),
    "breast_cancer": ("load_breast_cancer", "classification",
                      "Street, Wolberg & Mangasarian (1993), Wisconsin Diagnostic Breast Cancer: 569 tumours, "
                      "30 features of cell nuclei, label 1 = benign"),
}


def load_dataset(name, standardize=True):
    """``Dataset(X, y, name, task, source)``: columns of X scaled to mean 0 and standard deviation 1 and, for
    regression, y centred and scaled to standard deviation 1 (``standardize``); labels stay 0/1."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {sorted(DATASETS)}; got {name!r}")
    try:
        from sklearn import datasets
    except ImportError as exc:
        raise ImportError(f"the {name!r} dataset comes with scikit-learn: pip install 'simsgd[data]'") from exc
    loader, task, source = DATASETS[name]
    X, y = getattr(datasets, loader)(return_X_y=True)
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if standardize:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
        if task == "regression":
            y = (y - y.mean()) / y.std()
    return Dataset(np.ascontiguousarray(X), np.ascontiguousarray(y), name, task, source + "; as bundled with scikit-learn")
