"""A virtual experiment: spec -> device -> sweep -> fit -> files.

Output layout of ``cooperon run SPEC --out DIR``::

    DIR/sweep.nc       the dataset (transport.sweep; resumable checkpoints in
                       DIR/sweep.nc.partial/ while it runs)
    DIR/fit.json       the fit (keys of ``cooperon fit``), the input tau_phi
                       (tau_phi_ps_input) when the spec sets one, the regime
                       warnings, and "ok"
    DIR/report.txt     device, regime report, fit report, input vs fitted
    DIR/wl_peak.png    magnetoconductance with the fit and residuals (both signs)
    DIR/traces.png     G(B) of single realizations and the ensemble mean
    DIR/device.png     the device (Kwant plot)

A run holds a lock on DIR: a second run into the same folder is refused.
Scaling-theory specs (``kind = "size_sweep"`` or ``"localization_length"``)
are run by :mod:`cooperon.scaling_run`, temperature series (a
``[temperature]`` section) by :mod:`cooperon.temperature_run`; each lists its
files.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

import devices
import fits
import transport
from cooperon.constants import HBAR_OVER_E
from cooperon.spec import RASHBA_MODEL, RASHBA_MODELS, SO_MODELS
from fits.result import json_safe

__all__ = ["build_device", "regime_report", "run"]


def build_device(spec: dict) -> devices.Device:
    """The device of a spec (sizes in nm; lattice units when no lattice constant is given)."""
    d = spec["device"]
    return devices.build(
        d["shape"],
        width_nm=d["width_nm"],
        length_nm=d["length_nm"],
        thickness=d["thickness"],
        interlayer=d["interlayer"],
        r_in_nm=d["r_in_nm"],
        r_out_nm=d["r_out_nm"],
        lead_width_nm=d["lead_width_nm"],
        lattice_constant_nm=d["lattice_constant_nm"],
        hopping_meV=d["hopping_meV"],
        mass=d["mass"],
        field_in_leads=d["field_in_leads"],
        spin=d["spin"],
        g_factor=d["g_factor"],
        rashba_meV_nm=d["rashba_meV_nm"],
        dresselhaus_meV_nm=d["dresselhaus_meV_nm"],
        so_disorder_meV=d["so_disorder_meV"],
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
    """The regime report of a spec's device at its first energy, with its sweep's warnings."""
    dev = dev or build_device(spec)
    b_perp, b_par = _fields(spec, "b_perp"), _fields(spec, "b_par")
    b_max = None if b_perp is None else max(abs(b) for b in b_perp) or None
    b_par_max = None if b_par is None else max(abs(b) for b in b_par) or None
    deph = {k: v for k, v in _dephasing_kwargs(spec).items() if k != "probe_density"}
    return dev.regime(energies(spec, dev)[0], spec["disorder"]["box_meV"], b_max=b_max,
                      b_par_max=b_par_max, **deph)  # fmt: skip


def _dephasing_kwargs(spec):
    dp = spec["dephasing"]
    if dp["model"] == "none" or dp["tau_phi_ps"] is None:  # a temperature series: the law's
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
    """Run a virtual experiment; returns the summary written to ``fit.json``.

    ``summary["ok"]`` is False when the fit is flagged not ok, when the
    regime report finds the sample outside the regime the analysis assumes
    (a blocking warning: localized, ballistic, field range), or when the fit
    failed (``summary["error"]`` says why; the data and figures are kept).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with transport.lock(out / "run"):
        if spec.get("kind", "magnetoconductance") == "size_sweep":
            from .scaling_run import run_size_sweep

            return run_size_sweep(spec, out, progress=progress, log=log)
        if spec.get("kind") == "localization_length":
            from .scaling_run import run_localization_length

            return run_localization_length(spec, out, log=log)
        return _run(spec, out, progress, log)


