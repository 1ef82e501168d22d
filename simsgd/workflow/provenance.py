"""Provenance written beside every output: versions, commit, machine, time."""
import datetime as _dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

_PACKAGES = ("simsgd", "numpy", "numba", "llvmlite", "numba-cuda", "scipy", "matplotlib")


def versions():
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(path):
    """``{"commit": sha or None, "dirty": bool or None}`` of the repository holding ``path``.

    ``dirty`` counts changes to tracked files outside ``results/``: outputs being rewritten
    by the run itself do not make the code that produced them dirty.
    """
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=10)
        if sha.returncode != 0:
            return {"commit": None, "dirty": None}
        st = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results"],
                            cwd=path, capture_output=True, text=True, timeout=10)
        return {"commit": sha.stdout.strip(), "dirty": bool(st.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def machine():
    import numba

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "numba_threading_layer": _threading_layer(),
    }


def _threading_layer():
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet in this process
        return None


def now():
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def code_hash(script):
    """SHA-256 of a study script and of every Python source of the installed simsgd package (and its plot style),
    the other studies left out: editing one study makes only its own results stale.

    Results whose recorded hash differs from today's were made by other code: ``reproduce --check``.
    """
    import hashlib

    package = Path(__file__).resolve().parent.parent
    studies = package / "studies"
    sources = [p for p in sorted(package.rglob("*.py")) if p.parent != studies or p.name == "__init__.py"]
    h = hashlib.sha256()
    for p in [Path(script)] + sources + sorted(package.rglob("*.mplstyle")):
        h.update(str(p.relative_to(package) if p.is_relative_to(package) else p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def record(path):
    """Everything above for an output written under ``path``, and the hash of the kernel sources that made it."""
    from ..device.jit import SOURCE_HASH

    return {"versions": versions(), **git_commit(Path(path)), "kernel_source_hash": SOURCE_HASH,
            "machine": machine(), "written_at": now()}
