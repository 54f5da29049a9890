"""Aharonov-Bohm: spectrum tools on synthetic traces, simulated ring periods and ensembles."""

import json
import subprocess
import sys

import numpy as np
import pytest

import devices
import transport
from fits import ab

K = 3.0  # recovered within K standard errors


def synthetic(seed=0, r=150e-9, a=(0.05, 0.01, 0.002), noise=0.005, periods=12, n=600):
    rng = np.random.default_rng(seed)
    period = ab.PHI0 / (np.pi * r**2)
    b = np.linspace(-2 * period, (periods - 2) * period, n)
    g = 5 + 0.3 * (b / b[-1]) - 0.2 * (b / b[-1]) ** 2
    phases = (0.3, 1.0, 2.0)
    for k, (amp, ph) in enumerate(zip(a, phases), start=1):
        g = g + amp * np.cos(2 * np.pi * k * b / period + ph)
    return b, g + rng.normal(0, noise, n), period


def test_recovers_period_area_radius_and_amplitudes():
    b, g, period = synthetic()
    r = ab.analyze(b, g, radius_guess=140e-9)
    assert abs(r.period_T - period) < K * r.period_T_stderr
    assert abs(r.radius_m - 150e-9) < K * r.radius_m_stderr
    for got, err, true in zip(r.amplitudes, r.amplitudes_stderr, (0.05, 0.01, 0.002)):
        assert abs(got - true) < K * err + 2e-4  # + residual background leakage
    d = r.to_dict()
    assert d["area_um2"] == pytest.approx(np.pi * 0.15**2, rel=5e-3)
    # harmonics decaying as exp(-n pi r / l_phi): l_phi = pi r / ln(A1/A2)
    assert d["l_phi_nm"] == pytest.approx(np.pi * 150 / np.log(5), rel=0.1)


def test_recovery_over_noise_draws_has_unit_pulls():
    pulls = []
    for seed in range(30):
        b, g, _ = synthetic(seed=seed, noise=0.01)
        r = ab.analyze(b, g, radius_guess=150e-9)
        pulls.append((r.amplitudes[0] - 0.05) / r.amplitudes_stderr[0])
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 0.6 and 0.5 < pulls.std() < 1.6


def test_smooth_background_option():
    b, g, period = synthetic(noise=0.002)
    g = g + 0.5 * np.exp(-((b / (3 * period)) ** 2))  # a bump the polynomial cannot follow
    # a running mean over a whole number of periods leaves the oscillation untouched
    r = ab.analyze(b, g, radius_guess=150e-9, background="smooth", window=3 * period)
    assert abs(r.period_T - period) < 0.01 * period
    assert r.amplitudes[0] == pytest.approx(0.05, rel=0.1)


def test_bad_traces():
    b, g, period = synthetic()
    with pytest.raises(ValueError, match="less than one h/e period"):
        ab.analyze(b[:40], g[:40], radius_guess=150e-9)
    g2 = g.copy()
    g2[10] = np.nan
    with pytest.raises(ValueError, match="NaN/inf at 1 point"):
        ab.analyze(b, g2)
    uneven = np.sort(np.concatenate([b[::2], b[1::4] + 1e-6]))
    with pytest.warns(ab.ABWarning, match="uneven field steps"):
        r = ab.analyze(uneven, np.interp(uneven, b, g), radius_guess=150e-9)
    assert abs(r.period_T - period) < 0.01 * period


@pytest.mark.parametrize(("r_in", "r_out"), [(20, 23), (30, 33)])
def test_simulated_ring_period(r_in, r_out):
    # clean narrow ring, uniform field: period within 2% of h/(e pi r^2), r the mean radius
    dev = devices.ring(r_in, r_out)
    r = (r_in + r_out) / 2
    period = dev.units.tesla(1 / (np.pi * r**2))
    b = np.linspace(0, 10 * period, 301)
    ds = transport.sweep(dev, b_perp=b, energies=[0.8], seeds=1, disorder=0.0, executor="serial")
    res = ab.analyze(b, ds.G.values.ravel(), radius_guess=r * 1e-9)
    assert abs(res.period_T / period - 1) < 0.02


