"""Running the study scripts: discover, simulate (resumably), judge, save, plot, index.

A study is ``simsgd/studies/<name>.py`` (shipped with the package) defining

    CLAIMS = ("C13", ...)                      # claim IDs from the lecture
    SCALES = {"quick": {...}, "full": {...}}   # JSON-ready parameters; "runs" is overridable
    simulate(p, ctx) -> dict of arrays          # ctx.seed, ctx.target, ctx.point(...) for sweeps
    verdict(data, p) -> ({claim ID: Claim}, numbers)   # computed from the data alone (see ``claims``)
    plot(data, p, passed, numbers, path)        # drawn from the data alone

Theory that more than one of these needs and that takes seconds is computed once with ``memo_by_params``.
``run`` writes ``results/<name>/{data.npz, meta.json, <name>.png}`` plus its line in
``results/index.json``: one status per claim, and the study's verdict (pass when every claim's
conditions hold). Replotting reads ``data.npz`` and ``meta.json`` only.
"""
import functools
import hashlib
import importlib.util
import json
import shutil
import time
from pathlib import Path

import numpy as np

from .. import validate as V
from ..engine.simulate import simulate
from ..targets import TARGETS
from . import provenance
from .claims import Claim
from .plotting import caption

_ROOT = Path(__file__).resolve().parent.parent.parent


class ResultsExist(FileExistsError):
    """A run would replace saved results of a larger scale or of other parameters."""


def studies_dir():
    """The package's ``studies/`` folder."""
    here = Path(__file__).resolve().parent.parent / "studies"
    if not here.is_dir():
        raise FileNotFoundError(f"the simsgd package at {here.parent} has no studies/ folder: reinstall simsgd")
    return here


def default_results_dir():
    """``results/`` of the working directory: where runs write unless told otherwise."""
    return Path.cwd() / "results"


def parameters(name, scale="quick"):
    """The declared parameters of study ``name`` at ``scale`` (a copy)."""
    mod = load(name)
    return dict(mod.SCALES[V.choice("scale", scale, tuple(mod.SCALES))])


