"""Scaling-theory experiments: size sweeps and transfer-matrix localization lengths.

Output of ``cooperon run SPEC --out DIR`` for ``kind = "size_sweep"``::

    DIR/size_sweep.nc   G, g (contacts removed), <ln g> per size (one
                        resumable sweep per size beside it: size_<L>.nc)
    DIR/scaling.json    the beta function between consecutive sizes, the
                        typical conductances, and "ok"
    DIR/report.txt      the same, readable; the regime (Thouless ratio) of
                        the largest sample
    DIR/scaling.png     exp(<ln g>) versus L, and beta(g) with -1/(pi g) in 2D

and for ``kind = "localization_length"``::

    DIR/transfer.nc     xi_M, Lambda = xi_M/M over widths and disorders
                        (checkpoints and points.json beside it: a rerun
                        continues)
    DIR/scaling.json    Lambda table and the finite-size-scaling fit (W_c, nu)
    DIR/report.txt, DIR/lambda.png
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import devices
import transport
from fits.result import json_safe
from fits.scaling import beta_function, beta_perturbative, fit_finite_size_scaling

__all__ = ["describe", "run_localization_length", "run_size_sweep"]


def _units(sec):
    return devices.units_from_options(sec["lattice_constant_nm"], sec["hopping_meV"], sec["mass"])


def _unit_kwargs(sec):
    return {k: sec[k] for k in ("lattice_constant_nm", "hopping_meV", "mass") if sec[k] is not None}


def _sites(values_nm, units, what):
    out = []
    for v in values_nm:
        m = v / units.a_nm
        n = round(m)
        if n < 2 or abs(n - m) > 0.05 * m:
            raise ValueError(
                f"{what} {v:g} nm is {m:.3g} lattice constants; give a whole number of sites "
                f"(>= 2), e.g. {max(n, 2) * units.a_nm:g} nm"
            )
        out.append(n)
    return out


def describe(spec) -> str:
    """What a scaling spec will compute, before any compute (``cooperon show``)."""
    if spec["kind"] == "size_sweep":
        z = spec["size_sweep"]
        lines = [f"size sweep: {z['shape']}s of sizes {z['sizes_nm']} nm"
                 + (f", width {z['width_nm']:g} nm" if z["width_nm"] else "")
                 + f"; E = {z['energy_meV']:g} meV, box {z['box_meV']:g} meV, "
                 f"{z['realizations']} realizations per size"]  # fmt: skip
        dev = transport.scaling._device(z["shape"], max(z["sizes_nm"]), z["width_nm"],
                                        _unit_kwargs(z))  # fmt: skip
        lines.append("largest sample: " + dev.describe())
        lines.append(str(dev.regime(z["energy_meV"], z["box_meV"])))
        return "\n".join(lines)
    t = spec["localization_length"]
    units = _units(t)
    widths = _sites(t["widths_nm"], units, "width")
    cross = "M" if t["dimension"] == 2 else "M x M"
    return (
        f"transfer matrices: {t['dimension']}D bars of cross-section {cross}, M = {widths} "
        f"sites ({t['boundary']} boundaries), disorders {t['box_meV']} meV "
        f"({[w / units.t_meV for w in t['box_meV']]} t), E = {t['energy_meV']:g} meV, "
        f"relative accuracy {t['accuracy']:g}"
    )


def run_size_sweep(spec, out, *, progress=None, log=print) -> dict:
    z = spec["size_sweep"]
    ex = spec["execution"]
    executor = {"serial": "serial", "dask": ex["dask"]}.get(ex["executor"])
    seeds = list(range(z["first_seed"], z["first_seed"] + z["realizations"]))
    log(f"cooperon run: {spec.get('title') or 'size sweep'}")
    log(describe(spec))
    ds = transport.size_sweep(
        z["shape"], z["sizes_nm"], energy=z["energy_meV"], seeds=seeds, disorder=z["box_meV"],
        width=z["width_nm"], path=out, executor=executor, workers=ex["workers"],
        progress=progress if progress is not None else ex["progress"], log=log,
        **_unit_kwargs(z),
    )  # fmt: skip
    b = beta_function(ds)
    dim = ds.attrs["dimension"]
    rows = []
    for i in range(len(b["beta"])):
        row = dict(size_nm=b["size"][i], g=b["g"][i], beta=b["beta"][i],
                   beta_err=b["beta_err"][i], realizations=int(b["n"][i]))  # fmt: skip
        if dim == 2:
            row["beta_one_loop"] = float(beta_perturbative(b["g"][i]))
        rows.append(row)
    sizes = [dict(size_nm=float(s), channels=int(n), g_typical=float(gt),
                  ln_g_mean=float(m), ln_g_sem=float(e), G_mean=float(gm))
             for s, n, gt, m, e, gm in zip(ds["size"].values, ds["N"].values,
                                           ds["g_typical"].values, ds["ln_g_mean"].values,
                                           ds["ln_g_sem"].values, ds["G_mean"].values)]  # fmt: skip
    summary = dict(kind="size_sweep", shape=z["shape"], dimension=dim,
                   energy_meV=z["energy_meV"], box_meV=z["box_meV"], sizes=sizes, beta=rows,
                   excluded_ballistic=ds.attrs["excluded_ballistic"],
                   thouless_ratio_largest=ds.attrs.get("thouless_ratio_largest"),
                   dataset=str(Path(out) / "size_sweep.nc"))  # fmt: skip
    checks = []
    c = spec["check"]
    last = rows[-1]
    if c["beta_negative"]:
        ok = last["beta"] + 2 * last["beta_err"] < 0
        checks.append(dict(name="beta_negative", measured=last["beta"], error=last["beta_err"],
                           target="beta < 0 by 2 standard errors (largest sizes)",
                           **{"pass": bool(ok)}))  # fmt: skip
    if c["beta_one_loop_sigma"] is not None:
        k = c["beta_one_loop_sigma"]
        ok = abs(last["beta"] - last["beta_one_loop"]) < k * last["beta_err"]
        checks.append(dict(name="beta_one_loop", measured=last["beta"], error=last["beta_err"],
                           target=f"-1/(pi g) = {last['beta_one_loop']:.4f} within {k:g} "
                           "standard errors (largest sizes)", **{"pass": bool(ok)}))  # fmt: skip
    summary["checks"] = checks
    summary["ok"] = bool(all(np.isfinite(r["beta"]) for r in rows)
                         and all(ch["pass"] for ch in checks))  # fmt: skip
    lines = [describe(spec), "", "size [nm]  N    exp(<ln g>) [e^2/h]   <ln g>"]
    lines += [f"{s['size_nm']:9.4g}  {s['channels']:<4d} {s['g_typical']:10.4g}        "
              f"{s['ln_g_mean']:.4f} +- {s['ln_g_sem']:.4f}" for s in sizes]  # fmt: skip
    lines += ["", "beta = d<ln g>/d ln L (per realization, between consecutive sizes):"]
    for r in rows:
        extra = f"   one-loop -1/(pi g) = {r['beta_one_loop']:.4f}" if dim == 2 else ""
        lines.append(f"  L = {r['size_nm']:.4g} nm, g = {r['g']:.4g}: beta = {r['beta']:.4f} "
                     f"+- {r['beta_err']:.4f}{extra}")  # fmt: skip
    lines += [f"  check {ch['name']}: {ch['measured']:.4f} +- {ch['error']:.4f} against "
              f"{ch['target']}: {'PASS' if ch['pass'] else 'FAIL'}" for ch in checks]  # fmt: skip
    if ds.attrs["excluded_ballistic"]:
        lines.append(f"  ({ds.attrs['excluded_ballistic']} ballistic realizations, G = N, "
                     "left out of ln g)")  # fmt: skip
    _write(out, summary, lines, log)
    if spec["output"]["figures"]:
        path = _size_figure(ds, b, dim, Path(out) / "scaling.png")
        log(f"figures: {path}")
    return summary


def _write(out, summary, lines, log):
    out = Path(out)
    (out / "scaling.json").write_text(
        json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n"
    )
    (out / "report.txt").write_text("\n".join(lines) + "\n")
    log("\n".join(lines))
    log(f"wrote {out / 'scaling.json'} and {out / 'report.txt'}")


def _size_figure(ds, b, dim, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.8))
    left, right = fig.subplots(1, 2)
    sizes = ds["size"].values
    left.errorbar(sizes, ds["g_typical"], ds["g_typical"] * ds["ln_g_sem"], fmt="o-", capsize=2)
    left.set_xscale("log")
    left.set_xlabel("L [nm]")
    left.set_ylabel("exp(<ln g>) [e^2/h per spin]")
    left.set_title(f"{ds.attrs['shape']}, E = {ds.attrs['energy_meV']:g} meV, "
                   f"box {ds.attrs['disorder_meV']:g} meV", fontsize=9)  # fmt: skip
    right.errorbar(b["g"], b["beta"], b["beta_err"], fmt="o", capsize=2, label="simulation")
    if dim == 2:
        gg = np.geomspace(max(0.5, 0.7 * np.nanmin(b["g"])), 1.4 * np.nanmax(b["g"]), 100)
        right.plot(gg, beta_perturbative(gg), "k--", label="-1/(pi g) (2D, one loop)")
    right.axhline(0, color="0.6", lw=0.8)
    right.set_xscale("log")
    right.set_xlabel("g = exp(<ln g>) [e^2/h per spin]")
    right.set_ylabel("beta = d<ln g>/d ln L")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def run_localization_length(spec, out, *, log=print) -> dict:
    t = spec["localization_length"]
    units = _units(t)
    widths = _sites(t["widths_nm"], units, "width")
    box_t = [w / units.t_meV for w in t["box_meV"]]
    energy_t = t["energy_meV"] / units.t_meV
    log(f"cooperon run: {spec.get('title') or 'localization lengths'}")
    log(describe(spec))
    lam = transport.localization_lengths(
        widths, box_t, energy=energy_t, dimension=t["dimension"], accuracy=t["accuracy"],
        boundary=t["boundary"], max_length=t["max_length"], seed=t["seed"], path=out,
        workers=spec["execution"]["workers"], log=log,
    )  # fmt: skip
    lam = lam.assign_coords(width_nm=("width", [m * units.a_nm for m in widths]),
                            box_meV=("disorder", list(t["box_meV"])))  # fmt: skip
    lam.attrs.update(energy_meV=t["energy_meV"], lattice_constant_nm=units.a_nm,
                     hopping_meV=units.t_meV)  # fmt: skip
    tmp = Path(out) / ".transfer.nc.tmp"
    lam.to_netcdf(tmp)
    tmp.replace(Path(out) / "transfer.nc")
    table = [dict(width_sites=int(m), box_meV=float(w), xi_nm=float(x) * units.a_nm,
                  xi_err_nm=float(xe) * units.a_nm, Lambda=float(lv), Lambda_err=float(le),
                  slices=int(n))
             for m in widths for w, x, xe, lv, le, n in zip(
                 t["box_meV"], lam.xi.sel(width=m).values, lam.xi_err.sel(width=m).values,
                 lam.Lambda.sel(width=m).values, lam.Lambda_err.sel(width=m).values,
                 lam.length.sel(width=m).values)]  # fmt: skip
    summary = dict(kind="localization_length", dimension=t["dimension"],
                   energy_meV=t["energy_meV"], accuracy=t["accuracy"], points=table)  # fmt: skip
    lines = [describe(spec), "", "M [sites]  box [meV]   xi [nm]              Lambda = xi/M"]
    lines += [f"{r['width_sites']:9d}  {r['box_meV']:9.4g}   {r['xi_nm']:9.4g} +- "
              f"{r['xi_err_nm']:<8.2g}  {r['Lambda']:.4f} +- {r['Lambda_err']:.4f}"
              for r in table]  # fmt: skip
    fit = None
    if t["fit"] == "scaling" and len(widths) >= 2:
        try:
            fit = fit_finite_size_scaling(lam, n_r=t["n_r"], irrelevant=t["irrelevant"])
        except (ValueError, RuntimeError) as exc:
            summary["error"] = f"finite-size-scaling fit failed: {exc}"
            lines += ["", summary["error"]]
    if fit is not None:
        summary["scaling_fit"] = fit.to_dict()
        summary["scaling_fit"]["w_c_meV"] = fit.w_c * units.t_meV
        summary["scaling_fit"]["w_c_err_meV"] = fit.w_c_err * units.t_meV
        lines += ["", "finite-size scaling (disorders in t = hopping):", fit.summary()]
    checks = []
    c = spec["check"]
    if c["w_c_meV"] is not None:
        w_fit = fit.w_c * units.t_meV if fit is not None else float("nan")
        ok = fit is not None and abs(w_fit - c["w_c_meV"]) <= c["w_c_tol_meV"]
        checks.append(dict(name="w_c", measured=w_fit,
                           error=fit.w_c_err * units.t_meV if fit is not None else None,
                           target=f"{c['w_c_meV']:g} meV within {c['w_c_tol_meV']:g} meV",
                           **{"pass": bool(ok)}))  # fmt: skip
        lines.append(f"  check w_c: {w_fit:.4g} meV against {checks[-1]['target']}: "
                     f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    summary["checks"] = checks
    summary["ok"] = bool("error" not in summary and (fit is None or fit.p_value > 1e-3)
                         and all(ch["pass"] for ch in checks))  # fmt: skip
    if fit is not None and fit.p_value <= 1e-3:
        lines.append("not ok: the scaling form does not describe the data (p <= 0.001); "
                     "raise n_r, add the irrelevant correction or drop the smallest width")  # fmt: skip
    _write(out, summary, lines, log)
    if spec["output"]["figures"]:
        path = Path(out) / "lambda.png"
        if fit is not None:
            fit.plot(lam, path=path)
        else:
            _lambda_figure(lam, path)
        log(f"figures: {path}")
    return summary


def _lambda_figure(lam, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4))
    ax = fig.subplots()
    for m in lam["width"].values:
        sel = lam.sel(width=m)
        ax.errorbar(sel["disorder"], sel["Lambda"], sel["Lambda_err"], fmt="o-", ms=3,
                    label=f"M = {m}")  # fmt: skip
    ax.set_xlabel("box disorder W [t]")
    ax.set_ylabel("Lambda = xi_M / M")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
