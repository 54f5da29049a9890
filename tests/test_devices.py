"""Device builders: exact identities of the scattering problem and the field convention.

Tolerances: identities of a single scattering matrix (unitarity, Onsager,
gauge invariance, flux periodicity, integer channel counts) hold to
round-off, so they are tested to 1e-10 or better.
"""

import json
import math
import pickle
import subprocess
import sys

import kwant
import numpy as np
import pytest
from scipy import stats

import devices
from devices import Units, bands, film, from_spec, ring, wire
from devices.regime import (
    LONG_PROBE_SAMPLE,
    PROBE_LPHI_OVER_L,
    BallisticWarning,
    FieldRangeWarning,
    InPlaneWarning,
    LocalizedWarning,
    ProbeNetworkWarning,
    SlabDephasingWarning,
    StrongDisorderWarning,
)


def conductance(dev, energy, **kw):
    """Two-terminal transmission [e^2/h per spin] with plain kwant.smatrix."""
    smat = kwant.smatrix(dev.system, dev.energy(energy), params=dev.params(**kw))
    return smat.transmission(1, 0)


# -- clean limits --------------------------------------------------------------


@pytest.mark.parametrize(("width", "layers", "t_z"), [(12, 1, 1.0), (5, 3, 1.0), (5, 3, 0.3)])
def test_clean_wire_conducts_integer_channels(width, layers, t_z):
    # Ballistic wire: G = N(E), the number of open lead subbands, at every energy
    # (also for weakly coupled layers: subbands 2 t_z (1 - cos(pi m/(N_z + 1)))).
    dev = wire(width, 3 * width, layers, field_in_leads=False, interlayer=t_z)
    thresholds = bands.channel_thresholds(width, layers, t_z)
    edges = np.sort(np.concatenate([thresholds, thresholds + 4]))
    mids = 0.5 * (edges[:-1] + edges[1:])
    mids = mids[mids > thresholds[0]][:12]
    for e in mids:
        n = bands.open_channels(e, width, layers, t_z)
        g = conductance(dev, e)
        assert abs(g - n) < 1e-9, (e, g, n)
        # the closed-form count is also Kwant's count of propagating lead modes
        modes = dev.system.leads[0].modes(energy=e, params=dev.params())[0]
        assert modes.velocities.size // 2 == n


def test_scattering_matrix_is_unitary():
    for dev, kw in [
        (film(10, 14), dict(b_perp=0, phi_perp=0.03)),
        (film(6, 8, 3), dict(phi_perp=0.02, phi_par=0.05)),
        (ring(6, 10), dict(phi_perp=0.01, flux_tube=0.3)),
    ]:
        kw.pop("b_perp", None)
        s = kwant.smatrix(dev.system, 1.2, params=dev.params(disorder=2.0, seed=3, **kw)).data
        assert np.abs(s @ s.conj().T - np.eye(len(s))).max() < 1e-10


@pytest.mark.parametrize(
    ("dev", "field"),
    [
        (film(10, 14), dict(phi_perp=0.031)),
        (film(10, 14, field_in_leads=True), dict(phi_perp=0.031)),
        (film(6, 8, 3), dict(phi_perp=0.02, phi_par=0.04)),
        (ring(6, 10), dict(phi_perp=0.01)),
        (ring(6, 10), dict(flux_tube=0.21)),
    ],
)
def test_onsager_two_terminal(dev, field):
    # Two-terminal conductance of a Hermitian system is even in B, per realization.
    for seed in range(3):
        plus = conductance(dev, 1.1, disorder=2.0, seed=seed, **field)
        minus = conductance(dev, 1.1, disorder=2.0, seed=seed, **{k: -v for k, v in field.items()})
        assert abs(plus - minus) < 1e-10
    assert abs(plus - conductance(dev, 1.1, disorder=2.0, seed=seed)) > 1e-4  # field acts


# -- field convention ---------------------------------------------------------


def plaquette_phase(dev, params, corner, axes=(0, 1)):
    """Phase of the counterclockwise loop of hoppings around one plaquette."""
    h = dev.hamiltonian(params).toarray()
    index = {tuple(t): i for i, t in enumerate(dev.tags)}
    corner = np.array(corner)
    e1, e2 = np.eye(len(corner), dtype=int)[list(axes)]
    loop = [corner, corner + e1, corner + e1 + e2, corner + e2, corner]
    ids = [index[tuple(p)] for p in loop]
    prod = np.prod([h[ids[k + 1], ids[k]] for k in range(4)])  # H[to, from]
    return np.angle(prod)


