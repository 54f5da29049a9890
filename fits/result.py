"""Fit results: values, uncertainties (several estimates, one quoted), flags, report, JSON, figure.

A flag is a short finding with a kind that code can test:

======================  =========  ==================================================
kind                    severity   meaning
======================  =========  ==================================================
``at_bound``            not ok     a free parameter ended on a bound of the model
``undetermined``        not ok     relative error above 1, or a profile that does not close
``poor_fit``            not ok     chi^2 too large, systematic residuals, or the wrong sign
``not_applicable``      not ok     the sample is outside the model's regime (names the model
                                   that applies)
``degenerate``          caution    two parameters correlated beyond 0.95 (fix one)
``correlated``          caution    residuals correlated along the field (errors enlarged)
``uncertain``           caution    the result is outside where it was validated
======================  =========  ==================================================

``FitResult.ok`` is False when any "not ok" flag is present; ``strict_ok``
also fails on cautions (``cooperon fit --strict``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FLAG_KINDS", "FitFlag", "FitResult", "json_safe"]

#: kind -> True when the flag makes the result not ok.
FLAG_KINDS = {
    "at_bound": True,
    "undetermined": True,
    "poor_fit": True,
    "not_applicable": True,
    "degenerate": False,
    "correlated": False,
    "uncertain": False,
}

# Lab-unit names of the fit parameters in reports and JSON: name -> (key, scale, unit)
_LAB = {
    "b_phi": ("b_phi_T", 1.0, "T"),
    "b_so": ("b_so_T", 1.0, "T"),
    "b_i": ("b_i_T", 1.0, "T"),
    "b_star": ("b_star_T", 1.0, "T"),
    "b_asy": ("b_asy_T", 1.0, "T"),
    "alpha": ("alpha", 1.0, ""),
    "l_phi": ("l_phi_nm", 1e9, "nm"),
    "background": ("background_e2h_per_T2", 1.0, "e^2/h/T^2"),
    "amplitude": ("amplitude", 1.0, ""),
    "offset": ("offset_e2h", 1.0, "e^2/h"),
}


@dataclass(frozen=True)
class FitFlag:
    """A finding about a fit: ``kind`` (see the module docstring) and a sentence."""

    kind: str
    message: str

    def __post_init__(self):
        if self.kind not in FLAG_KINDS:
            raise ValueError(f"unknown flag kind {self.kind!r}; use one of {list(FLAG_KINDS)}")

    @property
    def blocking(self) -> bool:
        return FLAG_KINDS[self.kind]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def json_safe(x):
    """Recursively replace NaN/inf by None and numpy scalars/arrays by Python objects."""
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_safe(x.tolist())
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


@dataclass(frozen=True)
class FitResult:
    """Outcome of :meth:`fits.models.Model.fit`.

    Attributes
    ----------
    values, stderr : dict
        Parameter values and their quoted standard errors in SI units
        (fields in T, lengths in m); fixed parameters have stderr 0.
    errors : dict
        Every error estimate computed, ``{method: {parameter: error}}``:
        ``"stat"`` (least squares with the given weights or covariance),
        ``"hac"`` (least squares with the residuals' autocorrelation,
        Newey-West), ``"neff"`` (least squares over the effective number of
        independent points), ``"bootstrap"`` (moving-block bootstrap over field),
        ``"window"`` (spread over a scan of field windows).
    quoted : str
        Which combination ``stderr`` is (see :meth:`fits.models.Model.fit`).
    correl : ndarray
        Correlation matrix of the free parameters (order of ``free``).
    b, y, sigma : ndarray
        The fitted data: field [T], magnetoconductance [e^2/h], errors.
    window : float
        Largest abs(B) fitted [T].
    reduced_chi2 : float
        chi^2 per degree of freedom: with the data's covariance or errors
        when given (a test of the model); otherwise the mean squared
        residual in (e^2/h)^2.
    derived : dict
        name -> (value, stderr) in lab units: ``l_phi_nm``, ``tau_phi_ps``
        when D is known, ...
    flags : tuple of FitFlag
    lmfit : lmfit.minimizer.MinimizerResult
        The underlying lmfit result (``lmfit.fit_report(result.lmfit)``).
    """

    model: object
    values: dict
    stderr: dict
    correl: np.ndarray
    free: tuple
    b: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None
    window: float
    chi2: float
    dof: int
    reduced_chi2: float
    residuals: np.ndarray
    derived: dict = field(default_factory=dict)
    flags: tuple = ()
    source: str = ""
    errors: dict = field(default_factory=dict)
    quoted: str = "stat"
    weighting: str = "none"
    lmfit: object = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """False when a flag says the numbers are not to be trusted."""
        return not any(f.blocking for f in self.flags)

    @property
    def strict_ok(self) -> bool:
        """False on any flag, cautions included."""
        return not self.flags

    @property
    def warnings(self) -> tuple[str, ...]:
        """The flags as sentences."""
        return tuple(str(f) for f in self.flags)

    def flagged(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.flags)

    def curve(self, b):
        """The fitted model at fields ``b`` [T] [e^2/h]."""
        return self.model(np.asarray(b, dtype=float), **self.values)

    def to_dict(self) -> dict:
        """JSON-ready summary (``_stderr`` siblings; NaN and inf become null)."""
        out = {"model": self.model.name, "g_s": self.model.g_s}
        for name, v in self.values.items():
            key, scale, _ = _LAB.get(name, (name, 1.0, ""))
            out[key] = v * scale
            out[f"{key}_stderr"] = self.stderr[name] * scale
        for key, (v, e) in self.derived.items():
            out.setdefault(key, v)
            out.setdefault(f"{key}_stderr", e)
        out["errors"] = {
            method: {
                _LAB.get(n, (n, 1.0))[0]: e * _LAB.get(n, (n, 1.0))[1] for n, e in errs.items()
            }
            for method, errs in self.errors.items()
        }
        out["quoted_error"] = self.quoted
        out["weighting"] = self.weighting
        out["reduced_chi2"] = self.reduced_chi2
        out["field_window_T"] = self.window
        out["n_points"] = len(self.b)
        out["fixed"] = sorted(self.model.fixed)
        out["correlations"] = {
            f"{a}:{b}": float(self.correl[i, j])
            for i, a in enumerate(self.free)
            for j, b in enumerate(self.free)
            if i < j
        }
        out["ok"] = self.ok
        out["flags"] = [{"kind": f.kind, "message": f.message} for f in self.flags]
        out["warnings"] = list(self.warnings)
        out["source"] = self.source
        return json_safe(out)

    def report(self) -> str:
        """Plain-text report."""
        m = self.model
        lines = [f"{m.name} fit ({self.source or 'data'}), g_s = {m.g_s}"]
        lines.append(
            f"  {len(self.b)} points, |B| <= {1e3 * self.window:.4g} mT, "
            f"reduced chi^2 = {self.reduced_chi2:.4g} ({self.dof} dof, weights: {self.weighting})"
        )
        for name, v in self.values.items():
            _, scale, unit = _LAB.get(name, (name, 1.0, ""))
            fixed = "  (fixed)" if name in m.fixed else ""
            e = self.stderr[name]
            if unit == "T":
                lines.append(f"  {name:9s} = {1e3 * v:.5g} +- {_err(1e3 * e)} mT{fixed}")
            else:
                lines.append(f"  {name:9s} = {v * scale:.5g} +- {_err(e * scale)} {unit}{fixed}")
        shown = {_LAB.get(n, (n,))[0] for n in self.values}
        for key, (v, e) in self.derived.items():
            if key in shown:
                continue
            name, unit = key.rsplit("_", 1)
            if unit == "T":
                v, e, unit = 1e3 * v, 1e3 * e, "mT"
            lines.append(f"  {name:9s} = {v:.5g} +- {_err(e)} {unit}")
        lines.append(f"  errors quoted: {self.quoted}")
        for method, errs in self.errors.items():
            parts = ", ".join(
                f"{n} {_err(e * _LAB.get(n, (n, 1.0))[1])}"
                for n, e in errs.items()
                if n in self.free
            )
            lines.append(f"    {method:9s}: {parts}")
        for i, a in enumerate(self.free):
            for j, b in enumerate(self.free):
                if i < j:
                    lines.append(f"  corr({a}, {b}) = {self.correl[i, j]:+.3f}")
        lines += [f"  {'FLAG' if f.blocking else 'note'} {f}" for f in self.flags]
        return "\n".join(lines)

    def plot(self, path=None, *, title=None):
        """Data, model and residuals; saved to ``path`` when given. Returns the figure.

        Fields in mT on the axis, both signs of B when the data have them.
        No backend is switched: without a path the figure is made with
        pyplot (shown inline in notebooks), with a path it is drawn on its
        own canvas and saved.
        """
        fig, (top, bottom) = _figure(2, 1, (5.5, 5), height_ratios=(3, 1), sharex=True,
                                     save=path is not None)  # fmt: skip
        bm = 1e3 * self.b
        label = "dsigma [e^2/h]" if self.model.quantity == "sheet" else "dG [e^2/h]"
        if self.sigma is not None:
            top.errorbar(bm, self.y, self.sigma, fmt="o", ms=3, label="data")
        else:
            top.plot(bm, self.y, "o", ms=3, label="data")
        fine = np.linspace(self.b.min(), self.b.max(), 400)
        top.plot(1e3 * fine, self.curve(fine), "-", label=f"{self.model.name} fit")
        top.set_ylabel(label)
        top.legend()
        if title:
            top.set_title(title)
        bottom.axhline(0, color="0.5", lw=0.8)
        bottom.plot(bm, self.residuals, "o", ms=3)
        bottom.set_xlabel("B [mT]")
        bottom.set_ylabel("residual [e^2/h]")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig


def _err(e) -> str:
    return "nan" if not math.isfinite(e) else f"{e:.2g}"


def _figure(nrows, ncols, figsize, *, save, height_ratios=None, sharex=False, squeeze=True):
    """A figure and its axes; with ``save`` on its own Agg canvas (no pyplot, no backend switch)."""
    kw = {"gridspec_kw": {"height_ratios": height_ratios}} if height_ratios else {}
    if save:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=squeeze, **kw)
        return fig, axes
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=figsize, sharex=sharex, squeeze=squeeze, **kw)