def test_ensemble_averaging_h_over_e_and_aas():
    # Flux tube through the hole of a disordered ring, 128 realizations. The h/e amplitude
    # of the average of N traces falls as N^(-1/2) (random phases); the AAS h/2e component
    # survives with a conductance minimum at zero flux (orthogonal class).
    dev = devices.ring(10, 15)
    phis = np.linspace(0, 4, 81)
    ds = transport.sweep(dev, flux_tube=phis, energies=[0.8], seeds=128, disorder=1.2, workers=2)
    g = ds.G.values[:, 0, 0, 0, :]
    x = np.stack([np.ones_like(phis), np.cos(2 * np.pi * phis), np.sin(2 * np.pi * phis),
                  np.cos(4 * np.pi * phis), np.sin(4 * np.pi * phis)], axis=1)  # fmt: skip

    def coef(traces):
        return np.linalg.lstsq(x, np.atleast_2d(traces).T, rcond=None)[0].T

    rms = []
    ns = [1, 4, 16]
    for n in ns:
        c = coef(g.reshape(-1, n, len(phis)).mean(1))
        rms.append(np.sqrt(np.mean(c[:, 1] ** 2 + c[:, 2] ** 2)))
    slope = np.polyfit(np.log(ns), np.log(rms), 1)[0]
    assert abs(slope + 0.5) < 0.15, (slope, rms)
    # AAS: the cos(4 pi Phi/Phi0) coefficient of the full average is negative, > 3 standard
    # errors from zero (errors from the spread of the single-realization coefficients)
    c = coef(g)
    aas, aas_se = c[:, 3].mean(), c[:, 3].std(ddof=1) / np.sqrt(len(c))
    assert aas < -3 * aas_se
    # and it survives averaging: larger than the averaged h/e amplitude
    mean_coef = coef(g.mean(0))[0]
    assert abs(mean_coef[3]) > np.hypot(mean_coef[1], mean_coef[2])


def test_cli_ab_round_trip(tmp_path):
    b, g, period = synthetic()
    f = tmp_path / "ring.csv"
    from fits.data import G0

    r_ohm = 1 / (g * G0)  # two-terminal resistance of the ring [Ohm]
    np.savetxt(f, np.c_[1e3 * b, r_ohm], delimiter=",", header="B [mT], R [Ohm]", comments="")
    out = tmp_path / "ab.json"
    run = subprocess.run([sys.executable, "-m", "cooperon.cli", "ab", str(f), "--radius-nm",
                          "140", "--json", str(out)], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    d = json.loads(out.read_text())
    for key in ("period_mT", "area_um2", "radius_nm", "amp_h_e", "amp_h_2e", "l_phi_nm"):
        assert key in d and f"{key}_stderr" in d
    assert abs(d["period_mT"] - 1e3 * period) < K * d["period_mT_stderr"] + 1e-3 * period * 1e3
    assert d["amp_h_e"] == pytest.approx(0.05, rel=0.1)
    assert (tmp_path / "ab.png").exists()


def test_harmonics_decay_with_dephasing():
    # A quasi-ballistic ring (l ~ 2.5 r) with an absorbing tau_phi, flux tube, 32 realizations.
    # Per-realization h/e harmonics decay geometrically: A1/A2 and A2/A3 give the same l_phi
    # (within 15%). Escape into the leads also damps the windings; removing the coherent ring's
    # ratio, l_phi = pi r / (ln(A1/A2) - ln(A1/A2)_coh) equals the distance covered along the
    # ring in tau_phi, (2/pi) v_F tau_phi (the mean |v_x| of a 2D Fermi circle), within 15%.
    dev = devices.ring(20, 24)
    r = 22.0
    phis = np.linspace(0, 4, 65)
    v_f = dev.regime(0.8, 0.8).v_f
    x = np.stack([np.ones_like(phis)] + [f(2 * np.pi * n * phis) for n in (1, 2, 3)
                                         for f in (np.cos, np.sin)], axis=1)  # fmt: skip

    def harmonics(**kw):
        ds = transport.sweep(dev, flux_tube=phis, energies=[0.8], seeds=32, disorder=0.8,
                             workers=2, **kw)  # fmt: skip
        c = np.linalg.lstsq(x, ds.G.values[:, 0, 0, 0, :].T, rcond=None)[0].T
        return [np.sqrt(np.mean(c[:, 2 * n - 1] ** 2 + c[:, 2 * n] ** 2)) for n in (1, 2, 3)]

    coherent = harmonics()
    for vf_tau in (30.0, 120.0):
        a = harmonics(tau_phi=vf_tau / v_f * dev.units.time_ps)
        l12, l23 = np.pi * r / np.log(a[0] / a[1]), np.pi * r / np.log(a[1] / a[2])
        assert abs(l12 / l23 - 1) < 0.15
        l_phi = ab.l_phi_from_harmonics(a[0], a[1], r, coherent_ratio=coherent[0] / coherent[1])
        assert l_phi == pytest.approx(2 / np.pi * vf_tau, rel=0.15)
    with pytest.raises(ValueError, match="do not decay faster than in the coherent ring"):
        ab.l_phi_from_harmonics(1.0, 0.5, r, coherent_ratio=3.0)