@pytest.mark.parametrize("corner", [(0, 0), (3, 5), (7, 2)])
def test_one_plaquette_phase_is_2pi_phi(corner):
    dev = film(9, 9)
    phi = 0.0123
    assert plaquette_phase(dev, dev.params(phi_perp=phi), corner) == pytest.approx(
        2 * np.pi * phi, abs=1e-12
    )
    # In tesla: phi = B a^2 / (h/e).
    u = Units(a_nm=4.0, t_meV=10.0)
    dev = film(36, 36, units=u)
    b = 0.5
    expected = 2 * np.pi * b * (4e-9) ** 2 / devices.PHI0
    assert plaquette_phase(dev, dev.params(b_perp=b), corner) == pytest.approx(expected, abs=1e-12)


def test_parallel_field_plaquette_phase():
    # B_par along +y: the loop x -> z (normal +y, since z_hat x x_hat = y_hat) picks up
    # 2 pi phi_par; the x-y plaquettes see only the perpendicular field.
    dev = film(4, 5, 3)
    p = dev.params(phi_par=0.017)
    assert plaquette_phase(dev, p, (1, 1, 0), axes=(2, 0)) == pytest.approx(
        2 * np.pi * 0.017, abs=1e-12
    )
    assert plaquette_phase(dev, p, (1, 1, 0), axes=(0, 1)) == pytest.approx(0, abs=1e-12)
    # a perpendicular field threads every layer of a slab alike, and no vertical plaquette
    p = dev.params(phi_perp=0.011)
    for z in range(3):
        assert plaquette_phase(dev, p, (1, 1, z), axes=(0, 1)) == pytest.approx(
            2 * np.pi * 0.011, abs=1e-12
        )
    for axes in ((2, 0), (1, 2)):
        assert plaquette_phase(dev, p, (1, 1, 0), axes=axes) == pytest.approx(0, abs=1e-12)


def test_kwant_magnetic_gauge_convention():
    # Trap (reference sheet): kwant.physics.magnetic_gauge takes B such that a unit
    # plaquette gets phase -pi B (its sign convention is opposite to ours). Pinned here
    # so that devices.kwant_field converts correctly.
    dev = film(3, 3)
    peierls, _, _ = kwant.physics.magnetic_gauge(dev.system)(devices.kwant_field(0.05), 0, 0)
    s = {tuple(x.tag): x for x in dev.system.sites}
    a, b, c, d = (s[t] for t in [(0, 0), (1, 0), (1, 1), (0, 1)])
    loop = peierls(b, a) * peierls(c, b) * peierls(d, c) * peierls(a, d)
    assert np.angle(loop) == pytest.approx(2 * np.pi * 0.05, abs=1e-12)


def _film_with_kwant_gauge(width, length, phi):
    """The same disordered film, its field fixed by Kwant's own gauge algorithm."""
    lat = kwant.lattice.square(1, norbs=1)

    def onsite(site, disorder, seed):
        return 4 + devices.disorder.box(site.tag, seed, disorder)[0]

    def hopping(a, b, peierls):
        return -peierls(a, b)

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[lat.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(width))] = 4
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    fsyst = syst.finalized()

    def field(pos):  # uniform between the first and last column, zero at the interfaces
        return devices.kwant_field(phi) if 0 < pos[0] < length - 1 else 0.0

    gauge = kwant.physics.magnetic_gauge(fsyst)
    peierls, _, _ = gauge(field, 0, 0, average=True)
    return fsyst, peierls


def test_two_gauges_give_the_same_conductance():
    width, length, phi = 8, 12, 0.027
    dev = film(width, length)
    fsyst, peierls = _film_with_kwant_gauge(width, length, phi)
    for seed in range(2):
        ours = conductance(dev, 0.9, phi_perp=phi, disorder=2.0, seed=seed)
        theirs = kwant.smatrix(
            fsyst, 0.9, params=dict(disorder=2.0, seed=seed, peierls=peierls)
        ).transmission(1, 0)
        assert abs(ours - theirs) < 1e-10


