"""Magnetoconductance data: measured files and simulated datasets, in declared units.

Everything is converted to fields in tesla and a magnetoconductance in e^2/h
relative to zero field, symmetrized in B (Onsager: a two-terminal or
four-terminal longitudinal trace of a time-reversal-invariant sample is even
in B; the odd part is Hall pickup or asymmetry).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
from scipy import constants as sc

__all__ = [
    "MagnetoData",
    "diffusion_from_sheet_resistance",
    "from_dataset",
    "mean_free_path_from_sheet_resistance",
    "read_table",
    "read_trace",
]

G0 = sc.e**2 / sc.h  # [S]

FIELD_UNITS = {"T": 1.0, "mT": 1e-3, "uT": 1e-6, "G": 1e-4, "kG": 0.1, "Oe": 1e-4}
# unit -> (kind, factor to SI or to e^2/h); kind: resistance, sheet_resistance, conductance
Y_UNITS = {
    "Ohm": ("resistance", 1.0),
    "kOhm": ("resistance", 1e3),
    "MOhm": ("resistance", 1e6),
    "Ohm/sq": ("sheet_resistance", 1.0),
    "kOhm/sq": ("sheet_resistance", 1e3),
    "S": ("conductance", 1.0 / G0),
    "mS": ("conductance", 1e-3 / G0),
    "uS": ("conductance", 1e-6 / G0),
    "e^2/h": ("conductance", 1.0),
    "2e^2/h": ("conductance", 2.0),
}
_ALIASES = {"ohm": "Ohm", "Ω": "Ohm", "ohm/sq": "Ohm/sq", "Ohm/square": "Ohm/sq", "tesla": "T"}


@dataclass(frozen=True)
class MagnetoData:
    """Symmetrized magnetoconductance versus field.

    Attributes
    ----------
    b : ndarray
        Field, >= 0 and increasing [T].
    dy : ndarray
        y(B) - y(0) [e^2/h]: sheet magnetoconductance dsigma (``quantity ==
        "sheet"``) or total dG (``"total"``).
    sigma : ndarray or None
        Standard errors of ``dy`` [e^2/h], when known.
    quantity : {"sheet", "total"}
    meta : dict
        Source, units and conversions applied.
    """

    b: np.ndarray
    dy: np.ndarray
    sigma: np.ndarray | None
    quantity: str
    meta: dict = field(default_factory=dict)


def _norm_unit(u: str) -> str:
    u = u.strip()
    return _ALIASES.get(u, _ALIASES.get(u.lower(), u))


def _split_header(token: str):
    m = re.match(r"^\s*([^\[\(]+?)\s*(?:[\[\(]\s*(.+?)\s*[\]\)])?\s*$", token)
    return (m.group(1), m.group(2)) if m else (token.strip(), None)


def _read_columns(path):
    with open(path, encoding="utf-8") as fh:
        lines = [ln.rstrip("\n") for ln in fh]
    header, rows = None, []
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if s.startswith("#"):
            s = s.lstrip("#").strip()
            if header is None and s and not _numeric_row(s):
                header = s
            continue
        if _numeric_row(s):
            rows.append(_tokens(s))
        elif header is None and not rows:
            header = s
        else:
            raise ValueError(f"{path}: cannot read the line {ln!r} as numbers")
    if not rows:
        raise ValueError(f"{path}: no numeric rows found")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"{path}: rows have different numbers of columns {sorted(widths)}")
    data = np.array([[_num(x) for x in r] for r in rows], dtype=float)
    names = _tokens(header) if header else [f"col{i}" for i in range(data.shape[1])]
    if len(names) != data.shape[1]:
        raise ValueError(f"{path}: header has {len(names)} names for {data.shape[1]} columns")
    return [_split_header(n) for n in names], data


def _tokens(s: str):
    if "," in s or ";" in s:
        return [t.strip() for t in re.split(r"[,;]", s)]
    if "\t" in s:
        return [t.strip() for t in s.split("\t") if t.strip()]
    # whitespace: keep "B [mT]" together
    return re.findall(r"[^\s\[\(]+(?:\s*[\[\(][^\]\)]*[\]\)])?", s)


def _num(x: str) -> float:
    x = x.strip()
    if x.lower() in ("nan", ""):
        return math.nan
    return float(x)


def _numeric_row(s: str) -> bool:
    try:
        [_num(x) for x in _tokens(s)]
    except ValueError:
        return False
    return True


def _pick(columns, key, default_index, what):
    names = [n for n, _ in columns]
    if key is None:
        return default_index
    if isinstance(key, int):
        if not 0 <= key < len(columns):
            raise ValueError(f"{what} column {key} does not exist ({len(columns)} columns)")
        return key
    if key in names:
        return names.index(key)
    raise ValueError(f"no {what} column named {key!r}; columns are {names}")


def read_table(
    path,
    *,
    b_col=None,
    y_col=None,
    b_unit: str | None = None,
    y_unit: str | None = None,
    quantity: str = "sheet",
    width: float | None = None,
    length: float | None = None,
    sigma_col=None,
    raw: bool = False,
) -> MagnetoData:
    """Read a CSV or whitespace table of R(B) or G(B) and return the magnetoconductance.

    Parameters
    ----------
    path : str or Path
        Text file; a header line may name columns with units in brackets,
        e.g. ``B [mT], R [Ohm]``; ``#`` starts a comment.
    b_col, y_col : str or int, optional
        Columns of field and data (names or 0-based indices); default the
        first two.
    b_unit : {"T", "mT", "G", ...}, optional
        Overrides the header unit of the field.
    y_unit : str, optional
        Overrides the header unit of the data: Ohm, kOhm (resistance),
        Ohm/sq (sheet resistance), S, mS, uS, e^2/h (conductance; a sheet
        conductance when the column name starts with "sigma" or "dsigma").
    quantity : {"sheet", "total"}
        What the fit needs: sheet conductance (films) or total conductance
        (wires).
    width, length : float, optional
        Sample width and length between voltage probes [m], needed to turn
        a resistance into a sheet conductance (or the reverse).
    sigma_col : str or int, optional
        Column of standard errors, in the data's units (conductances only).
    raw : bool
        Return ``(b [T], g [e^2/h], meta)`` without symmetrizing (see
        :func:`read_trace`).
    """
    columns, data = _read_columns(path)
    ib = _pick(columns, b_col, 0, "field")
    iy = _pick(columns, y_col, 1, "data")
    b_unit = _norm_unit(b_unit or columns[ib][1] or "")
    y_unit = _norm_unit(y_unit or columns[iy][1] or "")
    if b_unit not in FIELD_UNITS:
        raise ValueError(
            f"unknown field unit {b_unit!r} for column {columns[ib][0]!r}; use one of "
            f"{', '.join(FIELD_UNITS)} (in the header as 'B [mT]' or with --b-unit)"
        )
    if y_unit not in Y_UNITS:
        raise ValueError(
            f"unknown data unit {y_unit!r} for column {columns[iy][0]!r}; use one of "
            f"{', '.join(Y_UNITS)} (in the header as 'R [Ohm]' or with --y-unit)"
        )
    b, y = data[:, ib], data[:, iy]
    for name, arr in ((columns[ib][0], b), (columns[iy][0], y)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise ValueError(
                f"{path}: column {name!r} has NaN/inf in {bad.size} row(s), first at data row "
                f"{bad[0] + 1}; remove those rows or fill them"
            )
    kind, factor = Y_UNITS[y_unit]
    name = columns[iy][0].strip().lower()
    sheet_name = name.startswith(("sigma", "dsigma", "σ"))
    if kind == "conductance" and sheet_name:
        kind = "sheet_conductance"
    y_si = y * factor
    if kind in ("resistance", "sheet_resistance") and np.any(y_si <= 0):
        raise ValueError(f"{path}: resistance column {columns[iy][0]!r} has values <= 0")
    # -> conductance in e^2/h, of the sample ("total") or per square ("sheet")
    g = 1.0 / (y_si * G0) if kind in ("resistance", "sheet_resistance") else y_si
    native = "sheet" if kind in ("sheet_resistance", "sheet_conductance") else "total"
    sig = None
    if sigma_col is not None:
        if kind not in ("conductance", "sheet_conductance"):
            raise ValueError("an error column is supported for conductance data only")
        sig = data[:, _pick(columns, sigma_col, 2, "error")] * factor
    if native != quantity:
        if width is None or length is None:
            have = "R in Ohm" if kind == "resistance" else f"{kind.replace('_', ' ')}"
            raise ValueError(
                f"{have} needs the sample width and length (between the voltage probes) to "
                f"give a {quantity} conductance: pass width= and length= in m (--width/--length "
                "in nm)"
            )
        ratio = length / width if quantity == "sheet" else width / length  # sigma = G L / W
        g = g * ratio
        sig = None if sig is None else sig * ratio
    meta = dict(
        source=str(path),
        field_column=columns[ib][0],
        data_column=columns[iy][0],
        field_unit=b_unit,
        data_unit=y_unit,
        data_kind=kind,
        quantity=quantity,
    )
    if raw:
        return b * FIELD_UNITS[b_unit], g, meta
    return symmetrize(b * FIELD_UNITS[b_unit], g, sig, quantity=quantity, meta=meta)


def read_trace(path, **kwargs):
    """Field [T] and total conductance [e^2/h] of a trace, as measured (no symmetrization).

    Takes the column and unit options of :func:`read_table`; for Aharonov-Bohm
    analysis, where the oscillating part must not be symmetrized away.
    """
    kwargs.setdefault("quantity", "total")
    b, g, meta = read_table(path, raw=True, **kwargs)
    return b, g, meta


def symmetrize(b, g, sigma=None, *, quantity="sheet", meta=None) -> MagnetoData:
    """Average G(B) and G(-B) onto B >= 0 and subtract the zero-field value.

    With fields of one sign only the trace is used as is (|B|). The zero-
    field value comes from the trace itself: it must contain B = 0 or
    straddle it.
    """
    b, g = np.asarray(b, float), np.asarray(g, float)
    order = np.argsort(b, kind="stable")
    b, g = b[order], g[order]
    sigma = None if sigma is None else np.asarray(sigma, float)[order]
    meta = dict(meta or {})
    if b.min() < 0 < b.max():
        top = min(-b.min(), b.max())
        grid = np.unique(np.abs(b[np.abs(b) <= top]))
        gs = 0.5 * (np.interp(grid, b, g) + np.interp(-grid, b, g))
        sig = None
        if sigma is not None:
            sig = 0.5 * np.hypot(np.interp(grid, b, sigma), np.interp(-grid, b, sigma))
        odd = 0.5 * (np.interp(grid, b, g) - np.interp(-grid, b, g))
        meta["symmetrized"] = True
        meta["odd_part_rms"] = float(np.sqrt(np.mean(odd**2)))
        b, g, sigma = grid, gs, sig
    else:
        if b.min() < 0:
            b, g = -b[::-1], g[::-1]
            sigma = None if sigma is None else sigma[::-1]
        meta["symmetrized"] = False
    if b[0] > 1e-9 * max(b[-1], 1e-30) and b[0] != 0:
        raise ValueError(
            f"the trace starts at |B| = {b[0]:.3g} T: it must include B = 0 (or fields of both "
            "signs around it) to subtract the zero-field conductance"
        )
    if np.any(np.diff(b) == 0):
        keep = np.concatenate([[True], np.diff(b) > 0])
        b, g = b[keep], g[keep]
        sigma = None if sigma is None else sigma[keep]
    meta["zero_field_value"] = float(g[0])  # [e^2/h], sheet or total as `quantity`
    return MagnetoData(b=b, dy=g - g[0], sigma=sigma, quantity=quantity, meta=meta)


def from_dataset(
    ds, *, quantity: str = "sheet", energy_index: int = 0, axis: str = "b_perp"
) -> MagnetoData:
    """Magnetoconductance of a cooperon sweep dataset (``transport.sweep``).

    Uses ``dG_mean`` and ``dG_sem`` [e^2/h] versus ``axis`` (``b_perp`` or
    ``b_par``) [T], at the first energy (or ``energy_index``) and at the
    other field closest to zero. For
    ``quantity="sheet"`` the two-terminal dG is turned into dsigma = dG L/W
    with the device sizes recorded in the dataset attributes. Reads the
    dataset with xarray only; no Kwant.
    """
    spec = json.loads(ds.attrs["device_spec"])
    if axis not in ("b_perp", "b_par"):
        raise ValueError(f"axis is 'b_perp' or 'b_par', got {axis!r}")
    dg = ds["dG_mean"]
    sem = ds["dG_sem"]
    sel = {}
    for d in dg.dims:
        if d == "energy":
            sel[d] = energy_index
        elif d != axis:
            sel[d] = int(np.argmin(np.abs(ds[d].values)))
    dg, sem = dg.isel(sel), sem.isel(sel)
    b = np.asarray(ds[axis].values, float)
    y = np.asarray(dg.values, float)
    s = np.asarray(sem.values, float)
    if quantity == "sheet":
        ratio = spec["length"] / spec["width"]
        y, s = y * ratio, s * ratio
    meta = dict(source="cooperon dataset", device=spec, quantity=quantity)
    if "diffusion_m2s" in ds.attrs:
        meta["diffusion_m2s"] = float(ds.attrs["diffusion_m2s"])
    data = symmetrize(b, y, s, quantity=quantity, meta=meta)
    # dG(B0) = 0 exactly, per realization: the reference point carries no information
    keep = data.b != data.b[0]
    data.meta["reference_point_dropped"] = True
    return MagnetoData(data.b[keep], data.dy[keep], data.sigma[keep], quantity, data.meta)


def diffusion_from_sheet_resistance(r_sq_ohm: float, mass: float, g_s: int = 2) -> float:
    """Diffusion constant [m^2/s] of a 2D metal from its sheet resistance (Einstein relation).

        D = sigma / (e^2 nu),  nu = g_s m* / (2 pi hbar^2)  =>  D = 2 pi hbar^2 / (g_s m* e^2 R_sq)

    Parameters
    ----------
    r_sq_ohm : float
        Sheet resistance [Ohm].
    mass : float
        Effective mass m*/m_e.
    g_s : int
        Spin degeneracy (2 for ordinary metals and 2DEGs).
    """
    if not (r_sq_ohm > 0 and mass > 0):
        raise ValueError(f"need R_sq > 0 Ohm and m* > 0, got {r_sq_ohm}, {mass}")
    return 2 * np.pi * sc.hbar**2 / (g_s * mass * sc.m_e * sc.e**2 * r_sq_ohm)


def mean_free_path_from_sheet_resistance(r_sq_ohm: float, density_m2: float, g_s: int = 2):
    """Mean free path [m] from sigma = (g_s/2)(e^2/h) k_F l, k_F = sqrt(4 pi n / g_s)."""
    if not (r_sq_ohm > 0 and density_m2 > 0):
        raise ValueError(f"need R_sq > 0 Ohm and n > 0, got {r_sq_ohm}, {density_m2}")
    k_f = math.sqrt(4 * np.pi * density_m2 / g_s)
    return (2 / g_s) / (r_sq_ohm * G0 * k_f)
