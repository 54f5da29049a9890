"""Dephasing models: imaginary potential and Buttiker probes.

Exact checks to round-off (Kwant agreement, the probes' current sum rule,
Onsager symmetry of the probe model, tau_phi units), a closed-form decay in
a clean chain, and the reference sheet's measured film numbers.
"""

import math

import kwant
import numpy as np
import pytest
from scipy import constants as sc

import devices
import transport
from transport.solver import Solver


def test_tau_phi_sets_eta():
    # tau_phi = hbar / (2 eta) for the absorbing potential; hbar/(2 eta rho) for probes.
    u = devices.Units(a_nm=2.0, t_meV=10.0)
    dev = devices.film(10, 10, units=u)
    eta_t = dev.params(tau_phi=3.0)["eta"]
    assert sc.hbar / (2 * eta_t * u.t_J) * 1e12 == pytest.approx(3.0, rel=1e-12)
    p = dev.params(tau_phi=3.0, dephasing="probes", probe_density=0.25)
    assert p["eta"] == 0 and p["probe_density"] == 0.25
    assert p["probe_eta"] == pytest.approx(4 * eta_t, rel=1e-12)


@pytest.mark.parametrize("dev", [devices.film(8, 12), devices.film(5, 7, 2), devices.ring(6, 10)])
def test_absorbing_potential_equals_kwant(dev):
    p = dev.params(disorder=2.0, seed=1, phi_perp=0.01, tau_phi=20.0)
    assert p["eta"] > 0
    ref = kwant.smatrix(
        dev.system, 1.1, params=p, check_hermiticity=False, in_leads=[0], out_leads=[1]
    ).transmission(1, 0)
    assert abs(Solver(dev).transmission(1.1, [p])[0] - ref) < 1e-10
    assert abs(Solver(dev, "sparse").transmission(1.1, [p])[0] - ref) < 1e-10


def test_absorbing_decay_in_a_clean_chain():
    # Single chain (band 2t..6t), E = 3 t: k = pi/3, v = 2 sin k = sqrt(3) [a t / hbar]. The amplitude
    # decays as exp(-x / (2 v tau_phi)) so T = exp(-L / (v tau_phi)), tau_phi = 1/(2 eta),
    # up to O((eta/v)^2) reflections at the ends.
    length, eta = 400, 2e-3
    dev = devices.wire(1, length)
    tau = dev.units.time_ps / (2 * eta)
    g = transport.conductance(dev, 3.0, tau_phi=tau)
    assert g == pytest.approx(np.exp(-length * 2 * eta / np.sqrt(3)), rel=1e-4)
    # probes on every site: the coherent part T_RL is the absorbing transmission exactly
    p = dev.params(tau_phi=tau, dephasing="probes")
    d = Solver(dev).buttiker(dev.energy(3.0), p, details=True)
    assert d["t_rl"] == pytest.approx(g, rel=1e-12)
    # and re-injection adds current: G > T_RL
    assert d["conductance"] > 1.5 * d["t_rl"]


def test_probe_density_scales_the_rate():
    # Sparse probes (density rho, coupling eta/rho... at fixed tau_phi) give the same mean
    # decay rate: T_RL ~ exp(-L/(v tau_phi)) on average over placements.
    length = 300
    dev = devices.wire(1, length)
    tau = dev.units.time_ps / (2 * 1e-3)
    t = []
    for seed in range(20):
        p = dev.params(tau_phi=tau, dephasing="probes", probe_density=0.5, seed=seed)
        t.append(Solver(dev).buttiker(dev.energy(3.0), p, details=True)["t_rl"])
    expected = np.exp(-length * 2e-3 / np.sqrt(3))
    assert np.mean(np.log(t)) == pytest.approx(np.log(expected), rel=0.05)


