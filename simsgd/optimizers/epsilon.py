"""Where epsilon goes in a per-coordinate rate: under the square root or outside it."""
import math

from ..device.jit import kernel


@kernel(inline=True)
def scaled(g, s, eps, inside):
    """g / sqrt(s + eps) if ``inside`` (the lecture, Keras, optax) else g / (sqrt(s) + eps) (PyTorch)."""
    return g / math.sqrt(s + eps) if inside else g / (math.sqrt(s) + eps)