def parse_overrides(name, items, scale="quick"):
    """``{"key": value}`` from ``["key=value", ...]``, each key a declared parameter of the study and each value
    of its declared type (JSON syntax; a bare word is a string). ValueError naming the item otherwise."""
    declared = parameters(name, scale)
    out = {}
    for item in items or ():
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq:
            raise ValueError(f"--set takes key=value; got {item!r}")
        if key not in declared:
            raise ValueError(f"--set {key}: study {name} has no parameter {key!r}{V.did_you_mean(key, declared)}; "
                             f"its parameters: {', '.join(declared)}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        old = declared[key]
        ok = (isinstance(value, bool) if isinstance(old, bool)
              else isinstance(value, int) and not isinstance(value, bool) if isinstance(old, int)
              else isinstance(value, (int, float)) and not isinstance(value, bool) if isinstance(old, float)
              else isinstance(value, type(old)))
        if not ok:
            raise ValueError(f"--set {key}: must be {type(old).__name__} like its declared value {old!r}; got {raw!r}")
        out[key] = float(value) if isinstance(old, float) else value
    return out


def describe(name):
    """The study's docstring, claims, parameters per scale and the run time its saved results took."""
    mod = load(name)
    lines = [(mod.__doc__ or "").strip(), "", f"Claims: {', '.join(mod.CLAIMS)}", "",
             "Parameters (override with --set key=value):"]
    scales = list(mod.SCALES)
    for key in mod.SCALES[scales[0]]:
        vals = "  ".join(f"{s}={mod.SCALES[s].get(key)!r}" for s in scales)
        lines.append(f"  {key:18s} {vals}")
    meta = Path(__file__).resolve().parent.parent.parent / "results" / name / "meta.json"
    if meta.exists():
        m = json.loads(meta.read_text())
        lines += ["", f"Typical run time: {m.get('wall_time_s')} s of simulation at {m.get('scale')} scale "
                      f"({m.get('machine', {}).get('cpu_count')} CPUs); quick scale is about "
                      f"{m.get('params', {}).get('runs', 0) // max(1, mod.SCALES[scales[0]].get('runs', 1))}x "
                      "fewer runs"] if "runs" in mod.SCALES[scales[0]] else []
    return "\n".join(lines)


def _check_overwrite(mod, folder, scale, params, seed):
    """Raise ResultsExist when ``folder`` holds results that this run must not replace silently: of a larger
    scale, or of the same or a smaller scale with other parameters or seed (a plain smaller scale may be
    replaced by a larger one)."""
    path = folder / "meta.json"
    if not path.exists():
        return
    old = json.loads(path.read_text())
    if old.get("params") == params and old.get("seed") == seed:
        return
    order = list(mod.SCALES)
    old_scale = old.get("scale")
    plain_smaller = (old_scale in order and order.index(old_scale) < order.index(scale)
                     and old.get("params") == mod.SCALES[old_scale] and old.get("seed") == seed)
    if plain_smaller:
        return
    diff = sorted(k for k in set(params) | set(old.get("params", {})) if params.get(k) != old.get("params", {}).get(k))
    what = ", ".join(f"{k} {old.get('params', {}).get(k)!r} -> {params.get(k)!r}" for k in diff[:4])
    if old.get("seed") != seed:
        what = ", ".join(filter(None, [what, f"seed {old.get('seed')} -> {seed}"]))
    raise ResultsExist(f"{folder} holds {old_scale}-scale results that this {scale} run would replace ({what}); "
                       "write elsewhere with --out DIR, or replace them with --force")


def names():
    return sorted(p.stem for p in studies_dir().glob("*.py") if not p.stem.startswith("_"))


def load(name):
    V.choice("name", name, names())
    path = studies_dir() / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"simsgd_study_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def memo_by_params(fn):
    """Decorate ``fn(p, *args)`` to compute once per distinct parameters, for theory that a study's ``simulate``,
    ``verdict`` and ``plot`` all need (``run`` calls them in turn in one process).

    The key is the JSON of ``[p, *args]`` with sorted keys, so ``p`` must be JSON-ready (as ``SCALES`` are) and
    equal dicts share a result however they were built. The result is returned itself, not a copy: don't change
    it. ``fn.cache`` is the memo (a dict; ``fn.cache.clear()`` empties it). Use::

        @memo_by_params
        def _theory(p):
            return {...}  # seconds of work from p alone
    """
    cache = {}

    @functools.wraps(fn)
    def memoised(p, *args):
        key = json.dumps([p, *args], sort_keys=True)
        if key not in cache:
            cache[key] = fn(p, *args)
        return cache[key]

    memoised.cache = cache
    return memoised


class Context:
    """What a study's ``simulate`` gets besides its parameters: seed, target, and resumable sweep points."""

    def __init__(self, name, params, seed, target, cache_root, progress):
        self.seed = seed
        self.target = target
        self.progress = progress
        tag = json.dumps({"params": params, "seed": seed, "target": target}, sort_keys=True)
        self.cache = Path(cache_root) / name / hashlib.sha1(tag.encode()).hexdigest()[:16]

    def curve(self, key, problem, optimizer, runs, steps, metric="error_sq", seed=None, **simulate_args):
        """Mean, standard error and diverged counts of ``metric`` at the recorded steps, as sweep point ``key``.

        ``metric`` is one name (keys ``mean``, ``sem``) or a tuple of names (keys ``<name>_mean``,
        ``<name>_sem``); ``seed`` defaults to the study's (replicates pass their own, and their own key).
        """
        def compute():
            r = simulate(problem, optimizer, runs=runs, steps=steps, seed=self.seed if seed is None else seed,
                         target=self.target, progress=False, **simulate_args)
            out = {"diverged": r.diverged, "steps": r.steps}
            if isinstance(metric, str):
                return {**out, "mean": r.mean(metric), "sem": r.sem(metric)}
            return {**out, **{f"{m}_{k}": getattr(r, k)(m) for m in metric for k in ("mean", "sem")}}

        return self.point(key, compute)

    def replicate_seeds(self, n):
        """``n`` master seeds for independent replicates of a decisive number: the study's seed, then seed + k."""
        return [self.seed + k for k in range(V.int_at_least("seeds", n, 1))]

    def point(self, key, compute):
        """``compute()`` (a dict of arrays) for sweep point ``key``, saved as it finishes.

        An interrupted study run again with the same parameters reloads the points it finished.
        """
        path = self.cache / f"{key}.npz"
        if path.exists():
            with np.load(path) as f:
                return {k: f[k] for k in f.files}
        out = compute()
        self.cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **out)
        tmp.replace(path)
        return out


