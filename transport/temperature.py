"""Temperature sweeps: the magnetoconductance of a device at several temperatures.

At each temperature T the dephasing law (:class:`devices.DephasingLaw`) sets
tau_phi(T), imposed by a dephasing model; with ``smearing`` the conductance
is also averaged over the thermal window, G(T) = sum_i w_i G(E_i)
(:func:`devices.temperature.thermal_grid`). Each temperature is an ordinary
:func:`transport.sweep` (resumable, on processes or Dask), the same
realizations at every temperature, so that differences between
temperatures are taken per realization.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path

import numpy as np
import xarray as xr

from cooperon.constants import R0
from devices.temperature import DephasingLaw, thermal_grid

from .sweep import _SPIN_LABEL, lock, sweep

__all__ = ["temperature_sweep"]


def temperature_sweep(
    device,
    *,
    temperatures,
    law: DephasingLaw,
    energy: float,
    seeds,
    disorder: float,
    b_perp=None,
    b_par=None,
    dephasing: str = "probes",
    probe_density=None,
    smearing: bool = False,
    path=None,
    executor=None,
    workers: int | None = None,
    progress: bool | None = None,
    log=None,
) -> xr.Dataset:
    """Conductance over temperatures, fields and realizations, as an ``xarray.Dataset``.

    Parameters
    ----------
    device : devices.Device
    temperatures : sequence of float
        Temperatures [K], increasing.
    law : devices.DephasingLaw
        tau_phi(T) [ps].
    energy : float
        Fermi energy [meV above the band bottom].
    seeds : int or sequence of int
        Realizations, the same at every temperature.
    disorder : float
        Box-disorder width [meV].
    b_perp, b_par : array_like, optional
        Fields [T], as for :func:`transport.sweep`.
    dephasing : {"probes", "absorbing"}
        How tau_phi(T) is imposed (Buttiker probes conserve current).
    probe_density : float or "auto", optional
        As for :func:`transport.sweep` (default: automatic at each T).
    smearing : bool
        Average over the thermal window at each T; the energies and their
        number (the cost factor) are recorded per temperature.
    path : str or Path, optional
        Results directory: one resumable sweep per temperature
        (``T_<T>K.nc``) and the combined ``temperature.nc``.
    executor, workers, progress, log
        As for :func:`transport.sweep`.

    Returns
    -------
    xarray.Dataset
        ``G`` (temperature, realization, energy, b_par, b_perp) [e^2/h; per
        spin for a spinless device, both spins for a spinful one] with
        ``energy`` the Fermi energy (smeared if asked), ``G_mean``, ``G_sem``,
        ``dG_mean``, ``dG_sem`` as for a sweep, the zero-field
        ``R_zero_field_ohm`` = (h/e^2) / <G(B=0)> (of one spin channel for a
        spinless device, of the sample for a spinful one), and ``tau_phi_ps``
        along ``temperature``; the attributes hold the law and, per
        temperature, the dataset of its sweep.
    """
    if dephasing not in ("probes", "absorbing"):
        raise ValueError(f"dephasing is 'probes' or 'absorbing', got {dephasing!r}")
    temps = np.asarray(temperatures, float)
    if temps.ndim != 1 or temps.size < 1 or np.any(~np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(f"temperatures are positive numbers of kelvin, got {temps.tolist()}")
    if np.any(np.diff(temps) <= 0):
        raise ValueError(f"temperatures must increase, got {temps.tolist()}")
    if not isinstance(law, DephasingLaw):
        raise TypeError("law must be a devices.DephasingLaw")
    taus = np.atleast_1d(law.tau_phi_ps(temps))
    grids = [thermal_grid(device, energy, t, disorder) if smearing else None for t in temps]
    root = Path(path) if path is not None else None
    results = []
    context = lock(root / "temperature.lock") if root is not None else contextlib.nullcontext()
    with context:
        for t, tau, grid in zip(temps, taus, grids):
            energies = grid["energies"] if grid else [energy]
            if log is not None:
                log(f"T = {t:g} K: tau_phi = {tau:.4g} ps"
                    + (f", {len(energies)} energies in the thermal window" if grid else ""))  # fmt: skip
            kw = dict(tau_phi=float(tau), dephasing=dephasing)
            if dephasing == "probes" and probe_density is not None:
                kw["probe_density"] = probe_density
            p = root / f"T_{t:.6g}K.nc" if root is not None else None
            ds = sweep(device, b_perp=b_perp, b_par=b_par, energies=energies, seeds=seeds,
                       disorder=disorder, path=p, executor=executor, workers=workers,
                       progress=progress, log=log, **kw)  # fmt: skip
            if grid:
                w = xr.DataArray(grid["weights"], dims="energy")
                g = (ds.G * w).sum("energy").expand_dims(energy=[float(energy)], axis=1)
            else:
                g = ds.G
            results.append((ds, g.transpose("realization", "energy", "b_par", "b_perp")))
    out = _dataset(temps, taus, law, results, grids, energy, device.norbs)
    if root is not None:
        tmp = root / ".temperature.nc.tmp"
        out.to_netcdf(tmp)
        os.replace(tmp, root / "temperature.nc")
    return out


def _dataset(temps, taus, law, results, grids, energy, norbs):
    first = results[0][0]
    g = np.stack([r[1].values for r in results])
    n = g.shape[1]
    ip = int(np.argmin(np.abs(first.b_perp.values)))
    iq = int(np.argmin(np.abs(first.b_par.values)))
    dg = g - g[:, :, :, iq : iq + 1, ip : ip + 1]
    unit = {"units": "e^2/h", "spin": _SPIN_LABEL[norbs]}

    def sem(x):
        return x.std(1, ddof=1) / math.sqrt(n) if n > 1 else np.full(x.mean(1).shape, np.nan)

    dims = ("temperature", "realization", "energy", "b_par", "b_perp")
    g0 = g[:, :, 0, iq, ip].mean(1)
    data = {
        "G": (dims, g, {**unit, "long_name": "two-terminal conductance"}),
        "G_mean": (dims[:1] + dims[2:], g.mean(1), unit),
        "G_sem": (dims[:1] + dims[2:], sem(g), unit),
        "dG_mean": (dims[:1] + dims[2:], dg.mean(1), {**unit, "long_name": "G(B) - G(B0)"}),
        "dG_sem": (dims[:1] + dims[2:], sem(dg), unit),
        "R_zero_field_ohm": (
            "temperature",
            R0 / g0,
            {
                "units": "Ohm",
                "long_name": "(h/e^2) / <G(B=0)>, "
                + ("per spin channel" if norbs == 1 else "both spins"),
            },
        ),
    }
    coords = {
        "temperature": ("temperature", temps, {"units": "K"}),
        "tau_phi_ps": ("temperature", np.asarray(taus, float), {"units": "ps"}),
        "realization": ("realization", first.realization.values, {"long_name": "disorder seed"}),
        "energy": ("energy", [float(energy)], {"units": "meV"}),
        "b_par": ("b_par", first.b_par.values, {"units": "T"}),
        "b_perp": ("b_perp", first.b_perp.values, {"units": "T"}),
    }
    attrs = {k: v for k, v in first.attrs.items()
             if k in ("device_spec", "disorder_meV", "spin_degeneracy", "versions",
                      "diffusion_m2s", "diffusion_source", "mean_free_path_nm")}  # fmt: skip
    attrs.update(
        title="cooperon temperature sweep",
        law=json.dumps(law.to_dict()),
        experiments=json.dumps([json.loads(r[0].attrs["experiment"]) for r in results]),
        smearing=json.dumps(
            [
                None
                if gr is None
                else {
                    k: gr[k]
                    for k in (
                        "points",
                        "spacing_meV",
                        "kT_meV",
                        "thouless_meV",
                        "level_spacing_meV",
                    )
                }
                for gr in grids
            ]
        ),
        dG_reference_b_perp_T=float(first.b_perp.values[ip]),
        dG_reference_b_par_T=float(first.b_par.values[iq]),
        elapsed_s=float(sum(r[0].attrs["elapsed_s"] for r in results)),
    )
    return xr.Dataset(data, coords=coords, attrs=attrs)
