"""Temperature: the dephasing law, the thermal window, temperature sweeps, the zero-field rise."""

import math

import numpy as np
import pytest
from scipy import integrate

import devices
from devices.temperature import (
    K_B_MEV,
    DephasingLaw,
    _window_correlation,
    fermi_weights,
    thermal_grid,
    ucf_energy_correlation,
    ucf_smearing_factor,
)
from fits.finite import CooperonSpectrum, zero_field
from transport.temperature import temperature_sweep


def test_dephasing_law_power_and_saturation():
    law = DephasingLaw(tau_0_ps=10.0, p=1.0, t_ref_K=1.0)
    assert law.tau_phi_ps(2.0) == pytest.approx(5.0)
    np.testing.assert_allclose(law.tau_phi_ps([0.5, 4.0]), [20.0, 2.5])
    sat = DephasingLaw(tau_0_ps=10.0, p=2.0, t_ref_K=1.0, tau_sat_ps=40.0)
    assert sat.tau_phi_ps(0.5) == pytest.approx(1 / (1 / 40 + 1 / 40))


def test_dephasing_law_aak_is_p_1_with_the_reference_value():
    # R_sq = 1 kOhm at 1 K gives about 77 ps (the reference sheet)
    law = DephasingLaw.aak(1000.0)
    assert law.p == 1.0
    assert law.tau_phi_ps(1.0) == pytest.approx(77, rel=0.02)


def test_dephasing_law_errors_name_the_problem():
    with pytest.raises(ValueError, match="positive number of kelvin"):
        DephasingLaw(1.0, 1.0, 1.0).tau_phi_ps(0.0)
    with pytest.raises(ValueError, match="reference temperature"):
        DephasingLaw(1.0, 1.0, -1.0)
    with pytest.raises(ValueError, match="grows on cooling"):
        DephasingLaw(1.0, -1.0, 1.0)


def test_fermi_window_moments_are_exact():
    # -df/dE has unit weight, mean E_F and variance (pi^2 / 3) (k_B T)^2
    t, ef = 2.0, 10.0
    kt = K_B_MEV * t
    e = ef + kt * np.linspace(-30, 30, 6001)
    w = fermi_weights(e, ef, t)
    assert w.sum() == pytest.approx(1.0)
    assert np.sum(w * e) == pytest.approx(ef, abs=1e-9)
    assert np.sum(w * (e - ef) ** 2) == pytest.approx(math.pi**2 / 3 * kt**2, rel=1e-4)


def test_thermal_grid_resolves_the_thouless_energy_and_refuses_too_cold():
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)
    grid = thermal_grid(dev, 23.4, 4.0, 57.0)
    assert grid["spacing_meV"] <= min(grid["kT_meV"], grid["thouless_meV"]) / 2 + 1e-12
    assert grid["energies"][0] < 23.4 - 4.9 * grid["kT_meV"]
    assert sum(grid["weights"]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="below the level spacing"):
        thermal_grid(dev, 23.4, 0.001, 57.0)


def test_window_correlation_is_the_autocorrelation_of_the_fermi_window():
    kt = 0.7
    e = np.linspace(-40, 40, 80001)
    w = 1 / (4 * kt * np.cosh(e / (2 * kt)) ** 2)
    for eps in (0.0, 0.3, 1.0, 3.0, 10.0):
        direct = integrate.trapezoid(w * np.interp(e + eps, e, w), e)
        assert _window_correlation(eps, kt) == pytest.approx(direct, rel=1e-6)
    assert _window_correlation(0.0, kt) == pytest.approx(1 / (6 * kt))
    assert float(_window_correlation(1e4, kt)) == 0.0