def run(name, scale="quick", runs=None, seed=0, target="cpu", out=None, replot=False, progress=None, overrides=None,
        force=False):
    """Run (or with ``replot`` only redraw) study ``name``; return its index entry.

    Writes to ``out`` (default ``./results``); ``overrides`` replace declared parameters (``parse_overrides``).
    Results already there of a larger scale, or of other parameters or seed, are replaced only with ``force``.
    """
    mod = load(name)
    scale = V.choice("scale", scale, tuple(mod.SCALES))
    seed = V.seed("seed", seed)
    target = V.choice("target", target, TARGETS)
    root = Path(out) if out is not None else default_results_dir()
    folder = root / name
    if replot:
        meta = json.loads((folder / "meta.json").read_text())
        with np.load(folder / "data.npz") as f:
            data = {k: f[k] for k in f.files}
        params = meta["params"]
    else:
        params = dict(mod.SCALES[scale])
        for key, value in (overrides or {}).items():
            if key not in params:
                raise ValueError(f"study {name} has no parameter {key!r}{V.did_you_mean(key, params)}")
            params[key] = value
        if runs is not None:
            params["runs"] = V.int_at_least("runs", runs, 2)
        if not force:
            _check_overwrite(mod, folder, scale, params, seed)
        ctx = Context(name, params, seed, target, root.parent / ".simsgd-cache", progress)
        t0 = time.perf_counter()
        data = mod.simulate(params, ctx)
        wall = time.perf_counter() - t0
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "data.npz", **data)
        meta = {
            "study": name,
            "claims": list(mod.CLAIMS),
            "scale": scale,
            "params": params,
            "seed": seed,
            "target": target,
            "wall_time_s": round(wall, 3),
            "code_hash": provenance.code_hash(studies_dir() / f"{name}.py"),
            **provenance.record(_ROOT),
        }
        shutil.rmtree(ctx.cache, ignore_errors=True)
    claims, raw = mod.verdict(data, params)
    if not isinstance(claims, dict) or set(claims) != set(mod.CLAIMS) \
            or not all(isinstance(c, Claim) for c in claims.values()):
        raise TypeError(f"{name}.verdict must return ({{claim ID: Claim}} for exactly {mod.CLAIMS}, numbers)")
    passed = all(c.holds for c in claims.values())
    numbers = _jsonable(raw)  # non-finite numbers become strings here: plots get the raw ones
    status = {cid: _jsonable(claims[cid].record()) for cid in mod.CLAIMS}
    meta["verdict"] = "pass" if passed else "fail"
    meta["claim_status"] = status
    meta["numbers"] = numbers
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    figure = folder / f"{name}.png"
    mod.plot(data, params, passed, raw, figure)
    caption(figure, status, params, f"{meta.get('scale')} scale, seed {meta.get('seed')}")
    entry = {
        "name": name,
        "claims": list(mod.CLAIMS),
        "verdict": meta["verdict"],
        "claim_status": status,
        "numbers": numbers,
        "figure": str(figure.relative_to(root)),
        "scale": meta.get("scale"),
    }
    _update_index(root, entry)
    return entry


def stale(out=None, scale="full"):
    """``(name, reason)`` for every study whose saved results are missing, failing, at another scale, or made
    by code that has changed since (its ``code_hash``, or uncommitted changes when it ran)."""
    root = Path(out) if out is not None else default_results_dir()
    index = {e["name"]: e for e in json.loads((root / "index.json").read_text())} if (root / "index.json").exists() \
        else {}
    found = []
    for name in names():
        path = root / name / "meta.json"
        if not path.exists():
            found.append((name, "no results"))
            continue
        meta = json.loads(path.read_text())
        if meta.get("code_hash") != provenance.code_hash(studies_dir() / f"{name}.py"):
            found.append((name, "made by other code (its study script or the package changed since)"))
        elif meta.get("dirty"):
            found.append((name, f"made from a working tree with uncommitted changes (commit {meta.get('commit')})"))
        if meta.get("scale") != scale:
            found.append((name, f"scale {meta.get('scale')!r}, not {scale!r}"))
        if meta.get("verdict") != "pass":
            found.append((name, f"verdict {meta.get('verdict')!r}"))
        if any(index.get(name, {}).get(k) != meta.get(k) for k in ("numbers", "claim_status")):
            found.append((name, "index.json does not hold the numbers and claim statuses of its meta.json"))
    return found


def _update_index(root, entry):
    path = root / "index.json"
    entries = json.loads(path.read_text()) if path.exists() else []
    entries = [e for e in entries if e["name"] != entry["name"]] + [entry]
    entries.sort(key=lambda e: e["name"])
    path.write_text(json.dumps(entries, indent=2) + "\n")


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if np.isfinite(x) else str(x)
    return x
