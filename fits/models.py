"""Fit models: a line shape plus bounds, an automatic guess and the fit itself.

The split follows lmfit: a pure line shape (``fits.lineshapes``), a
:class:`Model` that names its parameters, bounds them and guesses starting
values from the data, and a :class:`~fits.result.FitResult` that reports
and plots itself. The least-squares engine is ``scipy.optimize.least_squares``;
positive scale parameters (fields, lengths) are fitted in log space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import constants as sc
from scipy import optimize

from . import lineshapes as ls
from .result import FitResult

__all__ = [
    "HLN",
    "FiniteFilm",
    "FiniteFilmParallel",
    "HLNSpinOrbit",
    "Model",
    "ParallelField",
    "Param",
    "Wire",
    "WireFinite",
]


@dataclass(frozen=True)
class Param:
    """A fit parameter: name, unit, bounds, and whether it is fitted in log space."""

    name: str
    unit: str
    lower: float
    upper: float
    log: bool = False


class Model:
    """Base class. Subclasses define ``params``, ``shape(b, **values)`` and ``derived``."""

    name = "model"
    params: tuple[Param, ...] = ()
    #: The quantity the model describes: "sheet" (dsigma) or "total" (dG).
    quantity = "sheet"

    def __init__(self, *, g_s: int, fixed: dict | None = None):
        if g_s not in (1, 2):
            raise ValueError(
                f"g_s is the spin degeneracy: 2 for a spin-degenerate sample, 1 for a "
                f"spinless one (e.g. a per-spin simulation); got {g_s!r}"
            )
        self.g_s = g_s
        self.fixed = dict(fixed or {})
        names = {p.name for p in self.params}
        for k in self.fixed:
            if k not in names:
                raise ValueError(f"cannot fix {k!r}: {self.name} has parameters {sorted(names)}")

    # -- to override ----------------------------------------------------------

    def shape(self, b, **values):
        raise NotImplementedError

    def derived(self, values: dict, stderr: dict, diffusion: float | None) -> dict:
        """Derived quantities (value, stderr) in lab units."""
        return {}

    def validity_bmax(self) -> float | None:
        """Largest field [T] where the model holds (None: unknown)."""
        return None

    # -- generic machinery -------------------------------------------------------

    @property
    def free(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.name not in self.fixed)

    def __call__(self, b, **values):
        return self.shape(b, **{**self.fixed, **values})

    def _to_internal(self, values):
        return np.array([math.log(values[p.name]) if p.log else values[p.name] for p in self.free])

    def _from_internal(self, u):
        return {p.name: (math.exp(x) if p.log else float(x)) for p, x in zip(self.free, u)}

    def _bounds(self):
        lo = [math.log(p.lower) if p.log else p.lower for p in self.free]
        hi = [math.log(p.upper) if p.log else p.upper for p in self.free]
        return np.array(lo), np.array(hi)

    def guess(self, b, y) -> dict:
        """Starting values: a log grid over the scale parameter with the linear amplitude solved."""
        scale = next(p for p in self.free if p.log)
        grid = self._guess_grid(b)
        best, best_cost = None, np.inf
        for s in grid:
            values = {p.name: self._start(p) for p in self.free}
            values[scale.name] = s
            f = self(b, **values)
            amp = self._amplitude_name()
            if amp in values:
                f1 = self(b, **{**values, amp: 1.0})
                norm = float(f1 @ f1)
                a = float(f1 @ y) / norm if norm > 0 else 0.0
                amp_p = next(p for p in self.free if p.name == amp)
                values[amp] = float(np.clip(a, amp_p.lower, amp_p.upper))
                f = self(b, **values)
            cost = float(np.sum((y - f) ** 2))
            if cost < best_cost:
                best, best_cost = values, cost
        return best

    def _amplitude_name(self):
        return "alpha"

    def _guess_grid(self, b):
        bmax = float(np.max(np.abs(b)))
        return np.exp(np.linspace(math.log(1e-4 * bmax), math.log(1e3 * bmax), 80))

    def expected_sign(self, values: dict) -> int:
        """Sign of the magnetoconductance the model predicts (0: either)."""
        a = values.get("alpha", self.fixed.get("alpha"))
        return 0 if a is None or "alpha" not in self.fixed else int(np.sign(a))

    def scale_field(self, values: dict) -> float:
        """The model's characteristic field [T] (B_phi, B*, ...)."""
        raise NotImplementedError

    def _start(self, p: Param) -> float:
        if p.name == "alpha":
            return 1.0
        return math.sqrt(p.lower * p.upper) if p.log else 0.5 * (p.lower + p.upper)

    def fit(
        self,
        b,
        y,
        sigma=None,
        *,
        window: float | None = None,
        diffusion: float | None = None,
        guess: dict | None = None,
        source: str = "",
    ) -> FitResult:
        """Fit the magnetoconductance ``y`` [e^2/h] measured at fields ``b`` [T].

        Parameters
        ----------
        b, y : array_like
            Field [T] and magnetoconductance relative to zero field [e^2/h].
        sigma : array_like, optional
            Standard errors of ``y`` (absolute weights). Without them the
            errors are scaled by the residual scatter (reduced chi^2 = 1).
        window : float, optional
            Fit |B| <= window [T]; default the model's validity limit when
            known, else all data.
        diffusion : float, optional
            Diffusion constant D [m^2/s]; gives tau_phi = l_phi^2 / D.
        """
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
            raise ValueError(
                f"too few points to fit: {keep.sum()} in the field window "
                f"{'all' if window is None else f'|B| <= {window:.4g} T'}; the {self.name} model "
                f"has {n_free} free parameter(s) and needs at least {n_free + 3} points"
            )
        b, y = b[keep], y[keep]
        sigma = None if sigma is None else sigma[keep]
        w = 1.0 if sigma is None else 1.0 / sigma
        start = guess or self.guess(b, y)
        lo, hi = self._bounds()
        u0 = np.clip(self._to_internal(start), lo + 1e-9, hi - 1e-9)

        def residuals(u):
            return (y - self(b, **self._from_internal(u))) * w

        sol = optimize.least_squares(residuals, u0, bounds=(lo, hi), x_scale="jac", method="trf")
        values = self._from_internal(sol.x)
        res = sol.fun
        dof = max(len(y) - n_free, 1)
        chi2 = float(res @ res)
        red = chi2 / dof
        jac = sol.jac
        try:
            cov = np.linalg.inv(jac.T @ jac)
        except np.linalg.LinAlgError:
            cov = np.full((n_free, n_free), np.nan)
        if sigma is None:
            cov = cov * red
        err_u = np.sqrt(np.clip(np.diag(cov), 0, None))
        stderr = {}
        for p, x, e in zip(self.free, sol.x, err_u):
            stderr[p.name] = (math.exp(x) * e) if p.log else float(e)
        with np.errstate(invalid="ignore", divide="ignore"):
            correl = cov / np.outer(err_u, err_u)
        all_values = {**values, **{k: float(v) for k, v in self.fixed.items()}}
        all_stderr = {**stderr, **dict.fromkeys(self.fixed, 0.0)}
        warnings = self._diagnose(b, y, sol, lo, hi, values, res, sigma is not None, red, dof)
        vague = [
            f"{p.name} (relative error {stderr[p.name] / values[p.name]:.2g})"
            for p in self.free
            if p.log and not stderr[p.name] < values[p.name]
        ]
        if vague:
            warnings.append(
                f"poor fit: {', '.join(vague)} undetermined by these data; widen the field "
                "range, add realizations, or fix alpha"
            )
        b_char, b_top = self.scale_field(all_values), float(np.max(np.abs(b)))
        if b_char > b_top:
            msg = (
                f"the field range never reaches the characteristic field of the {self.name} "
                f"model: {b_char * 1e3:.4g} mT > B_max = {b_top * 1e3:.4g} mT, so only the "
                "parabolic low-field regime is seen"
            )
            if "alpha" in self.fixed or "alpha" not in {p.name for p in self.params}:
                warnings.append(f"uncertain: {msg}")
            else:
                raise ValueError(
                    f"{msg}, where B_phi and alpha are degenerate; extend the sweep to a "
                    "few times that field or fix alpha"
                )
        return FitResult(
            model=self,
            values=all_values,
            stderr=all_stderr,
            correl=correl,
            free=tuple(p.name for p in self.free),
            b=b,
            y=y,
            sigma=sigma,
            window=float(np.max(np.abs(b))) if window is None else float(window),
            chi2=chi2,
            dof=dof,
            reduced_chi2=red,
            residuals=y - self(b, **values),
            derived=self.derived(all_values, all_stderr, diffusion),
            warnings=tuple(warnings),
            source=source,
        )

    def _diagnose(self, b, y, sol, lo, hi, values, res, weighted, red, dof):
        out = []
        at_bound = [
            p.name
            for p, x, a, z in zip(self.free, sol.x, lo, hi)
            if abs(x - a) < 1e-6 * max(1, abs(a)) or abs(x - z) < 1e-6 * max(1, abs(z))
        ]
        if at_bound:
            out.append(
                f"poor fit: {', '.join(at_bound)} at a bound of the {self.name} model; the data "
                "may not follow this model (e.g. antilocalization fitted with WL only)"
            )
        if weighted and red > 1 + 5 * math.sqrt(2 / dof):
            out.append(f"poor fit: reduced chi^2 = {red:.3g} for {dof} degrees of freedom")
        model = self(b, **values)
        ss_tot = float(np.sum((y - y.mean()) ** 2))
        if ss_tot > 0 and not weighted and 1 - float(np.sum((y - model) ** 2)) / ss_tot < 0.5:
            out.append(
                f"poor fit: the {self.name} model explains less than half of the variation of "
                "the data"
            )
        sign = self.expected_sign(values)
        if sign and np.sign(y.mean()) == -sign and abs(y.mean()) > 3 * y.std() / math.sqrt(len(y)):
            kind = "decreases" if sign > 0 else "increases"
            out.append(
                f"poor fit: the conductance {kind} with field, the opposite sign to this "
                f"{self.name} model (antilocalization fitted with WL, or the reverse?)"
            )
        z = _runs_z(res)
        if z < -3.5:
            out.append(
                f"poor fit: residuals are systematic (runs test z = {z:.1f}); the line shape "
                "does not describe the data in this window"
            )
        return out


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