def test_ucf_energy_correlation_limits():
    assert ucf_energy_correlation(0.0) == pytest.approx(1.0, rel=1e-12)
    # eps >> E_c: (45 sqrt(2) / 8) (E_c / eps)^(3/2), from the continuum of modes
    eps = np.array([1e4, 1e6])
    assert ucf_energy_correlation(eps) * eps**1.5 == pytest.approx(45 * math.sqrt(2) / 8, rel=1e-4)
    # small eps: 1 + S''(0) eps^2 / (2 S(0)) = 1 - (2 / 105) eps^2, with S(0) = 2 sum 1/lambda^2
    # = 1/45 and S''(0) = -8 sum 1/lambda^4 = -8 / 9450 (this term pins the Re 1/(lambda - i eps)^2 part)
    assert ucf_energy_correlation(0.01) == pytest.approx(1 - 2 / 105 * 0.01**2, rel=1e-9)


def test_ucf_smearing_factor_limits():
    # small T: 1 - <eps^2> |S''(0)| / (2 S(0)) = 1 - (4 pi^2 / 315) (k_B T / E_c)^2, with
    # <eps^2> = 2 pi^2 (k_B T)^2 / 3 the window correlation's second moment, S''(0) = -8 sum 1/lambda^4
    tau = np.array([0.02, 0.05])
    assert ucf_smearing_factor(tau) == pytest.approx(1 - 4 * math.pi**2 / 315 * tau**2, rel=1e-5)
    # large T: (5 pi / 4) E_c / k_B T, approached as 1 - O((E_c / k_B T)^(1/2))
    big = np.array([1e4, 1e5])
    r = ucf_smearing_factor(big) * big / (5 * math.pi / 4)
    assert 0.98 < r[0] < r[1] < 1
    assert 1 - r[1] == pytest.approx((1 - r[0]) / math.sqrt(10), rel=0.1)
    assert ucf_smearing_factor(0.0) == 1.0
    assert np.all(np.diff(ucf_smearing_factor([0.5, 1, 2, 5, 10, 50])) < 0)
    with pytest.raises(ValueError, match="non-negative"):
        ucf_smearing_factor(-1.0)


def test_zero_field_correction_of_a_large_film_is_hln():
    # l_phi from 0.5 to 1 um on a 40 um film: dG = (W/L) (1 / 2 pi) ln(l2^2 / l1^2) (g_s = 1);
    # grid spacing 50 nm = l_phi / 10 (the discretisation error is 1% there, 4% at l_phi / 2.5)
    spec = CooperonSpectrum(40e-6, 40e-6, max_nodes=640000)
    g1 = zero_field(0.5e-6, spectrum=spec, g_s=1)
    g2 = zero_field(1.0e-6, spectrum=spec, g_s=1)
    assert g1 - g2 == pytest.approx(math.log(4) / (2 * math.pi), rel=0.01)


def test_zero_field_spectrum_is_the_operators():
    # the separable closed form at B = 0 equals the eigenvalues of the banded operator
    spec = CooperonSpectrum(3e-6, 5e-6, extension=0.3e-6, max_nodes=300)
    exact = np.linalg.eigvalsh(spec.operator(0.0).real)
    np.testing.assert_allclose(spec.eigenvalues(0.0), exact, rtol=1e-10, atol=1e-12 * exact.max())


def test_temperature_sweep_labels_and_resumes(tmp_path):
    dev = devices.film(12, 12)
    law = DephasingLaw(tau_0_ps=200.0, p=1.0, t_ref_K=1.0)
    kw = dict(temperatures=[0.5, 1.0], law=law, energy=1.0, seeds=3, disorder=2.0,
              b_perp=[0.0, 0.01], executor="serial", path=tmp_path)  # fmt: skip
    ds = temperature_sweep(dev, **kw)
    assert ds.G.dims == ("temperature", "realization", "energy", "b_par", "b_perp")
    np.testing.assert_allclose(ds.tau_phi_ps, [400.0, 200.0])
    assert ds.R_zero_field_ohm.attrs["units"] == "Ohm"
    logs = []
    again = temperature_sweep(dev, **{**kw, "seeds": 4}, log=logs.append)
    assert logs.count("resuming: 3 of 4 tasks done") == 2
    np.testing.assert_array_equal(again.G.values[:, :3], ds.G.values)
    with pytest.raises(ValueError, match="must increase"):
        temperature_sweep(dev, **{**kw, "temperatures": [1.0, 0.5]})


