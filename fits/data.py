"""Magnetoconductance from measured files and simulated datasets, in declared units.

Two steps:

1. :func:`read_measurement` reads a file (``fits.io``) and converts its data
   to conductance traces in e^2/h versus field in tesla: columns chosen by
   name or index, units from the header or from options (``fits.units``),
   resistances inverted, voltages divided by the excitation current,
   geometry applied (the number of squares L/W, or a width and length, or a
   thickness for a resistivity); sweeps split where the field turns, and
   traces grouped by temperature when the file has a temperature column.
2. :func:`magnetoconductance` averages the traces (in conductance: the
   ensemble average that suppresses fluctuations; their spread is the error
   bar), estimates the field offset, symmetrizes in B about it onto a
   common grid, and refers the result to zero field by interpolation.

A two-terminal or four-terminal longitudinal trace of a time-reversal
invariant sample is even in B (Onsager); the odd part is Hall pickup or
misalignment and is reported, not fitted.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import interpolate, optimize

from cooperon.constants import G0, HBAR

from .io import RawTable, read_file
from .units import DATA_UNITS, FIELD_UNITS, parse_unit

__all__ = [
    "MagnetoData",
    "Measurement",
    "diffusion_from_sheet_resistance",
    "estimate_offset",
    "from_dataset",
    "graphene_diffusion",
    "magnetoconductance",
    "mean_free_path_from_sheet_resistance",
    "read_measurement",
    "temperature_from_name",
]

_FIELD_NAME = re.compile(r"(?i)(magnetic\s*field|^field|^b(_?(perp|par|z|x|y))?$|^bfield|^h$)")
_DATA_NAME = re.compile(
    r"(?i)(resist|^r(_?(xx|sq|s))?$|^rxx|conduct|^g(_?xx)?$|sigma|^d?sigma|^dg$|bridge|lock.?in|^v)"
)
_TEMP_NAME = re.compile(r"(?i)(^temp|temperature|^t$|^t_|^t\s)")
_REFERENCED_NAME = re.compile(r"(?i)^(d|delta[ _]?)(sigma|g|σ)")
_SHEET_NAME = re.compile(r"(?i)^(d|delta[ _]?)?(sigma|σ)")


@dataclass(frozen=True)
class Measurement:
    """Conductance traces from a file, converted but not symmetrized.

    Attributes
    ----------
    b : list of ndarray
        Field of each trace [T], in the order measured.
    g : list of ndarray
        Conductance of each trace [e^2/h]: per square (``quantity ==
        "sheet"``), of the sample (``"total"``), or up to an unknown factor
        (``"scaled"``, geometry unknown: only field scales can be fitted).
    quantity : {"sheet", "total", "scaled"}
    temperature : ndarray
        Temperature of each trace [K] (NaN where unknown).
    direction : list of str
        "up", "down" or "" (a map) for each trace.
    referenced : bool
        The data are already a change relative to zero field (dsigma, dG).
    zero_field_resistance : float or None
        The resistance at the smallest abs(B) [Ohm], per square for sheet data.
    meta : dict
        What was read and chosen, and why (columns, units, geometry,
        skipped lines).
    """

    b: list
    g: list
    quantity: str
    temperature: np.ndarray
    direction: list
    referenced: bool = False
    zero_field_resistance: float | None = None
    meta: dict = field(default_factory=dict)

    def at(self, temperature: float, rtol: float = 0.02) -> Measurement:
        """The traces measured at ``temperature`` [K] (within ``rtol``)."""
        keep = np.flatnonzero(np.isclose(self.temperature, temperature, rtol=rtol))
        if keep.size == 0:
            raise ValueError(
                f"no trace at {temperature:g} K; the file has {sorted(set(self.temperatures))} K"
            )
        return replace(self, b=[self.b[k] for k in keep], g=[self.g[k] for k in keep],
                       temperature=self.temperature[keep],
                       direction=[self.direction[k] for k in keep])  # fmt: skip

    @property
    def temperatures(self) -> list[float]:
        """The distinct temperatures of the traces [K] (rounded to 0.1 mK)."""
        t = self.temperature[np.isfinite(self.temperature)]
        return sorted({round(float(x), 4) for x in t})


@dataclass(frozen=True)
class MagnetoData:
    """Symmetrized magnetoconductance versus field.

    Attributes
    ----------
    b : ndarray
        Field, >= 0 and increasing [T] (measured from the field offset).
    dy : ndarray
        y(B) - y(0) [e^2/h]: sheet magnetoconductance dsigma (``quantity ==
        "sheet"``), total dG (``"total"``) or a change up to a factor
        (``"scaled"``).
    sigma : ndarray or None
        Standard errors of ``dy`` [e^2/h], when known (spread over traces
        or realizations).
    quantity : {"sheet", "total", "scaled"}
    cov : ndarray or None
        Covariance of ``dy`` across fields [(e^2/h)^2] estimated from the
        traces or realizations (the errors of a fit follow from it).
    cov_invertible : bool
        Whether there are enough samples (fields + 10) for its inverse, and
        so a correlated chi^2, to mean something.
    meta : dict
        Source, units, conversions, offset and odd part, traces averaged.
    """

    b: np.ndarray
    dy: np.ndarray
    sigma: np.ndarray | None
    quantity: str
    meta: dict = field(default_factory=dict)
    cov: np.ndarray | None = None
    cov_invertible: bool = False

    def minus(self, other: MagnetoData) -> MagnetoData:
        """This curve minus ``other`` interpolated onto its fields (a background reference)."""
        if other.quantity != self.quantity:
            raise ValueError(f"cannot subtract {other.quantity} data from {self.quantity} data")
        if other.b.max() < self.b.max() * (1 - 1e-9):
            keep = self.b <= other.b.max()
        else:
            keep = np.ones(self.b.shape, bool)
        ref = np.interp(self.b[keep], other.b, other.dy)
        sig = None
        if self.sigma is not None:
            o = np.interp(self.b[keep], other.b, other.sigma) if other.sigma is not None else 0
            sig = np.hypot(self.sigma[keep], o)
        meta = dict(self.meta, subtracted=other.meta.get("label", other.meta.get("source", "")))
        return MagnetoData(self.b[keep], self.dy[keep] - ref, sig, self.quantity, meta)


# -- reading ---------------------------------------------------------------------------


def temperature_from_name(name: str) -> float | None:
    """Temperature [K] in a file name: "2K.csv", "300mK", "1p5K", "T=4.2K" (None if absent)."""
    m = re.search(r"(?i)(?<![a-z0-9])(\d+(?:[.p]\d+)?)\s*(mk|k)(?![a-z])", Path(name).stem)
    if not m:
        return None
    value = float(m.group(1).replace("p", "."))
    return value * (1e-3 if m.group(2).lower() == "mk" else 1.0)


def _pick(table: RawTable, key, what: str, flag: str):
    """Index of a column given by name or 0-based index."""
    if key is None:
        return None
    if isinstance(key, str) and key.strip().lstrip("-").isdigit():
        key = int(key)
    if isinstance(key, (int, np.integer)):
        if not -len(table.names) <= key < len(table.names):
            raise ValueError(
                f"{what} column {key} does not exist: {table.path} has {len(table.names)} "
                f"columns (0..{len(table.names) - 1}); fix {flag}"
            )
        return int(key) % len(table.names)
    if key in table.names:
        return table.names.index(key)
    low = [n.lower() for n in table.names]
    if key.lower() in low:
        return low.index(key.lower())
    raise ValueError(
        f"no {what} column named {key!r} in {table.path}; columns are {table.names}: fix {flag}"
    )


def _unit_of(table, col, override, what, flag, accepted):
    text = override or table.units[col]
    if not text:
        name = table.names[col]
        raise ValueError(
            f"the {what} column {name!r} of {table.path} has no unit: give {flag} "
            f"({', '.join(accepted)})"
        )
    try:
        return parse_unit(text)
    except ValueError as exc:
        raise ValueError(
            f"{exc} ({what} column {table.names[col]!r}); give {flag} with one of {', '.join(accepted)}"
        ) from None


def _guess_columns(table: RawTable, field_col, data_cols, temp_col):
    """Choose field, data and temperature columns by unit and name; say why."""
    why = {}
    kinds = []
    for u in table.units:
        try:
            kinds.append(parse_unit(u).kind if u else None)
        except ValueError:
            kinds.append(None)
    finite = [np.isfinite(table.data[:, k]).any() for k in range(len(table.names))]
    if field_col is None:
        by_unit = [k for k, kind in enumerate(kinds) if kind == "field" and finite[k]]
        by_name = [k for k, n in enumerate(table.names) if _FIELD_NAME.search(n) and finite[k]]
        pick = (by_unit + by_name)[:1]
        if not pick:
            if not table.has_names:
                raise ValueError(
                    f"{table.path} has no column names: choose the columns with --field-column "
                    "and --data-column (0-based indices) and give their units with --field-unit "
                    "and --data-unit"
                )
            raise ValueError(
                f"no field column found in {table.path} (columns: {table.names}); choose it "
                "with --field-column"
            )
        field_col = pick[0]
        why["field_column"] = "unit" if by_unit else "name"
    if data_cols is None:
        data_kinds = {"resistance", "sheet_resistance", "resistivity", "conductance",
                      "sheet_conductance", "voltage"}  # fmt: skip
        by_unit = [k for k, kind in enumerate(kinds) if kind in data_kinds and finite[k]]
        by_name = [k for k, n in enumerate(table.names) if _DATA_NAME.search(n) and finite[k]]
        found = [k for k in by_unit + by_name if k != field_col]
        found = list(dict.fromkeys(found))
        if not found:
            if not table.has_names:
                raise ValueError(
                    f"{table.path} has no column names: choose the data column with "
                    "--data-column (a 0-based index) and its unit with --data-unit"
                )
            raise ValueError(
                f"no resistance or conductance column found in {table.path} (columns: "
                f"{table.names}); choose it with --data-column"
            )
        data_cols = found[:1]
        why["data_column"] = ("unit" if by_unit else "name") + (
            f"; also found {[table.names[k] for k in found[1:]]}" if len(found) > 1 else ""
        )
    if temp_col is None and table.has_names:
        cands = [k for k, n in enumerate(table.names)
                 if (kinds[k] == "temperature" or _TEMP_NAME.search(n)) and finite[k]
                 and k != field_col and k not in data_cols]  # fmt: skip
        if cands:
            temp_col = cands[0]
            why["temperature_column"] = "name or unit"
    return field_col, data_cols, temp_col, why


def read_measurement(
    path,
    *,
    field_column=None,
    data_column=None,
    temperature_column=None,
    field_unit: str | None = None,
    data_unit: str | None = None,
    field_axis=None,
    transpose: bool = False,
    current: float | None = None,
    squares: float | None = None,
    width: float | None = None,
    length: float | None = None,
    thickness: float | None = None,
    quantity: str = "sheet",
    free_amplitude: bool = False,
    referenced: bool | None = None,
    temperature: float | None = None,
    strict: bool = False,
) -> Measurement:
    """Read a measured file into conductance traces [e^2/h] versus field [T].

    Parameters
    ----------
    path : str or Path
        A Quantum Design ``.dat`` file, a delimited table, or a 2D array
        (see ``fits.io``).
    field_column, data_column, temperature_column : str or int, optional
        Columns by name or 0-based index; ``data_column`` may be a list
        (several traces). Default: chosen by unit and name (the choice is
        recorded in ``meta``).
    field_unit, data_unit : str, optional
        Units (T, mT, G, kG, Oe, kOe; Ohm, kOhm, Ohm/sq, Ohm cm, Ohm m, S,
        uS, e^2/h, V, ...), overriding the header.
    field_axis : (start, stop) or (start, stop, num), optional
        For a 2D array without a field row: the field of its columns, in
        ``field_unit`` (evenly spaced).
    transpose : bool
        A 2D array whose columns (not rows) are the traces.
    current : float, optional
        Excitation current [A] to turn a measured voltage into a resistance.
    squares : float, optional
        Number of squares L/W between the voltage probes (R = R_sq L/W).
    width, length : float, optional
        Sample width and probe distance [m] (instead of ``squares``).
    thickness : float, optional
        Film thickness [m] for a resistivity (R_sq = rho / t).
    quantity : {"sheet", "total"}
        What the fit needs: a sheet conductance (films) or the sample's
        conductance (wires, finite devices).
    free_amplitude : bool
        Geometry unknown: keep the conductance as it is ("scaled"; fit the
        field scales with a free amplitude).
    referenced : bool, optional
        The data are already a change relative to zero field (default:
        from the column name, e.g. ``dsigma``).
    temperature : float, optional
        Temperature [K] of a file without a temperature column (default:
        from the file name, e.g. ``300mK``).
    strict : bool
        An unreadable line is an error instead of being skipped.
    """
    table = read_file(path, strict=strict)
    meta = {"source": str(path), "format": table.describe(), "skipped_lines": table.skipped}
    if squares is None and width is not None and length is not None:
        if not (width > 0 and length > 0):
            raise ValueError(f"width and length must be > 0 m, got {width}, {length}")
        squares = length / width
        meta["squares_from"] = "width and length"
    if squares is not None and not squares > 0:
        raise ValueError(f"the number of squares L/W must be > 0, got {squares}")
    if table.layout == "rows":
        b, traces, units = _rows_layout(table, field_unit, data_unit, field_axis, transpose)
        temps = None
        meta["layout"] = f"2D array: {len(traces)} traces of {b.size} fields"
        bs, directions = [b] * len(traces), [""] * len(traces)
        data_name = "array"
    else:
        if isinstance(data_column, (str, int)):
            data_column = [data_column]
        f = _pick(table, field_column, "field", "--field-column")
        ds = None if data_column is None else [
            _pick(table, c, "data", "--data-column") for c in data_column
        ]  # fmt: skip
        t = _pick(table, temperature_column, "temperature", "--temperature-column")
        f, ds, t, why = _guess_columns(table, f, ds, t)
        meta["columns_chosen_by"] = why
        fu = _unit_of(table, f, field_unit, "field", "--field-unit", FIELD_UNITS)
        if fu.kind != "field":
            raise ValueError(
                f"the field column {table.names[f]!r} has unit {fu.text!r}, not a field; give "
                f"--field-unit ({', '.join(FIELD_UNITS)}) or choose another --field-column"
            )
        col_units = [_unit_of(table, d, data_unit, "data", "--data-unit", DATA_UNITS) for d in ds]
        rows = np.isfinite(table.data[:, f])
        for d in ds:
            rows &= np.isfinite(table.data[:, d])
        dropped = table.lines[~rows].tolist()
        if dropped:
            meta["rows_without_values"] = dropped[:20] + (["..."] if len(dropped) > 20 else [])
        b_all = table.data[rows, f] * fu.factor
        temps = None if t is None else table.data[rows, t] * _temperature_factor(table, t)
        groups = _temperature_groups(temps) if temps is not None else [np.arange(b_all.size)]
        bs, traces, units, directions, tlist = [], [], [], [], []
        for grp in groups:
            for seg, direction in _sweeps(b_all[grp]):
                idx = grp[seg]
                for d, u in zip(ds, col_units):
                    bs.append(b_all[idx])
                    traces.append(table.data[rows, d][idx])
                    units.append(u)
                    directions.append(direction)
                    tlist.append(np.nan if temps is None else float(np.median(temps[idx])))
        temps = np.array(tlist)
        meta["field_column"] = f"{table.names[f]} [{fu.text}]"
        meta["data_columns"] = [f"{table.names[d]} [{u.text}]" for d, u in zip(ds, col_units)]
        if len(traces) > 1:
            kinds = ", ".join(sorted({d for d in directions if d}))
            meta["traces"] = f"{len(traces)} traces ({kinds} sweeps)"
        data_name = table.names[ds[0]]
    if temps is None or not np.isfinite(temps).any():
        if temperature is None:
            temperature = temperature_from_name(Path(path).name)
            if temperature is not None:
                meta["temperature_from"] = "file name"
        temps = np.full(len(traces), np.nan if temperature is None else float(temperature))
    if referenced is None:
        referenced = bool(_REFERENCED_NAME.search(data_name))
    if _SHEET_NAME.search(data_name):  # "sigma", "dsigma": a conductance per square
        units = [replace(u, kind="sheet_conductance") if u.kind == "conductance" else u
                 for u in units]  # fmt: skip
    g, q, r0 = _to_conductance(bs, traces, units, current, squares, thickness, quantity,
                               free_amplitude, referenced, meta)  # fmt: skip
    return Measurement(bs, g, q, np.asarray(temps, float), directions, referenced, r0, meta)


def _temperature_factor(table, col) -> float:
    unit = table.units[col]
    if not unit:
        return 1.0  # kelvin
    u = parse_unit(unit)
    if u.kind != "temperature":
        raise ValueError(f"the temperature column {table.names[col]!r} has unit {unit!r}")
    return u.factor


def _temperature_groups(temps):
    """Row indices grouped by temperature (a series in one file), in file order."""
    order = np.argsort(temps, kind="stable")
    sorted_t = temps[order]
    gaps = np.diff(sorted_t) > np.maximum(0.05, 0.03 * sorted_t[1:])
    labels = np.empty(temps.size, int)
    labels[order] = np.concatenate([[0], np.cumsum(gaps)])
    return [np.flatnonzero(labels == k) for k in range(labels.max() + 1)]


def _sweeps(b):
    """Split a field record where the sweep turns: [(indices, "up"|"down")]."""
    n = b.size
    if n < 3:
        return [(np.arange(n), "up")]
    step = np.sign(np.diff(b))
    # ignore isolated jitter: a turn must last at least 3 points (or 2% of the record)
    keep = max(3, n // 50)
    segs, start = [], 0
    cur = _direction(step[:keep])
    k = 1
    while k < len(step):
        if step[k] != 0 and step[k] != cur and np.all(step[k : k + keep] == step[k]):
            segs.append((np.arange(start, k + 1), cur))
            start, cur = k, step[k]
        k += 1
    segs.append((np.arange(start, n), cur))
    return [(idx, "up" if d >= 0 else "down") for idx, d in segs if idx.size >= 4] or [
        (np.arange(n), "up")
    ]


def _direction(steps) -> float:
    s = np.sign(np.sum(steps))
    return s if s != 0 else 1.0


def _rows_layout(table, field_unit, data_unit, field_axis, transpose):
    a = table.data.T if transpose else table.data
    if not field_unit:
        raise ValueError(
            f"{table.path} is a 2D array of {a.shape[0]} rows x {a.shape[1]} columns without "
            f"names: give the field unit with --field-unit ({', '.join(FIELD_UNITS)})"
        )
    if not data_unit:
        raise ValueError(
            f"{table.path} is a 2D array without names: give the data unit with --data-unit "
            f"({', '.join(DATA_UNITS)})"
        )
    fu, du = parse_unit(field_unit), parse_unit(data_unit)
    if fu.kind != "field":
        raise ValueError(
            f"--field-unit {field_unit!r} is not a field unit ({', '.join(FIELD_UNITS)})"
        )
    if field_axis is not None:
        if len(field_axis) not in (2, 3):
            raise ValueError("--field-axis is START:STOP or START:STOP:NUM (in --field-unit)")
        num = int(field_axis[2]) if len(field_axis) == 3 else a.shape[1]
        if num != a.shape[1]:
            raise ValueError(
                f"--field-axis has {num} points but each trace of {table.path} has {a.shape[1]}"
                + ("" if transpose else "; if the traces are the columns, add --transpose")
            )
        b = np.linspace(float(field_axis[0]), float(field_axis[1]), num) * fu.factor
        traces = list(a)
    else:
        first = a[0]
        if (
            a.shape[0] > 1
            and np.all(np.isfinite(first))
            and (np.all(np.diff(first) > 0) or np.all(np.diff(first) < 0))
        ):
            b, traces = first * fu.factor, list(a[1:])
        else:
            raise ValueError(
                f"{table.path} is a 2D array of {a.shape[0]} rows x {a.shape[1]} columns whose "
                "first row is not a field axis: give the field of the columns with "
                "--field-axis START:STOP (in --field-unit)"
                + ("" if transpose else ", or --transpose if the traces are the columns")
            )
    return b, traces, [du] * len(traces)


def _to_conductance(bs, traces, units, current, squares, thickness, quantity, free, referenced,
                    meta):  # fmt: skip
    """Traces to conductance [e^2/h] of the requested quantity; the zero-field resistance [Ohm]."""
    out, native = [], None
    r0 = None
    steps = []
    for b, y, u in zip(bs, traces, units):
        y = np.asarray(y, float) * u.factor
        kind = u.kind
        if kind == "voltage":
            if current is None:
                raise ValueError(
                    f"the data are a voltage ({u.text}): give the excitation current "
                    "--current-nA to turn it into a resistance (R = V / I)"
                )
            y, kind = y / current, "resistance"
            steps.append(f"R = V / {current:g} A")
        if kind == "resistivity":
            if thickness is None:
                raise ValueError(
                    f"the data are a resistivity ({u.text}): give the film thickness "
                    "--thickness-nm to turn it into a sheet resistance (R_sq = rho / t)"
                )
            y, kind = y / thickness, "sheet_resistance"
            steps.append(f"R_sq = rho / {thickness:g} m")
        if kind in ("resistance", "sheet_resistance"):
            if referenced:
                raise ValueError(
                    "a referenced resistance change cannot be turned into a conductance change "
                    "without the zero-field resistance: give the resistance itself"
                )
            if np.any(y <= 0):
                raise ValueError(f"the resistance ({u.text}) has values <= 0")
            if r0 is None:
                r0 = float(y[np.argmin(np.abs(b))])
            y = 1.0 / (y * G0)
            kind = "conductance" if kind == "resistance" else "sheet_conductance"
            steps.append("G = 1 / R")
        elif kind not in ("conductance", "sheet_conductance"):
            raise ValueError(
                f"the data unit {u.text!r} is a {kind}, not a resistance or conductance"
            )
        this = "sheet" if kind == "sheet_conductance" else "total"
        native = native or this
        out.append(y)
    want = quantity
    if native != want:
        if squares is not None:
            factor = squares if want == "sheet" else 1 / squares
            out = [y * factor for y in out]
            steps.append(
                f"{'sigma = G L/W' if want == 'sheet' else 'G = sigma W/L'} with L/W = {squares:g}"
            )
            if r0 is not None and native == "total":
                r0 = r0 / squares  # per square
        elif free:
            want = "scaled"
            steps.append("geometry unknown: fitted up to a free amplitude")
        else:
            have = (
                "a resistance"
                if units[0].kind in ("resistance", "voltage")
                else f"a {native} conductance"
            )
            raise ValueError(
                f"the data are {have} of the sample; the {want} conductance needs the number of "
                "squares --squares L/W between the voltage probes (or --width-nm and "
                "--length-nm), or --free-amplitude to fit the field scales only"
            )
    meta["conversion"] = "; ".join(dict.fromkeys(steps)) or "none"
    meta["quantity"] = want
    return out, want, r0


# -- to a magnetoconductance ----------------------------------------------------------------


def _common_grid(bs):
    """An even field grid [T] covering the range all traces share, at their median step."""
    steps = np.concatenate([np.abs(np.diff(np.sort(b))) for b in bs])
    steps = steps[steps > 0]
    if steps.size == 0:
        raise ValueError("the traces hold a single field value")
    h = float(np.median(steps))
    lo = max(float(np.min(b)) for b in bs)
    hi = min(float(np.max(b)) for b in bs)
    if hi <= lo:
        raise ValueError("the traces share no common field range")
    if all(b.shape == bs[0].shape and np.allclose(b, bs[0]) for b in bs) and np.allclose(
        np.diff(np.sort(bs[0])), h, rtol=1e-6
    ):
        return np.sort(bs[0]), h
    n = math.floor((hi - lo) / h + 1e-9) + 1
    return lo + h * np.arange(n), h


def _spline(b, y):
    """Interpolant of a trace (cubic spline, exact at the data; linear below 4 points)."""
    order = np.argsort(b, kind="stable")
    b, y = b[order], y[order]
    ub, inv = np.unique(b, return_inverse=True)
    if ub.size < b.size:  # repeated fields: their mean
        y = np.bincount(inv, weights=y) / np.bincount(inv)
        b = ub
    if b.size < 4:
        return lambda x: np.interp(x, b, y)
    return interpolate.CubicSpline(b, y)  # used inside the data range (ends: rounding only)


def _on_grid(b, y, grid):
    return _spline(b, y)(grid)


def _odd_cost(b0, grid, g, h, spline=None):
    xmax = min(grid[-1] - b0, b0 - grid[0])
    if xmax < 4 * h:
        return np.inf
    x = np.arange(0, xmax, h)
    f = spline or _spline(grid, g)
    odd = 0.5 * (f(b0 + x) - f(b0 - x))
    # remove a term linear in B (Hall pickup is odd and linear): what is left is the offset's
    c = (x @ odd) / (x @ x) if x @ x > 0 else 0.0
    r = odd - c * x
    return float(r @ r) / x.size


#: Traces needed before their spread is used as the error bar of their mean.
MIN_TRACES_FOR_ERRORS = 5
#: The offset is estimated from abs(B) up to this fraction of the sweep (the sharp low-field part).
OFFSET_WINDOW = 0.5
#: ... and searched within this fraction of the sweep.
OFFSET_RANGE = 0.15


def _mean_trace(meas: Measurement):
    grid, h = _common_grid(meas.b)
    ys = np.array([_on_grid(b, y, grid) for b, y in zip(meas.b, meas.g)])
    return grid, h, ys


def estimate_offset(*measurements: Measurement) -> float:
    """The field offset [T]: the shift about which the traces are most nearly even.

    The odd part of the averaged trace g(B0 + x), after removing its part
    linear in x (Hall pickup), is minimized over B0 for abs(x) up to
    ``OFFSET_WINDOW`` of the sweep (where the weak-localization cusp, the
    feature most sensitive to an offset, lives), abs(B0) up to
    ``OFFSET_RANGE`` of it. Several measurements (a temperature series on one
    magnet) share one offset: their costs, each normalized to its minimum,
    are summed. Returns 0 when the traces have one field sign.
    """
    curves = []
    for meas in measurements:
        grid, h, ys = _mean_trace(meas)
        span = min(-grid[0], grid[-1])
        if span <= 8 * h:
            continue
        sub = np.abs(grid) <= OFFSET_WINDOW * span
        g_, y_ = grid[sub], ys.mean(axis=0)[sub]
        curves.append((g_, y_, h, span, _spline(g_, y_)))
    if not curves:
        return 0.0
    lim = OFFSET_RANGE * min(c[3] for c in curves)
    h = min(c[2] for c in curves)
    cand = np.arange(-lim, lim + h / 4, h / 4)

    def cost(b0):
        return sum(_odd_cost(b0, g_, y_, h_, f_) / norm
                   for (g_, y_, h_, _, f_), norm in zip(curves, norms))  # fmt: skip

    norms = [1.0] * len(curves)
    base = np.array([[_odd_cost(c, g_, y_, h_, f_) for c in cand] for g_, y_, h_, _, f_ in curves])
    norms = [max(float(np.min(row[np.isfinite(row)])), 1e-300) for row in base]
    total = np.sum(base / np.array(norms)[:, None], axis=0)
    c0 = cand[int(np.nanargmin(total))]
    res = optimize.minimize_scalar(cost, bounds=(c0 - h / 4, c0 + h / 4), method="bounded",
                                   options={"xatol": 1e-3 * h})  # fmt: skip
    return float(res.x)


def magnetoconductance(
    meas: Measurement,
    *,
    offset="auto",
    temperature: float | None = None,
    subtract: MagnetoData | None = None,
    label: str = "",
) -> MagnetoData:
    """Average, symmetrize and refer to zero field: the magnetoconductance of a measurement.

    Parameters
    ----------
    meas : Measurement
    offset : "auto", float or None
        Field offset [T] to remove before symmetrizing; "auto" estimates it
        from this measurement (:func:`estimate_offset`, which a series uses
        to estimate one offset from all its files); None or 0 keeps the
        field as measured. Reported in ``meta``.
    temperature : float, optional
        Use the traces at this temperature [K] only.
    subtract : MagnetoData, optional
        A reference curve to subtract (e.g. the highest temperature's, as a
        smooth background).
    """
    if temperature is not None:
        meas = meas.at(temperature)
    temps = meas.temperatures
    if len(temps) > 1:
        raise ValueError(
            f"the traces span several temperatures {temps} K: give temperature=, or fit them "
            "as a series (fits.series)"
        )
    grid, h, ys = _mean_trace(meas)
    meta = dict(meas.meta, n_traces=len(ys), grid_step_T=h)
    if temps:
        meta["temperature_K"] = temps[0]
    if label:
        meta["label"] = label
    both = grid[0] < 0 < grid[-1]
    if both:
        if offset == "auto":
            b0 = estimate_offset(meas)
            meta["field_offset_T"] = b0
            meta["field_offset_from"] = "estimated (the shift that minimizes the odd part)"
        else:
            b0 = float(offset or 0.0)
            meta["field_offset_T"] = b0
            meta["field_offset_from"] = "given"
        xmax = min(grid[-1] - b0, b0 - grid[0])
        x = np.arange(0.0, xmax * (1 - 1e-12), h)
        even = 0.5 * (_interp_rows(b0 + x, grid, ys) + _interp_rows(b0 - x, grid, ys))
        odd = 0.5 * (_interp_rows(b0 + x, grid, ys) - _interp_rows(b0 - x, grid, ys))
        odd_mean = odd.mean(axis=0)
        meta["symmetrized"] = True
        meta["odd_part_rms"] = float(np.sqrt(np.mean(odd_mean**2)))
        zero = even[:, :1]
    else:
        sign = 1.0 if grid[-1] > 0 else -1.0
        x = np.sort(np.abs(grid))
        even = np.array([np.interp(x, np.abs(grid)[:: int(sign)], y[:: int(sign)]) for y in ys])
        meta["symmetrized"] = False
        if x[0] > 0.5 * h and not meas.referenced:
            raise ValueError(
                f"the trace starts at |B| = {1e3 * x[0]:.3g} mT and has one field sign: it needs "
                "B = 0 or fields of both signs to refer it to zero field; if the data are already "
                "a change relative to zero field, pass --referenced"
            )
        zero = even[:, :1] if x[0] <= 0.5 * h else np.zeros((len(ys), 1))
        odd_mean = None
    dys = even if meas.referenced else even - zero
    meta["zero_field_value"] = float(np.mean(zero)) if not meas.referenced else None
    meta["referenced"] = bool(meas.referenced)
    dy = dys.mean(axis=0)
    sigma = cov = None
    invertible = False
    if len(ys) >= MIN_TRACES_FOR_ERRORS:
        sigma = dys.std(axis=0, ddof=1) / math.sqrt(len(ys))
        cov, invertible = _mean_covariance(dys, meta)
    elif len(ys) > 1:
        meta["errors"] = (f"{len(ys)} traces are too few for an error bar from their spread "
                          f"(needs {MIN_TRACES_FOR_ERRORS}): the fit scales errors by its residuals")  # fmt: skip
    keep = np.ones(x.shape, bool)
    if not meas.referenced:  # dy(0) = 0 by construction: no information
        keep[0] = False
        if sigma is not None:
            keep &= sigma > 0
    if sigma is not None and not np.all(sigma[keep] > 0):
        sigma = None
        cov = None
    out = MagnetoData(x[keep], dy[keep], None if sigma is None else sigma[keep], meas.quantity,
                      meta, None if cov is None else cov[np.ix_(keep, keep)], invertible)  # fmt: skip
    if odd_mean is not None:
        rng = float(np.ptp(dy)) or 1.0
        out.meta["odd_part_relative"] = out.meta["odd_part_rms"] / rng
    if subtract is not None:
        out = out.minus(subtract)
    return out


def _interp_rows(x, grid, ys):
    return np.array([_spline(grid, y)(x) for y in ys])


def _mean_covariance(samples, meta):
    """(covariance of the mean over samples (rows), whether it may be inverted).

    With more samples than points + 10 it is Hartlap-corrected for use in its
    inverse; with fewer it serves the errors only (the sandwich formula does
    not invert it).
    """
    n, p = samples.shape
    s = np.cov(samples, rowvar=False, ddof=1) / n
    if n < p + 10:
        meta["covariance"] = (f"from {n} samples over {p} fields: for the errors only (a "
                              f"correlated chi^2 needs {p + 10})")  # fmt: skip
        return s, False
    # the inverse of a sample covariance is biased high by (n - 1)/(n - p - 2) (Hartlap et al. 2007)
    meta["covariance"] = f"from {n} samples over {p} fields (Hartlap-corrected)"
    return s * (n - 1) / (n - p - 2), True


def from_dataset(
    ds, *, quantity: str = "sheet", energy_index: int = 0, axis: str = "b_perp"
) -> MagnetoData:
    """Magnetoconductance of a cooperon sweep dataset (``transport.sweep``).

    Per realization: G(B) - G(B0) (B0 the field closest to zero), averaged
    over +-B when both signs were swept; then the mean over realizations
    with its standard error and, with enough realizations, the covariance
    across fields (neighbouring fields share realizations, so their errors
    are correlated: generalized least squares then gives a meaningful
    chi^2). ``quantity="sheet"`` turns the two-terminal dG into
    dsigma = dG L/W with the device sizes of the dataset. Reads the dataset
    with xarray only; no Kwant.
    """
    spec = json.loads(ds.attrs["device_spec"])
    if axis not in ("b_perp", "b_par"):
        raise ValueError(f"axis is 'b_perp' or 'b_par', got {axis!r}")
    g = ds["G"]
    sel = {}
    for d in g.dims:
        if d == "energy":
            sel[d] = energy_index
        elif d not in (axis, "realization"):
            sel[d] = int(np.argmin(np.abs(ds[d].values)))
    g = np.asarray(g.isel(sel).transpose("realization", axis).values, float)
    b = np.asarray(ds[axis].values, float)
    if b.size < 2:
        raise ValueError(
            f"the dataset has a single {axis} value: it was swept along the other field"
        )
    x = _distinct(np.abs(b))
    per = np.array([0.5 * (np.interp(x, b, row) + np.interp(-x, b, row)) if b.min() < 0 < b.max()
                    else np.interp(x, np.abs(b), row) for row in g])  # fmt: skip
    dg = per - per[:, :1]
    if quantity == "sheet":
        dg = dg * spec["length"] / spec["width"]
    n = len(dg)
    meta = dict(source="cooperon dataset", device=spec, quantity=quantity, n_traces=n,
                symmetrized=bool(b.min() < 0 < b.max()))  # fmt: skip
    if "diffusion_m2s" in ds.attrs:
        meta["diffusion_m2s"] = float(ds.attrs["diffusion_m2s"])
    if "mean_free_path_nm" in ds.attrs:
        meta["mean_free_path_nm"] = float(ds.attrs["mean_free_path_nm"])
    if "tau_phi_ps" in ds.attrs:
        meta["tau_phi_ps_input"] = float(ds.attrs["tau_phi_ps"])
    x, dg = x[1:], dg[:, 1:]  # dG(B0) = 0 exactly, per realization: no information
    sigma = dg.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else None
    cov, invertible = _mean_covariance(dg, meta) if n >= 3 else (None, False)
    meta["reference_point_dropped"] = True
    return MagnetoData(x, dg.mean(axis=0), sigma, quantity, meta, cov, invertible)


def _distinct(values, rtol=1e-9):
    """Sorted values with those closer than rtol of the largest merged (+-B grids in floating point)."""
    v = np.sort(np.asarray(values, float))
    tol = rtol * max(float(np.max(np.abs(v))), 1e-300)
    keep = np.concatenate([[True], np.diff(v) > tol])
    return v[keep]


# -- material estimates ------------------------------------------------------------------------


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
    from scipy import constants as sc

    if not (r_sq_ohm > 0 and mass > 0):
        raise ValueError(f"need R_sq > 0 Ohm and m* > 0, got {r_sq_ohm}, {mass}")
    return 2 * np.pi * HBAR**2 / (g_s * mass * sc.m_e * sc.e**2 * r_sq_ohm)


def mean_free_path_from_sheet_resistance(r_sq_ohm: float, density_m2: float, g_s: int = 2):
    """Mean free path [m] from sigma = (g_s/2)(e^2/h) k_F l, k_F = sqrt(4 pi n / g_s)."""
    if not (r_sq_ohm > 0 and density_m2 > 0):
        raise ValueError(f"need R_sq > 0 Ohm and n > 0, got {r_sq_ohm}, {density_m2}")
    k_f = math.sqrt(4 * np.pi * density_m2 / g_s)
    return (2 / g_s) / (r_sq_ohm * G0 * k_f)


def graphene_diffusion(
    fermi_velocity: float,
    *,
    density: float | None = None,
    mobility: float | None = None,
    r_sq_ohm: float | None = None,
) -> float:
    """Diffusion constant [m^2/s] of graphene, D = v_F l / 2 (g_s g_v = 4).

    The mean free path from the density n [m^-2] with either the mobility
    mu [m^2/(V s)] (l = hbar k_F mu / e) or the sheet resistance
    (sigma = 2 (e^2/h) k_F l); k_F = sqrt(pi n).
    """
    from scipy import constants as sc

    if not fermi_velocity > 0:
        raise ValueError(f"the Fermi velocity must be > 0 m/s, got {fermi_velocity}")
    if density is None or not density > 0:
        raise ValueError("graphene's D needs the carrier density (--density-cm2) with the "
                         "mobility or the sheet resistance")  # fmt: skip
    k_f = math.sqrt(np.pi * density)
    if mobility is not None:
        ell = HBAR * k_f * mobility / sc.e
    elif r_sq_ohm is not None:
        ell = 1 / (2 * r_sq_ohm * G0 * k_f)
    else:
        raise ValueError("graphene's D needs the mobility (--mobility-cm2) or the sheet resistance")
    return fermi_velocity * ell / 2
