"""Aharonov-Bohm analysis of G(B) traces: background, spectrum, h/e and h/2e components.

Conventions: fields in T, conductance in e^2/h, frequencies in 1/T (the h/e
frequency of a ring of area A is A / (h/e)). A harmonic ``A cos(2 pi f B + p)``
has amplitude ``A`` [e^2/h] in the spectrum and in the harmonic fit.

- Period and area: Delta B = h/(e A), A = pi r^2 (r the effective radius).
- Harmonic amplitudes come from a linear least-squares fit of cosines and
  sines at n f_1 (n = 1, 2, 3) to the background-free trace, with f_1
  refined by a nonlinear fit; standard errors from the residual scatter.
- l_phi from the h/e harmonics (Washburn and Webb, Adv. Phys. 35, 375
  (1986)): A_n ~ exp(-n pi r / l_phi), so l_phi = pi r / ln(A_1 / A_2).
  In a single trace the second harmonic also holds the AAS (h/2e)
  component, so this is an estimate that assumes the h/e harmonics dominate.
  In an open ring the windings are also damped by escape into the leads,
  which alone makes A_2 < A_1; :func:`l_phi_from_harmonics` removes that
  with the coherent ratio of the same geometry (e.g. from a simulation).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import optimize

from cooperon.constants import PHI0

from .result import _figure

__all__ = [
    "ABResult",
    "ABWarning",
    "analyze",
    "analyze_ensemble",
    "area_mismatch",
    "l_phi_from_harmonics",
    "plot_comparison",
    "remove_background",
    "spectrum",
    "uniform",
]


class ABWarning(UserWarning):
    """A trace needed fixing (resampling) before the analysis."""


def uniform(b, g):
    """Sort a trace and resample it on an even grid if its steps are uneven (with a warning)."""
    b, g = np.asarray(b, float), np.asarray(g, float)
    if b.ndim != 1 or b.shape != g.shape:
        raise ValueError(
            f"field and conductance must be 1D of one length, got {b.shape}, {g.shape}"
        )
    bad = ~np.isfinite(b) | ~np.isfinite(g)
    if bad.any():
        raise ValueError(
            f"the trace has NaN/inf at {bad.sum()} point(s) (first at index "
            f"{np.flatnonzero(bad)[0]}); remove or fill them first"
        )
    if len(b) < 8:
        raise ValueError(f"a trace needs at least 8 points, got {len(b)}")
    order = np.argsort(b, kind="stable")
    b, g = b[order], g[order]
    steps = np.diff(b)
    if np.any(steps <= 0):
        raise ValueError("the trace repeats a field value; average the repeats first")
    if np.ptp(steps) > 1e-3 * steps.mean():
        grid = np.linspace(b[0], b[-1], len(b))
        warnings.warn(
            ABWarning(
                f"uneven field steps ({steps.min():.3g} to {steps.max():.3g} T): resampled "
                f"linearly on {len(b)} even points"
            ),
            stacklevel=2,
        )
        g = np.interp(grid, b, g)
        b = grid
    return b, g


def remove_background(b, g, method: str = "poly", order: int = 3, window: float | None = None):
    """The trace minus its smooth background [e^2/h].

    Parameters
    ----------
    method : {"poly", "smooth"}
        "poly": a polynomial of ``order`` in B; "smooth": a running mean over
        ``window`` [T] (default: the span / 4); choose a whole number of AB
        periods, so that the running mean holds none of the oscillation.
    """
    b, g = np.asarray(b, float), np.asarray(g, float)
    if method == "poly":
        x = (b - b.mean()) / (np.ptp(b) or 1)
        return g - np.polyval(np.polyfit(x, g, order), x)
    if method == "smooth":
        step = b[1] - b[0]
        w = window if window is not None else np.ptp(b) / 4
        n = max(3, round(w / step) | 1)
        kernel = np.ones(n) / n
        pad = np.pad(g, n // 2, mode="reflect")
        return g - np.convolve(pad, kernel, mode="valid")
    raise ValueError(f"background method is 'poly' or 'smooth', got {method!r}")


def spectrum(b, dg, pad: int = 8):
    """Amplitude spectrum of an even-step trace: frequencies [1/T], amplitudes [e^2/h].

    Hann window, normalized so that A cos(2 pi f B) shows a peak of height A.
    """
    b, dg = np.asarray(b, float), np.asarray(dg, float)
    n = len(b)
    w = np.hanning(n)
    f = np.fft.rfftfreq(pad * n, d=b[1] - b[0])
    a = np.abs(np.fft.rfft((dg - dg.mean()) * w, n=pad * n)) * 2 / w.sum()
    return f, a


def _design(b, f1, harmonics):
    cols = [np.ones_like(b)]
    for n in range(1, harmonics + 1):
        cols += [np.cos(2 * np.pi * n * f1 * b), np.sin(2 * np.pi * n * f1 * b)]
    return np.stack(cols, axis=1)


def _harmonic_fit(b, dg, f1, harmonics):
    x = _design(b, f1, harmonics)
    coef, *_ = np.linalg.lstsq(x, dg, rcond=None)
    res = dg - x @ coef
    dof = max(len(b) - x.shape[1], 1)
    s2 = float(res @ res) / dof
    cov = s2 * np.linalg.inv(x.T @ x)
    amps, errs = [], []
    for n in range(harmonics):
        c, s = coef[1 + 2 * n], coef[2 + 2 * n]
        a = math.hypot(c, s)
        j = np.array([c, s]) / a if a > 0 else np.array([1.0, 0.0])
        sub = cov[1 + 2 * n : 3 + 2 * n, 1 + 2 * n : 3 + 2 * n]
        amps.append(a)
        errs.append(float(np.sqrt(j @ sub @ j)))
    return np.array(amps), np.array(errs), res, coef


@dataclass(frozen=True)
class ABResult:
    """Aharonov-Bohm analysis of one trace (lab units in the names)."""

    period_T: float
    period_T_stderr: float
    amplitudes: np.ndarray  # e^2/h, harmonics n = 1, 2, 3 of h/e
    amplitudes_stderr: np.ndarray
    radius_m: float
    radius_m_stderr: float
    l_phi_m: float | None
    l_phi_m_stderr: float | None
    freqs: np.ndarray = field(repr=False)
    spec: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    dg: np.ndarray = field(repr=False)
    source: str = ""
    label: str = "trace"
    n_traces: int = 1
    trace_amplitudes: np.ndarray | None = None  # mean of the single traces' |A_n| [e^2/h]
    trace_amplitudes_stderr: np.ndarray | None = None
    l_phi_note: str = ""

    @property
    def area_m2(self) -> float:
        return PHI0 / self.period_T

    def to_dict(self) -> dict:
        """JSON keys: period_mT, area_um2, radius_nm, amp_h_e, amp_h_2e, l_phi_nm (+ _stderr)."""
        area_err = self.area_m2 * self.period_T_stderr / self.period_T
        out = {
            "period_mT": 1e3 * self.period_T,
            "period_mT_stderr": 1e3 * self.period_T_stderr,
            "area_um2": 1e12 * self.area_m2,
            "area_um2_stderr": 1e12 * area_err,
            "radius_nm": 1e9 * self.radius_m,
            "radius_nm_stderr": 1e9 * self.radius_m_stderr,
            "amp_h_e": float(self.amplitudes[0]),
            "amp_h_e_stderr": float(self.amplitudes_stderr[0]),
            "amp_h_2e": float(self.amplitudes[1]),
            "amp_h_2e_stderr": float(self.amplitudes_stderr[1]),
            "amp_h_3e": float(self.amplitudes[2]),
            "amp_h_3e_stderr": float(self.amplitudes_stderr[2]),
            "l_phi_nm": None if self.l_phi_m is None else 1e9 * self.l_phi_m,
            "l_phi_nm_stderr": None if self.l_phi_m_stderr is None else 1e9 * self.l_phi_m_stderr,
            "l_phi_note": self.l_phi_note,
            "source": self.source,
            "label": self.label,
            "n_traces": self.n_traces,
        }
        if self.trace_amplitudes is not None:
            for k, name in enumerate(("h_e", "h_2e", "h_3e")):
                out[f"trace_amp_{name}"] = float(self.trace_amplitudes[k])
                out[f"trace_amp_{name}_stderr"] = float(self.trace_amplitudes_stderr[k])
        return out

    def report(self) -> str:
        d = self.to_dict()
        what = self.label if self.n_traces == 1 else f"{self.label}, mean of {self.n_traces} traces"
        rows = [
            f"Aharonov-Bohm analysis: {what} ({self.source or 'trace'})",
            f"  period h/e     = {d['period_mT']:.5g} +- {d['period_mT_stderr']:.2g} mT",
            f"  area           = {d['area_um2']:.5g} +- {d['area_um2_stderr']:.2g} um^2",
            f"  radius         = {d['radius_nm']:.5g} +- {d['radius_nm_stderr']:.2g} nm",
            f"  amplitude h/e  = {d['amp_h_e']:.4g} +- {d['amp_h_e_stderr']:.2g} e^2/h",
            f"  amplitude h/2e = {d['amp_h_2e']:.4g} +- {d['amp_h_2e_stderr']:.2g} e^2/h",
            f"  amplitude h/3e = {d['amp_h_3e']:.4g} +- {d['amp_h_3e_stderr']:.2g} e^2/h",
        ]
        if self.trace_amplitudes is not None:
            rows.append(
                f"  single traces: <|A_h/e|> = {self.trace_amplitudes[0]:.4g} +- "
                f"{self.trace_amplitudes_stderr[0]:.2g}, <|A_h/2e|> = {self.trace_amplitudes[1]:.4g} "
                f"+- {self.trace_amplitudes_stderr[1]:.2g} e^2/h (the mean trace keeps h/2e, "
                "averages h/e out)"
            )
        if d["l_phi_nm"] is not None:
            rows.append(
                f"  l_phi (h/e harmonics) = {d['l_phi_nm']:.4g} +- {d['l_phi_nm_stderr']:.2g} nm"
            )
        if self.l_phi_note:
            rows.append(f"  l_phi: {self.l_phi_note}")
        elif d["l_phi_nm"] is None:
            rows.append("  l_phi: second harmonic not resolved above its error")
        return "\n".join(rows)

    def plot(self, path=None, *, other=None):
        """Background-free trace and spectrum; with ``other``, both on common axes.

        See :func:`plot_comparison`.
        """
        return plot_comparison([self] + ([other] if other is not None else []), path)


def plot_comparison(results, path=None, *, area_m2=None):
    """Traces and spectra of several AB results on common axes.

    The spectra share one frequency axis [1/T] (the h/e frequency of a ring
    of area A is A / (h/e)), or, with ``area_m2``, flux quanta through that
    area, so that rings of different areas are not silently rescaled to one
    period. Each result's own h/e and h/2e frequencies are marked.
    """
    fig, (top, bottom) = _figure(2, 1, (7, 6.5), save=path is not None)
    unit = 1.0 if area_m2 is None else area_m2 / PHI0
    for r in results:
        label = r.label if r.n_traces == 1 else f"{r.label} (mean of {r.n_traces})"
        line = top.plot(1e3 * r.b, r.dg, lw=0.8, label=label)[0]
        f1 = 1 / r.period_T
        bottom.plot(r.freqs / unit, r.spec, color=line.get_color(), label=label)
        for n, ls_ in ((1, "--"), (2, ":")):
            bottom.axvline(n * f1 / unit, color=line.get_color(), lw=0.7, ls=ls_)
    top.set_xlabel("B [mT]")
    top.set_ylabel("dG, background removed [e^2/h]")
    top.legend(fontsize=8)
    fmax = 3.5 * max(1 / r.period_T for r in results) / unit
    bottom.set_xlim(0, fmax)
    bottom.set_xlabel("frequency [1/T]" if area_m2 is None else
                      f"flux quanta h/e through {1e12 * area_m2:.3g} um^2 per period")  # fmt: skip
    bottom.set_ylabel("amplitude [e^2/h]")
    bottom.legend(fontsize=8, title="dashed: h/e, dotted: h/2e")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def area_mismatch(result, r_in, r_out) -> str | None:
    """A sentence when ``result``'s area lies outside the rings pi r_in^2 .. pi r_out^2 [m]."""
    lo, hi = np.pi * r_in**2, np.pi * r_out**2
    a, e = result.area_m2, result.area_m2 * result.period_T_stderr / result.period_T
    if lo - 2 * e <= a <= hi + 2 * e:
        return None
    return (
        f"the {result.label}'s area {1e12 * a:.4g} um^2 is outside the simulated ring's "
        f"{1e12 * lo:.4g}-{1e12 * hi:.4g} um^2 (radii {1e9 * r_in:.4g}-{1e9 * r_out:.4g} nm): "
        "the rings differ; compare rings of the same size"
    )