@pytest.mark.parametrize("smearing", [False, True])
def test_spinful_temperature_sweep_counts_both_spins(smearing):
    """A spinful device without couplings conducts exactly twice the spinless one at every
    temperature (the probes conserve spin), with and without thermal smearing, and the
    dataset says what G and R count."""
    law = DephasingLaw(tau_0_ps=200.0, p=1.0, t_ref_K=1.0)
    kw = dict(temperatures=[1.0, 1.5] if smearing else [0.5, 1.0], law=law, energy=1.0, seeds=2,
              disorder=2.0, b_perp=[0.0, 0.01], executor="serial", smearing=smearing)  # fmt: skip
    one = temperature_sweep(devices.film(12, 12), **kw)
    two = temperature_sweep(devices.film(12, 12, spin=True), **kw)
    np.testing.assert_allclose(two.G.values, 2 * one.G.values, rtol=1e-9)
    np.testing.assert_allclose(two.R_zero_field_ohm.values, one.R_zero_field_ohm.values / 2,
                               rtol=1e-9)  # fmt: skip
    assert one.G.attrs["spin"].startswith("per spin")
    assert two.G.attrs["spin"].startswith("both spins")
    assert "both spins" in two.R_zero_field_ohm.attrs["long_name"]


# -- R(T): the split into weak localization and interactions --------------------------------

from cooperon.constants import R0  # noqa: E402
from fits.resistance import log_slope, read_rt, split_resistance  # noqa: E402


def _rt(t, alpha_p, f, g_s=2):
    s_wl = alpha_p * g_s / (2 * math.pi)
    s_ee = (g_s / 2) / math.pi * (1 - 0.75 * f)
    return R0 / (30 + (s_wl + s_ee) * np.log(t)), R0 / (30.4 + s_ee * np.log(t))


def test_split_recovers_alpha_p_and_f_exactly():
    t = np.geomspace(0.3, 10, 12)
    rz, rq = _rt(t, 1.0, 0.5)
    r = split_resistance(t, 2.5 * rz, 2.5 * rq, squares=2.5, alpha=1.0)
    assert r.alpha_p[0] == pytest.approx(1.0, abs=1e-9)
    assert r.f_screening[0] == pytest.approx(0.5, abs=1e-9)
    assert r.p[0] == pytest.approx(1.0, abs=1e-9)
    # antilocalization (alpha = -1/2): the zero-field slope is below the quenched one
    rz, rq = _rt(t, -0.5, 0.2)
    r = split_resistance(t, rz, rq, alpha=-0.5)
    assert r.wl_slope[0] < 0 and r.p[0] == pytest.approx(1.0, abs=1e-9)


def test_split_errors_cover_the_truth_as_often_as_they_claim():
    # R0 / R known to 0.2%; 400 repetitions: alpha p within 1 s.e. about 68% of the time
    rng = np.random.default_rng(1)
    t = np.geomspace(0.3, 10, 10)
    rz, rq = _rt(t, 1.0, 0.5)
    rel = 2e-3
    z = []
    for _ in range(400):
        a = rz * (1 + rel * rng.standard_normal(t.size))
        b = rq * (1 + rel * rng.standard_normal(t.size))
        r = split_resistance(t, a, b, r_err_ohm=rel * rz)
        z.append((r.alpha_p[0] - 1.0) / r.alpha_p[1])
    inside = np.mean(np.abs(z) < 1)
    assert 0.68 - 3 * 0.023 < inside < 0.68 + 3 * 0.023  # binomial, 3 sigma


