"""Kwant builders for the three sample shapes: film, wire and ring.

Lattice model (lattice units a = 1, t = 1): nearest-neighbour tight binding
on the square lattice (one layer) or the simple cubic lattice (a slab of
``thickness`` layers), on-site energy 2 d t so that energies count from the
bottom of the bulk band, Anderson box disorder of width ``disorder`` on the
sites of the scattering region, clean semi-infinite leads.

Magnetic field (the one convention of the project): the hopping from site j
to site i is ``-t exp(i theta_ij)`` with the Peierls phase
theta_ij = (e/hbar) int_j^i A.dl, and the field enters as the flux per
plaquette in flux quanta, ``phi = B a^2 / (h/e)``, so that the phase around
one plaquette, counterclockwise seen from +z, is ``2 pi phi``. The gauge is

    A = B_perp (-(y - y0)) x_hat + B_par (z - z0) x_hat,    B = (0, B_par, B_perp),

with (y0, z0) the centre of the cross-section: the perpendicular field is
along +z, the parallel field in plane along +y (perpendicular to the
current, which flows along x). Only x-bonds carry a phase. With field-free
leads (the default), the phase is present on the bonds of the scattering
region only; the jump of A_x at the lead interface adds no flux, so the
field is exactly uniform in the sample and zero in the leads. With b_perp > 0
states injected from the left lead drift along the bottom edge (y = 0) in
the quantum Hall regime: the Peierls phase of a positive charge in +z field.

A ring can in addition carry a flux tube ``flux_tube`` [h/e] through its
hole only: a pure Aharonov-Bohm phase on the bonds that cross the cut
x = -1/2, y > 0.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

import kwant
import numpy as np
import scipy.sparse as sp

from . import bands
from . import disorder as _disorder
from . import spin as _spin
from .regime import regime as _regime
from .spin import Spin
from .units import Units

__all__ = ["DEPHASING_MODELS", "Device", "Geometry", "Spin", "build", "film", "ring", "wire"]

#: Largest relative change of a size by rounding to whole lattice sites.
ROUNDING_TOLERANCE = 0.05

TWO_PI = 2 * np.pi

#: Solve-time parameters a device accepts, with their units.
PARAMETERS = {
    "b_perp": "T",
    "b_par": "T",
    "phi_perp": "h/e per plaquette",
    "phi_par": "h/e per plaquette",
    "flux_tube": "h/e",
    "disorder": "meV",
    "seed": "integer",
    "tau_phi": "ps",
    "dephasing": "'absorbing' or 'probes'",
    "probe_density": "fraction of sites, (0, 1]",
    "probe_layout": "'random' or 'grid'",
}

#: Placements of Buttiker probes (see :meth:`Device.params`).
PROBE_LAYOUTS = ("random", "grid")

#: Dephasing models (see :meth:`Device.params`).
DEPHASING_MODELS = ("absorbing", "probes")

#: Names of the Kwant parameters (lattice units) of every cooperon system.
KWANT_PARAMETERS = ("phi_perp", "phi_par", "flux_tube", "disorder", "seed", "eta")


# -- value functions (module-level classes: picklable, inspectable by Kwant) --


class _Onsite:
    """On-site energy 2 d t + box disorder of width ``disorder`` [t]."""

    def __init__(self, base: float):
        self.base = base

    def __call__(self, site, disorder, seed, eta):  # Kwant reads these names
        value = self.base + _disorder.box(site.tag, seed, disorder)[0]
        return value - 1j * eta if eta else value


class _Hopping:
    """Peierls hopping -t exp(i theta) with the gauge of the module docstring.

    Interlayer bonds (along z) have magnitude ``t_z`` [t] and no phase.
    """

    def __init__(self, y0: float, z0: float, t_z: float = 1.0):
        self.y0, self.z0, self.t_z = y0, z0, t_z

    def __call__(self, to, fr, phi_perp, phi_par, flux_tube):
        theta = _phase(to.pos, fr.pos, self.y0, self.z0, phi_perp, phi_par, flux_tube)
        scale = self.t_z if len(to.pos) == 3 and to.pos[2] != fr.pos[2] else 1.0
        return -scale * np.exp(1j * theta)


class _SpinOnsite(_Onsite):
    """On-site 2 x 2 block [t]: (2 d t + box disorder - i eta) 1 + (g mu_B / 2) B . sigma."""

    def __init__(self, base: float, zeeman: float):
        self.base, self.zeeman = base, zeeman

    def __call__(self, site, disorder, seed, eta, phi_perp, phi_par):  # Kwant reads these names
        scalar = super().__call__(site, disorder, seed, eta)
        return scalar * _spin.SIGMA[0] + _spin.zeeman_matrix(self.zeeman, phi_perp, phi_par)


class _SpinHopping(_Hopping):
    """Peierls hopping with spin-orbit coupling: exp(i theta) (-t 1 + S(to - from) + i s w . sigma) [t].

    ``so_width``: the spin-orbit disorder's box width [t] (0 in the leads).
    """

    def __init__(self, y0, z0, t_z, lam_r, lam_d, so_width=0.0):
        super().__init__(y0, z0, t_z)
        self.lam_r, self.lam_d, self.so_width = lam_r, lam_d, so_width

    def __call__(self, to, fr, phi_perp, phi_par, flux_tube, seed):  # Kwant reads these names
        hop = super().__call__(to, fr, phi_perp, phi_par, flux_tube)  # -t_ij exp(i theta)
        so = _spin.spin_orbit_matrix(to.pos - fr.pos, self.lam_r, self.lam_d)
        if self.so_width:
            so = so + _spin.so_disorder_blocks(to.tag, fr.tag, seed, self.so_width)[0]
        return hop * _spin.SIGMA[0] - hop / abs(hop) * so


class _SpinLeadHopping:
    """Field-free lead hopping with spin-orbit coupling: -t 1 + S(to - from) [t]."""

    def __init__(self, t_z, lam_r, lam_d):
        self.t_z, self.lam_r, self.lam_d = t_z, lam_r, lam_d

    def __call__(self, to, fr):
        scale = self.t_z if len(to.pos) == 3 and to.pos[2] != fr.pos[2] else 1.0
        so = _spin.spin_orbit_matrix(to.pos - fr.pos, self.lam_r, self.lam_d)
        return -scale * _spin.SIGMA[0] + so


class _SpinLeadOnsite:
    """Clean lead on-site block [t], with the Zeeman term when the field enters the leads."""

    def __init__(self, base: float, zeeman: float):
        self.base, self.zeeman = base, zeeman

    def __call__(self, site, phi_perp, phi_par):
        return self.base * _spin.SIGMA[0] + _spin.zeeman_matrix(self.zeeman, phi_perp, phi_par)


def _phase(p_to, p_fr, y0, z0, phi_perp, phi_par, flux_tube):
    """Peierls phase of the hop p_fr -> p_to (arrays of shape (..., d))."""
    p_to, p_fr = np.asarray(p_to, float), np.asarray(p_fr, float)
    dx = p_to[..., 0] - p_fr[..., 0]
    ym = 0.5 * (p_to[..., 1] + p_fr[..., 1]) - y0
    theta = -TWO_PI * phi_perp * ym * dx
    if p_to.shape[-1] == 3 and phi_par:
        zm = 0.5 * (p_to[..., 2] + p_fr[..., 2]) - z0
        theta = theta + TWO_PI * phi_par * zm * dx
    if flux_tube:
        cut = (np.minimum(p_to[..., 0], p_fr[..., 0]) < -0.5) & (
            np.maximum(p_to[..., 0], p_fr[..., 0]) > -0.5
        )
        theta = theta - TWO_PI * flux_tube * np.where(cut & (ym > 0), dx, 0.0)
    return theta


# -- geometry and device ------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    """Sizes of a device in lattice units (sites).

    Attributes
    ----------
    kind : {"film", "wire", "ring"}
    width : int
        Film or wire width W; for a ring, the width of its leads [a].
    length : int
        Film or wire length L (along the current) [a]; for a ring, the
        outer diameter 2 r_out [a].
    thickness : int
        Number of layers N_z (1: a strictly 2D sheet).
    r_in, r_out : float or None
        Ring radii [a].
    interlayer : float
        Interlayer hopping t_z of a slab [t] (1: the cubic lattice).
    """

    kind: str
    width: int
    length: int
    thickness: int = 1
    r_in: float | None = None
    r_out: float | None = None
    interlayer: float = 1.0

    @property
    def r_mean(self) -> float | None:
        """Mean ring radius (r_in + r_out)/2 [a]."""
        return None if self.r_in is None else 0.5 * (self.r_in + self.r_out)

    @property
    def dimension(self) -> int:
        return 2 if self.thickness == 1 else 3


@dataclass(frozen=True, eq=False)
class Device:
    """A finalized Kwant system with its geometry and units.

    Build one with :func:`film`, :func:`wire` or :func:`ring`. Everything that
    varies between runs (field, disorder strength and seed) is passed at
    solve time through :meth:`params`; the energy through :meth:`energy`.

    Attributes
    ----------
    geometry : Geometry
        Sizes in sites.
    units : Units
        Lattice constant and hopping.
    field_in_leads : bool
        Whether the perpendicular and parallel fields extend into the leads.
    system : kwant.system.FiniteSystem
        The finalized Kwant system (value functions take the parameters in
        ``KWANT_PARAMETERS``, in lattice units).
    """

    geometry: Geometry
    units: Units
    field_in_leads: bool
    system: kwant.system.FiniteSystem = field(repr=False)
    gauge_origin: tuple[float, float] = (0.0, 0.0)
    spin: Spin | None = None

    @property
    def norbs(self) -> int:
        """Orbitals per site: 1 (spinless: G per spin) or 2 (spinful: G counts both spins)."""
        return 1 if self.spin is None else 2

    @property
    def g_s(self) -> int:
        """Spin factor g_s of the formulas for this device's conductance: 1 spinless, 2 spinful."""
        return self.norbs

    # -- parameters ----------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.geometry.kind

    def params(self, **kwargs) -> dict:
        """Kwant ``params`` (lattice units) from solve-time parameters in lab units.

        Parameters
        ----------
        b_perp, b_par : float
            Perpendicular (along z) and in-plane (along y) field [T].
        phi_perp, phi_par : float
            The same as flux per plaquette [h/e] (lattice units); give either
            the field or the flux, not both.
        flux_tube : float
            Flux through the hole of a ring only [h/e].
        disorder : float
            Width of the box distribution of on-site energies [meV].
        seed : int
            Disorder realization (>= 0).
        tau_phi : float
            Phase-coherence time [ps] of a dephasing model; omitted or inf:
            fully coherent.
        dephasing : {"absorbing", "probes"}
            "absorbing" (default): imaginary on-site potential -i eta on every
            site of the scattering region, tau_phi = hbar/(2 eta). It removes
            electrons: it lowers the classical conductance as well and breaks
            G(B) = G(-B) by a few percent; usable for L up to ~2 l_phi.
            "probes": Buttiker dephasing probes, wide-band single-channel
            leads (self-energy -i eta) on a fraction ``probe_density`` of the
            sites with zero net current each: current-conserving, Onsager
            symmetric, keeps the classical conductance. The escape rate into
            the probes, averaged over sites, gives tau_phi = hbar/(2 eta rho).
        probe_density : float
            Fraction rho of sites carrying a probe; default 1.
        probe_layout : {"random", "grid"}
            "random" (default): each site carries a probe with probability rho,
            drawn from the seed. "grid": probes on a regular lattice of spacing
            s = round(rho^(-1/d)) sites in each of the d directions (density
            1/s^d), its offset drawn from the seed: the same dephasing without
            the placement's own fluctuations (sparse random probes add
            sample-to-sample variance; a grid does not).

        Returns
        -------
        dict
            ``phi_perp``, ``phi_par``, ``flux_tube``, ``disorder`` [t], ``seed``,
            ``eta`` [t] (absorbing potential, read by the Kwant value
            functions), ``probe_eta`` [t] and ``probe_density`` (probes, read
            by ``transport``).
        """
        for name in kwargs:
            if name not in PARAMETERS:
                close = difflib.get_close_matches(name, PARAMETERS, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"unknown parameter {name!r} for a {self.kind}.{hint} "
                    f"Valid parameters: {', '.join(PARAMETERS)}."
                )
        out = dict.fromkeys(KWANT_PARAMETERS, 0.0)
        out["seed"] = 0
        for axis in ("perp", "par"):
            b, phi = kwargs.get(f"b_{axis}"), kwargs.get(f"phi_{axis}")
            if b is not None and phi is not None:
                raise TypeError(f"give b_{axis} [T] or phi_{axis} [h/e], not both")
            if b is not None:
                out[f"phi_{axis}"] = self.units.phi(_finite(f"b_{axis}", b))
            elif phi is not None:
                out[f"phi_{axis}"] = _finite(f"phi_{axis}", phi)
        zeeman = self.spin is not None and self.spin.g_factor != 0
        if out["phi_par"] != 0 and self.geometry.thickness == 1 and not zeeman:
            raise ValueError(
                f"an in-plane field (b_par, phi_par) has no orbital effect on a single-layer "
                f"{self.kind} without a Zeeman term; build it with thickness >= 2 layers, "
                "give it a spin with a g factor (spin=devices.Spin(g_factor=...)), or use b_perp"
            )
        if "flux_tube" in kwargs:
            if self.kind != "ring":
                raise TypeError("flux_tube [h/e] applies to rings only; use b_perp for a field")
            out["flux_tube"] = _finite("flux_tube", kwargs["flux_tube"])
        if "disorder" in kwargs:
            w = _finite("disorder", kwargs["disorder"])
            if w < 0:
                raise ValueError(f"disorder is the width of the box distribution, >= 0; got {w}")
            out["disorder"] = self.units.to_t(w)
        if "seed" in kwargs:
            s = kwargs["seed"]
            if isinstance(s, bool) or int(s) != s or s < 0:
                raise ValueError(f"seed must be an integer >= 0, got {s!r}")
            out["seed"] = int(s)
        out.update(self._dephasing(kwargs))
        return out

    def _dephasing(self, kwargs) -> dict:
        model = kwargs.get("dephasing")
        tau = kwargs.get("tau_phi")
        rho = kwargs.get("probe_density")
        layout = kwargs.get("probe_layout")
        out = {"eta": 0.0, "probe_eta": 0.0, "probe_density": 0.0, "probe_grid": 0}
        if layout is not None and layout not in PROBE_LAYOUTS:
            close = difflib.get_close_matches(str(layout), PROBE_LAYOUTS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown probe layout {layout!r}; use one of {PROBE_LAYOUTS}.{hint}")
        if model is not None and model not in DEPHASING_MODELS:
            close = difflib.get_close_matches(str(model), DEPHASING_MODELS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown dephasing model {model!r}; use one of {DEPHASING_MODELS}.{hint}"
            )
        if tau is None or (isinstance(tau, float) and math.isinf(tau) and tau > 0):
            if (rho is not None or layout is not None) and model != "probes":
                raise TypeError(
                    "probe_density and probe_layout need dephasing='probes' and tau_phi"
                )
            return out
        tau = _finite("tau_phi", tau)
        if tau <= 0:
            raise ValueError(f"tau_phi must be > 0 ps (or inf for a coherent sample), got {tau}")
        model = model or "absorbing"
        if model == "absorbing":
            if rho is not None or layout is not None:
                raise TypeError("probe_density and probe_layout apply to dephasing='probes' only")
            out["eta"] = self.units.time_ps / (2 * tau)
            return out
        rho = 1.0 if rho is None else _finite("probe_density", rho)
        if not 0 < rho <= 1:
            raise ValueError(f"probe_density is a fraction of sites in (0, 1], got {rho}")
        if layout == "grid":
            dim = self.tags.shape[1]
            spacing = max(1, round(rho ** (-1 / dim)))
            rho = spacing**-dim  # the grid's density sets the coupling: tau_phi is exact
            out["probe_grid"] = spacing
        out["probe_eta"] = self.units.time_ps / (2 * tau * rho)
        out["probe_density"] = rho
        return out

    # -- energy ----------------------------------------------------------------

    @property
    def lead_cross_section(self) -> tuple[int, int]:
        """Width and thickness of the leads [sites]."""
        return self.geometry.width, self.geometry.thickness

    def channel_thresholds_meV(self) -> np.ndarray:
        """Energies [meV] at which lead channels open."""
        return self.units.to_meV(
            bands.channel_thresholds(*self.lead_cross_section, self.geometry.interlayer)
        )

    def energy(self, energy_meV: float) -> float:
        """Check a Fermi energy [meV above the band bottom] and return it in lattice units [t].

        Raises
        ------
        ValueError
            If no lead channel is open, the energy sits on a channel
            threshold (where the conductance is singular), or the lattice
            constant is too coarse for the Fermi wavelength (physical units).
        """
        e = self.units.to_t(_finite("energy", energy_meV))
        w, nz = self.lead_cross_section
        t_z = self.geometry.interlayer
        thresholds = bands.channel_thresholds(w, nz, t_z)
        if bands.open_channels(e, w, nz, t_z) == 0:
            first = self.units.to_meV(thresholds[0])
            raise ValueError(
                f"no open channel in the leads at E = {energy_meV:g} meV: the first "
                f"channel opens at {first:.4g} meV ({w} x {nz} sites); raise the energy "
                "or widen the leads"
            )
        gap = np.min(np.abs(np.concatenate([thresholds, thresholds + 4]) - e))
        if gap < 1e-7:
            raise ValueError(
                f"E = {energy_meV:g} meV sits on a lead channel threshold, where the "
                "conductance is singular; shift the energy slightly"
            )
        if not self.units.nominal:
            kf = bands.fermi_wavevector(e, nz, t_z)
            if kf > np.pi / 2:
                lam = self.units.to_nm(2 * np.pi / kf)
                raise ValueError(
                    f"lattice constant a = {self.units.a_nm:g} nm is too coarse for the Fermi "
                    f"wavelength {lam:.3g} nm (k_F a = {kf:.2f} > pi/2): the lattice no longer "
                    f"mimics a continuum; use a <= {lam / 4:.3g} nm or a lower energy"
                )
        return e

    def fermi_energy(self, density_cm2: float, spin_degeneracy: int = 2) -> float:
        """Fermi energy [meV above the band bottom] for a sheet carrier density [cm^-2].

        ``density_cm2`` is the total density of the sheet (all layers),
        shared by ``spin_degeneracy`` spin species.
        """
        n = _finite("density", density_cm2)
        if n <= 0:
            raise ValueError(f"carrier density must be > 0 cm^-2, got {n}")
        nz = self.geometry.thickness
        per_site = n * 1e4 * self.units.a_m**2 / (spin_degeneracy * nz)
        return self.units.to_meV(bands.energy_from_states(per_site, nz, self.geometry.interlayer))

    # -- arrays for vectorized assembly ----------------------------------------

    @property
    def tags(self) -> np.ndarray:
        """Integer lattice tags of the scattering-region sites, in Kwant's order, (n, d)."""
        return self._arrays[0]

    @property
    def positions(self) -> np.ndarray:
        """Site positions [a], (n, d)."""
        return self._arrays[1]

    @property
    def bonds(self) -> np.ndarray:
        """Pairs (i, j), i < j, of coupled sites of the scattering region, (m, 2)."""
        return self._arrays[2]

    @property
    def _arrays(self):
        cache = self.__dict__.get("_cache")
        if cache is None:
            sites = self.system.sites
            tags = np.array([s.tag for s in sites], dtype=np.int64)
            pos = np.array([s.pos for s in sites], dtype=float)
            edges = np.array(list(self.system.graph), dtype=np.int64).reshape(-1, 2)
            edges = edges[edges[:, 0] < edges[:, 1]]
            cache = (tags, pos, edges)
            object.__setattr__(self, "_cache", cache)
        return cache

    def onsite_base(self) -> float:
        """Clean on-site energy [t]: 4 for a sheet, 4 + 2 t_z for a slab (band bottom at 0)."""
        return _onsite(self.geometry.thickness, self.geometry.interlayer)

    def hamiltonian(self, params: dict, disorder_values: np.ndarray | None = None):
        """Sparse Hamiltonian of the scattering region [t], vectorized.

        Equal to ``system.hamiltonian_submatrix(params=params, sparse=True)``
        but built with numpy instead of one Python call per site and bond.

        Parameters
        ----------
        params : dict
            Kwant parameters, as returned by :meth:`params`.
        disorder_values : array, optional
            Precomputed on-site disorder [t] (to reuse across fields).
        """
        tags, pos, b = self._arrays
        if disorder_values is None:
            disorder_values = self.disorder_values(params)
        diag = self.onsite_base() + disorder_values
        if params.get("eta"):
            diag = diag - 1j * params["eta"]
        y0, z0 = self.gauge_origin
        theta = _phase(
            pos[b[:, 0]],
            pos[b[:, 1]],
            y0,
            z0,
            params["phi_perp"],
            params["phi_par"],
            params["flux_tube"],
        )
        hop = -np.exp(1j * theta)
        if self.geometry.interlayer != 1.0:
            hop = (
                np.where(pos[b[:, 0], -1] != pos[b[:, 1], -1], self.geometry.interlayer, 1.0) * hop
            )
        n = len(tags)
        if self.spin is not None:
            return self._spin_hamiltonian(params, diag, hop, pos, b)
        rows = np.concatenate([np.arange(n), b[:, 0], b[:, 1]])
        cols = np.concatenate([np.arange(n), b[:, 1], b[:, 0]])
        vals = np.concatenate([diag.astype(complex), hop, hop.conj()])
        return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))

    def _spin_hamiltonian(self, params, diag, hop, pos, b):
        """The spinful Hamiltonian [t], orbitals (site i, spin s) at 2 i + s."""
        n = len(diag)
        zeeman, lam_r, lam_d = self.spin.lattice(self.units)
        s0 = _spin.SIGMA[0]
        onsite = diag.astype(complex)[:, None, None] * s0 + _spin.zeeman_matrix(
            zeeman, params["phi_perp"], params["phi_par"]
        )
        phase = -hop / np.abs(hop)  # exp(i theta) of each bond
        so = _spin.spin_orbit_matrix(pos[b[:, 0]] - pos[b[:, 1]], lam_r, lam_d)
        width = self.spin.so_disorder_lattice(self.units)
        if width:
            tags = self.tags
            so = so + _spin.so_disorder_blocks(tags[b[:, 0]], tags[b[:, 1]], params["seed"], width)
        blocks = hop[:, None, None] * s0 + phase[:, None, None] * so  # H[b0, b1]: hop b1 -> b0
        site_r = np.concatenate([np.arange(n), b[:, 0], b[:, 1]])
        site_c = np.concatenate([np.arange(n), b[:, 1], b[:, 0]])
        vals = np.concatenate([onsite, blocks, np.conj(np.swapaxes(blocks, 1, 2))])
        s_r, s_c = np.meshgrid([0, 1], [0, 1], indexing="ij")
        rows = (2 * site_r[:, None, None] + s_r).ravel()
        cols = (2 * site_c[:, None, None] + s_c).ravel()
        return sp.csr_matrix((vals.ravel(), (rows, cols)), shape=(2 * n, 2 * n))

    def probe_sites(self, params: dict) -> np.ndarray:
        """Indices of the sites carrying a Buttiker probe (drawn from the seed, streams 1-4)."""
        rho = params.get("probe_density", 0.0)
        if not params.get("probe_eta") or rho <= 0:
            return np.zeros(0, dtype=np.int64)
        if rho >= 1:
            return np.arange(len(self.tags))
        spacing = params.get("probe_grid", 0)
        if spacing:
            tags = self.tags
            seed = params["seed"]
            keep = np.ones(len(tags), bool)
            for k in range(tags.shape[1]):  # an offset per direction, drawn from the seed
                u = _disorder.uniform(np.array([[k]]), seed, stream=2 + k)[0]
                keep &= (tags[:, k] - int(u * spacing)) % spacing == 0
            return np.flatnonzero(keep)
        u = _disorder.uniform(self.tags, params["seed"], stream=1)
        return np.flatnonzero(u < rho)

    def disorder_values(self, params: dict) -> np.ndarray:
        """On-site disorder energies [t] of realization ``params['seed']``."""
        return _disorder.box(self.tags, params["seed"], params["disorder"])

    # -- reports ----------------------------------------------------------------

    def spec(self) -> dict:
        """JSON-ready description that rebuilds the same device (:func:`from_spec`)."""
        g = self.geometry
        d = {
            "kind": g.kind,
            "width": g.width,
            "length": g.length,
            "thickness": g.thickness,
            "units": self.units.to_dict(),
            "field_in_leads": self.field_in_leads,
        }
        if g.kind == "ring":
            d.update(r_in=g.r_in, r_out=g.r_out)
        if g.interlayer != 1.0:  # omitted at its default: older stored specs stay equal
            d["interlayer"] = g.interlayer
        if self.spin is not None:  # omitted when spinless, likewise
            d["spin"] = self.spin.to_dict()
        return d

    def regime(self, energy: float, disorder: float, b_max: float | None = None, **kwargs):
        """Regime report at Fermi energy ``energy`` [meV] and box width ``disorder`` [meV].

        See :func:`devices.regime.regime`.
        """
        return _regime(self, energy, disorder, b_max=b_max, **kwargs)

    def describe(self) -> str:
        """Geometry in lattice and lab units, one line per size."""
        g, u = self.geometry, self.units
        unit = "nm (nominal: lattice units)" if u.nominal else "nm"
        lines = [f"{g.kind}: a = {u.a_nm:g} {unit}, t = {u.t_meV:.4g} meV (m* = {u.mass:.3g} m_e)"]
        if g.kind == "ring":
            lines.append(
                f"  r_in = {g.r_in:g} a = {u.to_nm(g.r_in):.4g} nm, "
                f"r_out = {g.r_out:g} a = {u.to_nm(g.r_out):.4g} nm, "
                f"lead width = {g.width} a = {u.to_nm(g.width):.4g} nm"
            )
        else:
            lines.append(
                f"  W x L = {g.width} x {g.length} sites = "
                f"{u.to_nm(g.width):.4g} x {u.to_nm(g.length):.4g} nm"
            )
        lines.append(
            f"  thickness = {g.thickness} layer(s) = {u.to_nm(g.thickness):.4g} nm; "
            f"{self.system.graph.num_nodes} sites; field in leads: {self.field_in_leads}"
        )
        if g.interlayer != 1.0:
            lines.append(f"  interlayer hopping t_z = {g.interlayer:g} t")
        if self.spin is not None:
            lines.append(self.spin.describe(u))
        return "\n".join(lines)


