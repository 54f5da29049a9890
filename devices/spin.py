"""Spin: Zeeman coupling, Rashba and Dresselhaus spin-orbit coupling.

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

The disorder stays spin-independent: with spin-orbit coupling, spin
relaxes by precession between collisions (D'yakonov-Perel), which is the
mechanism of a Rashba 2DEG.

Conductance of a spinful device counts both spins: a spinful device with
no spin-orbit coupling and no Zeeman term conducts exactly twice the
spinless device (g_s = 2 in every formula), which a test checks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import constants as sc

__all__ = ["MU_B_MEV_PER_T", "SIGMA", "Spin", "dyakonov_perel_b_so", "in_plane_spin_relaxation"]

#: Bohr magneton [meV/T].
MU_B_MEV_PER_T = sc.physical_constants["Bohr magneton in eV/T"][0] * 1e3

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

    All zero gives a spin-degenerate device: twice the spinless conductance.
    """

    g_factor: float = 0.0
    rashba: float = 0.0
    dresselhaus: float = 0.0

    def __post_init__(self):
        for name in ("g_factor", "rashba", "dresselhaus"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"Spin.{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"Spin.{name} must be finite, got {value!r}")

    @property
    def has_spin_orbit(self) -> bool:
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

    def describe(self, units) -> str:
        lines = [f"  spin: g = {self.g_factor:g}, alpha_R = {self.rashba:g} meV nm, "
                 f"beta_D = {self.dresselhaus:g} meV nm"]  # fmt: skip
        _, lam_r, lam_d = self.lattice(units)
        if self.has_spin_orbit:
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


def zeeman_matrix(zeeman: float, phi_perp: float, phi_par) -> np.ndarray:
    """(g mu_B / 2) B . sigma [t] for B = (0, B_par, B_perp), shape (2, 2)."""
    return zeeman * (phi_par * SIGMA[2] + phi_perp * SIGMA[3])


def dyakonov_perel_b_so(rashba_meV_nm: float, fermi_wavevector_per_nm: float,
                        tau_ps: float, diffusion_m2s: float) -> float:  # fmt: skip
    """B_so [T] of D'yakonov-Perel spin relaxation by Rashba coupling, diffusive limit.

    With H_R = (hbar/2) Omega(k) . sigma, Omega = (2 alpha_R / hbar)(k_y, -k_x, 0),
    the diffusive limit (Omega tau << 1, isotropic scattering) relaxes the
    spin components at 1/tau_ii = tau (<Omega^2> - <Omega_i^2>): 1/tau_zz =
    4 (alpha_R k_F / hbar)^2 tau and 1/tau_xx = 1/tau_yy = half that. The
    triplet Cooperons of HLN relax on average at (1/tau_xx + 1/tau_yy +
    1/tau_zz)/3 = (4/3)/tau_so, which defines

        1/tau_so = 2 (alpha_R k_F / hbar)^2 tau,     B_so = hbar / (4 e D tau_so),

    the B_so of :func:`fits.lineshapes.hln_spin_orbit` (triplet field
    B_phi + (4/3) B_so). Linear Rashba makes the three triplet rates unequal
    (ILP), so HLN with this B_so is an approximation of the exact ILP line shape.
    """
    alpha = rashba_meV_nm * 1e-3 * sc.e * 1e-9  # [J m]
    omega0 = alpha * fermi_wavevector_per_nm * 1e9 / sc.hbar  # alpha k_F / hbar [1/s]
    rate = 2 * omega0**2 * tau_ps * 1e-12
    return sc.hbar * rate / (4 * sc.e * diffusion_m2s)


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
    correction); :func:`dyakonov_perel_b_so` is its first term. The
    corresponding B_so = hbar / (4 e D tau_xx).
    """
    w2 = float(omega_tau) ** 2
    if not (math.isfinite(w2) and w2 >= 0):
        raise ValueError(f"Omega tau must be a finite number, got {omega_tau}")
    if w2 == 0:
        return 0.0
    roots = np.roots([1.0, -1.0, w2, -w2 / 2])
    u = [r.real for r in roots if abs(r.imag) < 1e-9 and 0.5 <= r.real <= 1.0]
    return 1.0 - max(u)
