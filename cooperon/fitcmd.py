"""``cooperon fit``: phase coherence from measured or simulated magnetoconductance.

One file is one curve (its traces averaged); several files, or a file with a
temperature column, are a temperature series, fitted jointly and followed by
the dephasing law tau_phi(T). Exit status: 0 when the result is ok, 1 when
it is flagged not ok (``--strict``: any flag), 2 for bad input;
``--keep-going`` returns 0 whenever a result was written.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

EPILOG = """\
examples:
  cooperon fit trace.csv --squares 5 --json fit.json
      (header 'B [mT], R [Ohm]'; spin-degenerate film, HLN with alpha free)
  cooperon fit run.dat --squares 5 --mass 0.067
      (a Quantum Design .dat file: field and resistance columns found by name)
  cooperon fit raw.csv --field-column 1 --field-unit Oe --data-column 2 --data-unit Ohm \\
      --squares 5
  cooperon fit 2K.csv 4K.csv 8K.csv --squares 5 --mass 0.067 --json series.json
      (a temperature series: B_phi per temperature, the rest shared; tau_phi(T) law)
  cooperon fit W5_*_40-39.txt --model graphene_so --field-unit mT --data-unit V \\
      --current-nA 10 --field-axis=-25:25 --squares 1 --temperatures-K 0.025 0.3 0.5 0.7 0.9 \\
      --subtract-highest --window-mT 20
      (2D arrays of lock-in voltages: gate traces along rows, averaged)
  cooperon fit out/film/sweep.nc --model finite_film --alpha 1      (a cooperon dataset)