def test_split_refuses_bad_input():
    t = np.array([1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match="positive numbers"):
        split_resistance(t, [1.0, -1.0, 1.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="factor 2"):
        split_resistance([1.0, 1.2, 1.4], [1, 1, 1], [1, 1, 1])
    with pytest.raises(ValueError, match="at least three"):
        split_resistance([1.0, 4.0], [1, 1], [1, 1])


def test_log_slope_pairs_realizations():
    t = np.array([0.5, 1.0, 2.0, 4.0])
    rng = np.random.default_rng(0)
    offsets = rng.normal(0, 1.0, 50)  # large per-realization offsets cancel in the slope
    y = 0.3 * np.log(t)[:, None] + offsets[None, :]
    s, e = log_slope(t, y)
    assert s == pytest.approx(0.3, abs=1e-12) and e < 1e-12


def test_read_rt_converts_units_and_names_the_problem(tmp_path):
    f = tmp_path / "rt.csv"
    f.write_text("T [mK], R0 [kOhm], RB [kOhm]\n300, 1.2, 1.18\n1000, 1.15, 1.14\n"
                 "3000, 1.11, 1.105\n")  # fmt: skip
    r = read_rt(f, zero="r0", quench="RB")
    np.testing.assert_allclose(r["temperature_K"], [0.3, 1.0, 3.0])
    np.testing.assert_allclose(r["r_zero_ohm"], [1200.0, 1150.0, 1110.0])
    assert not r["sheet"]
    with pytest.raises(ValueError, match="no column 'RX'.*'RB'"):
        read_rt(f, zero="R0", quench="RX")
    g = tmp_path / "nounit.csv"
    g.write_text("T [K], R0, RB [Ohm]\n1, 1, 1\n2, 1, 1\n4, 1, 1\n")
    with pytest.raises(ValueError, match="has no unit"):
        read_rt(g, zero="R0", quench="RB")


# -- the temperature spec and its run -----------------------------------------------------

from cooperon import cli, spec  # noqa: E402

EXAMPLE = spec.Path(__file__).resolve().parent.parent / "examples" / "cooling_film.toml"


@pytest.mark.parametrize("override, message", [
    ("temperature.temperatures_K=[0.0, 1.0]", "positive number of kelvin"),
    ("temperature.temperatures_K=[2.0, 1.0]", "increasing"),
    ("temperature.t_ref_K=-1", "must be > 0"),
    ("dephasing.tau_phi_ps=1.0", "remove dephasing.tau_phi_ps"),
    ("dephasing.model='none'", "dephasing.model = 'probes'"),
    ("temperature.law='aak'", "needs temperature.sheet_resistance_ohm"),
    ("temperature.tmperature=1", "did you mean 'temperatures_K'"),
    ("temperature.quench_mT=33", "must be one of the swept fields"),
    ("check.tau_phi_rtol=0.2", "checks the exponent"),
    ("check.b_so_rtol=0.2", "compares a fitted B_so with the spin relaxation of the input"),
])  # fmt: skip
def test_temperature_spec_errors_name_the_problem(override, message):
    with pytest.raises(spec.SpecError, match=message):
        spec.load(EXAMPLE, [override])


def test_temperature_spec_needs_the_reference_temperature():
    raw = spec.tomllib.loads(EXAMPLE.read_text())
    del raw["temperature"]["t_ref_K"]
    with pytest.raises(spec.SpecError, match="reference temperature"):
        spec.parse(raw)
    raw = spec.tomllib.loads(EXAMPLE.read_text())
    del raw["temperature"]["temperatures_K"]
    with pytest.raises(spec.SpecError, match="needs temperature.temperatures_K"):
        spec.parse(raw)


def test_cooling_example_writes_the_series_form_and_resumes(tmp_path, capsys):
    args = ["run", str(EXAMPLE), "--out", str(tmp_path), "--no-progress", "--keep-going",
            "--set", "sweep.realizations=4", "--set", "temperature.temperatures_K=[1.0, 2.0, 4.0]",
            "--set", "output.figures=false"]  # fmt: skip
    assert cli.main(args) == 0
    import json

    fit = json.loads((tmp_path / "fit.json").read_text())
    assert fit["analysis"] == "temperature"
    assert {"p", "p_stderr"} <= set(fit["power_law"])
    assert fit["p_input"] == 1.0 and fit["tau_0_input_ps"] == 2.2 and fit["t_ref_K"] == 1.0
    assert [s["temperature_K"] for s in fit["series"]] == [1.0, 2.0, 4.0]
    np.testing.assert_allclose(fit["tau_phi_input_ps"], [2.2, 1.1, 0.55])
    assert {c["name"] for c in fit["checks"]} == {"p", "rise"}
    # no temperature.quench_mT: the swept field nearest B_tr / 4 (B_tr = 0.36 T here)
    assert len(fit["resistance"]) == 3 and fit["rise"]["quench_field_mT"] == pytest.approx(95)
    done = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "temperature").glob("T_*K.nc")}
    assert len(done) == 3
    assert cli.main(args) == 0  # a rerun reuses the finished sweeps (nothing rewritten)
    assert {p.name: p.stat().st_mtime_ns
            for p in (tmp_path / "temperature").glob("T_*K.nc")} == done  # fmt: skip
    assert json.loads((tmp_path / "fit.json").read_text())["series"] == fit["series"]


