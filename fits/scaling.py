"""Scaling theory from conductances and localization lengths: beta function, finite-size scaling.

Serves simulated datasets (:func:`transport.scaling.size_sweep`,
:func:`transport.scaling.localization_lengths`) and plain arrays alike;
knows nothing of Kwant.

- :func:`beta_function`: beta(g) = d <ln g> / d ln L between consecutive
  sizes, with its error from the realizations (differences taken per
  realization when the same realizations were computed at every size).
- :func:`beta_perturbative`: the weak-localization form in 2D, -1/(pi g)
  spinless orthogonal, +1/(2 pi g) symplectic (g in e^2/h per spin
  channel; double the spinless value's magnitude for spin-degenerate g in
  e^2/h, see ``docs/conventions``).
- :func:`weak_localization_square`: the one-loop correction of an L x L
  square between absorbing contacts itself, whose logarithm builds up over
  some 15 l from the contacts (what a finite-size beta function compares
  with).
- :func:`fit_finite_size_scaling`: W_c, nu and Lambda_c from Lambda(M, W)
  with the standard polynomial expansion (Slevin and Ohtsuki, PRL 82, 382
  (1999)) and, optionally, one irrelevant correction; on lmfit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .result import json_safe

__all__ = [
    "ScalingFit",
    "beta_function",
    "beta_perturbative",
    "crossing",
    "fit_finite_size_scaling",
    "weak_localization_square",
]


# -- beta function ------------------------------------------------------------


def beta_perturbative(g, symmetry: str = "orthogonal", dimension: int = 2):
    """The one-loop beta function of a 2D conductor, g in e^2/h per spin channel.

    Orthogonal (no spin-orbit): -1/(pi g); symplectic (strong spin-orbit,
    g of both spin species counted together per Kramers pair): +1/(2 pi g).
    Only ``dimension=2`` has a universal one-loop form.
    """
    if dimension != 2:
        raise ValueError("the one-loop form -1/(pi g) is the 2D one; give dimension=2")
    g = np.asarray(g, float)
    if symmetry == "orthogonal":
        return -1.0 / (np.pi * g)
    if symmetry == "symplectic":
        return 1.0 / (2 * np.pi * g)
    raise ValueError(f"symmetry is 'orthogonal' or 'symplectic', got {symmetry!r}")


def beta_function(ds=None, *, sizes=None, g=None, paired: bool | None = None):
    """beta = d <ln g> / d ln L between consecutive sizes, with standard errors.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        A :func:`transport.scaling.size_sweep` result (uses ``g``, the
        sample conductance after the contacts are removed).
    sizes : array_like, optional
        Sample sizes L (any length unit), increasing, if no ``ds``.
    g : array_like, optional
        Conductances [e^2/h per spin], shape (size, realization); NaN or
        inf entries (ballistic or failed realizations) are left out.
    paired : bool, optional
        Take differences per realization (the same disorder seed at every
        size: correlated samples, smaller errors). Default: True for a
        dataset, False for arrays.

    Returns
    -------
    dict of numpy arrays
        ``size`` (geometric mean of the pair), ``g`` (typical conductance
        exp(<ln g>) at the midpoint), ``beta``, ``beta_err``, ``n`` (the
        realizations used).
    """
    if ds is not None:
        sizes = ds["size"].values
        g = ds["g"].values
        paired = True if paired is None else paired
    if sizes is None or g is None:
        raise ValueError("give a size-sweep dataset or both sizes and g")
    sizes = np.asarray(sizes, float)
    g = np.asarray(g, float)
    if g.ndim != 2 or g.shape[0] != len(sizes):
        raise ValueError(f"g must have shape (sizes, realizations) = ({len(sizes)}, n), "
                         f"got {g.shape}")  # fmt: skip
    if np.any(np.diff(sizes) <= 0):
        raise ValueError("sizes must increase")
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_g = np.log(np.where(np.isfinite(g) & (g > 0), g, np.nan))
    out = {k: [] for k in ("size", "g", "beta", "beta_err", "n")}
    for i in range(len(sizes) - 1):
        dl = math.log(sizes[i + 1] / sizes[i])
        a, b = ln_g[i], ln_g[i + 1]
        if paired:
            ok = np.isfinite(a) & np.isfinite(b)
            d = (b[ok] - a[ok]) / dl
            n = d.size
            beta = d.mean() if n else np.nan
            err = d.std(ddof=1) / math.sqrt(n) if n > 1 else np.nan
            mid = 0.5 * (a[ok].mean() + b[ok].mean()) if n else np.nan
        else:
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            n = min(a.size, b.size)
            beta = (b.mean() - a.mean()) / dl
            err = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size) / dl
            mid = 0.5 * (a.mean() + b.mean())
        out["size"].append(math.sqrt(sizes[i] * sizes[i + 1]))
        out["g"].append(math.exp(mid))
        out["beta"].append(beta)
        out["beta_err"].append(err)
        out["n"].append(n)
    return {k: np.asarray(v) for k, v in out.items()}


def weak_localization_square(length, mean_free_path, b=0.0, *, node_spacing=None) -> float:
    """The one-loop weak-localization conductance [e^2/h per spin] of an L x L square itself.

    The Cooperon on the square (:class:`fits.finite.CooperonSpectrum`): contacts
    absorbing at z0 = (pi/4) l beyond the sample, reflecting edges, no
    dephasing, cut off at the mean free path (B_tr = hbar / 2 e l^2). Its
    difference between two sizes is the weak-localization part of a finite-size
    beta function, times 1 / (g ln(L2/L1)); for L >> l it tends to -1/(pi g) per
    factor e in L, but it builds up over some 15 l from the contacts.

    Parameters
    ----------
    length, mean_free_path : float
        Side L and mean free path l [m].
    b : float
        Perpendicular field [T].
    node_spacing : float, optional
        Grid spacing of the Cooperon [m] (default l / 3). At zero field the
        spectrum is a sum of rectangle modes (milliseconds); in a field it is
        solved on the grid, minutes for L ~ 30 l at l / 3.
    """
    from .finite import CooperonSpectrum, finite_film, zero_field
    from .lineshapes import HBAR_OVER_E

    if not (length > 0 and mean_free_path > 0):
        raise ValueError("the side and the mean free path are lengths > 0 [m]")
    z0 = math.pi / 4 * mean_free_path
    b_tr = HBAR_OVER_E / (2 * mean_free_path**2)
    h = node_spacing if node_spacing is not None else mean_free_path / 3
    nodes = int(length * (length + 2 * z0) / h**2)
    sp = CooperonSpectrum(length, length, extension=z0, max_nodes=nodes)
    g0 = zero_field(1e3, spectrum=sp, g_s=1, b_tr=b_tr)  # l_phi = 1 km: no dephasing
    if b == 0:
        return float(g0)
    return float(g0 + finite_film(np.array([b]), 1e3, spectrum=sp, g_s=1, b_tr=b_tr)[0])


# -- finite-size scaling ------------------------------------------------------


def crossing(disorders, lam_small, lam_large, err_small=None, err_large=None):
    """The disorder where Lambda of two widths cross, by linear interpolation of the difference.

    Returns (W*, error) [t]; the error propagates the Lambda errors through
    the interpolation (None if no errors given); W* is None if the
    difference does not change sign.
    """
    w = np.asarray(disorders, float)
    d = np.asarray(lam_large, float) - np.asarray(lam_small, float)
    idx = np.nonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)[0]
    if idx.size == 0:
        return None, None
    i = idx[0]
    w_star = w[i] - d[i] * (w[i + 1] - w[i]) / (d[i + 1] - d[i])
    if err_small is None or err_large is None:
        return float(w_star), None
    s = np.broadcast_to(np.hypot(err_small, err_large), w.shape)
    # dW*/dd_i and dW*/dd_{i+1}
    den = d[i + 1] - d[i]
    g_i = -(w[i + 1] - w[i]) * d[i + 1] / den**2
    g_j = (w[i + 1] - w[i]) * d[i] / den**2
    return float(w_star), float(math.hypot(g_i * s[i], g_j * s[i + 1]))


@dataclass(frozen=True)
class ScalingFit:
    """Outcome of :func:`fit_finite_size_scaling`.

    Attributes
    ----------
    w_c, w_c_err : float
        Critical disorder [t] and its standard error.
    nu, nu_err : float
        Correlation-length exponent and its standard error.
    lambda_c, lambda_c_err : float
        Critical Lambda = xi_M / M at the fixed point (without the
        irrelevant correction).
    values, stderr : dict
        Every fitted parameter.
    chi2, dof, p_value : float
        Goodness of fit; errors are scaled by sqrt(chi2/dof) when that
        exceeds 1 (``scaled``).
    widths, disorders, n_r, n_u, irrelevant
        What was fitted.
    """

    w_c: float
    w_c_err: float
    nu: float
    nu_err: float
    lambda_c: float
    lambda_c_err: float
    values: dict
    stderr: dict
    chi2: float
    dof: int
    p_value: float
    scaled: bool
    widths: tuple
    disorders: tuple
    n_r: int
    n_u: int
    irrelevant: bool
    _model: object = field(repr=False, compare=False, default=None)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("w_c", "w_c_err", "nu", "nu_err", "lambda_c",
                                           "lambda_c_err", "values", "stderr", "chi2", "dof",
                                           "p_value", "scaled", "widths", "disorders", "n_r",
                                           "n_u", "irrelevant")}  # fmt: skip
        return json_safe(d)

    def summary(self) -> str:
        lines = [
            f"W_c      = {self.w_c:.3f} +- {self.w_c_err:.3f} t",
            f"nu       = {self.nu:.3f} +- {self.nu_err:.3f}",
            f"Lambda_c = {self.lambda_c:.4f} +- {self.lambda_c_err:.4f}",
            f"chi2/dof = {self.chi2:.1f}/{self.dof} (p = {self.p_value:.2g})"
            + (", errors scaled by sqrt(chi2/dof)" if self.scaled else ""),
            f"widths M = {list(self.widths)}, {len(self.disorders)} disorders "
            f"{min(self.disorders):g}..{max(self.disorders):g} t, n_r = {self.n_r}, "
            f"n_u = {self.n_u}, irrelevant correction: {'yes' if self.irrelevant else 'no'}",
        ]
        return "\n".join(lines)

    def curve(self, width, disorder):
        """ln Lambda of the fitted model (with the irrelevant correction, if any)."""
        return self._model(self.values, np.asarray(width, float), np.asarray(disorder, float))

    def plot(self, lam=None, path=None, ax=None):
        """Lambda versus W, one curve per M, with the fit; a Lambda dataset adds the points."""
        from matplotlib.figure import Figure

        own = ax is None
        if own:
            fig = Figure(figsize=(5.5, 4))
            ax = fig.subplots()
        ws = np.linspace(min(self.disorders), max(self.disorders), 200)
        for k, m in enumerate(self.widths):
            color = f"C{k}"
            ax.plot(ws, np.exp(self.curve(m, ws)), color=color, lw=1)
            if lam is not None:
                sel = lam.sel(width=m)
                ax.errorbar(sel["disorder"], sel["Lambda"], sel["Lambda_err"], fmt="o",
                            ms=3, color=color, label=f"M = {m}")  # fmt: skip
        ax.axvline(self.w_c, color="k", ls=":", lw=1, label=f"W_c = {self.w_c:.2f} t")
        ax.set_xlabel("box disorder W [t]")
        ax.set_ylabel(r"$\Lambda = \xi_M / M$")
        ax.set_title(rf"$\nu$ = {self.nu:.2f} $\pm$ {self.nu_err:.2f}")
        ax.legend(fontsize=8)
        if own:
            fig.tight_layout()
            if path is not None:
                fig.savefig(path, dpi=150)
        return ax


def _scaling_model(n_r, n_u, irrelevant):
    def model(v, m, w):
        red = (v["w_c"] - w) / v["w_c"]
        u = red + sum(v[f"b{k}"] * red**k for k in range(2, n_u + 1))
        x = u * m ** (1.0 / v["nu"])
        f = v["a0"] + sum(v[f"a{k}"] * x**k for k in range(1, n_r + 1))
        if irrelevant:
            f = f + v["c0"] * m ** (-v["y"])
        return f

    return model


def fit_finite_size_scaling(
    lam=None,
    *,
    widths=None,
    disorders=None,
    values=None,
    errors=None,
    n_r: int = 3,
    n_u: int = 1,
    irrelevant: bool = False,
    w_c: float | None = None,
    nu: float = 1.5,
) -> ScalingFit:
    """Fit ln Lambda(M, W) = F(u(w) M^(1/nu)) [+ c M^(-y)] for W_c and nu.

    w = (W_c - W)/W_c, u = w + b2 w^2 + ... (order ``n_u``),
    F(x) = ln Lambda_c + a1 x + ... + a_{n_r} x^{n_r}; with ``irrelevant``
    a constant irrelevant correction c M^(-y), y > 0. Weighted least squares
    on ln Lambda with errors Lambda_err / Lambda.

    Parameters
    ----------
    lam : xarray.Dataset, optional
        A :func:`transport.scaling.localization_lengths` result.
    widths, disorders, values, errors : array_like, optional
        Or flat arrays of M, W [t], Lambda and its standard error.
    n_r, n_u : int
        Orders of the expansions of F and of u.
    irrelevant : bool
        Add the irrelevant correction (needs several widths, the smallest
        ones most affected).
    w_c : float, optional
        Starting critical disorder [t]; default: the crossing of the
        smallest and largest widths, else the middle of the range.
    nu : float
        Starting exponent.
    """
    import lmfit

    if lam is not None:
        mm, ww = np.meshgrid(lam["width"].values, lam["disorder"].values, indexing="ij")
        widths, disorders = mm.ravel(), ww.ravel()
        values, errors = lam["Lambda"].values.ravel(), lam["Lambda_err"].values.ravel()
    if widths is None or disorders is None or values is None or errors is None:
        raise ValueError("give a localization-length dataset or widths, disorders, values "
                         "and errors")  # fmt: skip
    m = np.asarray(widths, float)
    w = np.asarray(disorders, float)
    lam_v = np.asarray(values, float)
    err = np.asarray(errors, float)
    if not (m.shape == w.shape == lam_v.shape == err.shape):
        raise ValueError("widths, disorders, values and errors must have the same shape")
    if np.any(~np.isfinite(lam_v)) or np.any(lam_v <= 0) or np.any(~(err > 0)):
        raise ValueError("every Lambda must be positive with a positive error")
    n_widths = len(np.unique(m))
    if n_widths < 2:
        raise ValueError("finite-size scaling needs at least two widths M")
    if irrelevant and n_widths < 3:
        raise ValueError("the irrelevant correction needs at least three widths M")
    n_par = 2 + n_r + (n_u - 1) + (2 if irrelevant else 0)
    if len(m) <= n_par:
        raise ValueError(f"{len(m)} points cannot fix {n_par} parameters: add disorders or "
                         "lower n_r / n_u")  # fmt: skip
    y = np.log(lam_v)
    sigma = err / lam_v
    if w_c is None:
        small, large = m == m.min(), m == m.max()
        ws = np.unique(w)
        if np.array_equal(np.sort(w[small]), ws) and np.array_equal(np.sort(w[large]), ws):
            order_s, order_l = np.argsort(w[small]), np.argsort(w[large])
            w_c, _ = crossing(ws, lam_v[small][order_s], lam_v[large][order_l])
        if w_c is None:
            w_c = 0.5 * (w.min() + w.max())
    model = _scaling_model(n_r, n_u, irrelevant)
    params = lmfit.Parameters()
    params.add("w_c", value=w_c, min=w.min() - 0.5 * np.ptp(w), max=w.max() + 0.5 * np.ptp(w))
    params.add("nu", value=nu, min=0.3, max=5.0)
    near = np.abs(w - w_c) == np.abs(w - w_c).min()
    params.add("a0", value=float(np.mean(y[near])))
    # slope guess: d ln Lambda / d x from the largest width
    params.add("a1", value=1.0)
    for k in range(2, n_r + 1):
        params.add(f"a{k}", value=0.0)
    for k in range(2, n_u + 1):
        params.add(f"b{k}", value=0.0)
    if irrelevant:
        params.add("c0", value=0.0)
        params.add("y", value=2.0, min=0.2, max=10.0)

    def residual(p):
        return (model(p.valuesdict(), m, w) - y) / sigma

    best = None
    for a1 in (1.0, -1.0, 0.3, -0.3):  # the sign of F's slope is not known in advance
        params["a1"].set(value=a1)
        r = lmfit.minimize(residual, params, method="least_squares", scale_covar=False)
        if best is None or r.chisqr < best.chisqr:
            best = r
    r = lmfit.minimize(residual, best.params, method="leastsq", scale_covar=False)
    if r.errorbars is False:
        raise RuntimeError(
            "the finite-size-scaling fit has no error estimate (singular covariance): "
            "lower n_r or n_u, drop the irrelevant correction or add disorders nearer W_c"
        )
    dof = len(m) - r.nvarys
    chi2 = float(r.chisqr)
    scale = math.sqrt(chi2 / dof) if dof > 0 and chi2 > dof else 1.0
    vals = {k: float(p.value) for k, p in r.params.items()}
    errs = {k: float(p.stderr) * scale if p.stderr is not None else math.nan
            for k, p in r.params.items()}  # fmt: skip
    lc = math.exp(vals["a0"])
    return ScalingFit(
        w_c=vals["w_c"], w_c_err=errs["w_c"], nu=vals["nu"], nu_err=errs["nu"],
        lambda_c=lc, lambda_c_err=lc * errs["a0"], values=vals, stderr=errs, chi2=chi2,
        dof=dof, p_value=float(stats.chi2.sf(chi2, dof)) if dof > 0 else math.nan,
        scaled=scale > 1, widths=tuple(int(x) for x in np.unique(m)),
        disorders=tuple(float(x) for x in np.unique(w)), n_r=n_r, n_u=n_u,
        irrelevant=irrelevant, _model=model,
    )  # fmt: skip
