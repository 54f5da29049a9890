"""``cooperon ab``: Aharonov-Bohm period, amplitudes and l_phi of ring traces.

Takes the files, columns and units of ``cooperon fit`` (several traces or a
2D map are analysed as an ensemble: the spectrum of their mean, and the mean
of their single-trace amplitudes), or a cooperon ring dataset, where the
realization mean is analysed by default (``--realization N`` for one).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

EPILOG = """\
examples:
  cooperon ab ring.csv --radius-nm 400 --json ab.json
      (header 'B [mT], R [Ohm]': two-terminal resistance of the ring)
  cooperon ab ring.txt --field-column 0 --data-column 1 --field-unit G --data-unit e^2/h \\
      --background smooth
  cooperon ab out/ring/sweep.nc                   (a simulated ring: the realization mean)
  cooperon ab ring.csv --compare out/ring/sweep.nc --json ab.json
      (a measurement beside a simulated ring, spectra on one frequency axis)
"""


def add_parser(sub):
    p = sub.add_parser(
        "ab",
        help="Aharonov-Bohm analysis of ring traces (measured or simulated)",
        description="Remove the smooth background of a ring's magnetoconductance, take its "
        "spectrum and fit the h/e, h/2e and h/3e harmonics: period, effective area and radius, "
        "amplitudes in e^2/h with errors, and l_phi from the harmonic ratio where dephasing "
        "sets it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", help="a data file, or a cooperon ring dataset (.nc)")
    p.add_argument("--field-column", help="field column (name or 0-based index)")
    p.add_argument("--data-column", action="append", help="data column; repeat for several traces")
    p.add_argument("--field-unit", help="field unit: T, mT, G, kG, Oe, kOe")
    p.add_argument("--data-unit", help="data unit: Ohm, kOhm, S, mS, uS, e^2/h, V, ...")
    p.add_argument("--field-axis", help="2D arrays: the field of the columns, START:STOP[:NUM]")
    p.add_argument("--transpose", action="store_true", help="2D arrays: traces along columns")
    p.add_argument("--current-nA", type=float, help="excitation current [nA] (voltage data)")
    p.add_argument("--strict", action="store_true", help="an unreadable line is an error")
    p.add_argument("--realization", type=int, help="a dataset: analyse this realization only")
    p.add_argument("--radius-nm", type=float, help="expected ring radius [nm] (guides the search)")
    p.add_argument("--background", choices=["poly", "smooth"], default="poly",
                   help="background removal: polynomial (default) or running mean")  # fmt: skip
    p.add_argument("--order", type=int, default=3, help="polynomial background order")
    p.add_argument("--window-mT", type=float, help="running-mean window [mT] (smooth background)")
    p.add_argument("--compare", help="a cooperon ring dataset (.nc) to analyse side by side")
    p.add_argument("--area-um2", type=float,
                   help="plot spectra in flux quanta through this area [um^2] (default 1/T)")  # fmt: skip
    p.add_argument("--coherent-ratio", type=float,
                   help="A_1/A_2 of the same ring without dephasing (e.g. simulated): corrects "
                   "l_phi for the escape into the leads")  # fmt: skip
    p.add_argument("--json", dest="json_out", help="write the result as JSON here")
    p.add_argument("--figure", help="figure path (default: next to --json, .png)")
    p.set_defaults(func=run)
    return p


def _dataset(path, realization=None):
    """(b [T], traces [e^2/h], ring radii [m] or None, dephased?, label) of a cooperon dataset."""
    import xarray as xr

    with xr.open_dataset(path) as ds:
        if "b_perp" not in ds.dims or ds.sizes["b_perp"] < 8:
            raise ValueError(f"{path}: needs a b_perp sweep of a ring (at least 8 fields)")
        g = ds.G.isel(energy=0, b_par=0)
        if "flux_tube" in g.dims:
            g = g.isel(flux_tube=0)
        traces = g.transpose("realization", "b_perp").values.copy()
        spec = json.loads(ds.attrs["device_spec"])
        dephased = bool(json.loads(ds.attrs.get("dephasing", "{}")))
        b = ds.b_perp.values.copy()
    if realization is not None:
        if not 0 <= realization < len(traces):
            raise ValueError(f"--realization {realization}: the dataset has {len(traces)} (0..)")
        traces = traces[realization : realization + 1]
    radii = None
    if spec.get("kind") == "ring":
        a_m = spec["units"]["a_nm"] * 1e-9
        radii = (spec["r_in"] * a_m, spec["r_out"] * a_m)
    label = "simulation" + ("" if realization is None else f", realization {realization}")
    return b, traces, radii, dephased, label


def _analyse(b, traces, radius, label, source, kw, dephased, radii):
    from fits import ab

    res = ab.analyze_ensemble(b, traces, radius_guess=radius, label=label, source=source, **kw)
    if dephased is False:
        size = "" if radii is None else f" (circumference {1e9 * math.pi * sum(radii):.3g} nm)"
        res = replace(res, l_phi_m=None, l_phi_m_stderr=None,
                      l_phi_note="the simulation has no dephasing: l_phi is longer than the ring "
                      f"can resolve{size}; the harmonics decay by escape into the leads only")  # fmt: skip
    elif res.l_phi_m is not None and dephased is None:
        res = replace(res, l_phi_note="from ln(A_1/A_2): assumes the h/e harmonics dominate the "
                      "second harmonic and neglects escape into the leads (--coherent-ratio)")  # fmt: skip
    return res


def run(a) -> int:
    from fits import ab
    from fits.data import read_measurement

    path = Path(a.data)
    if not path.exists():
        raise ValueError(f"no such data file: {path}")
    kw = dict(background=a.background, order=a.order,
              window=None if a.window_mT is None else 1e-3 * a.window_mT)  # fmt: skip
    radius = None if a.radius_nm is None else 1e-9 * a.radius_nm
    radii = None
    if path.suffix in (".nc", ".h5"):
        b, traces, radii, dephased, label = _dataset(path, a.realization)
        if radius is None and radii is not None:
            radius = 0.5 * (radii[0] + radii[1])
    else:
        if a.realization is not None:
            raise ValueError("--realization applies to a cooperon dataset (.nc)")
        from cooperon.fitcmd import _field_axis

        meas = read_measurement(
            path, field_column=a.field_column, data_column=a.data_column, field_unit=a.field_unit,
            data_unit=a.data_unit, field_axis=_field_axis(a.field_axis), transpose=a.transpose,
            current=None if a.current_nA is None else 1e-9 * a.current_nA, quantity="total",
            strict=a.strict,
        )  # fmt: skip
        b = meas.b[0]
        if any(x.shape != b.shape or (x != b).any() for x in meas.b):
            raise ValueError(
                "the traces have different field points; give one trace at a time (--data-column)"
            )
        traces, dephased, label = meas.g, None, "measurement"
    result = _analyse(b, traces, radius, label, str(path), kw, dephased, radii)
    print(result.report())
    out = result.to_dict()
    if a.coherent_ratio is not None:
        out["l_phi_corrected_nm"] = 1e9 * ab.l_phi_from_harmonics(
            result.amplitudes[0], result.amplitudes[1], result.radius_m, a.coherent_ratio
        )
        print(f"  l_phi (escape-corrected) = {out['l_phi_corrected_nm']:.4g} nm")
    other = None
    if a.compare:
        sb, st, sradii, sdeph, slabel = _dataset(a.compare)
        sradius = None if sradii is None else 0.5 * (sradii[0] + sradii[1])
        other = _analyse(sb, st, sradius or result.radius_m, slabel, a.compare, kw, sdeph, sradii)
        out["compare"] = other.to_dict()
        print()
        print(other.report())
        print()
        print(f"{'':16s}{result.label:>16s}{other.label:>16s}")
        for key, unit in (("period_mT", "mT"), ("area_um2", "um^2"), ("amp_h_e", "e^2/h"),
                          ("amp_h_2e", "e^2/h")):  # fmt: skip
            print(f"{key:16s}{out[key]:>16.4g}{out['compare'][key]:>16.4g}  {unit}")
        if sradii is not None:
            msg = ab.area_mismatch(result, *sradii)
            if msg:
                print(f"WARNING: {msg}")
                out["warnings"] = [msg]
    if a.json_out:
        from fits.result import json_safe

        Path(a.json_out).write_text(json.dumps(json_safe(out), indent=2, allow_nan=False) + "\n")
        print(f"wrote {a.json_out}")
    figure = a.figure or (None if not a.json_out else str(Path(a.json_out).with_suffix(".png")))
    if figure:
        ab.plot_comparison([result] + ([other] if other else []), figure,
                           area_m2=None if a.area_um2 is None else 1e-12 * a.area_um2)  # fmt: skip
        print(f"wrote {figure}")
    return 0