def test_rt_command(tmp_path, capsys):
    t = np.geomspace(0.3, 10, 8)
    rz, rq = _rt(t, 1.0, 0.5)
    f = tmp_path / "rt.csv"
    f.write_text("T [K], Rsq0 [Ohm/sq], RsqB [Ohm/sq]\n"
                 + "".join(f"{a}, {b}, {c}\n" for a, b, c in zip(t, rz, rq)))  # fmt: skip
    assert cli.main(["rt", str(f), "--zero", "Rsq0", "--quench", "RsqB", "--alpha", "1",
                     "--json", str(tmp_path / "rt.json")]) == 0  # fmt: skip
    import json

    d = json.loads((tmp_path / "rt.json").read_text())
    assert d["alpha_p"] == pytest.approx(1.0, rel=1e-6) and d["f_screening"] == pytest.approx(0.5)
    assert cli.main(["rt", str(f), "--zero", "Rsq0", "--quench", "RsqB", "--squares", "2"]) == 2
    assert "per square already" in capsys.readouterr().err


def test_aak_law_from_a_spec():
    from cooperon.temperature_run import dephasing_law

    raw = spec.tomllib.loads(EXAMPLE.read_text())
    del raw["temperature"]["tau_0_ps"]
    raw["temperature"].update(law="aak", sheet_resistance_ohm=1000.0)
    law = dephasing_law(spec.parse(raw))
    assert law.p == 1.0 and law.tau_phi_ps(1.0) == pytest.approx(77, rel=0.02)
    with pytest.raises(spec.SpecError, match="remove temperature.tau_0_ps"):
        spec.load(EXAMPLE, ["temperature.law='aak'", "temperature.sheet_resistance_ohm=1000"])


def test_default_quench_is_half_the_model_range_when_the_sweep_reaches_it():
    from cooperon.temperature_run import default_quench

    b = np.array([0.0, 0.02, 0.05, 0.09, 0.18])
    assert default_quench(b, 0.18) == pytest.approx(0.09)  # the node nearest B_tr / 4
    assert default_quench(-b, 0.2) == pytest.approx(0.09)  # either sign of the field
    assert default_quench(b, None) == pytest.approx(0.18)  # no model range: the top field
    assert default_quench(b, 1.0) == pytest.approx(0.18)  # the sweep stops below half of it


def test_hln_large_film_alpha_follows_the_spec_and_the_spin():
    """The large-film HLN slope alpha p g_s / (2 pi) takes alpha from fit.alpha of a model with an
    alpha, else 1 without spin-orbit coupling, and is left out where B_so / B_phi sets it."""
    from cooperon.temperature_run import hln_alpha

    rashba = EXAMPLE.parent / "cooling_rashba_film.toml"
    assert hln_alpha(spec.load(EXAMPLE), devices.film(10, 10)) == 1.0
    assert hln_alpha(spec.load(rashba), devices.film(10, 10, spin=devices.Spin(rashba=5.0))) == -0.5
    free = spec.load(rashba, ["fit.model='finite_film_rashba'"])  # fit.alpha = -0.5 unused
    assert hln_alpha(free, devices.film(10, 10, spin=devices.Spin(rashba=5.0))) is None
    assert hln_alpha(free, devices.film(10, 10, spin=True)) == 1.0


