"""Scaling theory of localization: conductance versus sample size, localization lengths.

- :func:`size_sweep`: the conductance of wires (fixed width, growing length),
  square films (L x L) or cubes (L x L x L, leads on two faces) over sizes
  and disorder realizations, as an ``xarray.Dataset`` with a ``size``
  dimension. Each size is an ordinary :func:`transport.sweep` (serial, local
  processes or Dask; resumable from a results directory).
- :func:`localization_lengths`: transfer-matrix localization lengths
  xi_M and Lambda = xi_M / M over bar widths and disorders
  (:func:`transport.transfer.localization_length` at each point), on local
  processes, each point checkpointed.

The sample conductance of a two-terminal run removes the contacts' Sharvin
resistance: 1/g = 1/G - 1/N (G and N per spin, e^2/h). For a square film in
the diffusive regime this is the film's sheet conductance; the residual
contact correction cancels to first order because 2 z0 = l' in 2D
(``docs/conventions``). The beta function and the finite-size-scaling fits
live in :mod:`fits.scaling`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import xarray as xr

from devices import bands, build

from .sweep import _available_cores, lock, sweep
from .transfer import localization_length

__all__ = ["SHAPES", "localization_lengths", "sample_conductance", "size_sweep"]

SHAPES = ("wire", "square", "cube")


def _device(shape, size, width, units):
    if shape == "wire":
        if width is None:
            raise ValueError("a wire size sweep needs the wire's width [nm] (width=...)")
        return build("wire", width_nm=width, length_nm=size, **units)
    if width is not None:
        raise ValueError(f"a {shape} has width = length = size; drop width={width!r}")
    if shape == "square":
        return build("film", width_nm=size, length_nm=size, **units)
    sites = size / units.get("lattice_constant_nm", 1.0) if units else size
    layers = round(sites)
    return build("film", width_nm=size, length_nm=size, thickness=layers, **units)


def sample_conductance(G, channels):
    """The sample's conductance g [e^2/h per spin] from the two-terminal G: 1/g = 1/G - 1/N.

    Realizations with G >= N (possible only at the ballistic limit, G = N
    within rounding) have no defined sample conductance and give inf.
    """
    G = np.asarray(G, float)
    with np.errstate(divide="ignore"):
        inv = 1.0 / G - 1.0 / np.asarray(channels, float)
        return np.where(inv > 0, 1.0 / np.where(inv > 0, inv, 1.0), np.inf)


def size_sweep(
    shape: str,
    sizes,
    *,
    energy: float,
    seeds,
    disorder: float,
    width: float | None = None,
    lattice_constant_nm: float | None = None,
    hopping_meV: float | None = None,
    mass: float | None = None,
    path=None,
    executor=None,
    workers: int | None = None,
    progress: bool | None = None,
    log=None,
) -> xr.Dataset:
    """Conductance at zero field over sample sizes and disorder realizations.

    Parameters
    ----------
    shape : {"wire", "square", "cube"}
        Wires of fixed ``width`` and length = size; square films L x L;
        cubes L x L x L with leads of the full L x L face.
    sizes : sequence of float
        Sample sizes L [nm] (sites in lattice units), increasing.
    energy : float
        Fermi energy [meV above the band bottom]; the band centre is 4 t
        (square lattice) or 6 t (cubic).
    seeds : int or sequence of int
        Realizations: their number (seeds 0..n-1) or the seeds. The same
        seed at two sizes shares the disorder of the overlapping region;
        differences between sizes are taken per realization, which is what
        makes their errors small (:func:`fits.scaling.beta_function`).
    disorder : float
        Box-disorder width W [meV].
    width : float, optional
        Wire width [nm] (wires only).
    lattice_constant_nm, hopping_meV, mass
        Units (:func:`devices.units_from_options`); omitted: lattice units.
    path : str or Path, optional
        Results directory: one netCDF file per size (resumable, like
        :func:`transport.sweep`) and the combined ``size_sweep.nc``.
    executor, workers, progress, log
        As for :func:`transport.sweep`.

    Returns
    -------
    xarray.Dataset
        ``G`` (size, realization) [e^2/h per spin], the lead channels ``N``
        (size), the sample conductance ``g`` = 1/(1/G - 1/N), and per size
        ``ln_g_mean``, ``ln_g_sem``, ``g_typical`` = exp(<ln g>),
        ``g_mean``, ``G_mean``, ``G_sem``; attributes name the shape,
        energy, disorder and regime quantities of the largest sample.
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown size-sweep shape {shape!r}: use one of {', '.join(SHAPES)}")
    sizes = np.asarray(sizes, float)
    if sizes.ndim != 1 or len(sizes) < 2 or np.any(np.diff(sizes) <= 0):
        raise ValueError(f"sizes must be two or more increasing lengths [nm], got {sizes}")
    units = {k: v for k, v in dict(lattice_constant_nm=lattice_constant_nm,
                                   hopping_meV=hopping_meV, mass=mass).items() if v is not None}  # fmt: skip
    devices = [_device(shape, float(s), width, units) for s in sizes]
    lengths_sites = [d.geometry.length for d in devices]
    if len(set(lengths_sites)) < len(lengths_sites):
        raise ValueError(
            f"sizes {sizes.tolist()} round to repeated lattice sizes {lengths_sites}; "
            "give sizes at least one lattice constant apart"
        )
    e_t = energy / devices[0].units.t_meV
    layers = [d.geometry.thickness for d in devices]
    channels = np.array(
        [bands.open_channels(e_t, d.geometry.width, nz) for d, nz in zip(devices, layers)]
    )
    if np.any(channels == 0):
        bad = sizes[channels == 0].tolist()
        raise ValueError(
            f"no open channel at E = {energy} meV in the leads of sizes {bad}: raise the "
            "energy above the lowest subband or widen the sample"
        )
    root = Path(path) if path is not None else None
    results = []
    context = lock(root / "size_sweep.lock") if root is not None else contextlib.nullcontext()
    with context:
        for s, dev in zip(sizes, devices):
            if log is not None:
                log(f"size {s:g} nm ({dev.geometry.length} sites)")
            p = root / f"size_{dev.geometry.length}.nc" if root is not None else None
            ds = sweep(dev, energies=energy, seeds=seeds, disorder=disorder, path=p,
                       executor=executor, workers=workers, progress=progress, log=log)  # fmt: skip
            results.append(ds)
    G = np.stack([ds["G"].values[:, 0, 0, 0] for ds in results])
    out = _size_dataset(shape, sizes, G, channels, results, devices, energy, disorder, width)
    if root is not None:
        tmp = root / ".size_sweep.nc.tmp"
        out.to_netcdf(tmp)
        os.replace(tmp, root / "size_sweep.nc")
    return out


