"""The shared figure style and the few drawing helpers every study uses."""
from contextlib import contextmanager
from pathlib import Path

_STYLE = Path(__file__).with_name("simsgd.mplstyle")


@contextmanager
def style():
    """Apply the project's style for the figures drawn inside the block (headless backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.style.context(str(_STYLE)):
        yield plt


def band(ax, x, mean, sem, label, color=None, z=1.96, **kw):
    """A simulated mean with its ``z``-standard-error band (95% by default)."""
    line, = ax.plot(x, mean, label=label, color=color, **kw)
    ax.fill_between(x, mean - z * sem, mean + z * sem, color=line.get_color(), alpha=0.25, linewidth=0)
    return line


def verdict_title(ax, passed, text):
    ax.set_title(("PASS: " if passed else "FAIL: ") + text, color="#1a7f37" if passed else "#b91c1c")