def _lphi_from_bphi(values, stderr):
    b, e = values["b_phi"], stderr.get("b_phi", 0.0)
    l_phi = float(ls.length_from_b(b))
    return l_phi, l_phi * 0.5 * e / b  # l ~ B^(-1/2)


def _tau(l_phi, l_err, diffusion):
    tau = l_phi**2 / diffusion
    return tau, 2 * tau * l_err / l_phi


def _from_l_phi(l_phi, l_err, diffusion):
    """l_phi [nm], B_phi [T] and (with D) tau_phi [ps] from a fitted l_phi [m]."""
    b_phi = float(ls.b_from_length(l_phi))
    out = {"l_phi_nm": (l_phi * 1e9, l_err * 1e9), "b_phi_T": (b_phi, b_phi * 2 * l_err / l_phi)}
    if diffusion:
        tau, tau_err = _tau(l_phi, l_err, diffusion)
        out["tau_phi_ps"] = (tau * 1e12, tau_err * 1e12)
    return out


class HLN(Model):
    """2D weak localization (Hikami-Larkin-Nagaoka), parameters B_phi [T] and alpha.

    Parameters
    ----------
    g_s : {1, 2}
        Spin degeneracy of the conductance.
    alpha : float, optional
        Fix alpha (e.g. 1 for WL); free by default, bounded to [-1, 1.5].
    b_tr : float, optional
        Transport field hbar/(2 e l^2) [T]: includes the finite-l term and
        sets the default field window to B <= B_tr / 2.
    """

    name = "hln"
    params = (
        Param("b_phi", "T", 1e-9, 1e3, log=True),
        Param("alpha", "", -1.0, 1.5),
    )

    def __init__(self, *, g_s: int, alpha: float | None = None, b_tr: float | None = None):
        super().__init__(g_s=g_s, fixed=None if alpha is None else {"alpha": alpha})
        self.b_tr = b_tr

    def shape(self, b, b_phi, alpha):
        return ls.hln(b, b_phi, alpha, g_s=self.g_s, b_tr=self.b_tr)

    def validity_bmax(self):
        return None if self.b_tr is None else 0.5 * self.b_tr

    def scale_field(self, values):
        return values["b_phi"]

    def derived(self, values, stderr, diffusion):
        l_phi, l_err = _lphi_from_bphi(values, stderr)
        out = {"l_phi_nm": (l_phi * 1e9, l_err * 1e9)}
        if diffusion:
            tau, tau_err = _tau(l_phi, l_err, diffusion)
            out["tau_phi_ps"] = (tau * 1e12, tau_err * 1e12)
        return out