@pytest.mark.parametrize("layout", ["random", "grid"])
def test_buttiker_sum_rule_and_onsager(layout):
    dev = devices.film(8, 10)
    kw = dict(disorder=2.0, seed=4, tau_phi=15.0, dephasing="probes", probe_density=0.25,
              probe_layout=layout)  # fmt: skip
    s = Solver(dev)
    d = s.buttiker(1.1, dev.params(phi_perp=0.02, **kw), details=True)
    # everything a probe injects leaves somewhere: sum_j T_jp = Gamma_p A_pp - Gamma_p^2 |G_pp|^2
    eta, gpp = d["eta"], d["g_pp_diag"]
    assert (
        np.abs(d["outflow"] - (2 * eta * (-2 * gpp.imag) - 4 * eta**2 * np.abs(gpp) ** 2)).max()
        < 1e-12
    )
    # current-conserving probes keep two-terminal Onsager symmetry (absorption does not)
    g_minus = s.buttiker(1.1, dev.params(phi_perp=-0.02, **kw))
    assert abs(d["conductance"] - g_minus) < 1e-10
    absorb = dict(disorder=2.0, seed=4, tau_phi=15.0)
    a_plus = s.transmission(1.1, [dev.params(phi_perp=0.02, **absorb)])[0]
    a_minus = s.transmission(1.1, [dev.params(phi_perp=-0.02, **absorb)])[0]
    assert abs(a_plus - a_minus) > 1e-6


def test_network_conductance_closed_forms():
    from transport.solver import network_conductance

    # one probe: G = T_RL + T_Rp T_pL / (T_Lp + T_Rp) (a resistor in parallel with two in series)
    one = network_conductance(
        0.3, np.array([0.8]), np.array([0.5]), np.array([0.7]), np.zeros((1, 1))
    )
    assert one["conductance"] == pytest.approx(0.3 + 0.5 * 0.8 / 1.2, rel=1e-14)
    # a chain L - p1 - p2 - R of unit links: three unit resistors in series, V = 2/3, 1/3
    t_pp = np.array([[0.0, 1.0], [1.0, 0.0]])
    chain = network_conductance(0.0, np.array([1.0, 0.0]), np.array([0.0, 1.0]),
                                np.array([1.0, 0.0]), t_pp)  # fmt: skip
    assert chain["conductance"] == pytest.approx(1 / 3, rel=1e-14)
    assert np.allclose(chain["voltages"], [2 / 3, 1 / 3], atol=1e-14)


@pytest.mark.parametrize("corr", [0.0, 1.0])
def test_network_pair_fluctuations_against_monte_carlo(corr):
    from transport.solver import network_conductance, network_pair_fluctuations

    # Gaussian fluctuations of the probe-probe links (variance s2, reciprocal correlation corr)
    # about a random 6-probe network; antithetic pairs cancel the first order exactly
    rng = np.random.default_rng(1)
    n, s2 = 6, 1e-3
    t = rng.uniform(0.1, 1, (n, n))
    np.fill_diagonal(t, 0)
    mean = dict(t_rl=0.05, t_pl=rng.uniform(0, 0.5, n), t_rp=rng.uniform(0, 0.5, n),
                t_lp=rng.uniform(0, 0.5, n), t_pp=t)  # fmt: skip

    def g(tt):
        return network_conductance(**dict(mean, t_pp=tt))["conductance"]

    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    out = []
    for _ in range(20000):
        z1, z2 = rng.standard_normal((2, n, n))
        x = np.where(upper, z1, (corr * z1 + math.sqrt(1 - corr**2) * z2).T)
        np.fill_diagonal(x, 0)
        out.append(0.5 * (g(t + math.sqrt(s2) * x) + g(t - math.sqrt(s2) * x)) - g(t))
    var = np.full((n, n), s2) - np.diag(np.full(n, s2))
    est = network_pair_fluctuations(mean, var, corr * var)
    # third order vanishes by symmetry; fourth order is ~s2 / t^2 ~ 1e-3 of this
    assert abs(np.mean(out) - est) < 4 * np.std(out) / math.sqrt(len(out)) + 0.02 * abs(est)


