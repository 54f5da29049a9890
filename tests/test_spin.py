"""Spinful devices: Zeeman, Rashba and Dresselhaus couplings.

Exact identities of one scattering problem, tested to 1e-10 (round-off):
the vectorized Hamiltonian equals Kwant's, the lattice Bloch Hamiltonian
equals its closed form (which pins the signs and lambda = alpha / 2a),
a spinful device without couplings conducts exactly twice the spinless one
(with and without Buttiker probes), Zeeman splitting alone gives the sum of
two shifted spinless conductances, and with spin-orbit coupling time
reversal gives Kramers-degenerate transmission eigenvalues at zero field and
G(B) = G(-B).
"""

import json
import math
import warnings

import kwant
import numpy as np
import pytest
from scipy import constants as sc

import devices
import transport
from devices import Spin, Units
from devices.spin import (
    MU_B_MEV_PER_T,
    SIGMA,
    b_so_from_spin_relaxation,
    dyakonov_perel_lattice_b_so,
    elliott_yafet_spin_relaxation,
    out_of_plane_spin_relaxation,
    so_disorder_blocks,
    spin_orbit_matrix,
)
from transport.solver import Solver

E = 1.03  # [t]
SO = Spin(g_factor=2.0, rashba=0.3, dresselhaus=0.1)  # lattice units: meV nm = t a
EY = Spin(g_factor=2.0, rashba=0.1, so_disorder=0.8)  # with spin-orbit disorder [t]


@pytest.mark.parametrize(
    "make",
    [
        lambda: devices.film(6, 5, spin=SO),
        lambda: devices.film(4, 5, thickness=2, spin=Spin(g_factor=-0.4, rashba=0.2)),
        lambda: devices.ring(3, 6, spin=SO),
        lambda: devices.film(6, 5, spin=EY),
        lambda: devices.film(4, 5, thickness=2, spin=EY),
        lambda: devices.ring(3, 6, spin=EY),
    ],
    ids=["film", "slab", "ring", "film-so-disorder", "slab-so-disorder", "ring-so-disorder"],
)
def test_spin_hamiltonian_equals_kwant(make):
    dev = make()
    kw = dict(b_perp=300.0, disorder=1.0, seed=3)
    if dev.kind == "ring":
        kw["flux_tube"] = 0.3
    else:
        kw.update(b_par=200.0, tau_phi=5.0)
    p = dev.params(**kw)
    ref = dev.system.hamiltonian_submatrix(params=p, sparse=True).toarray()
    h = dev.hamiltonian(p).toarray()
    assert h.shape == (2 * len(dev.tags),) * 2
    np.testing.assert_allclose(h, ref, rtol=0, atol=1e-13)


def test_bloch_hamiltonian_is_the_closed_form():
    """H(k) = sum_d H[r + d, r] e^{-i k.d} at an interior site equals
    2t(2 - cos kx - cos ky) + 2 lam_R (sx sin ky - sy sin kx) + 2 lam_D (sx sin kx - sy sin ky),
    with lam = alpha / (2 a t): its small-k limit is alpha_R (sx ky - sy kx) + beta (sx kx - sy ky).
    """
    spin = Spin(rashba=0.24, dresselhaus=0.1)
    dev = devices.film(5, 5, spin=spin)
    h = dev.hamiltonian(dev.params()).toarray()
    tags = dev.tags
    idx = {tuple(t): i for i, t in enumerate(tags)}
    r = idx[(2, 2)]
    lam_r, lam_d = 0.12, 0.05
    s0, sx, sy, _ = SIGMA
    for k in [(0.3, -0.7), (1.1, 0.4), (-2.0, 2.5)]:
        hk = np.zeros((2, 2), complex)
        for d in [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]:
            j = idx[(2 + d[0], 2 + d[1])]
            hk += h[2 * j : 2 * j + 2, 2 * r : 2 * r + 2] * np.exp(-1j * np.dot(k, d))
        kx, ky = k
        want = (2 * (2 - math.cos(kx) - math.cos(ky)) * s0
                + 2 * lam_r * (sx * math.sin(ky) - sy * math.sin(kx))
                + 2 * lam_d * (sx * math.sin(kx) - sy * math.sin(ky)))  # fmt: skip
        np.testing.assert_allclose(hk, want, atol=1e-13)