class HLNSpinOrbit(HLN):
    """HLN with spin-orbit scattering: parameters B_phi and B_so [T] (alpha derived)."""

    name = "hln_so"
    params = (
        Param("b_phi", "T", 1e-9, 1e3, log=True),
        Param("b_so", "T", 1e-9, 1e3, log=True),
    )

    def __init__(self, *, g_s: int):
        Model.__init__(self, g_s=g_s)
        self.b_tr = None

    def shape(self, b, b_phi, b_so):
        return ls.hln_spin_orbit(b, b_phi, b_so, g_s=self.g_s)

    def guess(self, b, y):
        bmax = np.max(np.abs(b))
        grid = np.exp(np.linspace(math.log(1e-4 * bmax), math.log(1e2 * bmax), 25))
        cost = [(np.sum((y - self(b, b_phi=p, b_so=s)) ** 2), p, s) for p in grid for s in grid]
        _, p, s = min(cost)
        return {"b_phi": p, "b_so": s}


def _flux_cancellation(mean_free_path, thickness):
    """The in-plane mass's reduction for a film of thickness d [m] (1: dirty limit, l = None)."""
    if mean_free_path is None:
        return 1.0
    if not mean_free_path > 0:
        raise ValueError(
            f"mean_free_path must be > 0 m (or None for the dirty limit), got {mean_free_path}"
        )
    return float(ls.flux_cancellation(mean_free_path / thickness, dim=3))


