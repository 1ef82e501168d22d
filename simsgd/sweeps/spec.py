"""A sweep declared once: problem, optimizer, fixed and swept parameters, quantities; from Python or TOML.

Every parameter name is routed to the problem's constructor (or factory), the optimizer's constructor, or
``simulate`` (``batch_size``, ``dtype``); ``problem.<name>`` and ``optimizer.<name>`` say which when a name
is ambiguous. Swept parameters come as a grid (the outer product of value lists, in the order declared),
as ranges sampled by a scrambled Sobol sequence (``samples`` points, seeded by ``seed``), or as explicit
point arrays (what ``sensitivity`` passes). Every check runs here, before anything is simulated; a spec
read from TOML names the key and its line in every message.
"""
import dataclasses
import hashlib
import importlib
import inspect
import itertools
import json
import math
import numbers
import re
import tomllib
from pathlib import Path

import numpy as np

from .. import validate as V
from ..optimizers import OPTIMIZERS, Optimizer
from ..problems import PROBLEMS, Problem
from .factories import FACTORIES

SIMULATE_ARGS = ("batch_size", "dtype")
KINDS = ("final", "average", "steps_to", "diverged")
_TOP = ("problem", "optimizer", "runs", "steps", "seed", "record_every", "groups", "common_random_numbers",
        "samples", "task_seconds", "fixed", "grid", "ranges", "quantities", "sensitivity")


