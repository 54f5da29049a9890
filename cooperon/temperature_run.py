"""A temperature series: the virtual experiment of the resistance rise on cooling.

A spec with a ``[temperature]`` section runs its field sweep at every
temperature, with tau_phi(T) from the dephasing law, and analyses the series
as a measured one is analysed. Output of ``cooperon run SPEC --out DIR``::

    DIR/temperature/        one resumable sweep per temperature (T_<T>K.nc)
                            and the combined temperature.nc
    DIR/fit.json            the series fit in the form of ``cooperon fit
                            --series`` ("series", "power_law" with p and
                            p_stderr), the input law ("p_input",
                            "tau_0_input_ps", "t_ref_K"), the rise of the
                            zero-field conductance ("rise"), R(T), checks, "ok"
    DIR/report.txt          the same, readable
    DIR/series.png          the curves with their fits, tau_phi(T) against the law
    DIR/resistance.png      R(T) at zero field and in the quenching field
    DIR/device.png          the device
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np

import devices
import fits
import transport
from cooperon.constants import R0
from fits.resistance import log_slope
from fits.result import json_safe
from fits.series import fit_series, jackknife_power_law, plain_log_ticks, points_from_dataset

__all__ = ["dephasing_law", "run_temperature"]

#: realizations needed for the jackknife error of p (8 blocks of at least 2)
JACKKNIFE_MIN = 16

#: what the conductance counts, by g_s
SPIN_WORDS = {1: "per spin", 2: "both spins"}


def hln_alpha(spec, dev) -> float | None:
    """HLN's alpha of a film much larger than l_phi, where the spec fixes it: fit.alpha of a
    model with an alpha, or 1 on a device without spin-orbit coupling; None where it depends on
    B_so / B_phi (a spin-orbit model leaves fit.alpha unused)."""
    f = spec["fit"]
    if f.get("alpha") is not None and "alpha" in fits.MODELS[f["model"]].accepts():
        return float(f["alpha"])
    if dev.spin is None or not dev.spin.has_spin_orbit:
        return 1.0
    return None


def dephasing_law(spec) -> devices.DephasingLaw:
    """The spec's tau_phi(T)."""
    t = spec["temperature"]
    if t["law"] == "aak":
        return devices.DephasingLaw.aak(t["sheet_resistance_ohm"], t_ref_K=t["t_ref_K"],
                                        tau_sat_ps=t["tau_sat_ps"])  # fmt: skip
    return devices.DephasingLaw(tau_0_ps=t["tau_0_ps"], p=t["p"], t_ref_K=t["t_ref_K"],
                                tau_sat_ps=t["tau_sat_ps"])  # fmt: skip


def _predicted(result, k, tau_ps, diffusion, b_q):
    """The model's G(0) - G(B_q) [e^2/h] at curve k with tau_phi replaced by the input."""
    values = dict(result.values[k])
    l_phi = math.sqrt(diffusion * tau_ps * 1e-12)
    if "l_phi" in values:
        values["l_phi"] = l_phi
    elif "b_phi" in values:
        values["b_phi"] = float(fits.lineshapes.b_from_length(l_phi))
    else:
        return math.nan
    return -float(
        result.model(np.array([b_q]), **values)[0] - result.model(np.zeros(1), **values)[0]
    )


def default_quench(b, limit) -> float:
    """The quenching field [T] of a run that names none: the swept field nearest half the fit
    model's range ``limit`` [T] (B_tr / 4 for the Cooperon on the device), or the largest
    swept field if the model's range is unknown or the sweep stops below half of it.

    Near B_tr / 2 the diffusive Cooperon overestimates the correction, and the predicted rise
    with it: at B_tr / 2 the validation's rise fell 26% short of the model, at B_tr / 4 it
    agrees within 15% (docs/validation.md).
    """
    top = float(np.max(np.abs(b)))
    if not limit or top < 0.5 * limit:
        return top
    return float(np.abs(b)[np.argmin(np.abs(np.abs(b) - 0.5 * limit))])