def test_edge_chirality():
    # Quantum Hall regime (l_m = 2.3 a << W = 24 a): with b_perp > 0 the states injected
    # from the left lead drift along the bottom edge (y = 0), with b_perp < 0 along the top.
    dev = film(24, 16, field_in_leads=True)
    y = dev.positions[:, 1]
    middle = np.abs(dev.positions[:, 0] - 8) < 2
    for sign, bottom_expected in [(1, True), (-1, False)]:
        psi = kwant.wave_function(dev.system, 0.4, params=dev.params(phi_perp=sign * 0.03))(0)
        density = (np.abs(psi) ** 2).sum(axis=0)
        bottom = density[middle & (y < 6)].sum()
        top = density[middle & (y > 17)].sum()
        assert (bottom > 20 * top) if bottom_expected else (top > 20 * bottom)


# -- rings ------------------------------------------------------------------------


def test_ring_flux_tube_period_is_h_over_e():
    dev = ring(8, 13)
    for phi_tube in [0.0, 0.13, 0.41]:
        g0 = conductance(dev, 0.8, disorder=1.0, seed=2, flux_tube=phi_tube)
        g1 = conductance(dev, 0.8, disorder=1.0, seed=2, flux_tube=phi_tube + 1)
        g2 = conductance(dev, 0.8, disorder=1.0, seed=2, flux_tube=phi_tube - 2)
        assert abs(g0 - g1) < 1e-10 and abs(g0 - g2) < 1e-10
    # ... and it does modulate the conductance
    gs = [conductance(dev, 0.8, disorder=1.0, seed=2, flux_tube=f) for f in (0, 0.25, 0.5)]
    assert np.ptp(gs) > 1e-2


def test_ring_uniform_field_ab_period():
    # AB period in a uniform field: delta phi = 1/(pi r^2) per plaquette, r between the
    # inner and outer radius (the ring-width spread). Narrow clean arms, one channel.
    r_in, r_out = 14, 17
    dev = ring(r_in, r_out)
    period = 1 / (np.pi * ((r_in + r_out) / 2) ** 2)
    phis = np.linspace(0, 12 * period, 360)
    g = np.array([conductance(dev, 0.8, phi_perp=p) for p in phis])
    g = g - np.polyval(np.polyfit(phis, g, 3), phis)
    freqs = np.fft.rfftfreq(16 * len(g), d=phis[1] - phis[0])
    spec = np.abs(np.fft.rfft(g * np.hanning(len(g)), n=16 * len(g)))
    window = (freqs > 0.5 / period) & (freqs < 1.5 / period)
    f_peak = freqs[window][np.argmax(spec[window])]
    r_eff = np.sqrt(f_peak / np.pi)
    assert r_in <= r_eff <= r_out


# -- parallel field ---------------------------------------------------------------


def test_parallel_field_needs_layers():
    kw = dict(disorder=2.0, seed=1)
    # a single layer has no orbital response to an in-plane field: asking for one is an error
    # (test_in_plane_field_on_a_single_layer_is_an_error); a slab of 3 layers responds
    slab = film(8, 12, 3)
    assert abs(conductance(slab, 1.2, phi_par=0.05, **kw) - conductance(slab, 1.2, **kw)) > 1e-3


# -- disorder ---------------------------------------------------------------------


def test_disorder_reproducible_and_order_independent():
    dev = film(20, 30)
    a = dev.disorder_values(dev.params(disorder=3.0, seed=7))
    b = dev.disorder_values(dev.params(disorder=3.0, seed=7))
    assert np.array_equal(a, b)
    perm = np.random.default_rng(0).permutation(len(dev.tags))
    shuffled = devices.disorder.box(dev.tags[perm], 7, 3.0)
    assert np.array_equal(shuffled, a[perm])
    c = dev.disorder_values(dev.params(disorder=3.0, seed=8))
    assert np.mean(a == c) < 1e-3
    # the Kwant value function gives the same numbers, site by site
    h = dev.system.hamiltonian_submatrix(params=dev.params(disorder=3.0, seed=7), sparse=True)
    assert np.abs(h.diagonal().real - 4 - a).max() < 1e-14