class ParallelField(Model):
    """Thin film in a parallel field: B* [T] and alpha; l_phi = sqrt(3) hbar/(e d B*).

    The law behind it, 1/tau_B = D e^2 B^2 d^2 / (3 hbar^2), holds for
    l << d << l_phi. With ``mean_free_path`` the mass is reduced by the flux
    cancellation of a film with specular surfaces (``lineshapes.flux_cancellation``,
    c = 0.86 at l/d = 0.3), and l_phi = sqrt(3/c) hbar/(e d B*). For
    simulated lattice slabs see :class:`FiniteFilmParallel` and README,
    Validation. Measured data are another matter: the law is the standard
    one for real films.

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
    params = (
        Param("b_star", "T", 1e-9, 1e4, log=True),
        Param("alpha", "", -1.0, 1.5),
    )

    def __init__(
        self,
        *,
        g_s: int,
        thickness: float,
        alpha: float | None = None,
        mean_free_path: float | None = None,
    ):
        if not thickness > 0:
            raise ValueError(f"film thickness must be > 0 m, got {thickness}")
        super().__init__(g_s=g_s, fixed=None if alpha is None else {"alpha": alpha})
        self.thickness = thickness
        self.reduction = _flux_cancellation(mean_free_path, thickness)

    def shape(self, b, b_star, alpha):
        return ls.parallel_field(b, b_star, alpha, g_s=self.g_s)

    def scale_field(self, values):
        return values["b_star"]

    def derived(self, values, stderr, diffusion):
        b, e = values["b_star"], stderr.get("b_star", 0.0)
        l_phi = math.sqrt(3 / self.reduction) * sc.hbar / (sc.e * self.thickness * b)
        l_err = l_phi * e / b
        out = {"l_phi_nm": (l_phi * 1e9, l_err * 1e9)}
        if diffusion:
            tau, tau_err = _tau(l_phi, l_err, diffusion)
            out["tau_phi_ps"] = (tau * 1e12, tau_err * 1e12)
        return out


class Wire(Model):
    """Quasi-1D wire (dirty limit): parameter l_phi [m]; dG in e^2/h for the whole wire.

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

    def __init__(self, *, g_s: int, width: float, length: float, ell: float | None = None):
        super().__init__(g_s=g_s)
        if not (width > 0 and length > 0):
            raise ValueError(f"wire needs width > 0 and length > 0 [m], got {width}, {length}")
        self.width, self.length, self.ell = width, length, ell

    def shape(self, b, l_phi):
        return ls.wire(b, l_phi, width=self.width, length=self.length, g_s=self.g_s, ell=self.ell)

    def _amplitude_name(self):
        return None

    def _guess_grid(self, b):
        return np.exp(np.linspace(math.log(1e-9), math.log(1e-3), 121))

    def scale_field(self, values):
        # field at which the magnetic length l_B = sqrt(3) hbar/(e W B) equals l_phi
        return math.sqrt(3) * ls.HBAR_OVER_E / (self.width * values["l_phi"])

    def derived(self, values, stderr, diffusion):
        return _from_l_phi(values["l_phi"], stderr.get("l_phi", 0.0), diffusion)


