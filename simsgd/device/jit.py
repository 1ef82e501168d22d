"""How kernel code is compiled, and where compiled kernels are cached.

One place decides how kernel code is compiled, so every target and the functions it
calls agree. ``FASTMATH`` lets LLVM reassociate and contract (vectorised sums, FMAs)
but keeps ``nnan``/``ninf`` off: divergence is detected with ``math.isfinite``, which
those two flags would fold to ``True``.

Numba's own on-disk cache checks only the file of the cached function, not the files
of the functions compiled into it, so an edited update rule would keep being served
from the old machine code. Here every cached kernel of the package lives in a
directory named by ``SOURCE_HASH``, a hash of every file that can hold kernel code
(``device``, ``targets``, ``problems``, ``optimizers``, ``montecarlo``) and of numba's version: any
edit moves the cache to a new directory. A kernel specialised for a problem and an
optimizer also carries in its name a hash of what those two are built from
(``digest_of``), which covers classes defined outside the package. A ``kernel`` defined
outside the package (a user's rule, a Monte Carlo body) is cached in the same directory,
keyed by its own file as well, since package functions are compiled into it.
"""
import hashlib
import inspect
import marshal
import os
import shutil
import types
from pathlib import Path

import numba
from numba import njit
from numba.core import caching

FASTMATH = {"nsz", "arcp", "contract", "reassoc"}
_OPTIONS = {"fastmath": FASTMATH, "error_model": "numpy"}

PACKAGE = Path(__file__).resolve().parent.parent
KERNEL_PACKAGES = ("device", "targets", "problems", "optimizers", "montecarlo")


def _source_files():
    return sorted(p for sub in KERNEL_PACKAGES for p in (PACKAGE / sub).rglob("*.py"))