def _size_dataset(shape, sizes, G, channels, results, devices, energy, disorder, width):
    seeds = results[0]["realization"].values
    n = G.shape[1]
    g = sample_conductance(G, channels[:, None])
    finite = np.isfinite(g)
    ln_g = np.log(np.where(finite, g, np.nan))
    unit = {"units": "e^2/h", "spin": "per spin (spinless model)"}

    def sem(x):
        return np.nanstd(x, 1, ddof=1) / np.sqrt(np.sum(np.isfinite(x), 1)) if n > 1 else np.nan

    dims = ("size", "realization")
    data = {
        "G": (dims, G, {**unit, "long_name": "two-terminal conductance"}),
        "g": (dims, g, {**unit, "long_name": "sample conductance 1/(1/G - 1/N)"}),
        "N": ("size", channels, {"long_name": "open channels per spin of the leads"}),
        "G_mean": ("size", G.mean(1), unit),
        "G_sem": ("size", sem(G), unit),
        "g_mean": ("size", np.nanmean(np.where(finite, g, np.nan), 1), unit),
        "ln_g_mean": ("size", np.nanmean(ln_g, 1), {"long_name": "<ln g>"}),
        "ln_g_sem": ("size", sem(ln_g), {"long_name": "standard error of <ln g>"}),
        "g_typical": ("size", np.exp(np.nanmean(ln_g, 1)), {**unit, "long_name": "exp(<ln g>)"}),
    }
    unit_nm = devices[0].units
    coords = {
        "size": ("size", sizes, {"units": "nm", "long_name": "sample size L"}),
        "size_sites": ("size", [d.geometry.length for d in devices], {"units": "a"}),
        "realization": ("realization", seeds, {"long_name": "disorder seed"}),
    }
    rep = devices[-1].regime(energy, max(disorder, 1e-12))
    attrs = {
        "title": "cooperon size sweep",
        "shape": shape,
        "dimension": {"wire": 1, "square": 2, "cube": 3}[shape],
        "energy_meV": energy,
        "disorder_meV": disorder,
        "lattice_constant_nm": unit_nm.a_nm,
        "hopping_meV": unit_nm.t_meV,
        "spin_degeneracy": 1,
        "excluded_ballistic": int(np.count_nonzero(~finite)),
        "experiments": json.dumps([json.loads(ds.attrs["experiment"]) for ds in results]),
        "versions": results[0].attrs["versions"],
    }
    if width is not None:
        attrs["width_nm"] = width
    if math.isfinite(rep.mean_free_path_nm):
        attrs["mean_free_path_nm"] = rep.mean_free_path_nm
    if rep.thouless_ratio is not None:
        attrs["thouless_ratio_largest"] = rep.thouless_ratio
    return xr.Dataset(data, coords=coords, attrs=attrs)


# -- transfer matrices over widths and disorders ------------------------------


def _point(args):
    width, disorder, kw, path = args
    r = localization_length(width, disorder=disorder, path=path, **kw)
    return r.to_dict()


def _one_thread():
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scipy's stack
        pass