"""


def add_parser(sub):
    from fits.registry import MODELS

    p = sub.add_parser(
        "fit",
        help="fit tau_phi / l_phi / B_phi from magnetoconductance data (one file or a series)",
        description="Fit a weak-localization line shape to measured data (Quantum Design .dat, "
        "CSV/TSV/whitespace tables, 2D arrays) or to a cooperon dataset (.nc). Traces are "
        "converted to conductance in e^2/h, averaged, symmetrized about the field offset and "
        "referred to zero field. Several files are a temperature series.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", nargs="+", help="data file(s), or a cooperon sweep dataset (.nc)")
    p.add_argument("--model", default="hln", choices=list(MODELS),
                   help="line shape (default hln): " + "; ".join(
                       f"{k}: {v.summary}" for k, v in MODELS.items()))  # fmt: skip
    g = p.add_argument_group("columns and units")
    g.add_argument("--field-column", help="field column (name or 0-based index)")
    g.add_argument("--data-column", action="append",
                   help="data column (name or index); repeat for several traces")  # fmt: skip
    g.add_argument("--temperature-column", help="temperature column [K] (a series in one file)")
    g.add_argument("--field-unit", help="field unit: T, mT, uT, G, kG, Oe, kOe")
    g.add_argument("--data-unit", help="data unit: Ohm, kOhm, Ohm/sq, Ohm cm, Ohm m, S, mS, uS, "
                   "e^2/h, 2e^2/h, V, mV, uV")  # fmt: skip
    g.add_argument("--field-axis", help="2D arrays: the field of the columns, START:STOP[:NUM] "
                   "in --field-unit (use --field-axis=-25:25 for a negative start)")  # fmt: skip
    g.add_argument("--transpose", action="store_true", help="2D arrays: traces along columns")
    g.add_argument("--current-nA", type=float, help="excitation current [nA] (voltage data)")
    g.add_argument(
        "--referenced",
        action="store_true",
        help="the data are already a change relative to zero field (dsigma, dG)",
    )
    g.add_argument(
        "--strict",
        action="store_true",
        help="an unreadable line is an error, and any flag (cautions too) fails",
    )
    g = p.add_argument_group("geometry")
    g.add_argument("--squares", type=float, help="number of squares L/W between the voltage probes")
    g.add_argument("--width-nm", type=float, help="sample width [nm]")
    g.add_argument("--length-nm", type=float, help="sample length between the probes [nm]")
    g.add_argument("--thickness-nm", type=float, help="film thickness [nm]")
    g.add_argument(
        "--free-amplitude",
        action="store_true",
        help="geometry unknown: fit the field scales with a free amplitude",
    )
    g = p.add_argument_group("field")
    g.add_argument("--field-offset-mT", default="auto",
                   help="field offset [mT] removed before symmetrizing: 'auto' (default: "
                   "estimated, one for all files) or a number (0: none)")  # fmt: skip
    g.add_argument("--window-mT", type=float, help="fit |B| <= this field [mT]")
    g = p.add_argument_group("model")
    g.add_argument("--g-s", type=int, default=None, help="spin degeneracy (default 2; for "
                   "cooperon datasets, the dataset's: 1 spinless, 2 spinful; graphene models "
                   "count spin and valley: 4)")  # fmt: skip
    g.add_argument("--alpha", type=float, help="fix alpha (default free)")
    g.add_argument("--background", action="store_true", help="add a classical c B^2 term")
    g.add_argument("--no-offset", action="store_true",
                   help="measured data: do not fit the zero-field offset (a free constant that "
                   "absorbs the noise of the zero-field value the trace is referred to)")  # fmt: skip
    g.add_argument(
        "--mean-free-path-nm",
        type=float,
        help="mean free path [nm] (in-plane models: flux cancellation when l is not << d)",
    )
    g.add_argument(
        "--cross-section",
        action="store_true",
        help="finite_parallel: solve the Cooperon across the thickness",
    )
    g.add_argument("--g-factor", type=float,
                   help="finite_film_zeeman: the carriers' g factor (in-plane field, Zeeman)")  # fmt: skip
    g.add_argument("--l-phi-nm", type=float,
                   help="finite_film_zeeman: hold l_phi [nm] (from a perpendicular fit)")  # fmt: skip
    g.add_argument("--spin-orbit-splitting-meV", type=float,
                   help="finite_film_zeeman: 2 alpha_R k_F [meV]; the default field window "
                   "stops where the Zeeman splitting reaches a quarter of it")  # fmt: skip
    g.add_argument(
        "--errors",
        choices=["auto", "all", "fast"],
        default="auto",
        help="error estimates to compute (default auto)",
    )
    g = p.add_argument_group("diffusion constant (for times)")
    g.add_argument("--diffusion-m2s", type=float, help="diffusion constant D [m^2/s]")
    g.add_argument("--r-sq-ohm", type=float, help="sheet resistance at B = 0 [Ohm]")
    g.add_argument("--mass", type=float, help="effective mass [m_e] (D by Einstein from R_sq)")
    g.add_argument("--density-cm2", type=float, help="carrier density [cm^-2]")
    g.add_argument("--mobility-cm2", type=float, help="mobility [cm^2/(V s)] (graphene D)")
    g.add_argument("--fermi-velocity-m-s", type=float, help="Fermi velocity [m/s] (graphene D)")
    g = p.add_argument_group("temperature series")
    g.add_argument(
        "--temperatures-K",
        type=float,
        nargs="+",
        help="temperature of each file [K] (default: from a column or the file names)",
    )
    g.add_argument(
        "--per-temperature",
        nargs="+",
        help="parameters fitted per temperature (default: the dephasing one)",
    )
    g.add_argument(
        "--subtract-highest",
        action="store_true",
        help="subtract the highest temperature's curve as a background",
    )
    g.add_argument("--saturation", action="store_true", help="tau_phi(T) with a saturation time")
    g = p.add_argument_group("output")
    g.add_argument("--json", dest="json_out", help="write the result as JSON here")
    g.add_argument("--figure", help="write the figure here (default: next to --json, .png)")
    g.add_argument(
        "--keep-going",
        action="store_true",
        help="exit 0 even when the result is flagged (scripted sweeps)",
    )
    p.set_defaults(func=run)
    return p


def _field_axis(text):
    if text is None:
        return None
    try:
        parts = [float(x) for x in text.split(":")]
    except ValueError:
        parts = []
    if len(parts) not in (2, 3):
        raise ValueError(f"--field-axis is START:STOP or START:STOP:NUM, got {text!r}")
    return parts


def _offset(text):
    if text in (None, "auto"):
        return "auto"
    try:
        return 1e-3 * float(text)
    except ValueError:
        raise ValueError(f"--field-offset-mT is 'auto' or a number [mT], got {text!r}") from None


def _read_options(a, quantity):
    nm = 1e-9
    return dict(
        field_column=a.field_column,
        data_column=a.data_column,
        temperature_column=a.temperature_column,
        field_unit=a.field_unit,
        data_unit=a.data_unit,
        field_axis=_field_axis(a.field_axis),
        transpose=a.transpose,
        current=None if a.current_nA is None else a.current_nA * 1e-9,
        squares=a.squares,
        width=None if a.width_nm is None else a.width_nm * nm,
        length=None if a.length_nm is None else a.length_nm * nm,
        thickness=None if a.thickness_nm is None else a.thickness_nm * nm,
        quantity=quantity,
        free_amplitude=a.free_amplitude,
        referenced=True if a.referenced else None,
        strict=a.strict,
    )


def _diffusion(a, g_s, r_sq, model_name):
    import fits
    from fits import data as fdata

    if a.diffusion_m2s is not None:
        return a.diffusion_m2s, "given (--diffusion-m2s)"
    if model_name.startswith("graphene") and a.fermi_velocity_m_s is not None:
        dens = None if a.density_cm2 is None else a.density_cm2 * 1e4
        mob = None if a.mobility_cm2 is None else a.mobility_cm2 * 1e-4
        d = fits.graphene_diffusion(a.fermi_velocity_m_s, density=dens, mobility=mob, r_sq_ohm=r_sq)
        return d, "graphene: D = v_F l / 2"
    if r_sq is not None and a.mass is not None:
        return fdata.diffusion_from_sheet_resistance(r_sq, a.mass, min(g_s, 2)), (
            f"Einstein relation from R_sq = {r_sq:.4g} Ohm and m* = {a.mass:g} m_e"
        )
    return None, None


def _data_lines(meta) -> list[str]:
    out = [f"data: {meta.get('format', meta.get('source', ''))}"]
    for key, label in (("field_column", "field"), ("data_columns", "data"),
                       ("columns_chosen_by", "chosen by"), ("layout", "layout"),
                       ("traces", "traces"), ("conversion", "conversion"),
                       ("temperature_from", "temperature from"),
                       ("covariance", "covariance"), ("errors", "errors"),
                       ("background", "background")):  # fmt: skip
        if meta.get(key):
            out.append(f"  {label}: {meta[key]}")
    if "n_traces" in meta and meta["n_traces"] > 1:
        out.append(
            f"  averaged {meta['n_traces']} traces in conductance; their spread is the error bar"
        )
    if "field_offset_T" in meta:
        out.append(f"  field offset: {1e3 * meta['field_offset_T']:.3g} mT "
                   f"({meta.get('field_offset_from', '')})")  # fmt: skip
    if meta.get("odd_part_rms") is not None:
        rel = meta.get("odd_part_relative")
        out.append(f"  odd part (Hall pickup, asymmetry): rms {meta['odd_part_rms']:.3g} e^2/h"
                   + (f" = {100 * rel:.2g}% of the even curve's range" if rel is not None else ""))  # fmt: skip
    if meta.get("skipped_lines"):
        lines = meta["skipped_lines"]
        out.append(f"  skipped {len(lines)} unreadable line(s): "
                   + "; ".join(f"line {n} {why}" for n, why in lines[:3])
                   + ("; ..." if len(lines) > 3 else ""))  # fmt: skip
    return out


def run(a) -> int:
    from fits.registry import MODELS

    info = MODELS[a.model]
    quantity = info.quantity
    paths = [Path(p) for p in a.data]
    for p in paths:
        if not p.exists():
            raise ValueError(f"no such data file: {p}")
    nc = [p for p in paths if p.suffix in (".nc", ".h5", ".nc4")]
    if nc and len(paths) > 1:
        raise ValueError("give one cooperon dataset (.nc) at a time")
    if nc:
        return _fit_dataset(a, paths[0], info)
    if len(paths) > 1 or a.temperature_column or a.temperatures_K:
        return _fit_series(a, paths, info, quantity)
    return _fit_one(a, paths[0], info, quantity)


def _model(a, info, g_s, geometry, b_tr=None, offset=True, diffusion=None):
    from fits.registry import build_model

    nm = 1e-9
    opts = dict(
        alpha=a.alpha,
        b_tr=b_tr,
        width=geometry.get("width"),
        length=geometry.get("length"),
        thickness=None if a.thickness_nm is None else a.thickness_nm * nm,
        mean_free_path=None if a.mean_free_path_nm is None else a.mean_free_path_nm * nm,
        cross_section=a.cross_section,
        background=a.background,
        free_amplitude=a.free_amplitude,
        offset=offset and not a.no_offset,
    )
    if "g_factor" in info.accepts():  # the in-plane Zeeman model: D enters the line shape
        opts.update(g_factor=a.g_factor, diffusion=diffusion,
                    l_phi=None if a.l_phi_nm is None else a.l_phi_nm * nm,
                    spin_orbit_splitting=a.spin_orbit_splitting_meV)  # fmt: skip
    # sizes also serve the data's conversion: passed to the models that use them
    for key in ("width", "length", "thickness", "b_tr"):
        if key not in info.accepts():
            opts.pop(key)
    return build_model(info.name, g_s=g_s, **opts)


def _g_s(a, info, default=2):
    if info.degeneracies == (4,):
        if a.g_s not in (None, 4):
            raise ValueError(f"the {info.name} model counts spin and valley: --g-s 4 (or omit it)")
        return 4
    return default if a.g_s is None else a.g_s


def _b_tr(a, r_sq, g_s):
    from fits import data as fdata
    from fits import lineshapes as ls

    if r_sq is None or a.density_cm2 is None:
        return None
    ell = fdata.mean_free_path_from_sheet_resistance(r_sq, a.density_cm2 * 1e4, min(g_s, 2))
    return ls.HBAR_OVER_E / (2 * ell**2)


def _fit_one(a, path, info, quantity) -> int:
    import fits

    meas = fits.read_measurement(path, **_read_options(a, quantity))
    data = fits.magnetoconductance(meas, offset=_offset(a.field_offset_mT))
    g_s = _g_s(a, info)
    r_sq = a.r_sq_ohm
    if r_sq is None and meas.zero_field_resistance is not None and quantity == "sheet":
        r_sq = meas.zero_field_resistance
    diffusion, how = _diffusion(a, g_s, r_sq, info.name)
    nm = 1e-9
    geometry = {"width": None if a.width_nm is None else a.width_nm * nm,
                "length": None if a.length_nm is None else a.length_nm * nm}  # fmt: skip
    model = _model(a, info, g_s, geometry, _b_tr(a, r_sq, g_s), diffusion=diffusion)
    window = None if a.window_mT is None else 1e-3 * a.window_mT
    result = model.fit(data, window=window, diffusion=diffusion, source=str(path), errors=a.errors)
    print("\n".join(_data_lines(data.meta)))
    print(result.report())
    if diffusion is None and quantity == "sheet":
        print("  (tau_phi needs D: --diffusion-m2s, or --mass with resistance data or --r-sq-ohm)")
    elif how:
        print(f"  D = {diffusion:.4g} m^2/s ({how})")
    out = result.to_dict()
    out["diffusion_m2s"] = diffusion
    out["diffusion_source"] = how
    out["data"] = _meta_json(data.meta)
    return _finish(a, out, result, lambda path: result.plot(path))


def _meta_json(meta):
    from fits.result import json_safe

    keep = {k: v for k, v in meta.items() if k not in ("device",)}
    if "skipped_lines" in keep:
        keep["skipped_lines"] = [{"line": n, "reason": why} for n, why in keep["skipped_lines"]]
    return json_safe(keep)


def _fit_series(a, paths, info, quantity) -> int:
    import fits
    from fits import series

    points = series.load_series(paths, temperatures=a.temperatures_K,
                                offset=_offset(a.field_offset_mT),
                                subtract_highest=a.subtract_highest,
                                **{k: v for k, v in _read_options(a, quantity).items()})  # fmt: skip
    g_s = _g_s(a, info)
    r_sq = a.r_sq_ohm
    diffusion, how = _diffusion(a, g_s, r_sq, info.name)
    nm = 1e-9
    geometry = {"width": None if a.width_nm is None else a.width_nm * nm,
                "length": None if a.length_nm is None else a.length_nm * nm}  # fmt: skip
    model = _model(a, info, g_s, geometry, _b_tr(a, r_sq, g_s), diffusion=diffusion)
    window = None if a.window_mT is None else 1e-3 * a.window_mT
    result = series.fit_series(points, model, per_temperature=a.per_temperature,
                               diffusion=diffusion, window=window, saturation=a.saturation,
                               r_sq_ohm=r_sq)  # fmt: skip
    for t, d in points:
        print(f"{t:g} K: " + "\n".join(_data_lines(d.meta)))
    print(result.report())
    if how:
        print(f"  D = {diffusion:.4g} m^2/s ({how})")
    elif diffusion is None:
        print("  (without D the power law is fitted to l_phi(T) = sqrt(D tau_phi): p = -2 d ln "
              "l_phi / d ln T)")  # fmt: skip
    out = result.to_dict()
    out["diffusion_m2s"] = diffusion
    out["data"] = [{**_meta_json(d.meta), "temperature_K": t} for t, d in points]
    del fits
    return _finish(a, out, result, lambda path: result.plot(path))


def _fit_dataset(a, path, info) -> int:
    import xarray as xr

    import fits

    with xr.open_dataset(path) as ds:
        data = fits.from_dataset(ds, quantity=info.quantity, axis=info.axis)
        spins = int(ds.attrs.get("spin_degeneracy", 1))  # 2: G counts both spins
    spec = data.meta["device"]
    a_m = spec["units"]["a_nm"] * 1e-9
    nm = 1e-9
    geometry = {
        "width": a.width_nm * nm if a.width_nm else spec["width"] * a_m,
        "length": a.length_nm * nm if a.length_nm else spec["length"] * a_m,
    }
    if a.thickness_nm is None and spec.get("thickness", 1) > 1:
        a.thickness_nm = spec["units"]["a_nm"] * math.sqrt(spec["thickness"] ** 2 - 1)
    g_s = _g_s(a, info, default=spins)
    diffusion = a.diffusion_m2s or data.meta.get("diffusion_m2s")
    # the covariance carries the reference: no offset
    model = _model(a, info, g_s, geometry, offset=False, diffusion=diffusion)
    window = None if a.window_mT is None else 1e-3 * a.window_mT
    result = model.fit(data, window=window, diffusion=diffusion, source=str(path), errors=a.errors)
    print(f"data: {path} (cooperon dataset, {data.meta['n_traces']} realizations; "
          f"{data.meta.get('covariance', '')})")  # fmt: skip
    print(result.report())
    out = result.to_dict()
    out["diffusion_m2s"] = diffusion
    if "tau_phi_ps_input" in data.meta:
        out["tau_phi_ps_input"] = data.meta["tau_phi_ps_input"]
    return _finish(a, out, result, lambda p: result.plot(p, title="simulation"))


def _finish(a, out, result, plot) -> int:
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(out, indent=2, allow_nan=False) + "\n")
        print(f"wrote {a.json_out}")
    figure = a.figure or (None if not a.json_out else str(Path(a.json_out).with_suffix(".png")))
    if figure:
        plot(figure)
        print(f"wrote {figure}")
    good = result.strict_ok if a.strict else result.ok
    if not good and not a.keep_going:
        what = "flags" if a.strict else "flags that make it not ok"
        print(f"cooperon fit: the result carries {what} (see above); exit status 1 "
              "(--keep-going for scripts)")  # fmt: skip
        return 1
    return 0
