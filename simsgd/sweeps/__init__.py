"""Parameter sweeps and sensitivity analysis: one declared spec, a labelled resumable store, Dask for more machines.

A spec (``SweepSpec`` in Python, or TOML read by ``load_spec``) names the problem (a registered problem, a
factory of ``FACTORIES``, or ``"module:function"``) and the optimizer, the fixed parameters, the swept ones
(``grid``, or ``ranges`` with ``samples``), ``runs``, ``steps``, ``seed``, ``record_every``, ``groups`` and the
quantities computed per point. ``sweep`` runs it into an xarray Dataset (zarr on disk, resumed after any
interruption); ``sensitivity`` runs a SALib design over the ranges and reports Sobol or Morris indices with
their Monte Carlo error. Layer: beside ``workflow``, above ``engine``.
"""
from .execute import sweep as _sweep
from .factories import FACTORIES, noisy_quadratic
from .sensitivity import sensitivity as _sensitivity
from .spec import Quantity, Range, SpecError, SweepSpec
from .store import open_sweep


def load_spec(path):
    """Read a TOML sweep spec (see ``SweepSpec``)."""
    return SweepSpec.load(path)


def _as_spec(spec):
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return SweepSpec(**spec)
    return SweepSpec.load(spec)


def sweep(spec, store=None, workers=None, scheduler=None, target="cpu", progress=None):
    """Run a sweep (a ``SweepSpec``, a dict of its arguments, or a TOML path); see ``execute.sweep``."""
    return _sweep(_as_spec(spec), store, workers, scheduler, target, progress)


def sensitivity(spec, method=None, out=None, **kwargs):
    """Sobol or Morris indices of the spec's quantities over its ranges; see ``sensitivity.sensitivity``."""
    return _sensitivity(_as_spec(spec), method, out, **kwargs)


__all__ = ["FACTORIES", "Quantity", "Range", "SpecError", "SweepSpec", "load_spec", "noisy_quadratic",
           "open_sweep", "sensitivity", "sweep"]
