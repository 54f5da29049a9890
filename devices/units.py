"""Units: lattice units inside, SI and lab units at the edges.

Inside cooperon every quantity is in lattice units: lengths in the lattice
constant ``a``, energies in the hopping ``t``, times in ``hbar/t``, magnetic
field as the flux per plaquette ``phi = B a^2 / (h/e)`` (in flux quanta h/e)
and conductance in e^2/h. :class:`Units` converts to and from nm, meV, ps,
T and m^2/s with `scipy.constants`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import constants as sc

from cooperon.constants import G0, PHI0

__all__ = ["G0", "PHI0", "Units"]


@dataclass(frozen=True)
class Units:
    """Lattice constant and hopping energy that tie lattice units to lab units.

    Parameters
    ----------
    a_nm : float
        Lattice constant [nm].
    t_meV : float
        Nearest-neighbour hopping energy t [meV].
    nominal : bool
        True for pure lattice units (:meth:`lattice`): a = 1 and t = 1 are
        placeholders, sizes given in "nm" are numbers of sites and energies
        in "meV" are multiples of t. Lab-unit outputs are then labelled
        nominal and the continuum checks (lattice constant against the Fermi
        wavelength) are skipped.
    """

    a_nm: float = 1.0
    t_meV: float = 1.0
    nominal: bool = False

    def __post_init__(self):
        for name in ("a_nm", "t_meV"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Units need {name} > 0, got {name}={value!r}")

    # -- constructors ------------------------------------------------------

    @classmethod
    def lattice(cls) -> Units:
        """Pure lattice units: a = 1, t = 1 (sizes in sites, energies in t)."""
        return cls(1.0, 1.0, nominal=True)

    @classmethod
    def from_mass(cls, a_nm: float, mass: float) -> Units:
        """Hopping from an effective mass: t = hbar^2 / (2 m* a^2).

        Parameters
        ----------
        a_nm : float
            Lattice constant [nm].
        mass : float
            Effective mass m*/m_e (e.g. 0.067 for GaAs).
        """
        if not (math.isfinite(mass) and mass > 0):
            raise ValueError(f"effective mass must be > 0 (in units of m_e), got {mass!r}")
        if not (math.isfinite(a_nm) and a_nm > 0):
            raise ValueError(f"Units need a_nm > 0, got a_nm={a_nm!r}")
        t_joule = sc.hbar**2 / (2 * mass * sc.m_e * (a_nm * 1e-9) ** 2)
        return cls(a_nm, t_joule / sc.e * 1e3)

    # -- conversions -------------------------------------------------------

    @property
    def a_m(self) -> float:
        """Lattice constant [m]."""
        return self.a_nm * 1e-9

    @property
    def t_J(self) -> float:
        """Hopping energy [J]."""
        return self.t_meV * 1e-3 * sc.e

    @property
    def time_ps(self) -> float:
        """The lattice unit of time, hbar/t [ps]."""
        return sc.hbar / self.t_J * 1e12

    @property
    def diffusion_m2s(self) -> float:
        """The lattice unit of diffusion constant, a^2 t / hbar [m^2/s]."""
        return self.a_m**2 * self.t_J / sc.hbar

    @property
    def mass(self) -> float:
        """Band-bottom effective mass m*/m_e of the lattice, hbar^2/(2 t a^2)."""
        return sc.hbar**2 / (2 * self.t_J * self.a_m**2) / sc.m_e

    def phi(self, b_tesla: float) -> float:
        """Flux per plaquette [h/e] of a field ``b_tesla`` [T]: B a^2 / (h/e)."""
        return b_tesla * self.a_m**2 / PHI0

    def tesla(self, phi: float) -> float:
        """Field [T] that puts flux ``phi`` [h/e] through one plaquette."""
        return phi * PHI0 / self.a_m**2

    def to_t(self, energy_meV: float) -> float:
        """Energy [meV] to lattice units [t]."""
        return energy_meV / self.t_meV

    def to_meV(self, energy_t: float) -> float:
        """Energy in lattice units [t] to [meV]."""
        return energy_t * self.t_meV

    def to_sites(self, length_nm: float) -> float:
        """Length [nm] to lattice units [a] (not rounded)."""
        return length_nm / self.a_nm

    def to_nm(self, length_sites: float) -> float:
        """Length in lattice units [a] to [nm]."""
        return length_sites * self.a_nm

    def to_dict(self) -> dict:
        return {"a_nm": self.a_nm, "t_meV": self.t_meV, "nominal": self.nominal}