def test_spinful_series_checks_the_b_so_its_temperatures_share(tmp_path, capsys):
    """A Rashba film cooled with check.b_so_rtol: the B_so the temperatures share is compared
    with D'yakonov-Perel's (kinetic), computed here from the device; the check is |ratio - 1|
    <= rtol + 2 s.e. The jackknife's error of a shared parameter is the delete-a-block formula
    (two blocks: half the difference of the two fits). An isotropic model is refused, and so,
    before the sweep, is a coupling outside D'yakonov-Perel's range."""
    import json

    import xarray as xr

    import fits
    from devices.spin import dyakonov_perel_lattice_b_so
    from fits.series import fit_series, jackknife_power_law, points_from_dataset

    rashba = EXAMPLE.parent / "cooling_rashba_film.toml"
    over = ["sweep.realizations=4", "temperature.temperatures_K=[0.4, 1.2649, 4.0]",
            "output.figures=false", "device.rashba_meV_nm=6.0", "fit.model='ilp'",
            "check.b_so_rtol=0.25"]  # fmt: skip
    args = ["run", str(rashba), "--out", str(tmp_path), "--no-progress", "--keep-going"]
    assert cli.main(args + [a for o in over for a in ("--set", o)]) == 0
    fit = json.loads((tmp_path / "fit.json").read_text())
    u = devices.Units.from_mass(5.0, 0.067)
    rep = devices.film(250.0, 250.0, units=u, spin=devices.Spin(rashba=6.0)).regime(23.4, 57.0)
    want = dyakonov_perel_lattice_b_so(6.0, 0.0, u, rep.diffusion * u.diffusion_m2s, rep.tau_ps)
    assert fit["b_so_T_dyakonov_perel_kinetic"] == pytest.approx(want, rel=1e-9)
    value, err = fit["shared"]["b_so"]
    check = {c["name"]: c for c in fit["checks"]}["b_so_dyakonov_perel"]
    assert check["measured"] == pytest.approx(value / want)
    assert check["error"] == pytest.approx(err / want)
    assert check["pass"] == (abs(value / want - 1) <= 0.25 + 2 * err / want)
    assert fit["b_so_ratio_dyakonov_perel"] == pytest.approx(value / want)

    with xr.open_dataset(tmp_path / "temperature" / "temperature.nc") as ds:
        ds = ds.load()
    model = fits.HLN(g_s=2)  # alpha shared, l_phi per temperature
    d = ds.attrs["diffusion_m2s"]
    jk = jackknife_power_law(ds, model, blocks=2, diffusion=d)
    halves = [
        fit_series(points_from_dataset(ds, quantity="sheet", realizations=np.arange(4) % 2 != b),
                   model, diffusion=d).shared["alpha"][0]
        for b in (0, 1)
    ]  # fmt: skip
    assert jk["shared_stderr"]["alpha"] == pytest.approx(abs(halves[0] - halves[1]) / 2)

    with pytest.raises(spec.SpecError, match="set fit.model = 'finite_film_rashba'"):
        spec.load(rashba, [*over[3:5], "fit.model='finite_film_so'", "check.b_so_rtol=0.25"])
    # a coupling outside D'yakonov-Perel's range is refused before the series sweeps
    strong = [o.replace("6.0", "34.0") for o in over]
    out = tmp_path / "strong"
    assert cli.main(["run", str(rashba), "--out", str(out), "--no-progress",
                     *[a for o in strong for a in ("--set", o)]]) != 0  # fmt: skip
    assert "Omega tau = 1.8 > 0.5: weaken the coupling" in capsys.readouterr().err
    assert not (out / "temperature").exists()
