"""What ``simulate`` returns: moments over runs at each recorded step and per-run final values.

``Result.save(path)`` writes ``<path>.npz`` and ``<path>.json``, readable without simsgd:

- ``steps`` (K,) int64, recorded steps; ``count`` (K,) int64, finite runs at each; ``diverged`` (K,)
  int64, runs that had left the finite range at or before each;
- ``mean`` and ``m2`` (K, m) float64, per metric (the JSON's ``metrics`` order): the mean over the
  finite runs and the sum of squared deviations (variance = m2 / (count - 1));
- ``final`` (runs, m) float64, each run's metrics at the last step; ``theta`` (runs, d), when kept;
- per-run statistics when asked for (``engine.perrun``): ``tally`` (K, columns) int64, one column per
  target of the JSON's ``hitting`` list (runs first at or below it at each record), then per
  histogram (the JSON's ``histograms``, edges in ``edges0``, ``edges1``, ...) len(edges) + 1 bins;
  ``trajectories`` (K runs, records, m) float64;
- the JSON: ``schema`` (this layout's version), ``metrics``, ``meta`` (what ``simulate`` recorded),
  ``hitting`` ([metric, target] pairs) and ``histograms`` (metric names).
"""
import json
from pathlib import Path

import numpy as np

SCHEMA = "simsgd.Result/1"


