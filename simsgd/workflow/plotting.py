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


MARKERS = "osD^v<>ph*X"


def marks(i, n_points, count=10):
    """Line keywords that give curve ``i`` its own marker at ``count`` staggered points of ``n_points``, so that
    curves lying on one another stay visible (each curve's markers sit at other x than its neighbours')."""
    every = max(1, n_points // count)
    return {"marker": MARKERS[i % len(MARKERS)], "markevery": ((i * every) // 7 % every, every), "ms": 4.5,
            "markerfacecolor": "none", "markeredgewidth": 1.1}


def verdict_title(ax, passed, text):
    ax.set_title(("PASS: " if passed else "FAIL: ") + text, color="#1a7f37" if passed else "#b91c1c")


def caption(path, claims, params=None, about=""):
    """Append below the figure at ``path`` one paragraph per claim: its ID, whether it held and its evidence
    (the statistics, thresholds and numbers the verdict used), then the run's parameters, so that the
    figure reads alone.

    ``claims`` maps claim IDs to ``Claim.record()`` dicts; ``params`` the study's parameters, ``about`` what
    precedes them (scale, seed). The PNG is rewritten in place at its own width.
    """
    import json
    import io
    import textwrap

    import matplotlib.image as mpimg
    import numpy as np

    with style() as plt:
        img = mpimg.imread(path)
        if img.dtype != np.float32 and img.dtype != np.float64:
            img = img.astype(np.float32) / 255.0
        if img.shape[2] == 3:
            img = np.concatenate([img, np.ones(img.shape[:2] + (1,), img.dtype)], axis=2)
        dpi = plt.rcParams["savefig.dpi"]
        width_in = img.shape[1] / dpi
        chars = max(40, int(width_in * 72 / 7.5 * 1.9))  # 7.5 pt text, about 1.9 characters per em
        paragraphs = []
        for cid, rec in claims.items():
            verdict = "PASS" if rec["holds"] else "FAIL"
            conditions = ", ".join(k.replace("_", " ") for k in rec.get("checks", {}))
            text = f"{cid} {verdict} ({rec['status']}): {rec['evidence']} [conditions: {conditions}]"
            paragraphs.append(textwrap.fill(text, chars))
        if params:
            values = ", ".join(f"{k} = {json.dumps(v, separators=(',', ':'))}" for k, v in params.items())
            paragraphs.append(textwrap.fill(f"Parameters ({about}): {values}", chars, max_lines=4,
                                            placeholder=" ... (all in meta.json)"))
        body = "\n".join(paragraphs)
        n_lines = body.count("\n") + 1
        fig = plt.figure(figsize=(width_in, 0.16 + n_lines * 7.5 * 1.25 / 72), dpi=dpi,
                         layout=None)
        fig.text(0.01, 0.98, body, fontsize=7.5, va="top", ha="left", family="sans-serif", linespacing=1.25)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches=None, facecolor="white")
        plt.close(fig)
        buf.seek(0)
        strip = mpimg.imread(buf)
        w = img.shape[1]
        if strip.shape[1] != w:  # rounding of the strip's width in pixels
            strip = strip[:, :w] if strip.shape[1] > w else np.pad(strip, ((0, 0), (0, w - strip.shape[1]), (0, 0)),
                                                                     constant_values=1.0)
        plt.imsave(path, np.concatenate([img, strip], axis=0))
