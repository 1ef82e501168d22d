"""One sweep point: its runs in independent groups, the pooled curves, and every quantity with its error."""
import numpy as np

from ..engine.simulate import record_steps, simulate


def curve_names(metrics):
    return [f"{m}_{s}" for m in metrics for s in ("mean", "sem")]


def run_point(spec, i, target="cpu"):
    """Simulate point ``i`` of ``spec``: ``groups`` calls of ``runs / groups`` runs each, streams
    (point seed, run index) as one call of ``runs`` would use; return its stored arrays."""
    problem, optimizer, sim = spec.build(i)
    per = spec.runs // spec.groups
    seed = spec.point_seed(i)
    res = [simulate(problem, optimizer, per, spec.steps, seed=seed, first_run=g * per, target=target,
                    record_every=spec.record_every, keep_theta=False, progress=False, **sim)
           for g in range(spec.groups)]
    return summarise(spec, res)


def summarise(spec, res):
    """The stored arrays of one point from its group results (``engine.Result`` each)."""
    metrics = res[0].metrics
    n = np.stack([r.count for r in res]).astype(np.float64)  # (G, K)
    out = {"diverged_runs": np.sum([r.diverged for r in res], axis=0).astype(np.int64)}
    group_means = {}
    for m in metrics:
        mu = np.stack([np.nan_to_num(r.mean(m)) for r in res])
        m2 = np.stack([np.nan_to_num(r.var(m)) * np.maximum(r.count - 1, 0) for r in res])
        N, mean, M2 = _pool(n, mu, m2)
        out[f"{m}_mean"] = np.where(N > 0, mean, np.nan)
        out[f"{m}_sem"] = np.where(N > 1, np.sqrt(M2 / np.maximum(N - 1, 1) / np.maximum(N, 1)), np.nan)
        group_means[m] = (n, mu, N, mean)
    steps = record_steps(spec.steps, spec.record_every).astype(np.float64)
    for q in spec.quantities:
        if q.kind == "diverged":
            p = out["diverged_runs"][-1] / spec.runs
            out[q.name], out[f"{q.name}_sem"] = np.float64(p), np.float64(np.sqrt(p * (1 - p) / spec.runs))
            continue
        n_g, mu_g, N, mean = group_means[q.metric]
        if q.kind == "final":
            out[q.name], out[f"{q.name}_sem"] = out[f"{q.metric}_mean"][-1], out[f"{q.metric}_sem"][-1]
        elif q.kind == "average":
            w = steps >= q.from_step
            out[q.name] = np.float64(np.mean(out[f"{q.metric}_mean"][w]))
            per_group = np.where(n_g[:, w] > 0, mu_g[:, w], np.nan).mean(axis=1)
            out[f"{q.name}_sem"] = np.float64(np.std(per_group, ddof=1) / np.sqrt(per_group.size))
        else:  # steps_to: the crossing of the pooled mean; its error by leaving out one group at a time
            value, reached = crossing(steps, np.where(N > 0, mean, np.nan), q.target)
            G = n_g.shape[0]
            loo = np.array([crossing(steps, (N * mean - n_g[g] * mu_g[g]) / np.maximum(N - n_g[g], 1), q.target)[0]
                            for g in range(G)])
            out[q.name] = np.float64(value)
            out[f"{q.name}_sem"] = np.float64(np.sqrt((G - 1) / G * np.sum((loo - loo.mean()) ** 2)))
            out[f"{q.name}_reached"] = np.bool_(reached)
    return out


def _pool(n, mu, m2):
    """Merge per-group counts, means and sums of squared deviations (Chan et al.), over axis 0."""
    N = n.sum(axis=0)
    mean = (n * mu).sum(axis=0) / np.maximum(N, 1)
    M2 = m2.sum(axis=0) + (n * (mu - mean) ** 2).sum(axis=0)
    return N, mean, M2


def crossing(steps, curve, target):
    """(first step at which ``curve`` <= ``target``, linearly interpolated between recorded steps; reached).

    Not reached (or NaN first): the last step, and False.
    """
    below = np.nonzero(curve <= target)[0]
    if below.size == 0:
        return float(steps[-1]), False
    k = below[0]
    if k == 0:
        return float(steps[0]), True
    c0, c1 = curve[k - 1], curve[k]
    if not np.isfinite(c0):
        return float(steps[k]), True
    return float(steps[k - 1] + (steps[k] - steps[k - 1]) * (c0 - target) / (c0 - c1)), True
