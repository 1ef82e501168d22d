"""What ``simulate`` returns: moments over runs at each recorded step and per-run final values."""
import numpy as np


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

    def __init__(self, steps, metrics, count, mean, m2, diverged, final, theta, meta):
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

    def __repr__(self):
        return (f"Result(runs={self.runs}, steps={int(self.steps[-1])}, records={self.steps.size}, "
                f"diverged={int(self.diverged[-1])})")