def _g(dev, energy, **kw):
    return Solver(dev).transmission(energy, [dev.params(**kw)])[0]


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"b_perp": 2e-3, "disorder": 2.0, "seed": 4},
        {
            "b_perp": 1e-3,
            "disorder": 2.0,
            "seed": 4,
            "tau_phi": 30.0,
            "dephasing": "probes",
            "probe_density": 0.1,
        },
        {"b_perp": 1e-3, "disorder": 2.0, "seed": 5, "tau_phi": 30.0},
    ],
    ids=["clean", "disordered_field", "probes", "absorbing"],
)
def test_spin_degenerate_device_conducts_twice_the_spinless_one(kw):
    g0 = _g(devices.film(16, 18), E, **kw)
    g2 = _g(devices.film(16, 18, spin=True), E, **kw)
    assert g2 == pytest.approx(2 * g0, rel=1e-11)


def test_spin_degenerate_ring_conducts_twice_the_spinless_one():
    kw = dict(b_perp=1e-3, flux_tube=0.2, disorder=1.0, seed=2)
    g0 = _g(devices.ring(4, 9), E, **kw)
    assert _g(devices.ring(4, 9, spin=True), E, **kw) == pytest.approx(2 * g0, rel=1e-11)


def test_zeeman_alone_shifts_the_two_spins():
    """Field everywhere, no spin-orbit: G = G_0(E - E_Z/2) + G_0(E + E_Z/2), E_Z = g mu_B B."""
    u = Units(5.0, 10.0)
    g_factor, b = 50.0, 0.3  # a large g makes the split visible at a field this small
    spin = devices.film(80, 90, units=u, field_in_leads=True, spin=Spin(g_factor=g_factor))
    plain = devices.film(80, 90, units=u, field_in_leads=True)
    half = g_factor * MU_B_MEV_PER_T * b / 2  # [meV]
    assert half / u.t_meV > 0.02
    e = u.to_meV(E)
    kw = dict(b_perp=b, disorder=20.0, seed=1)
    g_up = _g(plain, plain.energy(e - half), **kw)
    g_down = _g(plain, plain.energy(e + half), **kw)
    assert _g(spin, spin.energy(e), **kw) == pytest.approx(g_up + g_down, rel=1e-10)
    # and the Zeeman factor: at half the field the split halves
    half2 = half / 2
    ref = _g(plain, plain.energy(e - half2), b_perp=b / 2, disorder=20.0, seed=1) + _g(
        plain, plain.energy(e + half2), b_perp=b / 2, disorder=20.0, seed=1
    )
    assert _g(spin, spin.energy(e), b_perp=b / 2, disorder=20.0, seed=1) == pytest.approx(
        ref, rel=1e-10
    )


def test_in_plane_field_on_a_single_layer_acts_through_zeeman_only():
    """No orbital response, with dephasing probes too: G(B_par) = G_0(E - E_Z/2) + G_0(E + E_Z/2)."""
    u = Units(5.0, 10.0)
    g_factor, b = 50.0, 0.3
    spin = devices.film(30, 30, units=u, field_in_leads=True, spin=Spin(g_factor=g_factor))
    plain = devices.film(30, 30, units=u, field_in_leads=True)
    half = g_factor * MU_B_MEV_PER_T * b / 2  # [meV]
    e = u.to_meV(E)
    for kw in (dict(disorder=20.0, seed=1),
               dict(disorder=20.0, seed=1, tau_phi=2.0, dephasing="probes", probe_density=0.1)):  # fmt: skip
        want = _g(plain, plain.energy(e - half), **kw) + _g(plain, plain.energy(e + half), **kw)
        assert _g(spin, spin.energy(e), b_par=b, **kw) == pytest.approx(want, rel=1e-10)