class WireFinite(Wire):
    """Wire between ideal reservoirs (Texier-Montambaux): parameter l_phi [m]."""

    name = "wire_finite"

    def __init__(self, *, g_s: int, width: float, length: float):
        super().__init__(g_s=g_s, width=width, length=length)

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

    def __init__(
        self,
        *,
        g_s: int,
        width: float,
        length: float,
        alpha: float | None = None,
        b_tr: float | None = None,
        extension: float = 0.0,
        max_nodes: int = 1600,
    ):
        from .finite import CooperonSpectrum

        self.spectrum = CooperonSpectrum(width, length, extension=extension, max_nodes=max_nodes)
        self.width, self.length, self.b_tr = float(width), float(length), b_tr
        # l_phi below two grid spacings is not resolved
        self.params = (
            Param("l_phi", "m", 2 * self.spectrum.spacing, 1e3 * max(width, length), log=True),
            Param("alpha", "", -1.0, 1.5),
        )
        super().__init__(g_s=g_s, fixed=None if alpha is None else {"alpha": alpha})

    def shape(self, b, l_phi, alpha):
        from .finite import finite_film

        return finite_film(b, l_phi, alpha, spectrum=self.spectrum, g_s=self.g_s, b_tr=self.b_tr)

    def validity_bmax(self):
        return None if self.b_tr is None else 0.5 * self.b_tr

    def _guess_grid(self, b):
        p = self.params[0]
        return np.exp(np.linspace(math.log(p.lower), math.log(min(p.upper, 20 * self.length)), 60))

    def scale_field(self, values):
        return float(ls.b_from_length(values["l_phi"]))

    def derived(self, values, stderr, diffusion):
        return _from_l_phi(values["l_phi"], stderr.get("l_phi", 0.0), diffusion)


#: L / l_phi below which an in-plane finite-device fit is flagged: on the lattice
#: slabs it agreed with the perpendicular fit within 3-6% at L = 5.2-9 l_phi(fit)
#: and fell to 0.85-0.61 of it at L = 2.4-1.8 l_phi(fit) (README, Validation)
CONTACT_LIMITED_IN_PLANE = 5.0


