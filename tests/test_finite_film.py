"""The finite-device Cooperon model (fits.finite): closed-form limits and a round trip.

The normalisation dG = -(2 g_s / L^2) sum_n 1/(lambda_n + l_phi^-2) is pinned
by the wire between reservoirs (Texier-Montambaux, exact for W << l_phi); the
large-film limit (W/L) x HLN is checked by extrapolation in `make validate`.
"""

import math

import numpy as np
import pytest

import fits
from fits import lineshapes as ls
from fits.finite import (
    CooperonSpectrum,
    RashbaTripletSpectrum,
    finite_film,
    finite_film_cross_section,
    finite_film_parallel,
    finite_film_rashba,
)

K = 3.5  # pull bound for round trips


def test_zero_field_spectrum_is_the_discrete_dirichlet_neumann_laplacian():
    sp = CooperonSpectrum(300e-9, 500e-9, max_nodes=300)
    nx, ny, hx, hy = sp.nx, sp.ny, sp.hx, sp.hy
    n = np.arange(1, nx)[:, None]
    m = np.arange(ny)[None, :]
    exact = (2 - 2 * np.cos(np.pi * n / nx)) / hx**2 + (2 - 2 * np.cos(np.pi * m / ny)) / hy**2
    np.testing.assert_allclose(sp.eigenvalues(0.0), np.sort(exact.ravel()), rtol=1e-10)
    # the lowest modes approach the continuum (pi n / L)^2 + (pi m / W)^2
    assert sp.eigenvalues(0.0)[0] == pytest.approx((np.pi / 500e-9) ** 2, rel=0.01)


def test_field_raises_the_spectrum_and_is_even():
    sp = CooperonSpectrum(400e-9, 400e-9, max_nodes=400)
    e0, e1 = sp.eigenvalues(0.0), sp.eigenvalues(0.05)
    assert e1[0] > e0[0]  # diamagnetic: the lowest Cooperon mode rises
    np.testing.assert_allclose(np.linalg.eigvalsh(sp.operator(-0.05)), e1, rtol=1e-12)
    h = sp.operator(0.05)
    np.testing.assert_allclose(h, h.conj().T, atol=0)


def test_narrow_wire_limit_is_texier_montambaux():
    # W << l_phi: only the transverse zero mode, with l_B = sqrt(3) hbar/(e W B)
    w, length, l_phi = 40e-9, 2e-6, 400e-9
    sp = CooperonSpectrum(w, length, max_nodes=1000)
    b = np.linspace(0.05, 0.3, 6)
    got = finite_film(b, l_phi, spectrum=sp, g_s=1)
    want = ls.wire_finite(b, l_phi, width=w, length=length, g_s=1)
    np.testing.assert_allclose(got, want, rtol=0.02)
    # g_s and alpha are plain factors
    np.testing.assert_allclose(finite_film(b, l_phi, 0.5, spectrum=sp, g_s=2), got, rtol=1e-12)


def test_transport_field_term_matches_hln_form():
    # with B_tr the model subtracts the same sum at l_tr^-2 = 4 e B_tr / hbar:
    # the difference to the model without it is that sum alone, as in HLN
    sp = CooperonSpectrum(300e-9, 300e-9, max_nodes=400)
    b = np.array([0.0, 0.02, 0.05])
    b_tr = 0.5
    with_tr = finite_film(b, 60e-9, spectrum=sp, g_s=1, b_tr=b_tr)
    without = finite_film(b, 60e-9, spectrum=sp, g_s=1)
    l_tr = float(ls.length_from_b(b_tr))
    cutoff = finite_film(b, l_tr, spectrum=sp, g_s=1)
    np.testing.assert_allclose(with_tr, without - cutoff, rtol=1e-12, atol=1e-15)


def test_grid_too_coarse_for_the_field_is_an_error():
    sp = CooperonSpectrum(2e-6, 2e-6, max_nodes=100)
    with pytest.raises(ValueError, match="raise max_nodes or narrow the field window"):
        sp.eigenvalues(1.0)
    with pytest.raises(ValueError, match="width > 0 and length > 0"):
        CooperonSpectrum(-1e-9, 1e-6)