def test_spin_orbit_conductance_equals_kwant_smatrix():
    dev = devices.film(12, 14, spin=SO)
    p = dev.params(b_perp=5e-3, disorder=2.0, seed=1)
    ref = kwant.smatrix(dev.system, E, params=p).transmission(1, 0)
    assert _g(dev, E, b_perp=5e-3, disorder=2.0, seed=1) == pytest.approx(ref, rel=1e-11)


def test_time_reversal_with_spin_orbit():
    """Kramers pairs of transmission eigenvalues at B = 0; Onsager G(B) = G(-B)."""
    dev = devices.film(12, 14, spin=Spin(rashba=0.3, dresselhaus=0.1))
    p = dev.params(disorder=2.0, seed=1)
    t = kwant.smatrix(dev.system, E, params=p).submatrix(1, 0)
    tau = np.sort(np.linalg.eigvalsh(t.conj().T @ t))
    assert len(tau) % 2 == 0 and np.max(tau) > 0.1
    np.testing.assert_allclose(tau[::2], tau[1::2], atol=1e-10)
    # a Zeeman term breaks time reversal in spin space: the pairs split
    dev_z = devices.film(12, 14, field_in_leads=True, spin=Spin(g_factor=2.0, rashba=0.3))
    pz = dev_z.params(b_perp=4.0, disorder=2.0, seed=1)  # phi = 1e-3, E_Z / 2 = 0.24 t
    tz = kwant.smatrix(dev_z.system, E, params=pz).submatrix(1, 0)
    tau_z = np.sort(np.linalg.eigvalsh(tz.conj().T @ tz))
    assert np.max(np.abs(tau_z[::2] - tau_z[1::2])) > 1e-4
    g_plus = _g(dev, E, b_perp=5e-3, disorder=2.0, seed=1)
    assert _g(dev, E, b_perp=-5e-3, disorder=2.0, seed=1) == pytest.approx(g_plus, rel=1e-11)


def test_spin_orbit_disorder_is_a_random_time_reversal_symmetric_hop():
    """i s w . sigma: the hop from the lower tag to the higher has s = +1, the way back is its
    Hermitian conjugate, w is a box of the stated width (mean 0, variance W^2/12 within 5
    standard errors) drawn per bond and seed; Kramers pairs at B = 0; G(B) = G(-B)."""
    rng = np.random.default_rng(0)
    a = rng.integers(-50, 50, size=(20000, 2))
    b = a + np.array([[1, 0]])
    up, down = so_disorder_blocks(b, a, 7, 2.0), so_disorder_blocks(a, b, 7, 2.0)
    np.testing.assert_allclose(down, np.conj(np.swapaxes(up, 1, 2)), atol=0)
    w = np.stack([np.real(-1j * np.einsum("nij,ji->n", up, SIGMA[k])) / 2 for k in (1, 2, 3)], -1)
    # the bonds repeat (a random sample of sites on a 100 x 100 patch): take each bond once
    _, first = np.unique(a, axis=0, return_index=True)
    w = w[first]
    assert np.all(np.abs(w) <= 1.0) and np.abs(w.mean(0)).max() < 5 * math.sqrt(1 / 3 / len(w))
    var_se = math.sqrt((1 / 5 - 1 / 9) / len(w))  # box of half-width 1: m4 = 1/5, m2 = 1/3
    np.testing.assert_allclose(w.var(0), 1 / 3, atol=5 * var_se)
    assert not np.allclose(so_disorder_blocks(b, a, 8, 2.0), up)  # another seed, another draw
    # time reversal i sigma_y K leaves the hop unchanged
    np.testing.assert_allclose(SIGMA[2] @ np.conj(up) @ SIGMA[2], up, atol=1e-15)
    dev = devices.film(12, 14, spin=Spin(so_disorder=1.5))
    p = dev.params(disorder=2.0, seed=1)
    h = dev.hamiltonian(p).toarray()
    np.testing.assert_allclose(h, h.conj().T, atol=0)
    t = kwant.smatrix(dev.system, E, params=p).submatrix(1, 0)
    tau = np.sort(np.linalg.eigvalsh(t.conj().T @ t))
    assert np.max(tau) > 0.1
    np.testing.assert_allclose(tau[::2], tau[1::2], atol=1e-10)
    g_plus = _g(dev, E, b_perp=5e-3, disorder=2.0, seed=1)
    assert _g(dev, E, b_perp=-5e-3, disorder=2.0, seed=1) == pytest.approx(g_plus, rel=1e-11)
    # spin-orbit disorder alone changes G, and does not touch the leads
    assert abs(g_plus - _g(devices.film(12, 14, spin=True), E, b_perp=5e-3, disorder=2.0,
                           seed=1)) > 1e-3  # fmt: skip


