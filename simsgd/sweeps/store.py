"""The labelled store of a sweep: one xarray Dataset in zarr, written as points finish.

Layout: dimensions ``point`` and ``step``; every swept parameter is a coordinate along ``point``;
variables ``<metric>_mean`` / ``<metric>_sem`` and ``diverged_runs`` per (point, step), each quantity and
``<quantity>_sem`` per point, ``point_seed`` (the master seed of each point's streams) and ``done``.
Attributes: the spec (JSON) and its hash, the kernel-source hash, provenance. ``open_sweep`` gives a grid
sweep back with its swept parameters as dimensions.

Resuming is safe against a kill at any instant: the template is written under a temporary name and
renamed, zarr replaces each chunk file atomically, and a point's ``done`` flag is written only after
its data, so a point is either finished and kept or recomputed (to the same bits).
"""
import json
import shutil
from pathlib import Path

import numpy as np

from ..device.jit import SOURCE_HASH
from ..engine.simulate import record_steps
from .quantities import curve_names

CHUNK = 256  # points per chunk file


def template(spec, metrics, provenance):
    """The Dataset of an unfinished sweep: NaN everywhere, nothing done."""
    import xarray as xr

    P = spec.size
    steps = record_steps(spec.steps, spec.record_every)
    K = steps.size
    data = {name: (("point", "step"), np.full((P, K), np.nan)) for name in curve_names(metrics)}
    data["diverged_runs"] = (("point", "step"), np.zeros((P, K), dtype=np.int64))
    for q in spec.quantities:
        data[q.name] = (("point",), np.full(P, np.nan))
        data[f"{q.name}_sem"] = (("point",), np.full(P, np.nan))
        if q.kind == "steps_to":
            data[f"{q.name}_reached"] = (("point",), np.zeros(P, dtype=bool))
    data["point_seed"] = (("point",), np.array([spec.point_seed(i) for i in range(P)], dtype=np.uint64))
    data["done"] = (("point",), np.zeros(P, dtype=bool))
    coords = {"point": np.arange(P), "step": steps}
    for key, values in spec.points.items():
        coords[key.split(".", 1)[1]] = ("point", values)
    attrs = {"spec": json.dumps(spec.to_dict(), sort_keys=True), "spec_hash": spec.hash,
             "kernel_source_hash": SOURCE_HASH, "layout": spec.layout,
             "grid_dims": json.dumps([k.split(".", 1)[1] for k in spec.grid_dims]),
             "metrics": json.dumps(list(metrics)), "provenance": json.dumps(provenance)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def create_or_check(path, spec, metrics, provenance):
    """Create the store at ``path``, or check that the one there was written by this spec (and, unless it is
    finished, by these kernel sources: finishing it would mix two versions of the code).

    Returns the boolean ``done`` array. A mismatch raises ValueError and leaves the store untouched.
    """
    import xarray as xr

    path = Path(path)
    if path.exists():
        try:
            ds = xr.open_zarr(path, consolidated=False)
        except Exception as exc:  # noqa: BLE001 - any unreadable store is reported the same way
            raise ValueError(f"store {path} exists but cannot be read as a sweep ({exc}); "
                             "move it away or choose another path") from None
        if ds.attrs.get("spec_hash") != spec.hash:
            raise ValueError(f"store {path} was written by a different spec (hash {ds.attrs.get('spec_hash', '?')[:12]}, "
                             f"this spec {spec.hash[:12]}); choose another path or delete it")
        done = ds["done"].values.copy()
        if ds.attrs.get("kernel_source_hash") != SOURCE_HASH and not done.all():
            raise ValueError(f"store {path} was made by other kernel sources ({ds.attrs.get('kernel_source_hash')}, "
                             f"today {SOURCE_HASH}); finishing it would mix two versions of the code: "
                             "choose another path or delete it")
        return done
    tmp = path.with_name(path.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    ds = template(spec, metrics, provenance)
    encoding = {v: {"chunks": (CHUNK,) + ds[v].shape[1:]} for v in ds.data_vars}
    ds.to_zarr(tmp, mode="w", consolidated=False, encoding=encoding)
    tmp.rename(path)
    return np.zeros(spec.size, dtype=bool)


def write(path, start, arrays):
    """Write the points ``start .. start + n`` (``arrays``: name -> (n, ...)) and then mark them done."""
    import xarray as xr

    n = len(next(iter(arrays.values())))
    region = {"point": slice(start, start + n)}
    data = {k: (("point", "step") if v.ndim == 2 else ("point",), v) for k, v in arrays.items()}
    xr.Dataset(data).to_zarr(path, region=region, consolidated=False)
    xr.Dataset({"done": (("point",), np.ones(n, dtype=bool))}).to_zarr(path, region=region, consolidated=False)


def read(path):
    """The stored arrays (name -> numpy array) and the done flags."""
    import xarray as xr

    ds = xr.open_zarr(path, consolidated=False)
    return {k: ds[k].values for k in ds.data_vars if k not in ("done", "point_seed")}, ds["done"].values


def labelled(ds):
    """A grid sweep with its swept parameters as dimensions; a sampled design as it is (along ``point``)."""
    dims = json.loads(ds.attrs.get("grid_dims", "[]"))
    if ds.attrs.get("layout") != "grid" or not dims:
        return ds
    if len(dims) == 1:
        return ds.drop_vars("point").swap_dims({"point": dims[0]})
    return ds.drop_vars("point").set_index(point=dims).unstack("point").transpose(*dims, ...)


def open_sweep(path):
    """Open a sweep's store as a labelled xarray Dataset (grid dimensions restored)."""
    import xarray as xr

    return labelled(xr.open_zarr(path, consolidated=False).load())