def _round_trip(model, b, l_phi, seed, noise=2e-3):
    """Fit the model to its own curve plus Gaussian noise; l_phi and alpha within K errors."""
    rng = np.random.default_rng(seed)
    y = model(b, l_phi=l_phi, alpha=1.0) + rng.normal(0, noise, b.size)
    r = model.fit(b, y, sigma=noise, diffusion=0.01)
    assert abs(r.values["l_phi"] - l_phi) < K * r.stderr["l_phi"]
    assert abs(r.values["alpha"] - 1.0) < K * r.stderr["alpha"]
    return r


def test_finite_film_round_trip():
    m = fits.FiniteFilm(g_s=1, width=250e-9, length=250e-9, max_nodes=400)
    r = _round_trip(m, np.linspace(0, 0.15, 13), 80e-9, seed=4)
    tau = r.derived["tau_phi_ps"]
    assert tau[0] == pytest.approx(r.values["l_phi"] ** 2 / 0.01 * 1e12, rel=1e-12)


def test_finite_film_sees_the_contacts():
    # l_phi comparable to L: the contacts cut the long paths, so the finite
    # device shows less WL than (W/L) x HLN, and the model fits a larger
    # l_phi than HLN would to the same curve
    w = length = 250e-9
    l_phi = 100e-9
    m = fits.FiniteFilm(g_s=1, width=w, length=length, alpha=1.0, max_nodes=400)
    b = np.linspace(0, 0.15, 13)
    y = m(b, l_phi=l_phi)
    hln = ls.hln(b, float(ls.b_from_length(l_phi)), 1.0, g_s=1) * w / length
    assert np.all(y[1:] < 0.8 * hln[1:])
    r = fits.HLN(g_s=1, alpha=1.0).fit(b, y * length / w)
    assert r.derived["l_phi_nm"][0] < 0.8 * l_phi * 1e9