class Result:
    """Moments over runs at the recorded steps.

    Attributes
    ----------
    steps : (K,) recorded step indices, starting at 0 and ending at the last step.
    count : (K,) runs still finite at each recorded step (the moments are over these).
    diverged : (K,) runs whose metrics had left the finite range (NaN, inf or beyond 1e100 in
        magnitude) at or before each recorded step.
    theta : (runs, d) final parameters of every run (when ``simulate`` kept them: ``keep_theta``).
    metrics : names of the recorded metrics, e.g. ("error_sq", "loss").
    meta : parameters, seed, target and wall time of the call.
    """

    def __init__(self, steps, metrics, count, mean, m2, diverged, final, theta, meta, tally=None, targets=(),
                 edges=(), traj=None):
        self._tally = tally
        self._targets = tuple((m, float(v)) for m, v in targets)
        self._edges = tuple((m, np.asarray(e, dtype=np.float64)) for m, e in edges)
        self._traj = traj
        self.steps = steps
        self.metrics = tuple(metrics)
        self.count = count
        self._mean = mean
        self._m2 = m2
        self.diverged = diverged
        self._final = final
        self._theta = theta
        self.meta = meta

    @property
    def theta(self):
        if self._theta is None:
            raise ValueError("theta was not kept for this result: pass keep_theta=True to simulate")
        return self._theta

    @property
    def runs(self):
        return self._final.shape[0]

    def _col(self, metric):
        try:
            return self.metrics.index(metric)
        except ValueError:
            raise ValueError(f"metric must be one of {self.metrics}; got {metric!r}") from None

    def mean(self, metric):
        """Mean over non-diverged runs at each recorded step, shape (K,); NaN where none is left."""
        j = self._col(metric)
        return np.where(self.count > 0, self._mean[:, j], np.nan)

    def var(self, metric):
        """Unbiased variance over non-diverged runs, shape (K,)."""
        j = self._col(metric)
        return np.where(self.count > 1, self._m2[:, j] / np.maximum(self.count - 1, 1), np.nan)

    def sem(self, metric):
        """Standard error of ``mean(metric)``, shape (K,)."""
        return np.sqrt(self.var(metric) / np.maximum(self.count, 1))

    def final(self, metric):
        """Per-run value at the last step, shape (runs,); non-finite for diverged runs."""
        return self._final[:, self._col(metric)].copy()

    def hitting(self, metric, target):
        """First passages of ``metric`` to or below ``target`` (``simulate(..., hitting={metric: [target, ...]})``):
        an ``engine.perrun.Hitting`` with per-record counts, ``fraction()``, ``quantile(q)``, ``mean()``, ``never``."""
        from .perrun import Hitting

        for j, (m, v) in enumerate(self._targets):
            if m == metric and v == float(target):
                return Hitting(metric, v, self.steps, self._tally[:, j].copy(), self.runs)
        asked = ", ".join(f"{m} <= {v:g}" for m, v in self._targets) or "none"
        raise ValueError(f"no first passages of {metric} <= {target} were counted (asked for: {asked}); "
                         f"pass hitting={{{metric!r}: [{target}]}} to simulate")

    def histogram(self, metric):
        """Counts of ``metric`` over the finite runs in the bins asked for (``simulate(..., histogram={metric:
        edges})``): an ``engine.perrun.Histogram``."""
        from .perrun import Histogram

        col = len(self._targets)
        for m, e in self._edges:
            if m == metric:
                return Histogram(metric, e, self.steps, self._tally[:, col:col + e.size + 1].copy())
            col += e.size + 1
        raise ValueError(f"no histogram of {metric} was counted; pass histogram={{{metric!r}: edges}} to simulate")

    def quantile(self, metric, q):
        """The ``q``-quantile over the finite runs of ``metric`` at each record, from its histogram, shape (K,)."""
        return self.histogram(metric).quantile(q)

    def trajectories(self, metric):
        """``metric`` at every record for the first K runs (``simulate(..., trajectories=K)``), shape (K, records);
        a run's value where it diverged is non-finite, NaN after."""
        if self._traj is None or self._traj.shape[0] == 0:
            raise ValueError("no trajectories were kept: pass trajectories=K to simulate")
        return self._traj[:, :, self._col(metric)].copy()

    def save(self, path):
        """Write ``<path>.npz`` (the arrays) and ``<path>.json`` (metrics and meta); return the two paths."""
        base = Path(path)
        base = base.with_suffix("") if base.suffix in (".npz", ".json") else base
        arrays = {"steps": self.steps, "count": self.count, "diverged": self.diverged, "mean": self._mean,
                  "m2": self._m2, "final": self._final}
        if self._theta is not None:
            arrays["theta"] = self._theta
        if self._tally is not None and self._tally.size:
            arrays["tally"] = self._tally
        for j, (_, e) in enumerate(self._edges):
            arrays[f"edges{j}"] = e
        if self._traj is not None and self._traj.shape[0]:
            arrays["trajectories"] = self._traj
        base.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(base.with_suffix(".npz"), **arrays)
        meta = {k: (v.tolist() if isinstance(v, np.ndarray) else v.item() if isinstance(v, np.generic) else v)
                for k, v in self.meta.items()}
        base.with_suffix(".json").write_text(json.dumps({
            "schema": SCHEMA, "metrics": list(self.metrics), "meta": meta,
            "hitting": [[m, v] for m, v in self._targets], "histograms": [m for m, _ in self._edges]},
            indent=2, default=str) + "\n")
        return base.with_suffix(".npz"), base.with_suffix(".json")

    @classmethod
    def load(cls, path):
        """The ``Result`` that ``save`` wrote at ``path`` (with or without the suffix)."""
        base = Path(path)
        base = base.with_suffix("") if base.suffix in (".npz", ".json") else base
        head = json.loads(base.with_suffix(".json").read_text())
        if head.get("schema") != SCHEMA:
            raise ValueError(f"{base.with_suffix('.json')} is not a saved simsgd Result ({SCHEMA}); "
                             f"schema {head.get('schema')!r}")
        with np.load(base.with_suffix(".npz")) as f:
            a = {k: f[k] for k in f.files}
        edges = [(m, a[f"edges{j}"]) for j, m in enumerate(head.get("histograms", []))]
        return cls(a["steps"], head["metrics"], a["count"], a["mean"], a["m2"], a["diverged"], a["final"],
                   a.get("theta"), head["meta"], tally=a.get("tally"), targets=head.get("hitting", []), edges=edges,
                   traj=a.get("trajectories"))

    def table(self):
        """A tidy table (pandas DataFrame): one row per (recorded step, metric) with count, diverged, mean, sem
        and var."""
        import pandas as pd

        K = self.steps.size
        return pd.DataFrame({
            "step": np.tile(self.steps, len(self.metrics)),
            "metric": np.repeat(self.metrics, K),
            "count": np.tile(self.count, len(self.metrics)),
            "diverged": np.tile(self.diverged, len(self.metrics)),
            "mean": np.concatenate([self.mean(m) for m in self.metrics]),
            "sem": np.concatenate([self.sem(m) for m in self.metrics]),
            "var": np.concatenate([self.var(m) for m in self.metrics]),
        })

    def __repr__(self):
        return (f"Result(runs={self.runs}, steps={int(self.steps[-1])}, records={self.steps.size}, "
                f"diverged={int(self.diverged[-1])})")