def _fermi_line(f, energy):
    """integral d^2k/(2 pi)^2 delta(E - eps(k)) f(kx, ky) on the square lattice, by quadrature:
    for each kx, ky = +- arccos(c0 - cos kx) with weight 1 / (2 |sin ky|)."""
    from scipy import integrate

    c0 = (4 - energy) / 2  # cos kx + cos ky on the Fermi line

    def g(kx):
        c = c0 - math.cos(kx)
        if abs(c) >= 1:
            return 0.0
        ky = math.acos(c)
        return (f(kx, ky) + f(kx, -ky)) / (2 * math.sin(ky))

    lim = math.acos(c0 - 1) if c0 - 1 > -1 else math.pi
    return (
        integrate.quad(g, -lim, lim, limit=400, epsabs=1e-13, epsrel=1e-11)[0] / (2 * math.pi) ** 2
    )


def test_elliott_yafet_rate_is_the_golden_rule_on_the_fermi_line():
    """hbar/tau_s = 4 x 2 pi (W^2/12) x the Fermi-line integral of sum_d 4 sin^2((k_d + k'_d)/2),
    at two k on the line (the closed form says every k gives the same), by quadrature to 1e-8;
    B_so = (3/4) hbar / (4 e D tau_s)."""
    width = 0.7
    for energy in (0.4, 1.03, 2.5, 3.7):
        assert _fermi_line(lambda qx, qy: 1.0, energy) == pytest.approx(devices.bands.dos(energy),
                                                                        rel=1e-8)  # fmt: skip
        c0 = (4 - energy) / 2
        for kx in (0.0, 0.3 * math.acos(max(c0 - 1, -1.0))):
            ky = math.acos(c0 - math.cos(kx))

            def element(qx, qy, kx=kx, ky=ky):
                return 4 * math.sin((kx + qx) / 2) ** 2 + 4 * math.sin((ky + qy) / 2) ** 2

            gamma_a = 2 * math.pi * width**2 / 12 * _fermi_line(element, energy)
            rate = elliott_yafet_spin_relaxation(width, energy)
            assert rate == pytest.approx(4 * gamma_a, rel=1e-8)
    with pytest.raises(ValueError, match="outside the band"):
        elliott_yafet_spin_relaxation(1.0, 8.5)
    d, tau_s = 0.01, 3.0  # [m^2/s], [ps]
    want = sc.hbar / (4 * sc.e * d * tau_s * 1e-12) * 3 / 4
    assert b_so_from_spin_relaxation(tau_s, d) == pytest.approx(want, rel=1e-14)


def test_in_plane_field_on_a_single_layer_needs_zeeman():
    with pytest.raises(ValueError, match="give it a spin with a g factor"):
        devices.film(10, 10).params(b_par=1.0)
    with pytest.raises(ValueError, match="give it a spin with a g factor"):
        devices.film(10, 10, spin=Spin(rashba=0.1)).params(b_par=1.0)
    p = devices.film(10, 10, spin=Spin(g_factor=2.0)).params(b_par=1.0)
    assert p["phi_par"] > 0