def localization_lengths(
    widths,
    disorders,
    *,
    energy: float,
    dimension: int = 3,
    accuracy: float = 0.01,
    boundary: str = "periodic",
    max_length: int = 10_000_000,
    seed: int = 0,
    path=None,
    workers: int | None = None,
    log=None,
) -> xr.Dataset:
    """Transfer-matrix localization lengths over bar widths M and disorders W.

    Parameters
    ----------
    widths : sequence of int
        Bar widths M [a]: cross-sections M (2D) or M x M (3D).
    disorders : sequence of float
        Box-disorder widths W [t].
    energy : float
        Fermi energy [t above the band bottom] (band centre: 6 t cubic).
    dimension, accuracy, boundary, max_length, seed
        As for :func:`transport.transfer.localization_length`; each
        (M, W) point is its own bar with the seed ``seed``.
    path : str or Path, optional
        Results directory: one checkpoint per point; a rerun skips finished
        points and continues unfinished ones.
    workers : int, optional
        Local processes (default all cores; 1 runs here). The numbers do
        not depend on it.
    log : callable, optional
        Receives a line per finished point.

    Returns
    -------
    xarray.Dataset
        ``xi``, ``xi_err`` [a], ``Lambda`` = xi/M, ``Lambda_err``,
        ``length`` [slices], ``seconds`` over (width, disorder).
    """
    widths = [int(m) for m in widths]
    disorders = [float(w) for w in disorders]
    if not widths or not disorders:
        raise ValueError("give at least one width and one disorder")
    root = Path(path) if path is not None else None
    kw = dict(energy=float(energy), dimension=dimension, accuracy=accuracy, boundary=boundary,
              max_length=max_length, seed=seed)  # fmt: skip
    tasks = []
    for m in widths:
        for w in disorders:
            p = root / f"M{m}_W{w:.6g}.npz" if root is not None else None
            tasks.append((m, w, kw, p))
    workers = workers or _available_cores()
    results = {}
    done = _finished(root, tasks) if root is not None else {}
    results.update(done)
    todo = [t for t in tasks if (t[0], t[1]) not in done]
    if log is not None and done:
        log(f"resuming: {len(done)} of {len(tasks)} points done")
    context = lock(root / "transfer.lock") if root is not None else contextlib.nullcontext()
    with context:
        if workers == 1 or len(todo) <= 1:
            for t in todo:
                results[(t[0], t[1])] = _point(t)
                _record(root, results[(t[0], t[1])], log)
        else:
            with ProcessPoolExecutor(min(workers, len(todo)), initializer=_one_thread) as pool:
                for t, r in zip(todo, pool.map(_point, todo)):
                    results[(t[0], t[1])] = r
                    _record(root, r, log)
    return _transfer_dataset(widths, disorders, results, kw)


def _finished(root, tasks):
    f = root / "points.json"
    if not f.exists():
        return {}
    stored = json.loads(f.read_text())
    out = {}
    for m, w, kw, _ in tasks:
        for r in stored:
            same = all(r[k] == kw[k] for k in ("energy", "accuracy", "boundary", "seed"))
            if (
                same
                and r["width"] == m
                and r["disorder"] == w
                and r["dimension"] == kw["dimension"]
            ):
                out[(m, w)] = r
    return out


def _record(root, r, log):
    if log is not None:
        log(f"M = {r['width']}, W = {r['disorder']:g}: Lambda = {r['lambda_']:.4f} "
            f"+- {r['lambda_err']:.4f} ({r['length']} slices, {r['seconds']:.0f} s)")  # fmt: skip
    if root is None:
        return
    root.mkdir(parents=True, exist_ok=True)
    f = root / "points.json"
    stored = json.loads(f.read_text()) if f.exists() else []
    stored.append(r)
    tmp = root / ".points.json.tmp"
    tmp.write_text(json.dumps(stored, indent=1))
    os.replace(tmp, f)


def _transfer_dataset(widths, disorders, results, kw):
    shape = (len(widths), len(disorders))
    arrays = {k: np.empty(shape) for k in ("xi", "xi_err", "lambda_", "lambda_err", "length",
                                             "seconds")}  # fmt: skip
    for i, m in enumerate(widths):
        for j, w in enumerate(disorders):
            r = results[(m, w)]
            for k in arrays:
                arrays[k][i, j] = r[k]
    dims = ("width", "disorder")
    data = {
        "xi": (dims, arrays["xi"], {"units": "a", "long_name": "localization length xi_M"}),
        "xi_err": (dims, arrays["xi_err"], {"units": "a"}),
        "Lambda": (dims, arrays["lambda_"], {"long_name": "xi_M / M"}),
        "Lambda_err": (dims, arrays["lambda_err"]),
        "length": (dims, arrays["length"].astype(np.int64), {"units": "slices"}),
        "seconds": (dims, arrays["seconds"], {"units": "s"}),
    }
    coords = {
        "width": ("width", widths, {"units": "a", "long_name": "bar width M"}),
        "disorder": ("disorder", disorders, {"units": "t", "long_name": "box disorder W"}),
    }
    attrs = {"title": "cooperon transfer-matrix localization lengths", **kw}
    return xr.Dataset(data, coords=coords, attrs=attrs)