def hash_files(paths, extra=""):
    """Hex SHA-256 of the contents of ``paths`` (in the order given) and of ``extra``."""
    h = hashlib.sha256(extra.encode())
    for p in map(Path, paths):
        h.update((str(p.relative_to(PACKAGE)) if p.is_relative_to(PACKAGE) else p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


SOURCE_HASH = hash_files(_source_files(), extra=f"numba {numba.__version__}")


def _cache_root():
    """``$SIMSGD_CACHE_DIR``, else ``__pycache__`` beside the package when writable, else the user's cache."""
    if os.environ.get("SIMSGD_CACHE_DIR"):
        return Path(os.environ["SIMSGD_CACHE_DIR"])
    here = PACKAGE / "__pycache__"
    try:
        here.mkdir(exist_ok=True)
        if os.access(here, os.W_OK):
            return here
    except OSError:
        pass
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "simsgd"


CACHE_PREFIX = "kernels-"
KEEP_CACHES = 3  # older source versions kept, so switching between branches does not recompile everything


def _prepare_cache_dir():
    root = _cache_root()
    path = root / (CACHE_PREFIX + SOURCE_HASH[:20])
    try:
        path.mkdir(parents=True, exist_ok=True)
        os.utime(path)
        old = sorted((p for p in root.glob(CACHE_PREFIX + "*") if p != path), key=lambda p: p.stat().st_mtime)
        for p in old[:max(0, len(old) - KEEP_CACHES)]:
            shutil.rmtree(p, ignore_errors=True)
    except OSError:
        return None
    return path


CACHE_DIR = _prepare_cache_dir()


class _SourceHashLocator(caching._CacheLocator):
    """Numba cache locator for the package's kernels: ``CACHE_DIR``, valid while ``SOURCE_HASH`` is unchanged."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno

    def get_cache_path(self):
        return str(CACHE_DIR)

    def get_source_stamp(self):
        return SOURCE_HASH

    def get_disambiguator(self):
        rel = os.path.relpath(self._py_file, PACKAGE)
        return f"{hashlib.sha1(rel.encode()).hexdigest()[:8]}-{self._lineno}"

    @classmethod
    def from_function(cls, py_func, py_file):
        path = Path(py_file).resolve()
        if CACHE_DIR is None:
            return None
        if any(path.is_relative_to(PACKAGE / sub) for sub in KERNEL_PACKAGES):
            return cls(py_func, py_file)
        if getattr(py_func, _OUTSIDE_MARK, False) and path.is_file():
            return _OutsideLocator(py_func, py_file)
        return None


_OUTSIDE_MARK = "_simsgd_kernel"


class _OutsideLocator(_SourceHashLocator):
    """A ``kernel`` defined outside the package (a user's rule, a test's body): ``CACHE_DIR``, valid while
    ``SOURCE_HASH`` and its own file are unchanged.

    Numba's own locator would key it by its file alone and keep serving it after an edit to a
    package function compiled into it (``normal``, ``fill_normals``).
    """

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        self._stamp = hash_files([py_file], extra=SOURCE_HASH)

    def get_source_stamp(self):
        return self._stamp

    def get_disambiguator(self):
        path = str(Path(self._py_file).resolve())
        return f"outside-{hashlib.sha1(path.encode()).hexdigest()[:8]}-{self._lineno}"


_CACHE_IMPL = getattr(caching, "CacheImpl", None) or caching._CacheImpl
if _SourceHashLocator not in _CACHE_IMPL._locator_classes:
    _CACHE_IMPL._locator_classes.insert(0, _SourceHashLocator)


def kernel(fn=None, *, inline=False, refcounts=True):
    """Compile a device function (problem, optimizer, RNG) for the CPU; CUDA kernels call it as a device function.

    ``error_model='numpy'`` drops the zero-division checks that stop loops from vectorising.
    ``inline=True`` merges the function into its callers at numba IR level: the glue between
    a driver and a step function is then free, where a call passing arrays costs ~40 ns.
    ``refcounts=False`` compiles a function that allocates nothing without numba's reference
    counting: a call then skips the atomic increments of its array arguments, most of that
    cost, without the compile time of inlining a large body into every caller.
    """
    if fn is None:
        return lambda f: kernel(f, inline=inline, refcounts=refcounts)
    setattr(fn, _OUTSIDE_MARK, True)  # cached under SOURCE_HASH wherever it is defined (``_OutsideLocator``)
    options = _OPTIONS if refcounts else {**_OPTIONS, "_nrt": False}
    return njit(cache=not inline, inline="always" if inline else "never", **options)(fn)


def specialise(template, tag, bindings, *, inline=False, cache=False, **options):
    """Compile a copy of the plain function ``template`` whose global names ``bindings`` are rebound.

    This is how one body (the run loop, a target's driver) is compiled once per problem and
    optimizer: the copy resolves e.g. ``problem_grad`` to that problem's gradient. ``tag``
    names the copy; with ``cache=True`` each tag has its own entry in the on-disk cache, so
    ``tag`` must identify everything bound (``Pairing.tag`` includes a hash of the sources).
    """
    g = dict(template.__globals__)
    g.update(bindings)
    fn = types.FunctionType(template.__code__, g, template.__name__, template.__defaults__, template.__closure__)
    fn.__qualname__ = f"{template.__qualname__}[{tag}]"
    fn.__module__ = template.__module__
    fn.__doc__ = template.__doc__
    return njit(cache=cache, inline="always" if inline else "never", **{**_OPTIONS, **options})(fn)


def digest_of(*objs, extra=""):
    """Hex SHA-256 of what classes and (compiled) functions are built from, and of ``extra``.

    That is their source files; for a function with no file (defined in an interactive
    session), its code object and the constants it reads from its globals.
    """
    files, codes = set(), []
    for o in objs:
        o = getattr(o, "py_func", o)
        try:
            path = Path(inspect.getfile(o)).resolve()
        except (TypeError, OSError):
            path = None
        if path is not None and path.is_file():
            files.add(path)
        elif hasattr(o, "__code__"):
            consts = {n: repr(o.__globals__[n]) for n in o.__code__.co_names
                      if isinstance(o.__globals__.get(n), (int, float, str, tuple))}
            codes.append(marshal.dumps(o.__code__) + repr(sorted(consts.items())).encode())
    h = hashlib.sha256(hash_files(sorted(files), extra).encode())
    for c in codes:
        h.update(c)
    return h.hexdigest()
