"""Physical constants used across cooperon, from :mod:`scipy.constants`, in SI units.

One module for every layer (``devices``, ``transport``, ``fits`` and the
command line), so that no constant is defined twice. It imports nothing
but SciPy: ``fits`` reads it without importing Kwant.
"""

from scipy import constants as _sc

#: Flux quantum h/e [Wb = T m^2] (the period of Aharonov-Bohm oscillations).
PHI0 = _sc.h / _sc.e
#: Conductance quantum e^2/h [S] (per spin).
G0 = _sc.e**2 / _sc.h
#: Resistance quantum h/e^2 [Ohm].
R0 = _sc.h / _sc.e**2
#: hbar/e [T m^2]: characteristic fields B_x = hbar/(4 e l_x^2).
HBAR_OVER_E = _sc.hbar / _sc.e
#: Reduced Planck constant [J s].
HBAR = _sc.hbar
#: Elementary charge [C].
E = _sc.e
#: Electron mass [kg].
M_E = _sc.m_e
#: Boltzmann constant [J/K].
K_B = _sc.k
#: Bohr magneton [meV/T]: the Zeeman splitting is g MU_B_MEV_PER_T B.
MU_B_MEV_PER_T = 1e3 * _sc.physical_constants["Bohr magneton in eV/T"][0]
#: e / (2 m_e) [rad s^-1 T^-1]: the Larmor frequency per tesla and per unit g, omega_Z = g LARMOR_PER_T B.
LARMOR_PER_T = _sc.e / (2 * _sc.m_e)

__all__ = [
    "G0",
    "HBAR",
    "HBAR_OVER_E",
    "K_B",
    "LARMOR_PER_T",
    "MU_B_MEV_PER_T",
    "M_E",
    "PHI0",
    "R0",
    "E",
]
