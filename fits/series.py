"""Temperature series: load several files, fit them jointly, and fit the dephasing law.

How such data are fitted in the literature: one magnetoconductance curve per
temperature, fitted together with the dephasing field per temperature and
the rest (spin-orbit fields, alpha, a background) shared, because spin-orbit
scattering does not depend on temperature while dephasing does. Then

    tau_phi(T) = tau_0 (T / 1 K)^(-p)           (optionally 1/tau_phi + 1/tau_sat)

with p = 1 for electron-electron dephasing in 2D (Altshuler-Aronov-
Khmelnitsky, printed beside the fit when the sheet resistance is known:
1/tau_phi = (k_B T / hbar) ln(g/2) / g, g = h / (e^2 R_sq)). Without a
diffusion constant p still follows from l_phi(T) = sqrt(D tau_phi)
proportional to T^(-p/2).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import lmfit
import numpy as np

from cooperon.constants import HBAR, K_B, R0

from .data import MagnetoData, estimate_offset, magnetoconductance, read_measurement
from .models import Model, _ar1_factor, _integrated_correlation, _whitener
from .result import FitFlag, _figure, json_safe

__all__ = [
    "SeriesResult",
    "aak_tau_phi",
    "fit_series",
    "jackknife_power_law",
    "load_series",
    "points_from_dataset",
    "power_law",
]

#: parameters that change with temperature (dephasing, and each curve's zero-field offset);
#: the rest are shared by default
PER_TEMPERATURE = ("b_phi", "l_phi", "b_star", "offset")


def aak_tau_phi(temperature, r_sq_ohm):
    """Altshuler-Aronov-Khmelnitsky dephasing time [s] of a 2D film.

        1/tau_phi = (k_B T / hbar) ln(g/2) / g,   g = h / (e^2 R_sq)

    ``temperature`` [K], ``r_sq_ohm`` the sheet resistance [Ohm]
    (spin-degenerate). R_sq = 1 kOhm at 1 K gives ~77 ps.
    """
    g = R0 / float(r_sq_ohm)
    if g <= 2:
        raise ValueError(f"AAK needs g = h/(e^2 R_sq) > 2 (a good metal), got {g:.3g}")
    t = np.asarray(temperature, dtype=float)
    return HBAR * g / (K_B * t * math.log(g / 2))


def load_series(
    paths,
    *,
    temperatures=None,
    offset="auto",
    subtract_highest: bool = False,
    **read_options,
) -> list[tuple[float, MagnetoData]]:
    """Read files (or one file with a temperature column) into [(T [K], MagnetoData)].

    Temperatures come from ``temperatures`` (one per file), a temperature
    column, or the file names ("2K.csv", "300mK"). ``offset="auto"``
    estimates one field offset from all the files (one magnet).
    ``subtract_highest`` subtracts the highest temperature's curve from the
    others as a smooth background and drops it.
    """
    paths = [Path(p) for p in paths]
    if temperatures is not None and len(temperatures) != len(paths):
        raise ValueError(
            f"{len(temperatures)} temperatures for {len(paths)} files: give one per file "
            "(--temperatures-K)"
        )
    meas = []
    for k, p in enumerate(paths):
        t = None if temperatures is None else float(temperatures[k])
        m = read_measurement(p, temperature=t, **read_options)
        if not np.isfinite(m.temperature).all():
            raise ValueError(
                f"no temperature for {p.name}: give --temperatures-K (one per file), a "
                "temperature column, or a temperature in the file name (e.g. 300mK)"
            )
        meas.append(m)
    b0 = estimate_offset(*meas) if offset == "auto" else float(offset or 0.0)
    points = []
    for m in meas:
        for t in m.temperatures:
            d = magnetoconductance(m, offset=b0, temperature=t, label=f"{t:g} K")
            d.meta["field_offset_from"] = (
                f"estimated from all {len(meas)} file(s)" if offset == "auto" else "given"
            )
            points.append((t, d))
    points.sort(key=lambda x: x[0])
    temps = [t for t, _ in points]
    if len(set(temps)) != len(temps):
        dup = sorted({t for t in temps if temps.count(t) > 1})
        raise ValueError(
            f"several files at {dup} K: fit each set (e.g. each probe pair) on its own"
        )
    if subtract_highest:
        if len(points) < 3:
            raise ValueError("subtracting the highest temperature needs at least 3 temperatures")
        t_ref, ref = points[-1]
        points = [(t, d.minus(ref)) for t, d in points[:-1]]
        for _, d in points:
            d.meta["background"] = f"the {t_ref:g} K curve subtracted"
    return points


def power_law(temperature, tau, tau_err, *, saturation: bool = False) -> dict:
    """Fit tau(T) = tau_0 (T / 1 K)^(-p) [units of tau], optionally with saturation.

    With ``saturation``: 1/tau = 1/tau_sat + (T / 1 K)^p / tau_0. Weighted
    by the errors (in log space, with the quoted relative errors). Returns
    ``p``, ``tau_0`` (and ``tau_sat``) with ``_stderr``, ``reduced_chi2``.
    """
    t = np.asarray(temperature, float)
    y = np.asarray(tau, float)
    e = np.asarray(tau_err, float)
    good = np.isfinite(y) & np.isfinite(e) & (y > 0) & (e > 0) & (t > 0)
    if good.sum() < (3 if saturation else 2):
        raise ValueError(
            f"the power law needs at least {3 if saturation else 2} temperatures with a "
            f"determined tau_phi, got {int(good.sum())}"
        )
    t, y, e = t[good], y[good], e[good]
    p = lmfit.Parameters()
    p.add("p", value=1.0, min=-5, max=10)
    p.add("ln_tau_0", value=float(np.log(np.median(y * t))))
    if saturation:
        p.add("ln_tau_sat", value=float(np.log(2 * y.max())))

    def model(par, tt):
        tau_t = np.exp(par["ln_tau_0"].value) * tt ** -par["p"].value
        if saturation:
            return 1 / (1 / tau_t + np.exp(-par["ln_tau_sat"].value))
        return tau_t

    def resid(par):
        return (np.log(model(par, t)) - np.log(y)) / (e / y)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = lmfit.minimize(resid, p, method="least_squares", scale_covar=False)
    out = {
        "p": r.params["p"].value,
        "p_stderr": r.params["p"].stderr,
        "tau_0": math.exp(r.params["ln_tau_0"].value),
        "tau_0_stderr": None
        if r.params["ln_tau_0"].stderr is None
        else math.exp(r.params["ln_tau_0"].value) * r.params["ln_tau_0"].stderr,
        "reduced_chi2": r.redchi if r.nfree > 0 else None,
        "n_temperatures": len(t),
        "saturation": saturation,
    }
    if saturation:
        v, s = r.params["ln_tau_sat"].value, r.params["ln_tau_sat"].stderr
        out["tau_sat"] = math.exp(v)
        out["tau_sat_stderr"] = None if s is None else math.exp(v) * s
    out["curve"] = lambda tt: model(r.params, np.asarray(tt, float))
    return out


@dataclass
class SeriesResult:
    """A joint fit of a temperature series and the dephasing law fitted to it.

    ``series`` holds one dict per temperature (``temperature_K``,
    ``l_phi_nm``, ``tau_phi_ps``, ``b_phi_T``, ``alpha``, ... with
    ``_stderr``); ``shared`` the parameters common to all; ``power_law``
    the fit of tau_phi(T) (or of l_phi(T) without D).
    """

    model: Model
    temperatures: list
    data: list
    values: list
    stderr: list
    shared: dict
    series: list
    power_law: dict | None
    flags: tuple = ()
    aak: list | None = None
    reduced_chi2: float = math.nan
    errors_quoted: str = ""
    lmfit: object = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not any(f.blocking for f in self.flags)

    @property
    def strict_ok(self) -> bool:
        return not self.flags

    def curve(self, k, b):
        return self.model(np.asarray(b, float), **self.values[k])

    def to_dict(self) -> dict:
        pl = None
        if self.power_law is not None:
            pl = {k: v for k, v in self.power_law.items() if k != "curve"}
        return json_safe(
            {
                "model": self.model.name,
                "g_s": self.model.g_s,
                "series": self.series,
                "shared": self.shared,
                "power_law": pl,
                "aak_tau_phi_ps": self.aak,
                "reduced_chi2": self.reduced_chi2,
                "quoted_error": self.errors_quoted,
                "ok": self.ok,
                "flags": [{"kind": f.kind, "message": f.message} for f in self.flags],
            }
        )

    def report(self) -> str:
        rows = [f"{self.model.name} joint fit of {len(self.temperatures)} temperatures "
                f"(reduced chi^2 = {self.reduced_chi2:.3g})"]  # fmt: skip
        units = {p.name: p.unit for p in self.model.all_params}
        for name, (v, e) in self.shared.items():
            if units.get(name) == "T":
                rows.append(f"  shared {name:10s} = {1e3 * v:.5g} +- {_fmt(1e3 * e)} mT")
            else:
                rows.append(f"  shared {name:10s} = {v:.5g} +- {_fmt(e)} {units.get(name, '')}")
        keys = [k for k in ("l_phi_nm", "tau_phi_ps", "alpha") if k in self.series[0]]
        rows.append("  T [K]      " + "  ".join(f"{k:>22s}" for k in keys))
        for s in self.series:
            cells = [f"{s[k]:10.4g} +- {_fmt(s[k + '_stderr']):8s}" for k in keys]
            rows.append(f"  {s['temperature_K']:<9.4g}" + "  ".join(cells))
        if self.power_law is not None:
            pl = self.power_law
            what = pl.get("fitted", "tau_phi")
            rows.append(f"  power law ({what}): p = {pl['p']:.3g} +- {_fmt(pl['p_stderr'])}"
                        + (f", tau_0 = {pl['tau_0_ps']:.4g} +- {_fmt(pl['tau_0_ps_stderr'])} ps"
                           if "tau_0_ps" in pl else ""))  # fmt: skip
        if self.aak:
            rows.append("  AAK estimate from R_sq: " + ", ".join(
                f"{a['temperature_K']:g} K: {a['tau_phi_ps']:.3g} ps" for a in self.aak))  # fmt: skip
        rows.append(f"  errors quoted: {self.errors_quoted}")
        rows += [f"  {'FLAG' if f.blocking else 'note'} {f}" for f in self.flags]
        return "\n".join(rows)

    def plot(self, path=None):
        """Data and fits at every temperature (offset for clarity), residuals, tau_phi(T)."""
        fig, axes = _figure(1, 3, (14, 4.4), save=path is not None)
        top, res, law = axes
        cmap = _colormap(len(self.temperatures))
        span = max(float(np.ptp(d.dy)) for d in self.data) or 1.0
        for k, (t, d) in enumerate(zip(self.temperatures, self.data)):
            shift = 0.25 * span * k
            c = cmap(k)
            top.plot(1e3 * d.b, d.dy + shift, "o", ms=2.5, color=c, label=f"{t:g} K")
            fine = np.linspace(d.b.min(), d.b.max(), 300)
            top.plot(1e3 * fine, self.curve(k, fine) + shift, "-", color=c, lw=1.2)
            res.plot(1e3 * d.b, d.dy - self.curve(k, d.b), ".", ms=3, color=c)
        unit = "dsigma [e^2/h]" if self.data[0].quantity == "sheet" else "dG [e^2/h]"
        top.set_xlabel("B [mT]")
        top.set_ylabel(f"{unit} (offset by temperature)")
        top.legend(fontsize=7)
        res.axhline(0, color="0.5", lw=0.8)
        res.set_xlabel("B [mT]")
        res.set_ylabel("residual [e^2/h]")
        key = "tau_phi_ps" if "tau_phi_ps" in self.series[0] else "l_phi_nm"
        t = np.array([s["temperature_K"] for s in self.series])
        y = np.array([s[key] for s in self.series], float)
        e = np.array([s[key + "_stderr"] or np.nan for s in self.series], float)
        law.errorbar(t, y, e, fmt="o", label="fit per temperature")
        if self.power_law is not None:
            tt = np.geomspace(t.min() * 0.8, t.max() * 1.25, 100)
            law.plot(tt, self.power_law["curve"](tt), "-",
                     label=f"p = {self.power_law['p']:.2f} +- {_fmt(self.power_law['p_stderr'])}")  # fmt: skip
        if self.aak and key == "tau_phi_ps":
            law.plot([a["temperature_K"] for a in self.aak], [a["tau_phi_ps"] for a in self.aak],
                     "k:", label="AAK from R_sq")  # fmt: skip
        law.set_xscale("log")
        law.set_yscale("log")
        plain_log_ticks(law.xaxis)
        law.set_xlabel("T [K]")
        law.set_ylabel("tau_phi [ps]" if key == "tau_phi_ps" else "l_phi [nm]")
        law.legend(fontsize=7)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig


def plain_log_ticks(axis):
    """Plain numbers on a logarithmic axis (0.4, 1, 4 rather than 4 x 10^-1), whose minor
    labels would otherwise overlap when it spans about a decade."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(NullFormatter())