def _run(spec, out, progress, log):
    from .spec import is_orientation, is_temperature

    dev = build_device(spec)
    if is_temperature(spec):
        from .temperature_run import run_temperature

        rep = dev.regime(energies(spec, dev)[0], spec["disorder"]["box_meV"],
                         b_max=max(abs(b) for b in _fields(spec, "b_perp")))  # fmt: skip
        log(f"cooperon run: {spec.get('title') or dev.kind} (temperature series)")
        log(dev.describe())
        for w in rep.warnings:
            log(f"WARNING ({type(w).__name__}): {w}")
        progress = spec["execution"]["progress"] if progress is None else progress
        return run_temperature(spec, dev, rep, out, progress=progress, log=log,
                               fit_model=lambda: _model(spec, dev, rep))  # fmt: skip
    rep = regime_report(spec, dev)
    _check_dyakonov_perel_regime(spec, dev, rep)
    sw = spec["sweep"]
    seeds = list(range(sw["first_seed"], sw["first_seed"] + sw["realizations"]))
    progress = spec["execution"]["progress"] if progress is None else progress
    log(f"cooperon run: {spec.get('title') or dev.kind}")
    log(dev.describe())
    for w in rep.warnings:
        log(f"WARNING ({type(w).__name__}): {w}")

    def one_sweep(name, b_perp, b_par):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", transport.RegimeWarning)  # reported above, once
            ds = transport.sweep(dev, b_perp=b_perp, b_par=b_par, energies=energies(spec, dev),
                                 seeds=seeds, disorder=spec["disorder"]["box_meV"],
                                 path=out / name, progress=progress, log=log,
                                 **_dephasing_kwargs(spec), **_execution(spec))  # fmt: skip
        log(f"sweep: {out / name} ({ds.attrs['elapsed_s']:.1f} s, {ds.attrs['executor']})")
        return ds

    if is_orientation(spec):
        return _orientation(spec, dev, rep, out, one_sweep, log)
    ds = one_sweep("sweep.nc", _fields(spec, "b_perp"), _fields(spec, "b_par"))
    summary: dict = {}
    lines = [dev.describe(), str(rep), ""]
    result = None
    if spec["fit"]["model"] == "none":
        lines.append("no fit (fit.model = 'none')")
    elif spec["fit"]["model"] == "ab":
        ab_result = _ab(dev, ds)
        summary = {"analysis": "ab", **ab_result.to_dict()}
        lines.append(ab_result.report())
    else:
        try:
            result = _fit(spec, dev, ds, rep)
        except ValueError as exc:  # the data are kept; the report says why the fit failed
            summary["error"] = f"fit failed: {exc}"
            lines.append(summary["error"])
    if result is not None:
        summary = result.to_dict()
        lines.append(result.report())
    if dev.spin is not None and dev.spin.has_spin_orbit and result is not None:
        lines += _spin_orbit_summary(spec, dev, ds, rep, summary)
    tau_in = spec["dephasing"]["tau_phi_ps"] if spec["dephasing"]["model"] != "none" else None
    if tau_in is not None:
        summary["tau_phi_ps_input"] = tau_in
        summary["dephasing_model"] = spec["dephasing"]["model"]
        if summary.get("tau_phi_ps") is not None:
            lines.append(
                f"  input tau_phi = {tau_in:.4g} ps; fitted {summary['tau_phi_ps']:.4g} "
                f"+- {_err(summary.get('tau_phi_ps_stderr'))} ps "
                f"(ratio {summary['tau_phi_ps'] / tau_in:.3g})"
            )
    checks = _checks(spec, dev, summary)
    if checks:
        summary["checks"] = checks
        lines += [f"  check {c['name']}: {c['measured']:.4g} against {c['target']}: "
                  f"{'PASS' if c['pass'] else 'FAIL'}" for c in checks]  # fmt: skip
    summary["diffusion_m2s"] = ds.attrs.get("diffusion_m2s")
    summary["diffusion_source"] = ds.attrs.get("diffusion_source")
    summary["regime_warnings"] = [
        {"kind": type(w).__name__, "message": str(w), "blocking": w.blocking} for w in rep.warnings
    ]
    fit_ok = result.ok if result is not None else spec["fit"]["model"] in ("none", "ab")
    checks_ok = all(c["pass"] for c in checks)
    summary["ok"] = bool(fit_ok and checks_ok and not rep.blocking and "error" not in summary)
    summary["sweep"] = str(out / "sweep.nc")
    if rep.blocking:
        lines.append(
            "not ok: the regime report finds the sample outside the regime of the analysis"
        )
    (out / "fit.json").write_text(json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n")
    (out / "report.txt").write_text("\n".join(lines) + "\n")
    log("\n".join(lines[2:]))
    if spec["output"]["figures"]:
        figs = _figures(dev, ds, result, out)
        log("figures: " + ", ".join(str(f) for f in figs))
    log(f"wrote {out / 'fit.json'} and {out / 'report.txt'}")
    return summary


def _orientation(spec, dev, rep, out, one_sweep, log):
    """Perpendicular and in-plane sweeps of the same realizations.

    A slab: l_phi from each sweep (the in-plane one through the orbit across
    the thickness), and their ratio. A spinful single layer with spin-orbit
    coupling (``finite_film_zeeman``): the in-plane field acts through Zeeman
    only; l_phi from the perpendicular sweep is held, and the in-plane one
    gives B_so (the spin relaxation), compared with D'yakonov-Perel.
    """
    ds_perp = one_sweep("sweep_perp.nc", _fields(spec, "b_perp"), None)
    ds_par = one_sweep("sweep_par.nc", None, _fields(spec, "b_par"))
    lines = [dev.describe(), str(rep), ""]
    summary: dict = {"analysis": "orientation"}
    results = {}
    zeeman = spec["fit"]["model_in_plane"] == "finite_film_zeeman"
    for key, ds, model in (("perpendicular", ds_perp, spec["fit"]["model"]),
                           ("in_plane", ds_par, spec["fit"]["model_in_plane"])):  # fmt: skip
        extra = {}
        if key == "in_plane" and zeeman:
            if "perpendicular" not in results:
                break
            # 2 alpha k_F [meV]: the Zeeman model's window (Rashba and Dresselhaus alike)
            split = 2 * math.hypot(dev.spin.rashba, dev.spin.dresselhaus) * rep.k_f / dev.units.a_nm
            extra = dict(g_factor=dev.spin.g_factor, diffusion=ds.attrs.get("diffusion_m2s"),
                         l_phi=results["perpendicular"].values["l_phi"],
                         spin_orbit_splitting=split)  # fmt: skip
        try:
            results[key] = _fit(spec, dev, ds, rep, model=model, **extra)
            summary[key] = results[key].to_dict()
            lines.append(f"{key.replace('_', '-')} sweep: " + results[key].report())
        except ValueError as exc:
            summary["error"] = f"{key} fit failed: {exc}"
            lines.append(summary["error"])
    checks = _checks(spec, dev, summary["perpendicular"]) if "perpendicular" in results else []
    tau_in = spec["dephasing"]["tau_phi_ps"] if spec["dephasing"]["model"] != "none" else None
    if tau_in is not None:
        summary["tau_phi_ps_input"] = tau_in
    for c in checks:
        lines.append(f"  check {c['name']} (perpendicular): {c['measured']:.4g} against "
                     f"{c['target']}: {'PASS' if c['pass'] else 'FAIL'}")  # fmt: skip
    if zeeman:
        if len(results) == 2:
            lines += _zeeman_summary(spec, dev, ds_par, rep, results["in_plane"], summary, checks)
    elif len(results) == 2:
        lp, le = results["perpendicular"].derived["l_phi_nm"]
        ip, ie = results["in_plane"].derived["l_phi_nm"]
        ratio = ip / lp
        err = ratio * math.hypot(le / lp, ie / ip)
        summary["l_phi_ratio"], summary["l_phi_ratio_stderr"] = ratio, err
        lines.append(f"  l_phi in-plane / perpendicular = {ratio:.3g} +- {err:.2g}")
        rtol = spec["check"]["in_plane_ratio_rtol"]
        if rtol is not None:
            ok = abs(ratio - 1) <= rtol + 2 * err
            checks.append(dict(name="in_plane_ratio", measured=ratio, error=err,
                               target=f"1 within {100 * rtol:g}% (+ 2 standard errors)",
                               input=1.0, rtol=rtol, **{"pass": bool(ok)}))  # fmt: skip
            lines.append(f"  check in_plane_ratio: {ratio:.4g} against 1 within {100 * rtol:g}% "
                         f"(+ 2 standard errors): {'PASS' if ok else 'FAIL'}")  # fmt: skip
    summary["checks"] = checks
    summary["regime_warnings"] = [
        {"kind": type(w).__name__, "message": str(w), "blocking": w.blocking} for w in rep.warnings
    ]
    summary["ok"] = bool(len(results) == 2 and all(r.ok for r in results.values())
                         and all(c["pass"] for c in checks) and not rep.blocking)  # fmt: skip
    summary["sweeps"] = [str(out / "sweep_perp.nc"), str(out / "sweep_par.nc")]
    (out / "fit.json").write_text(json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n")
    (out / "report.txt").write_text("\n".join(lines) + "\n")
    log("\n".join(lines[2:]))
    if spec["output"]["figures"]:
        figs = []
        for key, ds, name in (("perpendicular", ds_perp, "wl_peak.png"),
                              ("in_plane", ds_par, "in_plane.png")):  # fmt: skip
            if key in results:
                axis = "b_perp" if key == "perpendicular" else "b_par"
                _wl_figure(ds, results[key], axis, out / name)
                figs.append(out / name)
        figs.append(device_picture(dev, out / "device.png"))
        log("figures: " + ", ".join(str(f) for f in figs))
    log(f"wrote {out / 'fit.json'} and {out / 'report.txt'}")
    return summary


def _zeeman_summary(spec, dev, ds, rep, result, summary, checks) -> list[str]:
    """The in-plane Zeeman fit's B_so against the spin relaxation of the input coupling.

    ``devices.spin.in_plane_spin_relaxation`` (the kinetic equation, any
    Omega tau; D'yakonov-Perel for Omega tau << 1); the ``b_so_rtol`` check.
    """
    from devices.spin import (
        dyakonov_perel_lattice_b_so,
        dyakonov_perel_omega_tau,
        in_plane_spin_relaxation,
    )

    sp, u = dev.spin, dev.units
    b_so, err = result.values["b_so"], result.stderr.get("b_so")
    summary.update(g_factor=sp.g_factor, rashba_meV_nm=sp.rashba, dresselhaus_meV_nm=sp.dresselhaus,
                   b_so_T=b_so, b_so_T_stderr=err)  # fmt: skip
    lines = [f"  in-plane (Zeeman) B_so = {b_so:.4g} +- {_err(err)} T "
             f"(l_phi held at the perpendicular {result.values['l_phi'] * 1e9:.4g} nm)"]  # fmt: skip
    if not sp.rashba or sp.dresselhaus:
        return lines
    d_si = ds.attrs.get("diffusion_m2s")
    b_dp = dyakonov_perel_lattice_b_so(sp.rashba, 0.0, u)
    spin_turn = dyakonov_perel_omega_tau(sp.rashba, 0.0, u, rep.diffusion * u.diffusion_m2s,
                                         rep.tau_ps)  # fmt: skip
    # the same rate at any Omega tau (kinetic equation): B_so = hbar / (4 e D tau_xx)
    b_kin = HBAR_OVER_E / (4 * d_si * rep.tau_ps * 1e-12) * in_plane_spin_relaxation(spin_turn)
    summary["b_so_T_dyakonov_perel"] = b_dp
    summary["b_so_T_kinetic"] = b_kin
    summary["omega_so_tau"] = spin_turn
    ratio = b_so / b_kin
    rerr = None if err is None else err / b_kin
    summary["b_so_ratio"], summary["b_so_ratio_stderr"] = ratio, rerr
    lines.append(f"  spin relaxation of the input coupling: B_so = {b_kin:.4g} T (kinetic, "
                 f"Omega_so tau = {spin_turn:.2g}; D'yakonov-Perel, for Omega_so tau << 1: "
                 f"{b_dp:.4g} T); fitted / kinetic = {ratio:.3g} +- {_err(rerr)}")  # fmt: skip
    rtol = spec["check"]["b_so_rtol"]
    if rtol is not None:
        ok = rerr is not None and abs(ratio - 1) <= rtol + 2 * rerr
        checks.append(dict(name="b_so_in_plane", measured=ratio, error=rerr,
                           target=f"kinetic B_so within {100 * rtol:g}% (+ 2 standard errors)",
                           input=1.0, rtol=rtol, **{"pass": bool(ok)}))  # fmt: skip
        lines.append(f"  check b_so_in_plane: {ratio:.4g} against 1 within {100 * rtol:g}% "
                     f"(+ 2 standard errors): {'PASS' if ok else 'FAIL'}")  # fmt: skip
    return lines


def _fit(spec, dev, ds, rep, model=None, **extra):
    f = spec["fit"]
    info = fits.MODELS[model or f["model"]]
    diffusion = ds.attrs.get("diffusion_m2s")
    window = None if f["window_mT"] is None else 1e-3 * f["window_mT"]
    fit_model = _model(spec, dev, rep, info.name, **extra)
    data = fits.from_dataset(ds, quantity=info.quantity, axis=info.axis)
    return fit_model.fit(data, window=window, diffusion=diffusion, source="simulation")


def _model(spec, dev, rep, name=None, **extra):
    """The fit model of a spec for its device (sizes, transport field, contacts).

    ``extra``: further model options (SI units), e.g. the g factor, D and the
    held l_phi of the in-plane Zeeman model.
    """
    f = spec["fit"]
    info = fits.MODELS[name or f["model"]]
    g, u = dev.geometry, dev.units
    a_m = u.a_m
    ell = rep.mean_free_path * a_m
    b_tr = HBAR_OVER_E / (2 * ell**2) if math.isfinite(ell) and f["transport_field"] else None
    thickness = a_m * math.sqrt(g.thickness**2 - 1) if g.thickness > 1 else None
    if info.name in ("parallel", "finite_parallel") and thickness is None:
        raise ValueError(f"the {info.name} model needs a film of thickness >= 2 layers")
    corrected = f["in_plane_corrections"] and math.isfinite(ell)
    opts = dict(
        alpha=f["alpha"],
        b_tr=b_tr,
        width=g.width * a_m,
        length=g.length * a_m,
        thickness=thickness,
        ell=ell if math.isfinite(ell) else None,
        mean_free_path=ell if corrected else None,
        cross_section=corrected and info.name == "finite_parallel",
        # the model's own grid, no finer than the lattice
        max_nodes=min(getattr(info.cls, "default_max_nodes", 1600), g.width * g.length),
        extension=1e-9 * f["contact_extension_nm"],
        **extra,
    )
    return fits.build_model(info.name, g_s=f["g_s"],
                            **{k: v for k, v in opts.items() if k in info.accepts()})  # fmt: skip


def _ab(dev, ds):
    """AB analysis of the realization mean of a ring sweep."""
    from fits import ab

    g = ds.G.isel(energy=0, b_par=0)
    if "flux_tube" in g.dims:
        raise ValueError("fit.model = 'ab' analyses a b_perp sweep, not a flux-tube sweep")
    traces = g.transpose("realization", "b_perp").values
    r = 0.5 * (dev.geometry.r_in + dev.geometry.r_out) * dev.units.a_m
    dephased = bool(json.loads(ds.attrs.get("dephasing", "{}")))
    res = ab.analyze_ensemble(ds.b_perp.values, traces, radius_guess=r, label="simulation",
                              source="simulation")  # fmt: skip
    if not dephased:
        from dataclasses import replace

        res = replace(res, l_phi_m=None, l_phi_m_stderr=None,
                      l_phi_note="no dephasing: l_phi exceeds what the ring resolves")  # fmt: skip
    return res


#: The largest spin turn per collision, Omega tau, of the diffusive-spin regime in which the
#: D'yakonov-Perel B_so holds (the validation's check runs at 0.3).
DP_OMEGA_TAU_MAX = 0.5


def _err(value) -> str:
    """A standard error for a report line; "undetermined" when the fit could not give one."""
    return "undetermined" if value is None or not math.isfinite(value) else f"{value:.2g}"


def _elliott_yafet_summary(dev, rep, summary) -> list[str]:
    """The Born spin relaxation of the spin-orbit disorder, and its B_so (single layer only).

    Adds ``so_disorder_meV``, ``tau_s_ps_elliott_yafet`` and ``b_so_T_elliott_yafet``
    (isotropic: (4/3) B_so = hbar / (4 e D tau_s), D the Born D of the on-site disorder).
    """
    from devices.spin import b_so_from_spin_relaxation, elliott_yafet_spin_relaxation

    sp, u = dev.spin, dev.units
    summary["so_disorder_meV"] = sp.so_disorder
    if dev.geometry.thickness != 1:
        return ["  spin-orbit disorder: the Born spin relaxation is computed for a single layer"]
    tau_s = u.time_ps / elliott_yafet_spin_relaxation(sp.so_disorder_lattice(u), rep.energy)
    b_ey = b_so_from_spin_relaxation(tau_s, rep.diffusion * u.diffusion_m2s)
    summary["tau_s_ps_elliott_yafet"], summary["b_so_T_elliott_yafet"] = tau_s, b_ey
    return [f"  spin-orbit disorder {sp.so_disorder:g} meV: Born (Elliott-Yafet) tau_s = "
            f"{tau_s:.4g} ps = {tau_s / rep.tau_ps:.3g} tau, B_so = {1e3 * b_ey:.4g} mT "
            "(D of the on-site disorder)"]  # fmt: skip


def _check_dyakonov_perel_regime(spec, dev, rep):
    """Refuse, before the sweep, a D'yakonov-Perel B_so check outside the diffusive-spin range."""
    if spec["check"]["b_so_rtol"] is None or spec["fit"]["model"] not in RASHBA_MODELS:
        return
    from devices.spin import dyakonov_perel_omega_tau

    from .spec import SpecError

    sp, u = dev.spin, dev.units
    omega_tau = dyakonov_perel_omega_tau(sp.rashba, sp.dresselhaus, u,
                                         rep.diffusion * u.diffusion_m2s, rep.tau_ps)  # fmt: skip
    if omega_tau > DP_OMEGA_TAU_MAX:
        raise SpecError(
            f"check.b_so_rtol compares with D'yakonov-Perel spin relaxation, which needs the spin "
            f"to turn little between collisions; this film has Omega tau = {omega_tau:.2g} > "
            f"{DP_OMEGA_TAU_MAX:g}: weaken the coupling (Omega tau scales with it) or drop the check"
        )


def spin_orbit_reference(spec, dev, rep, summary) -> list[str]:
    """The input's spin-orbit couplings and the B_so they predict, against a fitted ``b_so_T``.

    Adds to ``summary``: ``rashba_meV_nm``, ``dresselhaus_meV_nm``,
    ``b_so_T_dyakonov_perel`` (single layer; exact on the lattice for Omega tau << 1),
    ``b_so_T_dyakonov_perel_kinetic`` (Rashba or Dresselhaus alone, at the film's Omega tau),
    ``omega_so_tau``, with ``finite_film_rashba`` (or ``ilp``) and a fitted ``b_so_T`` in
    ``summary`` ``b_so_ratio_dyakonov_perel`` (fitted over kinetic) and its ``_stderr``; with
    spin-orbit disorder the Born (Elliott-Yafet) ``tau_s_ps_elliott_yafet`` and
    ``b_so_T_elliott_yafet``. A single sweep and a temperature series (whose B_so the
    temperatures share) report alike.
    """
    from devices.spin import dyakonov_perel_lattice_b_so, dyakonov_perel_omega_tau

    sp, u = dev.spin, dev.units
    summary["rashba_meV_nm"], summary["dresselhaus_meV_nm"] = sp.rashba, sp.dresselhaus
    out = []
    if sp.so_disorder:
        out += _elliott_yafet_summary(dev, rep, summary)
    if sp.has_uniform_spin_orbit and dev.geometry.thickness == 1:
        d_si = rep.diffusion * u.diffusion_m2s
        b_dp = dyakonov_perel_lattice_b_so(sp.rashba, sp.dresselhaus, u)
        summary["b_so_T_dyakonov_perel"] = b_dp
        omega_tau = dyakonov_perel_omega_tau(sp.rashba, sp.dresselhaus, u, d_si, rep.tau_ps)
        summary["omega_so_tau"] = omega_tau
        line = (f"  D'yakonov-Perel B_so = {1e3 * b_dp:.4g} mT (diffusive; Omega tau = "
                f"l / L_so = {omega_tau:.2g}")  # fmt: skip
        if not (sp.rashba and sp.dresselhaus):
            b_kin = dyakonov_perel_lattice_b_so(sp.rashba, sp.dresselhaus, u, d_si, rep.tau_ps)
            summary["b_so_T_dyakonov_perel_kinetic"] = b_kin
            line += f"; {1e3 * b_kin:.4g} mT with the kinetic equation's finite-Omega tau rates"
        if omega_tau > DP_OMEGA_TAU_MAX:
            line += f"; outside the diffusive-spin range Omega tau <= {DP_OMEGA_TAU_MAX:g}"
        line += ")"
        if spec["fit"]["model"] in SO_MODELS:
            line += (f". Not a target for {spec['fit']['model']}: its isotropic triplets miss "
                     "the Rashba triplet's slow mode (7/16 of the in-plane rate), and it returns "
                     f"a B_so several times smaller; fit {RASHBA_MODEL}, or ilp on a film much larger "
                     "than l_phi (validation page)")  # fmt: skip
        elif spec["fit"]["model"] in RASHBA_MODELS and sp.rashba and sp.dresselhaus:
            line += (f". {spec['fit']['model']} describes Rashba or Dresselhaus coupling alone; with "
                     "both, its B_so is not D'yakonov-Perel's")  # fmt: skip
        elif spec["fit"]["model"] in RASHBA_MODELS and summary.get("b_so_T") is not None:
            ratio = summary["b_so_T"] / b_kin
            err = (summary.get("b_so_T_stderr") or math.nan) / b_kin
            summary["b_so_ratio_dyakonov_perel"] = ratio
            summary["b_so_ratio_dyakonov_perel_stderr"] = err
            line += f"; fitted B_so / kinetic = {ratio:.3g} +- {_err(err)}"
        out.append(line)
    return out


def _spin_orbit_summary(spec, dev, ds, rep, summary) -> list[str]:
    """Input spin-orbit couplings, the D'yakonov-Perel B_so and the low-field alpha (WAL).

    :func:`spin_orbit_reference`, then, from an HLN fit with alpha free on the same data
    (g_s = 2: -1/2 is strong spin-orbit coupling), ``alpha_free`` and ``alpha_free_stderr``,
    also as ``alpha`` and ``alpha_stderr`` when the fit model has no alpha of its own.
    """
    out = spin_orbit_reference(spec, dev, rep, summary)
    try:
        alpha = _fit({**spec, "fit": {**spec["fit"], "alpha": None}}, dev, ds, rep, model="hln")
    except ValueError as exc:
        out.append(f"  alpha (HLN, alpha free): fit failed: {exc}")
    else:
        value, err = alpha.values["alpha"], alpha.stderr["alpha"]
        summary["alpha_free"], summary["alpha_free_stderr"] = value, err
        if "alpha" not in summary:  # the model has none (B_so sets its amplitude)
            summary["alpha"], summary["alpha_stderr"] = value, err
        if err is None or not math.isfinite(err) or err > 1.5:
            out.append(f"  alpha (HLN, alpha free) = {value:.3f} +- {_err(err)}: undetermined, "
                       "the error spans the whole range from -1/2 to 1; a curve that turns "
                       "from antilocalization back to weak localization is not one HLN line "
                       "shape (the spin-orbit fit's B_so describes it)")  # fmt: skip
        else:
            out.append(f"  alpha (HLN, alpha free) = {value:.3f} +- {_err(err)} "
                       "(g_s = 2: 1 WL, -1/2 strong spin-orbit)")  # fmt: skip
    return out


def _checks(spec, dev, summary) -> list[dict]:
    """The spec's [check] tolerances: |measured - input| <= rtol input + 2 standard errors."""
    out = []
    c = spec["check"]
    if c["tau_phi_rtol"] is not None:
        tau_in = spec["dephasing"]["tau_phi_ps"]
        tau, err = summary.get("tau_phi_ps"), summary.get("tau_phi_ps_stderr") or 0.0
        ok = tau is not None and abs(tau - tau_in) <= c["tau_phi_rtol"] * tau_in + 2 * err
        out.append(dict(name="tau_phi", measured=math.nan if tau is None else tau, error=err,
                        target=f"input {tau_in:g} ps within {100 * c['tau_phi_rtol']:g}% "
                        "(+ 2 standard errors)", input=tau_in, rtol=c["tau_phi_rtol"],
                        **{"pass": bool(ok)}))  # fmt: skip
    if c["ab_period_rtol"] is not None:
        from cooperon.constants import PHI0

        g = dev.geometry
        r = 0.5 * (g.r_in + g.r_out) * dev.units.a_m
        expected = 1e3 * PHI0 / (math.pi * r**2)
        period, err = summary.get("period_mT"), summary.get("period_mT_stderr") or 0.0
        ok = (
            period is not None
            and abs(period - expected) <= c["ab_period_rtol"] * expected + 2 * err
        )
        out.append(dict(name="ab_period_mT", measured=period, error=err,
                        target=f"h/(e pi r_mean^2) = {expected:.4g} mT within "
                        f"{100 * c['ab_period_rtol']:g}% (+ 2 standard errors)", input=expected,
                        rtol=c["ab_period_rtol"], **{"pass": bool(ok)}))  # fmt: skip
    return out + b_so_checks(spec, summary)


def b_so_checks(spec, summary) -> list[dict]:
    """``check.b_so_rtol``: the fitted ``b_so_T`` of ``summary`` against the B_so of the input's
    spin relaxation (:func:`spin_orbit_reference`), |ratio - 1| <= rtol + 2 standard errors."""
    out = []
    c = spec["check"]
    if c["b_so_rtol"] is not None and "b_so_T_elliott_yafet" in summary:
        want, b_so = summary["b_so_T_elliott_yafet"], summary.get("b_so_T")
        err = (summary.get("b_so_T_stderr") or 0.0) / want
        ratio = math.nan if b_so is None else b_so / want
        ok = b_so is not None and abs(ratio - 1) <= c["b_so_rtol"] + 2 * err
        out.append(dict(name="b_so_elliott_yafet", measured=ratio, error=err,
                        target=f"fitted / Born (Elliott-Yafet) B_so = 1 within "
                        f"{100 * c['b_so_rtol']:g}% (+ 2 standard errors)", input=want,
                        rtol=c["b_so_rtol"], **{"pass": bool(ok)}))  # fmt: skip
    if c["b_so_rtol"] is not None and spec["fit"]["model"] in RASHBA_MODELS:
        want, b_so = summary.get("b_so_T_dyakonov_perel_kinetic"), summary.get("b_so_T")
        if want is None or b_so is None:  # the fit failed: the check does too
            want, b_so = want or math.nan, math.nan
        err = (summary.get("b_so_T_stderr") or 0.0) / want
        ratio = b_so / want
        ok = math.isfinite(ratio) and abs(ratio - 1) <= c["b_so_rtol"] + 2 * err
        out.append(dict(name="b_so_dyakonov_perel", measured=ratio, error=err,
                        target=f"fitted / D'yakonov-Perel B_so (kinetic) = 1 within "
                        f"{100 * c['b_so_rtol']:g}% (+ 2 standard errors)", input=want,
                        rtol=c["b_so_rtol"], **{"pass": bool(ok)}))  # fmt: skip
    return out


def _quiet_kwant_plotter():
    """Import Kwant's plotter without its notice that the optional plotly engine is missing."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "plotly is not available", RuntimeWarning)
        import kwant.plotter  # noqa: F401


def _figures(dev, ds, result, out):
    from matplotlib.figure import Figure

    paths = []
    axis = "b_perp" if ds.sizes["b_perp"] > 1 else "b_par"
    if result is not None:
        _wl_figure(ds, result, axis, out / "wl_peak.png")
        paths.append(out / "wl_peak.png")
    sel = {d: 0 for d in ("energy", "b_par", "b_perp") if d != axis}
    g = ds.G.isel(sel)
    if "flux_tube" in g.dims:
        g = g.isel(flux_tube=0)
    b = 1e3 * ds[axis].values
    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    for r in range(min(5, ds.sizes["realization"])):
        ax.plot(b, g.isel(realization=r), lw=0.8, alpha=0.6)
    mean = g.mean("realization")
    sem = g.std("realization", ddof=1) / math.sqrt(ds.sizes["realization"])
    ax.plot(b, mean, "k-", lw=2, label="ensemble mean")
    if np.all(np.isfinite(sem)):
        ax.fill_between(b, mean - sem, mean + sem, color="k", alpha=0.2)
    ax.set_xlabel(f"{'B_perp' if axis == 'b_perp' else 'B_par'} [mT]")
    ax.set_ylabel("G [e^2/h] (per spin)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "traces.png", dpi=110)
    paths.append(out / "traces.png")
    paths.append(device_picture(dev, out / "device.png"))
    return paths


def _wl_figure(ds, result, axis, path):
    """The ensemble magnetoconductance over both field signs with the fit, and residuals."""
    from matplotlib.figure import Figure

    sel = {d: 0 for d in ("energy", "b_par", "b_perp") if d != axis}
    g = np.asarray(ds.G.isel(sel).transpose("realization", axis).values)
    b = np.asarray(ds[axis].values)
    ref = int(np.argmin(np.abs(b)))
    dg = g - g[:, ref : ref + 1]
    mean, sem = dg.mean(0), dg.std(0, ddof=1) / math.sqrt(len(dg))
    scale = 1.0
    if result.model.quantity == "sheet":  # the fit is of dsigma = dG L/W
        spec = json.loads(ds.attrs["device_spec"])
        scale = spec["length"] / spec["width"]
    fig = Figure(figsize=(6, 5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    top.errorbar(1e3 * b, scale * mean, scale * sem, fmt="o", ms=3, label="simulation (mean)")
    fine = np.linspace(b.min(), b.max(), 400)
    top.plot(1e3 * fine, result.curve(fine), "-", label=f"{result.model.name} fit")
    top.axvspan(-1e3 * result.window, 1e3 * result.window, color="0.93", zorder=0,
                label="fitted window")  # fmt: skip
    what = "dsigma" if result.model.quantity == "sheet" else "dG"
    top.set_ylabel(f"{what} = {what}(B) - {what}(0) [e^2/h]")
    tau = result.derived.get("tau_phi_ps")
    if result.model.name == "finite_film_zeeman":
        top.set_title(f"Zeeman only: B_so = {result.values['b_so']:.3g} +- "
                      f"{_err(result.stderr.get('b_so'))} T (l_phi held at "
                      f"{1e9 * result.values['l_phi']:.3g} nm)", fontsize=10)  # fmt: skip
    elif tau is not None and "b_so" in result.values:
        top.set_title(f"tau_phi = {tau[0]:.3g} +- {tau[1]:.2g} ps, B_so = "
                      f"{1e3 * result.values['b_so']:.3g} +- "
                      f"{_err(1e3 * (result.stderr.get('b_so') or math.nan))} mT", fontsize=10)  # fmt: skip
    elif tau is not None:
        top.set_title(f"tau_phi = {tau[0]:.3g} +- {tau[1]:.2g} ps")
    top.legend(fontsize=8)
    bottom.axhline(0, color="0.5", lw=0.8)
    bottom.plot(1e3 * b, scale * mean - result.curve(b), "o", ms=3)
    bottom.set_xlabel(f"{'B' if axis == 'b_perp' else 'B_par'} [mT]")
    bottom.set_ylabel("residual [e^2/h]")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def device_picture(dev, path):
    """Save a picture of the device (sites in lattice units) to ``path``."""
    import kwant
    from matplotlib.figure import Figure

    _quiet_kwant_plotter()
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    # a slab is drawn projected on the x-y plane
    proj = (lambda pos: pos[:2]) if dev.geometry.dimension == 3 else None
    kwant.plot(dev.system, site_size=0.25, hop_lw=0.05, ax=ax, show=False, pos_transform=proj)
    ax.set_xlabel("x [a]")
    ax.set_ylabel("y [a]")
    ax.set_title(f"{dev.kind}, a = {dev.units.a_nm:g} nm")
    fig.savefig(path, dpi=100)
    return Path(path)
