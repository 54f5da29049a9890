"""Spin: Zeeman coupling, Rashba and Dresselhaus spin-orbit coupling, spin-orbit disorder.

A spinful device carries two orbitals per site (spin up and down along z).
Its Hamiltonian adds to the spinless one (times the unit matrix):

- Zeeman: (g mu_B / 2) B . sigma on every site of the scattering region,
  with B = (0, B_par, B_perp) the device's field (isotropic: an in-plane
  field acts through Zeeman even on a single layer, where it has no orbital
  effect). With field-free leads (the default) the leads carry no Zeeman
  term either: the field is zero there.
- Rashba: alpha_R (sigma_x k_y - sigma_y k_x); Dresselhaus (linear, [001]
  quantum well): beta (sigma_x k_x - sigma_y k_y). On the lattice, with
  lambda = alpha / (2 a) [t], the hopping from r to r + x is
  -t - i lambda_R sigma_y + i lambda_D sigma_x and from r to r + y is
  -t + i lambda_R sigma_x - i lambda_D sigma_y (times the Peierls phase), so
  that H(k) = 2 t (2 - cos k_x a - cos k_y a)
  + 2 lambda_R (sigma_x sin k_y a - sigma_y sin k_x a)
  + 2 lambda_D (sigma_x sin k_x a - sigma_y sin k_y a), whose small-k limit is
  the continuum form above (pinned by a test on the lead's band structure).
  Spin-orbit coupling acts within each layer of a slab and in the leads
  (clean, so the leads are a uniform spin-orbit metal).

The on-site disorder is spin-independent: with Rashba or Dresselhaus
coupling, spin relaxes by precession between collisions (D'yakonov-Perel),
the mechanism of a 2DEG. Spin-orbit disorder (``so_disorder``) adds a random,
time-reversal symmetric hop i w . sigma on every bond of the scattering
region: spin flips at rare collisions (Elliott-Yafet), isotropically, the
spin-orbit scattering of impurities in a metal film
(:func:`elliott_yafet_spin_relaxation`).

Conductance of a spinful device counts both spins: a spinful device with
no spin-orbit coupling and no Zeeman term conducts exactly twice the
spinless device (g_s = 2 in every formula), which a test checks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import constants as sc

from cooperon.constants import MU_B_MEV_PER_T

from .disorder import uniform

__all__ = [
    "MU_B_MEV_PER_T",
    "SIGMA",
    "Spin",
    "b_so_from_spin_relaxation",
    "dyakonov_perel_lattice_b_so",
    "dyakonov_perel_omega_tau",
    "elliott_yafet_spin_relaxation",
    "in_plane_spin_relaxation",
    "out_of_plane_spin_relaxation",
    "so_disorder_blocks",
]

#: Unit matrix and Pauli matrices sigma_x, sigma_y, sigma_z.
SIGMA = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]],
                 dtype=complex)  # fmt: skip


@dataclass(frozen=True)
class Spin:
    """Spin couplings of a spinful device, in lab units.

    Parameters
    ----------
    g_factor : float
        Lande g factor of the Zeeman term (g mu_B / 2) B . sigma; 0 turns
        Zeeman off. (Free electron 2.0; GaAs -0.44; InAs about -15.)
    rashba : float
        Rashba coefficient alpha_R [meV nm] (in lattice units: t a).
    dresselhaus : float
        Linear Dresselhaus coefficient beta [meV nm].
    so_disorder : float
        Spin-orbit disorder [meV]: every bond of the scattering region gets
        the hopping i w . sigma (times its Peierls phase), each component of
        w drawn from a box of this width, from the disorder seed. It is
        time-reversal symmetric and isotropic in spin: the Elliott-Yafet
        spin relaxation of impurity spin-orbit scattering
        (:func:`elliott_yafet_spin_relaxation`). The leads stay clean.

    All zero gives a spin-degenerate device: twice the spinless conductance.
    """

    g_factor: float = 0.0
    rashba: float = 0.0
    dresselhaus: float = 0.0
    so_disorder: float = 0.0

    def __post_init__(self):
        for name in ("g_factor", "rashba", "dresselhaus", "so_disorder"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"Spin.{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"Spin.{name} must be finite, got {value!r}")
        if self.so_disorder < 0:
            raise ValueError(
                f"Spin.so_disorder is a box width [meV], >= 0; got {self.so_disorder!r}"
            )

    @property
    def has_spin_orbit(self) -> bool:
        return bool(self.rashba or self.dresselhaus or self.so_disorder)

    @property
    def has_uniform_spin_orbit(self) -> bool:
        """Rashba or Dresselhaus coupling (D'yakonov-Perel spin relaxation)."""
        return bool(self.rashba or self.dresselhaus)

    def to_dict(self) -> dict:
        return asdict(self)

    # -- lattice units -------------------------------------------------------

    def lattice(self, units) -> tuple[float, float, float]:
        """(zeeman, lambda_R, lambda_D) in lattice units.

        ``zeeman`` [t per (h/e per plaquette)] is half the Zeeman splitting
        per unit flux: (g mu_B / 2) B / t with B = ``units.tesla(phi)``.
        lambda = alpha / (2 a t) [t].
        """
        zeeman = self.g_factor * MU_B_MEV_PER_T * units.tesla(1.0) / (2 * units.t_meV)
        scale = 1.0 / (2 * units.a_nm * units.t_meV)
        return zeeman, self.rashba * scale, self.dresselhaus * scale

    def so_disorder_lattice(self, units) -> float:
        """The spin-orbit disorder's box width [t]."""
        return self.so_disorder / units.t_meV

    def describe(self, units) -> str:
        lines = [f"  spin: g = {self.g_factor:g}, alpha_R = {self.rashba:g} meV nm, "
                 f"beta_D = {self.dresselhaus:g} meV nm"]  # fmt: skip
        if self.so_disorder:
            lines[0] += f", spin-orbit disorder {self.so_disorder:g} meV"
        _, lam_r, lam_d = self.lattice(units)
        if self.has_uniform_spin_orbit:
            lines.append(f"        lattice: lambda_R = {lam_r:.4g} t, lambda_D = {lam_d:.4g} t")
        return "\n".join(lines)


def spin_orbit_matrix(d, lam_r: float, lam_d: float) -> np.ndarray:
    """Spin-orbit part [t] of the hopping along ``d`` = to - from, shape (..., 2, 2).

    Hops along +x: -i lambda_R sigma_y + i lambda_D sigma_x; along +y:
    +i lambda_R sigma_x - i lambda_D sigma_y; the reverse hops take the
    Hermitian conjugate (the negative: i sigma is anti-Hermitian); none
    between layers.
    """
    d = np.asarray(d, float)
    dx = np.rint(d[..., 0])[..., None, None]
    dy = np.rint(d[..., 1])[..., None, None]
    sx, sy = SIGMA[1], SIGMA[2]
    return 1j * dx * (-lam_r * sy + lam_d * sx) + 1j * dy * (lam_r * sx - lam_d * sy)


#: Streams of :func:`devices.disorder.uniform` for the three components of the spin-orbit
#: disorder (0 is the on-site energy, 1-4 the probe placement).
SO_DISORDER_STREAMS = (8, 9, 10)


def so_disorder_blocks(tag_to, tag_fr, seed: int, width: float) -> np.ndarray:
    """Spin-orbit disorder of the hops fr -> to [t]: i s w . sigma, shape (n, 2, 2).

    ``tag_to``, ``tag_fr``: integer lattice tags, shape (n, d). The vector w
    of a bond depends on the seed and on its two tags, not on the direction
    of the hop: each component is a box number of width ``width`` drawn from
    the bond's tags in lexicographic order. The sign s is +1 for the hop from
    the lower tag to the higher and -1 back, so the two hops are Hermitian
    conjugates. Time reversal (i sigma_y K) leaves i w . sigma unchanged.
    """
    to = np.atleast_2d(np.asarray(tag_to, dtype=np.int64))
    fr = np.atleast_2d(np.asarray(tag_fr, dtype=np.int64))
    diff = to - fr
    first = np.argmax(diff != 0, axis=1)
    sign = np.sign(diff[np.arange(len(diff)), first]).astype(float)  # +1: fr < to
    up = sign > 0
    key = np.where(up[:, None], np.hstack([fr, to]), np.hstack([to, fr]))
    w = np.stack([width * (uniform(key, seed, stream=k) - 0.5) for k in SO_DISORDER_STREAMS], -1)
    return 1j * sign[:, None, None] * np.einsum("na,aij->nij", w, SIGMA[1:])


def elliott_yafet_spin_relaxation(so_disorder: float, energy: float) -> float:
    """hbar / tau_s [t]: the spin relaxation rate of spin-orbit disorder on a square lattice.

    Born approximation (golden rule, lattice units hbar = a = t = 1) for the
    bond disorder of :func:`so_disorder_blocks` on a single layer with band
    eps(k) = 4 - 2 cos k_x - 2 cos k_y, at ``energy`` [t] above the band
    bottom, box width W = ``so_disorder`` [t]. Each component a of
    w . sigma scatters k -> k' with the mean squared matrix element

        (W^2 / 12) sum_d 4 sin^2((k_d + k'_d) / 2) / N

    (N sites, d = x, y); on the Fermi line cos k_x + cos k_y = (4 - E) / 2,
    so the Fermi-line average of the rate is the same for every k,

        hbar Gamma_a = 2 pi nu (W^2 / 12) [4 - (4 - E)^2 / 4]

    (nu: density of states per site and spin). A scattering by sigma_x or
    sigma_y reverses s_z; by sigma_z, it keeps it; so every spin component
    relaxes at 1/tau_s = 2 (Gamma_a + Gamma_b) = 4 Gamma_a: isotropic, the
    Elliott-Yafet case, tau_s proportional to the elastic time of the
    spin-orbit scatterers. The triplet Cooperons relax at the same rate, so
    HLN's B_so is (3/4) hbar / (4 e D tau_s) (:func:`b_so_from_spin_relaxation`).
    """
    from . import bands

    if so_disorder < 0 or not math.isfinite(so_disorder):
        raise ValueError(f"so_disorder is a box width [t], >= 0; got {so_disorder!r}")
    if not 0 < energy < 8:
        raise ValueError(f"energy {energy!r} t is outside the band (0, 8) t of a single layer")
    nu = bands.dos(energy)
    return 4 * 2 * math.pi * nu * so_disorder**2 / 12 * (4 - (4 - energy) ** 2 / 4)


def out_of_plane_spin_relaxation(omega_tau: float) -> float:
    """tau / tau_zz: the relaxation rate of the spin component along z at any Omega tau.

    The kinetic equation of :func:`in_plane_spin_relaxation` for a spin along z:
    every Omega(k) lies in the plane, perpendicular to z, so the z component of
    the resolvent is q / (q^2 + Omega^2) whatever the direction of k, and the
    slowest pole solves, with u = q tau and w = Omega tau,

        u^2 - u + w^2 = 0,     tau / tau_zz = 1 - u = (1 - sqrt(1 - 4 w^2)) / 2,

    which is (Omega tau)^2 (D'yakonov-Perel, twice the in-plane rate) for
    Omega tau << 1. For Omega tau > 1/2 the roots are complex: s_z precesses
    and decays at 1 / (2 tau), and this returns 1/2.
    """
    w2 = float(omega_tau) ** 2
    if not (math.isfinite(w2) and w2 >= 0):
        raise ValueError(f"Omega tau must be a finite number, got {omega_tau}")
    if 4 * w2 >= 1:
        return 0.5
    return 2 * w2 / (1 + math.sqrt(1 - 4 * w2))  # = (1 - sqrt(1 - 4 w^2)) / 2, no cancellation


def dyakonov_perel_lattice_b_so(rashba_meV_nm: float, dresselhaus_meV_nm: float, units,
                                diffusion_m2s: float | None = None,
                                tau_ps: float | None = None) -> float:  # fmt: skip
    """B_so [T] of HLN for the D'yakonov-Perel relaxation of a lattice Rashba/Dresselhaus film.

    On the square lattice of :mod:`devices.spin` the precession vector is
    exactly proportional to the velocity v = (2 t a / hbar) sin(k a):

        Omega(k) = (1 / (t a^2)) (alpha v_y + beta v_x, -alpha v_x - beta v_y, 0)

    (alpha_R, beta in meV nm). With isotropic scattering (on-site disorder) the
    spin relaxes for Omega tau << 1 at the rate matrix tau (<Omega^2> delta_ij -
    <Omega_i Omega_j>) (Fermi-line averages), and <v_x^2> = <v_y^2> = D / tau,
    <v_x v_y> = 0. The three triplet Cooperons relax on average at (2/3) tau
    <Omega^2> = (4/3) / tau_so, so that

        B_so = hbar / (4 e D tau_so) = (hbar / 4e) (alpha^2 + beta^2) / (t a^2)^2,

    independent of the disorder and of the energy, with no lattice correction
    (the continuum's hbar / (4 e L_so^2), L_so = hbar^2 / (2 m alpha), since
    t a^2 = hbar^2 / (2 m)). ``units``: the device's (t, a).

    With ``diffusion_m2s`` and ``tau_ps`` (D and tau of the film) and one of
    the two couplings, the rates at finite Omega tau come from the kinetic
    equation (:func:`in_plane_spin_relaxation`, :func:`out_of_plane_spin_relaxation`;
    exact for a constant magnitude of Omega, here the rms over the Fermi line,
    Omega tau = sqrt(2 D tau) (alpha / (t a^2))): B_so is the diffusive value times
    (2 f_xx + f_zz) / (2 (Omega tau)^2), 1.05 at Omega tau = 0.3.
    """
    a = float(rashba_meV_nm) / (units.t_meV * units.a_nm**2)  # [1/nm]: 1 / L_so
    b = float(dresselhaus_meV_nm) / (units.t_meV * units.a_nm**2)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError("the Rashba and Dresselhaus couplings must be finite")
    diffusive = sc.hbar / (4 * sc.e) * (a * a + b * b) * 1e18
    if diffusion_m2s is None and tau_ps is None:
        return diffusive
    if diffusion_m2s is None or tau_ps is None:
        raise TypeError("the finite-Omega tau correction needs both diffusion_m2s and tau_ps")
    if a and b:
        raise ValueError(
            "the finite-Omega tau correction holds for Rashba or Dresselhaus coupling alone "
            "(with both, Omega's magnitude depends on the direction of k); call without "
            "diffusion_m2s and tau_ps for the diffusive B_so"
        )
    w = dyakonov_perel_omega_tau(rashba_meV_nm, dresselhaus_meV_nm, units, diffusion_m2s, tau_ps)
    if w == 0:
        return 0.0
    factor = (2 * in_plane_spin_relaxation(w) + out_of_plane_spin_relaxation(w)) / (2 * w * w)
    return diffusive * factor


def dyakonov_perel_omega_tau(rashba_meV_nm: float, dresselhaus_meV_nm: float, units,
                             diffusion_m2s: float, tau_ps: float) -> float:  # fmt: skip
    """Omega tau, the rms spin turn per collision of a lattice Rashba/Dresselhaus film.

    tau^2 <Omega^2> = 2 D tau (alpha^2 + beta^2) / (t a^2)^2 on the Fermi line (see
    :func:`dyakonov_perel_lattice_b_so`), so Omega tau = sqrt(2 D tau) / L_so: l / L_so in
    the continuum (2 D tau = l^2). D [m^2/s] and tau [ps] of the film.
    """
    inv_l_so = math.hypot(rashba_meV_nm, dresselhaus_meV_nm) / (units.t_meV * units.a_nm**2)
    return math.sqrt(2 * diffusion_m2s * tau_ps * 1e-12) * inv_l_so * 1e9


def b_so_from_spin_relaxation(tau_s_ps: float, diffusion_m2s: float) -> float:
    """B_so [T] of HLN (triplet field B_phi + (4/3) B_so) for isotropic spin relaxation tau_s [ps].

    The triplet Cooperons relax at 1/tau_s, so (4/3) B_so = hbar / (4 e D tau_s).
    """
    return 0.75 * sc.hbar / (4 * sc.e * diffusion_m2s * tau_s_ps * 1e-12)


def zeeman_matrix(zeeman: float, phi_perp: float, phi_par) -> np.ndarray:
    """(g mu_B / 2) B . sigma [t] for B = (0, B_par, B_perp), shape (2, 2)."""
    return zeeman * (phi_par * SIGMA[2] + phi_perp * SIGMA[3])


def in_plane_spin_relaxation(omega_tau: float) -> float:
    """tau / tau_xx: the in-plane spin relaxation rate of a Rashba 2DEG at any Omega tau.

    The spin of each Fermi-surface direction k precesses about Omega(k), which
    lies in the plane, perpendicular to k, with magnitude Omega = 2 alpha_R k_F / hbar,
    and isotropic elastic scattering (time tau) returns it to the average
    over directions. For a uniform in-plane spin S along x the Laplace
    transform of this kinetic equation averages the rotation about Omega(k):
    with q = p + 1/tau, <(q - Omega(k) x)^-1> x = (q^2 + Omega^2 / 2) /
    (q (q^2 + Omega^2)) x. The slowest pole p = -1/tau_xx solves, with
    u = q tau and w = Omega tau,

        u^3 - u^2 + w^2 u - w^2 / 2 = 0,     tau / tau_xx = 1 - u,

    whose one root in (1/2, 1) gives D'yakonov-Perel, tau / tau_xx =
    (Omega tau)^2 / 2, for Omega tau << 1 and 1/2 (the spin keeps half its
    in-plane component, lost at the next collision) for Omega tau >> 1.
    Exact for the continuum model at wave vector Q = 0 (no diffusion
    correction); its first term is :func:`dyakonov_perel_lattice_b_so`'s rate. The
    corresponding B_so = hbar / (4 e D tau_xx).
    """
    w2 = float(omega_tau) ** 2
    if not (math.isfinite(w2) and w2 >= 0):
        raise ValueError(f"Omega tau must be a finite number, got {omega_tau}")
    if w2 == 0:
        return 0.0
    # in v = 1 - u = tau / tau_xx: g(v) = v (1 - v)^2 - w^2 (1/2 - v), one root in (0, 1/2)
    # (bracketed: g(0) < 0 < g(1/2)), found to full relative precision also for w << 1
    from scipy.optimize import brentq

    return brentq(lambda v: v * (1 - v) ** 2 - w2 * (0.5 - v), 0.0, 0.5, xtol=1e-300,
                  rtol=4 * np.finfo(float).eps)  # fmt: skip
