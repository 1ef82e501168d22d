"""Where epsilon goes in a per-coordinate rate: under the square root or outside it (``eps_placement``)."""
import math

from ..device.jit import kernel

PLACEMENTS = ("inside", "outside")  # eps_placement of Adagrad and RMSProp; the kernels read eps_inside


@kernel(inline=True)
def scaled(g, s, eps, inside):
    """g / sqrt(s + eps) if ``inside`` (the lecture, Keras, optax) else g / (sqrt(s) + eps) (PyTorch)."""
    return g / math.sqrt(s + eps) if inside else g / (math.sqrt(s) + eps)
