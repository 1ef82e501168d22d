"""Sobol and Morris sensitivity indices of sweep quantities through SALib, with their Monte Carlo error.

SALib samples the design (``SALib.sample.sobol``, Saltelli's scheme on a scrambled Sobol sequence, N a
power of 2, N (D + 2) points; ``SALib.sample.morris``, N trajectories of D + 1 points) in the swept ranges
(log10 of the value on a log scale), the sweep runs it, and SALib analyses each quantity: first-order and
total Sobol indices with bootstrap confidence intervals over the design, or Morris mu*, mu and sigma.

Beyond SALib: each quantity is a Monte Carlo estimate with a standard error s_i per point, and SALib
treats it as exact. The report carries that error into the indices by a parametric bootstrap (Y_i + s_i
z_i, the analysis repeated ``resamples`` times: ``mc_error``), and measures ``noise_share`` =
mean(s_i^2) / var(Y): the Monte Carlo noise acts as an extra input that inflates total indices by about
that share. With ``replicate``, the same design runs again under an independent seed, and the indices'
change between the two is compared with sqrt(2) mc_error (a check of the error model itself: it fails
where a quantity's per-point error is badly estimated, e.g. a hitting time whose mean curve hovers at
the target). The indices are flagged ``adequate`` only when noise_share < 0.05, every mc_error < 0.05
(Sobol) or < 5% of the largest mu* (Morris), and the replicate agrees: otherwise they mean little.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.statistics import z_threshold
from .execute import sweep

METHODS = ("sobol", "morris")
NOISE_SHARE_MAX = 0.05
MC_ERROR_MAX = 0.05


def salib_problem(spec):
    """SALib's problem dict for the spec's ranges (bounds in the sampled coordinate)."""
    if not spec.ranges:
        raise ValueError("sensitivity needs [ranges] in the spec (a grid has no sampling distribution)")
    return {"num_vars": len(spec.ranges), "names": [k.split(".", 1)[1] for k in spec.ranges],
            "bounds": [r.bounds() for r in spec.ranges.values()]}


def design(spec, method, samples, num_levels=4):
    """(SALib problem, X in the sampled coordinates, points {parameter: values}) for ``method``."""
    problem = salib_problem(spec)
    if method == "sobol":
        from SALib.sample import sobol

        if samples < 2 or samples & (samples - 1):
            raise ValueError(f"samples must be a power of 2 >= 2 for Sobol (Saltelli) designs; got {samples}")
        X = sobol.sample(problem, samples, calc_second_order=False, scramble=True, seed=spec.seed)
    elif method == "morris":
        from SALib.sample import morris

        if samples < 2:
            raise ValueError(f"samples (Morris trajectories) must be >= 2; got {samples}")
        X = morris.sample(problem, samples, num_levels=num_levels, seed=spec.seed)
    else:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    points = {k: r.values(X[:, j]) for j, (k, r) in enumerate(spec.ranges.items())}
    return problem, X, points


def indices(method, problem, X, Y, seed, conf_level=0.95, num_resamples=1000, num_levels=4):
    """SALib's indices of one output: {name: array over inputs}."""
    seed = np.random.default_rng(seed)  # SALib's Sobol analysis leaves its bootstrap unseeded for seed=0 ("if seed:")
    if method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(problem, Y, calc_second_order=False, num_resamples=num_resamples, conf_level=conf_level,
                          seed=seed)
        return {k: np.asarray(r[k], dtype=np.float64) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    from SALib.analyze import morris

    r = morris.analyze(problem, X, Y, num_resamples=num_resamples, conf_level=conf_level, num_levels=num_levels,
                       seed=seed)
    return {k: np.asarray(r[k], dtype=np.float64) for k in ("mu", "mu_star", "sigma", "mu_star_conf")}


MAIN = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma")}


def analyse(method, problem, X, Y, sem, seed=0, resamples=200, conf_level=0.95, num_levels=4):
    """Indices of ``Y`` (per-point estimates with standard errors ``sem``) and their Monte Carlo error."""
    Y, sem = np.asarray(Y, dtype=np.float64), np.asarray(sem, dtype=np.float64)
    out = indices(method, problem, X, Y, seed, conf_level, num_levels=num_levels)
    rng = np.random.default_rng(seed)
    draws = {k: [] for k in MAIN[method]}
    for _ in range(resamples):
        r = indices(method, problem, X, Y + sem * rng.standard_normal(Y.shape), seed, conf_level, 2, num_levels)
        for k in draws:
            draws[k].append(r[k])
    for k in draws:
        out[f"{k}_mc_error"] = np.std(np.array(draws[k]), axis=0, ddof=1) if resamples > 1 else np.zeros_like(out[k])
    out["noise_share"] = float(np.mean(sem**2) / np.var(Y, ddof=1))
    first = MAIN[method][0]
    scale = 1.0 if method == "sobol" else max(float(np.max(np.abs(out[first]))), 1e-300)
    worst = max(float(np.max(out[f"{k}_mc_error"])) for k in MAIN[method]) / scale
    out["max_mc_error"] = worst
    out["adequate"] = bool(out["noise_share"] < NOISE_SHARE_MAX and worst < MC_ERROR_MAX)
    return out


def transformed(ds, q, log):
    """(Y, sem) of quantity ``q`` from a sweep, as log10 when asked (the error carried by the delta method)."""
    Y, s = ds[q].values.astype(np.float64), ds[f"{q}_sem"].values.astype(np.float64)
    bad = ~np.isfinite(Y) | ~np.isfinite(s)
    if bad.any():
        raise ValueError(f"quantity {q!r} is not finite at {int(bad.sum())} of {Y.size} points (all runs diverged, "
                         "or one group only); narrow the ranges or add runs")
    if log:
        if np.any(Y <= 0):
            raise ValueError(f"quantity {q!r} must be > 0 everywhere to be analysed in log10; smallest {Y.min()!r}")
        return np.log10(Y), s / (Y * np.log(10.0))
    return Y, s


@dataclass
class Sensitivity:
    """What ``sensitivity`` returns: the ``report`` (as written to sensitivity.json), the SALib ``problem``,
    the design ``X`` (sampled coordinates), its ``points`` ({parameter: values}) and the sweeps' ``datasets``
    (the main seed's, then the replicate's)."""

    report: dict
    problem: dict
    X: np.ndarray
    points: dict
    datasets: list


def sensitivity(spec, method="sobol", out=None, samples=None, workers=None, scheduler=None, target="cpu",
                progress=None, replicate=None, resamples=None):
    """Sensitivity indices of every quantity of ``spec`` over its ranges; returns the report (a dict).

    Options come from the spec's ``[sensitivity]`` table unless given here: ``samples`` (Sobol: N, a power
    of 2; Morris: trajectories), ``log`` (quantities analysed as log10), ``replicate`` (run the design under
    a second seed too, default true), ``resamples`` (parametric bootstrap size, default 200),
    ``conf_level``, ``num_levels`` (Morris). With ``out``, the sweeps are stored (resumably) in
    ``out/sweep.zarr`` and ``out/replicate.zarr`` and the report is written to ``out/sensitivity.json``
    with its figure. Returns a ``Sensitivity``.
    """
    opts = dict(spec.sensitivity)
    unknown = set(opts) - {"method", "samples", "log", "replicate", "resamples", "conf_level", "num_levels"}
    if unknown:
        raise ValueError(f"[sensitivity]: unknown key {sorted(unknown)[0]!r}")
    method = method or opts.get("method", "sobol")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    samples = int(samples or opts.get("samples", 64))
    replicate = opts.get("replicate", True) if replicate is None else replicate
    resamples = int(resamples or opts.get("resamples", 200))
    conf_level = float(opts.get("conf_level", 0.95))
    num_levels = int(opts.get("num_levels", 4))
    log = set(opts.get("log", []))
    names = [q.name for q in spec.quantities]
    if log - set(names):
        raise ValueError(f"[sensitivity] log names unknown quantities {sorted(log - set(names))}; quantities: {names}")
    problem, X, points = design(spec, method, samples, num_levels)
    runs_spec = spec.with_points(points)
    folder = Path(out) if out is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    store = (lambda name: None if folder is None else folder / name)
    ds = [sweep(runs_spec, store("sweep.zarr"), workers, scheduler, target, progress)]
    if replicate:
        ds.append(sweep(spec.with_points(points, seed=spec.seed + 1), store("replicate.zarr"), workers, scheduler,
                        target, progress))
    report = {"method": method, "samples": samples, "points": int(X.shape[0]), "runs": spec.runs,
              "inputs": problem["names"], "bounds": problem["bounds"],
              "scales": [r.scale for r in spec.ranges.values()], "spec_hash": spec.hash, "quantities": {}}
    for q in names:
        per_seed = []
        for k, d in enumerate(ds):
            Y, s = transformed(d, q, q in log)
            per_seed.append(analyse(method, problem, X, Y, s, spec.seed + k, resamples, conf_level, num_levels))
        entry = {"log10": q in log, **{k: _plain(v) for k, v in per_seed[0].items()}}
        if replicate:
            z = {}
            for k in MAIN[method]:
                diff = per_seed[1][k] - per_seed[0][k]
                z[k] = diff / (np.sqrt(2.0) * np.maximum(per_seed[0][f"{k}_mc_error"], 1e-300))
                entry[f"{k}_replicate"] = per_seed[1][k].tolist()
            zmax = float(max(np.max(np.abs(v)) for v in z.values()))
            zc = z_threshold(sum(v.size for v in z.values()))
            entry["replicate_max_abs_z"], entry["replicate_z_critical"] = zmax, zc
            entry["replicate_consistent"] = bool(zmax < zc)
            entry["adequate"] = entry["adequate"] and entry["replicate_consistent"]
        report["quantities"][q] = entry
    if folder is not None:
        (folder / "sensitivity.json").write_text(json.dumps(report, indent=2) + "\n")
        plot(report, folder / "sensitivity.png")
    return Sensitivity(report, problem, X, points, ds)


def _plain(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def plot(report, path):
    """One panel per quantity: S1 and ST (or mu* and sigma) per input, error bars the design's confidence
    interval and the Monte Carlo error combined."""
    from ..workflow.plotting import style

    method = report["method"]
    first, second = MAIN[method]
    qs = list(report["quantities"])
    with style() as plt:
        fig, axes = plt.subplots(1, len(qs), figsize=(5.2 * len(qs), 3.8), squeeze=False)
        x = np.arange(len(report["inputs"]))
        for ax, q in zip(axes[0], qs):
            e = report["quantities"][q]
            for j, (k, label) in enumerate(((first, first), (second, second))):
                conf = np.asarray(e.get(f"{k}_conf", np.zeros(len(x))))
                mc = 1.96 * np.asarray(e[f"{k}_mc_error"])
                ax.bar(x + (j - 0.5) * 0.38, e[k], 0.38, yerr=np.sqrt(conf**2 + mc**2), capsize=3,
                       label=label, color=f"C{j}")
            ax.set_xticks(x, report["inputs"], rotation=30)
            flag = "" if e["adequate"] else " (too few runs)"
            ax.set(title=f"{'log10 ' if e['log10'] else ''}{q}{flag}\nnoise share {e['noise_share']:.1e}",
                   ylabel="index")
            ax.legend()
        fig.savefig(path)
        plt.close(fig)