def test_disorder_same_in_another_process():
    dev = film(10, 10)
    here = dev.disorder_values(dev.params(disorder=1.0, seed=123))
    code = (
        "import devices, sys; d = devices.film(10, 10); "
        "sys.stdout.write(d.disorder_values(d.params(disorder=1.0, seed=123)).tobytes().hex())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert bytes.fromhex(out.stdout) == here.tobytes()


def test_disorder_statistics_match_box_distribution():
    tags = np.stack(np.meshgrid(np.arange(200), np.arange(100), indexing="ij"), -1).reshape(-1, 2)
    w = 2.5
    v = devices.disorder.box(tags, 11, w)
    n = len(v)
    assert v.min() >= -w / 2 and v.max() < w / 2
    # mean 0 and variance W^2/12 within 4 standard errors; KS test against the box.
    assert abs(v.mean()) < 4 * w / np.sqrt(12 * n)
    var_se = np.sqrt((w**4 / 80 - (w**2 / 12) ** 2) / n)  # var of (x^2), box: E x^4 = W^4/80
    assert abs(v.var() - w**2 / 12) < 4 * var_se
    assert stats.kstest(v, stats.uniform(loc=-w / 2, scale=w).cdf).pvalue > 1e-3
    # neighbouring sites uncorrelated
    grid = v.reshape(200, 100)
    r = np.corrcoef(grid[:-1].ravel(), grid[1:].ravel())[0, 1]
    assert abs(r) < 4 / np.sqrt(n)


# -- vectorized Hamiltonian -----------------------------------------------------


@pytest.mark.parametrize(
    ("dev", "field"),
    [
        (film(7, 9), dict(phi_perp=0.013)),
        (wire(4, 20, 2), dict(phi_perp=0.02, phi_par=0.03)),
        (film(4, 6, 3, interlayer=0.4), dict(phi_perp=0.02, phi_par=0.03)),
        (ring(5, 9), dict(phi_perp=0.011, flux_tube=0.37)),
    ],
)
def test_vectorized_hamiltonian_equals_kwant(dev, field):
    p = dev.params(disorder=1.7, seed=5, **field)
    ref = dev.system.hamiltonian_submatrix(params=p, sparse=True)
    assert abs(dev.hamiltonian(p) - ref).max() < 1e-13


def test_device_pickles_and_rebuilds_from_spec():
    dev = ring(5, 9, units=Units(a_nm=3.0, t_meV=20.0))
    p = dev.params(disorder=10.0, seed=2, b_perp=0.4)
    again = pickle.loads(pickle.dumps(dev))
    rebuilt = devices.from_spec(dev.spec())
    for other in (again, rebuilt):
        assert abs(other.hamiltonian(p) - dev.hamiltonian(p)).max() == 0
        assert other.spec() == dev.spec()


# -- bad input ------------------------------------------------------------------------


def test_bad_sizes():
    with pytest.raises(ValueError, match="width must be > 0 nm"):
        film(-5, 10)
    with pytest.raises(ValueError, match="length must be > 0 nm"):
        film(5, 0)
    with pytest.raises(ValueError, match="at least 1"):
        film(0.2, 10, units=Units(1.0, 1.0))
    with pytest.raises(ValueError, match="integer >= 1"):
        film(5, 10, thickness=0)
    with pytest.raises(ValueError, match="wire needs length > width"):
        wire(10, 5)
    # rounding to the lattice: reported by describe(), rejected beyond 5%
    u = Units.from_mass(5.0, 0.067)
    with pytest.raises(ValueError, match=r"width = 3 nm is 0.6 lattice sites.*change it by 67%"):
        film(3, 100, units=u)
    with pytest.raises(ValueError, match="more than 5%"):
        film(13, 100, units=u)  # 2.6 sites -> 3: 15%
    film(62, 100, units=u)  # 12.4 sites -> 12: 3%, accepted
    assert "W x L = 20 x 20 sites = 100 x 100 nm" in film(100.5, 100, units=u).describe()


def test_build_from_options_is_the_one_device_factory():
    a = devices.build("film", width_nm=100, length_nm=200, lattice_constant_nm=5.0, mass=0.067)
    b = film(100, 200, units=Units.from_mass(5.0, 0.067))
    assert a.spec() == b.spec()
    assert devices.build("ring", r_in_nm=20, r_out_nm=30).spec() == ring(20, 30).spec()
    assert devices.build("wire", width_nm=10, length_nm=50).units.nominal
    with pytest.raises(ValueError, match="unknown device shape 'flim'.*did you mean 'film'"):
        devices.build("flim", width_nm=1, length_nm=1)
    with pytest.raises(ValueError, match="needs the lattice constant"):
        devices.build("film", width_nm=1, length_nm=1, mass=0.1)
    with pytest.raises(ValueError, match="not both"):
        devices.build("film", width_nm=1, length_nm=1, lattice_constant_nm=1, mass=0.1,
                      hopping_meV=3.0)  # fmt: skip


def test_bad_ring():
    with pytest.raises(ValueError, match="0 < inner radius < outer radius, got r_in=12, r_out=10"):
        ring(12, 10)
    with pytest.raises(ValueError, match="0 < inner radius < outer radius"):
        ring(-1, 10)


def test_lattice_too_coarse_for_fermi_wavelength():
    dev = film(200, 400, units=Units.from_mass(10.0, 0.067))  # t = 5.7 meV
    with pytest.raises(ValueError, match="lattice constant a = 10 nm is too coarse"):
        dev.energy(15.0)
    dev.energy(2.0)  # lambda_F ~ 110 nm: fine


def test_energy_without_open_channel():
    dev = wire(10, 40)
    with pytest.raises(ValueError, match="no open channel in the leads at E = 0.05 meV"):
        dev.energy(0.05)
    with pytest.raises(ValueError, match="no open channel"):
        dev.energy(-1.0)
    with pytest.raises(ValueError, match="sits on a lead channel threshold"):
        wire(20, 40).energy(1.0)  # 2 (1 - cos(7 pi / 21)) = 1 exactly


def test_unknown_parameter():
    dev = film(5, 5)
    with pytest.raises(TypeError, match="unknown parameter 'b_prep'.*Did you mean 'b_perp'"):
        dev.params(b_prep=0.1)
    with pytest.raises(TypeError, match="not both"):
        dev.params(b_perp=0.1, phi_perp=0.01)
    with pytest.raises(TypeError, match="rings only"):
        dev.params(flux_tube=0.5)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        dev.params(seed=-1)
    with pytest.raises(ValueError, match="disorder is the width"):
        dev.params(disorder=-1)


# -- regime report ---------------------------------------------------------------------


def kinds(rep):
    return {type(w) for w in rep.warnings}


def test_regime_report_warnings():
    dev = film(40, 80)
    ok = dev.regime(1.0, 2.5, b_max=dev.units.tesla(0.002))
    assert ok.warnings == () and ok.blocking == ()
    assert "open channels      N     = 13" in str(ok)
    strong_field = dev.regime(1.0, 2.5, b_max=dev.units.tesla(0.05))
    msgs = [str(w) for w in strong_field.warnings if isinstance(w, FieldRangeWarning)]
    assert any("cyclotron radius" in m for m in msgs) and any("magnetic length" in m for m in msgs)
    assert strong_field.blocking  # a WL analysis outside the WL regime is meaningless
    assert BallisticWarning in kinds(dev.regime(1.0, 0.3))
    assert LocalizedWarning in kinds(wire(6, 400).regime(1.0, 2.0))
    assert StrongDisorderWarning in kinds(dev.regime(1.0, 9.0))
    # messages are short: the evidence lives on the docs' validation page
    assert all(len(str(w).split()) < 50 for w in strong_field.warnings)
    d = strong_field.to_dict()
    assert d["warning_kinds"].count("FieldRangeWarning") == 2 and isinstance(d["warnings"][0], str)


def test_thouless_ratio_is_the_drude_sheet_conductance():
    # 2 pi E_Th / Delta = sigma W / L (Thouless; reference sheet), per spin
    rep = film(40, 80).regime(1.0, 2.5)
    assert 2 * np.pi * rep.thouless_ratio == pytest.approx(
        rep.sheet_conductance * 40 / 80, rel=1e-12
    )


def test_ring_regime_checks_the_arm_not_the_wl_field():
    # an AB sweep on a ring: no WL field-range checks (l_m < l is fine for AB), but the
    # cyclotron radius against the arm width is checked, and ballistic arms are fine
    r = ring(20, 30)
    rep = r.regime(1.0, 1.0, b_max=r.units.tesla(0.004))
    assert not rep.warnings, [str(w) for w in rep.warnings]
    strong = r.regime(1.0, 1.0, b_max=r.units.tesla(0.05))
    assert any("arm width" in str(w) for w in strong.warnings if isinstance(w, FieldRangeWarning))


def test_in_plane_field_regime_warnings():
    # 48 x 48 x 8 slab at E = 3 t, box 4.5 t: l = 2.37 a, d = a sqrt(63) = 7.94 a (l/d = 0.30)
    slab = film(48, 48, 8)
    phi = 0.0035  # h/e per x-z plaquette: magnetic length 1/sqrt(2 pi phi) = 6.7 a < d
    rep = slab.regime(3.0, 4.5, b_par_max=slab.units.tesla(phi))
    assert rep.thickness_d == pytest.approx(np.sqrt(63), rel=1e-12)
    inplane = [str(w) for w in rep.warnings if isinstance(w, InPlaneWarning)]
    assert len(inplane) == 1 and "l/d = 0.3" in inplane[0] and "l << d" in inplane[0]
    assert "FiniteFilmParallel(mean_free_path=l, cross_section=True)" in inplane[0]
    assert any("magnetic length 6.74 a is below the thickness" in str(w) for w in rep.warnings)
    assert "(l/d = 0.299)" in str(rep)
    weak = slab.regime(3.0, 4.5, b_par_max=slab.units.tesla(phi / 4))  # l_m = 13.5 a > d
    assert FieldRangeWarning not in kinds(weak)
    # a dirty, thick slab is in the law's regime (l/d = 0.044): the warning without "l << d"
    thick = film(20, 20, 30).regime(3.0, 6.0, b_par_max=slab.units.tesla(1e-4))
    assert kinds(thick) == {InPlaneWarning} and "l << d" not in str(thick.warnings[0])
    layered = film(20, 20, 4, interlayer=0.3).regime(3.0, 4.5)
    # subbands spread 0.3 (eps_4 - eps_1) = 0.97 t against hbar/tau = 1.28 t
    assert "t_z    = 0.3 t: subbands spread 0.971 t against hbar/tau = 1.28 t" in str(layered)
    assert "(weakly coupled layers)" in str(layered)
    # no in-plane sweep planned: no in-plane warning, and a single layer has no thickness
    assert InPlaneWarning not in kinds(slab.regime(3.0, 4.5))
    assert film(10, 10).regime(1.0, 2.5).thickness_d is None


def test_perpendicular_sweep_with_dephasing_on_a_slab_warns():
    slab, b = film(48, 48, 8), 0.3
    for model in ("probes", "absorbing"):
        rep = slab.regime(3.0, 4.5, b_max=b, dephasing=model)
        assert SlabDephasingWarning in kinds(rep) and not rep.warnings[0].blocking
        assert "slab of 8 layers" in str(rep.warnings[0])
    # no perpendicular sweep, no dephasing, or a single layer: no such warning
    assert SlabDephasingWarning not in kinds(slab.regime(3.0, 4.5, dephasing="probes"))
    assert SlabDephasingWarning not in kinds(slab.regime(3.0, 4.5, b_max=b))
    assert SlabDephasingWarning not in kinds(
        film(48, 48).regime(2.0, 4.0, b_max=b, dephasing="probes")
    )


def test_perpendicular_sweep_with_probes_on_a_long_film_warns():
    long_film, b = film(48, 384), 0.3
    rep = long_film.regime(1.03, 2.5, b_max=b, dephasing="probes", tau_phi=40.0)
    l_phi = math.sqrt(rep.diffusion * 40.0 / long_film.units.time_ps)
    assert 384 / l_phi > LONG_PROBE_SAMPLE and l_phi > PROBE_LPHI_OVER_L * rep.mean_free_path
    found = [str(w) for w in rep.warnings if isinstance(w, ProbeNetworkWarning)]
    assert len(found) == 1 and f"{384 / l_phi:.3g} l_phi long" in found[0]
    # shorter than LONG_PROBE_SAMPLE l_phi, or l_phi < 3 l (the demo's 50 x 50 film, l_phi ~ 2 l)
    short = film(48, round(0.97 * LONG_PROBE_SAMPLE * l_phi)).regime(
        1.03, 2.5, b_max=b, dephasing="probes", tau_phi=40.0
    )
    assert ProbeNetworkWarning not in kinds(short)
    tau_2l = (2 * rep.mean_free_path) ** 2 / rep.diffusion * long_film.units.time_ps
    near_l = long_film.regime(1.03, 2.5, b_max=b, dephasing="probes", tau_phi=tau_2l)
    assert ProbeNetworkWarning not in kinds(near_l)
    # no field, another model, no tau_phi: none
    for kw in (dict(dephasing="probes", tau_phi=40.0), dict(b_max=b, dephasing="absorbing", tau_phi=40.0),
               dict(b_max=b, dephasing="probes")):  # fmt: skip
        assert ProbeNetworkWarning not in kinds(long_film.regime(1.03, 2.5, **kw))


def test_in_plane_field_on_a_single_layer_is_an_error():
    for dev in (film(10, 10), ring(4, 8)):
        with pytest.raises(ValueError, match="no orbital effect on a single-layer"):
            dev.params(b_par=0.5)
        with pytest.raises(ValueError, match="thickness >= 2"):
            dev.params(phi_par=0.01)
        assert dev.params(b_par=0.0)["phi_par"] == 0.0
    assert film(10, 10, 2).params(phi_par=0.01)["phi_par"] == 0.01


def test_regime_lab_units_consistent():
    u = Units.from_mass(5.0, 0.067)
    dev = film(500, 1000, units=u)
    rep = dev.regime(5.0, 20.0)
    assert rep.mean_free_path_nm == pytest.approx(rep.mean_free_path * 5.0)
    assert rep.tau_ps == pytest.approx(rep.tau * u.time_ps)
    # D = v_F l / 2 in two dimensions
    assert rep.diffusion == pytest.approx(rep.v_f * rep.mean_free_path / 2, rel=1e-12)


def test_interlayer_hopping_in_the_lattice_and_the_bands():
    # z-bonds carry -t_z, on-site 4 + 2 t_z puts the bulk band bottom at 0; the
    # Kwant lead's lowest mode opens exactly at the first subband 2 t_z (1 - cos(pi/(N_z+1))).
    t_z, nz = 0.3, 4
    dev = film(5, 7, nz, interlayer=t_z)
    h = dev.hamiltonian(dev.params()).toarray()
    tags = dev.tags
    i = int(np.flatnonzero((tags == [3, 2, 1]).all(1))[0])
    j = int(np.flatnonzero((tags == [3, 2, 2]).all(1))[0])
    k = int(np.flatnonzero((tags == [4, 2, 1]).all(1))[0])
    assert h[i, j] == -t_z and h[i, k] == -1.0 and h[i, i] == 4 + 2 * t_z
    first = bands.channel_thresholds(5, nz, t_z)[0]
    assert abs(first - (2 * (1 - np.cos(np.pi / 6)) + 2 * t_z * (1 - np.cos(np.pi / 5)))) < 1e-14
    lead = dev.system.leads[0]
    assert lead.modes(energy=first - 1e-6, params=dev.params())[0].velocities.size == 0
    assert lead.modes(energy=first + 1e-6, params=dev.params())[0].velocities.size == 2
    # the layered DOS is the mean of the shifted sheet DOS
    e = 2.0
    shifts = t_z * bands.subbands(nz)
    ref = np.mean([bands.dos(e - s) for s in shifts])
    assert abs(bands.dos(e, nz, t_z) - ref) < 1e-14
    back = from_spec(json.loads(json.dumps(dev.spec())))
    assert back.geometry.interlayer == t_z
    assert "interlayer" not in film(5, 7, nz).spec()  # default omitted: stored specs unchanged


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(thickness=3, interlayer=0.0), "interlayer is the hopping"),
        (dict(thickness=3, interlayer=1.5), "interlayer is the hopping"),
        (dict(thickness=1, interlayer=0.5), "interlayer applies to a slab"),
    ],
)
def test_interlayer_bad_values(kw, match):
    with pytest.raises(ValueError, match=match):
        film(5, 7, **kw)