def analyze(
    b,
    g,
    *,
    radius_guess: float | None = None,
    background: str = "poly",
    order: int = 3,
    window: float | None = None,
    harmonics: int = 3,
    source: str = "",
    label: str = "trace",
) -> ABResult:
    """Period, area, radius, harmonic amplitudes and l_phi of a G(B) trace.

    Parameters
    ----------
    b, g : array_like
        Field [T] and conductance [e^2/h].
    radius_guess : float, optional
        Expected ring radius [m]: the h/e peak is searched within a factor
        1.5 of its frequency. Without it, the strongest spectral peak above
        three periods per trace is taken.
    background, order, window
        See :func:`remove_background`.
    """
    b, g = uniform(b, g)
    span = b[-1] - b[0]
    dg = remove_background(b, g, background, order, window)
    freqs, spec = spectrum(b, dg)
    if radius_guess is not None:
        f_guess = math.pi * radius_guess**2 / PHI0
        if span * f_guess < 1:
            raise ValueError(
                f"the trace spans {1e3 * span:.3g} mT, less than one h/e period "
                f"({1e3 / f_guess:.3g} mT for r = {1e9 * radius_guess:.4g} nm): sweep a wider "
                "field range"
            )
        sel = (freqs > f_guess / 1.5) & (freqs < f_guess * 1.5)
    else:
        sel = freqs > 3 / span
    if not sel.any():
        raise ValueError("the trace is too short to hold the AB period; sweep a wider field range")
    f1 = float(freqs[sel][np.argmax(spec[sel])])
    if span * f1 < 2:
        raise ValueError(f"the trace holds only {span * f1:.2g} AB periods; at least 2 are needed")

    def resid(p):
        return _harmonic_fit(b, dg, p[0], harmonics)[2]

    sol = optimize.least_squares(resid, [f1], x_scale=[f1 * 1e-3])
    f1 = float(sol.x[0])
    amps, errs, res, _ = _harmonic_fit(b, dg, f1, harmonics)
    jac = sol.jac
    s2 = float(res @ res) / max(len(b) - (2 * harmonics + 2), 1)
    f_err = float(np.sqrt(s2 / (jac.T @ jac)[0, 0])) if (jac.T @ jac)[0, 0] > 0 else math.nan
    period = 1 / f1
    period_err = f_err / f1**2
    radius = math.sqrt(PHI0 * f1 / math.pi)
    radius_err = 0.5 * radius * f_err / f1
    l_phi = l_err = None
    if amps[1] > 2 * errs[1] and amps[0] > amps[1]:
        ratio = amps[0] / amps[1]
        l_phi = math.pi * radius / math.log(ratio)
        rel = math.hypot(errs[0] / amps[0], errs[1] / amps[1])
        l_err = l_phi * rel / math.log(ratio)
    return ABResult(
        period, period_err, amps, errs, radius, radius_err, l_phi, l_err,
        freqs, spec, b, dg, source, label,
    )  # fmt: skip