def _finite(name, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def _sites(name: str, length_nm: float, units: Units, minimum: int = 1, exact_only=True) -> int:
    """A size [nm] as a whole number of sites; an error when rounding changes it by > 5%.

    ``exact_only=False`` (a size the user did not give, e.g. a default lead
    width) skips the rounding check.
    """
    v = _finite(name, length_nm)
    if v <= 0:
        raise ValueError(f"{name} must be > 0 nm, got {name}={length_nm!r}")
    exact = units.to_sites(v)
    n = round(exact)
    if n < minimum:
        raise ValueError(
            f"{name} = {v:g} nm is {exact:.3g} lattice sites (a = {units.a_nm:g} nm); "
            f"it needs at least {minimum}: increase {name} or use a smaller lattice constant"
        )
    if exact_only and abs(n - exact) > ROUNDING_TOLERANCE * exact:
        raise ValueError(
            f"{name} = {v:g} nm is {exact:.3g} lattice sites (a = {units.a_nm:g} nm): rounding "
            f"to {n} sites = {units.to_nm(n):g} nm would change it by "
            f"{100 * abs(n - exact) / exact:.0f}% (more than {100 * ROUNDING_TOLERANCE:g}%); "
            "give a multiple of the lattice constant"
        )
    return n


def _lattice(thickness: int, norbs: int = 1):
    if thickness == 1:
        return kwant.lattice.square(1, norbs=norbs)
    return kwant.lattice.general([(1, 0, 0), (0, 1, 0), (0, 0, 1)], norbs=norbs)


def _check_spin(spin) -> Spin | None:
    if spin is None or isinstance(spin, Spin):
        return spin
    if spin is True:
        return Spin()
    if spin is False:
        return None
    raise TypeError(f"spin must be a devices.Spin (or True for a spin-degenerate device), "
                    f"got {spin!r}")  # fmt: skip


def _value_functions(onsite, y0, z0, t_z, spin, units, field_in_leads):
    """Value functions: (on-site, hopping) of the scattering region and of the leads.

    Field-free leads carry neither the Peierls phase nor the Zeeman term.
    """
    zeeman, lam_r, lam_d = spin.lattice(units)
    hopping = _SpinHopping(y0, z0, t_z, lam_r, lam_d, spin.so_disorder_lattice(units))
    if field_in_leads:  # the leads are clean: no spin-orbit disorder
        lead_hopping = _SpinHopping(y0, z0, t_z, lam_r, lam_d)
        return _SpinOnsite(onsite, zeeman), hopping, _SpinLeadOnsite(onsite, zeeman), lead_hopping
    lead_onsite = onsite * _spin.SIGMA[0]
    return _SpinOnsite(onsite, zeeman), hopping, lead_onsite, _SpinLeadHopping(t_z, lam_r, lam_d)


def _check_thickness(thickness) -> int:
    if isinstance(thickness, bool) or int(thickness) != thickness or thickness < 1:
        raise ValueError(f"thickness is a number of layers, an integer >= 1; got {thickness!r}")
    return int(thickness)


def _onsite(nz: int, t_z: float) -> float:
    return 4.0 if nz == 1 else 4.0 + 2.0 * t_z


def _check_interlayer(interlayer, nz: int) -> float:
    t_z = _finite("interlayer", interlayer)
    if not 0 < t_z <= 1:
        raise ValueError(
            f"interlayer is the hopping between layers in units of t, in (0, 1]; got {t_z!r}"
        )
    if nz == 1 and t_z != 1.0:
        raise ValueError(
            "interlayer applies to a slab; this device has one layer: give thickness >= 2"
        )
    return t_z


# -- builders -----------------------------------------------------------------


def film(
    width: float,
    length: float,
    thickness: int = 1,
    *,
    units: Units | None = None,
    field_in_leads: bool = False,
    interlayer: float = 1.0,
    spin: Spin | bool | None = None,
) -> Device:
    """A rectangular disordered film between two leads of its own cross-section.

    Parameters
    ----------
    width, length : float
        Width W (along y) and length L (along the current, x) [nm]; rounded
        to whole lattice sites. In lattice units (the default) nm are sites.
    thickness : int
        Number of layers: 1 is a strictly 2D sheet, more make a cubic-lattice
        slab (needed for an orbital effect of a parallel field).
    units : Units, optional
        Lattice constant and hopping; default :meth:`Units.lattice`.
    field_in_leads : bool
        Extend the magnetic field into the leads (default: field only in the
        scattering region, as for weak-localization work).
    interlayer : float
        Hopping between layers t_z in units of t, in (0, 1] (slabs only).
        1 is the cubic lattice; t_z well below hbar/tau (the disorder
        broadening) makes weakly coupled layers, between which an electron
        hops incoherently: the layered-metal limit, where the z motion is
        uncorrelated with the in-plane one as the in-plane field law
        1/tau_B = D e^2 B^2 d^2/(3 hbar^2) assumes.
    spin : Spin or True, optional
        Make the device spinful (two orbitals per site; G counts both spins):
        Zeeman, Rashba and Dresselhaus couplings (:class:`devices.Spin`);
        True is a spin-degenerate device (no couplings). Default: spinless,
        G per spin.

    Returns
    -------
    Device
    """
    return _rectangle("film", width, length, thickness, units, field_in_leads, interlayer, spin)


def wire(
    width: float,
    length: float,
    thickness: int = 1,
    *,
    units: Units | None = None,
    field_in_leads: bool = False,
    interlayer: float = 1.0,
    spin: Spin | bool | None = None,
) -> Device:
    """A long narrow conductor (W < L); same model and options as :func:`film`.

    The regime report of a wire adds the quasi-1D quantities (localization
    length against L, l_phi against W).
    """
    units = units or Units.lattice()
    w, length_sites = _sites("width", width, units), _sites("length", length, units)
    if length_sites <= w:
        raise ValueError(
            f"a wire needs length > width, got W = {w} and L = {length_sites} sites; "
            "use devices.film for a wide sample"
        )
    return _rectangle("wire", width, length, thickness, units, field_in_leads, interlayer, spin)


def _rectangle(kind, width, length, thickness, units, field_in_leads, interlayer=1.0,
               spin=None) -> Device:  # fmt: skip
    units = units or Units.lattice()
    spin = _check_spin(spin)
    w = _sites("width", width, units)
    length_sites = _sites("length", length, units)
    nz = _check_thickness(thickness)
    t_z = _check_interlayer(interlayer, nz)
    lat = _lattice(nz, 1 if spin is None else 2)
    y0, z0 = (w - 1) / 2, (nz - 1) / 2
    cross = [(y,) if nz == 1 else (y, z) for y in range(w) for z in range(nz)]
    onsite = _onsite(nz, t_z)

    syst = kwant.Builder()
    sym = kwant.TranslationalSymmetry((-1,) + (0,) * (lat.dim - 1))
    lead = kwant.Builder(sym)
    if spin is None:
        syst[(lat(x, *c) for x in range(length_sites) for c in cross)] = _Onsite(onsite)
        syst[lat.neighbors()] = _Hopping(y0, z0, t_z)
        lead[(lat(0, *c) for c in cross)] = onsite
        lead[lat.neighbors()] = _Hopping(y0, z0, t_z) if field_in_leads else -1.0
        if nz > 1 and not field_in_leads:
            lead[kwant.builder.HoppingKind((0, 0, 1), lat, lat)] = -t_z
    else:
        fns = _value_functions(onsite, y0, z0, t_z, spin, units, field_in_leads)
        syst[(lat(x, *c) for x in range(length_sites) for c in cross)] = fns[0]
        syst[lat.neighbors()] = fns[1]
        lead[(lat(0, *c) for c in cross)] = fns[2]
        lead[lat.neighbors()] = fns[3]
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    geom = Geometry(kind, w, length_sites, nz, interlayer=t_z)
    return Device(geom, units, bool(field_in_leads), syst.finalized(), (y0, z0), spin)


def ring(
    r_in: float,
    r_out: float,
    *,
    lead_width: float | None = None,
    units: Units | None = None,
    field_in_leads: bool = False,
    spin: Spin | bool | None = None,
) -> Device:
    """A 2D annulus with two leads on opposite sides (along x).

    Parameters
    ----------
    r_in, r_out : float
        Inner and outer radius [nm]; sites with r_in <= abs(r) < r_out belong
        to the ring, centred on the origin.
    lead_width : float, optional
        Width of the two leads [nm]; default the arm width r_out - r_in.
    units : Units, optional
        Lattice constant and hopping; default :meth:`Units.lattice`.
    field_in_leads : bool
        Extend a uniform field into the leads.
    spin : Spin or True, optional
        A spinful ring (see :func:`film`).

    Notes
    -----
    At solve time the ring takes a uniform field (``b_perp``) and/or a flux
    tube through the hole only (``flux_tube`` [h/e]); the AB period of a
    uniform field is h/(e pi r^2) for a radius between r_in and r_out.
    """
    units = units or Units.lattice()
    ri, ro = _finite("r_in", r_in), _finite("r_out", r_out)
    if not 0 < ri < ro:
        raise ValueError(
            f"ring needs 0 < inner radius < outer radius, got r_in={r_in}, r_out={r_out} nm"
        )
    ri_s, ro_s = units.to_sites(ri), units.to_sites(ro)
    if ro_s - ri_s < 1:
        raise ValueError(
            f"ring arms are {ro_s - ri_s:.3g} sites wide (a = {units.a_nm:g} nm): "
            "they need at least one site; widen the ring or use a smaller lattice constant"
        )
    if ri_s < 1:
        raise ValueError(f"ring hole r_in = {ri} nm is smaller than one lattice constant")
    w = _sites("lead_width", ro - ri if lead_width is None else lead_width, units,
               exact_only=lead_width is not None)  # fmt: skip
    if w > 2 * ro_s:
        raise ValueError(f"lead_width = {w} sites exceeds the ring's outer diameter")
    spin = _check_spin(spin)
    lat = kwant.lattice.square(1, norbs=1 if spin is None else 2)

    def in_ring(pos):
        r2 = pos[0] ** 2 + pos[1] ** 2
        return ri_s**2 <= r2 < ro_s**2

    y_lo = -(w // 2)

    def in_lead(pos):
        return y_lo <= pos[1] < y_lo + w

    if spin is None:
        fns = (_Onsite(4.0), _Hopping(0.0, 0.0), 4.0,
               _Hopping(0.0, 0.0) if field_in_leads else -1.0)  # fmt: skip
    else:
        fns = _value_functions(4.0, 0.0, 0.0, 1.0, spin, units, field_in_leads)
    syst = kwant.Builder()
    syst[lat.shape(in_ring, (0, math.ceil(ri_s)))] = fns[0]
    syst[lat.neighbors()] = fns[1]
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[lat.shape(in_lead, (0, y_lo))] = fns[2]
    lead[lat.neighbors()] = fns[3]
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    geom = Geometry("ring", w, round(2 * ro_s), 1, ri_s, ro_s)
    return Device(geom, units, bool(field_in_leads), syst.finalized(), (0.0, 0.0), spin)


def units_from_options(
    lattice_constant_nm: float | None = None,
    hopping_meV: float | None = None,
    mass: float | None = None,
) -> Units:
    """Units from a lattice constant [nm] with a hopping [meV] or an effective mass [m_e].

    All three omitted: lattice units (:meth:`Units.lattice`).
    """
    if hopping_meV is not None and mass is not None:
        raise ValueError("give the hopping [meV] or the effective mass, not both")
    if lattice_constant_nm is None:
        if hopping_meV is not None or mass is not None:
            raise ValueError("a hopping or an effective mass needs the lattice constant [nm]")
        return Units.lattice()
    if mass is not None:
        return Units.from_mass(lattice_constant_nm, mass)
    if hopping_meV is not None:
        return Units(lattice_constant_nm, hopping_meV)
    raise ValueError("the lattice constant [nm] needs a hopping [meV] or an effective mass")


def build(
    shape: str,
    *,
    width_nm: float | None = None,
    length_nm: float | None = None,
    thickness: int = 1,
    interlayer: float = 1.0,
    r_in_nm: float | None = None,
    r_out_nm: float | None = None,
    lead_width_nm: float | None = None,
    lattice_constant_nm: float | None = None,
    hopping_meV: float | None = None,
    mass: float | None = None,
    field_in_leads: bool = False,
    spin: bool = False,
    g_factor: float | None = None,
    rashba_meV_nm: float | None = None,
    dresselhaus_meV_nm: float | None = None,
    so_disorder_meV: float | None = None,
) -> Device:
    """A device from named options in lab units: the one builder behind specs and the CLI.

    Parameters
    ----------
    shape : {"film", "wire", "ring"}
    width_nm, length_nm : float
        Film or wire size [nm].
    thickness : int
        Layers (films and wires).
    interlayer : float
        Interlayer hopping of a slab [t].
    r_in_nm, r_out_nm, lead_width_nm : float
        Ring radii and lead width [nm].
    lattice_constant_nm, hopping_meV, mass
        Units (:func:`units_from_options`); omitted: lattice units, where
        "nm" are sites and "meV" multiples of t.
    field_in_leads : bool
        Extend the field into the leads.
    spin : bool
        A spinful device (G counts both spins).
    g_factor, rashba_meV_nm, dresselhaus_meV_nm : float
        Its Zeeman g factor and spin-orbit couplings alpha_R, beta [meV nm]
        (:class:`devices.Spin`); they need ``spin``.
    so_disorder_meV : float
        Spin-orbit disorder [meV] (Elliott-Yafet; ``devices.Spin.so_disorder``); needs ``spin``.
    """
    units = units_from_options(lattice_constant_nm, hopping_meV, mass)
    couplings = {"g_factor": g_factor, "rashba": rashba_meV_nm, "dresselhaus": dresselhaus_meV_nm,
                 "so_disorder": so_disorder_meV}  # fmt: skip
    given = {k: v for k, v in couplings.items() if v is not None}
    if given and not spin:
        names = ", ".join({"g_factor": "g_factor", "rashba": "rashba_meV_nm",
                           "dresselhaus": "dresselhaus_meV_nm",
                           "so_disorder": "so_disorder_meV"}[k] for k in given)  # fmt: skip
        raise ValueError(
            f"{names} need a spinful device: the device is spinless (one orbital per site, "
            "G per spin); set spin = true"
        )
    spin = Spin(**given) if spin else None
    if shape == "ring":
        if r_in_nm is None or r_out_nm is None:
            raise ValueError("a ring needs its inner and outer radius [nm]")
        if interlayer != 1.0 or thickness != 1:
            raise ValueError(
                "thickness and interlayer apply to slabs (film or wire), not to a ring"
            )
        return ring(r_in_nm, r_out_nm, lead_width=lead_width_nm, units=units,
                    field_in_leads=field_in_leads, spin=spin)  # fmt: skip
    if shape not in ("film", "wire"):
        close = difflib.get_close_matches(str(shape), ("film", "wire", "ring"), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown device shape {shape!r}: use film, wire or ring{hint}")
    if width_nm is None or length_nm is None:
        raise ValueError(f"a {shape} needs its width and length [nm]")
    builder = film if shape == "film" else wire
    return builder(width_nm, length_nm, thickness, units=units, field_in_leads=field_in_leads,
                   interlayer=interlayer, spin=spin)  # fmt: skip


def from_spec(spec: dict) -> Device:
    """Rebuild a device from :meth:`Device.spec` (sizes there are in sites)."""
    u = spec["units"]
    units = Units(u["a_nm"], u["t_meV"], u.get("nominal", False))
    a = units.a_nm
    spin = Spin(**spec["spin"]) if spec.get("spin") is not None else None
    if spec["kind"] == "ring":
        return ring(spec["r_in"] * a, spec["r_out"] * a, lead_width=spec["width"] * a,
                    units=units, field_in_leads=spec["field_in_leads"], spin=spin)  # fmt: skip
    builder = film if spec["kind"] == "film" else wire
    return builder(spec["width"] * a, spec["length"] * a, spec["thickness"], units=units,
                   field_in_leads=spec["field_in_leads"],
                   interlayer=spec.get("interlayer", 1.0), spin=spin)  # fmt: skip


def kwant_field(phi: float) -> float:
    """Field argument of ``kwant.physics.magnetic_gauge`` for flux ``phi`` [h/e] per plaquette.

    Kwant's gauge gives a unit plaquette the phase -pi B (its flux quantum is
    effectively h/2e, and its sign is that of an electron), whereas cooperon's
    convention is +2 pi phi; so B_kwant = -2 phi. Pinned by a one-plaquette test.
    """
    return -2.0 * phi
