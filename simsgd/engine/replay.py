"""``replay``: apply an optimizer's compiled step function to a given gradient sequence."""
import numpy as np

from ..device.loop import replayer
from ..optimizers import OPTIMIZERS, Optimizer


def replay(optimizer, x0, grads):
    """The (T+1, d) trajectory theta_0 = x0, ..., theta_T of ``optimizer`` fed gradients ``grads`` (T, d).

    The same compiled step function as the simulation kernels, for comparing with any other library.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a simsgd optimizer such as SGD; got {type(optimizer).__name__}")
    name = OPTIMIZERS.resolve(optimizer)
    g = np.ascontiguousarray(grads, dtype=np.float64)
    if g.ndim != 2 or g.shape[0] < 1:
        raise ValueError(f"grads must have shape (T, d) with T >= 1; got shape {g.shape}")
    x = np.array(np.broadcast_to(np.asarray(x0, dtype=np.float64), (g.shape[1],)))
    if not np.all(np.isfinite(x)) or not np.all(np.isfinite(g)):
        raise ValueError("x0 and grads must be finite")
    out = np.empty((g.shape[0] + 1, g.shape[1]))
    state = np.zeros((optimizer.n_state, g.shape[1]))
    sc = np.zeros(optimizer.n_scalar)
    replayer(type(optimizer), name)(x, state, sc, optimizer.hyper_values(), optimizer.option_values(), g, out)
    return out
