"""``cooperon fit``: phase coherence from a measured or simulated magnetoconductance trace."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

EPILOG = """\
examples:
  cooperon fit trace.csv --model hln --json fit.json
      (header 'B [mT], R_sq [Ohm/sq]'; spin-degenerate film, alpha free)
  cooperon fit trace.txt --b-col 0 --y-col 2 --b-unit G --y-unit Ohm \\
      --width-nm 20000 --length-nm 100000 --mass 0.067 --density-cm2 3e11 --json fit.json
  cooperon fit sweep.nc --model hln --g-s 1 --json fit.json      (a cooperon dataset)
  cooperon fit wire.csv --model wire --width-nm 80 --length-nm 20000 --json fit.json
"""


def add_parser(sub):
    p = sub.add_parser(
        "fit",
        help="fit tau_phi / l_phi / B_phi from a magnetoconductance trace",
        description="Fit a weak-localization line shape to a trace of R(B) or G(B) "
        "(CSV or whitespace text with declared units) or to a cooperon dataset (.nc). "
        "The trace is converted to a magnetoconductance in e^2/h, symmetrized in B and "
        "referred to zero field.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", help="text/CSV file, or a cooperon sweep dataset (.nc)")
    p.add_argument(
        "--model",
        default="hln",
        choices=[
            "hln",
            "hln_so",
            "wire",
            "wire_finite",
            "finite_film",
            "parallel",
            "finite_parallel",
        ],
        help="line shape (default hln)",
    )
    p.add_argument("--b-col", help="field column (name or 0-based index; default first)")
    p.add_argument("--y-col", help="data column (name or index; default second)")
    p.add_argument("--sigma-col", help="column of standard errors of the data")
    p.add_argument("--b-unit", help="field unit: T, mT, G (overrides the header)")
    p.add_argument(
        "--y-unit", help="data unit: Ohm, kOhm, Ohm/sq, S, mS, uS, e^2/h (overrides the header)"
    )
    p.add_argument("--width-nm", type=float, help="sample (wire) width [nm]")
    p.add_argument("--length-nm", type=float, help="sample length between probes [nm]")
    p.add_argument("--thickness-nm", type=float, help="film thickness [nm] (parallel model)")
    p.add_argument(
        "--mean-free-path-nm",
        type=float,
        help="mean free path [nm] (parallel models: flux cancellation when l is not << d)",
    )
    p.add_argument(
        "--cross-section",
        action="store_true",
        help="finite_parallel: solve the Cooperon across the thickness (not a uniform mass)",
    )
    p.add_argument(
        "--g-s", type=int, default=None, help="spin degeneracy (default 2; 1 for datasets)"
    )
    p.add_argument("--alpha", type=float, help="fix alpha (default free)")
    p.add_argument("--window-mT", type=float, help="fit |B| <= this field [mT]")
    p.add_argument("--diffusion", type=float, help="diffusion constant D [m^2/s]")
    p.add_argument("--r-sq", type=float, help="sheet resistance at B = 0 [Ohm] (for D)")
    p.add_argument("--mass", type=float, help="effective mass [m_e] (for D via Einstein)")
    p.add_argument("--density-cm2", type=float, help="carrier density [cm^-2] (for l, B_tr)")
    p.add_argument("--json", dest="json_out", help="write the result as JSON here")
    p.add_argument("--figure", help="write the figure here (default: next to --json, .png)")
    p.set_defaults(func=run)
    return p


def _col(v):
    return int(v) if v is not None and v.isdigit() else v


def run(a) -> int:
    import fits
    from fits import data as fdata
    from fits import lineshapes as ls

    finite = ("wire", "wire_finite", "finite_film", "finite_parallel")
    quantity = "total" if a.model in finite else "sheet"
    axis = "b_par" if a.model in ("parallel", "finite_parallel") else "b_perp"
    nm = 1e-9
    width = None if a.width_nm is None else a.width_nm * nm
    length = None if a.length_nm is None else a.length_nm * nm
    path = Path(a.data)
    if not path.exists():
        raise ValueError(f"no such data file: {path}")
    diffusion = a.diffusion
    if path.suffix in (".nc", ".h5", ".nc4"):
        import xarray as xr

        with xr.open_dataset(path) as ds:
            data = fdata.from_dataset(ds, quantity=quantity, axis=axis)
            spec = data.meta["device"]
            if diffusion is None and "diffusion_m2s" in ds.attrs:
                diffusion = float(ds.attrs["diffusion_m2s"])
        g_s = 1 if a.g_s is None else a.g_s
        a_m = spec["units"]["a_nm"] * nm
        width = width or spec["width"] * a_m
        length = length or spec["length"] * a_m
    else:
        data = fdata.read_table(
            path,
            b_col=_col(a.b_col),
            y_col=_col(a.y_col),
            b_unit=a.b_unit,
            y_unit=a.y_unit,
            quantity=quantity,
            width=width,
            length=length,
            sigma_col=_col(a.sigma_col),
        )
        g_s = 2 if a.g_s is None else a.g_s
    r_sq = a.r_sq
    if r_sq is None and quantity == "sheet":
        sigma0 = data.meta.get("zero_field_value")  # e^2/h per square, all spins
        if sigma0 and sigma0 > 0 and data.meta.get("data_kind") != "conductance":
            r_sq = 1 / (sigma0 * fdata.G0)
    if diffusion is None and r_sq is not None and a.mass is not None:
        diffusion = fdata.diffusion_from_sheet_resistance(r_sq, a.mass, g_s)
    b_tr = None
    if r_sq is not None and a.density_cm2 is not None:
        ell = fdata.mean_free_path_from_sheet_resistance(r_sq, a.density_cm2 * 1e4, g_s)
        b_tr = ls.HBAR_OVER_E / (2 * ell**2)
    mfp = None if a.mean_free_path_nm is None else a.mean_free_path_nm * nm
    if mfp is not None and a.model not in ("parallel", "finite_parallel"):
        raise ValueError("--mean-free-path-nm is for the parallel and finite_parallel models")
    if a.cross_section and a.model != "finite_parallel":
        raise ValueError("--cross-section is for the finite_parallel model")
    if a.model == "hln":
        model = fits.HLN(g_s=g_s, alpha=a.alpha, b_tr=b_tr)
    elif a.model == "hln_so":
        model = fits.HLNSpinOrbit(g_s=g_s)
    elif a.model == "parallel":
        if a.thickness_nm is None:
            raise ValueError("the parallel model needs --thickness-nm")
        model = fits.ParallelField(
            g_s=g_s, thickness=a.thickness_nm * nm, alpha=a.alpha, mean_free_path=mfp
        )
    else:
        if width is None or length is None:
            raise ValueError(f"the {a.model} model needs --width-nm and --length-nm")
        if a.model == "finite_film":
            model = fits.FiniteFilm(g_s=g_s, width=width, length=length, alpha=a.alpha, b_tr=b_tr)
        elif a.model == "finite_parallel":
            if a.thickness_nm is None:
                raise ValueError("the finite_parallel model needs --thickness-nm")
            model = fits.FiniteFilmParallel(
                g_s=g_s,
                width=width,
                length=length,
                thickness=a.thickness_nm * nm,
                alpha=a.alpha,
                mean_free_path=mfp,
                cross_section=a.cross_section,
            )
        else:
            model = fits.MODELS[a.model](g_s=g_s, width=width, length=length)
    window = None if a.window_mT is None else a.window_mT * 1e-3
    result = model.fit(
        data.b, data.dy, data.sigma, window=window, diffusion=diffusion, source=str(path)
    )
    print(result.report())
    if diffusion is None and quantity == "sheet":
        print("  (tau_phi needs D: give --diffusion, or --mass with resistance data or --r-sq)")
    out = result.to_dict()
    if diffusion is not None:
        out["diffusion_m2s"] = diffusion
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {a.json_out}")
    figure = a.figure or (None if not a.json_out else str(Path(a.json_out).with_suffix(".png")))
    if figure:
        result.plot(figure)
        print(f"wrote {figure}")
    return 0