def _colormap(n):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return lambda k: cmap(k / max(n - 1, 1))


def _fmt(e) -> str:
    return "nan" if e is None or not np.isfinite(e) else f"{e:.2g}"


def fit_series(
    points,
    model: Model,
    *,
    per_temperature=None,
    diffusion: float | None = None,
    window: float | None = None,
    saturation: bool = False,
    r_sq_ohm: float | None = None,
) -> SeriesResult:
    """Fit every curve of a series with ``model``: dephasing per temperature, the rest shared.

    Parameters
    ----------
    points : list of (temperature [K], MagnetoData)
        From :func:`load_series`.
    model : Model
        A fit model (its fixed parameters stay fixed for every temperature).
    per_temperature : sequence of str, optional
        Parameters fitted per temperature (default: the dephasing one,
        ``b_phi``, ``l_phi`` or ``b_star``); the others are shared.
    diffusion : float, optional
        D [m^2/s]: gives tau_phi and the power law of tau_phi; without it
        the law is fitted to l_phi(T) (p = -2 d ln l_phi / d ln T).
    window : float, optional
        Fit abs(B) <= window [T].
    saturation : bool
        Fit tau_phi(T) with a saturation time.
    r_sq_ohm : float, optional
        Sheet resistance [Ohm] for the AAK estimate printed beside the fit.

    Notes
    -----
    Quoted errors are the joint least-squares errors with each curve's
    residual autocorrelation accounted for (Newey-West, per curve), or the
    plain ones when larger.
    """
    if len(points) < 2:
        raise ValueError("a series needs at least two temperatures")
    per = tuple(per_temperature) if per_temperature is not None else tuple(
        p.name for p in model.free if p.name in PER_TEMPERATURE
    )  # fmt: skip
    names = [p.name for p in model.free]
    unknown = [n for n in per if n not in names]
    if unknown:
        raise ValueError(f"{unknown} are not free parameters of {model.name}: choose from {names}")
    temps = [float(t) for t, _ in points]
    curves = []
    for _, d in points:
        if d.quantity != model.quantity and d.quantity != "scaled":
            raise ValueError(
                f"the {model.name} model needs {model.quantity} data, got {d.quantity}"
            )
        keep = np.ones(d.b.shape, bool) if window is None else np.abs(d.b) <= window
        sig = None if d.sigma is None else d.sigma[keep]
        # per-point errors; the correlation along the field enters the errors (Newey-West, n_eff)
        curves.append((d.b[keep], d.dy[keep], _whitener(sig, None), sig, None))
    weighting = "errors" if all(c[3] is not None for c in curves) else "none"
    # starting values: each curve on its own, then the shared ones averaged (in log space)
    singles = [model.guess(b, y, None if s is None else 1 / s) for b, y, _, s, _ in curves]
    params = lmfit.Parameters()
    for p in model.all_params:
        if p.name in model.fixed:
            continue
        starts = [s[p.name] for s in singles]
        if p.name in per:
            for k, v in enumerate(starts):
                _add(params, f"t{k}_{p.name}", p, v)
        else:
            v = float(np.exp(np.mean(np.log(starts)))) if p.log else float(np.median(starts))
            _add(params, p.name, p, v)

    def values_of(par, k):
        out = dict(model.fixed)
        for p in model.free:
            out[p.name] = par[f"t{k}_{p.name}" if p.name in per else p.name].value
        return out

    def residual(par):
        return np.concatenate(
            [w(y - model(b, **values_of(par, k))) for k, (b, y, w, _, _) in enumerate(curves)]
        )

    mini = lmfit.Minimizer(residual, params, scale_covar=weighting == "none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = mini.minimize(method="least_squares", x_scale="jac")
    # errors: least squares, and Newey-West with each curve's own residual correlation
    stat = {n: (res.params[n].stderr if res.params[n].stderr is not None else math.nan)
            for n in res.params}  # fmt: skip
    hac, tau_max, ar1 = _joint_hac(res, residual, curves, mini)
    # the effective number of independent points per curve (AR(1) from the lag-1 correlation)
    infl = {}
    for n in stat:
        k = _curve_of(n, len(curves))
        infl[n] = ar1[k] if k is not None else max(ar1)
    quoted = {n: max(stat[n] * math.sqrt(infl[n]), hac.get(n, 0.0)) if np.isfinite(stat[n])
              else hac.get(n, math.nan) for n in stat}  # fmt: skip
    flags = []
    if tau_max > 2:
        flags.append(FitFlag("correlated", f"residuals are correlated over up to ~{tau_max:.1f} "
                             "points; the errors allow for it (Newey-West)"))  # fmt: skip
    vals, errs, series = [], [], []
    for k, t in enumerate(temps):
        v = values_of(res.params, k)
        e = {}
        for p in model.free:
            key = f"t{k}_{p.name}" if p.name in per else p.name
            if p.log:
                e[p.name] = v[p.name] * quoted.get(f"ln_{key}", math.nan)
            else:
                e[p.name] = quoted.get(key, math.nan)
        e.update(dict.fromkeys(model.fixed, 0.0))
        vals.append(v)
        errs.append(e)
        row = {"temperature_K": t}
        for p in model.free:
            if p.name in per:
                scale = 1e9 if p.unit == "m" else 1.0
                key = {"l_phi": "l_phi_nm"}.get(p.name, f"{p.name}_T" if p.unit == "T" else p.name)
                row[key], row[key + "_stderr"] = v[p.name] * scale, e[p.name] * scale
        for key, (dv, de) in model.derived(v, e, diffusion).items():
            row.setdefault(key, dv)
            row.setdefault(key + "_stderr", de)
        if "alpha" in v:
            row.setdefault("alpha", v["alpha"])
            row.setdefault("alpha_stderr", e["alpha"])
        series.append(row)
        for f in model.applicability(v):
            flags.append(FitFlag(f.kind, f"{t:g} K: {f.message}"))
    flags += _bound_flags(res, model, max(float(np.max(c[0])) for c in curves), temps, per)
    shared = {}
    for p in model.free:
        if p.name not in per:
            shared[p.name] = (vals[0][p.name], errs[0][p.name])
    for n, (v, e) in shared.items():
        if np.isfinite(e) and e > abs(v) and n != "background":
            flags.append(FitFlag("undetermined", f"the shared {n} is not determined "
                                 f"({v:.3g} +- {e:.2g}); fix it or widen the field range"))  # fmt: skip
    for k, row in enumerate(series):
        key = "l_phi_nm"
        if key in row and not (row[key + "_stderr"] < row[key]):
            flags.append(FitFlag("undetermined", f"{temps[k]:g} K: l_phi is not determined"))
    law = None
    try:
        if diffusion and all("tau_phi_ps" in r for r in series):
            pl = power_law(temps, [r["tau_phi_ps"] for r in series],
                           [r["tau_phi_ps_stderr"] for r in series], saturation=saturation)  # fmt: skip
            law = dict(
                pl, fitted="tau_phi", tau_0_ps=pl["tau_0"], tau_0_ps_stderr=pl["tau_0_stderr"]
            )
            if saturation:
                law["tau_sat_ps"], law["tau_sat_ps_stderr"] = pl["tau_sat"], pl["tau_sat_stderr"]
        elif all("l_phi_nm" in r for r in series):
            pl = power_law(temps, [r["l_phi_nm"] for r in series],
                           [r["l_phi_nm_stderr"] for r in series])  # fmt: skip
            # l_phi ~ T^(-p/2): the fitted exponent is p/2
            law = dict(pl, fitted="l_phi", p=2 * pl["p"],
                       p_stderr=None if pl["p_stderr"] is None else 2 * pl["p_stderr"],
                       l_0_nm=pl["tau_0"], l_0_nm_stderr=pl["tau_0_stderr"])  # fmt: skip
    except ValueError as exc:
        flags.append(FitFlag("undetermined", f"no power law: {exc}"))
    aak = None
    if r_sq_ohm is not None:
        aak = [{"temperature_K": t, "tau_phi_ps": float(aak_tau_phi(t, r_sq_ohm)) * 1e12}
               for t in temps]  # fmt: skip
    return SeriesResult(
        model=model,
        temperatures=temps,
        data=[d for _, d in points],
        values=vals,
        stderr=errs,
        shared=shared,
        series=series,
        power_law=law,
        flags=tuple(flags),
        aak=aak,
        reduced_chi2=float(res.redchi),
        errors_quoted="largest of the Newey-West (per curve) error and the least-squares error "
        "times sqrt(n / n_eff) of each curve's residuals (AR(1))",
        lmfit=res,
    )


def _bound_flags(res, model, top, temps, per):
    """Parameters on a bound, and fields far above the field range, in a joint fit."""
    from .models import BEYOND_FIELD_RANGE

    flags = []
    for p in model.free:
        keys = [f"t{k}_{p.name}" for k in range(len(temps))] if p.name in per else [p.name]
        for k, key in enumerate(keys):
            where = f"{temps[k]:g} K: " if p.name in per else "shared "
            par = res.params[f"ln_{key}" if p.log else key]
            on_bound = any(np.isfinite(x) and abs(par.value - x) < 1e-6 * max(1.0, abs(x))
                           for x in (par.min, par.max))  # fmt: skip
            value = res.params[key].value
            if on_bound:
                flags.append(FitFlag("at_bound", f"{where}{p.name} ended on a bound of the "
                                     f"{model.name} model"))  # fmt: skip
            elif p.log and p.unit == "T" and value > BEYOND_FIELD_RANGE * top:
                flags.append(FitFlag("undetermined", f"{where}{p.name} = {1e3 * value:.3g} mT lies "
                                     f"far above the largest field ({1e3 * top:.3g} mT): only its "
                                     "limit is seen; fix it or subtract a background"))  # fmt: skip
    return flags


def _add(params, name, p, v):
    if p.log:
        lo, hi = math.log(p.lower), math.log(p.upper)
        params.add(f"ln_{name}", value=min(max(math.log(v), lo + 1e-9), hi - 1e-9), min=lo, max=hi)
        params.add(name, expr=f"exp(ln_{name})")
    else:
        params.add(name, value=min(max(v, p.lower), p.upper), min=p.lower, max=p.upper)


def _joint_hac(res, residual, curves, mini):
    """Newey-West errors of the joint fit, each curve with its own residual correlation."""
    names = res.var_names
    x0 = np.array([res.params[n].value for n in names])
    par = res.params.copy()

    def f(x):
        for n, v in zip(names, x):
            par[n].value = v
        return residual(par)

    r0 = f(x0)
    jac = np.empty((r0.size, len(names)))
    for j in range(len(names)):
        h = 1e-6 * max(1.0, abs(x0[j]))
        up, dn = x0.copy(), x0.copy()
        up[j] += h
        dn[j] -= h
        jac[:, j] = (f(up) - f(dn)) / (2 * h)
    f(x0)
    try:
        bread = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return {}, 1.0
    meat = np.zeros((len(names), len(names)))
    start, tau_max, ar1 = 0, 1.0, []
    for b, *_ in curves:
        n = b.size
        e = r0[start : start + n]
        ar1.append(_ar1_factor(e))
        x = jac[start : start + n]
        tau = _integrated_correlation(e)
        tau_max = max(tau_max, tau)
        lags = min(n // 3, max(1, math.ceil(2 * tau)))
        s = x * e[:, None]
        m = s.T @ s
        for k in range(1, lags + 1):
            g = s[k:].T @ s[:-k]
            m += (1 - k / (lags + 1)) * (g + g.T)
        meat += m
        start += n
    cov = bread @ meat @ bread * r0.size / max(r0.size - len(names), 1)
    d = np.sqrt(np.clip(np.diag(cov), 0, None))
    return dict(zip(names, d)), tau_max, ar1


def _curve_of(name, n_curves):
    """The curve a joint-fit parameter belongs to ("t3_ln_b_phi" -> 3), None if shared."""
    head = name.split("_", 1)[0]
    if head.startswith("t") and head[1:].isdigit() and int(head[1:]) < n_curves:
        return int(head[1:])
    if name.startswith("ln_t"):
        return _curve_of(name[3:], n_curves)
    return None


def points_from_dataset(ds, *, quantity: str = "total", realizations=None) -> list:
    """[(T [K], MagnetoData)] of a simulated temperature series (``transport.temperature_sweep``).

    ``realizations``: a boolean mask or indices along ``realization`` (default all).
    """
    from .data import from_dataset

    if "temperature" not in ds.dims:
        raise ValueError("not a temperature series: the dataset has no temperature dimension")
    if realizations is not None:
        ds = ds.isel(realization=realizations)
    drop = [v for v in ("R_zero_field_ohm", "tau_phi_ps", "temperature") if v in ds.variables]
    return [
        (float(t), from_dataset(ds.isel(temperature=k).drop_vars(drop), quantity=quantity))
        for k, t in enumerate(ds.temperature.values)
    ]


def jackknife_power_law(ds, model: Model, *, blocks: int = 8, **fit_options) -> dict:
    """Delete-one-block jackknife errors of the power law of a simulated temperature series.

    The same realizations are simulated at every temperature, so the errors
    of tau_phi(T) are correlated across temperatures (a realization that
    localizes more does so at every T), which the power-law fit of
    :func:`fit_series`, taking the temperatures as independent, does not
    know; nor does it know that the parameters the temperatures share (B_so,
    alpha) are fitted to the same disorder at every temperature. Refitting
    the series with each of ``blocks`` groups of realizations left out gives
    errors that include that correlation: var = (K - 1)/K sum_i (p_i -
    mean p)^2. Returns ``p_stderr``, ``tau_0_ps_stderr``, ``shared_stderr``
    (the shared parameters' errors, by name), the ``p`` of every block and
    ``blocks``.
    """
    n = ds.sizes["realization"]
    k = min(int(blocks), n)
    if k < 2:
        raise ValueError(
            f"a jackknife needs at least 2 blocks of realizations, got {n} realizations"
        )
    labels = np.arange(n) % k
    ps, taus, shared = [], [], []
    for b in range(k):
        res = fit_series(points_from_dataset(ds, quantity=model.quantity,
                                             realizations=labels != b), model, **fit_options)  # fmt: skip
        if res.power_law is None:
            raise ValueError("a jackknife block gave no power law: too few realizations per block")
        ps.append(res.power_law["p"])
        taus.append(res.power_law.get("tau_0_ps", math.nan))
        shared.append({name: v for name, (v, _) in res.shared.items()})
    ps, taus = np.array(ps), np.array(taus)

    def err(x):
        x = np.asarray(x, float)
        return float(math.sqrt((k - 1) / k * np.sum((x - x.mean()) ** 2)))

    return dict(p_stderr=err(ps), tau_0_ps_stderr=err(taus), p_blocks=ps.tolist(), blocks=k,
                shared_stderr={name: err([s[name] for s in shared]) for name in shared[0]})  # fmt: skip
