"""Units and the lattice band structure against closed forms and the reference sheet."""

import math

import numpy as np
import pytest
from scipy import constants as sc

from devices import Units, bands, film

# hbar^2 / (2 m_e) = 0.0380998 eV nm^2 (CODATA), an independent constant.
HBAR2_2ME_MEV_NM2 = 38.09982


def test_hopping_from_mass():
    u = Units.from_mass(5.0, 0.067)
    assert u.t_meV == pytest.approx(HBAR2_2ME_MEV_NM2 / 0.067 / 25.0, rel=1e-6)
    assert u.mass == pytest.approx(0.067, rel=1e-12)


def test_flux_per_plaquette():
    # phi = B a^2 / (h/e); h/e = 4.135667696e-15 Wb.
    u = Units(a_nm=1.0, t_meV=1.0)
    assert u.phi(1.0) == pytest.approx(1e-18 / 4.135667696e-15, rel=1e-9)
    assert u.tesla(u.phi(0.37)) == pytest.approx(0.37, rel=1e-14)


def test_time_and_diffusion_units():
    u = Units(a_nm=2.0, t_meV=10.0)
    assert u.time_ps == pytest.approx(sc.hbar / (10e-3 * sc.e) * 1e12, rel=1e-12)
    assert u.diffusion_m2s == pytest.approx((2e-9) ** 2 * 10e-3 * sc.e / sc.hbar, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_units_reject_nonpositive(bad):
    with pytest.raises(ValueError, match="a_nm > 0"):
        Units(a_nm=bad, t_meV=1.0)


# Reference sheet: nu(E) from the band centre, nu(-3t) = 0.0914, nu(-2t) = 0.1093,
# nu(-t) = 0.1419; band-edge value 1/(4 pi) = 0.0796 (per site, spin, t).
@pytest.mark.parametrize(("e", "nu"), [(1.0, 0.0914), (2.0, 0.1093), (3.0, 0.1419)])
def test_square_lattice_dos_reference(e, nu):
    assert bands.dos(e) == pytest.approx(nu, abs=6e-5)


def test_dos_band_edge_and_symmetry():
    assert bands.dos(1e-9) == pytest.approx(1 / (4 * np.pi), rel=1e-6)
    assert bands.dos(2.3) == pytest.approx(bands.dos(8 - 2.3), rel=1e-12)


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("e", [0.7, 1.9, 3.3])
def test_states_is_integral_of_dos(e, layers):
    h = 1e-5
    deriv = (bands.states(e + h, layers) - bands.states(e - h, layers)) / (2 * h)
    assert deriv == pytest.approx(bands.dos(e, layers), rel=1e-6)


def test_states_half_filling_and_full_band():
    assert bands.states(4.0) == pytest.approx(0.5, abs=1e-10)
    assert bands.states(8.0) == 1.0


def test_transport_weight_parabolic_limit():
    # Near the band bottom eps = k^2 (t = a = hbar = 1): nu = 1/(4 pi),
    # <v_y^2> = v^2/2 = 2E, so Sigma = nu <v_y^2> = E / (2 pi).
    e = 1e-4
    assert bands.transport_weight(e) == pytest.approx(e / (2 * np.pi), rel=1e-3)


def test_open_channels_closed_form():
    # Hard-wall strip of W sites: channel n open when 0 < E - 2(1 - cos(pi n/(W+1))) < 4.
    assert bands.open_channels(0.5, 40) == 9
    assert bands.open_channels(0.005, 40) == 0
    assert bands.open_channels(4.0, 1) == 1
    # Slab thresholds add: lowest is e_1(W) + e_1(Nz).
    w, nz = 10, 3
    first = bands.subbands(w)[0] + bands.subbands(nz)[0]
    assert bands.open_channels(first - 1e-6, w, nz) == 0
    assert bands.open_channels(first + 1e-6, w, nz) == 1


def test_drude_reference_example():
    # Reference sheet: W = 40, L = 100, E = 0.5 t, box width t, N = 9:
    # 1/(1/N + L/(sigma W)) with the lattice Born sigma = 2.93 (measured <G> = 2.94).
    rep = film(40, 100).regime(0.5, 1.0)
    assert rep.channels == 9
    assert rep.drude_conductance == pytest.approx(2.93, abs=0.015)


def test_fermi_energy_from_density_parabolic_limit():
    # 2D, spin-degenerate: n = m* E_F / (pi hbar^2).
    u = Units.from_mass(2.0, 0.067)
    dev = film(100, 100, units=u)
    n_cm2 = 1e11
    e_f = dev.fermi_energy(n_cm2)
    expected = np.pi * sc.hbar**2 * n_cm2 * 1e4 / (0.067 * sc.m_e) / sc.e * 1e3
    assert e_f == pytest.approx(expected, rel=2e-3)
    with pytest.raises(ValueError, match="carrier density must be > 0"):
        dev.fermi_energy(-1e11)