def test_buttiker_with_fixed_probes():
    dev = devices.film(8, 10)
    kw = dict(disorder=2.0, tau_phi=15.0, dephasing="probes", probe_density=0.3)
    s = Solver(dev)
    own = dev.probe_sites(dev.params(seed=1, **kw))
    # the device's own placement passed explicitly gives the same numbers
    assert s.buttiker(1.1, dev.params(seed=1, **kw), probes=own) == s.buttiker(
        1.1, dev.params(seed=1, **kw)
    )
    # another seed's disorder under seed 1's probes differs from both seeds' own
    fixed = s.buttiker(1.1, dev.params(seed=2, **kw), details=True, probes=own)
    assert np.array_equal(fixed["probes"], own)
    assert not np.array_equal(own, dev.probe_sites(dev.params(seed=2, **kw)))
    assert fixed["conductance"] != s.buttiker(1.1, dev.params(seed=2, **kw))
    with pytest.raises(ValueError, match="distinct integer site indices"):
        s.buttiker(1.1, dev.params(seed=1, **kw), probes=[3, 3])
    with pytest.raises(ValueError, match="index the device's 80 sites"):
        s.buttiker(1.1, dev.params(seed=1, **kw), probes=[0, 80])


def test_probe_sweep_runs_and_is_reproducible():
    dev = devices.film(6, 8)
    kw = dict(b_perp=[0.0, dev.units.tesla(0.001)], energies=[1.1], seeds=3, disorder=2.0,
              tau_phi=20.0, dephasing="probes", probe_density=0.5)  # fmt: skip
    a = transport.sweep(dev, executor="serial", **kw)
    b = transport.sweep(dev, workers=2, **kw)
    assert np.array_equal(a.G.values, b.G.values)
    assert a.attrs["dephasing_model"] == "probes" and a.attrs["tau_phi_ps"] == 20.0


def test_reference_film_numbers_with_absorbing_dephasing():
    # Reference sheet (60 x 60 spinless film, E = 1 t, box 2.5 t, 100 realizations,
    # field-free leads): <G(0)> = 2.52 coherent, 1.57 at eta = 0.0018, 0.55 at eta = 0.007.
    # Statistic: our mean within 4 standard errors plus 3% of the quoted value.
    dev = devices.film(60, 60)
    for eta, quoted in [(0.0, 2.52), (0.0018, 1.57), (0.007, 0.55)]:
        tau = None if eta == 0 else dev.units.time_ps / (2 * eta)
        ds = transport.sweep(dev, b_perp=[0.0], energies=[1.0], seeds=100, disorder=2.5,
                             tau_phi=tau, workers=2)  # fmt: skip
        g = ds.G.values.ravel()
        sem = g.std(ddof=1) / np.sqrt(len(g))
        assert abs(g.mean() - quoted) < 4 * sem + 0.03 * quoted, (eta, g.mean(), sem)


def test_bad_dephasing_input():
    dev = devices.film(6, 6)
    with pytest.raises(ValueError, match="tau_phi must be > 0 ps"):
        dev.params(tau_phi=-1.0)
    with pytest.raises(ValueError, match="unknown dephasing model 'probe'.*Did you mean 'probes'"):
        dev.params(tau_phi=1.0, dephasing="probe")
    with pytest.raises(ValueError, match="probe_density is a fraction of sites in \\(0, 1\\]"):
        dev.params(tau_phi=1.0, dephasing="probes", probe_density=1.5)
    with pytest.raises(
        TypeError, match="probe_density and probe_layout apply to dephasing='probes'"
    ):
        dev.params(tau_phi=1.0, probe_density=0.5)
    with pytest.raises(ValueError, match="unknown probe layout 'grd'.*Did you mean 'grid'"):
        dev.params(tau_phi=1.0, dephasing="probes", probe_layout="grd")
    with pytest.raises(TypeError, match="a dephasing model needs tau_phi"):
        transport.sweep(dev, b_perp=[0.0], energies=[1.0], seeds=1, disorder=1.0,
                        dephasing="probes")  # fmt: skip