class FiniteFilmParallel(FiniteFilm):
    """A finite W x L film of thickness d in an in-plane field (``fits.finite``).

    The in-plane field (along y, across the current) adds the uniform
    Cooperon mass (e d B / hbar)^2 / 3 (l << d << l_phi) on the device of
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
      the current, i.e. by ~10% where the contacts or l_phi are only a few
      d away.

    On lattice slabs with probes (l/d = 0.3) and the contacts 5.2-9 fitted
    l_phi apart (6.7-11 decay lengths of the probes), the corrected in-plane fit agreed with the perpendicular fit of
    the same realizations within 3-6% at three tau_phi over a factor 4 (the
    uniform mass: 13-18% below it).
    Where the contacts limit the Cooperon (L = 1.8-2.4 fitted l_phi) it was still
    0.85-0.61 of the perpendicular fit (the uniform mass: 0.61-0.42)
    (README, Validation). A fit whose l_phi exceeds L / 5
    (``CONTACT_LIMITED_IN_PLANE``) carries an "uncertain" warning saying so.

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
        (one eigenproblem of the L x d cross-section per field, on
        ``max_nodes`` nodes: ~0.5 s each at 1600; the grid spacing along L
        must stay below ~d/3 for 1% accuracy).
    """

    name = "finite_parallel"

    def __init__(
        self,
        *,
        g_s: int,
        width: float,
        length: float,
        thickness: float,
        alpha: float | None = None,
        extension: float = 0.0,
        max_nodes: int = 1600,
        mean_free_path: float | None = None,
        cross_section: bool = False,
    ):
        from .finite import CooperonSpectrum

        if not thickness > 0:
            raise ValueError(f"film thickness must be > 0 m, got {thickness}")
        super().__init__(g_s=g_s, width=width, length=length, alpha=alpha,
                         extension=extension, max_nodes=max_nodes)  # fmt: skip
        self.thickness = float(thickness)
        self.mean_free_path = mean_free_path
        #: the field's mass over the dirty limit's (flux cancellation; 1 without l)
        self.reduction = _flux_cancellation(mean_free_path, thickness)
        self.strip = (
            CooperonSpectrum(thickness, length, extension=extension, max_nodes=max_nodes)
            if cross_section
            else None
        )

    def shape(self, b, l_phi, alpha):
        from .finite import finite_film_cross_section, finite_film_parallel

        if self.strip is not None:
            return finite_film_cross_section(b, l_phi, alpha, strip=self.strip, width=self.width,
                                             g_s=self.g_s, reduction=self.reduction)  # fmt: skip
        return finite_film_parallel(b, l_phi, alpha, spectrum=self.spectrum, g_s=self.g_s,
                                    thickness=self.thickness, reduction=self.reduction)  # fmt: skip

    def validity_bmax(self):
        return None

    def _diagnose(self, b, y, sol, lo, hi, values, res, weighted, red, dof):
        out = super()._diagnose(b, y, sol, lo, hi, values, res, weighted, red, dof)
        l_phi = values.get("l_phi", self.fixed.get("l_phi"))
        if l_phi and self.length < CONTACT_LIMITED_IN_PLANE * l_phi:
            out.append(
                f"uncertain: the contacts are only {self.length / l_phi:.2g} l_phi apart "
                f"(L = {self.length * 1e9:.4g} nm, l_phi = {l_phi * 1e9:.4g} nm; validated for "
                f"L >= {CONTACT_LIMITED_IN_PLANE:g} l_phi). Where the contacts limit the "
                "Cooperon, in-plane fits of lattice slabs came out 0.61-0.85 of the "
                "perpendicular fit of the same samples (README, Validation; cause not "
                "found): cross-check with a perpendicular sweep, or use a longer sample"
            )
        return out

    def scale_field(self, values):
        # B* = sqrt(3) hbar / (e d l_phi sqrt(c)): the in-plane field with l_B|| = l_phi
        return math.sqrt(3 / self.reduction) * ls.HBAR_OVER_E / (self.thickness * values["l_phi"])

    def derived(self, values, stderr, diffusion):
        out = super().derived(values, stderr, diffusion)
        l_phi, l_err = values["l_phi"], stderr.get("l_phi", 0.0)
        b_star = self.scale_field(values)
        out["b_star_T"] = (b_star, b_star * l_err / l_phi)
        return out
