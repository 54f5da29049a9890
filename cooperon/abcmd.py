"""``cooperon ab``: Aharonov-Bohm period, amplitudes and l_phi of a measured G(B) or R(B) trace."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

EPILOG = """\
examples:
  cooperon ab ring.csv --radius-nm 400 --json ab.json
      (header 'B [mT], R [Ohm]': two-terminal resistance of the ring)
  cooperon ab ring.txt --b-col 0 --y-col 1 --b-unit G --y-unit e^2/h --background smooth
  cooperon ab ring.csv --compare out/ring/sweep.nc --json ab.json
      (side by side with a simulated ring: `cooperon run examples/ring_ab.toml --out out/ring`)
"""


def add_parser(sub):
    p = sub.add_parser(
        "ab",
        help="Aharonov-Bohm analysis of a G(B) or R(B) trace",
        description="Remove the smooth background of a ring's magnetoconductance trace, "
        "take its spectrum and fit the h/e, h/2e and h/3e harmonics: period, effective "
        "area and radius, amplitudes in e^2/h, and l_phi from the harmonic ratio.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", help="text/CSV trace, or a cooperon ring dataset (.nc)")
    p.add_argument("--b-col", help="field column (name or 0-based index; default first)")
    p.add_argument("--y-col", help="data column (name or index; default second)")
    p.add_argument("--b-unit", help="field unit: T, mT, G (overrides the header)")
    p.add_argument("--y-unit", help="data unit: Ohm, kOhm, S, mS, uS, e^2/h (overrides header)")
    p.add_argument("--radius-nm", type=float, help="expected ring radius [nm] (guides the search)")
    p.add_argument("--background", choices=["poly", "smooth"], default="poly")
    p.add_argument("--order", type=int, default=3, help="polynomial background order")
    p.add_argument("--window-mT", type=float, help="smoothing window [mT] (smooth background)")
    p.add_argument("--compare", help="a cooperon ring dataset (.nc) to show side by side")
    p.add_argument(
        "--coherent-ratio",
        type=float,
        help="A_1/A_2 of the same ring without dephasing (e.g. simulated): corrects l_phi for "
        "the escape into the leads",
    )
    p.add_argument("--json", dest="json_out", help="write the result as JSON here")
    p.add_argument("--figure", help="figure path (default: next to --json, .png)")
    p.set_defaults(func=run)
    return p


def _col(v):
    return int(v) if v is not None and v.isdigit() else v


def _dataset_trace(path):
    import xarray as xr

    with xr.open_dataset(path) as ds:
        if "b_perp" not in ds.dims or ds.sizes["b_perp"] < 8:
            raise ValueError(f"{path}: needs a b_perp sweep of a ring (at least 8 fields)")
        g = ds.G.isel(realization=0, energy=0, b_par=0)
        if "flux_tube" in g.dims:
            g = g.isel(flux_tube=0)
        spec = json.loads(ds.attrs["device_spec"])
        b = ds.b_perp.values.copy()
        r = None
        if spec.get("kind") == "ring":
            r = 0.5 * (spec["r_in"] + spec["r_out"]) * spec["units"]["a_nm"] * 1e-9
        return b, g.values.copy(), r


def run(a) -> int:
    from fits import ab
    from fits.data import read_trace

    path = Path(a.data)
    if not path.exists():
        raise ValueError(f"no such data file: {path}")
    kw = dict(background=a.background, order=a.order,
              window=None if a.window_mT is None else 1e-3 * a.window_mT)  # fmt: skip
    radius = None if a.radius_nm is None else 1e-9 * a.radius_nm
    if path.suffix in (".nc", ".h5"):
        b, g, r_dev = _dataset_trace(path)
        radius = radius or r_dev
    else:
        b, g, _ = read_trace(path, b_col=_col(a.b_col), y_col=_col(a.y_col),
                             b_unit=a.b_unit, y_unit=a.y_unit)  # fmt: skip
    result = ab.analyze(b, g, radius_guess=radius, source=str(path), **kw)
    print(result.report())
    out = result.to_dict()
    if a.coherent_ratio is not None:
        out["l_phi_corrected_nm"] = 1e9 * ab.l_phi_from_harmonics(
            result.amplitudes[0], result.amplitudes[1], result.radius_m, a.coherent_ratio
        )
        print(f"  l_phi (escape-corrected) = {out['l_phi_corrected_nm']:.4g} nm")
    other = None
    if a.compare:
        sb, sg, sr = _dataset_trace(a.compare)
        other = ab.analyze(sb, sg, radius_guess=sr or result.radius_m, source=a.compare, **kw)
        out["simulation"] = other.to_dict()
        print()
        print(f"{'':16s}{'measurement':>16s}{'simulation':>16s}")
        for key, unit in (("period_mT", "mT"), ("radius_nm", "nm"), ("amp_h_e", "e^2/h"),
                          ("amp_h_2e", "e^2/h")):  # fmt: skip
            m, s = out[key], out["simulation"][key]
            print(f"{key:16s}{m:>16.4g}{s:>16.4g}  {unit}")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {a.json_out}")
    figure = a.figure or (None if not a.json_out else str(Path(a.json_out).with_suffix(".png")))
    if figure:
        result.plot(figure, label="measurement", other=other)
        print(f"wrote {figure}")
    return 0