def test_spin_options_on_a_spinless_device_are_refused():
    with pytest.raises(ValueError, match="rashba_meV_nm need a spinful device.*spin = true"):
        devices.build("film", width_nm=10, length_nm=10, rashba_meV_nm=5.0)
    with pytest.raises(ValueError, match="g_factor, dresselhaus_meV_nm need a spinful"):
        devices.build("film", width_nm=10, length_nm=10, g_factor=2, dresselhaus_meV_nm=1.0)
    dev = devices.build("film", width_nm=10, length_nm=10, spin=True, rashba_meV_nm=0.2)
    assert dev.spin == Spin(rashba=0.2) and dev.norbs == 2 and dev.g_s == 2
    with pytest.raises(ValueError, match="finite"):
        Spin(rashba=float("nan"))
    with pytest.raises(ValueError, match="so_disorder_meV need a spinful"):
        devices.build("film", width_nm=10, length_nm=10, so_disorder_meV=1.0)
    with pytest.raises(ValueError, match="box width"):
        Spin(so_disorder=-1.0)
    with pytest.raises(TypeError, match="devices.Spin"):
        devices.film(5, 5, spin="rashba")
    with pytest.raises(ValueError, match="spinless film or wire.*method='sparse'"):
        Solver(devices.film(5, 5, spin=True), method="rgf")


def test_spin_spec_round_trip():
    dev = devices.film(40, 45, thickness=2, units=Units(5.0, 20.0), spin=SO)
    again = devices.from_spec(dev.spec())
    assert again.spin == SO and again.spec() == dev.spec()
    assert "spin" not in devices.film(8, 9).spec()  # spinless specs are unchanged
    assert "alpha_R = 0.3 meV nm" in dev.describe()
    ey = devices.film(10, 12, spin=EY)
    assert (
        devices.from_spec(ey.spec()).spin == EY and "spin-orbit disorder 0.8 meV" in ey.describe()
    )


def _kinetic_decay(w, component, dt, n=64):
    """The late decay rate [1/tau] of spin component 0 (x) or 2 (z) in the Rashba kinetic equation
    ds_k/dt = Omega(k) x s_k - (s_k - <s>) / tau on n directions (tau = 1, Omega tau = w), started
    along that component and integrated by RK4 over 3000 steps dt; fitted over the last 1000."""
    phi = 2 * np.pi * (np.arange(n) + 0.5) / n
    om = w * np.stack([np.sin(phi), -np.cos(phi), np.zeros(n)], axis=1)
    s = np.zeros((n, 3))
    s[:, component] = 1.0

    def rhs(s):
        return np.cross(om, s) - (s - s.mean(0))

    trace = []
    for _ in range(3000):
        k1 = rhs(s)
        k2 = rhs(s + dt / 2 * k1)
        k3 = rhs(s + dt / 2 * k2)
        k4 = rhs(s + dt * k3)
        s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        trace.append(s[:, component].mean())
    return -np.log(trace[2999] / trace[1999]) / (1000 * dt)