def test_many_fields_are_interpolated_accurately():
    sp = CooperonSpectrum(250e-9, 250e-9, max_nodes=400)
    b = np.linspace(-0.15, 0.15, 301)  # a measured trace or a plot
    fine = finite_film(b, 60e-9, spectrum=sp, g_s=1, b_tr=0.4)
    exact = finite_film(b[::20], 60e-9, spectrum=sp, g_s=1, b_tr=0.4)  # < MAX_FIELDS fields
    np.testing.assert_allclose(fine[::20], exact, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(fine, fine[::-1], rtol=1e-12, atol=1e-15)  # even in B


def test_contact_extension_moves_the_absorbing_boundaries_only():
    # z0 beyond each contact: at zero field the Dirichlet Laplacian of L + 2 z0 ...
    length, z0 = 400e-9, 30e-9
    sp = CooperonSpectrum(200e-9, length, extension=z0, max_nodes=600)
    assert sp.diffusive_length == length + 2 * z0
    nx, ny, hx, hy = sp.nx, sp.ny, sp.hx, sp.hy
    n = np.arange(1, nx)[:, None]
    m = np.arange(ny)[None, :]
    exact = (2 - 2 * np.cos(np.pi * n / nx)) / hx**2 + (2 - 2 * np.cos(np.pi * m / ny)) / hy**2
    np.testing.assert_allclose(sp.eigenvalues(0.0), np.sort(exact.ravel()), rtol=1e-10)
    # ... and the field only on the sample: the x-link phases of the top row minus
    # those of the bottom row add up to the flux (charge 2e) of the W x L region
    b = 0.02
    ab = sp.banded(b)
    nxi = nx - 1
    sx, sy = (1, nxi) if ny > nxi else (ny, 1)
    row = lambda j: [np.angle(-ab[sx, i * sx + j * sy]) for i in range(nxi - 1)]  # noqa: E731
    flux = np.sum(row(0)) - np.sum(row(ny - 1))
    assert flux == pytest.approx(2 * b * (ny - 1) * hy * length / ls.HBAR_OVER_E, rel=1e-10)
    # the extension lengthens the diffusion: a larger WL correction at the same l_phi
    plain = finite_film([0.05], 100e-9, spectrum=CooperonSpectrum(200e-9, length, max_nodes=600),
                        g_s=1)  # fmt: skip
    assert finite_film([0.05], 100e-9, spectrum=sp, g_s=1)[0] > plain[0]
    with pytest.raises(ValueError, match="extension z0 must be >= 0"):
        CooperonSpectrum(200e-9, length, extension=-1e-9)


# -- in-plane field: a uniform Cooperon mass (e d B / hbar)^2 / 3 ---------------------------


def test_parallel_field_narrow_wire_is_texier_montambaux_with_width_d():
    # the in-plane mass equals the perpendicular one of a wire of width d, so
    # on a narrow device the two closed forms coincide (transverse zero mode)
    w, length, l_phi, d = 40e-9, 2e-6, 400e-9, 10e-9
    sp = CooperonSpectrum(w, length, max_nodes=1000)
    b = np.linspace(0.5, 4.0, 6)
    got = finite_film_parallel(b, l_phi, spectrum=sp, g_s=1, thickness=d)
    want = ls.wire_finite(b, l_phi, width=d, length=length, g_s=1)
    np.testing.assert_allclose(got, want, rtol=0.02)
    assert finite_film_parallel(np.array([0.0]), l_phi, spectrum=sp, g_s=1, thickness=d)[0] == 0


def test_finite_parallel_round_trip_and_b_star():
    w, length, d = 250e-9, 250e-9, 12e-9
    m = fits.FiniteFilmParallel(g_s=1, width=w, length=length, thickness=d, max_nodes=400)
    r = _round_trip(m, np.linspace(0, 3.0, 13), 80e-9, seed=7)
    b_star, _ = r.derived["b_star_T"]
    assert b_star == pytest.approx(np.sqrt(3) * ls.HBAR_OVER_E / (d * r.values["l_phi"]))
    assert fits.MODELS["finite_parallel"].cls is fits.FiniteFilmParallel
    with pytest.raises(ValueError, match="thickness must be > 0"):
        fits.FiniteFilmParallel(g_s=1, width=w, length=length, thickness=0.0)


# -- in-plane field: the Cooperon solved across the thickness -------------------------------


@pytest.mark.parametrize("l_phi", [40e-9, 80e-9])
def test_cross_section_long_narrow_wire_against_perturbation_theory(l_phi):
    # A wire (W << l_phi) much longer than l_phi: to second order in the field's
    # coupling 2 (2e/hbar) B z d/dx between the zero and the odd modes across d,
    # the lowest band is k^2 + m_B (1 - (2/5) k^2 d^2) (sum over odd m of
    # 384/(pi^6 m^6) = 2/5), so the low-field response over the uniform mass's is
    # 1 - (2/5) d^2 sum_n k_n^2/(k_n^2 + l_phi^-2)^2 / sum_n 1/(k_n^2 + l_phi^-2)^2.
    w, length, d = 2e-9, 1.2e-6, 10e-9
    strip = CooperonSpectrum(d, length, max_nodes=4000)
    film = CooperonSpectrum(w, length, max_nodes=4000)
    b = np.array([0.05])  # mass 1e-3 of l_phi^-2: linear response
    got = finite_film_cross_section(b, l_phi, strip=strip, width=w, g_s=1)
    uniform = finite_film_parallel(b, l_phi, spectrum=film, g_s=1, thickness=d)
    k2 = (np.pi * np.arange(1, 20000) / length) ** 2
    weight = 1 / (k2 + l_phi**-2) ** 2
    want = 1 - 0.4 * d**2 * np.sum(k2 * weight) / np.sum(weight)
    assert 1 - want > 0.005  # the effect is resolved: 2.7% and 0.7%
    assert (got / uniform)[0] == pytest.approx(want, abs=0.1 * (1 - want))
    # the reduction scales the low-field mass
    half = finite_film_cross_section(b, l_phi, strip=strip, width=w, g_s=1, reduction=0.5)
    assert (half / got)[0] == pytest.approx(0.5, rel=1e-3)


def test_cross_section_model_keywords_and_errors():
    w, length, d = 200e-9, 200e-9, 12e-9
    plain = fits.FiniteFilmParallel(g_s=1, width=w, length=length, thickness=d, max_nodes=400)
    cut = fits.FiniteFilmParallel(g_s=1, width=w, length=length, thickness=d, max_nodes=400,
                                  mean_free_path=0.3 * d)  # fmt: skip
    assert cut.reduction == pytest.approx(ls.flux_cancellation(0.3, dim=3))
    b = np.array([0.0, 0.2, 0.4])
    want = finite_film_parallel(
        b, 60e-9, spectrum=plain.spectrum, g_s=1, thickness=d, reduction=cut.reduction
    )
    np.testing.assert_allclose(cut(b, l_phi=60e-9, alpha=1.0), want, rtol=1e-12)
    # B* = sqrt(3 / c) hbar / (e d l_phi): the field where the reduced mass is l_phi^-2
    r = _round_trip(cut, np.linspace(0, 3.0, 13), 80e-9, seed=3)
    b_star = r.derived["b_star_T"][0]
    assert b_star == pytest.approx(
        np.sqrt(3 / cut.reduction) * ls.HBAR_OVER_E / (d * r.values["l_phi"]), rel=1e-12
    )
    # the cross-section model responds less than the uniform mass (d k ~ 0.2 here)
    xs = fits.FiniteFilmParallel(g_s=1, width=w, length=length, thickness=d, max_nodes=400,
                                 cross_section=True)  # fmt: skip
    ratio = xs([0.2], l_phi=60e-9, alpha=1.0) / plain([0.2], l_phi=60e-9, alpha=1.0)
    assert 0.8 < ratio[0] < 0.99
    _round_trip(xs, np.linspace(0, 3.0, 13), 80e-9, seed=5)
    # a plot's dense trace costs MAX_FIELDS eigenproblems, and follows the exact curve
    dense = np.linspace(-3.0, 3.0, 401)
    exact = xs(np.array([0.3, 1.7]), l_phi=60e-9, alpha=1.0)
    curve = xs(dense, l_phi=60e-9, alpha=1.0)
    assert len(xs.strip._cache) <= 2 * fits.finite.MAX_FIELDS + 20
    np.testing.assert_allclose(np.interp([0.3, 1.7], dense, curve), exact, rtol=2e-3)
    with pytest.raises(ValueError, match="mean_free_path must be > 0"):
        fits.FiniteFilmParallel(g_s=1, width=w, length=length, thickness=d, mean_free_path=-1e-9)
    with pytest.raises(ValueError, match="mean_free_path must be > 0"):
        fits.ParallelField(g_s=1, thickness=d, mean_free_path=0.0)
    with pytest.raises(ValueError, match="reduction must be in"):
        finite_film_cross_section(b, 60e-9, strip=xs.strip, width=w, g_s=1, reduction=1.5)


def test_parallel_field_sheet_law_with_flux_cancellation():
    # the sheet law's l_phi from B*: sqrt(3 / c) hbar / (e d B*)
    d, ell = 10e-9, 5e-9
    m = fits.ParallelField(g_s=2, thickness=d, mean_free_path=ell)
    c = ls.flux_cancellation(0.5, dim=3)
    out = m.derived({"b_star": 0.1, "alpha": 1.0}, {"b_star": 0.0}, None)
    assert out["l_phi_nm"][0] == pytest.approx(np.sqrt(3 / c) * ls.HBAR_OVER_E / (d * 0.1) * 1e9)


def test_in_plane_fit_flags_contact_limited_samples():
    """L < 5 l_phi: the regime where the in-plane fit was measured low on lattice slabs."""
    w, length, d = 250e-9, 250e-9, 12e-9
    m = fits.FiniteFilmParallel(g_s=1, width=w, length=length, thickness=d, max_nodes=400,
                                alpha=1.0)  # fmt: skip
    b = np.linspace(0, 4.0, 13)
    for l_phi, apart in ((100e-9, "2.5"), (40e-9, None)):  # L = 2.5 and 6.25 l_phi
        r = m.fit(b, m(b, l_phi=l_phi), sigma=1e-3)
        assert r.values["l_phi"] == pytest.approx(l_phi, rel=1e-3)
        hits = [f.message for f in r.flags if f.kind == "uncertain" and "contacts are" in f.message]
        if apart is None:
            assert hits == [], r.warnings
        else:
            assert len(hits) == 1 and f"{apart} l_phi apart" in hits[0], r.warnings
            assert r.ok  # a caution, not a failure


# -- spin-orbit scattering on the device ---------------------------------------------------------


def test_finite_film_spin_orbit_limits():
    """B_so = 0 is finite_film with alpha = 1; B_so >> B_tr is alpha = -1/2 (exact identities);
    a large film tends to (W/L) hln_spin_orbit."""
    from fits.finite import CooperonSpectrum, finite_film, finite_film_spin_orbit

    w = length = 2e-6
    sp = CooperonSpectrum(w, length, max_nodes=1600)
    b = np.linspace(-2e-3, 2e-3, 15)
    l_phi, b_tr = 2e-7, 0.05
    wl = finite_film(b, l_phi, 1.0, spectrum=sp, g_s=2, b_tr=b_tr)
    np.testing.assert_allclose(finite_film_spin_orbit(b, l_phi, 0.0, spectrum=sp, g_s=2,
                                                      b_tr=b_tr), wl, atol=1e-15)  # fmt: skip
    wal = finite_film(b, l_phi, -0.5, spectrum=sp, g_s=2, b_tr=b_tr)
    np.testing.assert_allclose(finite_film_spin_orbit(b, l_phi, 10.0, spectrum=sp, g_s=2,
                                                      b_tr=b_tr), wal, atol=1e-15)  # fmt: skip
    # hln_so caps the triplet at B_tr the same way: B_so >> B_tr is HLN with alpha = -1/2
    np.testing.assert_allclose(ls.hln_spin_orbit(b, 1e-3, 10.0, g_s=2, b_tr=b_tr),
                               ls.hln(b, 1e-3, -0.5, g_s=2, b_tr=b_tr), atol=1e-15)  # fmt: skip


def test_finite_film_spin_orbit_fit_recovers_its_inputs():
    from fits.finite import CooperonSpectrum, finite_film_spin_orbit

    w = length = 2e-6
    sp = CooperonSpectrum(w, length, max_nodes=1600)
    b = np.linspace(0, 4e-3, 17)
    l_phi, b_tr = 2e-7, 0.05
    b_so = 3 * float(ls.b_from_length(l_phi))
    sigma = np.full(b.size, 1e-6)
    y = finite_film_spin_orbit(b, l_phi, b_so, spectrum=sp, g_s=2, b_tr=b_tr)
    y = y + sigma * np.random.default_rng(1).normal(size=b.size)
    r = fits.build_model("finite_film_so", g_s=2, width=w, length=length, b_tr=b_tr).fit(
        b, y, sigma
    )
    assert abs(r.values["l_phi"] - l_phi) < 3 * r.stderr["l_phi"] + 1e-3 * l_phi
    assert abs(r.values["b_so"] - b_so) < 3 * r.stderr["b_so"] + 1e-3 * b_so
    assert {"b_so_T", "l_so_nm", "l_phi_nm"} <= set(r.to_dict())


def test_finite_film_zeeman_limits():
    """The in-plane Zeeman model: omega_Z = |g| mu_B B / hbar; a strong field removes the singlet and
    the triplet along B exactly; in the strong spin-orbit limit the singlet relaxes at the extra
    rate omega_Z^2 tau_so (Maekawa-Fukuyama), to first order in tau_phi / tau_so."""
    from scipy import constants as sc

    from cooperon.constants import LARMOR_PER_T
    from fits.finite import finite_film_zeeman, zero_field

    assert LARMOR_PER_T * sc.hbar == pytest.approx(sc.physical_constants["Bohr magneton"][0],
                                                   rel=1e-12)  # fmt: skip
    w = length = 2e-6
    sp = CooperonSpectrum(w, length, max_nodes=1600)
    l_phi, d = 2e-7, 0.01  # [m], [m^2/s]
    kw = dict(g_factor=-2.0, diffusion=d, spectrum=sp, g_s=2)
    m_phi = l_phi**-2
    b_so = 3000 * float(ls.b_from_length(l_phi))  # m_so = 4 e B_so / hbar = 3000 m_phi
    m_1 = m_phi + 4 * b_so / ls.HBAR_OVER_E
    assert finite_film_zeeman(np.array([0.0]), l_phi, b_so, **kw)[0] == 0.0
    assert np.all(np.diff(finite_film_zeeman(np.linspace(0, 5, 6), l_phi, b_so, **kw)) < 0)
    # B -> infinity: the singlet and the triplet along B drop out, the other two triplets stay
    lam = sp.eigenvalues(0.0)
    gone = 2 * 2 / sp.diffusive_length**2 * np.sum(0.5 / (lam + m_1) - 0.5 / (lam + m_phi))
    assert finite_film_zeeman(np.array([1e9]), l_phi, b_so, **kw)[0] == pytest.approx(
        gone, rel=1e-9
    )
    # weak field, strong spin-orbit: the singlet alone with 1/l_phi^2 -> 1/l_phi^2 + m_Z^2 / m_so
    for b in (30.0, 100.0):
        m_z = 2.0 * LARMOR_PER_T * b / d
        gamma = m_z**2 / (m_1 - m_phi)
        assert 0.05 < gamma / m_phi < 3
        want = zero_field((m_phi + gamma) ** -0.5, -0.5, spectrum=sp, g_s=2) - zero_field(
            l_phi, -0.5, spectrum=sp, g_s=2)  # fmt: skip
        got = finite_film_zeeman(np.array([b]), l_phi, b_so, **kw)[0]
        assert got == pytest.approx(want, rel=0.015)  # measured 0.5%


def test_finite_film_zeeman_fit_recovers_b_so_with_l_phi_held():
    from fits.finite import finite_film_zeeman

    w = length = 1e-6
    sp = CooperonSpectrum(w, length, max_nodes=900)
    l_phi, d, b_tr = 1.5e-7, 0.01, 0.5
    b_so = 20 * float(ls.b_from_length(l_phi))
    b = np.linspace(0, 4.0, 13)
    y = finite_film_zeeman(b, l_phi, b_so, g_factor=2.0, diffusion=d, spectrum=sp, g_s=2,
                           b_tr=b_tr)  # fmt: skip
    sigma = np.full(b.size, 2e-4)
    y = y + sigma * np.random.default_rng(3).normal(size=b.size)
    model = fits.build_model("finite_film_zeeman", g_s=2, width=w, length=length, g_factor=2.0,
                             diffusion=d, l_phi=l_phi, b_tr=b_tr, max_nodes=900)  # fmt: skip
    assert model.axis == "b_par" and [p.name for p in model.free] == ["b_so"]
    r = model.fit(b, y, sigma)
    assert abs(r.values["b_so"] - b_so) < K * r.stderr["b_so"]
    assert r.values["l_phi"] == l_phi
    # the default window: Zeeman splitting up to a quarter of the spin-orbit splitting 2 alpha k_F
    from scipy import constants as sc

    windowed = fits.build_model("finite_film_zeeman", g_s=2, width=w, length=length,
                                g_factor=-15.0, diffusion=d, spin_orbit_splitting=14.0)  # fmt: skip
    mu_b = 1e3 * sc.physical_constants["Bohr magneton in eV/T"][0]
    assert windowed.validity_bmax() == pytest.approx(0.25 * 14.0 / (15.0 * mu_b), rel=1e-12)
    assert model.validity_bmax() is None
    with pytest.raises(ValueError, match="non-zero g factor"):
        fits.build_model("finite_film_zeeman", g_s=2, width=w, length=length, g_factor=0.0,
                         diffusion=d)  # fmt: skip
    with pytest.raises(ValueError, match="g_s is the degeneracy"):
        fits.build_model("finite_film_zeeman", g_s=1, width=w, length=length, g_factor=2.0,
                         diffusion=d)  # fmt: skip
    with pytest.raises(ValueError, match="needs the sample's g_factor"):
        fits.build_model("finite_film_zeeman", g_s=2, width=w, length=length, diffusion=d)


def test_rashba_triplet_links_give_the_dyakonov_perel_rates_and_the_7_16_mode():
    """The lattice symbol of the triplet operator, sum_d (2 - U_d e^(i q h) - h.c.) / h^2, has at
    q = 0 the D'yakonov-Perel rates a^2 (1, 1, 2) and, minimised over q, the slow mode of the
    continuum Rashba triplet, (7/16) a^2 at abs(q) = (sqrt(15)/4) a: both to O((a h)^2)."""
    a = 1 / 50e-9  # L_so = 50 nm; grid 1 nm: a h = 0.02
    trip = RashbaTripletSpectrum(CooperonSpectrum(1e-6, 1e-6, max_nodes=10**6))
    ux, uy = trip.links(a)

    def symbol(qx, qy):
        return sum((2 * np.eye(3) - u * np.exp(1j * q * h) - (u * np.exp(1j * q * h)).conj().T)
                   / h**2 for u, q, h in ((ux, qx, trip.base.hx), (uy, qy, trip.base.hy)))  # fmt: skip

    assert np.allclose(symbol(0, 0), symbol(0, 0).conj().T)
    assert np.linalg.eigvalsh(symbol(0, 0)) / a**2 == pytest.approx([1, 1, 2], rel=1e-3)
    q = np.linspace(0.5, 1.5, 2001) * a
    low = [np.linalg.eigvalsh(symbol(x, 0))[0] for x in q]
    k = int(np.argmin(low))
    assert low[k] / a**2 == pytest.approx(7 / 16, rel=1e-3)
    assert q[k] / a == pytest.approx(math.sqrt(15) / 4, abs=1e-3)
    # isotropic in the plane: the same slow mode along y
    assert np.linalg.eigvalsh(symbol(0, q[k]))[0] == pytest.approx(low[k], rel=1e-6)


def test_rashba_triplet_spectrum_limits():
    """a = 0: three copies of the scalar spectrum (exact); B_so = 0: finite_film with alpha = 1;
    the spectrum is even in B; weak antilocalization is weaker than with the isotropic triplets of
    the same mean rate (the slow mode keeps a triplet alive)."""
    sp = CooperonSpectrum(60e-9, 60e-9, max_nodes=400)
    trip = RashbaTripletSpectrum(sp)
    assert np.array_equal(trip.eigenvalues(0.3, 0.0), np.repeat(sp.eigenvalues(0.3), 3))
    b = np.array([0.0, 0.1, 0.3, 0.6])
    kw = dict(g_s=2, b_tr=3.0)
    assert finite_film_rashba(b, 25e-9, 0.0, triplets=trip, **kw) == pytest.approx(
        finite_film(b, 25e-9, 1.0, spectrum=sp, **kw), rel=1e-12, abs=1e-15
    )
    a = 1 / 15e-9
    assert trip.eigenvalues(0.3, a) == pytest.approx(trip.eigenvalues(-0.3, a), rel=1e-10)
    b_so = 0.3  # [T]: L_so = 23 nm
    rashba = finite_film_rashba(b, 25e-9, b_so, triplets=trip, **kw)
    iso = fits.finite.finite_film_spin_orbit(b, 25e-9, b_so, spectrum=sp, **kw)
    assert np.all(rashba[1:] > iso[1:])
    with pytest.raises(ValueError, match="not resolved"):
        trip.eigenvalues(0.1, 1 / 2e-9)


def test_rashba_b_so_nodes_interpolate_the_exact_curve():
    """Between the B_so nodes (four per octave) the cubic in ln B_so, and below the first node the
    line in B_so from B_so = 0, follow the curve solved at B_so itself to 1e-3 of its amplitude
    (measured: 6e-5 at worst on a 100 x 100-site film); on a node the stencil is that node."""
    sp = CooperonSpectrum(0.6e-6, 0.6e-6, max_nodes=150)
    trip = RashbaTripletSpectrum(sp)
    ref, top = trip.b_so_ref, trip.b_so_max
    for x in (0.4 * ref, 1.3 * ref, 2.9 * ref, 0.37 * top, 0.93 * top):
        st = trip.stencil(x)
        assert sum(w for _, w in st) == pytest.approx(1.0, abs=1e-12)
    assert trip.stencil(8 * ref) == [(pytest.approx(8 * ref, rel=1e-12), 1.0)]
    b = np.linspace(0.0, 0.03, 7)
    kw = dict(triplets=trip, g_s=2, b_tr=0.2)
    for x in (0.4 * ref, 37 * ref, 0.37 * top, 0.93 * top):
        exact = finite_film_rashba(b, 150e-9, x, exact=True, **kw)
        assert np.max(np.abs(finite_film_rashba(b, 150e-9, x, **kw) - exact)) < 1e-3 * np.ptp(exact)
    with pytest.raises(ValueError, match="raise max_nodes"):
        trip.stencil(1.01 * top)


def test_finite_film_rashba_fit_recovers_its_inputs_with_honest_errors():
    """Curves of the Rashba triplet model (solved at the true B_so, between nodes) with 2% noise,
    fitted by ``finite_film_rashba`` 60 times: the pulls of l_phi and B_so have mean 0 within
    0.4 and spread 0.7 to 1.3, and at least 30 of 60 one-s.e. intervals cover the truth (68% is
    41; the quoted errors may be conservative, not small)."""
    w = 0.6e-6
    model = fits.build_model("finite_film_rashba", g_s=2, width=w, length=w, b_tr=0.2,
                             max_nodes=150)  # fmt: skip
    l_phi = 150e-9
    b_so = 1.5 * float(ls.b_from_length(l_phi))
    b = np.linspace(0, 4 * float(ls.b_from_length(l_phi)), 9)
    truth = finite_film_rashba(b, l_phi, b_so, triplets=model.triplets, g_s=2, b_tr=0.2,
                               exact=True)  # fmt: skip
    sigma = np.full(b.size, 0.02 * np.ptp(truth))
    rng = np.random.default_rng(3)
    pulls = []
    for _ in range(60):
        r = model.fit(b, truth + sigma * rng.normal(size=b.size), sigma, errors="fast")
        pulls.append(
            [(r.values[k] - v) / r.stderr[k] for k, v in (("l_phi", l_phi), ("b_so", b_so))]
        )
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls.mean(axis=0)) < 0.4)
    assert np.all((0.7 < pulls.std(axis=0)) & (pulls.std(axis=0) < 1.3))
    assert np.all(np.sum(np.abs(pulls) < 1, axis=0) >= 30)
    assert {"b_so_T", "l_so_nm", "l_phi_nm"} <= set(r.to_dict())
    with pytest.raises(ValueError, match="g_s"):
        fits.build_model("finite_film_rashba", g_s=1, width=w, length=w)