@dataclasses.dataclass(frozen=True)
class Range:
    """A swept interval: ``low`` to ``high`` on a ``linear`` or ``log`` scale; ``integer`` rounds the values."""

    low: float
    high: float
    scale: str = "linear"
    integer: bool = False

    def bounds(self):
        """The interval in the sampled coordinate (log10 of the value on a log scale)."""
        if self.scale == "log":
            return [math.log10(self.low), math.log10(self.high)]
        return [float(self.low), float(self.high)]

    def values(self, u):
        """Values at sampled coordinates ``u`` (in ``bounds()``)."""
        v = 10.0 ** np.asarray(u, dtype=np.float64) if self.scale == "log" else np.asarray(u, dtype=np.float64)
        if self.integer:
            return np.clip(np.rint(v), math.ceil(self.low), math.floor(self.high)).astype(np.int64)
        return v


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A number computed per point from its runs, with its standard error.

    ``final``: the mean of ``metric`` at the last step. ``average``: the mean of ``metric`` over the recorded
    steps >= ``from_step`` (default: the second half). ``steps_to``: the first step at which the mean of
    ``metric`` reaches ``target`` or below, interpolated linearly between recorded steps; censored at
    ``steps`` when never reached (``<name>_reached`` says so). ``diverged``: the fraction of runs that
    diverged. Errors of ``average`` and ``steps_to`` come from the spread over independent groups of runs.
    """

    name: str
    kind: str
    metric: str = None
    from_step: int = None
    target: float = None


class SpecError(ValueError):
    """A spec that cannot run; the message names the key (and its line in a TOML file)."""


class SweepSpec:
    """A declared sweep. See ``simsgd.sweep`` for the fields; ``SweepSpec.load(path)`` reads TOML."""

    def __init__(self, problem, optimizer, runs, steps, fixed=None, grid=None, ranges=None, points=None,
                 samples=None, quantities=("final",), seed=0, record_every=1, groups=None,
                 common_random_numbers=False, task_seconds=1.0, sensitivity=None, source=None):
        self._source = source  # (path, text) of a TOML spec, for line numbers in messages
        self.problem_name, self._factory = self._resolve_problem(problem)
        self.optimizer_name, self._optimizer_cls = self._resolve_optimizer(optimizer)
        self.runs = self._check("runs", V.int_at_least, runs, 1)
        self.steps = self._check("steps", V.int_at_least, steps, 1)
        self.seed = self._check("seed", V.seed, seed)
        self.record_every = self._check("record_every", V.int_at_least, record_every, 1)
        self.groups = self._groups(groups)
        if not isinstance(common_random_numbers, bool):
            self._fail("common_random_numbers", f"must be true or false; got {common_random_numbers!r}")
        self.common_random_numbers = common_random_numbers
        self.task_seconds = self._check("task_seconds", V.in_interval, task_seconds, 0.0, 3600.0)
        self.sensitivity = dict(sensitivity or {})
        self.fixed = {self._route("fixed", k): v for k, v in dict(fixed or {}).items()}
        self.layout, self.grid_dims, self.points, self.ranges, self.samples = self._design(grid, ranges, points,
                                                                                          samples)
        overlap = set(self.fixed) & set(self.points)
        if overlap:
            self._fail("fixed", f"parameter {sorted(overlap)[0]!r} is both fixed and swept")
        self.quantities = self._quantities(quantities)
        self._validate_points()

    # ---- reading ---------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path):
        """Read a TOML spec; syntax errors and bad keys are reported with their line."""
        path = Path(path)
        text = path.read_text()
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path}: malformed TOML: {exc}") from None
        unknown = [k for k in raw if k not in _TOP]
        if unknown:
            where = _line_of(text, unknown[0])
            raise SpecError(f"{path}{where}: unknown key {unknown[0]!r}; the keys are {', '.join(_TOP)}")
        for key in ("problem", "optimizer", "runs", "steps"):
            if key not in raw:
                raise SpecError(f"{path}: required key {key!r} is missing")
        quantities = raw.pop("quantities", ["final"])
        return cls(**raw, quantities=quantities, source=(str(path), text))

    def to_dict(self):
        """JSON-ready, canonical: equal specs give equal dicts (the store keeps it and its hash)."""
        return {
            "problem": self.problem_name, "optimizer": self.optimizer_name, "runs": self.runs, "steps": self.steps,
            "seed": self.seed, "record_every": self.record_every, "groups": self.groups,
            "common_random_numbers": self.common_random_numbers,
            "fixed": {k: _plain(v) for k, v in sorted(self.fixed.items())},
            "layout": self.layout, "grid_dims": list(self.grid_dims),
            "points": {k: [_plain(x) for x in v] for k, v in self.points.items()},
            "quantities": [dataclasses.asdict(q) for q in self.quantities],
        }

    @property
    def hash(self):
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    def with_points(self, points, seed=None):
        """The same sweep over explicit ``points`` ({name: values}), optionally with another master ``seed``."""
        new = object.__new__(SweepSpec)
        new.__dict__.update(self.__dict__)
        new.seed = self.seed if seed is None else self._check("seed", V.seed, seed)
        new.layout, new.grid_dims, new.points, _, _ = new._design(None, None, points, None)
        new.ranges, new.samples = self.ranges, self.samples
        new._validate_points()
        return new

    # ---- what a point runs -------------------------------------------------------------------------------

    @property
    def size(self):
        return len(next(iter(self.points.values())))

    def point(self, i):
        """Parameters of point ``i`` as plain Python values (fixed ones excluded)."""
        return {k: _plain(v[i]) for k, v in self.points.items()}

    def point_seed(self, i):
        """The master seed of point ``i``: from the seed and the point's parameters, or the seed itself with
        common random numbers (every point then sees the same streams)."""
        if self.common_random_numbers:
            return self.seed
        key = json.dumps({"seed": self.seed, "point": self.point(i)}, sort_keys=True)
        return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")

    def build(self, i):
        """(problem, optimizer, simulate keyword arguments) of point ``i``."""
        args = {**self.fixed, **self.point(i)}
        parts = {"problem": {}, "optimizer": {}, "simulate": {}}
        for key, value in args.items():
            where, name = key.split(".", 1)
            parts[where][name] = value
        problem = self._factory(**parts["problem"])
        if not isinstance(problem, Problem):
            raise SpecError(f"problem factory {self.problem_name!r} returned {type(problem).__name__}, "
                            "not a simsgd problem")
        return problem, self._optimizer_cls(**parts["optimizer"]), parts["simulate"]

    # ---- checks ------------------------------------------------------------------------------------------

    def _where(self, key):
        if self._source is None:
            return ""
        path, text = self._source
        return f" ({path}{_line_of(text, key)})"

    def _fail(self, key, message):
        raise SpecError(f"{key}{self._where(key)}: {message}")

    def _check(self, key, check, *args):
        try:
            return check(key, *args)
        except ValueError as exc:
            self._fail(key, str(exc))

    def _resolve_problem(self, problem):
        if callable(problem):
            return f"{problem.__module__}:{problem.__qualname__}", problem
        if not isinstance(problem, str):
            self._fail("problem", f"must be a problem name or a factory; got {problem!r}")
        if ":" in problem:
            module, _, attr = problem.partition(":")
            try:
                return problem, getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                self._fail("problem", f"cannot import {problem!r}: {exc}")
        if problem in FACTORIES:
            return problem, FACTORIES[problem]
        for cls in PROBLEMS:
            if PROBLEMS.name_of(cls) == problem.lower():
                return PROBLEMS.name_of(cls), cls
        known = list(FACTORIES) + [PROBLEMS.name_of(c) for c in PROBLEMS]
        self._fail("problem", f"must be one of {', '.join(known)} or 'module:function'; got {problem!r}")

    def _resolve_optimizer(self, optimizer):
        if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
            return OPTIMIZERS.name_of(optimizer) or optimizer.__name__, optimizer
        if isinstance(optimizer, str):
            for cls in OPTIMIZERS:
                if OPTIMIZERS.name_of(cls) == optimizer.lower():
                    return OPTIMIZERS.name_of(cls), cls
        self._fail("optimizer", f"must be one of {', '.join(OPTIMIZERS.name_of(c) for c in OPTIMIZERS)}; "
                                f"got {optimizer!r}")

    def _groups(self, groups):
        if groups is None:  # the largest divisor of runs up to 10
            groups = next((g for g in range(10, 1, -1) if self.runs % g == 0 and self.runs > g), 1)
        groups = self._check("groups", V.int_at_least, groups, 1)
        if self.runs % groups or (groups < 2 and self.runs > 1):
            self._fail("groups", f"must be >= 2 and divide runs = {self.runs} (independent groups of runs give "
                                 f"the errors of averages and hitting times); got {groups}")
        return groups

    def _route(self, section, key):
        """'problem.<name>', 'optimizer.<name>' or 'simulate.<name>' for a parameter name."""
        if not isinstance(key, str):
            self._fail(section, f"parameter names must be strings; got {key!r}")
        targets = {"problem": _parameters(self._factory), "optimizer": _parameters(self._optimizer_cls),
                   "simulate": set(SIMULATE_ARGS)}
        if "." in key:
            where, name = key.split(".", 1)
            if where in targets and name in targets[where]:
                return key
            self._fail(key, f"unknown parameter {key!r}")
        found = [w for w, names in targets.items() if key in names]
        if len(found) == 1:
            return f"{found[0]}.{key}"
        if len(found) > 1:
            self._fail(key, f"parameter {key!r} belongs to {' and '.join(found)}: write "
                            f"{' or '.join(f'{w}.{key}' for w in found)}")
        self._fail(key, f"unknown parameter {key!r} in [{section}]; {self.problem_name} takes "
                        f"{', '.join(sorted(targets['problem']))}; {self.optimizer_name} takes "
                        f"{', '.join(sorted(targets['optimizer']))}; simulate takes {', '.join(SIMULATE_ARGS)}")

    def _design(self, grid, ranges, points, samples):
        given = [n for n, v in (("grid", grid), ("ranges", ranges), ("points", points)) if v]
        if len(given) != 1:
            self._fail("grid", "declare the swept parameters once: in [grid], in [ranges] (with samples), or as "
                               f"points; got {', '.join(given) or 'none'}")
        if grid:
            values = {}
            for key, vals in grid.items():
                name = self._route("grid", key)
                if isinstance(vals, (str, bytes)) or not hasattr(vals, "__len__") or len(vals) == 0:
                    self._fail(key, f"grid values must be a non-empty list; got {vals!r}")
                vals = [_plain(v) for v in vals]
                if len(set(map(repr, vals))) != len(vals):
                    self._fail(key, f"grid values must not repeat; got {vals}")
                values[name] = vals
            combos = list(itertools.product(*values.values()))
            arrays = {k: _column([c[j] for c in combos]) for j, k in enumerate(values)}
            return "grid", tuple(values), arrays, None, None
        if ranges:
            parsed = {self._route("ranges", k): self._range(k, r) for k, r in ranges.items()}
            if samples is None:  # ranges for sensitivity only: its sampler makes the design
                arrays = {k: r.values([sum(r.bounds()) / 2]) for k, r in parsed.items()}
                return "ranges", (), arrays, parsed, None
            samples = self._check("samples", V.int_at_least, samples, 1)
            from scipy.stats import qmc

            u = qmc.Sobol(len(parsed), scramble=True, seed=np.random.default_rng(self.seed)).random(samples)
            arrays = {}
            for j, (k, r) in enumerate(parsed.items()):
                lo, hi = r.bounds()
                arrays[k] = r.values(lo + (hi - lo) * u[:, j])
            return "design", (), arrays, parsed, samples
        arrays = {}
        n = None
        for key, vals in points.items():
            name = key if key.split(".", 1)[0] in ("problem", "optimizer", "simulate") else self._route("points", key)
            arr = _column(list(vals))
            if arr.ndim != 1 or arr.size == 0 or (n is not None and arr.size != n):
                self._fail("points", f"every parameter needs one value per point; {key!r} has shape {arr.shape}")
            n = arr.size
            arrays[name] = arr
        return "design", (), arrays, None, None

    def _range(self, key, r):
        if not isinstance(r, dict) or set(r) - {"low", "high", "scale", "integer"} or not {"low", "high"} <= set(r):
            self._fail(key, f"a range is {{low = .., high = .., scale = 'linear' | 'log', integer = false}}; got {r!r}")
        low = self._check(f"{key}.low", V.in_interval, r["low"], -1e300, 1e300)
        high = self._check(f"{key}.high", V.in_interval, r["high"], -1e300, 1e300)
        scale = self._check(f"{key}.scale", V.choice, r.get("scale", "linear"), ("linear", "log"))
        if not low < high:
            self._fail(key, f"low must be < high; got low = {low}, high = {high}")
        if scale == "log" and low <= 0:
            self._fail(key, f"a log scale needs low > 0; got low = {low}")
        integer = r.get("integer", False)
        if not isinstance(integer, bool):
            self._fail(key, f"integer must be true or false; got {integer!r}")
        if integer and math.floor(high) < math.ceil(low):
            self._fail(key, f"no integer lies in [{low}, {high}]")
        return Range(low, high, scale, integer)

    def _quantities(self, quantities):
        metrics = self._probe().metrics
        out = []
        for q in quantities:
            q = {"kind": q} if isinstance(q, str) else dict(q)
            kind = q.get("kind")
            if kind not in KINDS:
                self._fail("quantities", f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
            extra = set(q) - {"name", "kind", "metric", "from_step", "target"}
            if extra:
                self._fail("quantities", f"unknown key {sorted(extra)[0]!r} in a quantity")
            metric = q.get("metric", None if kind == "diverged" else metrics[0])
            if kind != "diverged" and metric not in metrics:
                self._fail("quantities", f"metric must be one of {', '.join(metrics)} for {self.problem_name}; "
                                         f"got {metric!r}")
            from_step = q.get("from_step")
            if kind == "average":
                from_step = self.steps // 2 if from_step is None else from_step
                from_step = self._check("from_step", V.int_at_least, from_step, 0)
                if from_step > self.steps:
                    self._fail("from_step", f"must be <= steps = {self.steps}; got {from_step}")
            target = q.get("target")
            if kind == "steps_to":
                target = self._check("target", V.in_interval, target, -1e300, 1e300)
            name = q.get("name") or (kind if kind == "diverged" else f"{kind}_{metric}")
            if not isinstance(name, str) or not name.isidentifier():
                self._fail("quantities", f"a quantity's name must be an identifier; got {name!r}")
            out.append(Quantity(name, kind, metric if kind != "diverged" else None,
                                from_step if kind == "average" else None, target))
        names = [q.name for q in out]
        if not out or len(set(names)) != len(names):
            self._fail("quantities", f"need at least one quantity, names unique; got {names}")
        clash = set(names) & ({f"{m}_{s}" for m in metrics for s in ("mean", "sem")} | {"done", "diverged_runs"})
        if clash:
            self._fail("quantities", f"quantity name {sorted(clash)[0]!r} is taken by a stored curve")
        return tuple(out)

    def _probe(self):
        try:
            return self.build(0)[0]
        except SpecError:
            raise
        except (ValueError, TypeError) as exc:
            self._fail("fixed", f"the first point cannot be built: {exc}")

    def _validate_points(self):
        for i in range(self.size):
            try:
                problem, optimizer, sim = self.build(i)
                problem.check_batch_size(V.int_at_least("batch_size", sim.get("batch_size", 1), 1))
                V.choice("dtype", sim.get("dtype", "float64"), ("float64", "float32"))
            except (ValueError, TypeError) as exc:
                raise SpecError(f"point {i} ({self.point(i)}) is invalid{self._where('fixed')}: {exc}") from None

    def __repr__(self):
        swept = ", ".join(k.split(".", 1)[1] for k in self.points)
        return (f"SweepSpec({self.problem_name} x {self.optimizer_name}, {self.size} points over {swept}, "
                f"runs={self.runs}, steps={self.steps}, seed={self.seed})")


def _parameters(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return set()
    return {n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and n != "self"}


def _plain(v):
    """A JSON-ready scalar or list (numpy scalars and arrays to Python)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, numbers.Real) and not isinstance(v, (bool, int)):
        return float(v)
    return v


def _column(values):
    """One swept parameter's values as a 1-D array (integers stay integers, strings strings)."""
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, numbers.Integral) for v in values):
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, numbers.Real) for v in values):
        return np.array(values, dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=str)
    raise SpecError(f"swept values must be all numbers, all booleans or all strings; got {values!r}")


def _line_of(text, key):
    """', line N' of the first line that assigns ``key`` (its last dotted part) or opens its table."""
    last = re.escape(key.split(".")[-1])
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*(\[+\s*{last}\s*\]+|\"?{last}\"?\s*=)", line):
            return f", line {n}"
    return ""
