"""Where kernels run: ``cpu`` (threads over fixed chunks of runs) and ``cuda`` (one GPU thread per run).

Both call the same run loop (``device.loop``) and return the same (count, mean, M2, diverged, final, theta).
"""
import importlib

TARGETS = ("cpu", "cuda")


def target(name):
    """The module of target ``name``; for "cuda", a RuntimeError if no GPU (or simulator) is usable."""
    mod = importlib.import_module(f"{__name__}.{name}")
    if name == "cuda":
        mod.cuda_module()
    return mod
