"""Fit results: values, standard errors, correlations, report, JSON and figure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FitResult"]

# Lab-unit names of the fit parameters in reports and JSON.
_LAB = {
    "b_phi": ("b_phi_T", 1.0, "T"),
    "b_so": ("b_so_T", 1.0, "T"),
    "b_star": ("b_star_T", 1.0, "T"),
    "alpha": ("alpha", 1.0, ""),
    "l_phi": ("l_phi_nm", 1e9, "nm"),
}


@dataclass(frozen=True)
class FitResult:
    """Outcome of :meth:`fits.models.Model.fit`.

    Attributes
    ----------
    values, stderr : dict
        Parameter values and standard errors in SI units (fields in T,
        lengths in m); fixed parameters have stderr 0.
    correl : ndarray
        Correlation matrix of the free parameters (order of ``free``).
    b, y, sigma : ndarray
        The fitted data: field [T], magnetoconductance [e^2/h], errors.
    window : float
        Largest |B| fitted [T].
    reduced_chi2 : float
        chi^2 per degree of freedom (with absolute errors when ``sigma`` was
        given; otherwise 1 by construction of the error scaling... reported
        as the mean squared residual).
    derived : dict
        name -> (value, stderr) in lab units: ``l_phi_nm``, ``tau_phi_ps``
        when D is known, ...
    warnings : tuple of str
        Diagnostics; any "poor fit" means the numbers are not to be trusted.
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
    warnings: tuple = ()
    source: str = ""

    @property
    def ok(self) -> bool:
        """False when a diagnostic flags a poor fit."""
        return not any(w.startswith("poor fit") for w in self.warnings)

    def curve(self, b):
        """The fitted model at fields ``b`` [T] [e^2/h]."""
        return self.model(np.asarray(b, dtype=float), **self.values)

    def to_dict(self) -> dict:
        """JSON-ready summary with the documented keys (and ``_stderr`` siblings)."""
        out = {"model": self.model.name, "g_s": self.model.g_s}
        for name, v in self.values.items():
            key, scale, _ = _LAB.get(name, (name, 1.0, ""))
            out[key] = v * scale
            out[f"{key}_stderr"] = self.stderr[name] * scale
        for key, (v, e) in self.derived.items():
            out.setdefault(key, v)
            out.setdefault(f"{key}_stderr", e)
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
        out["warnings"] = list(self.warnings)
        out["source"] = self.source
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in out.items()
        }

    def report(self) -> str:
        """Plain-text report."""
        lines = [f"{self.model.name} fit ({self.source or 'data'}), g_s = {self.model.g_s}"]
        lines.append(
            f"  {len(self.b)} points, |B| <= {1e3 * self.window:.4g} mT, "
            f"reduced chi^2 = {self.reduced_chi2:.4g} ({self.dof} dof)"
        )
        for name, v in self.values.items():
            key, scale, unit = _LAB.get(name, (name, 1.0, ""))
            fixed = "  (fixed)" if name in self.model.fixed else ""
            if unit == "T":
                lines.append(
                    f"  {name:8s} = {1e3 * v:.5g} +- {1e3 * self.stderr[name]:.2g} mT{fixed}"
                )
            else:
                lines.append(
                    f"  {name:8s} = {v * scale:.5g} +- {self.stderr[name] * scale:.2g} {unit}{fixed}"
                )
        shown = {_LAB.get(n, (n,))[0] for n in self.values}
        for key, (v, e) in self.derived.items():
            if key in shown:
                continue
            name, unit = key.rsplit("_", 1)
            if unit == "T":
                v, e, unit = 1e3 * v, 1e3 * e, "mT"
            lines.append(f"  {name:8s} = {v:.5g} +- {e:.2g} {unit}")
        for i, a in enumerate(self.free):
            for j, b in enumerate(self.free):
                if i < j:
                    lines.append(f"  corr({a}, {b}) = {self.correl[i, j]:+.3f}")
        lines += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)

    def plot(self, path=None, *, ax=None):
        """Data, model and residuals; saved to ``path`` when given. Returns the figure."""
        import matplotlib

        if path is not None and ax is None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (top, bottom) = plt.subplots(
            2, 1, sharex=True, figsize=(5.5, 5), gridspec_kw=dict(height_ratios=(3, 1))
        )
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
        bottom.axhline(0, color="0.5", lw=0.8)
        bottom.plot(bm, self.residuals, "o", ms=3)
        bottom.set_xlabel("B [mT]")
        bottom.set_ylabel("residual [e^2/h]")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig
