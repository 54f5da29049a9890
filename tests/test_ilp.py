"""The ILP line shape of a Rashba film (fits.lineshapes.ilp_rashba): limits, its level algebra
against the operator built from ladder matrices, and its closed-form continuum integral."""

import math

import numpy as np
import pytest
from scipy import integrate

import fits
from fits import lineshapes as ls

S1 = (
    np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=complex) / math.sqrt(2),
    np.array([[0, -1j, 0], [1j, 0, -1j], [0, 1j, 0]]) / math.sqrt(2),
)


def test_ilp_limits_are_hln():
    """B_so = 0 is HLN with alpha = 1 (its digamma form), to 2e-4 from B_phi / 100 up (measured
    7e-5, the Landau sum's remainder) and 2e-3 below (where the curve is below 1e-4 of its
    scale); B_so >> B_tr leaves the singlet, alpha = -1/2, to 1e-4."""
    b = np.array([0.0, 1e-4, 1e-3, 0.01, 0.05, 0.2, 0.9])
    for b_tr in (1.0, None):
        wl = ls.hln(b, 0.01, 1.0, g_s=2, b_tr=b_tr)
        assert ls.ilp_rashba(b, 0.01, 0.0, g_s=2, b_tr=b_tr) == pytest.approx(wl, rel=2e-4)
        low = ls.hln(1e-5, 0.01, 1.0, g_s=2, b_tr=b_tr)
        assert ls.ilp_rashba(1e-5, 0.01, 0.0, g_s=2, b_tr=b_tr) == pytest.approx(low, rel=2e-3)
    wl = ls.hln(b, 0.01, 1.0, g_s=2, b_tr=1.0)
    assert ls.ilp_rashba(b, 0.01, 500.0, g_s=2, b_tr=1.0) == pytest.approx(-0.5 * wl, rel=1e-4)
    assert ls.ilp_rashba(-b, 0.01, 0.03, g_s=1) == pytest.approx(
        ls.ilp_rashba(b, 0.01, 0.03, g_s=1)
    )
    with pytest.raises(ValueError, match="B_phi > 0"):
        ls.ilp_rashba(b, 0.0, 0.03, g_s=2)


def test_rashba_continuum_rates_and_slow_mode():
    """At Q = 0 the triplets relax at (1, 1, 2) B_so (D'yakonov-Perel, the convention of
    finite_film_rashba); the slowest mode is 7/16 B_so at Q^2 = 15/16 B_so (ILP)."""
    s = 0.37
    assert sorted(ls.rashba_triplet_continuum(0.0, s)) == pytest.approx([s, s, 2 * s])
    x = np.linspace(0, 3 * s, 300001)
    low = ls.rashba_triplet_continuum(x, s)[2]
    k = int(np.argmin(low))
    assert low[k] == pytest.approx(7 * s / 16, rel=1e-9)
    assert x[k] == pytest.approx(15 * s / 16, rel=1e-4)


@pytest.mark.parametrize("s, m", [(0.0, 0.01), (0.03, 0.01), (0.5, 1.0), (2.0, 0.001)])
def test_ilp_continuum_integral_is_the_quadrature(s, m):
    def density(x):
        return 0.5 * sum(1 / (lam + m) for lam in ls.rashba_triplet_continuum(x, s)) - 0.5 / (x + m)

    x0 = 7.3
    want = integrate.quad(density, 0, x0, limit=400, epsabs=1e-13, epsrel=1e-12)[0]
    assert ls._ilp_continuum_integral(x0, s, m) == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("sign", [1, -1])
def test_ilp_levels_are_the_operator_in_a_landau_basis(sign):
    """(Q_x + a S_y)^2 + (Q_y - a S_x)^2 built from truncated ladder matrices (Q_+ = sqrt(B)
    a^dagger for one field direction, sqrt(B) a for the other; a^2 -> B_so): its low
    eigenvalues are those of the conserved-J blocks, to 1e-10."""
    field, s, n = 0.3, 0.7, 160
    lower = np.diag(np.sqrt(np.arange(1, n)), 1)  # the ladder operator a in the N basis
    q_plus = math.sqrt(field) * (lower.T if sign > 0 else lower)
    qx, qy = (q_plus + q_plus.conj().T) / 2, (q_plus - q_plus.conj().T) / 2j
    eye3, eye_n = np.eye(3), np.eye(n)
    px = np.kron(qx, eye3) + math.sqrt(s) * np.kron(eye_n, S1[1])
    py = np.kron(qy, eye3) - math.sqrt(s) * np.kron(eye_n, S1[0])
    ev = np.linalg.eigvalsh(px @ px + py @ py)
    trip, _ = ls._ilp_levels(field, s, 60)
    assert ev[:60] == pytest.approx(np.sort(trip)[:60], rel=1e-10, abs=1e-12)


def test_ilp_fit_recovers_b_so_where_the_isotropic_model_does_not():
    """An ILP curve with 1% noise: the ilp model returns B_phi and B_so within 3.5 s.e.; hln_so,
    whose triplets relax at the mean rate, returns a B_so far below (what the validation
    measured on a simulated Rashba film)."""
    b_phi, b_so, b_tr = 0.01, 0.025, 1.0
    b = np.geomspace(1e-3, 0.3, 13)
    y0 = ls.ilp_rashba(b, b_phi, b_so, g_s=2, b_tr=b_tr)
    sigma = np.full(b.size, 0.01 * np.ptp(y0))
    y = y0 + sigma * np.random.default_rng(7).normal(size=b.size)
    r = fits.build_model("ilp", g_s=2, b_tr=b_tr).fit(b, y, sigma, errors="fast")
    assert abs(r.values["b_so"] - b_so) < 3.5 * r.stderr["b_so"]
    assert abs(r.values["b_phi"] - b_phi) < 3.5 * r.stderr["b_phi"]
    iso = fits.build_model("hln_so", g_s=2, b_tr=b_tr).fit(b, y, sigma, errors="fast")
    assert iso.values["b_so"] < 0.6 * b_so
    assert {"b_so_T", "l_so_nm", "b_phi_T"} <= set(r.to_dict())