def run_temperature(spec, dev, rep, out, *, progress, log, fit_model) -> dict:
    """Run the series of ``spec`` on ``dev``; ``fit_model()`` builds the spec's fit model for the device."""
    from .experiment import _check_dyakonov_perel_regime, _err, _execution, _fields, energies

    _check_dyakonov_perel_regime(spec, dev, rep)
    t = spec["temperature"]
    law = dephasing_law(spec)
    temps = np.asarray(t["temperatures_K"], float)
    sw = spec["sweep"]
    seeds = list(range(sw["first_seed"], sw["first_seed"] + sw["realizations"]))
    dp = spec["dephasing"]
    b_perp = _fields(spec, "b_perp")
    found = list(rep.warnings)
    for k, (tt, tau) in enumerate(zip(temps, np.atleast_1d(law.tau_phi_ps(temps)))):
        if k in (0, len(temps) - 1):  # the coldest and the warmest: l_phi longest and shortest
            r = dev.regime(energies(spec, dev)[0], spec["disorder"]["box_meV"],
                           b_max=max(abs(b) for b in b_perp), tau_phi=float(tau),
                           dephasing=dp["model"])  # fmt: skip
            for w in r.warnings:
                if not any(str(w) == str(x) for x in found):
                    found.append(w)
                    log(f"WARNING at {tt:g} K ({type(w).__name__}): {w}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)  # reported above, once
        ds = transport.temperature_sweep(
            dev, temperatures=temps, law=law, energy=energies(spec, dev)[0], seeds=seeds,
            disorder=spec["disorder"]["box_meV"], b_perp=b_perp, dephasing=dp["model"],
            probe_density=dp["probe_density"], smearing=t["smearing"], path=out / "temperature",
            progress=progress, log=log, **_execution(spec),
        )  # fmt: skip
    log(f"sweeps: {out / 'temperature'} ({ds.attrs['elapsed_s']:.1f} s)")
    lines = [dev.describe(), str(rep), ""]
    lines.append(f"dephasing law: tau_phi = {law.tau_0_ps:.4g} ps (T / {law.t_ref_K:g} K)^-"
                 f"{law.p:g}" + (f", saturating at {law.tau_sat_ps:g} ps" if law.tau_sat_ps
                                 else "") + f" ({t['law']})")  # fmt: skip
    summary: dict = {"analysis": "temperature"}
    # the series fit: the same code as `cooperon fit --series` on measured files
    f = spec["fit"]
    window = None if f["window_mT"] is None else 1e-3 * f["window_mT"]
    info = fits.MODELS[f["model"]]
    points = points_from_dataset(ds, quantity=info.quantity)
    diffusion = ds.attrs.get("diffusion_m2s")
    result, limit = None, None
    try:
        model = fit_model()
        limit = model.validity_bmax()
        if window is None:
            window = limit
        result = fit_series(points, model, diffusion=diffusion, window=window)
        summary.update(result.to_dict())
        lines.append(result.report())
    except ValueError as exc:
        summary["error"] = f"series fit failed: {exc}"
        lines.append(summary["error"])
    pl = summary.get("power_law")
    if pl and ds.sizes["realization"] >= JACKKNIFE_MIN:
        # the same realizations at every T correlate the tau_phi(T) errors: jackknife p
        jk = jackknife_power_law(ds, model, diffusion=diffusion, window=window)
        pl["p_stderr_fit"], pl["p_stderr_jackknife"] = pl["p_stderr"], jk["p_stderr"]
        pl["p_stderr"] = max(pl["p_stderr"] or 0.0, jk["p_stderr"])
        pl["tau_0_ps_stderr"] = max(pl.get("tau_0_ps_stderr") or 0.0, jk["tau_0_ps_stderr"])
        result.power_law.update(p_stderr=pl["p_stderr"], tau_0_ps_stderr=pl["tau_0_ps_stderr"])
        lines.append(f"  p = {pl['p']:.3g} +- {pl['p_stderr']:.2g}: the larger of the fit's error "
                     f"({pl['p_stderr_fit']:.2g}) and a jackknife over {jk['blocks']} blocks of "
                     f"realizations ({jk['p_stderr']:.2g}), which counts the correlation of "
                     "tau_phi(T) across temperatures (the same disorder at every T)")  # fmt: skip
        for name, e in jk["shared_stderr"].items():  # B_so, alpha: the same disorder at every T
            v, e_fit = summary["shared"][name]
            summary["shared"][name] = [v, max(e_fit or 0.0, e)]
            result.shared[name] = (v, max(e_fit or 0.0, e))
            lines.append(f"  shared {name} error: the larger of the fit's ({_err(e_fit)}) and the "
                         f"jackknife's ({_err(e)})")  # fmt: skip
    elif pl:
        lines.append(f"  p error from the fit alone: with fewer than {JACKKNIFE_MIN} realizations "
                     "no jackknife, and the correlation across temperatures (the same disorder at "
                     "every T) is not counted; it underestimates")  # fmt: skip
    if dev.spin is not None and dev.spin.has_spin_orbit:
        from .experiment import spin_orbit_reference

        if "b_so" in summary.get("shared", {}):
            summary["b_so_T"], summary["b_so_T_stderr"] = summary["shared"]["b_so"]
        lines += spin_orbit_reference(spec, dev, rep, summary)
    summary.update(p_input=law.p, tau_0_input_ps=law.tau_0_ps, t_ref_K=law.t_ref_K,
                   tau_sat_input_ps=law.tau_sat_ps, law=t["law"],
                   tau_phi_input_ps=[float(x) for x in ds.tau_phi_ps.values],
                   dephasing_model=dp["model"])  # fmt: skip
    # R(T) and the rise: zero field against the quenching field, paired per realization
    g = ds.G.isel(energy=0, b_par=0).transpose("temperature", "realization", "b_perp").values
    b = ds.b_perp.values
    i0 = int(np.argmin(np.abs(b)))
    b_q = default_quench(b, limit) if t["quench_mT"] is None else 1e-3 * t["quench_mT"]
    iq = int(np.argmin(np.abs(np.abs(b) - b_q)))
    wl = g[:, :, i0] - g[:, :, iq]
    s0, s0e = log_slope(temps, g[:, :, i0])
    sq, sqe = log_slope(temps, g[:, :, iq])
    sw_, swe = log_slope(temps, wl)
    geo = dev.geometry
    squares = geo.length / geo.width
    g_s = dev.g_s
    rise = dict(quench_field_mT=1e3 * float(b[iq]), slope_zero=s0, slope_zero_stderr=s0e,
                slope_quench=sq, slope_quench_stderr=sqe, wl_slope=sw_, wl_slope_stderr=swe,
                units=f"e^2/h per e-fold of T (two-terminal G, {SPIN_WORDS[g_s]})")  # fmt: skip
    if result is not None and diffusion:
        pred = [_predicted(result, k, tau, diffusion, float(abs(b[iq])))
                for k, tau in enumerate(ds.tau_phi_ps.values)]  # fmt: skip
        if all(np.isfinite(pred)):
            rise["wl_predicted"] = [float(x) for x in pred]
            rise["wl_slope_predicted"] = float(np.polyfit(np.log(temps), pred, 1)[0])
    alpha = hln_alpha(spec, dev)
    if geo.kind == "film" and geo.thickness == 1 and alpha is not None:
        # HLN for a film much larger than l_phi: (W/L) alpha p g_s / (2 pi)
        rise["wl_slope_hln_large_film"] = alpha * law.p * g_s / (2 * math.pi) / squares
    summary["rise"] = rise
    g0m, gqm = g[:, :, i0].mean(1), g[:, :, iq].mean(1)
    # R of the sample, h / (e^2 G_sample): a spinless G is per spin, G_sample = (2 / g_s) G
    copies = 2 // g_s
    summary["resistance"] = [
        dict(temperature_K=float(tt), R_zero_field_ohm=float(R0 / (copies * a)),
             R_quench_ohm=float(R0 / (copies * c)), G_zero_field_e2h=float(a),
             G_quench_e2h=float(c))
        for tt, a, c in zip(temps, g0m, gqm)
    ]  # fmt: skip
    summary["resistance_note"] = (
        "R = h / (2 e^2 G): both spins of a spin-degenerate sample (G is per spin)"
        if g_s == 1
        else "R = h / (e^2 G): G counts both spins (spinful device)"
    )
    lines.append(
        f"zero-field rise, paired per realization against {rise['quench_field_mT']:.4g} mT: "
        f"d[G(0) - G(B_q)] / d ln T = {sw_:.4g} +- {swe:.2g} e^2/h ({SPIN_WORDS[g_s]})"
        + (
            f" (the fitted model with the input law: {rise['wl_slope_predicted']:.4g})"
            if "wl_slope_predicted" in rise
            else ""
        )
    )
    lines.append(f"  zero field {s0:.4g} +- {s0e:.2g}, quenched {sq:.4g} +- {sqe:.2g} e^2/h per "
                 "e-fold (the quenched slope is what the dephasing model itself changes with T: "
                 "Buttiker probes relax momentum)")  # fmt: skip
    checks = _checks(spec, summary, result, rise)
    summary["checks"] = checks
    lines += [f"  check {c['name']}: {c['measured']:.4g} against {c['target']}: "
              f"{'PASS' if c['pass'] else 'FAIL'}" for c in checks]  # fmt: skip
    summary["regime_warnings"] = [
        {"kind": type(w).__name__, "message": str(w), "blocking": w.blocking} for w in found
    ]
    blocking = any(w.blocking for w in found)
    summary["diffusion_m2s"] = diffusion
    summary["dataset"] = str(out / "temperature" / "temperature.nc")
    summary["ok"] = bool(result is not None and result.ok and all(c["pass"] for c in checks)
                         and not blocking and "error" not in summary)  # fmt: skip
    (out / "fit.json").write_text(json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n")
    (out / "report.txt").write_text("\n".join(lines) + "\n")
    log("\n".join(lines[2:]))
    if spec["output"]["figures"]:
        figs = []
        if result is not None:
            fig = result.plot()
            ax = fig.axes[2]
            tt = np.geomspace(temps.min() * 0.8, temps.max() * 1.25, 100)
            ax.plot(tt, law.tau_phi_ps(tt), "k--", lw=1, label="input law")
            ax.legend(fontsize=7)
            fig.savefig(out / "series.png", dpi=120)
            figs.append(out / "series.png")
        _resistance_figure(summary, temps, out / "resistance.png", g_s)
        figs.append(out / "resistance.png")
        from .experiment import device_picture

        figs.append(device_picture(dev, out / "device.png"))
        log("figures: " + ", ".join(str(p) for p in figs))
    log(f"wrote {out / 'fit.json'} and {out / 'report.txt'}")
    return summary


def _checks(spec, summary, result, rise):
    from .experiment import b_so_checks

    c = spec["check"]
    out = b_so_checks(spec, summary)
    if c["p_tol"] is not None:
        pl = (summary.get("power_law") or {}) if result is not None else {}
        p, e = pl.get("p"), pl.get("p_stderr") or 0.0
        p_in = summary["p_input"]
        ok = p is not None and abs(p - p_in) <= c["p_tol"] + 2 * e
        out.append(dict(name="p", measured=math.nan if p is None else p, error=e, input=p_in,
                        target=f"input p = {p_in:g} within {c['p_tol']:g} (+ 2 standard errors)",
                        **{"pass": bool(ok)}))  # fmt: skip
    if c["rise_rtol"] is not None:
        pred = rise.get("wl_slope_predicted")
        m, e = rise["wl_slope"], rise["wl_slope_stderr"]
        ok = pred is not None and abs(m - pred) <= c["rise_rtol"] * abs(pred) + 2 * e
        out.append(dict(name="rise", measured=m, error=e, input=pred,
                        target=(f"the model's slope for the input law, {pred:.4g}, within "
                                f"{100 * c['rise_rtol']:g}% (+ 2 standard errors)")
                        if pred is not None else "a fitted model", **{"pass": bool(ok)}))  # fmt: skip
    return out


def _resistance_figure(summary, temps, path, g_s):
    from matplotlib.figure import Figure

    rows = summary["resistance"]
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    left.plot(temps, [r["R_zero_field_ohm"] for r in rows], "o-", label="B = 0")
    left.plot(temps, [r["R_quench_ohm"] for r in rows], "s-",
              label=f"B = {summary['rise']['quench_field_mT']:.3g} mT (correction quenched)")  # fmt: skip
    left.set_xscale("log")
    left.set_xlabel("T [K]")
    left.set_ylabel("R = h / (2 e^2 G) [Ohm]" if g_s == 1 else "R = h / (e^2 G) [Ohm]")
    left.set_title("R(T): the gap between the curves is the interference correction",
                   fontsize=9)  # fmt: skip
    left.legend(fontsize=8)
    r = summary["rise"]
    d = [a["G_zero_field_e2h"] - a["G_quench_e2h"] for a in rows]
    right.plot(temps, d, "o", label=f"simulation: slope {r['wl_slope']:.3g} +- "
               f"{r['wl_slope_stderr']:.2g}")  # fmt: skip
    if "wl_predicted" in r:
        right.plot(temps, r["wl_predicted"], "k--",
                   label=f"model, input law: slope {r['wl_slope_predicted']:.3g}")  # fmt: skip
    right.set_xscale("log")
    right.set_xlabel("T [K]")
    right.set_ylabel(f"G(0) - G(B_q) [e^2/h, {SPIN_WORDS[g_s]}]")
    right.set_title("the zero-field dip (weak localization) or peak (antilocalization)",
                    fontsize=9)  # fmt: skip
    right.legend(fontsize=8)
    for ax in (left, right):
        plain_log_ticks(ax.xaxis)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
