"""Band structure of the nearest-neighbour lattices, in lattice units.

Energies are measured from the bottom of the bulk band (on-site energy
2 d t, with d = 2 for a sheet and d = 3 for a slab), so that an energy
equals the kinetic energy of a slow electron. Units: a = 1, t = 1, hbar = 1;
densities of states are per site and per spin.

Square lattice, epsilon(k) = 2 (2 - cos kx - cos ky):

- density of states nu(E) = K(m) / (2 pi^2), m = 1 - (E - 4)^2 / 16
  (``scipy.special.ellipk`` takes the parameter m);
- states below E, n(E) = (1/pi^2) int_0^pi arccos(clip(c)) dkx,
  with c = 2 - cos kx - E/2 (the ky interval where epsilon < E);
- transport weight Sigma(E) = int d^2k/(2 pi)^2 delta(E - epsilon) v_y^2
  = (2/pi^2) int_0^pi sqrt(1 - c^2) dkx, which gives the Einstein relation
  sigma = e^2 nu D = e^2 Sigma tau, i.e. sigma = 2 pi Sigma tau [e^2/h].

A slab of N_z layers with hard walls is a set of square-lattice subbands
shifted by eps_m = 2 t_z (1 - cos(pi m / (N_z + 1))), m = 1..N_z, where
t_z is the interlayer hopping in units of t (1: the cubic lattice; below 1:
weakly coupled layers). The slab's on-site energy is 4 + 2 t_z, so energies
stay measured from the bottom of the bulk band.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize, special

__all__ = [
    "born_tau",
    "channel_thresholds",
    "dos",
    "energy_from_states",
    "fermi_wavevector",
    "open_channels",
    "states",
    "subbands",
    "transport_weight",
]


def subbands(n: int) -> np.ndarray:
    """Transverse energies 2 (1 - cos(pi m/(n+1))), m = 1..n, of a hard-wall chain of n sites."""
    m = np.arange(1, n + 1)
    return 2 * (1 - np.cos(np.pi * m / (n + 1)))


def _c(kx, energy):
    return 2 - np.cos(kx) - energy / 2


def _kinks(energy: float) -> list[float]:
    """kx where c(kx) = +-1: the integrands below have square-root kinks there."""
    out = []
    for v in (1 - energy / 2, 3 - energy / 2):
        if -1 < v < 1:
            out.append(float(np.arccos(v)))
    return out


def _quad(f, energy: float) -> float:
    return integrate.quad(
        f, 0, np.pi, points=_kinks(energy) or None, limit=400, epsabs=1e-14, epsrel=1e-12
    )[0]


def _dos_sheet(energy: float) -> float:
    if energy <= 0 or energy >= 8:
        return 0.0
    # the logarithmic van Hove singularity at the band centre is cut off at 1e-6 t (a slab
    # with an odd number of layers has a subband there at the cubic band centre)
    de = max(abs(energy - 4), 1e-6)
    m = 1 - de**2 / 16
    return float(special.ellipk(m) / (2 * np.pi**2))


def _states_sheet(energy: float) -> float:
    if energy <= 0:
        return 0.0
    if energy >= 8:
        return 1.0

    def f(kx):
        return np.arccos(np.clip(_c(kx, energy), -1, 1))

    return _quad(f, energy) / np.pi**2


def _transport_sheet(energy: float) -> float:
    if energy <= 0 or energy >= 8:
        return 0.0

    def f(kx):
        c = np.clip(_c(kx, energy), -1, 1)
        return np.sqrt(1 - c * c)

    return 2 * _quad(f, energy) / np.pi**2


def dos(energy: float, layers: int = 1, t_z: float = 1.0) -> float:
    """Density of states per site and spin [1/t] at ``energy`` [t above the band bottom].

    ``t_z``: interlayer hopping [t] of a slab (module docstring).
    """
    return float(np.mean([_dos_sheet(energy - e) for e in _slab_shifts(layers, t_z)]))


def states(energy: float, layers: int = 1, t_z: float = 1.0) -> float:
    """Number of states per site and spin below ``energy`` [t above the band bottom]."""
    return float(np.mean([_states_sheet(energy - e) for e in _slab_shifts(layers, t_z)]))


def transport_weight(energy: float, layers: int = 1, t_z: float = 1.0) -> float:
    """Sigma(E) = <delta(E - eps) v_y^2> per site and spin [t a^2/hbar^2], in-plane."""
    return float(np.mean([_transport_sheet(energy - e) for e in _slab_shifts(layers, t_z)]))


def _slab_shifts(layers: int, t_z: float = 1.0) -> np.ndarray:
    if layers == 1:
        return np.zeros(1)
    # Bulk band bottom is at 0; a slab's subbands sit at t_z eps_m above it.
    return t_z * subbands(layers)


def born_tau(energy: float, disorder: float, layers: int = 1, t_z: float = 1.0) -> float:
    """Born elastic scattering time [hbar/t] for box disorder of width ``disorder`` [t].

    hbar / tau = 2 pi nu(E) <V^2>, <V^2> = disorder^2 / 12, nu per site per spin.
    """
    if disorder <= 0:
        return math.inf
    return 1.0 / (2 * np.pi * dos(energy, layers, t_z) * disorder**2 / 12)


def channel_thresholds(width: int, layers: int = 1, t_z: float = 1.0) -> np.ndarray:
    """Sorted transverse energies [t] at which lead channels open (and, +4t, close)."""
    tr = subbands(width)
    if layers > 1:
        tr = (tr[:, None] + t_z * subbands(layers)[None, :]).ravel()
    return np.sort(tr)


def open_channels(energy: float, width: int, layers: int = 1, t_z: float = 1.0) -> int:
    """Propagating channels per spin of a clean hard-wall lead of ``width`` x ``layers`` sites.

    A transverse mode with energy e_n carries current when 0 < E - e_n < 4t
    (the longitudinal band 2 (1 - cos k) spans [0, 4t]).
    """
    tr = channel_thresholds(width, layers, t_z)
    x = energy - tr
    return int(np.count_nonzero((x > 0) & (x < 4)))


def energy_from_states(n_per_site: float, layers: int = 1, t_z: float = 1.0) -> float:
    """Invert :func:`states`: the energy [t] below which there are ``n_per_site`` states."""
    if not 0 < n_per_site < 1:
        raise ValueError(f"states per site and spin must be in (0, 1), got {n_per_site}")
    top = 8.0 + (0 if layers == 1 else 4.0 * t_z)
    return optimize.brentq(lambda e: states(e, layers, t_z) - n_per_site, 0.0, top, xtol=1e-13)


def fermi_wavevector(energy: float, layers: int = 1, t_z: float = 1.0) -> float:
    """Fermi wavevector [1/a] of the lowest subband: the radius of a circle of equal area."""
    shift = 0.0 if layers == 1 else t_z * subbands(layers)[0]
    return math.sqrt(4 * np.pi * states(energy - shift, 1))