def analyze_ensemble(b, traces, *, label="simulation", source="", **kwargs) -> ABResult:
    """AB analysis of the mean of several traces, with the single traces' amplitudes.

    The mean trace keeps the Altshuler-Aronov-Spivak h/2e oscillation and
    averages the sample-specific h/e one out (as N^(-1/2)); the mean of the
    single traces' harmonic amplitudes (with its standard error) gives the
    typical h/e amplitude of one ring.
    """
    traces = np.atleast_2d(np.asarray(traces, float))
    mean = analyze(b, traces.mean(axis=0), label=label, source=source, **kwargs)
    if len(traces) == 1:
        return mean
    f1 = 1 / mean.period_T
    bb, _ = uniform(b, traces[0])
    per = []
    for g in traces:
        _, gg = uniform(b, g)
        dg = remove_background(bb, gg, kwargs.get("background", "poly"), kwargs.get("order", 3),
                               kwargs.get("window"))  # fmt: skip
        per.append(_harmonic_fit(bb, dg, f1, kwargs.get("harmonics", 3))[0])
    per = np.array(per)
    return replace(mean, n_traces=len(traces), trace_amplitudes=per.mean(axis=0),
                   trace_amplitudes_stderr=per.std(axis=0, ddof=1) / math.sqrt(len(per)))  # fmt: skip


def l_phi_from_harmonics(a1, a2, radius, coherent_ratio=None):
    """Phase-coherence length [units of ``radius``] from h/e harmonic amplitudes.

        pi r / l_phi = ln(A_1/A_2) - ln(A_1/A_2)_coherent

    ``coherent_ratio`` is A_1/A_2 of the same ring without dephasing (the
    damping of the windings by escape into the leads); omitted, the escape is
    neglected (Washburn-Webb). In quasi-ballistic 2D arms the length is the
    distance covered along the ring in tau_phi, about (2/pi) v_F tau_phi
    (measured: within 11% of it, tests).
    """
    x = math.log(a1 / a2) - (0.0 if coherent_ratio is None else math.log(coherent_ratio))
    if x <= 0:
        raise ValueError(
            "the harmonics do not decay faster than in the coherent ring: l_phi is beyond "
            "what this trace resolves"
        )
    return math.pi * radius / x
