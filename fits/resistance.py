"""R(T): the logarithmic resistance rise on cooling, split into weak localization and interactions.

In a 2D film at low temperature the sheet conductance [e^2/h] falls
logarithmically on cooling (reference sheet, "Temperature"):

    sigma(T, 0)   = c_0 + [alpha p g_s/(2 pi) + A_ee] ln(T / 1 K)    zero field
    sigma(T, B_q) = c_q + A_ee ln(T / 1 K)                           B_q >> B_phi

with the weak-localization slope alpha p g_s / (2 pi) (tau_phi ~ T^-p) and
the Altshuler-Aronov interaction slope A_ee = (g_s/2)(1/pi)(1 - 3 F/4),
which a perpendicular field does not touch. A field of many B_phi quenches
weak localization; the difference of the two slopes is the weak-localization
part, alpha p, and the quenched slope is the interaction part, F.

:func:`split_resistance` does this for measured R(T) curves (sheet
resistance, or resistance with the number of squares); :func:`log_slope`
gives the slope of paired per-realization simulated curves. A Landauer
simulation has no electron-electron interaction: its quenched-field slope
measures what else changes with T (with Buttiker probes, the momentum
relaxation the probes add, like phonons do in a metal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import lmfit
import numpy as np

from cooperon.constants import R0

from .result import json_safe

__all__ = ["RTSplit", "log_slope", "read_rt", "split_resistance"]


def log_slope(temperatures, values) -> tuple[float, float]:
    """d value / d ln T with its standard error.

    ``values`` is (temperature,) for one curve, or (temperature, realization)
    for curves of the same realizations at every temperature: then each
    realization's least-squares slope is taken and the error is the standard
    error of their mean (the realizations are independent; the
    temperatures of one realization are not).
    """
    t = np.asarray(temperatures, float)
    y = np.asarray(values, float)
    if t.ndim != 1 or t.size < 2 or np.any(~(t > 0)):
        raise ValueError(f"need at least two positive temperatures [K], got {t.tolist()}")
    if y.shape[0] != t.size:
        raise ValueError(f"{y.shape[0]} values for {t.size} temperatures")
    x = np.log(t)
    if y.ndim == 1:
        if t.size < 3:
            return float(np.polyfit(x, y, 1)[0]), math.nan
        coef, cov = np.polyfit(x, y, 1, cov=True)
        return float(coef[0]), float(math.sqrt(cov[0, 0]))
    slopes = np.polyfit(x, y, 1)[0]
    n = slopes.size
    return float(slopes.mean()), float(slopes.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan


def _line(t, sigma, err):
    """Weighted straight line sigma = c + s ln T (lmfit); errors scaled by the scatter when
    no measurement errors are given."""
    model = lmfit.models.LinearModel()
    x = np.log(t)
    params = model.guess(sigma, x=x)
    weights = None if err is None else 1 / np.asarray(err, float)
    r = model.fit(sigma, params, x=x, weights=weights, scale_covar=err is None)
    s = r.params["slope"]
    return s.value, (s.stderr if s.stderr is not None else math.nan), r


@dataclass
class RTSplit:
    """The split of R(T) into weak localization and interactions (slopes in e^2/h per ln K)."""

    temperatures: np.ndarray
    sigma_zero: np.ndarray
    sigma_quench: np.ndarray
    g_s: int
    slope_zero: tuple
    slope_quench: tuple
    wl_slope: tuple
    alpha_p: tuple
    f_screening: tuple
    p: tuple | None
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return json_safe(
            {
                "g_s": self.g_s,
                "temperatures_K": self.temperatures,
                "sheet_conductance_zero_e2h": self.sigma_zero,
                "sheet_conductance_quench_e2h": self.sigma_quench,
                **{f"{k}": v for k, v in self._pairs().items()},
                "notes": self.notes,
            }
        )

    def _pairs(self):
        out = {}
        for name in ("slope_zero", "slope_quench", "wl_slope", "alpha_p", "f_screening", "p"):
            v = getattr(self, name)
            out[name] = None if v is None else v[0]
            out[name + "_stderr"] = None if v is None else v[1]
        return out

    def report(self) -> str:
        def f(v):
            return f"{v[0]:.4g} +- {v[1]:.2g}"

        rows = [
            f"R(T) split over {self.temperatures.min():g}-{self.temperatures.max():g} K "
            f"(g_s = {self.g_s}; slopes of the sheet conductance in e^2/h per e-fold of T)",
            f"  zero field:        d sigma / d ln T = {f(self.slope_zero)}",
            f"  quenching field:   d sigma / d ln T = {f(self.slope_quench)}  (interactions)",
            f"  weak localization: {f(self.wl_slope)}  -> alpha p = {f(self.alpha_p)}",
            f"  interactions: 1 - 3F/4 = pi (2/g_s) slope -> F = {f(self.f_screening)}",
        ]
        if self.p is not None:
            rows.append(f"  with the given alpha: p = {f(self.p)}")
        rows += [f"  note {n}" for n in self.notes]
        return "\n".join(rows)

    def plot(self, path=None):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4.2))
        ax = fig.subplots()
        t = self.temperatures
        tt = np.geomspace(t.min(), t.max(), 50)
        for y, s, label, c in ((self.sigma_zero, self.slope_zero, "zero field", "C0"),
                               (self.sigma_quench, self.slope_quench, "quenching field", "C1")):  # fmt: skip
            ax.plot(t, y, "o", color=c, label=f"{label}: slope {s[0]:.3g} +- {s[1]:.2g}")
            c0 = np.mean(y - s[0] * np.log(t))
            ax.plot(tt, c0 + s[0] * np.log(tt), "-", color=c, lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("T [K]")
        ax.set_ylabel("sheet conductance [e^2/h]")
        ax.set_title(f"alpha p = {self.alpha_p[0]:.3g} +- {self.alpha_p[1]:.2g}, "
                     f"F = {self.f_screening[0]:.3g} +- {self.f_screening[1]:.2g}")  # fmt: skip
        ax.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig


def split_resistance(
    temperatures,
    r_zero_ohm,
    r_quench_ohm,
    *,
    squares: float = 1.0,
    g_s: int = 2,
    alpha: float | None = None,
    r_err_ohm=None,
) -> RTSplit:
    """Split a measured R(T) into its weak-localization and interaction slopes.

    Parameters
    ----------
    temperatures : array_like
        Temperatures [K] (at least three).
    r_zero_ohm, r_quench_ohm : array_like
        Resistance [Ohm] at zero field and in a perpendicular field that
        quenches weak localization (many B_phi at the lowest temperature),
        at the same temperatures.
    squares : float
        Number of squares L/W between the voltage probes: R_sq = R / squares
        (1 for a sheet resistance).
    g_s : int
        Spin degeneracy of the sample (2 for a metal film).
    alpha : float, optional
        The prefactor of the weak-localization correction (1, or -1/2 with
        strong spin-orbit); with it, the exponent p of tau_phi ~ T^-p.
    r_err_ohm : array_like, optional
        Standard errors of the resistances [Ohm]; without them the errors
        come from the scatter about the straight lines.

    Returns
    -------
    RTSplit
        Slopes of sigma = 1/R_sq [e^2/h] against ln T, the weak-localization
        slope (difference), alpha p = 2 pi slope / g_s, and the screening
        factor F from the quenched slope (g_s/2)(1/pi)(1 - 3F/4).
    """
    t = np.asarray(temperatures, float)
    rz, rq = np.asarray(r_zero_ohm, float), np.asarray(r_quench_ohm, float)
    if t.ndim != 1 or t.size < 3:
        raise ValueError(f"R(T) needs at least three temperatures, got {t.size}")
    if rz.shape != t.shape or rq.shape != t.shape:
        raise ValueError(
            f"{t.size} temperatures but {rz.size} zero-field and {rq.size} quenched resistances"
        )
    for name, a in (("temperature", t), ("zero-field resistance", rz), ("quenched resistance", rq)):
        bad = np.flatnonzero(~(np.isfinite(a) & (a > 0)))
        if bad.size:
            raise ValueError(f"{name} at row {bad[0] + 1} is {a[bad[0]]!r}: give positive numbers "
                             "(temperatures in K, resistances in Ohm)")  # fmt: skip
    if not squares > 0:
        raise ValueError(f"squares (L/W between the voltage probes) must be > 0, got {squares}")
    if g_s not in (1, 2):
        raise ValueError(f"g_s is the spin degeneracy, 1 or 2; got {g_s}")
    if np.ptp(np.log(t)) < math.log(2):
        raise ValueError(f"the temperatures span {t.min():g}-{t.max():g} K, less than a factor 2: "
                         "a logarithmic slope needs a wider range")  # fmt: skip
    order = np.argsort(t)
    t, rz, rq = t[order], rz[order], rq[order]
    err = None if r_err_ohm is None else np.asarray(r_err_ohm, float)[order]
    # sigma_sq = 1/R_sq in e^2/h: R0 / R_sq
    sz, sq = R0 * squares / rz, R0 * squares / rq
    ez = None if err is None else sz * err / rz
    eq = None if err is None else sq * err / rq
    s0, e0, _ = _line(t, sz, ez)
    s1, e1, _ = _line(t, sq, eq)
    # the two slopes come from different sweeps: independent errors
    wl = (s0 - s1, math.hypot(e0, e1))
    ap = (2 * math.pi * wl[0] / g_s, 2 * math.pi * wl[1] / g_s)
    # (g_s / 2)(1/pi)(1 - 3F/4) = s1  ->  F = (4/3)(1 - 2 pi s1 / g_s)
    f = ((4 / 3) * (1 - 2 * math.pi * s1 / g_s), (4 / 3) * 2 * math.pi * e1 / g_s)
    notes = []
    if not 0 <= f[0] <= 1 and abs(f[0] - np.clip(f[0], 0, 1)) > 2 * f[1]:
        notes.append(f"F = {f[0]:.3g} is outside 0..1: the quenched slope is not the 2D "
                     "interaction correction alone (phonons, Kondo, a field too weak to quench "
                     "weak localization, or a 3D sample)")  # fmt: skip
    p = None
    if alpha is not None:
        if alpha == 0:
            raise ValueError("alpha must be nonzero to give p")
        p = (ap[0] / alpha, abs(ap[1] / alpha))
    return RTSplit(t, sz, sq, g_s, (s0, e0), (s1, e1), wl, ap, f, p, notes)


def _column(raw, name, what, kinds):
    """Index of the column called ``name`` (case-insensitive), or the only one of ``kinds``."""
    names = [str(n) for n in raw.names]
    listing = ", ".join(f"{n!r} [{u}]" if u else repr(n) for n, u in zip(names, raw.units))
    if name is not None:
        low = [n.lower() for n in names]
        if name.lower() not in low:
            raise ValueError(f"{raw.path}: no column {name!r} for the {what}; the columns are "
                             f"{listing}")  # fmt: skip
        return low.index(name.lower())
    from .units import parse_unit

    found = []
    for k, u in enumerate(raw.units):
        try:
            if u and parse_unit(u).kind in kinds:
                found.append(k)
        except ValueError:
            continue
    if len(found) != 1:
        raise ValueError(f"{raw.path}: cannot tell which column is the {what} ({len(found)} "
                         f"candidates among {listing}); name it")  # fmt: skip
    return found[0]


def read_rt(path, *, temperature=None, zero=None, quench=None) -> dict:
    """Read a measured R(T) table: temperature, zero-field and quenched resistance.

    Columns are found by name (``temperature``, ``zero``, ``quench``;
    case-insensitive) or, for the temperature, as the only column with a
    temperature unit. Units come from the header (``T [mK]``, ``R0 (kOhm)``,
    ``Rxx [Ohm/sq]``) and are converted with pint; a resistance column
    without a unit is an error. Returns ``temperature_K``, ``r_zero_ohm``,
    ``r_quench_ohm``, ``sheet`` (both per square) and the file's notes.
    """
    from .io import read_file
    from .units import parse_unit

    raw = read_file(path)
    if raw.layout != "columns" or raw.data.shape[1] < 3:
        raise ValueError(f"{path}: an R(T) table needs three columns (temperature, zero-field "
                         "and quenched resistance)")  # fmt: skip
    it = _column(raw, temperature, "temperature", ("temperature",))
    if zero is None or quench is None:
        raise ValueError(f"{path}: name the zero-field and the quenched resistance columns "
                         "(--zero and --quench); the columns are "
                         + ", ".join(repr(str(n)) for n in raw.names))  # fmt: skip
    iz = _column(raw, zero, "zero-field resistance", ())
    iq = _column(raw, quench, "quenched resistance", ())
    out, kinds = {}, []
    for key, k, want in (("temperature_K", it, ("temperature",)),
                         ("r_zero_ohm", iz, ("resistance", "sheet_resistance")),
                         ("r_quench_ohm", iq, ("resistance", "sheet_resistance"))):  # fmt: skip
        unit = raw.units[k]
        if not unit:
            raise ValueError(f"{path}: column {raw.names[k]!r} has no unit; write it in the "
                             f"header, e.g. '{raw.names[k]} [{'K' if key == 'temperature_K' else 'Ohm'}]'")  # fmt: skip
        u = parse_unit(unit)
        if u.kind not in want:
            raise ValueError(f"{path}: column {raw.names[k]!r} is in {unit} ({u.kind}); the "
                             f"{key.split('_')[0]} column needs a {' or '.join(want)} unit")  # fmt: skip
        kinds.append(u.kind)
        out[key] = raw.data[:, k] * u.factor
    if kinds[1] != kinds[2]:
        raise ValueError(f"{path}: one resistance column is per square and the other is not")
    keep = np.all(np.isfinite(np.column_stack(list(out.values()))), axis=1)
    out = {k: v[keep] for k, v in out.items()}
    out["sheet"] = kinds[1] == "sheet_resistance"
    out["notes"] = [raw.describe()] + (
        [f"{int((~keep).sum())} row(s) with an empty field dropped"] if (~keep).any() else []
    )
    return out