def test_rashba_triplets_in_a_narrow_wire_relax_as_w_squared():
    """A wire narrower than L_so (reflecting edges): the transverse average of the spin-orbit
    field is a pure gauge along the wire, and what relaxes spin is its spread across the width,
    so the three slowest triplets relax at D a^2 (a W)^2 / 12 x (1/2, 1/2, 1) above the lowest
    mode along the wire (a = 1/L_so; the dimensional reduction of spin relaxation, Kettemann
    2007), against a^2 (1, 1, 2) in a film. Here a W = 0.25 and a L = 10: the corrections are
    O((a W)^2) and O(1/(a L)^2), 3% allowed (measured 2%); the grid's <y^2> across its 12
    cells is W^2/12 (1 - 1/12^2)."""
    a = 1 / 100e-9
    w, length = 0.25 / a, 10 / a
    sp = CooperonSpectrum(w, length, max_nodes=51 * 12)
    ev = RashbaTripletSpectrum(sp).eigenvalues(0.0, a)
    lowest = (2 - 2 * math.cos(math.pi / sp.nx)) / sp.hx**2  # the scalar mode along the wire
    scale = a**4 * w**2 * (1 - 1 / sp.ny**2) / 12
    assert (ev[:3] - lowest) / scale == pytest.approx([0.5, 0.5, 1.0], rel=0.03)
    assert ev[3] - lowest > 10 * scale  # the next mode is the next one along the wire