@pytest.mark.parametrize(
    "dev, energy, disorder, seed",
    [(devices.film(7, 9, 3), 1.1, 2.0, 2), (devices.ring(5, 9), 1.1, 2.0, 2),
     # clean chain, E = 3 t: the segment between the probes at sites 7 and 10 has an exact
     # eigenvalue at E, the Schur complement is singular and the direct solve takes over
     (devices.wire(1, 20), 3.0, 0.0, 0)],
)  # fmt: skip
def test_buttiker_equals_dense_green_function(dev, energy, disorder, seed):
    # The probe solve (MUMPS Schur complement on the terminal sites) against the full dense
    # G = (E - H - Sigma)^-1 with the same formulas, probes on half the sites (some on the
    # lead interfaces), in a parallel and a perpendicular field. Exact up to round-off.
    p = dev.params(phi_perp=0.03 if dev.kind != "wire" else 0.0,
                   phi_par=0.02 if dev.kind == "film" else 0.0, disorder=disorder,
                   seed=seed, tau_phi=15.0, dephasing="probes", probe_density=0.5)  # fmt: skip
    s = Solver(dev)
    d = s.buttiker(energy, p, details=True)
    probes, eta = d["probes"], p["probe_eta"]
    il, ir = s._iface
    assert np.intersect1d(probes, np.concatenate([il, ir])).size > 0
    assert d["solve"] == ("direct" if disorder == 0 else "schur")
    s_l, s_r = (np.asarray(lead.selfenergy(energy, params=p)) for lead in dev.system.leads)
    a = energy * np.eye(len(dev.tags)) - dev.hamiltonian(p).toarray()
    a[np.ix_(il, il)] -= s_l
    a[np.ix_(ir, ir)] -= s_r
    a[probes, probes] += 1j * eta
    g = np.linalg.inv(a)
    gam_l, gam_r, gp = 1j * (s_l - s_l.conj().T), 1j * (s_r - s_r.conj().T), 2 * eta
    t_rl = np.trace(gam_r @ g[np.ix_(ir, il)] @ gam_l @ g[np.ix_(ir, il)].conj().T).real
    t_rp = gp * np.array([(g[ir, q].conj() @ gam_r @ g[ir, q]).real for q in probes])
    t_pl = gp * np.array([(g[q, il] @ gam_l @ g[q, il].conj()).real for q in probes])
    t_lp = gp * np.array([(g[il, q].conj() @ gam_l @ g[il, q]).real for q in probes])
    t_pp = gp**2 * np.abs(g[np.ix_(probes, probes)]) ** 2
    np.fill_diagonal(t_pp, 0.0)
    v = np.linalg.solve(np.diag(t_lp + t_rp + t_pp.sum(axis=0)) - t_pp, t_pl)
    assert d["t_rl"] == pytest.approx(t_rl, rel=1e-10)
    assert np.allclose(d["t_pl"], t_pl, rtol=1e-9, atol=1e-13)
    assert d["conductance"] == pytest.approx(t_rl + t_rp @ v, rel=1e-10)


def test_probe_grid_layout():
    dev = devices.film(30, 31)
    kw = dict(
        disorder=1.0, tau_phi=10.0, dephasing="probes", probe_density=0.1, probe_layout="grid"
    )
    p = dev.params(seed=5, **kw)
    assert p["probe_grid"] == 3 and p["probe_density"] == pytest.approx(1 / 9)
    # the coupling follows the grid's density, so that tau_phi = hbar / (2 eta rho) exactly
    assert 2 * p["probe_eta"] * p["probe_density"] * 10.0 == pytest.approx(dev.units.time_ps)
    sites = dev.probe_sites(p)
    tags = dev.tags[sites]
    assert len(set(tags[:, 0] % 3)) == 1 and len(set(tags[:, 1] % 3)) == 1  # one sublattice
    assert len(sites) in (10 * 10, 10 * 11)
    assert np.array_equal(sites, dev.probe_sites(dev.params(seed=5, **kw)))  # from the seed
    offsets = {tuple(dev.tags[dev.probe_sites(dev.params(seed=s, **kw))][0] % 3) for s in range(12)}
    assert len(offsets) > 3  # realizations place the grid differently


def test_the_automatic_density_is_a_grid_at_the_measured_spacing():
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)
    exp = transport.experiment(dev, b_perp=[0.0, 0.1], b_par=None, energies=[23.4], seeds=2,
                               disorder=57.0, tau_phi=0.75, dephasing="probes")  # fmt: skip
    rep = dev.regime(23.4, 57.0)
    l_phi = np.sqrt(rep.diffusion * 0.75 / u.time_ps)
    spacing = min(l_phi / 4, 1.2 * rep.mean_free_path)
    assert exp["dephasing"]["probe_density"] == pytest.approx(spacing**-2, rel=5e-3)  # 3 digits
    assert exp["dephasing"]["probe_layout"] == "grid"
