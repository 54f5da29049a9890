"""Fits: line-shape limits, conventions, round trips and bad input.

fits/ must not import Kwant: it serves measured data too (checked in a
subprocess so that other tests' imports do not hide it).
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import constants as sc

import fits
from fits import lineshapes as ls

K = 3.0  # round trips: recovered within K standard errors


def test_fits_does_not_import_kwant():
    code = "import sys, fits, fits.data, fits.models; sys.exit('kwant' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# -- line shapes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "value", "tol"),
    [(10, 4.16e-4, 5e-7), (1, 0.03649, 5e-6), (0.1, 0.7620, 5e-5), (0.01, 2.690, 5e-4)],
)
def test_hln_function_reference_values(x, value, tol):
    assert ls.F(np.array([x]))[0] == pytest.approx(value, abs=tol)


def test_hln_function_limits():
    # x >> 1 (B << B_phi): series 1/(24 x^2) - 7/(960 x^4); both branches agree at the switch.
    x = np.array([29.999, 30.001, 50.0, 1e4])
    series = 1 / (24 * x**2) - 7 / (960 * x**4)
    assert np.allclose(ls.F(x), series, rtol=1e-6, atol=0)
    from scipy import special

    direct = special.digamma(0.5 + 20.0) - np.log(20.0)
    assert ls.F(np.array([20.0]))[0] == pytest.approx(direct, rel=1e-12)
    # x << 1: ln(1/x) - gamma_E - 2 ln 2 = ln(1/x) - 1.9635
    x = 1e-7
    assert ls.F(np.array([x]))[0] == pytest.approx(np.log(1 / x) - 1.96351, abs=1e-5)


def test_b_phi_of_one_micron():
    # reference sheet: l_phi = 1 um -> B_phi = hbar/(4 e l_phi^2) = 1.6455e-4 T
    assert ls.b_from_length(1e-6) == pytest.approx(1.6455e-4, rel=1e-4)
    assert ls.length_from_b(ls.b_from_length(3.7e-7)) == pytest.approx(3.7e-7, rel=1e-14)


def test_hln_small_field_series_and_zero():
    b = np.array([0.0, 1e-7, 2e-7])
    b_phi = 1e-3
    y = ls.hln(b, b_phi, 1.0, g_s=2)
    assert y[0] == 0
    # dsigma = (1/pi) (B/B_phi)^2 / 24 for g_s = 2, alpha = 1
    assert y[1:] == pytest.approx((1 / np.pi) * (b[1:] / b_phi) ** 2 / 24, rel=1e-6)
    assert np.array_equal(ls.hln(-b, b_phi, 1.0, g_s=2), y)  # even in B


def test_spinless_vs_spin_degenerate_factor_two():
    b = np.linspace(0, 1e-2, 7)
    assert np.allclose(ls.hln(b, 1e-3, 1, g_s=2), 2 * ls.hln(b, 1e-3, 1, g_s=1), rtol=1e-15)
    kw = dict(width=1e-7, length=1e-5)
    assert np.allclose(ls.wire(b, 1e-6, g_s=2, **kw), 2 * ls.wire(b, 1e-6, g_s=1, **kw), rtol=1e-15)
    assert np.allclose(
        ls.parallel_field(b, 0.1, g_s=2), 2 * ls.parallel_field(b, 0.1, g_s=1), rtol=1e-15
    )


def test_spin_orbit_limits():
    b = np.geomspace(1e-5, 1e-1, 30)
    b_phi = 1e-3
    # B_so = 0: weak localization, alpha = 1
    assert np.allclose(
        ls.hln_spin_orbit(b, b_phi, 0.0, g_s=2), ls.hln(b, b_phi, 1.0, g_s=2), rtol=1e-12
    )
    # B_so >> B, B_phi: strong spin-orbit, alpha = -1/2
    wal = ls.hln_spin_orbit(b, b_phi, 1e6, g_s=2)
    assert np.allclose(wal, ls.hln(b, b_phi, -0.5, g_s=2), rtol=1e-6, atol=1e-12)


def test_hln_transport_field_form():
    # [psi(1/2+B_phi/B) - psi(1/2+B_tr/B) - ln(B_phi/B_tr)] / pi, written out
    from scipy import special

    b, b_phi, b_tr = np.array([3e-3, 2e-2]), 1e-3, 0.5
    direct = (
        special.digamma(0.5 + b_phi / b) - special.digamma(0.5 + b_tr / b) - np.log(b_phi / b_tr)
    ) / np.pi
    assert np.allclose(ls.hln(b, b_phi, 1.0, g_s=2, b_tr=b_tr), direct, rtol=1e-10)


def test_wire_limits():
    w, length = 50e-9, 20e-6
    # (1/x) coth x - 1/x^2: 1/3 for x -> 0 and 1/x for x -> inf
    assert ls._tm(np.array([1e-5]))[0] == pytest.approx(1 / 3, rel=1e-9)
    assert ls._tm(np.array([1e3]))[0] == pytest.approx(1e-3 - 1e-6, rel=1e-9)
    # finite wire with l_phi >> L: WL correction -g_s/3 at B = 0, removed by a strong field
    big = ls.wire_finite(np.array([1e3]), 1.0, width=w, length=1e-6, g_s=1)[0]
    assert big == pytest.approx(1 / 3, rel=1e-3)
    # L >> L_N: dG(0) = -g_s L_N/L, and the infinite-wire formula with l -> 0 agrees
    b = np.linspace(0, 0.5, 9)
    a = ls.wire_finite(b, 1e-6, width=w, length=length, g_s=2)
    c = ls.wire(b, 1e-6, width=w, length=length, g_s=2)
    # for L >> L_N, coth -> 1 and the two differ only by the (L_N/L)^2 term
    l_n = (1e-6**-2 + (b * w / (np.sqrt(3) * sc.hbar / sc.e)) ** 2) ** -0.5
    assert np.allclose(a, c + 2 * ((l_n / length) ** 2 - (1e-6 / length) ** 2), rtol=0, atol=1e-12)
    # small-argument branch of (1/x) coth x - 1/x^2 is continuous
    x = np.array([0.00999999, 0.01000001])
    assert abs(np.diff(ls._tm(x))[0]) < 1e-9


def test_parallel_field_characteristic_field():
    # B* = sqrt(3) hbar/(e d l_phi): d = 10 nm, l_phi = 1 um -> 0.114 T (reference sheet)
    d, l_phi = 10e-9, 1e-6
    b_star = np.sqrt(3) * sc.hbar / (sc.e * d * l_phi)
    assert b_star == pytest.approx(0.114, abs=5e-4)
    y = ls.parallel_field(np.array([b_star]), b_star, 1.0, g_s=2)
    assert y[0] == pytest.approx(np.log(2) / np.pi, rel=1e-14)


# -- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("b_phi", [1e-4, 3e-4, 1e-3])
def test_hln_round_trip(b_phi):
    rng = np.random.default_rng(7)
    b = np.linspace(0, 8 * b_phi * 5, 80)
    noise = 3e-3
    y = ls.hln(b, b_phi, 0.8, g_s=2) + rng.normal(0, noise, b.size)
    r = fits.HLN(g_s=2).fit(b, y, sigma=noise, diffusion=0.02)
    assert abs(r.values["b_phi"] - b_phi) < K * r.stderr["b_phi"]
    assert abs(r.values["alpha"] - 0.8) < K * r.stderr["alpha"]
    assert r.ok and 0.6 < r.reduced_chi2 < 1.5
    l_phi = ls.length_from_b(b_phi)
    assert abs(r.derived["tau_phi_ps"][0] - l_phi**2 / 0.02 * 1e12) < K * r.derived["tau_phi_ps"][1]


def test_hln_round_trip_statistics():
    # Over many noise draws the pull (fit - truth)/stderr has unit spread.
    rng = np.random.default_rng(3)
    b = np.linspace(0, 4e-3, 50)
    pulls = []
    for _ in range(40):
        y = ls.hln(b, 3e-4, 1.0, g_s=1) + rng.normal(0, 1e-3, b.size)
        r = fits.HLN(g_s=1).fit(b, y, sigma=1e-3)
        pulls.append((r.values["b_phi"] - 3e-4) / r.stderr["b_phi"])
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 3 / np.sqrt(len(pulls)) + 0.1
    assert 0.6 < pulls.std() < 1.5


def test_spin_orbit_round_trip():
    rng = np.random.default_rng(5)
    b = np.linspace(0, 6e-3, 80)
    y = ls.hln_spin_orbit(b, 2e-4, 1e-3, g_s=2) + rng.normal(0, 2e-3, b.size)
    r = fits.HLNSpinOrbit(g_s=2).fit(b, y, sigma=2e-3)
    assert abs(r.values["b_phi"] - 2e-4) < K * r.stderr["b_phi"]
    assert abs(r.values["b_so"] - 1e-3) < K * r.stderr["b_so"]


@pytest.mark.parametrize("model", ["wire", "wire_finite"])
def test_wire_round_trip(model):
    rng = np.random.default_rng(11)
    w, length, l_phi = 100e-9, 10e-6, 8e-7
    b = np.linspace(0, 0.3, 60)
    m = fits.build_model(model, g_s=1, width=w, length=length)
    y = m(b, l_phi=l_phi) + rng.normal(0, 2e-4, b.size)
    r = m.fit(b, y, sigma=2e-4)
    assert abs(r.values["l_phi"] - l_phi) < K * r.stderr["l_phi"]


def test_parallel_round_trip():
    rng = np.random.default_rng(2)
    d = 8e-9
    m = fits.ParallelField(g_s=2, thickness=d)
    b = np.linspace(0, 1.0, 60)
    y = m(b, b_star=0.2, alpha=1.0) + rng.normal(0, 3e-3, b.size)
    r = m.fit(b, y, sigma=3e-3)
    assert abs(r.values["b_star"] - 0.2) < K * r.stderr["b_star"]
    l_phi = np.sqrt(3) * sc.hbar / (sc.e * d * 0.2)
    assert r.derived["l_phi_nm"][0] == pytest.approx(l_phi * 1e9, rel=5 * r.stderr["b_star"] / 0.2)


# -- results -------------------------------------------------------------------------------


def test_result_dict_report_and_plot(tmp_path):
    b = np.linspace(0, 3e-3, 40)
    y = ls.hln(b, 2e-4, 1.0, g_s=2) + np.random.default_rng(0).normal(0, 1e-3, b.size)
    r = fits.HLN(g_s=2).fit(b, y, sigma=1e-3, diffusion=0.01)
    d = json.loads(json.dumps(r.to_dict()))
    for key in ("b_phi_T", "l_phi_nm", "alpha", "tau_phi_ps", "reduced_chi2", "field_window_T"):
        assert key in d
    for key in ("b_phi_T", "l_phi_nm", "alpha", "tau_phi_ps"):
        assert d[f"{key}_stderr"] > 0
    assert d["l_phi_nm"] == pytest.approx(ls.length_from_b(d["b_phi_T"]) * 1e9, rel=1e-12)
    text = r.report()
    assert "b_phi" in text and "mT" in text and "tau_phi" in text
    r.plot(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").stat().st_size > 1000


def test_window_restricts_points():
    b = np.linspace(0, 1e-2, 101)
    y = ls.hln(b, 5e-4, 1.0, g_s=2)
    r = fits.HLN(g_s=2).fit(b, y, window=5e-3)
    assert len(r.b) == 51 and r.window == 5e-3
    # with B_tr known the default window is B_tr/2
    r = fits.HLN(g_s=2, b_tr=1e-2).fit(b, ls.hln(b, 5e-4, 1.0, g_s=2, b_tr=1e-2))
    assert r.window == 5e-3
    assert r.values["b_phi"] == pytest.approx(5e-4, rel=1e-6)


# -- bad input ---------------------------------------------------------------------------------


def test_bad_fit_input():
    b = np.linspace(0, 1e-2, 20)
    y = ls.hln(b, 1e-3, 1.0, g_s=2)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="NaN/inf.*index \\[3\\]"):
        fits.HLN(g_s=2).fit(b, y_nan)
    with pytest.raises(ValueError, match="too few points to fit: 4"):
        fits.HLN(g_s=2).fit(b[:4], y[:4])
    with pytest.raises(ValueError, match="g_s is the degeneracy of the conductance: 1 or 2"):
        fits.HLN(g_s=3)
    # a sweep that never reaches B_phi: B_phi and alpha degenerate, flagged (not an exception)
    b_small = np.linspace(0, 5e-5, 30)
    y_small = ls.hln(b_small, 1e-3, 1.0, g_s=2) + np.random.default_rng(1).normal(0, 1e-7, 30)
    r = fits.HLN(g_s=2).fit(b_small, y_small, sigma=1e-7)
    assert not r.ok and any(f.kind == "undetermined" and "never reaches" in f.message
                            for f in r.flags)  # fmt: skip


def test_antilocalization_fitted_with_wl_is_flagged():
    rng = np.random.default_rng(4)
    b = np.linspace(0, 5e-3, 60)
    y = ls.hln(b, 3e-4, -0.5, g_s=2) + rng.normal(0, 2e-3, b.size)
    r = fits.HLN(g_s=2, alpha=1.0).fit(b, y, sigma=2e-3)
    assert not r.ok
    assert any(f.kind == "poor_fit" and "opposite sign" in f.message for f in r.flags)
    # unweighted too
    r = fits.HLN(g_s=2, alpha=1.0).fit(b, y)
    assert not r.ok


# -- quasi-ballistic flux cancellation ------------------------------------------------


def _bounce_phase_rate(ratio, dim, samples, rng):
    """Monte Carlo of the flux cancellation, independent of the Fourier series.

    Free flights of exponential length (mean l) with isotropic directions in a
    slab 0 < z < d with specular walls (unfolded: z is a triangle wave of the
    free coordinate w, period 2d). The phase rate is (z - d/2) v_x; the sign of
    v_x is redrawn at each collision, so flights add their phase variances and
    the growth rate is <(v_x int_0^t (z - d/2) ds)^2> / (2 tau), integrated
    exactly along each flight (piecewise-quadratic antiderivative). Returns it
    over the dirty-limit rate <v_x^2> tau d^2/12 with its standard error.
    Units: d = 1, v = 1.
    """
    d, ell = 1.0, ratio
    w0 = rng.uniform(0, 2 * d, samples)
    t = rng.exponential(ell, samples)
    if dim == 3:
        u = rng.uniform(-1, 1, samples)  # cos of the angle to z
        phi = rng.uniform(0, 2 * np.pi, samples)
        v_z, v_x = u, np.sqrt(1 - u**2) * np.cos(phi)
    else:
        phi = rng.uniform(0, 2 * np.pi, samples)
        v_z, v_x = np.sin(phi), np.cos(phi)

    def antiderivative(w):  # of tri(w) - d/2 over one period, zero at 0 and 2d
        w = np.mod(w, 2 * d)
        return np.where(w < d, w**2 / 2 - d * w / 2, 1.5 * d * (w - d) - (w**2 - d**2) / 2)

    def tri(w):
        w = np.mod(w, 2 * d)
        return np.where(w < d, w, 2 * d - w)

    with np.errstate(divide="ignore", invalid="ignore"):
        integral = (antiderivative(w0 + v_z * t) - antiderivative(w0)) / v_z
    flat = np.abs(v_z * t) < 1e-9
    integral[flat] = (tri(w0[flat]) - d / 2) * t[flat]
    x = (v_x * integral) ** 2 / (2 * ell)  # tau = l / v
    dirty = (1.0 / dim) * ell * d**2 / 12  # <v_x^2> tau d^2 / 12
    return x.mean() / dirty, x.std() / np.sqrt(samples) / dirty


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("ratio", [0.3, 1.0, 4.0])
def test_flux_cancellation_against_trajectory_monte_carlo(ratio, dim):
    rng = np.random.default_rng(12345)
    mc, err = _bounce_phase_rate(ratio, dim, 400_000, rng)
    c = ls.flux_cancellation(ratio, dim=dim)
    assert abs(mc - c) < 4 * err, (ratio, dim, mc, err, c)
    assert err < 0.03 * c  # the comparison is sharp enough to see a factor


def test_flux_cancellation_limits():
    # dirty limit l << d: 1 - 2.4 r^2 (film), 1 - 3 r^2 (wire); the next order is O(r^3)
    r = 1e-3
    assert (1 - ls.flux_cancellation(r, dim=3)) / r**2 == pytest.approx(2.4, abs=0.01)
    assert (1 - ls.flux_cancellation(r, dim=2)) / r**2 == pytest.approx(3.0, abs=0.01)
    assert ls.flux_cancellation(0.0, dim=3) == pytest.approx(1.0, abs=1e-10)
    # pure metal, wire: tau_B = C1 l_m^4 / (W^3 v_F) with C1 = 9.5 for specular edges
    # (Beenakker and van Houten 1988); the dirty rate is v l W^2 / (6 l_m^4), so C1 = 6 / (c r)
    r = 1e3
    assert 6 / (ls.flux_cancellation(r, dim=2) * r) == pytest.approx(9.5, abs=0.05)
    assert ls.flux_cancellation(r, dim=3) * r == pytest.approx(0.742, abs=0.002)
    # monotone in between, arrays keep their shape
    c = ls.flux_cancellation(np.array([[0.1, 0.3], [1.0, 3.0]]), dim=3)
    assert c.shape == (2, 2) and np.all(np.diff(c.ravel()) < 0)


def test_flux_cancellation_rejects_bad_input():
    with pytest.raises(ValueError, match="dim is 3"):
        ls.flux_cancellation(0.3, dim=1)
    with pytest.raises(ValueError, match="finite and >= 0"):
        ls.flux_cancellation(-0.3, dim=3)
    with pytest.raises(ValueError, match="finite and >= 0"):
        ls.flux_cancellation(np.nan, dim=2)


# -- graphene -----------------------------------------------------------------------------


def test_graphene_limits():
    b = np.geomspace(1e-5, 1e-1, 40)
    b_phi = 1e-3
    # fast intervalley and intravalley scattering: HLN weak localization, spin-degenerate
    wl = ls.graphene(b, b_phi, 1e6, 1e6)
    assert np.allclose(wl, ls.hln(b, b_phi, 1.0, g_s=2), rtol=1e-6, atol=1e-12)
    # no spin-orbit: McCann-Fal'ko reduces to graphene WL with fast intervalley scattering
    assert np.allclose(ls.graphene_spin_orbit(b, b_phi, 0.0, 0.0), wl, rtol=1e-6, atol=1e-12)
    # strong asymmetric spin-orbit: antilocalization, HLN with alpha = -1/2 (g_s = 2)
    wal = ls.graphene_spin_orbit(b, b_phi, 1e6, 1e6)
    assert np.allclose(wal, ls.hln(b, b_phi, -0.5, g_s=2), rtol=1e-6, atol=1e-12)
    # z -> -z symmetric spin-orbit only (B_asy = 0): dephasing-like saturation, no sign change
    sym = ls.graphene_spin_orbit(b, b_phi, 0.0, 1e6)
    assert np.all(sym >= -1e-12)


def test_graphene_spin_orbit_round_trip_and_times():
    rng = np.random.default_rng(8)
    b = np.linspace(0, 0.02, 120)
    y = ls.graphene_spin_orbit(b, 2e-4, 1e-3, 8e-3) + rng.normal(0, 1e-3, b.size)
    r = fits.GrapheneSpinOrbit().fit(b, y, sigma=1e-3, diffusion=0.01, errors="fast")
    for name, true in (("b_phi", 2e-4), ("b_asy", 1e-3), ("b_so", 8e-3)):
        assert abs(r.values[name] - true) < 3 * r.stderr[name], name
    # tau_x = hbar / (4 e D B_x)
    tau_so = ls.HBAR_OVER_E / (4 * 0.01 * r.values["b_so"]) * 1e12
    assert r.derived["tau_so_ps"][0] == pytest.approx(tau_so, rel=1e-12)
    assert "tau_asy_ps" in r.derived and "tau_sym_ps" in r.derived
    with pytest.raises(ValueError, match="degeneracy of the conductance: 4"):
        fits.Graphene(g_s=2)


# -- registry, applicability, offset, JSON -----------------------------------------------------


def test_registry_is_the_one_list_of_models():
    from cooperon import spec

    assert set(fits.MODELS) == {"hln", "hln_so", "ilp", "wire", "wire_finite", "parallel", "finite_film",
                                "finite_film_so", "finite_film_rashba", "finite_film_zeeman",
                                "finite_parallel", "graphene", "graphene_so"}  # fmt: skip
    assert set(spec.fit_models()) == {*fits.MODELS, "ab", "none"}
    with pytest.raises(ValueError, match="unknown fit model 'hnl'.*did you mean 'hln'"):
        fits.build_model("hnl", g_s=2)
    with pytest.raises(ValueError, match=r"wire model needs the sample's width \(--width-nm\)"):
        fits.build_model("wire", g_s=1, length=1e-6)
    with pytest.raises(ValueError, match="hln_so model takes no alpha"):
        fits.build_model("hln_so", g_s=2, alpha=1.0)
    assert fits.MODELS["finite_parallel"].axis == "b_par"
    assert fits.MODELS["wire"].quantity == "total"


def test_models_flag_samples_outside_their_regime():
    # the wire formula on a 250 x 250 nm film: l_phi < W, so not quasi-1D
    b = np.linspace(0, 0.2, 30)
    film = fits.FiniteFilm(g_s=1, width=250e-9, length=250e-9, alpha=1.0)
    y = film(b, l_phi=60e-9, alpha=1.0)
    r = fits.Wire(g_s=1, width=250e-9, length=250e-9).fit(b, y)
    assert not r.ok and any(f.kind == "not_applicable" and "fit with hln or finite_film"
                            in f.message for f in r.flags)  # fmt: skip
    # HLN on a sample only a few l_phi long names the finite-device model
    r = fits.HLN(g_s=1, alpha=1.0, width=250e-9, length=250e-9).fit(b, y)
    assert any(f.kind == "not_applicable" and "finite_film" in f.message for f in r.flags)
    # ... and the finite-device model on the same data is applicable
    assert not any(f.kind == "not_applicable" for f in film.fit(b, y).flags)
    # the parallel-field law needs d << l_phi
    r = fits.ParallelField(g_s=2, thickness=200e-9).fit(
        b, ls.parallel_field(b, 0.05, g_s=2), errors="fast"
    )
    assert any(f.kind == "not_applicable" and "d << l_phi" in f.message for f in r.flags)


def test_offset_absorbs_the_zero_field_error():
    rng = np.random.default_rng(11)
    b = np.linspace(2e-4, 8e-3, 60)
    y = ls.hln(b, 5e-4, 1.0, g_s=2) + 0.004 + rng.normal(0, 1e-3, b.size)  # a shifted reference
    plain = fits.HLN(g_s=2, alpha=1.0).fit(b, y, sigma=1e-3, errors="fast")
    shifted = fits.HLN(g_s=2, alpha=1.0, offset=True).fit(b, y, sigma=1e-3, errors="fast")
    assert abs(shifted.values["offset"] - 0.004) < 3 * shifted.stderr["offset"]
    assert abs(shifted.values["b_phi"] - 5e-4) < 3 * shifted.stderr["b_phi"]
    assert abs(plain.values["b_phi"] - 5e-4) > 3 * plain.stderr["b_phi"]  # biased without it


def test_json_is_valid_with_undetermined_parameters():
    b = np.linspace(0, 1e-3, 20)
    r = fits.HLNSpinOrbit(g_s=2).fit(b, np.zeros_like(b) + 1e-9 * b)
    json.dumps(r.to_dict(), allow_nan=False)


def test_quoted_errors_cover_the_truth_for_independent_noise():
    # known per-point errors: the least-squares pull is N(0, 1), and the quoted error (which
    # adds estimates for correlated residuals) covers at least as often; 40 draws, 2-sigma bands
    rng = np.random.default_rng(21)
    b = np.linspace(0, 4e-3, 50)
    pulls, covered = [], 0
    for _ in range(40):
        y = ls.hln(b, 3e-4, 1.0, g_s=1) + rng.normal(0, 1e-3, b.size)
        r = fits.HLN(g_s=1, alpha=1.0).fit(b, y, sigma=1e-3, errors="all")
        pulls.append((r.values["b_phi"] - 3e-4) / r.errors["stat"]["b_phi"])
        covered += abs(r.values["b_phi"] - 3e-4) < r.stderr["b_phi"]
    assert 0.7 < np.std(pulls) < 1.35 and abs(np.mean(pulls)) < 0.5
    assert 21 <= covered <= 37  # 68% of 40 = 27; quoted errors are allowed to be conservative
