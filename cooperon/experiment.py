"""A virtual experiment: spec -> device -> sweep -> fit -> files.

Output layout of ``cooperon run SPEC --out DIR``:

    DIR/sweep.nc       the dataset (transport.sweep; resumable checkpoints in
                       DIR/sweep.nc.partial/ while it runs)
    DIR/fit.json       the fit (keys of ``cooperon fit``), plus the input
                       tau_phi_ps_input when the spec sets one
    DIR/report.txt     device, regime report, fit report, input vs fitted
    DIR/wl_peak.png    magnetoconductance with the fit and residuals
    DIR/traces.png     G(B) of single realizations and the ensemble mean
    DIR/device.png     the device (Kwant plot)
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
from scipy import constants as sc

import devices
import fits
import transport

__all__ = ["build_device", "regime_report", "run"]


def build_device(spec: dict) -> devices.Device:
    """The device of a spec (sizes in nm; lattice units when no lattice constant is given)."""
    d = spec["device"]
    a = d["lattice_constant_nm"]
    if a is None:
        units = devices.Units.lattice()
    elif d["mass"] is not None:
        units = devices.Units.from_mass(a, d["mass"])
    elif d["hopping_meV"] is not None:
        units = devices.Units(a, d["hopping_meV"])
    else:
        raise ValueError("device.lattice_constant_nm needs device.hopping_meV or device.mass")
    if d["shape"] == "ring":
        if d["interlayer"] != 1.0:
            raise ValueError("device.interlayer applies to slabs (film or wire), not to a ring")
        return devices.ring(
            d["r_in_nm"],
            d["r_out_nm"],
            lead_width=d["lead_width_nm"],
            units=units,
            field_in_leads=d["field_in_leads"],
        )
    builder = devices.film if d["shape"] == "film" else devices.wire
    return builder(
        d["width_nm"],
        d["length_nm"],
        d["thickness"],
        units=units,
        field_in_leads=d["field_in_leads"],
        interlayer=d["interlayer"],
    )


def energies(spec, dev) -> list[float]:
    """Fermi energies [meV] of the sweep."""
    sw = spec["sweep"]
    if sw["energy_meV"] is not None:
        return list(sw["energy_meV"])
    return [dev.fermi_energy(sw["density_cm2"])]


def _fields(spec, name):
    v = spec["sweep"][f"{name}_mT"]
    return None if v is None else [1e-3 * b for b in v]


def regime_report(spec, dev=None):
    dev = dev or build_device(spec)
    b_perp = _fields(spec, "b_perp")
    b_max = None if b_perp is None else max(abs(b) for b in b_perp)
    deph = {k: v for k, v in _dephasing_kwargs(spec).items() if k != "probe_density"}
    return dev.regime(energies(spec, dev)[0], spec["disorder"]["box_meV"], b_max=b_max, **deph)


def _dephasing_kwargs(spec):
    dp = spec["dephasing"]
    if dp["model"] == "none":
        return {}
    kw = dict(tau_phi=dp["tau_phi_ps"], dephasing=dp["model"])
    if dp["probe_density"] is not None:
        kw["probe_density"] = dp["probe_density"]
    return kw


def _execution(spec):
    ex = spec["execution"]
    if ex["executor"] == "serial":
        return dict(executor="serial")
    if ex["executor"] == "dask":
        return dict(executor=ex["dask"])
    return dict(executor=None, workers=ex["workers"])


def run(spec: dict, out, *, progress: bool | None = None, log=print) -> dict:
    """Run a virtual experiment; returns the fit summary (``fit.json``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dev = build_device(spec)
    rep = regime_report(spec, dev)
    sw = spec["sweep"]
    seeds = list(range(sw["first_seed"], sw["first_seed"] + sw["realizations"]))
    progress = spec["execution"]["progress"] if progress is None else progress
    log(f"cooperon run: {spec.get('title') or dev.kind}")
    log(dev.describe())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", transport.RegimeWarning)
        ds = transport.sweep(
            dev,
            b_perp=_fields(spec, "b_perp"),
            b_par=_fields(spec, "b_par"),
            energies=energies(spec, dev),
            seeds=seeds,
            disorder=spec["disorder"]["box_meV"],
            path=out / "sweep.nc",
            progress=progress,
            **_dephasing_kwargs(spec),
            **_execution(spec),
        )
    regime_warnings = [str(w.message).split("\n")[0] for w in caught]
    for w in regime_warnings:
        log(f"WARNING: {w}")
    log(f"sweep: {out / 'sweep.nc'} ({ds.attrs['elapsed_s']:.1f} s, {ds.attrs['executor']})")
    summary = {}
    lines = [dev.describe(), str(rep), ""]
    try:
        result = _fit(spec, dev, ds, rep)
    except ValueError as exc:  # the data are kept; the report says why the fit failed
        result = None
        summary["error"] = f"fit failed: {exc}"
        lines.append(summary["error"])
    if result is not None:
        summary = result.to_dict()
        lines.append(result.report())
    tau_in = spec["dephasing"]["tau_phi_ps"] if spec["dephasing"]["model"] != "none" else None
    if tau_in is not None:
        summary["tau_phi_ps_input"] = tau_in
        summary["dephasing_model"] = spec["dephasing"]["model"]
        if "tau_phi_ps" in summary:
            lines.append(
                f"  input tau_phi = {tau_in:.4g} ps; fitted {summary['tau_phi_ps']:.4g} "
                f"+- {summary['tau_phi_ps_stderr']:.2g} ps "
                f"(ratio {summary['tau_phi_ps'] / tau_in:.3g})"
            )
    summary["diffusion_m2s"] = ds.attrs.get("diffusion_m2s")
    summary["diffusion_source"] = ds.attrs.get("diffusion_source")
    summary["regime_warnings"] = regime_warnings + list(rep.warnings)
    summary["sweep"] = str(out / "sweep.nc")
    (out / "fit.json").write_text(json.dumps(summary, indent=2, default=_json) + "\n")
    (out / "report.txt").write_text("\n".join(lines) + "\n")
    if result is None and "error" not in summary:
        lines.append("no fit (fit.model = 'none')")
    log("\n".join(lines[2:]))
    if spec["output"]["figures"]:
        figs = _figures(dev, ds, result, out)
        log("figures: " + ", ".join(str(f) for f in figs))
    log(f"wrote {out / 'fit.json'} and {out / 'report.txt'}")
    return summary


def _json(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    raise TypeError(f"not JSON serializable: {type(x)}")


def _fit(spec, dev, ds, rep):
    f = spec["fit"]
    if f["model"] == "none":
        return None
    g, u = dev.geometry, dev.units
    a_m = u.a_m
    diffusion = ds.attrs.get("diffusion_m2s")
    window = None if f["window_mT"] is None else 1e-3 * f["window_mT"]
    ell = rep.mean_free_path * a_m
    b_tr = sc.hbar / (2 * sc.e * ell**2) if math.isfinite(ell) else None
    if f["model"] in ("hln", "hln_so"):
        data = fits.from_dataset(ds, quantity="sheet")
        if f["model"] == "hln":
            model = fits.HLN(
                g_s=f["g_s"], alpha=f["alpha"], b_tr=b_tr if f["transport_field"] else None
            )
        else:
            model = fits.HLNSpinOrbit(g_s=f["g_s"])
    elif f["model"] in ("wire", "wire_finite"):
        data = fits.from_dataset(ds, quantity="total")
        kw = dict(g_s=f["g_s"], width=g.width * a_m, length=g.length * a_m)
        model = fits.Wire(**kw, ell=ell) if f["model"] == "wire" else fits.WireFinite(**kw)
    elif f["model"] == "finite_film":
        data = fits.from_dataset(ds, quantity="total")
        model = fits.FiniteFilm(
            g_s=f["g_s"],
            width=g.width * a_m,
            length=g.length * a_m,
            alpha=f["alpha"],
            b_tr=b_tr if f["transport_field"] else None,
            max_nodes=min(1600, g.width * g.length),  # no finer than the lattice
        )
    else:  # parallel field on a slab: d^2 = a^2 (N_z^2 - 1)
        if g.thickness < 2:
            raise ValueError("the parallel-field model needs a film of thickness >= 2 layers")
        d = a_m * math.sqrt(g.thickness**2 - 1)
        # the device's (Born) l: flux cancellation of l/d (fit.in_plane_corrections)
        mfp = ell if f["in_plane_corrections"] and math.isfinite(ell) else None
        if f["model"] == "parallel":
            data = fits.from_dataset(ds, quantity="sheet", axis="b_par")
            model = fits.ParallelField(
                g_s=f["g_s"], thickness=d, alpha=f["alpha"], mean_free_path=mfp
            )
        else:  # finite_parallel: the finite device in an in-plane field
            data = fits.from_dataset(ds, quantity="total", axis="b_par")
            model = fits.FiniteFilmParallel(
                g_s=f["g_s"],
                width=g.width * a_m,
                length=g.length * a_m,
                thickness=d,
                alpha=f["alpha"],
                max_nodes=min(1600, g.width * g.length),
                mean_free_path=mfp,
                cross_section=f["in_plane_corrections"],
            )
    return model.fit(
        data.b, data.dy, data.sigma, window=window, diffusion=diffusion, source="simulation"
    )


def _quiet_kwant_plotter():
    """Import Kwant's plotter without its notice that the optional plotly engine is missing."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "plotly is not available", RuntimeWarning)
        import kwant.plotter  # noqa: F401


def _figures(dev, ds, result, out):
    import matplotlib

    matplotlib.use("Agg")
    import kwant
    import matplotlib.pyplot as plt

    _quiet_kwant_plotter()

    paths = []
    if result is not None:
        result.plot(out / "wl_peak.png")
        paths.append(out / "wl_peak.png")
    axis = "b_perp" if ds.sizes["b_perp"] > 1 else "b_par"
    sel = {d: 0 for d in ("energy", "b_par", "b_perp") if d != axis}
    g = ds.G.isel(sel)
    b = 1e3 * ds[axis].values
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for r in range(min(5, ds.sizes["realization"])):
        ax.plot(b, g.isel(realization=r), lw=0.8, alpha=0.6)
    mean, sem = ds.G_mean.isel(sel), ds.G_sem.isel(sel)
    ax.plot(b, mean, "k-", lw=2, label="ensemble mean")
    if np.all(np.isfinite(sem)):
        ax.fill_between(b, mean - sem, mean + sem, color="k", alpha=0.2)
    ax.set_xlabel(f"{'B_perp' if axis == 'b_perp' else 'B_par'} [mT]")
    ax.set_ylabel("G [e^2/h] (per spin)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "traces.png", dpi=110)
    plt.close(fig)
    paths.append(out / "traces.png")
    paths.append(device_picture(dev, out / "device.png", kwant=kwant, plt=plt))
    return paths


def device_picture(dev, path, *, kwant=None, plt=None):
    """Save a picture of the device (sites in lattice units) to ``path``."""
    if kwant is None:
        import matplotlib

        matplotlib.use("Agg")
        import kwant
        import matplotlib.pyplot as plt
    _quiet_kwant_plotter()
    fig, ax = plt.subplots(figsize=(5, 4))
    # a slab is drawn projected on the x-y plane
    proj = (lambda pos: pos[:2]) if dev.geometry.dimension == 3 else None
    kwant.plot(dev.system, site_size=0.25, hop_lw=0.05, ax=ax, show=False, pos_transform=proj)
    ax.set_xlabel("x [a]")
    ax.set_ylabel("y [a]")
    ax.set_title(f"{dev.kind}, a = {dev.units.a_nm:g} nm")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
