"""Problems built from scalar parameters, so that a sweep can vary what a constructor takes as an array.

``FACTORIES`` maps a name to a function of keyword arguments returning a problem (one line per factory);
a sweep's ``problem`` may also name any registered problem class, or ``"module:function"`` of your own.
"""
import math

import numpy as np

from .. import validate as V
from ..problems import Quadratic


def noisy_quadratic(dim=10, mu=None, L=None, condition=1.0, noise_std=1.0, M=None, x0=1.0, spacing="geometric",
                    minibatch="scaled", x0_spread=0.0):
    """``Quadratic`` with eigenvalues from ``mu`` to ``L = mu * condition`` and isotropic gradient noise.

    Give ``mu`` (the smallest eigenvalue) or ``L`` (the largest), not both; with neither, L = 1. The
    eigenvalues are ``dim`` points spaced ``geometric``-ally (equal ratios) or ``linear``-ly; the noise std
    per direction is ``noise_std``, or ``sqrt(M / dim)`` when the total noise ``M = E||g - grad f||^2`` is given.
    With ``condition = 1``, H = mu I and SGD's ball is exactly alpha M / (B mu (2 - alpha mu)).
    """
    dim = V.int_at_least("dim", dim, 1)
    condition = V.in_interval("condition", condition, 1.0, 1e300)
    if mu is not None and L is not None:
        raise ValueError("give mu or L, not both: the condition number fixes the other")
    if mu is not None:
        mu = V.positive_finite("mu", mu)
        L = mu * condition
    else:
        L = 1.0 if L is None else V.positive_finite("L", L)
        mu = L / condition
    V.choice("spacing", spacing, ("geometric", "linear"))
    if dim == 1:
        lam = np.array([mu])
    elif spacing == "geometric":
        lam = np.geomspace(mu, L, dim)
    else:
        lam = np.linspace(mu, L, dim)
    std = noise_std if M is None else math.sqrt(V.in_interval("M", M, 0.0, 1e300) / dim)
    return Quadratic(lam, std, x0, minibatch=minibatch, x0_spread=x0_spread)


FACTORIES = {"noisy_quadratic": noisy_quadratic}
