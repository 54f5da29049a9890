"""Fit models: a line shape plus bounds, a guess and the fit, built on lmfit.

The split follows lmfit: a pure line shape (``fits.lineshapes``), a
:class:`Model` that names its parameters, bounds them, guesses starting
values and checks where it applies, and a :class:`~fits.result.FitResult`
that reports and plots itself. The fit is ``lmfit.Minimizer`` with SciPy's
trust-region least squares; scale parameters (fields, lengths) are fitted in
log space (lmfit parameters ``ln_<name>``, the physical value an expression
``exp(ln_<name>)`` whose error lmfit propagates).

Weights: per-point errors, or none (the errors are then scaled by the
residual scatter). With a covariance matrix of the data (a simulated
ensemble, whose neighbouring fields share realizations) the fit is weighted
by its diagonal, the errors follow from the full covariance (sandwich), and
chi^2 is the correlated one (:meth:`Model.fit`).

Uncertainties (:meth:`Model.fit`): four estimates are computed and
reported, and one is quoted (``FitResult.quoted`` says which):

- ``stat``: least squares with the given weights (with a covariance matrix
  this is the honest statistical error, and chi^2 tests the model);
- ``hac``: least squares whose residuals are correlated along the field
  (universal conductance fluctuations, drifts): the Newey-West
  (heteroskedasticity and autocorrelation consistent) covariance, with a
  Bartlett window as long as twice the residuals' integrated correlation;
- ``neff``: the least-squares error times sqrt(n / n_eff), the effective
  number of independent points of residuals taken as AR(1) (lag-1
  correlation rho: n / n_eff = (1 + rho) / (1 - rho));
- ``bootstrap``: a moving-block bootstrap of the residuals over field;
- ``window``: the spread of the estimate over field windows from 1/2 to
  all of the fitted window (a model that does not describe the data drifts
  with the window).
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import lmfit
import numpy as np
from scipy import linalg

from cooperon.constants import HBAR_OVER_E, LARMOR_PER_T, MU_B_MEV_PER_T

from . import lineshapes as ls
from .result import FitFlag, FitResult

__all__ = [
    "HLN",
    "FiniteFilm",
    "FiniteFilmParallel",
    "Graphene",
    "GrapheneSpinOrbit",
    "HLNSpinOrbit",
    "Model",
    "ParallelField",
    "Param",
    "Wire",
    "WireFinite",
]

#: A field parameter this many times the largest fitted field is beyond what the data resolve.
BEYOND_FIELD_RANGE = 30.0
#: abs(correlation) above which two parameters are flagged degenerate.
DEGENERATE = 0.95
#: HLN (and the parallel-field law) need samples at least this many l_phi wide and long.
LARGE_SAMPLE = 5.0
#: Reduced chi^2 beyond which a weighted fit's errors could not honestly be rescaled (x5).
POOR_CHI2 = 25.0
#: Windows of the window scan, as fractions of the fitted window.
WINDOW_FRACTIONS = (0.5, 0.625, 0.75, 0.875, 1.0)


@dataclass(frozen=True)
class Param:
    """A fit parameter: name, unit, bounds, and whether it is fitted in log space."""

    name: str
    unit: str
    lower: float
    upper: float
    log: bool = False


BACKGROUND = Param("background", "e^2/h/T^2", -np.inf, np.inf)
AMPLITUDE = Param("amplitude", "", -1e3, 1e3)
OFFSET = Param("offset", "e^2/h", -np.inf, np.inf)


class Model:
    """Base class. Subclasses define ``params``, ``shape(b, **values)``, ``derived`` and
    ``applicability``.

    Parameters
    ----------
    g_s : int
        Spin degeneracy of the conductance (1 spinless, 2 spin-degenerate).
    fixed : dict, optional
        Parameters held at given values.
    background : bool
        Add a classical background c B^2 [e^2/h per T^2] (parameter
        ``background``).
    free_amplitude : bool
        Multiply the line shape by a free ``amplitude`` (an unknown geometry
        factor: a bulk or polycrystalline sample); alpha is then fixed (1
        unless given) and only the field scales are meaningful.
    offset : bool
        Add a free constant ``offset`` [e^2/h]: the error of the zero-field
        value a measured trace is referred to (one noisy point shifts the
        whole curve). Measured data are fitted with it by default
        (``cooperon fit``); a simulated ensemble does not need it, its
        covariance carries that error.
    """

    name = "model"
    params: tuple[Param, ...] = ()
    #: "sheet" (dsigma per square) or "total" (dG of the device)
    quantity = "sheet"
    #: the field the model describes: "b_perp" or "b_par"
    axis = "b_perp"
    #: spin (and valley) degeneracies the model accepts
    degeneracies = (1, 2)
    #: cheap to evaluate: the profile likelihood and bootstrap run by default
    cheap = True

    def __init__(self, *, g_s: int, fixed=None, background=False, free_amplitude=False,
                 offset=False):  # fmt: skip
        if g_s not in self.degeneracies:
            raise ValueError(
                f"g_s is the degeneracy of the conductance: {' or '.join(map(str, self.degeneracies))}"
                f" for the {self.name} model (2: spin-degenerate, 1: spinless, e.g. a per-spin "
                f"simulation); got {g_s!r}"
            )
        self.g_s = g_s
        self.fixed = dict(fixed or {})
        self.background = bool(background)
        self.free_amplitude = bool(free_amplitude)
        self.offset = bool(offset)
        names = {p.name for p in self.params}
        if self.free_amplitude and "alpha" in names:
            self.fixed.setdefault("alpha", 1.0)
        for k in self.fixed:
            if k not in {p.name for p in self.all_params}:
                raise ValueError(f"cannot fix {k!r}: {self.name} has parameters {sorted(names)}")

    # -- to override ----------------------------------------------------------

    def shape(self, b, **values):
        raise NotImplementedError

    def derived(self, values: dict, stderr: dict, diffusion: float | None) -> dict:
        """Derived quantities (value, stderr) in lab units."""
        return {}

    def applicability(self, values: dict) -> list[FitFlag]:
        """Flags when the fitted sample is outside the model's regime (default: none)."""
        return []

    def validity_bmax(self) -> float | None:
        """Largest field [T] where the model holds (None: unknown)."""
        return None

    def scale_field(self, values: dict) -> float:
        """The model's characteristic field [T] (B_phi, B*, ...)."""
        return values["b_phi"]

    def guess_grids(self, b) -> dict:
        """Grids of starting values for the log-space parameters."""
        bmax = float(np.max(np.abs(b)))
        logs = [p for p in self.free if p.log]
        n = {1: 80, 2: 24}.get(len(logs), 12)
        return {p.name: np.geomspace(1e-3 * bmax, 1e3 * bmax, n) for p in logs}

    # -- generic machinery -------------------------------------------------------

    @property
    def all_params(self) -> tuple[Param, ...]:
        extra = (AMPLITUDE,) if self.free_amplitude else ()
        extra += (BACKGROUND,) if self.background else ()
        return self.params + extra + ((OFFSET,) if self.offset else ())

    @property
    def free(self) -> tuple[Param, ...]:
        return tuple(p for p in self.all_params if p.name not in self.fixed)

    def __call__(self, b, **values):
        v = {**self.fixed, **values}
        y = self.shape(b, **{p.name: v[p.name] for p in self.params})
        if self.free_amplitude:
            y = v["amplitude"] * y
        if self.background:
            y = y + v["background"] * np.asarray(b, dtype=float) ** 2
        if self.offset:
            y = y + v["offset"]
        return y

    def parameters(self, start: dict) -> lmfit.Parameters:
        """lmfit Parameters at ``start`` (log-space ``ln_<name>`` for scale parameters)."""
        out = lmfit.Parameters()
        for p in self.all_params:
            if p.name in self.fixed:
                out.add(p.name, value=float(self.fixed[p.name]), vary=False)
            elif p.log:
                lo, hi = math.log(p.lower), math.log(p.upper)
                u = min(max(math.log(start[p.name]), lo + 1e-9), hi - 1e-9)
                out.add(f"ln_{p.name}", value=u, min=lo, max=hi)
                out.add(p.name, expr=f"exp(ln_{p.name})")
            else:
                v = min(max(float(start[p.name]), p.lower), p.upper)
                out.add(p.name, value=v, min=p.lower, max=p.upper)
        return out

    def _values(self, params) -> dict:
        return {p.name: float(params[p.name].value) for p in self.all_params}

    def guess(self, b, y, weights=None) -> dict:
        """Starting values: a grid over the scale parameters with the linear ones solved.

        The linear parameters (alpha, amplitude, background) enter the model
        linearly: for every grid point they are the weighted least-squares
        solution, clipped to their bounds.
        """
        w = np.ones_like(y) if weights is None else weights
        grids = self.guess_grids(b)
        lins = [p for p in self.free if not p.log]
        best, best_cost = None, np.inf
        for combo in itertools.product(*grids.values()):
            values = {p.name: _start(p) for p in self.free}
            values.update(zip(grids, combo))
            if lins:
                zero = {**values, **{p.name: 0.0 for p in lins}}
                f0 = self(b, **zero)
                basis = np.stack([self(b, **{**zero, p.name: 1.0}) - f0 for p in lins], axis=1)
                coef, *_ = np.linalg.lstsq(basis * w[:, None], (y - f0) * w, rcond=None)
                for p, c in zip(lins, coef):
                    values[p.name] = float(np.clip(c, p.lower, p.upper))
            with np.errstate(all="ignore"):
                r = (y - self(b, **values)) * w
            cost = float(r @ r)
            if cost < best_cost:
                best, best_cost = values, cost
        return best

    def fit(
        self,
        b,
        y=None,
        sigma=None,
        *,
        cov=None,
        cov_invertible: bool = True,
        window: float | None = None,
        diffusion: float | None = None,
        guess: dict | None = None,
        source: str = "",
        errors: str = "auto",
    ) -> FitResult:
        """Fit the magnetoconductance ``y`` [e^2/h] measured at fields ``b`` [T].

        Parameters
        ----------
        b, y : array_like
            Field [T] and magnetoconductance relative to zero field [e^2/h];
            or ``b`` a :class:`fits.MagnetoData` (its fields, values, errors,
            covariance, and the diffusion constant of a simulated dataset).
        sigma : array_like, optional
            Standard errors of ``y`` (absolute weights).
        cov : array_like, optional
            Covariance matrix of ``y`` [(e^2/h)^2], e.g. from the realizations
            of a simulated ensemble.
        cov_invertible : bool
            False when ``cov`` comes from too few samples to be inverted: it
            then gives the errors only, and chi^2 uses the per-point errors.
        window : float, optional
            Fit abs(B) <= window [T]; default the model's validity limit when
            known, else all data.
        diffusion : float, optional
            Diffusion constant D [m^2/s]; gives tau_phi = l_phi^2 / D.
        errors : {"auto", "all", "fast"}
            Which error estimates to compute. "fast": least squares only.
            "all": also the HAC, bootstrap and window-scan estimates.
            "auto": "all" for cheap models, and without the bootstrap for
            the expensive ones.

        Notes
        -----
        With a covariance the estimate is the per-point-weighted one (the
        covariance's diagonal) and its error the exact one of that estimate
        under the full covariance (the sandwich formula, what a jackknife
        over realizations approximates); the goodness of fit is the
        correlated chi^2 of the estimate. Generalized least squares itself is
        not used: the smooth curves of an ensemble make its covariance nearly
        singular, and the estimate would follow the smallest eigen-directions,
        where any model is approximate (studies/finite_film_shape).

        The quoted standard error of a parameter is the largest of the
        statistical estimates that apply (``stat``, and without a data
        covariance also ``hac`` and ``bootstrap``), combined in quadrature
        with the ``window`` spread in excess of that statistical error: the
        window spread of a model that describes the data is itself
        statistical (nested windows share their points), so only what
        exceeds the statistical error is counted as systematic.
        """
        if y is None:  # a MagnetoData
            data = b
            b, y, sigma, cov, cov_invertible = (data.b, data.dy, data.sigma, data.cov,
                                                data.cov_invertible)  # fmt: skip
            if diffusion is None:
                diffusion = data.meta.get("diffusion_m2s")
            source = source or str(data.meta.get("source", ""))
        b, y, sigma, cov, window = self._prepare(b, y, sigma, cov, window)
        weighting = "covariance" if cov is not None else "errors" if sigma is not None else "none"
        label = weighting
        # the estimate: per-point weights (with a covariance: its diagonal; see the Notes)
        whiten = _whitener(sigma, None)
        start = guess or self.guess(b, y, None if sigma is None else 1 / sigma)
        res, _ = self._minimize(b, y, whiten, start, weighting)
        values = self._values(res.params)
        free_names = [p.name for p in self.free]
        lsq = {n: _stderr(res.params[n]) for n in free_names}
        correl = _correlation(res)
        resid = y - self(b, **values)
        dof = max(int(res.nfree), 1)
        if weighting == "covariance":
            stat, correl = self._sandwich(b, values, sigma, cov)
            if cov_invertible:
                white = _whitener(None, cov)(resid)  # the correlated chi^2 of the estimate
                red = float(white @ white) / dof
            else:  # too few samples to invert: chi^2 with the per-point errors
                white = whiten(resid)
                red = float(res.redchi)
                label = "covariance for the errors, per-point errors for chi^2"
        else:
            stat = lsq
            white = whiten(resid)
            red = float(res.redchi)
        mode = "all" if errors == "auto" and self.cheap else errors
        est = {"stat": stat}
        tau_int = _integrated_correlation(white)
        if mode != "fast" and weighting != "covariance":
            est["hac"] = self._hac(b, values, whiten, white, tau_int)
            factor = math.sqrt(_ar1_factor(white))
            est["neff"] = {n: e * factor for n, e in stat.items()}
            if mode == "all":
                est["bootstrap"] = self._bootstrap(b, y, values, whiten, white, tau_int, weighting)
        if mode != "fast":
            inflate = np.array([_ratio(max(est[m][n] for m in est), lsq[n]) for n in free_names])
            est["window"], excess = self._window_scan(b, y, sigma, values, weighting, inflate)
        else:
            excess = None
        quoted, how = _quote(est, excess, free_names)
        if weighting != "none" and red > _chi2_limit(dof):
            # the model does not describe the data to their precision: PDG scale factor
            quoted = {n: e * math.sqrt(red) for n, e in quoted.items()}
            how += f", scaled by sqrt(reduced chi^2) = {math.sqrt(red):.2g}"
        stderr = {**quoted, **dict.fromkeys(self.fixed, 0.0)}
        flags = self._diagnose(b, y, res, values, stderr, correl, white, weighting, tau_int, red)
        if mode == "all" and self.cheap:
            flags += self._profile(b, y, whiten, res, weighting)
        flags += self.applicability(values)
        chi2 = red * dof
        return FitResult(
            model=self,
            values=values,
            stderr=stderr,
            correl=correl,
            free=tuple(free_names),
            b=b,
            y=y,
            sigma=sigma,
            window=window,
            chi2=chi2,
            dof=dof,
            reduced_chi2=red,
            residuals=resid,
            derived=self.derived(values, stderr, diffusion),
            flags=tuple(flags),
            source=source,
            errors=est,
            quoted=how,
            weighting=label,
            lmfit=res,
        )

    # -- fit steps -----------------------------------------------------------------

    def _prepare(self, b, y, sigma, cov, window):
        b = np.asarray(b, dtype=float)
        y = np.asarray(y, dtype=float)
        if b.shape != y.shape or b.ndim != 1:
            raise ValueError(
                f"field and data must be 1D arrays of one length, got {b.shape}, {y.shape}"
            )
        bad = ~np.isfinite(b) | ~np.isfinite(y)
        if sigma is not None:
            sigma = np.broadcast_to(np.asarray(sigma, dtype=float), b.shape).copy()
            bad |= ~np.isfinite(sigma) | (sigma <= 0)
        if bad.any():
            raise ValueError(
                f"data contain NaN/inf (or non-positive errors) at {bad.sum()} point(s), "
                f"e.g. index {np.flatnonzero(bad)[:5].tolist()}; remove or fill them first"
            )
        if window is None:
            window = self.validity_bmax()
        keep = np.ones(b.shape, bool) if window is None else np.abs(b) <= window
        n_free = len(self.free)
        if keep.sum() < n_free + 3:
            where = "all" if window is None else f"|B| <= {1e3 * window:.4g} mT"
            raise ValueError(
                f"too few points to fit: {keep.sum()} in the field window ({where}); the "
                f"{self.name} model has {n_free} free parameter(s) and needs at least "
                f"{n_free + 3} points: widen the window or add field points"
            )
        if cov is not None:
            cov = np.asarray(cov, dtype=float)
            if cov.shape != (b.size, b.size):
                raise ValueError(f"cov must be {b.size} x {b.size}, got {cov.shape}")
            cov = cov[np.ix_(keep, keep)]
            sigma = np.sqrt(np.diag(cov))
        b, y = b[keep], y[keep]
        sigma = None if sigma is None else sigma[keep] if sigma.size == keep.size else sigma
        window = float(np.max(np.abs(b))) if window is None else float(window)
        return b, y, sigma, cov, window

    def _minimize(self, b, y, whiten, start, weighting):
        params = self.parameters(start)

        def residual(p):
            return whiten(y - self(b, **self._values(p)))

        mini = lmfit.Minimizer(
            residual, params, scale_covar=weighting == "none", nan_policy="raise"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = mini.minimize(method="least_squares", x_scale="jac")
        return res, mini

    def _internal(self, values):
        return np.array([math.log(values[p.name]) if p.log else values[p.name] for p in self.free])

    def _external(self, u, values):
        out = dict(values)
        for p, x in zip(self.free, u):
            out[p.name] = math.exp(x) if p.log else float(x)
        return out

    def _jacobian(self, b, values):
        u0 = self._internal(values)
        cols = []
        for k, p in enumerate(self.free):
            h = 1e-5 if p.log else 1e-5 * max(1.0, abs(u0[k]))
            up, dn = u0.copy(), u0.copy()
            up[k] += h
            dn[k] -= h
            cols.append(
                (self(b, **self._external(up, values)) - self(b, **self._external(dn, values)))
                / (2 * h)
            )
        return np.stack(cols, axis=1)

    def _to_physical(self, values, err_u):
        return {p.name: (values[p.name] * e if p.log else e) for p, e in zip(self.free, err_u)}

    def _sandwich(self, b, values, sigma, cov):
        """Errors and correlations of the per-point-weighted estimate when the data covariance is
        ``cov``: (X^T X)^-1 X^T R X (X^T X)^-1, X = J / sigma, R the data's correlation matrix
        (floored as in the whitening)."""
        x = self._jacobian(b, values) / sigma[:, None]
        d = np.sqrt(np.diag(cov))
        w, v = linalg.eigh(cov / np.outer(d, d))
        corr = (v * np.maximum(w, COVARIANCE_FLOOR * w.max())) @ v.T
        m = len(self.free)
        try:
            bread = np.linalg.inv(x.T @ x)
        except np.linalg.LinAlgError:
            return dict.fromkeys((p.name for p in self.free), math.nan), np.full((m, m), np.nan)
        c = bread @ (x.T @ corr @ x) @ bread
        e = np.sqrt(np.clip(np.diag(c), 0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            correl = c / np.outer(e, e)
        return self._to_physical(values, e), correl

    def _hac(self, b, values, whiten, white, tau_int):
        """Newey-West covariance of the least-squares estimate with correlated residuals."""
        x = np.stack([whiten(c) for c in self._jacobian(b, values).T], axis=1)
        try:
            bread = np.linalg.inv(x.T @ x)
        except np.linalg.LinAlgError:
            return dict.fromkeys((p.name for p in self.free), math.nan)
        lags = min(len(b) // 3, max(1, math.ceil(2 * tau_int)))
        score = x * white[:, None]
        meat = score.T @ score
        for k in range(1, lags + 1):
            gamma = score[k:].T @ score[:-k]
            meat += (1 - k / (lags + 1)) * (gamma + gamma.T)
        n, m = len(b), len(self.free)
        cov = bread @ meat @ bread * n / max(n - m, 1)
        return self._to_physical(values, np.sqrt(np.clip(np.diag(cov), 0, None)))

    def _bootstrap(self, b, y, values, whiten, white, tau_int, weighting, n_boot=100):
        """Moving-block bootstrap of the residuals along the field: spread of the refits."""
        n = len(b)
        block = min(max(1, math.ceil(2 * tau_int)), max(1, n // 4))
        rng = np.random.default_rng(20240611)
        f = self(b, **values)
        resid = y - f
        starts = np.arange(n - block + 1)
        out = []
        for _ in range(n_boot):
            picks = rng.choice(starts, size=math.ceil(n / block))
            idx = (picks[:, None] + np.arange(block)[None, :]).ravel()[:n]
            y_star = f + resid[idx]
            try:
                r, _ = self._minimize(b, y_star, whiten, values, weighting)
            except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - a failed refit
                continue
            out.append(self._internal(self._values(r.params)))
        if len(out) < 10:
            return dict.fromkeys((p.name for p in self.free), math.nan)
        return self._to_physical(values, np.std(np.array(out), axis=0, ddof=1))

    def _window_scan(self, b, y, sigma, values, weighting, inflate):
        """Drift of the estimate over windows WINDOW_FRACTIONS of the fitted one.

        Returns the RMS drift from the full-window value and the part of it
        that statistics do not explain: for nested windows the difference of
        the two estimates has variance sigma_w^2 - sigma_full^2 (Hausman), so
        the systematic drift is sqrt(max(0, <d_w^2 - (sigma_w^2 - sigma_full^2)>)).
        ``inflate`` scales the least-squares errors (the HAC/bootstrap over
        the least-squares error of the full window).
        """
        top = float(np.max(np.abs(b)))
        u_full = self._internal(values)
        d2, var = [], []
        full_err = None
        for frac in WINDOW_FRACTIONS:
            keep = np.abs(b) <= frac * top * (1 + 1e-12)
            if keep.sum() < len(self.free) + 3:
                continue
            w = _whitener(None if sigma is None else sigma[keep], None)
            try:
                r, _ = self._minimize(b[keep], y[keep], w, values, weighting)
            except (ValueError, np.linalg.LinAlgError):  # pragma: no cover
                continue
            u = self._internal(self._values(r.params))
            err = np.array([_stderr(r.params[f"ln_{p.name}" if p.log else p.name])
                            for p in self.free]) * inflate  # fmt: skip
            if frac == WINDOW_FRACTIONS[-1]:
                full_err = err
            else:
                d2.append((u - u_full) ** 2)
                var.append(err**2)
        nan = dict.fromkeys((p.name for p in self.free), math.nan)
        if len(d2) < 2 or full_err is None:
            return nan, nan
        d2, var = np.array(d2), np.array(var)
        drift = np.sqrt(d2.mean(axis=0))
        diff = d2 - (var - full_err**2)
        ok = np.isfinite(diff)
        mean = np.where(ok.any(axis=0), np.where(ok, diff, 0).sum(axis=0) / np.maximum(ok.sum(axis=0), 1),
                        np.nan)  # fmt: skip
        excess = np.sqrt(np.clip(mean, 0, None))
        return self._to_physical(values, drift), self._to_physical(values, excess)

    def _profile(self, b, y, whiten, res, weighting) -> list[FitFlag]:
        """Profile likelihood of the scale parameters: the 1-sigma interval must close.

        Each log-space parameter is stepped away from its best value on both
        sides (steps doubling from its least-squares error), the other free
        parameters re-fitted at each step, until chi^2 has risen by 1 (times
        the reduced chi^2 without weights) or the parameter's bound is hit.
        """
        best = self._values(res.params)
        chi0 = float(res.chisqr)
        rise = float(res.redchi) if weighting == "none" else 1.0
        others = list(self.free)
        open_ = []
        for p in self.free:
            if not p.log:
                continue
            err = res.params[f"ln_{p.name}"].stderr
            step0 = 0.05 if err is None or not np.isfinite(err) or err <= 0 else min(err, 1.0)
            closed = []
            for sign in (1.0, -1.0):
                u, step, hit = math.log(best[p.name]), step0, False
                lo, hi = math.log(p.lower), math.log(p.upper)
                for _ in range(12):
                    u = min(max(u + sign * step, lo), hi)
                    chi = self._chi2_with(b, y, whiten, best, p.name, math.exp(u), others)
                    if chi >= chi0 + rise:
                        hit = True
                        break
                    if u in (lo, hi):
                        break
                    step *= 2
                closed.append(hit)
            if not all(closed):
                open_.append(p.name)
        if not open_:
            return []
        return [
            FitFlag(
                "undetermined",
                f"the profile likelihood of {', '.join(open_)} does not close within its bounds: "
                "the data do not determine it; widen the field range or fix a parameter",
            )
        ]

    def _chi2_with(self, b, y, whiten, best, name, value, others):
        """chi^2 with ``name`` held at ``value`` and the other free parameters re-fitted."""
        rest = [p for p in others if p.name != name]
        if not rest:
            r = whiten(y - self(b, **{**best, name: value}))
            return float(r @ r)
        fixed = dict(self.fixed)
        self.fixed = {**fixed, name: value}
        try:
            r, _ = self._minimize(b, y, whiten, best, "errors")
            return float(r.chisqr)
        finally:
            self.fixed = fixed

    def _diagnose(self, b, y, res, values, stderr, correl, white, weighting, tau_int, red):
        out = []
        params = res.params
        at_bound = []
        for p in self.free:
            key = f"ln_{p.name}" if p.log else p.name
            par = params[key]
            span = max(1.0, abs(par.max - par.min)) if np.isfinite(par.max - par.min) else 1.0
            if (np.isfinite(par.min) and abs(par.value - par.min) < 1e-6 * span) or (
                np.isfinite(par.max) and abs(par.value - par.max) < 1e-6 * span
            ):
                at_bound.append(p.name)
        if at_bound:
            out.append(
                FitFlag(
                    "at_bound",
                    f"{', '.join(at_bound)} ended on a bound of the {self.name} model: the data "
                    "may not follow this model (e.g. antilocalization fitted with WL only)",
                )
            )
        top = float(np.max(np.abs(b)))
        beyond = [
            p.name
            for p in self.free
            if p.log and p.unit == "T" and values[p.name] > BEYOND_FIELD_RANGE * top
        ]
        if beyond:
            out.append(
                FitFlag(
                    "undetermined",
                    f"{', '.join(beyond)} = {', '.join(f'{1e3 * values[n]:.3g} mT' for n in beyond)}"
                    f" lies far above the largest field ({1e3 * top:.3g} mT): the data show only "
                    f"its limit{self._limit_hint(beyond)}",
                )
            )
        vague = [
            f"{p.name} (relative error {stderr[p.name] / values[p.name]:.2g})"
            for p in self.free
            if p.log and p.name not in beyond and not stderr[p.name] < values[p.name]
        ]
        if vague:
            out.append(
                FitFlag(
                    "undetermined",
                    f"{', '.join(vague)}: not determined by these data; widen the field range, "
                    "add data, or fix a parameter",
                )
            )
        free = [p.name for p in self.free]
        for i, j in zip(*np.triu_indices(len(free), 1)):
            if abs(correl[i, j]) > DEGENERATE:
                pair = {free[i], free[j]}
                advice = (
                    "fix alpha (1 for weak localization, -1/2 for strong spin-orbit coupling)"
                    if "alpha" in pair
                    else "fix one of them, or widen the field range"
                )
                out.append(
                    FitFlag(
                        "degenerate",
                        f"{free[i]} and {free[j]} are correlated ({correl[i, j]:+.3f}): the data "
                        f"trade one for the other; {advice}",
                    )
                )
        dof = max(int(res.nfree), 1)
        if weighting != "none" and red > POOR_CHI2:
            out.append(
                FitFlag(
                    "poor_fit",
                    f"reduced chi^2 = {red:.3g} for {dof} degrees of freedom (weights: "
                    f"{weighting}): the {self.name} model does not describe these data",
                )
            )
        elif weighting != "none" and red > _chi2_limit(dof):
            out.append(
                FitFlag(
                    "uncertain",
                    f"reduced chi^2 = {red:.3g} for {dof} degrees of freedom (weights: "
                    f"{weighting}): the model describes the data only to {math.sqrt(red):.2g} "
                    "times their errors; the quoted errors are scaled by that factor",
                )
            )
        model = self(b, **values)
        if weighting == "none":
            ss_tot = float(np.sum((y - y.mean()) ** 2))
            if ss_tot > 0 and 1 - float(np.sum((y - model) ** 2)) / ss_tot < 0.5:
                out.append(
                    FitFlag(
                        "poor_fit",
                        f"the {self.name} model explains less than half of the data's variation",
                    )
                )
            if tau_int > 2:
                out.append(
                    FitFlag(
                        "correlated",
                        f"the residuals are correlated over ~{tau_int:.1f} points (fluctuations or "
                        "a background): the least-squares errors are too small, larger estimates "
                        "are quoted",
                    )
                )
        elif weighting == "errors" and red > 0.1:  # residuals far below the errors: nothing to see
            z = _runs_z(white)
            if z < -3.5:
                out.append(
                    FitFlag(
                        "correlated",
                        f"systematic runs in the residuals (runs test z = {z:.1f}): the line shape "
                        "misses the data, or their errors are correlated (larger estimates quoted)",
                    )
                )
        sign = self.expected_sign(values)
        if sign and np.sign(y.mean()) == -sign and abs(y.mean()) > 3 * y.std() / math.sqrt(len(y)):
            kind = "decreases" if sign > 0 else "increases"
            out.append(
                FitFlag(
                    "poor_fit",
                    f"the conductance {kind} with field, the opposite sign to this {self.name} "
                    "model (antilocalization fitted with WL, or the reverse?)",
                )
            )
        b_char = self.scale_field(values)
        if b_char > top and not beyond:
            msg = (
                f"the field range never reaches the model's characteristic field "
                f"({1e3 * b_char:.4g} mT > {1e3 * top:.4g} mT): only the parabolic low-field "
                "regime is seen"
            )
            if "alpha" in free:
                advice = "extend the field range to a few times that field or fix alpha"
                out.append(
                    FitFlag(
                        "undetermined", f"{msg}, where B_phi and alpha are degenerate; {advice}"
                    )
                )
            else:
                out.append(FitFlag("uncertain", msg))
        return out

    def _limit_hint(self, names) -> str:
        return ""

    def expected_sign(self, values: dict) -> int:
        """Sign of the magnetoconductance the model predicts (0: either)."""
        a = values.get("alpha")
        if "alpha" not in self.fixed or self.free_amplitude:
            return 0
        return int(np.sign(a))


def _start(p: Param) -> float:
    if p.name in ("alpha", "amplitude"):
        return 1.0
    if p.name in ("background", "offset"):
        return 0.0
    return math.sqrt(p.lower * p.upper) if p.log else 0.5 * (p.lower + p.upper)


#: Eigenvalues of a data correlation matrix below this fraction of the largest are raised to it:
#: a numerical floor (the solvers' accuracy), far below the statistically resolved eigenvalues.
COVARIANCE_FLOOR = 1e-12


def _whitener(sigma, cov):
    """The map from residuals to independent unit-variance residuals.

    A covariance is whitened through the eigenvalues of its correlation
    matrix (``COVARIANCE_FLOOR``): the smooth curves of a simulated ensemble
    make it singular to machine precision, which a Cholesky factor refuses.
    """
    if cov is not None:
        d = np.sqrt(np.diag(cov))
        if not np.all(d > 0):
            raise ValueError("the data covariance has zero variance at some field: drop that point")
        w, v = linalg.eigh(cov / np.outer(d, d))
        if not w.max() > 0:
            raise ValueError("the data covariance is not positive: check the realizations")
        w = np.maximum(w, COVARIANCE_FLOOR * w.max())
        m = (v / np.sqrt(w)).T  # R^(-1/2) in the eigenbasis
        return lambda r: m @ (r / d)
    if sigma is not None:
        return lambda r: r / sigma
    return lambda r: r


def _stderr(par) -> float:
    return float(par.stderr) if par.stderr is not None and np.isfinite(par.stderr) else math.nan


def _correlation(res) -> np.ndarray:
    m = len(res.var_names)
    if res.covar is None:
        return np.full((m, m), np.nan)
    c = np.asarray(res.covar)
    d = np.sqrt(np.clip(np.diag(c), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        return c / np.outer(d, d)


def _integrated_correlation(r) -> float:
    """1 + 2 sum of the autocorrelation of ``r`` over Geyer's initial positive sequence."""
    r = np.asarray(r, float) - np.mean(r)
    n = len(r)
    c0 = float(r @ r)
    if n < 4 or c0 == 0:
        return 1.0
    rho = np.array([float(r[k:] @ r[:-k]) / c0 for k in range(1, n // 2)])
    total = 0.0
    for k in range(0, len(rho) - 1, 2):
        pair = rho[k] + rho[k + 1]
        if pair <= 0:
            break
        total += pair
    return max(1.0, 1 + 2 * total)


def _chi2_limit(dof) -> float:
    """Reduced chi^2 above which a weighted fit is inconsistent with its errors (5 sigma)."""
    return 1 + 5 * math.sqrt(2 / dof)


def _ratio(a, b) -> float:
    return a / b if np.isfinite(a) and np.isfinite(b) and b > 0 else 1.0


def _ar1_factor(e) -> float:
    """n / n_eff of residuals taken as AR(1): (1 + rho) / (1 - rho), rho the lag-1 correlation."""
    e = np.asarray(e, float) - np.mean(e)
    rho = float(e[1:] @ e[:-1]) / float(e @ e) if e @ e > 0 else 0.0
    rho = min(max(rho, 0.0), 0.98)
    return (1 + rho) / (1 - rho)


def _quote(est, excess, names):
    """The quoted error of each parameter and a description of how it was formed.

    The largest statistical estimate (``stat``, ``hac``, ``bootstrap``: the
    latter two allow for correlated residuals), and in quadrature the
    window drift that statistics do not explain.
    """
    stat_methods = [m for m in ("stat", "hac", "neff", "bootstrap") if m in est]
    quoted = {}
    for n in names:
        stat = max((est[m][n] for m in stat_methods if np.isfinite(est[m][n])), default=math.nan)
        extra = excess[n] if excess is not None and np.isfinite(excess[n]) else 0.0
        quoted[n] = math.hypot(stat, extra) if np.isfinite(stat) else math.nan
    how = "largest of " + ", ".join(stat_methods)
    if excess is not None:
        how += ", plus (in quadrature) the window drift beyond statistics"
    return quoted, how


def _runs_z(res) -> float:
    """Wald-Wolfowitz runs test on residual signs: z << 0 means systematic deviations."""
    s = np.sign(res[res != 0])
    n1, n2 = np.sum(s > 0), np.sum(s < 0)
    n = n1 + n2
    if n1 == 0 or n2 == 0:
        return -np.inf if n > 10 else 0.0
    runs = 1 + np.count_nonzero(s[1:] != s[:-1])
    mu = 2 * n1 * n2 / n + 1
    var = 2 * n1 * n2 * (2 * n1 * n2 - n) / (n**2 * (n - 1))
    return float((runs - mu) / math.sqrt(var)) if var > 0 else 0.0


# -- derived quantities -----------------------------------------------------------------


def _from_b(name, values, stderr, diffusion, out=None):
    """l_x [nm] and (with D) tau_x [ps] of a characteristic field B_x = hbar/(4 e l_x^2)."""
    out = {} if out is None else out
    b, e = values[f"b_{name}"], stderr.get(f"b_{name}", 0.0)
    length = float(ls.length_from_b(b))
    out[f"l_{name}_nm"] = (length * 1e9, length * 0.5 * e / b * 1e9)
    if diffusion:
        tau = float(ls.time_from_b(b, diffusion))
        out[f"tau_{name}_ps"] = (tau * 1e12, tau * e / b * 1e12)
    return out


def _from_l_phi(l_phi, l_err, diffusion):
    """l_phi [nm], B_phi [T] and (with D) tau_phi [ps] from a fitted l_phi [m]."""
    b_phi = float(ls.b_from_length(l_phi))
    out = {"l_phi_nm": (l_phi * 1e9, l_err * 1e9), "b_phi_T": (b_phi, b_phi * 2 * l_err / l_phi)}
    if diffusion:
        tau = l_phi**2 / diffusion
        out["tau_phi_ps"] = (tau * 1e12, 2 * tau * l_err / l_phi * 1e12)
    return out


def _l_phi(values) -> float:
    return float(values["l_phi"]) if "l_phi" in values else float(ls.length_from_b(values["b_phi"]))


def _nm(x) -> str:
    return f"{x * 1e9:.3g} nm"


# -- the models ---------------------------------------------------------------------------


class HLN(Model):
    """2D weak localization (Hikami-Larkin-Nagaoka): B_phi [T] and alpha.

    Parameters
    ----------
    g_s : {1, 2}
        Spin degeneracy of the conductance.
    alpha : float, optional
        Fix alpha (1 for WL, -1/2 for strong spin-orbit); free by default,
        bounded to [-1, 1.5].
    b_tr : float, optional
        Transport field hbar/(2 e l^2) [T]: includes the finite-l term and
        sets the default field window to B <= B_tr / 2.
    width, length : float, optional
        Sample size [m]: HLN assumes both are at least ``LARGE_SAMPLE``
        l_phi; a fit outside that is flagged ``not_applicable`` (use
        :class:`FiniteFilm`).
    background, free_amplitude
        See :class:`Model`.
    """

    name = "hln"
    params = (
        Param("b_phi", "T", 1e-9, 1e3, log=True),
        Param("alpha", "", -1.0, 1.5),
    )

    def __init__(self, *, g_s, alpha=None, b_tr=None, width=None, length=None, background=False,
                 free_amplitude=False, offset=False):  # fmt: skip
        fixed = None if alpha is None else {"alpha": alpha}
        super().__init__(g_s=g_s, fixed=fixed, background=background,
                         free_amplitude=free_amplitude, offset=offset)  # fmt: skip
        self.b_tr, self.width, self.length = b_tr, width, length

    def shape(self, b, b_phi, alpha):
        return ls.hln(b, b_phi, alpha, g_s=self.g_s, b_tr=self.b_tr)

    def validity_bmax(self):
        return None if self.b_tr is None else 0.5 * self.b_tr

    def derived(self, values, stderr, diffusion):
        return _from_b("phi", values, stderr, diffusion)

    def applicability(self, values):
        return _large_film(self, _l_phi(values)) + _diffusive(self, values)


def _large_film(model, l_phi) -> list[FitFlag]:
    if model.width is None or model.length is None:
        return []
    short = min(model.width, model.length)
    if short >= LARGE_SAMPLE * l_phi:
        return []
    return [
        FitFlag(
            "not_applicable",
            f"{model.name} assumes a film much larger than l_phi, but the sample's "
            f"{'width' if model.width <= model.length else 'length'} {_nm(short)} is only "
            f"{short / l_phi:.2g} l_phi (l_phi = {_nm(l_phi)}): fit with finite_film (the "
            "Cooperon solved on the device)",
        )
    ]


def _diffusive(model, values) -> list[FitFlag]:
    if getattr(model, "b_tr", None) is None:
        return []
    l_phi, ell = _l_phi(values), float(math.sqrt(HBAR_OVER_E / (2 * model.b_tr)))
    if l_phi >= ell:
        return []
    return [
        FitFlag(
            "not_applicable",
            f"l_phi = {_nm(l_phi)} is below the mean free path {_nm(ell)}: dephasing within one "
            "scattering time is outside diffusive weak-localization theory",
        )
    ]


class HLNSpinOrbit(HLN):
    """HLN with spin-orbit scattering: B_phi and B_so [T] (no alpha: B_so/B_phi sets the sign).

    Reports l_so and, with D, tau_so = hbar / (4 e D B_so). A B_so far
    above the field range is flagged: the data then show only the strong
    spin-orbit limit (fit ``hln`` with alpha = -1/2).
    """

    name = "hln_so"
    params = (
        Param("b_phi", "T", 1e-9, 1e3, log=True),
        Param("b_so", "T", 1e-9, 1e3, log=True),
    )

    def __init__(self, *, g_s, b_tr=None, width=None, length=None, background=False,
                 free_amplitude=False, offset=False):  # fmt: skip
        Model.__init__(self, g_s=g_s, background=background, free_amplitude=free_amplitude,
                       offset=offset)  # fmt: skip
        self.b_tr, self.width, self.length = b_tr, width, length

    def shape(self, b, b_phi, b_so):
        return ls.hln_spin_orbit(b, b_phi, b_so, g_s=self.g_s, b_tr=self.b_tr)

    def validity_bmax(self):
        return None if self.b_tr is None else 0.5 * self.b_tr

    def derived(self, values, stderr, diffusion):
        out = _from_b("phi", values, stderr, diffusion)
        return _from_b("so", values, stderr, diffusion, out)

    def _limit_hint(self, names):
        if "b_so" in names:
            return " (strong spin-orbit: fit hln with alpha = -1/2)"
        return ""


class ILPRashba(HLNSpinOrbit):
    """A large 2D film with linear Rashba (or Dresselhaus) coupling, ILP: B_phi and B_so [T].

    The Iordanskii-Lyanda-Geller-Pikus line shape for a spin-orbit field linear in k
    (``lineshapes.ilp_rashba``): the triplet Cooperon carries the field as a vector
    potential, with its slow mode (7/16 of the in-plane rate at finite wavevector) that the
    isotropic triplets of :class:`HLNSpinOrbit` miss; on a Rashba film those return a B_so
    several times smaller. B_so = hbar / (4 e L_so^2) = hbar / (4 e D tau_so), with L_so the
    precession length and tau_so the in-plane D'yakonov-Perel time (the convention of
    ``devices.spin.dyakonov_perel_lattice_b_so``); derived l_so [nm] and, with D, tau_so [ps].
    It assumes D'yakonov-Perel (Omega tau << 1), one of Rashba or Dresselhaus, and a film
    much larger than l_phi (else :class:`FiniteFilmRashba`). Each evaluation sums a few
    hundred Landau-level blocks per field: milliseconds.
    """

    name = "ilp"
    degeneracies = (2,)

    def guess_grids(self, b):
        # B_phi inside the field range (the Landau sums grow as B_phi / B), B_so around it
        bmax = float(np.max(np.abs(b)))
        return {"b_phi": np.geomspace(1e-3 * bmax, 3 * bmax, 16),
                "b_so": np.geomspace(1e-2 * bmax, 1e2 * bmax, 12)}  # fmt: skip

    def shape(self, b, b_phi, b_so):
        return ls.ilp_rashba(b, b_phi, b_so, g_s=self.g_s, b_tr=self.b_tr)

    def applicability(self, values):
        flags = super().applicability(values)
        if self.b_tr is not None and values["b_so"] > self.b_tr:
            flags.append(FitFlag(
                "uncertain",
                f"B_so = {values['b_so']:.3g} T is above B_tr = {self.b_tr:.3g} T: the spin turns "
                "by more than a radian per collision, outside the D'yakonov-Perel regime ILP "
                "assumes (fit hln with alpha = -1/2 for the strong spin-orbit limit)",
            ))  # fmt: skip
        return flags


class ParallelField(Model):
    """Thin film in a parallel field: B* [T] and alpha; l_phi = sqrt(3/c) hbar/(e d B*).

    The law behind it, 1/tau_B = D e^2 B^2 d^2 / (3 hbar^2), holds for
    l << d << l_phi. With ``mean_free_path`` the mass is reduced by the flux
    cancellation c of a film with specular surfaces
    (``lineshapes.flux_cancellation``). A fitted l_phi below
    ``LARGE_SAMPLE`` d is flagged ``not_applicable``.

    Parameters
    ----------
    g_s : {1, 2}
    thickness : float
        Film thickness d [m] (a lattice slab of N_z layers: a sqrt(N_z^2 - 1)).
    alpha : float, optional
        Fix alpha; free by default.
    mean_free_path : float, optional
        l [m] for the flux cancellation; omitted: the dirty limit l << d.
    """

    name = "parallel"
    axis = "b_par"
    params = (
        Param("b_star", "T", 1e-9, 1e4, log=True),
        Param("alpha", "", -1.0, 1.5),
    )

    def __init__(self, *, g_s, thickness, alpha=None, mean_free_path=None, background=False,
                 free_amplitude=False, offset=False):  # fmt: skip
        if not thickness > 0:
            raise ValueError(f"film thickness must be > 0 m, got {thickness}")
        super().__init__(g_s=g_s, fixed=None if alpha is None else {"alpha": alpha},
                         background=background, free_amplitude=free_amplitude,
                         offset=offset)  # fmt: skip
        self.thickness = thickness
        self.mean_free_path = mean_free_path
        self.reduction = _flux_cancellation(mean_free_path, thickness)

    def shape(self, b, b_star, alpha):
        return ls.parallel_field(b, b_star, alpha, g_s=self.g_s)

    def scale_field(self, values):
        return values["b_star"]

    def _l_phi(self, b_star):
        return math.sqrt(3 / self.reduction) * HBAR_OVER_E / (self.thickness * b_star)

    def derived(self, values, stderr, diffusion):
        b, e = values["b_star"], stderr.get("b_star", 0.0)
        l_phi = self._l_phi(b)
        return _from_l_phi(l_phi, l_phi * e / b, diffusion) | {"b_star_T": (b, e)}

    def applicability(self, values):
        l_phi = self._l_phi(values["b_star"])
        if l_phi >= LARGE_SAMPLE * self.thickness:
            return []
        return [
            FitFlag(
                "not_applicable",
                f"the thin-film law needs d << l_phi, but l_phi = {_nm(l_phi)} is only "
                f"{l_phi / self.thickness:.2g} d (d = {_nm(self.thickness)}): the parallel field "
                "then probes the film's 3D Cooperon; compare with a perpendicular sweep",
            )
        ]


def _flux_cancellation(mean_free_path, thickness):
    """The in-plane mass's reduction for a film of thickness d [m] (1: dirty limit, l = None)."""
    if mean_free_path is None:
        return 1.0
    if not mean_free_path > 0:
        raise ValueError(
            f"mean_free_path must be > 0 m (or None for the dirty limit), got {mean_free_path}"
        )
    return float(ls.flux_cancellation(mean_free_path / thickness, dim=3))


class Wire(Model):
    """Quasi-1D wire (dirty limit, L >> l_phi): l_phi [m]; dG in e^2/h for the whole wire.

    Needs l_phi > W (quasi-1D) and L >> l_phi; a fit outside either is
    flagged ``not_applicable`` with the model that applies.

    Parameters
    ----------
    g_s : {1, 2}
    width, length : float
        Wire width and length [m].
    ell : float, optional
        Mean free path [m] (adds the l^-2 term).
    """

    name = "wire"
    quantity = "total"
    params = (Param("l_phi", "m", 1e-10, 1e-2, log=True),)

    def __init__(self, *, g_s, width, length, ell=None, background=False, free_amplitude=False,
                 offset=False):  # fmt: skip
        super().__init__(g_s=g_s, background=background, free_amplitude=free_amplitude,
                         offset=offset)  # fmt: skip
        if not (width > 0 and length > 0):
            raise ValueError(f"wire needs width > 0 and length > 0 [m], got {width}, {length}")
        self.width, self.length, self.ell = width, length, ell

    def shape(self, b, l_phi):
        return ls.wire(b, l_phi, width=self.width, length=self.length, g_s=self.g_s, ell=self.ell)

    def guess_grids(self, b):
        return {"l_phi": np.geomspace(1e-9, 1e-3, 121)} if "l_phi" not in self.fixed else {}

    def scale_field(self, values):
        # the field at which the magnetic length sqrt(3) hbar/(e W B) equals l_phi
        return math.sqrt(3) * HBAR_OVER_E / (self.width * values["l_phi"])

    def derived(self, values, stderr, diffusion):
        return _from_l_phi(values["l_phi"], stderr.get("l_phi", 0.0), diffusion)

    def applicability(self, values):
        l_phi, out = values["l_phi"], []
        if l_phi < self.width:
            out.append(
                FitFlag(
                    "not_applicable",
                    f"the wire formula needs l_phi > W (quasi-1D), but l_phi = {_nm(l_phi)} < "
                    f"W = {_nm(self.width)}: the sample is two-dimensional for weak localization; "
                    "fit with hln or finite_film",
                )
            )
        elif self.name == "wire" and self.length < LARGE_SAMPLE * l_phi:
            out.append(
                FitFlag(
                    "not_applicable",
                    f"the wire formula assumes L >> l_phi, but L = {self.length / l_phi:.2g} "
                    "l_phi: fit with wire_finite (the wire between reservoirs)",
                )
            )
        return out


class WireFinite(Wire):
    """Wire between ideal reservoirs (Texier-Montambaux): l_phi [m], any L / l_phi."""

    name = "wire_finite"

    def __init__(self, *, g_s, width, length, background=False, free_amplitude=False,
                 offset=False):  # fmt: skip
        super().__init__(g_s=g_s, width=width, length=length, background=background,
                         free_amplitude=free_amplitude, offset=offset)  # fmt: skip

    def shape(self, b, l_phi):
        return ls.wire_finite(b, l_phi, width=self.width, length=self.length, g_s=self.g_s)


class FiniteFilm(Model):
    """A finite W x L device: the Cooperon solved on the rectangle (``fits.finite``).

    Contacts at x = 0 and L absorb, edges at y = 0 and W reflect. Parameters
    l_phi [m] and alpha; dG in e^2/h for the whole device. It reduces to
    (W/L) HLN for W, L >> l_phi and to the wire between reservoirs for
    W << l_phi, and stays valid when l_phi is comparable to the sample.

    Parameters
    ----------
    g_s : {1, 2}
    width, length : float
        Width W and length L between the contacts [m].
    alpha : float, optional
        Fix alpha (1 for WL); free by default.
    b_tr : float, optional
        Transport field hbar/(2 e l^2) [T]: the short-path cutoff of HLN, and
        the default field window B <= B_tr / 2.
    extension : float
        Contact extrapolation length z0 [m]: the Cooperon vanishes z0 beyond
        each contact; (pi/4) l for an ideal contact in 2D, or measured from
        the Drude intercept, 1/G = (L + 2 z0)/(sigma W). Default 0.
    max_nodes : int
        Size of the grid on which the Cooperon is solved (spacing about
        sqrt(W L / max_nodes); it must stay well below l_phi).
    """

    name = "finite_film"
    quantity = "total"
    #: the Cooperon grid a virtual experiment gives the model (at most one node per site)
    default_max_nodes = 1600

    def __init__(self, *, g_s, width, length, alpha=None, b_tr=None, extension=0.0,
                 max_nodes=1600, background=False, free_amplitude=False,
                 offset=False):  # fmt: skip
        from .finite import CooperonSpectrum

        self.spectrum = CooperonSpectrum(width, length, extension=extension, max_nodes=max_nodes)
        self.width, self.length, self.b_tr = float(width), float(length), b_tr
        # l_phi below two grid spacings is not resolved
        self.params = (
            Param("l_phi", "m", 2 * self.spectrum.spacing, 1e3 * max(width, length), log=True),
            Param("alpha", "", -1.0, 1.5),
        )
        super().__init__(g_s=g_s, fixed=None if alpha is None else {"alpha": alpha},
                         background=background, free_amplitude=free_amplitude,
                         offset=offset)  # fmt: skip

    def shape(self, b, l_phi, alpha):
        from .finite import finite_film

        return finite_film(b, l_phi, alpha, spectrum=self.spectrum, g_s=self.g_s, b_tr=self.b_tr)

    def validity_bmax(self):
        return None if self.b_tr is None else 0.5 * self.b_tr

    def guess_grids(self, b):
        if "l_phi" in self.fixed:
            return {}
        p = self.params[0]
        return {"l_phi": np.geomspace(p.lower, min(p.upper, 20 * self.length), 60)}

    def scale_field(self, values):
        return float(ls.b_from_length(values["l_phi"]))

    def derived(self, values, stderr, diffusion):
        return _from_l_phi(values["l_phi"], stderr.get("l_phi", 0.0), diffusion)

    def applicability(self, values):
        return _diffusive(self, values)


class FiniteFilmSpinOrbit(FiniteFilm):
    """A finite W x L device with spin-orbit scattering: l_phi [m] and B_so [T].

    The singlet and triplet Cooperons of :class:`HLNSpinOrbit` solved on the
    device of :class:`FiniteFilm` (``fits.finite.finite_film_spin_orbit``):
    weak localization for B_so << B_phi, antilocalization (alpha = -1/2)
    for B_so >> B_phi, at any l_phi against the sample size. Reports l_so
    and tau_so with D.
    """

    name = "finite_film_so"

    def __init__(self, *, g_s, width, length, b_tr=None, extension=0.0, max_nodes=1600,
                 background=False, free_amplitude=False, offset=False):  # fmt: skip
        super().__init__(g_s=g_s, width=width, length=length, b_tr=b_tr, extension=extension,
                         max_nodes=max_nodes, background=background,
                         free_amplitude=free_amplitude, offset=offset)  # fmt: skip
        self.params = (self.params[0], Param("b_so", "T", 1e-9, 1e3, log=True))
        Model.__init__(self, g_s=g_s, background=background, free_amplitude=free_amplitude,
                       offset=offset)  # fmt: skip

    def guess_grids(self, b):
        bmax = float(np.max(np.abs(b)))
        p = self.params[0]
        return {"l_phi": np.geomspace(p.lower, min(p.upper, 20 * self.length), 16),
                "b_so": np.geomspace(1e-3 * bmax, 1e2 * bmax, 12)}  # fmt: skip

    def shape(self, b, l_phi, b_so):
        from .finite import finite_film_spin_orbit

        return finite_film_spin_orbit(b, l_phi, b_so, spectrum=self.spectrum, g_s=self.g_s,
                                      b_tr=self.b_tr)  # fmt: skip

    def derived(self, values, stderr, diffusion):
        out = _from_l_phi(values["l_phi"], stderr.get("l_phi", 0.0), diffusion)
        return _from_b("so", values, stderr, diffusion, out)

    def _limit_hint(self, names):
        if "b_so" in names:
            return " (strong spin-orbit: fit finite_film with alpha = -1/2)"
        return ""


class FiniteFilmRashba(FiniteFilmSpinOrbit):
    """A finite W x L Rashba (or Dresselhaus) film: l_phi [m] and B_so [T], triplets solved exactly.

    With linear Rashba coupling the spin precesses at a rate proportional to
    the velocity, so the triplet Cooperon carries the spin-orbit field as a
    vector potential and its slowest mode, (7/16) D / L_so^2 at a finite
    wavevector, lies below every uniform spin relaxation rate (ILP). The
    isotropic triplets of :class:`FiniteFilmSpinOrbit` miss it and return a
    B_so several times too small on such a film (validation page). This
    model solves the triplet operator on the device
    (``fits.finite.RashbaTripletSpectrum``, ``finite_film_rashba``) with
    B_so = hbar / (4 e L_so^2) = hbar / (4 e D tau_so), L_so = hbar^2 / (2 m
    alpha_R) the precession length and tau_so the in-plane D'yakonov-Perel
    spin relaxation time (out of plane: tau_so / 2); derived: l_so [nm] (=
    L_so) and tau_so [ps] with D. Compare B_so with
    ``devices.spin.dyakonov_perel_lattice_b_so``.

    The eigenvalues are computed on nodes in B_so (``RASHBA_NODES_PER_OCTAVE``
    per factor 2, one eigenproblem of 3 x ``max_nodes`` per node and field)
    and the curve interpolated between them, so a fit costs tens of seconds
    to minutes; the profile likelihood and bootstrap run only on request.
    The grid limits B_so to L_so >= 2 grid spacings (``max_nodes`` raises
    it). Parameters as for :class:`FiniteFilm` (``g_s`` = 2).
    """

    name = "finite_film_rashba"
    degeneracies = (2,)
    cheap = False
    default_max_nodes = 600  # three unknowns per node

    def __init__(self, *, g_s, width, length, b_tr=None, extension=0.0, max_nodes=600,
                 background=False, free_amplitude=False, offset=False):  # fmt: skip
        from .finite import RashbaTripletSpectrum

        super().__init__(g_s=g_s, width=width, length=length, b_tr=b_tr, extension=extension,
                         max_nodes=max_nodes, background=background,
                         free_amplitude=free_amplitude, offset=offset)  # fmt: skip
        self.triplets = RashbaTripletSpectrum(self.spectrum)
        top = self.triplets.b_so_max
        self.params = (self.params[0], Param("b_so", "T", 1e-3 * self.triplets.b_so_ref, top,
                                             log=True))  # fmt: skip

    def guess_grids(self, b):
        from .finite import RASHBA_NODES_PER_OCTAVE

        bmax = float(np.max(np.abs(b)))
        p, q = self.params
        # B_so on nodes two octaves apart (no interpolation), from 1e-2 to 1e2 x the largest field
        t = self.triplets
        step = 2 * RASHBA_NODES_PER_OCTAVE
        ks = range(0, round(RASHBA_NODES_PER_OCTAVE * math.log2(q.upper / t.b_so_ref)) + 1, step)
        nodes = [t.node(k) for k in ks]
        b_so = [x for x in nodes if 1e-2 * bmax <= x <= 1e2 * bmax] or nodes[-3:]
        # l_phi finely: once a node's eigenvalues are known, each l_phi costs only a sum
        grids = {"l_phi": np.geomspace(p.lower, min(p.upper, 20 * self.length), 48),
                 "b_so": np.array(b_so)}  # fmt: skip
        return {k: v for k, v in grids.items() if k not in self.fixed}

    def shape(self, b, l_phi, b_so):
        from .finite import finite_film_rashba

        return finite_film_rashba(b, l_phi, b_so, triplets=self.triplets, g_s=self.g_s,
                                  b_tr=self.b_tr)  # fmt: skip


#: The in-plane Zeeman model's default window: Zeeman splitting up to this fraction of the
#: spin-orbit splitting 2 alpha_R k_F (validation page: the model followed simulated films
#: there, and fell below them beyond).
ZEEMAN_WINDOW = 0.25


class FiniteFilmZeeman(FiniteFilmSpinOrbit):
    """A single-layer spin-orbit film in an in-plane field, which acts through Zeeman only.

    The in-plane field has no orbital effect on one layer; its Zeeman term
    mixes the singlet Cooperon with the triplet along the field, so the
    antilocalization peak falls as the singlet relaxes at the extra rate
    omega_Z^2 tau_so (omega_Z = abs(g) mu_B B / hbar), D'yakonov-Perel triplets
    (``fits.finite.finite_film_zeeman``). Parameters l_phi [m] and B_so [T]
    (B_so = hbar / (4 e D tau_so), tau_so the in-plane spin relaxation time,
    the convention of ``devices.spin.dyakonov_perel_lattice_b_so``); fit against
    ``b_par`` [T]. Hold l_phi at the value of a perpendicular sweep
    (``l_phi=``): the in-plane curve then measures tau_so, which the
    perpendicular one cannot once B_so approaches B_tr.

    Parameters
    ----------
    g_s : {2}
        The conductance counts both spins.
    width, length, b_tr, extension, max_nodes
        As for :class:`FiniteFilm`.
    g_factor : float
        The carriers' g factor (its sign does not enter).
    diffusion : float
        D [m^2/s]: it converts the Larmor frequency to a Cooperon mass.
    l_phi : float, optional
        Hold l_phi [m] (from a perpendicular sweep); free by default.
    spin_orbit_splitting : float, optional
        The spin-orbit splitting at the Fermi level, 2 alpha_R k_F [meV]. The
        model keeps the zero-field spin relaxation, which holds while the
        Zeeman splitting is well below it; the default field window is
        abs(g) mu_B B <= ``ZEEMAN_WINDOW`` times this splitting. Beyond it
        the field aligns the spins, spin relaxation slows and the triplets
        along B come back (a rise the model does not have).
    """

    name = "finite_film_zeeman"
    axis = "b_par"
    degeneracies = (2,)

    def __init__(self, *, g_s, width, length, g_factor, diffusion, l_phi=None, b_tr=None,
                 spin_orbit_splitting=None, extension=0.0, max_nodes=1600, background=False,
                 free_amplitude=False, offset=False):  # fmt: skip
        if not (math.isfinite(g_factor) and g_factor != 0):
            raise ValueError(f"the in-plane Zeeman model needs a non-zero g factor, got {g_factor}")
        if not (diffusion is not None and diffusion > 0):
            raise ValueError(f"the in-plane Zeeman model needs D > 0 [m^2/s], got {diffusion}")
        super().__init__(g_s=g_s, width=width, length=length, b_tr=b_tr, extension=extension,
                         max_nodes=max_nodes, background=background,
                         free_amplitude=free_amplitude, offset=offset)  # fmt: skip
        self.g_factor, self.diffusion = float(g_factor), float(diffusion)
        self.spin_orbit_splitting = spin_orbit_splitting
        if l_phi is not None:
            self.fixed["l_phi"] = float(l_phi)

    def guess_grids(self, b):
        grids = super().guess_grids(b)
        if "l_phi" in self.fixed:
            grids.pop("l_phi")
        # B_so spans the fields where omega_Z^2 tau_so tau_phi ~ 1 and beyond
        grids["b_so"] = np.geomspace(1e-4, 1e2, 40) * max(float(np.max(np.abs(b))), 1e-6)
        return grids

    def shape(self, b, l_phi, b_so):
        from .finite import finite_film_zeeman

        return finite_film_zeeman(b, l_phi, b_so, g_factor=self.g_factor, diffusion=self.diffusion,
                                  spectrum=self.spectrum, g_s=self.g_s, b_tr=self.b_tr)  # fmt: skip

    def validity_bmax(self):
        """abs(g) mu_B B <= ZEEMAN_WINDOW x the spin-orbit splitting, when it is given [T]."""
        if self.spin_orbit_splitting is None:
            return None
        mu_b = MU_B_MEV_PER_T
        return ZEEMAN_WINDOW * self.spin_orbit_splitting / (abs(self.g_factor) * mu_b)

    def scale_field(self, values):
        # the in-plane field at which omega_Z^2 tau_so tau_phi = 1

        m_so = 4 * values["b_so"] / HBAR_OVER_E
        return math.sqrt(m_so / values["l_phi"] ** 2) / (abs(self.g_factor) * LARMOR_PER_T
                                                         / self.diffusion)  # fmt: skip

    def _limit_hint(self, names):
        if "b_so" in names:
            return " (the in-plane field is too weak to dephase the singlet: raise it)"
        return ""


#: L / l_phi below which an in-plane finite-device fit is flagged uncertain.
CONTACT_LIMITED_IN_PLANE = 5.0


class FiniteFilmParallel(FiniteFilm):
    """A finite W x L film of thickness d in an in-plane field (``fits.finite``).

    The in-plane field (along y, across the current) adds the Cooperon mass
    (e d B / hbar)^2 / 3 (l << d << l_phi) on the device of
    :class:`FiniteFilm` at zero perpendicular field; for W, L >> l_phi it is
    (W/L) times :class:`ParallelField`. Parameters l_phi [m] and alpha; dG
    in e^2/h for the whole device; fit against ``b_par`` [T].

    Two corrections to the uniform mass, both off by default (the textbook
    law) and both derived, not fitted:

    - ``mean_free_path``: flux cancellation when l is not small against d
      (specular surfaces; the mass times ``lineshapes.flux_cancellation``
      of l/d: 0.86 at l/d = 0.3).
    - ``cross_section=True``: the Cooperon solved on the x-z cross-section
      (``finite.finite_film_cross_section``), where the field couples the
      motion along the current to the position across the film: it reduces
      the response by ~(2/5)(d k)^2 for the Cooperon's wave numbers k along
      the current.

    With both, the in-plane l_phi of simulated slabs matched the
    perpendicular one where the contacts are at least
    ``CONTACT_LIMITED_IN_PLANE`` l_phi apart; closer, a fit is flagged
    ``uncertain`` (the validation page of the documentation has the numbers).

    Parameters
    ----------
    g_s : {1, 2}
    width, length : float
        Width W and length L between the contacts [m].
    thickness : float
        Film thickness d [m] (a lattice slab of N_z layers: a sqrt(N_z^2 - 1)).
    alpha, extension, max_nodes
        As for :class:`FiniteFilm`.
    mean_free_path : float, optional
        l [m]: reduces the field's mass by the flux cancellation of a film
        with specular surfaces. Omitted: the dirty limit l << d.
    cross_section : bool
        Solve the Cooperon across the thickness instead of the uniform mass
        (one eigenproblem of the L x d cross-section per field, ~0.5 s each at
        1600 nodes; the grid spacing along L must stay below ~d/3).
    """

    name = "finite_parallel"
    axis = "b_par"

    def __init__(self, *, g_s, width, length, thickness, alpha=None, extension=0.0,
                 max_nodes=1600, mean_free_path=None, cross_section=False, background=False,
                 free_amplitude=False, offset=False):  # fmt: skip
        from .finite import CooperonSpectrum

        if not thickness > 0:
            raise ValueError(f"film thickness must be > 0 m, got {thickness}")
        super().__init__(g_s=g_s, width=width, length=length, alpha=alpha, extension=extension,
                         max_nodes=max_nodes, background=background,
                         free_amplitude=free_amplitude, offset=offset)  # fmt: skip
        self.thickness = float(thickness)
        self.mean_free_path = mean_free_path
        #: the field's mass over the dirty limit's (flux cancellation; 1 without l)
        self.reduction = _flux_cancellation(mean_free_path, thickness)
        self.strip = (
            CooperonSpectrum(thickness, length, extension=extension, max_nodes=max_nodes)
            if cross_section
            else None
        )
        self.cheap = not cross_section

    def shape(self, b, l_phi, alpha):
        from .finite import finite_film_cross_section, finite_film_parallel

        if self.strip is not None:
            return finite_film_cross_section(b, l_phi, alpha, strip=self.strip, width=self.width,
                                             g_s=self.g_s, reduction=self.reduction)  # fmt: skip
        return finite_film_parallel(b, l_phi, alpha, spectrum=self.spectrum, g_s=self.g_s,
                                    thickness=self.thickness, reduction=self.reduction)  # fmt: skip

    def validity_bmax(self):
        return None

    def applicability(self, values):
        l_phi = values["l_phi"]
        if self.length >= CONTACT_LIMITED_IN_PLANE * l_phi:
            return []
        return [
            FitFlag(
                "uncertain",
                f"the contacts are {self.length / l_phi:.2g} l_phi apart (validated from "
                f"{CONTACT_LIMITED_IN_PLANE:g}): in-plane fits of such samples came out below "
                "the perpendicular l_phi; cross-check with a perpendicular sweep",
            )
        ]

    def scale_field(self, values):
        # B* = sqrt(3) hbar / (e d l_phi sqrt(c)): the in-plane field with l_B|| = l_phi
        return math.sqrt(3 / self.reduction) * HBAR_OVER_E / (self.thickness * values["l_phi"])

    def derived(self, values, stderr, diffusion):
        out = super().derived(values, stderr, diffusion)
        l_phi, l_err = values["l_phi"], stderr.get("l_phi", 0.0)
        b_star = self.scale_field(values)
        out["b_star_T"] = (b_star, b_star * l_err / l_phi)
        return out


class Graphene(Model):
    """Weak localization of monolayer graphene (McCann et al. 2006): B_phi, B_i, B_* [T].

    The conductance counts spin and valley (g_s = 4 in this model's
    bookkeeping); B_i is intervalley, B_* intravalley chirality-breaking
    scattering. With D, tau_x = hbar / (4 e D B_x).
    """

    name = "graphene"
    degeneracies = (4,)
    params = (
        Param("b_phi", "T", 1e-9, 1e3, log=True),
        Param("b_i", "T", 1e-9, 1e3, log=True),
        Param("b_star", "T", 1e-9, 1e3, log=True),
    )

    def __init__(self, *, g_s=4, background=False, free_amplitude=False, offset=False):
        super().__init__(g_s=g_s, background=background, free_amplitude=free_amplitude,
                         offset=offset)  # fmt: skip

    def shape(self, b, b_phi, b_i, b_star):
        return ls.graphene(b, b_phi, b_i, b_star)

    def derived(self, values, stderr, diffusion):
        out = _from_b("phi", values, stderr, diffusion)
        _from_b("i", values, stderr, diffusion, out)
        return _from_b("star", values, stderr, diffusion, out)


class GrapheneSpinOrbit(Graphene):
    """Graphene with spin-orbit coupling (McCann and Fal'ko 2012): B_phi, B_asy, B_so [T].

    Fast intervalley scattering; 1/tau_so = 1/tau_sym + 1/tau_asy (z -> -z
    symmetric and asymmetric spin-orbit relaxation). With D: tau_phi,
    tau_asy, tau_so, and tau_sym when 1/tau_so > 1/tau_asy. Over a
    temperature series, B_asy and B_so are shared (``fits.series``).
    """

    name = "graphene_so"
    params = (
        Param("b_phi", "T", 1e-9, 1e3, log=True),
        Param("b_asy", "T", 1e-9, 1e3, log=True),
        Param("b_so", "T", 1e-9, 1e3, log=True),
    )

    def shape(self, b, b_phi, b_asy, b_so):
        return ls.graphene_spin_orbit(b, b_phi, b_asy, b_so)

    def derived(self, values, stderr, diffusion):
        out = _from_b("phi", values, stderr, diffusion)
        _from_b("asy", values, stderr, diffusion, out)
        _from_b("so", values, stderr, diffusion, out)
        b_sym = values["b_so"] - values["b_asy"]
        if diffusion and b_sym > 0:
            e = math.hypot(stderr.get("b_so", 0.0), stderr.get("b_asy", 0.0))
            tau = float(ls.time_from_b(b_sym, diffusion))
            out["tau_sym_ps"] = (tau * 1e12, tau * e / b_sym * 1e12)
        return out