def test_lattice_dyakonov_perel_b_so_is_the_fermi_line_rate_matrix():
    """B_so = (hbar/4e)(alpha^2 + beta^2)/(t a^2)^2 from the rate matrix tau(<Omega^2> - <Omega Omega>)
    with Omega read off the lattice Bloch Hamiltonian (built from the hoppings) and D = <v_x^2> tau
    on the same Fermi line, at three energies, by quadrature to 1e-8."""
    units = Units(a_nm=2.0, t_meV=3.0)
    alpha, beta = 0.7, 0.25  # [meV nm]
    lam_r, lam_d = alpha / (2 * units.a_nm * units.t_meV), beta / (2 * units.a_nm * units.t_meV)
    steps = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
    hops = spin_orbit_matrix(steps, lam_r, lam_d)

    def omega(kx, ky):  # hbar Omega_a = Tr[H_so(k) sigma_a] [t]
        h = np.einsum("d,dij->ij", np.exp(1j * (steps @ [kx, ky])), hops)
        return np.array([np.trace(h @ SIGMA[a]).real for a in (1, 2, 3)])

    tau = 7.0  # [hbar / t]: cancels
    for energy in (0.5, 1.03, 3.0):
        nu = _fermi_line(lambda qx, qy: 1.0, energy)
        mom = np.array([[_fermi_line(lambda qx, qy, i=i, j=j: omega(qx, qy)[i] * omega(qx, qy)[j],
                                     energy) / nu for j in range(3)] for i in range(3)])  # fmt: skip
        rates = tau * (np.trace(mom) * np.eye(3) - mom)  # [t / hbar]
        diff = (
            tau * _fermi_line(lambda qx, qy: 4 * math.sin(qx) ** 2, energy) / nu
        )  # [a^2 t / hbar]
        inv_tau_so = 0.75 * np.trace(rates) / 3
        b_so = 0.25 * inv_tau_so / diff * sc.hbar / (sc.e * (units.a_nm * 1e-9) ** 2)
        assert dyakonov_perel_lattice_b_so(alpha, beta, units) == pytest.approx(b_so, rel=1e-8)
        assert rates[2, 2] == pytest.approx(rates[0, 0] + rates[1, 1], rel=1e-8)
    # the continuum closed form, hbar / (4 e L_so^2) with L_so = t a^2 / alpha
    l_so = units.t_meV * (units.a_nm * 1e-9) ** 2 / (alpha * 1e-9)
    assert dyakonov_perel_lattice_b_so(alpha, 0.0, units) == pytest.approx(
        sc.hbar / (4 * sc.e * l_so**2), rel=1e-12
    )


def test_dyakonov_perel_kinetic_correction():
    """The finite-Omega tau B_so: (2 f_xx + f_zz) / (2 w^2) times the diffusive value, with
    w = sqrt(2 D tau) / L_so; -> 1 as w -> 0; refused with both couplings."""
    from devices.spin import in_plane_spin_relaxation

    units = Units(a_nm=1.0, t_meV=1.0)
    diffusive = dyakonov_perel_lattice_b_so(0.05, 0.0, units)
    for w in (1e-3, 0.3, 0.45):
        tau_ps = 0.5
        d = (w / 0.05e9) ** 2 / (2 * tau_ps * 1e-12)  # L_so = 20 nm
        got = dyakonov_perel_lattice_b_so(0.05, 0.0, units, d, tau_ps)
        f = (2 * in_plane_spin_relaxation(w) + out_of_plane_spin_relaxation(w)) / (2 * w * w)
        assert got == pytest.approx(diffusive * f, rel=1e-12)
        assert dyakonov_perel_lattice_b_so(0.0, 0.05, units, d, tau_ps) == pytest.approx(got)
    assert dyakonov_perel_lattice_b_so(0.05, 0.0, units, 1e-6, 1e-9) == pytest.approx(diffusive)
    with pytest.raises(ValueError, match="alone"):
        dyakonov_perel_lattice_b_so(0.05, 0.02, units, 0.01, 0.5)
    with pytest.raises(TypeError, match="both"):
        dyakonov_perel_lattice_b_so(0.05, 0.0, units, 0.01)


def test_out_of_plane_spin_relaxation_limits_and_kinetic_equation():
    """tau/tau_zz: (Omega tau)^2 for Omega tau << 1 (twice the in-plane rate), 1/2 above 1/2;
    at Omega tau = 0.3 the decay of s_z in a directly integrated kinetic equation."""
    assert out_of_plane_spin_relaxation(0.0) == 0.0
    assert out_of_plane_spin_relaxation(1e-3) == pytest.approx(1e-6, rel=1e-5)
    assert out_of_plane_spin_relaxation(0.3) == pytest.approx(0.1, rel=1e-12)  # u = 0.9 is a root
    assert out_of_plane_spin_relaxation(2.0) == 0.5
    w = 0.3
    assert _kinetic_decay(w, 2, dt=0.02) == pytest.approx(out_of_plane_spin_relaxation(w),
                                                          rel=1e-4)  # fmt: skip


