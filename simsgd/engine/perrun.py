"""Per-run statistics asked of ``simulate``: validated, packed for the kernels, and read back.

``hitting={"error_sq": [1.0, 0.1]}`` counts, at each record, the runs whose metric first fell to
or below each target; ``histogram={"loss": edges}`` counts the finite runs' metric in the bins of
``edges``; ``trajectories=K`` keeps every metric of the first K runs at every record. Memory is
(records x columns) integers whatever the number of runs, plus K x records x metrics floats for
trajectories (and on the GPU one byte per run and target for the runs' "reached" flags).
Passages are seen at the recorded steps: record every step for exact first-passage times.
"""
from dataclasses import dataclass

import numpy as np

from .. import validate as V


def pack(metrics, hitting, histogram):
    """``(tf, ti, targets, edges)``: the kernels' arrays (``device.tallies``) and the normalised requests."""
    targets = []  # (metric, value)
    for metric, values in (hitting or {}).items():
        V.choice("hitting metric", metric, metrics)
        vals = np.atleast_1d(np.asarray(values, dtype=np.float64))
        if vals.ndim != 1 or vals.size == 0 or not np.all(np.isfinite(vals)):
            raise ValueError(f"hitting[{metric!r}] must be a finite number or a non-empty list of them; got {values!r}")
        targets += [(metric, float(v)) for v in vals]
    edges = []  # (metric, edges)
    for metric, e in (histogram or {}).items():
        V.choice("histogram metric", metric, metrics)
        e = np.asarray(e, dtype=np.float64)
        if e.ndim != 1 or e.size < 1 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            raise ValueError(f"histogram[{metric!r}] must be finite, strictly increasing bin edges; got {e!r}")
        edges.append((metric, e))
    tf = np.concatenate([np.array([v for _, v in targets], dtype=np.float64)] + [e for _, e in edges])
    starts = np.cumsum([len(targets)] + [e.size for _, e in edges])[:-1] if edges else np.zeros(0, np.int64)
    ti = np.concatenate([[len(targets), len(edges)], [metrics.index(m) for m, _ in targets],
                         [metrics.index(m) for m, _ in edges], starts, [e.size for _, e in edges]]).astype(np.int64)
    return tf if tf.size else np.zeros(1), ti, tuple(targets), tuple(edges)


def n_columns(targets, edges):
    return len(targets) + sum(e.size + 1 for _, e in edges)


@dataclass(frozen=True)
class Hitting:
    """First passages of ``metric`` to or below ``target``: ``first[k]`` runs first got there at ``steps[k]``.

    ``never`` counts the runs that did not by the last record (diverged runs included).
    """

    metric: str
    target: float
    steps: np.ndarray
    first: np.ndarray
    runs: int

    @property
    def never(self):
        return int(self.runs - self.first.sum())

    def fraction(self):
        """Fraction of all runs that had reached the target by each recorded step, shape (K,)."""
        return np.cumsum(self.first) / self.runs

    def quantile(self, q):
        """The first recorded step by which a fraction >= ``q`` of all runs had reached the target (inf if none)."""
        q = np.asarray(q, dtype=np.float64)
        if np.any((q < 0) | (q > 1)):
            raise ValueError(f"q must be in [0, 1]; got {q!r}")
        frac = self.fraction()
        idx = np.searchsorted(frac, q * (1 - 1e-12), side="left")
        out = np.where(idx < frac.size, self.steps[np.minimum(idx, frac.size - 1)], np.inf)
        return out.astype(np.float64) if out.ndim else float(out)

    def mean(self):
        """(mean first-passage step over the runs that got there, its standard error, how many never did)."""
        n = self.first.sum()
        if n == 0:
            return np.nan, np.nan, self.never
        m = float((self.first * self.steps).sum() / n)
        var = float((self.first * (self.steps - m) ** 2).sum() / max(n - 1, 1))
        return m, float(np.sqrt(var / n)), self.never


@dataclass(frozen=True)
class Histogram:
    """Counts of ``metric`` over the finite runs at each record: ``counts[k]`` has len(edges) + 1 bins (below
    ``edges[0]``, the len(edges) - 1 bins between edges, at or above ``edges[-1]``)."""

    metric: str
    edges: np.ndarray
    steps: np.ndarray
    counts: np.ndarray

    def quantile(self, q):
        """The ``q``-quantile of the metric at each record, shape (K,), linear within a bin (resolution: the bin
        width); NaN where it falls below the first edge or at or above the last."""
        q = V.in_interval("q", q, 0.0, 1.0)
        out = np.full(self.steps.size, np.nan)
        for k, c in enumerate(self.counts):
            total = c.sum()
            if total == 0:
                continue
            cum = np.cumsum(c) / total
            b = int(np.searchsorted(cum, q, side="left"))
            if b == 0 or b >= c.size - 1:
                continue
            before = cum[b - 1]
            lo, hi = self.edges[b - 1], self.edges[b]
            out[k] = lo + (hi - lo) * (q - before) / max(cum[b] - before, 1e-300)
        return out