def test_in_plane_spin_relaxation_limits_and_kinetic_equation():
    """tau/tau_xx: D'yakonov-Perel (Omega tau)^2 / 2 for Omega tau << 1, 1/2 for Omega tau >> 1;
    and at Omega tau = 1.2 the decay of a directly integrated kinetic equation."""
    from devices.spin import in_plane_spin_relaxation

    assert in_plane_spin_relaxation(0.0) == 0.0
    assert in_plane_spin_relaxation(1e-3) == pytest.approx(0.5e-6, rel=1e-5)
    assert in_plane_spin_relaxation(1e3) == pytest.approx(0.5, rel=1e-5)
    assert in_plane_spin_relaxation(1.2) == pytest.approx(0.4, rel=1e-12)  # u = 0.6 is a root
    w = 0.7
    assert _kinetic_decay(w, 0, dt=0.01) == pytest.approx(in_plane_spin_relaxation(w), rel=1e-4)


def test_spinful_sweep_counts_both_spins():
    dev = devices.film(10, 12, spin=Spin(rashba=0.2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        ds = transport.sweep(dev, b_perp=[0.0, 1e-3], energies=[E], seeds=2, disorder=2.0,
                             executor="serial", progress=False)  # fmt: skip
    assert ds.attrs["spin_degeneracy"] == 2
    assert ds["G"].attrs["spin"] == "both spins (spinful model)"
    g = _g(dev, E, b_perp=1e-3, disorder=2.0, seed=int(ds.realization[1]))
    assert float(ds["G"][1, 0, 0, 1]) == pytest.approx(g, rel=1e-12)


def test_sweep_takes_a_probe_layout():
    dev = devices.film(16, 16)
    kw = dict(b_perp=[0.0], energies=[E], seeds=1, disorder=2.0, tau_phi=30.0,
              dephasing="probes", executor="serial", progress=False)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        ds = transport.sweep(dev, probe_density=0.25, probe_layout="grid", **kw)
    exp = json.loads(ds.attrs["experiment"])
    assert exp["dephasing"]["probe_layout"] == "grid"
    p = dev.params(disorder=2.0, seed=int(ds.realization[0]), tau_phi=30.0, dephasing="probes",
                   probe_density=0.25, probe_layout="grid")  # fmt: skip
    assert float(ds.G[0, 0, 0, 0]) == pytest.approx(Solver(dev).transmission(E, [p])[0], rel=1e-12)
    with pytest.raises(TypeError, match="probe_layout applies to dephasing='probes'"):
        transport.sweep(dev, b_perp=[0.0], energies=[E], seeds=1, disorder=2.0,
                        probe_layout="grid", executor="serial")  # fmt: skip


def test_spin_conserving_probes_conserve_current_and_keep_onsager():
    """With spin-orbit coupling, the current out of L equals the current into R, and G(B) = G(-B)."""
    dev = devices.film(16, 18, spin=Spin(rashba=0.2, dresselhaus=0.05))
    kw = dict(disorder=2.0, seed=4, tau_phi=30.0, dephasing="probes", probe_density=0.1)
    s = Solver(dev)
    out = s.buttiker(E, dev.params(b_perp=1e-3, **kw), details=True)
    assert out["mu"].shape == (len(out["probes"]), 4)
    assert out["conductance_left"] == pytest.approx(out["conductance"], rel=1e-11)
    assert np.abs(out["mu"][:, 1:]).max() > 1e-6  # the probes do hold a spin accumulation
    back = s.buttiker(E, dev.params(b_perp=-1e-3, **kw))
    assert back == pytest.approx(out["conductance"], rel=1e-11)
