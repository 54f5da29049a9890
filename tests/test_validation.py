"""Physics validation: simulations against closed-form limits and published values.

Shaped like lmfit's certified-value tests: one test per target, each with its
target and tolerance stated here, before any run. Two tiers:

- ``make validate`` (``COOPERON_VALIDATION_TIER=quick``, the default): smaller
  ensembles, under about 30 minutes on 2 cores; a statistical tolerance is the
  full tier's plus two standard errors of the smaller ensemble.
- ``make validate-full`` (``COOPERON_VALIDATION_TIER=full``): every check at
  full size, hours; ``COOPERON_DASK_SCHEDULER=tcp://host:port`` runs the
  sweeps on a Dask cluster.

Each check prints ``VALIDATION name: measured ... target ... PASS|FAIL`` and is
recorded in ``docs/validation/<tier>/results.json`` with its figures beside
it; the documentation's validation page is generated from those files. The
sweeps are cached in ``out/validation/<tier>/``: a second run only refits.
"""

import datetime
import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import devices
import fits
import transport

pytestmark = pytest.mark.slow
TIER = os.environ.get("COOPERON_VALIDATION_TIER", "quick")
if TIER not in ("quick", "full"):
    raise ValueError(f"COOPERON_VALIDATION_TIER is 'quick' or 'full', got {TIER!r}")
DASK = os.environ.get("COOPERON_DASK_SCHEDULER") or None
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "out" / "validation" / TIER
RESULTS = ROOT / "docs" / "validation" / TIER
full_only = pytest.mark.skipif(TIER != "full", reason="full tier only (make validate-full)")


def size(quick, full):
    """A size of this tier."""
    return full if TIER == "full" else quick


# -- reporting --------------------------------------------------------------------------------

_RECORDS: list = []


@pytest.fixture(scope="module", autouse=True)
def _results_file():
    RESULTS.mkdir(parents=True, exist_ok=True)
    _RECORDS.clear()
    yield


def _write():
    versions = {}
    from importlib import metadata

    for pkg in ("cooperon", "kwant", "numpy", "scipy", "lmfit"):
        versions[pkg] = metadata.version(pkg)
    payload = dict(tier=TIER, created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                   versions=versions, checks=_RECORDS)  # fmt: skip
    # checks of an earlier run of this tier that this run did not repeat are kept
    path = RESULTS / "results.json"
    if path.exists():
        old = json.loads(path.read_text())
        names = {r["name"] for r in _RECORDS}
        payload["checks"] = [r for r in old.get("checks", []) if r["name"] not in names] + _RECORDS
    path.write_text(json.dumps(fits.result.json_safe(payload), indent=2) + "\n")


def report(name, value, error, target, ok, details="", figure=None):
    """Print and record one check; returns whether it passed."""
    print(f"\nVALIDATION {name}: measured {value:.4g} +- {error:.2g}, target {target}, "
          f"{'PASS' if ok else 'FAIL'} {details}")  # fmt: skip
    _RECORDS[:] = [r for r in _RECORDS if r["name"] != name]
    _RECORDS.append(dict(name=name, measured=value, error=error, target=target, passed=bool(ok),
                         details=details, figure=figure, tier=TIER))  # fmt: skip
    _write()
    return bool(ok)


def sweep(dev, name, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        return transport.sweep(dev, progress=False, executor=DASK, path=CACHE / name, **kw)


def _figure():
    from matplotlib.figure import Figure

    return Figure(figsize=(4.8, 4.2))


# -- Drude: the mean free path from the length dependence of <G> ------------------------------

E_FILM, W_DIS = 1.03, 2.5  # the demo's film: E = 1.03 t, box 2.5 t (l ~ 6 a)
_DRUDE: dict = {}


def drude(width=50, lengths=(25, 50, 75, 100), seeds=100, energy=E_FILM, disorder=W_DIS,
          folder="drude"):  # fmt: skip
    """Fit 1/<G> = (L + 2 z0)/(sigma W) over lengths, time reversal broken.

    Returns sigma [e^2/h per spin per square], the contact extrapolation
    length z0 [a] (the intercept: 2 z0 = sigma W / N_eff), and their errors.
    """
    key = (width, lengths, seeds, energy, disorder)
    if key in _DRUDE:
        return _DRUDE[key]
    inv, err = [], []
    for length in lengths:
        dev = devices.film(width, length)
        ds = sweep(dev, f"{folder}/film_{width}x{length}_n{seeds}.nc",
                   b_perp=[dev.units.tesla(0.002)], energies=[energy], seeds=seeds,
                   disorder=disorder)  # fmt: skip
        g = ds.G.values.ravel()
        inv.append(1 / g.mean())
        err.append(g.std(ddof=1) / math.sqrt(len(g)) / g.mean() ** 2)
    x = np.array(lengths, float) / width
    coef, cov = np.polyfit(x, inv, 1, w=1 / np.array(err), cov="unscaled")
    (slope, icpt), (slope_err, icpt_err) = coef, np.sqrt(np.diag(cov))
    sigma = 1 / slope
    z0 = 0.5 * icpt * sigma * width
    out = dict(sigma=sigma, sigma_err=slope_err / slope**2, z0=z0,
               z0_err=z0 * math.hypot(icpt_err / icpt, slope_err / slope))  # fmt: skip
    _DRUDE[key] = out
    return out


def test_drude_mean_free_path_against_born():
    """The Born mean free path of the lattice (devices.regime) against <G>(L): within 10%."""
    d = drude()
    rep = devices.film(50, 50).regime(E_FILM, W_DIS)
    # sigma = 2 pi nu D and D = v_F l / 2  =>  l = sigma / (pi nu v_F)
    ell = d["sigma"] / (math.pi * rep.dos * rep.v_f)
    ell_err = ell * d["sigma_err"] / d["sigma"]
    assert report("drude_mean_free_path", ell, ell_err, f"Born {rep.mean_free_path:.4g} a within 10%",
                  abs(ell / rep.mean_free_path - 1) < 0.10, "(50-wide films, L = 25..100 a)")  # fmt: skip


def test_contact_extrapolation_length():
    """An ideal contact ends the diffusion (pi/4) l beyond it (2D Milne problem): 2 s.e."""
    d = drude()
    rep = devices.film(50, 50).regime(E_FILM, W_DIS)
    z0 = math.pi / 4 * rep.mean_free_path
    assert report("contact_extrapolation_length", d["z0"], d["z0_err"],
                  f"(pi/4) l_Born = {z0:.3g} a within 2 standard errors",
                  abs(d["z0"] - z0) < 2 * d["z0_err"], "(the Drude intercept)")  # fmt: skip


# -- the finite-device model's large-film limit ---------------------------------------------------


def test_finite_film_model_tends_to_hln():
    """(W/L) HLN is the large-film limit: the extrapolation 2 r(12 l_phi) - r(6 l_phi) = 1 +- 3%."""
    l_phi = 100e-9
    b_phi = float(fits.lineshapes.b_from_length(l_phi))
    b = np.array([1.0, 4.0]) * b_phi
    hln = fits.lineshapes.hln(b, b_phi, 1.0, g_s=1)
    r = {}
    for k in (6, 12):
        sp = fits.finite.CooperonSpectrum(k * l_phi, k * l_phi, max_nodes=(4 * k) ** 2)
        r[k] = fits.finite.finite_film(b, l_phi, spectrum=sp, g_s=1) / hln
    extrapolated = 2 * r[12] - r[6]
    worst = float(extrapolated[np.argmax(np.abs(extrapolated - 1))])
    assert report("finite_film_large_limit", worst, 0.0, "HLN: ratio 1 within 3%",
                  bool(np.all(np.abs(extrapolated - 1) < 0.03)),
                  f"(at B_phi and 4 B_phi; r(6 l_phi) = {np.round(r[6], 3).tolist()})")  # fmt: skip


def test_finite_film_rashba_tends_to_ilp():
    """ILP is the large-device limit of the Rashba triplets on the device.

    `finite_film_rashba` (the triplet operator on the device's grid) and `ilp` (its Landau-level
    blocks in an infinite film) share only the operator. On squares of 5 and 10 l_phi (grid
    l_phi / 4; 12 l_phi, as in `finite_film_large_limit`, takes minutes per B_so), the
    extrapolation 2 dG(10 l_phi) - dG(5 l_phi) removes the contacts' and edges' 1/L term.
    Target: at B = B_phi/2 .. 8 B_phi, within 3% of HLN's value at 8 B_phi (the curves change
    sign, so no ratio), for B_so = B_phi/2, B_phi and 2 B_phi (L_so down to 2.8 grid cells).
    Set after an exploratory run at B_so = B_phi and 2 B_phi (0.8% and 1.5%; 2.3% at
    4 B_phi, where L_so is two cells; the spin-free control 0.7%); B_so = B_phi/2 is new.
    """
    l_phi = 100e-9
    b_phi = float(fits.lineshapes.b_from_length(l_phi))
    b = np.array([0.5, 1.0, 2.0, 4.0, 8.0]) * b_phi
    scale = float(fits.lineshapes.hln(b[-1:], b_phi, 1.0, g_s=1)[0])
    worst, dev = 0.0, {}
    for ratio in (0.5, 1.0, 2.0):
        ilp = fits.lineshapes.ilp_rashba(b, b_phi, ratio * b_phi, g_s=1)
        dg = {}
        for k in (5, 10):
            sp = fits.finite.CooperonSpectrum(k * l_phi, k * l_phi, max_nodes=(4 * k) ** 2)
            tr = fits.finite.RashbaTripletSpectrum(sp)
            dg[k] = fits.finite.finite_film_rashba(b, l_phi, ratio * b_phi, triplets=tr, g_s=1,
                                                   exact=True)  # fmt: skip
        dev[ratio] = float(np.max(np.abs(2 * dg[10] - dg[5] - ilp)) / scale)
        worst = max(worst, dev[ratio])
    assert report("finite_film_rashba_large_limit", worst, 0.0,
                  "ILP within 3% of HLN's 8 B_phi value", worst < 0.03,
                  f"(deviation at B_so / B_phi = 0.5, 1, 2: "
                  f"{[round(v, 4) for v in dev.values()]})")  # fmt: skip


# -- closed loops: input tau_phi -> simulation -> fit -> tau_phi ------------------------------------


def _loop_checks(prefix, tin, tfit, terr, extra_tol):
    """Log-log slope 1 +- 0.2, the middle points within 30%, monotone (+ extra_tol s.e.)."""
    tin = np.asarray(tin, float)
    coef, cov = np.polyfit(np.log(tin), np.log(tfit), 1, w=tfit / terr, cov="unscaled")
    slope, slope_err = coef[0], math.sqrt(cov[0, 0])
    mid = tfit[1:3] / tin[1:3]
    mid_err = terr[1:3] / tin[1:3]
    k = int(np.argmax(np.abs(mid - 1)))
    tol = f" + {extra_tol:g} standard errors" if extra_tol else ""
    oks = [
        report(f"{prefix}_slope", slope, slope_err, f"1 +- 0.2{tol} (log-log)",
               abs(slope - 1) < 0.2 + extra_tol * slope_err, figure=f"{prefix}.png"),
        report(f"{prefix}_middle", float(mid[k]), float(mid_err[k]),
               f"fitted / input within 30%{tol} (middle points)",
               bool(np.all(np.abs(mid - 1) < 0.3 + extra_tol * mid_err)),
               f"({np.round(tfit / tin, 3).tolist()})", figure=f"{prefix}.png"),
    ]  # fmt: skip
    return oks


def _loop_figure(tin, tfit, terr, title, filename):
    fig = _figure()
    ax = fig.subplots()
    tin = np.asarray(tin, float)
    ax.errorbar(tin, tfit, terr, fmt="o", capsize=2, label="fitted")
    lim = [0.5 * tin.min(), 2 * tin.max()]
    ax.plot(lim, lim, "k--", label="y = x")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input tau_phi [ps]")
    ax.set_ylabel("fitted tau_phi [ps]")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / filename, dpi=110)


TAU_FILM = (0.55, 1.1, 2.2, 4.4)  # ps: l_phi ~ 10 .. 28 sites, a factor 8 in tau_phi
B_LOOP = (0.0, 0.004, 0.008, 0.012, 0.018, 0.026, 0.036, 0.05, 0.07, 0.095, 0.125, 0.155, 0.18)


def test_closed_loop_tau_phi_film():
    """50 x 50 film with Buttiker probes: the finite-device fit returns the input tau_phi.

    Input tau_phi over a factor 8 (l_phi from 1.7 l to L/1.8); the fit solves
    the Cooperon on the device (alpha = 1, contacts absorbing z0 beyond the
    sample, z0 and D measured from the Drude fit), with the ensemble's
    covariance across fields. Checks: log-log slope 1 +- 0.2 and the middle
    points within 30% (quick tier: + 2 standard errors).
    """
    seeds = size(60, 200)
    d = drude()
    rep = devices.film(50, 50).regime(E_FILM, W_DIS)
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)
    d_si = d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s  # measured D [m^2/s]
    ell = rep.mean_free_path * u.a_m
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * ell**2)
    model = fits.FiniteFilm(g_s=1, width=250e-9, length=250e-9, b_tr=b_tr, alpha=1.0,
                            extension=d["z0"] * u.a_m, max_nodes=2500)  # fmt: skip
    tfit, terr = [], []
    for tau_in in TAU_FILM:
        ds = sweep(dev, f"closed_loop/tau_{tau_in:g}ps_n{seeds}.nc", b_perp=list(B_LOOP),
                   energies=[u.to_meV(E_FILM)], seeds=seeds, disorder=u.to_meV(W_DIS),
                   tau_phi=tau_in, dephasing="probes", probe_density=0.25)  # fmt: skip
        data = fits.from_dataset(ds, quantity="total")
        r = model.fit(data, diffusion=d_si, window=0.5 * b_tr, errors="fast")
        tfit.append(r.derived["tau_phi_ps"][0])
        terr.append(r.derived["tau_phi_ps"][1])
    tfit, terr = np.array(tfit), np.array(terr)
    _loop_figure(TAU_FILM, tfit, terr, f"50 x 50 film, probes, {seeds} realizations",
                 "closed_loop_film.png")  # fmt: skip
    assert all(_loop_checks("closed_loop_film", TAU_FILM, tfit, terr, size(2, 0)))


W_WIRE, L_WIRE, E_WIRE, DIS_WIRE = 40, 300, 3.0, 1.6
TAU_WIRE = (175.0, 350.0, 700.0, 1400.0)  # ps (nominal units t = 1 meV): l_phi ~ 60 .. 170 a
FIELD_FRACTIONS = (0, 0.02, 0.05, 0.09, 0.14, 0.2, 0.28, 0.38, 0.5, 0.65, 0.82, 1.0)


def test_closed_loop_tau_phi_wire():
    """40 x 300 wire (l ~ 12 a, N = 27) with dilute probes: the wire between reservoirs.

    Texier-Montambaux with the dirty-limit magnetic length; D from the
    Drude fit of 100-wide films; fields up to l_B = 2 l. Checks as for the film.
    """
    seeds = size(48, 120)
    d = drude(width=100, energy=E_WIRE, disorder=DIS_WIRE, folder="drude_wire")
    dev = devices.wire(W_WIRE, L_WIRE)
    u = dev.units
    rep = devices.film(100, 100).regime(E_WIRE, DIS_WIRE)
    d_si = d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s
    phi_max = math.sqrt(3) / (2 * math.pi * W_WIRE * 2 * rep.mean_free_path)  # l_B = 2 l
    fields = list(u.tesla(phi_max * np.array(FIELD_FRACTIONS)))
    model = fits.WireFinite(g_s=1, width=W_WIRE * u.a_m, length=L_WIRE * u.a_m)
    tfit, terr = [], []
    for tau_in in TAU_WIRE:
        ds = sweep(dev, f"closed_loop_wire/tau_{tau_in:g}ps_n{seeds}.nc", b_perp=fields,
                   energies=[E_WIRE], seeds=seeds, disorder=DIS_WIRE, tau_phi=tau_in,
                   dephasing="probes", probe_density=0.03)  # fmt: skip
        data = fits.from_dataset(ds, quantity="total")
        r = model.fit(data, diffusion=d_si, errors="fast")
        tfit.append(r.derived["tau_phi_ps"][0])
        terr.append(r.derived["tau_phi_ps"][1])
    tfit, terr = np.array(tfit), np.array(terr)
    _loop_figure(TAU_WIRE, tfit, terr, f"{W_WIRE} x {L_WIRE} wire, probes, {seeds} realizations",
                 "closed_loop_wire.png")  # fmt: skip
    assert all(_loop_checks("closed_loop_wire", TAU_WIRE, tfit, terr, size(2, 0)))


# -- random-matrix values ----------------------------------------------------------------------------


def _ucf_wire(dev, name):
    """G of a 60-wide wire at E = 2.05 t, box disorder 1 t, at B = 0 and with 8 flux quanta
    per 60 x 300 sites.

    Returns G [realization, field] and (variance, its standard error) at each field; the error
    of a sample variance is sqrt((m4 - m2^2) / n), from the fourth central moment.
    """
    seeds = size(300, 600)
    phi = 8 / (60 * 300)
    ds = sweep(dev, f"ucf/{name}_n{seeds}.nc", b_perp=[0.0, dev.units.tesla(phi)],
               energies=[2.05], seeds=seeds, disorder=1.0)  # fmt: skip
    g = ds.G.isel(energy=0, b_par=0).values

    def var_se(x):
        d = x - x.mean()
        return float(x.var(ddof=1)), math.sqrt((np.mean(d**4) - np.mean(d**2) ** 2) / len(x))

    return g, var_se(g[:, 0]), var_se(g[:, 1])


def test_ucf_variances_quasi_1d():
    """var G = 2/15 (beta = 1) and 1/15 (beta = 2) within 15%, and their ratio 2 within 2 s.e.

    A 60 x 300 wire, N = 30, l = 39 (L/l = 7.7, N l/L = 3.9); 8 flux quanta
    through it break time reversal. Quick tier: the 15% widened by 2 s.e.
    """
    _, (v0, e0), (v1, e1) = _ucf_wire(devices.wire(60, 300), "wire_60x300")
    ratio = v0 / v1
    rerr = ratio * math.hypot(e0 / v0, e1 / v1)
    extra = size(2, 0)
    tol = f" + {extra} s.e." if extra else ""
    ok0 = report("ucf_var_beta1", v0, e0, f"2/15 = 0.1333 within 15%{tol}",
                 abs(v0 - 2 / 15) < 0.15 * 2 / 15 + extra * e0)  # fmt: skip
    ok1 = report("ucf_var_beta2", v1, e1, f"1/15 = 0.0667 within 15%{tol}",
                 abs(v1 - 1 / 15) < 0.15 / 15 + extra * e1)  # fmt: skip
    ok2 = report("ucf_ratio", ratio, rerr, "2 within 2 standard errors", abs(ratio - 2) < 2 * rerr)
    assert ok0 and ok1 and ok2


KT_THERMAL = (1.5, 3.0, 6.0)  # k_B T / E_Th of the thermal-smearing check


def test_thermal_smearing_reduces_ucf():
    """Thermal smearing shrinks var G as the one-loop energy correlation predicts: within 20%.

    The UCF wire (60 x 300, E = 2.05 t, box 1 t, B = 0, coherent), G(E) on the grid that
    ``thermal_grid`` chooses at k_B T = 6 E_Th (spacing E_Th / 2, E_F +- 5 k_B T), smeared with
    the grid and weights it chooses at k_B T = 1.5, 3 and 6 E_Th (E_Th = hbar D / L^2, D of the
    regime report); each grid is part of the largest. var G(T) / var G(0) against
    ``ucf_smearing_factor(k_B T / E_c)``, E_c = hbar D / (L + 2 z0)^2 with z0 = (pi/4) l
    (the contacts' extrapolation length; D and l Born). Target: every ratio within 20% of the
    prediction (quick tier: + 2 s.e.); errors by bootstrap over realizations. 120 / 480
    realizations.
    """
    n = size(120, 480)
    assert _thermal_ucf("thermal_ucf_reduction", 300, KT_THERMAL, n,
                        f"thermal_ucf/wire_60x300_kT6_n{n}.nc", "thermal_ucf.png")  # fmt: skip


def test_thermal_smearing_reduces_ucf_long_wire():
    """The same check on a wire twice as long (60 x 600, L / l = 15), on fresh seeds.

    On the 300-site wire (L / l = 7.7) the full tier's var G(T) decorrelates more slowly than
    one loop beyond 2 E_Th (1.23 +- 0.07 of it at 6 E_Th), which ``studies/thermal_ucf``
    traced to the short wire: at 600 sites (seeds 0-159) G(E) follows one loop further. This
    check, set after that study and before its own run, takes seeds 10000 on, k_B T = 3 and
    6 E_Th (at 1.5 E_Th k_B T is below this wire's level spacing, which ``thermal_grid``
    refuses), the same grid rule, prediction and target: within 20% (quick tier: + 2 s.e.).
    """
    n = size(120, 480)
    assert _thermal_ucf("thermal_ucf_reduction_long", 600, (3.0, 6.0), range(10000, 10000 + n),
                        f"thermal_ucf/wire_60x600_kT6_s10000_n{n}.nc", "thermal_ucf_long.png")  # fmt: skip


def _thermal_ucf(name, length, kts, seeds, path, figure) -> bool:
    """The thermal-smearing check on the UCF wire 60 x ``length`` at k_B T / E_Th = ``kts``
    (the largest sets the grid), reported as ``name``; returns whether it passes."""
    from devices.temperature import K_B_MEV, thermal_grid, ucf_smearing_factor

    dev = devices.wire(60, length)
    ef, dis = 2.05, 1.0
    rep = dev.regime(ef, dis)
    e_th = rep.diffusion / length**2 * dev.units.t_meV
    temps = [x * e_th / K_B_MEV for x in kts]
    grids = [thermal_grid(dev, ef, t, dis) for t in temps]
    energies = np.array(grids[-1]["energies"])
    ds = sweep(dev, path, b_perp=[0.0], energies=energies.tolist(), seeds=seeds, disorder=dis)
    g = ds.G.isel(b_par=0, b_perp=0).transpose("realization", "energy").values
    n = len(g)
    smeared = [g[:, np.argmin(np.abs(energies - ef))]]  # T = 0: the Fermi energy alone
    for grid in grids:
        idx = np.array([np.argmin(np.abs(energies - e)) for e in grid["energies"]])
        assert np.allclose(energies[idx], grid["energies"], rtol=0, atol=1e-12)
        smeared.append(g[:, idx] @ np.asarray(grid["weights"]))
    smeared = np.array(smeared)  # [T = 0, T...], realization

    def ratios(x):
        v = x.var(axis=-1, ddof=1)
        return v[..., 1:] / v[..., :1]

    r = ratios(smeared)
    rng = np.random.default_rng(0)
    boot = np.array([ratios(smeared[:, rng.integers(0, n, n)]) for _ in range(2000)])
    err = boot.std(axis=0, ddof=1)
    l_born = rep.mean_free_path
    ec_over_eth = (length / (length + math.pi / 2 * l_born)) ** 2
    pred = ucf_smearing_factor(np.array(kts) / ec_over_eth)
    extra = size(2, 0)
    ok = np.abs(r - pred) < 0.2 * pred + extra * err
    worst = int(np.argmax(np.abs(r / pred - 1) - extra * err / pred))
    fig = _figure()
    ax = fig.subplots()
    x = np.geomspace(0.3, 20, 80)
    ax.plot(x, ucf_smearing_factor(x / ec_over_eth), "k-", label="one loop (ucf_smearing_factor)")
    ax.plot(x, 5 * math.pi / 4 * ec_over_eth / x, "k:", label="5 pi E_c / (4 k_B T)")
    ax.errorbar(kts, r, err, fmt="o", capsize=2, label=f"simulated, {n} realizations")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(0.1, 1.5)
    ax.set_yticks([0.1, 0.2, 0.5, 1.0])
    for axis in (ax.xaxis, ax.yaxis):
        fits.series.plain_log_ticks(axis)
    ax.set_xlabel("k_B T / E_Th")
    ax.set_ylabel("var G(T) / var G(0)")
    ax.set_title(f"60 x {length} wire, E_c = {ec_over_eth:.2f} E_Th (contacts at z0)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / figure, dpi=110)
    details = (f"(var G(0) = {smeared[0].var(ddof=1):.4f}; k_B T / E_Th = {list(kts)}: "
               f"{np.round(r, 3).tolist()} against {np.round(pred, 3).tolist()}; "
               f"{len(energies)} energies, E_Th = {e_th:.3g} t)")  # fmt: skip
    tol = f" + {extra} s.e." if extra else ""
    return report(name, float(r[worst] / pred[worst]), float(err[worst] / pred[worst]),
                  f"var G(T) / var G(0) = the one-loop factor within 20%{tol} at every T "
                  "(worst shown, as measured / predicted)", bool(ok.all()), details, figure)  # fmt: skip


def _shift(g, channels, column):
    """The paired WL shift <G(B)> - <G(0)> at ``column``; s = L/l_D from <G(B)> = N/(1 + s)."""
    dg = g[:, column] - g[:, 0]
    return dict(dG=float(dg.mean()), dG_err=float(dg.std(ddof=1) / math.sqrt(len(g))),
                s=float(channels / g[:, column].mean() - 1))  # fmt: skip


def shift_curve(s):
    """(1/3) (s/(1 + s))^3: the curve the simulated WL shift follows against s = L/l_D (empirical)."""
    s = np.asarray(s, float)
    return (s / (1 + s)) ** 3 / 3


# wires of the WL-shift scan: W, L [a], box [t], E [t], realizations, fields as r_c / W
WL_WIRES = (
    (100, 225, 0.9, 3.0, 1000), (100, 450, 0.9, 3.0, 1000), (100, 900, 0.9, 3.0, 1000),
    (100, 1350, 0.9, 3.0, 1000), (30, 150, 0.71, 3.0, 1000), (30, 300, 0.71, 3.0, 1000),
    (30, 600, 0.71, 3.0, 1000), (126, 1970, 0.82, 3.6, 1000),
)  # fmt: skip


@full_only
def test_wl_shift_approaches_one_third():
    """<G(B)> - <G(0)> of long spinless wires approaches 1/3 (DMPK, beta = 1).

    Wires of three materials at fields r_c = 10 W (time reversal broken,
    classical magnetoresistance negligible), s = L/l_D from each wire's own
    <G(B)> = N/(1 + s). Two checks: the amplitude A of A (s/(1+s))^3 over all
    wires within 10% of 1/3 (fit p > 0.01; the form was identified from these
    data, not put into the simulation), and the longest wire within 10% of 1/3.
    """
    s, y, dy = [], [], []
    for w, length, dis, e, n in WL_WIRES:
        dev = devices.wire(w, length)
        rep = dev.regime(e, dis)
        phi = rep.k_f / (2 * np.pi * np.array([np.inf, 10]) * w)  # r_c = inf, 10 W
        g = sweep(dev, f"wl_shift/wire_{w}x{length}_{dis:g}_E{e:g}_n{n}.nc",
                  b_perp=list(dev.units.tesla(phi)), energies=[e], seeds=n,
                  disorder=dis).G.isel(energy=0, b_par=0).values  # fmt: skip
        x = _shift(g, rep.channels, 1)
        s.append(x["s"])
        y.append(x["dG"])
        dy.append(x["dG_err"])
    s, y, dy = np.array(s), np.array(y), np.array(dy)
    f = shift_curve(s) * 3
    w = 1 / dy**2
    amp = float(np.sum(w * f * y) / np.sum(w * f**2))
    amp_err = float(1 / math.sqrt(np.sum(w * f**2)))
    chi2 = float(np.sum(w * (y - amp * f) ** 2))
    p_value = float(stats.chi2.sf(chi2, len(y) - 1))
    fig = _figure()
    ax = fig.subplots()
    ax.errorbar(s, y, dy, fmt="o", ms=4, label="simulated wires (spinless)")
    grid = np.geomspace(1, 200, 200)
    ax.plot(grid, shift_curve(grid), "-", label="(1/3) [s/(1+s)]^3")
    ax.axhline(1 / 3, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("s = L / l_D")
    ax.set_ylabel("<G(B)> - <G(0)> [e^2/h]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "wl_shift.png", dpi=110)
    ok_amp = report("wl_shift_asymptote", amp, amp_err, "1/3 within 10%, fit p > 0.01",
                    abs(amp * 3 - 1) < 0.10 and p_value > 0.01,
                    f"(chi2 = {chi2:.1f} for {len(y) - 1} dof)", figure="wl_shift.png")  # fmt: skip
    k = int(np.argmax(s))
    ok = report("wl_shift_longest", float(y[k]), float(dy[k]), "1/3 within 10%",
                abs(y[k] * 3 - 1) < 0.10, f"(s = {s[k]:.1f})", figure="wl_shift.png")  # fmt: skip
    assert ok_amp and ok


# -- parallel field: the same l_phi in both orientations --------------------------------------------

W_SLAB, NZ_SLAB, E_SLAB, DIS_SLAB = 48, 8, 3.0, 4.5  # l = 2.37 a, d = 7.94 a: l/d = 0.30
PERP_FRACTIONS = (0.5, 1, 2, 4, 8, 14, 20)  # of B_phi = hbar / (4 e l_phi^2)
PAR_FRACTIONS = (0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 1.0)
PHI_PAR_MAX = 0.0025  # in-plane flux per x-z plaquette [h/e]: magnetic length = d at the top


def _slab_orientation(length, l_in, seeds):
    """l_phi from a perpendicular and an in-plane sweep of the same slab realizations [a]."""
    dev = devices.film(W_SLAB, length, thickness=NZ_SLAB)
    u, rep = dev.units, dev.regime(E_SLAB, DIS_SLAB)
    ell = rep.mean_free_path
    tau = l_in**2 / rep.diffusion * u.time_ps
    kw = dict(energies=[E_SLAB], seeds=seeds, disorder=DIS_SLAB, tau_phi=tau,
              dephasing="probes", probe_density=0.01)  # fmt: skip
    tag = f"{W_SLAB}x{length}x{NZ_SLAB}_lphi{l_in:g}_n{seeds}.nc"
    common = dict(g_s=1, width=W_SLAB * u.a_m, length=length * u.a_m, alpha=1.0,
                  extension=0.71 * ell * u.a_m, max_nodes=round(1600 * max(1.0, length / 192)))  # fmt: skip
    phi_phi = 1 / (8 * math.pi * l_in**2)
    perp = fits.from_dataset(sweep(dev, f"slab/perp_{tag}", **kw,
                                   b_perp=[0.0, *u.tesla(phi_phi * np.array(PERP_FRACTIONS))]),
                             quantity="total")  # fmt: skip
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (ell * u.a_m) ** 2)
    r1 = fits.FiniteFilm(b_tr=b_tr, **common).fit(perp, window=0.5 * b_tr, errors="fast")
    par = fits.from_dataset(sweep(dev, f"slab/par_{tag}", **kw,
                                  b_par=[0.0, *u.tesla(PHI_PAR_MAX * np.array(PAR_FRACTIONS))]),
                            quantity="total", axis="b_par")  # fmt: skip
    thick = math.sqrt(NZ_SLAB**2 - 1) * u.a_m
    r2 = fits.FiniteFilmParallel(thickness=thick, mean_free_path=ell * u.a_m, cross_section=True,
                                 **common).fit(par)  # fmt: skip
    return dict(perp=r1.values["l_phi"] / u.a_m, perp_err=r1.stderr["l_phi"] / u.a_m,
                par=r2.values["l_phi"] / u.a_m, par_err=r2.stderr["l_phi"] / u.a_m,
                b_star=r2.derived["b_star_T"])  # fmt: skip


def test_parallel_field_same_l_phi():
    """In-plane and perpendicular fits of one slab give one l_phi: ratio 1 +- 0.2.

    Slab 48 x L x 8 (l/d = 0.30, 1% probes), the in-plane fit with flux
    cancellation and the Cooperon solved across d (fits.FiniteFilmParallel),
    contacts at least 5 fitted l_phi apart (where the in-plane model holds).
    Quick tier: L = 96 at the shortest tau_phi, 30 realizations (+ 2 s.e.);
    full tier: L = 192 at three tau_phi, 50 realizations, and B* against the
    input l_phi with log-log slope -1 +- 0.2.
    """
    length, inputs, seeds = size((96, (14.7,), 30), (192, (14.7, 20.8, 29.4), 50))
    rows = [_slab_orientation(length, l_in, seeds) for l_in in inputs]
    r = np.array([x["par"] / x["perp"] for x in rows])
    e = r * np.array([math.hypot(x["par_err"] / x["par"], x["perp_err"] / x["perp"]) for x in rows])
    w = e**-2
    mean, err = float(np.sum(w * r) / np.sum(w)), float(np.sum(w) ** -0.5)
    extra = size(2, 0)
    ok = report("parallel_lphi_ratio", mean, err,
                "l_phi(in-plane) / l_phi(perpendicular) = 1 +- 0.2" + (f" + {extra} s.e." if extra else ""),
                abs(mean - 1) < 0.2 + extra * err,
                f"(48 x {length} x 8 slab, per tau_phi {np.round(r, 3).tolist()})")  # fmt: skip
    if TIER == "full":
        b = np.array([x["b_star"][0] for x in rows])
        be = np.array([x["b_star"][1] for x in rows])
        coef, cov = np.polyfit(np.log(inputs), np.log(b), 1, w=b / be, cov="unscaled")
        ok &= report("parallel_bstar_slope", coef[0], math.sqrt(cov[0, 0]),
                     "B* ~ l_phi^-1: log-log slope -1 +- 0.2", abs(coef[0] + 1) < 0.2)  # fmt: skip
    assert ok


# -- dephasing at scale: sparse probes, and the HLN closed loop on a large film -----------------


def test_sparse_probes_dephase_like_dense_ones():
    """The default ("auto") probe density gives the ensemble of dense probes: Hotelling T^2, p > 0.01.

    The demo's film (50 x 50, l_phi = 2 l), tau_phi = 0.75 ps, the same realizations with
    probes on 25% of the sites at random and at the automatic density (a grid of spacing
    min(l_phi/4, l): 3 sites, 11%); the paired differences of dG(B) - dG(0) over the fields must be zero within
    their covariance across realizations (T^2 against its F distribution).
    """
    seeds = size(64, 200)
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)
    fields = list(np.linspace(0, 0.18, 13))
    g = {}
    for rho in (0.25, "auto"):
        name = "auto_grid" if rho == "auto" else f"rho_{rho}"
        ds = sweep(dev, f"sparse_probes/{name}_n{seeds}.nc", b_perp=fields, energies=[23.4],
                   seeds=seeds, disorder=57.0, tau_phi=0.75, dephasing="probes",
                   probe_density=rho)  # fmt: skip
        x = ds.G.isel(energy=0, b_par=0).values
        g[rho] = x[:, 1:] - x[:, :1]
    d = g["auto"] - g[0.25]
    n, p = d.shape
    mean, cov = d.mean(0), np.cov(d, rowvar=False)
    t2 = n * float(mean @ np.linalg.solve(cov, mean))
    f = (n - p) / (p * (n - 1)) * t2
    p_value = float(stats.f.sf(f, p, n - p))
    auto = transport.auto_probe_density(dev, 23.4, 57.0, 0.75)
    assert report("sparse_probes_equal_dense", p_value, 0.0,
                  "Hotelling T^2 of the paired dG(B) differences: p > 0.01", p_value > 0.01,
                  f"(a grid, density {auto}, against 0.25 at random, {seeds} realizations, {p} fields; largest mean "
                  f"difference {np.abs(mean).max():.4f} e^2/h)")  # fmt: skip


HLN_LPHI = (18.0, 25.5, 36.0, 51.0)  # [a]: l_phi = 3 l .. 8.5 l, a factor 8 in tau_phi


@full_only
def test_closed_loop_hln_large():
    """HLN gives tau_phi back on a film 5 l_phi wide and long: slope 1 +- 0.2, middle within 25%.

    A 255 x 255 film (E = 1.03 t, box 2.5 t: l = 6.0 a, k_F l = 6.3) with Buttiker probes
    at the automatic density, l_phi from 3 l to 8.5 l (a factor 8 in tau_phi), 24
    realizations, fields from B_phi/4 to B_tr/2; fitted with plain HLN, alpha = 1 fixed
    (the checks) and free (reported), D from the Drude fit.
    """
    side, seeds = 255, 24
    d = drude()
    dev = devices.film(side, side)
    u, rep = dev.units, dev.regime(E_FILM, W_DIS)
    d_si = d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s
    ell = rep.mean_free_path
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (ell * u.a_m) ** 2)
    tin, tfit, terr, tfree = [], [], [], []
    for l_phi in HLN_LPHI:
        tau = l_phi**2 / rep.diffusion * u.time_ps  # input tau_phi [ps, nominal units]
        b_phi = float(fits.lineshapes.b_from_length(l_phi * u.a_m))
        fields = [0.0, *np.geomspace(b_phi / 4, b_tr / 2, 12)]
        ds = sweep(dev, f"hln_large/lphi_{l_phi:g}_n{seeds}.nc", b_perp=fields, energies=[E_FILM],
                   seeds=seeds, disorder=W_DIS, tau_phi=tau, dephasing="probes")  # fmt: skip
        data = fits.from_dataset(ds, quantity="sheet")
        r = fits.HLN(g_s=1, alpha=1.0, b_tr=b_tr).fit(data, diffusion=d_si, errors="fast")
        free = fits.HLN(g_s=1, b_tr=b_tr).fit(data, diffusion=d_si, errors="fast")
        tin.append(tau)
        tfit.append(r.derived["tau_phi_ps"][0])
        terr.append(r.derived["tau_phi_ps"][1])
        tfree.append(round(free.derived["tau_phi_ps"][0] / tau, 3))
    tin, tfit, terr = np.array(tin), np.array(tfit), np.array(terr)
    _loop_figure(tin, tfit, terr, f"{side} x {side} film, HLN, {seeds} realizations",
                 "closed_loop_hln_large.png")  # fmt: skip
    coef, cov = np.polyfit(np.log(tin), np.log(tfit), 1, w=tfit / terr, cov="unscaled")
    mid = tfit[1:3] / tin[1:3]
    ok = report("closed_loop_hln_large_slope", coef[0], math.sqrt(cov[0, 0]), "1 +- 0.2 (log-log)",
                abs(coef[0] - 1) < 0.2, f"(alpha free: fitted / input {tfree})",
                figure="closed_loop_hln_large.png")  # fmt: skip
    ok &= report("closed_loop_hln_large", float(mid[np.argmax(np.abs(mid - 1))]), 0.0,
                 "fitted / input within 25% (middle points)", bool(np.all(np.abs(mid - 1) < 0.25)),
                 f"({np.round(tfit / tin, 3).tolist()})", figure="closed_loop_hln_large.png")  # fmt: skip
    assert ok


# -- temperature: the closed loop of tau_phi(T) and the resistance rise -------------------------

T_LOOP = (0.4, 0.7113, 1.2649, 2.2494, 4.0)  # K: a decade, evenly in ln T


def test_temperature_closed_loop():
    """A cooled film: p of tau_phi(T) back from the series fit, and the zero-field rise.

    The demo's 50 x 50 film (a = 5 nm, m = 0.067) with tau_phi(T) = 2.2 ps (T / 1 K)^-1
    imposed by Buttiker probes (automatic density) at five temperatures over a decade,
    l_phi from 2 l to 6 l. The series is fitted by ``fits.series.fit_series``, the code
    that fits a measured series, with the Cooperon on the device (alpha = 1, z0 and D from
    the Drude fit); the error of p is the larger of the fit's and a jackknife over 8 blocks of
    realizations. Checks: p within 0.15 of the input; the slope of G(0) - G(B_q)
    (paired per realization) against ln T within 20% of the same model's prediction for
    the input law (quick tier: both + 2 standard errors). The zero field alone is not
    compared: the probes relax momentum, which adds a Drude resistance that grows with T
    (measured here as the quenched-field slope, reported).

    B_q is the field node nearest B_tr / 4 (0.095 T), inside the range where the diffusive
    Cooperon holds, on realizations 5000 on. Both were set before their run, after an
    earlier run (realizations 0-239, B_q = B_tr / 2) whose rise fell 26% short of the model,
    which lay above the data at B_tr / 2 at every temperature (docs/validation.md).
    """
    extra = size(2, 0)
    assert _cooling_loop("temperature_loop", 0.0, alpha=1.0, p_slack=extra, rise_slack=extra)


def test_temperature_closed_loop_antilocalization():
    """A cooled Rashba film: the same loop with antilocalization, where the zero-field
    conductance is a peak that grows on cooling (the resistance falls).

    The film, law, fields, realizations and quench field of ``test_temperature_closed_loop``,
    now spinful with Rashba lambda_R = 0.15 t (L_so = 3.3 a < l: the spin relaxes within a few
    scattering times and the triplets are gone), fitted at alpha = -1/2 with g_s = 2 (G counts
    both spins), with D and z0 of the spinless film's Drude fit (the coupling changes them at
    second order in lambda_R). Checks, set before the first run: p within 0.15 of the input, and the slope of
    G(0) - G(B_q) against ln T, which is negative, within 20% of the model's for the input law;
    both + 2 standard errors at every tier (the spinful rise is noisier than the spinless one).
    """
    assert _cooling_loop("temperature_loop_wal", 0.15, alpha=-0.5, p_slack=2, rise_slack=2)


def _cooling_loop(name, lambda_r, *, alpha, p_slack, rise_slack):
    """The demo film cooled over a decade, fitted as a measured series; reports ``name``_p and
    ``name``_rise and returns whether both pass (the tolerances widened by ``p_slack`` and
    ``rise_slack`` standard errors). ``lambda_r`` [t]: 0 a spinless film, else a spinful one
    with that Rashba coupling."""
    d = drude()
    folder = "temperature" + ("_wal" if lambda_r else "")
    dev, ds, law, d_si, b_tr = _cooling_series(lambda_r, 5000, folder)
    g_s = dev.g_s
    model = fits.FiniteFilm(g_s=g_s, width=250e-9, length=250e-9, b_tr=b_tr, alpha=alpha,
                            extension=d["z0"] * dev.units.a_m, max_nodes=2500)  # fmt: skip
    opts = dict(diffusion=d_si, window=0.5 * b_tr)
    res = fits.series.fit_series(fits.series.points_from_dataset(ds), model, **opts)
    # the quoted error: the larger of the fit's and the jackknife over blocks of realizations
    # (the same disorder at every T correlates tau_phi(T) across temperatures)
    jk = fits.series.jackknife_power_law(ds, model, **opts)
    p, p_err = res.power_law["p"], max(res.power_law["p_stderr"], jk["p_stderr"])
    res.power_law["p_stderr"] = p_err
    figure = f"{name}.png"
    res.plot(RESULTS / figure)
    ratios = [round(s["tau_phi_ps"] / law.tau_phi_ps(s["temperature_K"]), 3) for s in res.series]
    ok = report(f"{name}_p", p, p_err, "input p = 1 within 0.15" + _slack(p_slack),
                abs(p - 1) < 0.15 + p_slack * p_err, f"(tau_phi fitted / input: {ratios})",
                figure=figure)  # fmt: skip
    g = ds.G.isel(energy=0, b_par=0).transpose("temperature", "realization", "b_perp").values
    iq = int(np.argmin(np.abs(ds.b_perp.values - b_tr / 4)))
    b_q = float(ds.b_perp.values[iq])
    slope, slope_err = fits.resistance.log_slope(T_LOOP, g[:, :, 0] - g[:, :, iq])
    quenched = fits.resistance.log_slope(T_LOOP, g[:, :, iq])
    l_phi = np.sqrt(d_si * np.asarray(ds.tau_phi_ps.values) * 1e-12)
    pred = [-float(model(np.array([b_q]), l_phi=lp)[0] - model(np.zeros(1), l_phi=lp)[0])
            for lp in l_phi]  # fmt: skip
    want = float(np.polyfit(np.log(T_LOOP), pred, 1)[0])
    spins = "per spin" if g_s == 1 else "both spins"
    ok &= report(f"{name}_rise", slope, slope_err,
                 f"the model's {want:.4f} e^2/h ({spins}) per e-fold within 20%"
                 + _slack(rise_slack),
                 abs(slope - want) < 0.2 * abs(want) + rise_slack * slope_err,
                 f"(B_q = {b_q:g} T; quenched-field slope {quenched[0]:.3f} +- {quenched[1]:.3f}: the probes' "
                 f"own scattering; HLN for a large film {alpha * g_s / (2 * math.pi):.3f})",
                 figure=figure)  # fmt: skip
    return ok


def _cooling_series(lambda_r, first_seed, folder):
    """The demo film (50 x 50 sites, a = 5 nm, m = 0.067; spinful with Rashba ``lambda_r`` [t]
    if non-zero) at ``T_LOOP`` with tau_phi = 2.2 ps (T / 1 K)^-1 imposed by probes, over
    ``B_LOOP``: (device, temperature dataset, law, Drude D [m^2/s], B_tr [T])."""
    seeds = [first_seed + i for i in range(size(60, 240))]
    rep = devices.film(50, 50).regime(E_FILM, W_DIS)
    u = devices.Units.from_mass(5.0, 0.067)
    spin = devices.Spin(rashba=2 * lambda_r * u.t_meV * u.a_nm) if lambda_r else None  # meV nm
    dev = devices.film(250.0, 250.0, units=u, spin=spin)
    d_si = drude()["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * u.a_m) ** 2)
    law = devices.DephasingLaw(tau_0_ps=2.2, p=1.0, t_ref_K=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        ds = transport.temperature_sweep(
            dev, temperatures=T_LOOP, law=law, energy=u.to_meV(E_FILM), seeds=seeds,
            disorder=u.to_meV(W_DIS), b_perp=list(B_LOOP),
            path=CACHE / f"{folder}_s{first_seed}_n{len(seeds)}",
            executor=DASK, progress=False)  # fmt: skip
    return dev, ds, law, d_si, b_tr


def test_temperature_loop_b_so():
    """A cooled film with weak Rashba coupling: the B_so its temperatures share is
    D'yakonov-Perel's, within 25%.

    The film, law and fields of ``test_temperature_closed_loop``, spinful with the coupling of
    ``test_dyakonov_perel_b_so`` (lambda_R = 0.025 t: Omega tau = 0.3, B_so about 17 mT), so
    B_so / B_phi of the input law runs from 0.3 at 4 K to 3 at 0.4 K. (On this 250 nm film the
    cold curves are cut off by the sample as much as by l_phi: all five stay weak localization,
    shrunk by the triplets' relaxation, with no antilocalization dip at the lowest fields.)
    The series is fitted as a measured one (``fit_series``) with
    the Rashba triplet Cooperon on the device (``finite_film_rashba``, g_s = 2, below B_tr/2,
    D and z0 from the Drude fit): l_phi per temperature, B_so shared. The error of B_so is the
    larger of the fit's and a jackknife over 8 blocks of realizations (the same disorder at
    every temperature). Seeds 7000 on. Check, set before the first run: fitted over kinetic
    D'yakonov-Perel B_so is 1 within 25% (quick tier: + 2 s.e.), the single film's target.
    """
    from devices.spin import dyakonov_perel_lattice_b_so, dyakonov_perel_omega_tau

    d = drude()
    dev, ds, law, d_si, b_tr = _cooling_series(DP_LAMBDA, 7000, "temperature_b_so")
    u = dev.units
    rep = dev.regime(u.to_meV(E_FILM), u.to_meV(W_DIS))  # D and tau of the spinful film
    d_born = rep.diffusion * u.diffusion_m2s
    want = dyakonov_perel_lattice_b_so(dev.spin.rashba, 0.0, u, d_born, rep.tau_ps)
    omega_tau = dyakonov_perel_omega_tau(dev.spin.rashba, 0.0, u, d_born, rep.tau_ps)
    model = fits.FiniteFilmRashba(g_s=2, width=250e-9, length=250e-9, b_tr=b_tr,
                                  extension=d["z0"] * u.a_m, max_nodes=600)  # fmt: skip
    opts = dict(diffusion=d_si, window=0.5 * b_tr)
    res = fits.series.fit_series(fits.series.points_from_dataset(ds), model, **opts)
    jk = fits.series.jackknife_power_law(ds, model, **opts)
    b_so, fit_err = res.shared["b_so"]
    b_err = max(fit_err, jk["shared_stderr"]["b_so"])
    res.shared["b_so"] = (b_so, b_err)
    res.power_law["p_stderr"] = max(res.power_law["p_stderr"], jk["p_stderr"])
    res.plot(RESULTS / "temperature_loop_b_so.png")
    ratio, err = b_so / want, b_err / want
    extra = size(2, 0)
    ratios = [round(s["tau_phi_ps"] / law.tau_phi_ps(s["temperature_K"]), 3) for s in res.series]
    assert report("temperature_loop_b_so", ratio, err,
                  f"fitted (shared) / D'yakonov-Perel B_so = 1 within 25%{_slack(extra)}",
                  abs(ratio - 1) < 0.25 + extra * err,
                  f"(B_so {1e3 * b_so:.4g} +- {1e3 * b_err:.2g} mT against {1e3 * want:.4g} mT "
                  f"at Omega tau = {omega_tau:.2f}; fit error {1e3 * fit_err:.2g}, "
                  f"jackknife {1e3 * jk['shared_stderr']['b_so']:.2g} mT; p = "
                  f"{res.power_law['p']:.3f} +- {res.power_law['p_stderr']:.2g}; tau_phi fitted / "
                  f"input {ratios})", figure="temperature_loop_b_so.png")  # fmt: skip


def _slack(n):
    return f" + {n:g} standard errors" if n else ""


# -- scaling theory -----------------------------------------------------------------------------

# 2D square films at E = 2 t: disorder [t], sizes [a], realizations. The beta function is
# compared on the largest pair of sizes, L >= 7 l (l = 6.2 a at W = 2.5, 3.2 a at W = 3.5).
BETA_2D = size(
    ((2.5, (48, 96), 400), (3.5, (64, 128), 400)),
    ((2.5, (48, 96, 192), 800), (3.5, (64, 128, 256), 800)),
)


def test_beta_2d():
    """beta(g) = d<ln g>/d ln L < 0 at every disorder; at g ~ 4 within 2 s.e. of -1/(pi g).

    Square films L x L at E = 2 t (spinless, orthogonal), sample conductance
    after the contacts are removed (1/g = 1/G - 1/N), differences per
    realization. Negative: beta + 2 s.e. < 0. The one-loop value holds for
    g >> 1, so it is checked at the weaker disorder (g ~ 4) only; the stronger
    one (g ~ 1.5) is reported against it.
    """
    from fits.scaling import beta_function, beta_perturbative

    fig = _figure()
    ax = fig.subplots()
    ok, rows = True, []
    for k, (w_dis, sizes, seeds) in enumerate(BETA_2D):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", transport.RegimeWarning)
            ds = transport.scaling.size_sweep("square", sizes, energy=2.0, seeds=seeds,
                                              disorder=w_dis, executor=DASK, progress=False,
                                              path=CACHE / f"beta_2d/W{w_dis:g}_n{seeds}")  # fmt: skip
        b = beta_function(ds)
        ax.errorbar(b["g"], b["beta"], b["beta_err"], fmt="o", capsize=2, color=f"C{k}",
                    label=f"W = {w_dis:g} t, L = {'-'.join(map(str, sizes))} a")  # fmt: skip
        beta, err, g = b["beta"][-1], b["beta_err"][-1], b["g"][-1]
        pert = float(beta_perturbative(g))
        neg = beta + 2 * err < 0
        rows.append(f"W = {w_dis:g}: beta({g:.2f}) = {beta:.3f} +- {err:.3f}, "
                    f"-1/(pi g) = {pert:.3f}")  # fmt: skip
        ok &= report(f"beta_2d_negative_W{w_dis:g}", beta, err, "< 0 by 2 standard errors", neg,
                     f"(g = {g:.2f}, L = {sizes[-2]}..{sizes[-1]} a, {seeds} realizations; "
                     f"-1/(pi g) = {pert:.3f})", figure="beta_2d.png")  # fmt: skip
    gg = np.linspace(1.0, 6.0, 100)
    ax.plot(gg, beta_perturbative(gg), "k--", label="-1/(pi g)")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("g = exp(<ln g>) [e^2/h per spin]")
    ax.set_ylabel("beta = d<ln g>/d ln L")
    ax.set_title("2D orthogonal, square films, E = 2 t")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "beta_2d.png", dpi=110)
    # the one-loop comparison at the weaker disorder
    w_dis, sizes, seeds = BETA_2D[0]
    ds = transport.scaling.size_sweep("square", sizes, energy=2.0, seeds=seeds, disorder=w_dis,
                                      executor=DASK, progress=False,
                                      path=CACHE / f"beta_2d/W{w_dis:g}_n{seeds}")  # fmt: skip
    b = beta_function(ds)
    beta, err, g = b["beta"][-1], b["beta_err"][-1], b["g"][-1]
    pert = float(beta_perturbative(g))
    ok &= report("beta_2d", beta, err, "-1/(pi g) within 2 standard errors at g ~ 4",
                 abs(beta - pert) < 2 * err, f"(-1/(pi g) = {pert:.3f} at g = {g:.2f}; "
                 + "; ".join(rows) + ")", figure="beta_2d.png")  # fmt: skip
    assert ok


BETA_TR_SEEDS = size(400, 1600)  # fresh realizations: seeds 10000 on (beta_2d uses 0 on)


def test_beta_2d_time_reversal():
    """The time-reversal part of beta, beta(0) - beta(B), is the device's one-loop: within 20%.

    Squares of 96 and 192 a at E = 2 t, box 2.5 t (spinless, the weaker disorder of
    ``beta_2d``), at B = 0 and at 1.1e-3 flux quanta per plaquette, where the Cooperon's
    magnetic length (8.5 a) is far below both sizes and the cyclotron radius (227 a) above
    them: beta(B) keeps the classical size dependence, and beta(0) - beta(B), paired per
    realization, is the weak-localization part alone. Prediction: the Cooperon on each square
    (``fits.scaling.weak_localization_square``: contacts absorbing at z0 = (pi/4) l, l Born,
    cut off at l, grid 2 a), [G_WL(0) - G_WL(B)] between the sizes over g ln 2. Target, set
    after ``studies/beta_2d`` measured 0.90 +- 0.06 on seeds 0-3199, on fresh seeds: the ratio
    1 within 20% (quick tier: + 2 s.e.). 400 / 1600 realizations.
    """
    from devices import bands
    from fits.scaling import weak_localization_square
    from transport.scaling import sample_conductance

    seeds = range(10000, 10000 + BETA_TR_SEEDS)
    energy, w_dis, sizes = 2.0, 2.5, (96, 192)
    field = devices.film(sizes[0], sizes[0]).units.tesla(1.1e-3)
    ln_g = []
    for n in sizes:
        dev = devices.film(n, n)
        ds = sweep(dev, f"beta_2d_tr/square{n}_s10000_n{BETA_TR_SEEDS}.nc", b_perp=[0.0, field],
                   energies=[energy], seeds=seeds, disorder=w_dis)  # fmt: skip
        big_g = ds.G.isel(energy=0, b_par=0).values  # (realization, field)
        ln_g.append(np.log(sample_conductance(big_g, bands.open_channels(energy, n))))
    d = (ln_g[1] - ln_g[0]) / math.log(sizes[1] / sizes[0])  # beta per realization, per field
    tr = d[:, 0] - d[:, 1]
    g_mid = math.exp(0.5 * (ln_g[0][:, 0].mean() + ln_g[1][:, 0].mean()))
    ell = devices.film(sizes[0], sizes[0]).regime(energy, w_dis).mean_free_path
    wl = {(n, b): weak_localization_square(n * 1e-9, ell * 1e-9, b, node_spacing=2e-9)
          for n in sizes for b in (0.0, field)}  # fmt: skip
    model = (
        (wl[sizes[1], 0.0] - wl[sizes[1], field]) - (wl[sizes[0], 0.0] - wl[sizes[0], field])
    ) / (math.log(sizes[1] / sizes[0]) * g_mid)
    sem = float(tr.std(ddof=1) / math.sqrt(len(tr)))
    ratio, err = float(tr.mean() / model), sem / abs(model)
    extra = size(2, 0)

    def fmt(x):
        return f"{x.mean():+.4f} +- {x.std(ddof=1) / math.sqrt(len(x)):.4f}"

    assert report("beta_2d_time_reversal", ratio, err,
                  "[beta(0) - beta(B)] / the device's one-loop = 1 within 20%"
                  + (f" + {extra} s.e." if extra else ""), abs(ratio - 1) < 0.2 + extra * err,
                  f"(L = {sizes[0]}..{sizes[1]} a, g = {g_mid:.2f}, {len(tr)} fresh realizations: "
                  f"beta(0) = {fmt(d[:, 0])}, beta(B) = {fmt(d[:, 1])} (classical), "
                  f"beta(0) - beta(B) = {fmt(tr)} against {model:+.4f}; -1/(pi g) = "
                  f"{-1 / (math.pi * g_mid):.4f})")  # fmt: skip


# 2D strips with hard walls at E = 2 t, box 2 t (l = 9.8 a): widths M [a]
QUASI_1D = size((8, 16, 24), (8, 16, 24, 32, 48))


def test_quasi1d_localization_length():
    """The transfer-matrix xi of 2D strips within 20% of (beta N + 2 - beta) l' = (N + 1) l'.

    l' = (pi/2) l with the Born l (Beenakker, RMP 69, 731 (1997)); relative
    accuracy 1% (quick) or 0.5% (full) per strip.
    """
    from transport.transfer import quasi_1d_prediction

    lam = transport.scaling.localization_lengths(
        QUASI_1D, [2.0], energy=2.0, dimension=2, boundary="hard",
        accuracy=size(0.01, 0.005), path=CACHE / "quasi1d")  # fmt: skip
    ratios, errs, rows = [], [], []
    for m in QUASI_1D:
        p = quasi_1d_prediction(m, 2.0, 2.0)
        xi, xi_err = (
            float(lam.xi.sel(width=m, disorder=2.0)),
            float(lam.xi_err.sel(width=m, disorder=2.0)),
        )
        ratios.append(xi / p["xi"])
        errs.append(xi_err / p["xi"])
        rows.append(f"M = {m}: N = {p['channels']}, xi = {xi:.1f} a vs {p['xi']:.1f} a")
    ratios, errs = np.array(ratios), np.array(errs)
    fig = _figure()
    ax = fig.subplots()
    ax.errorbar(QUASI_1D, ratios, errs, fmt="o", capsize=2)
    ax.axhspan(0.8, 1.2, color="0.9", label="target 20%")
    ax.axhline(1, color="k", ls="--", lw=1)
    ax.set_xlabel("strip width M [a]")
    ax.set_ylabel("xi / (N + 1) l'")
    ax.set_title("quasi-1D localization length, E = 2 t, W = 2 t")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "quasi1d_localization_length.png", dpi=110)
    worst = float(ratios[np.argmax(np.abs(ratios - 1))])
    ok = report("quasi1d_localization_length", worst, float(errs[np.argmax(np.abs(ratios - 1))]),
                "(beta N + 2 - beta) l' within 20% (worst width)",
                bool(np.all(np.abs(ratios - 1) < 0.2)), "(" + "; ".join(rows) + ")",
                figure="quasi1d_localization_length.png")  # fmt: skip
    assert ok


# 3D Anderson model at the band centre (E = 6 t), periodic cross-sections M x M
ANDERSON_WIDTHS = size((4, 6, 8), (4, 6, 8, 10, 12))
ANDERSON_W = size((15.0, 18.0), tuple(np.arange(15.0, 18.01, 0.5)))


def _anderson():
    return transport.scaling.localization_lengths(
        ANDERSON_WIDTHS, ANDERSON_W, energy=6.0, dimension=3, accuracy=0.005,
        path=CACHE / "anderson_3d")  # fmt: skip


def _anderson_fit(lam):
    """The scaling fit fixed before the run: every width, n_r = 3, the irrelevant correction;
    where the data do not allow it (y at its bound, or an error on W_c above 1 t), widths
    M >= 6 without it."""
    from fits.scaling import fit_finite_size_scaling

    try:
        f = fit_finite_size_scaling(lam, n_r=3, irrelevant=True)
        allowed = f.values["y"] > 0.21 and f.w_c_err < 1.0
    except (RuntimeError, ValueError):
        allowed = False
    if not allowed:
        f = fit_finite_size_scaling(lam.sel(width=[m for m in ANDERSON_WIDTHS if m >= 6]), n_r=3)
    return f


def test_anderson_3d_critical_disorder():
    """3D Anderson transition: Lambda = xi_M/M rises with M below W_c, falls above.

    Quick: M = 4, 6, 8 at W = 15 and 18 t, 0.5% each; Lambda(8) - Lambda(4)
    > 0 at 15 t and < 0 at 18 t, each by 3 standard errors: the crossing is
    bracketed. Full: the finite-size-scaling fit gives W_c within 0.3 t of 16.54.
    """
    from fits.scaling import crossing

    lam = _anderson()
    lo, hi = min(ANDERSON_WIDTHS), max(ANDERSON_WIDTHS)
    d = (lam.Lambda.sel(width=hi) - lam.Lambda.sel(width=lo)).values
    de = np.hypot(lam.Lambda_err.sel(width=hi), lam.Lambda_err.sel(width=lo)).values
    ws = lam.disorder.values
    w_star, w_err = crossing(ws, lam.Lambda.sel(width=lo).values, lam.Lambda.sel(width=hi).values,
                             lam.Lambda_err.sel(width=lo).values,
                             lam.Lambda_err.sel(width=hi).values)  # fmt: skip
    fig = _figure()
    ax = fig.subplots()
    for m in ANDERSON_WIDTHS:
        sel = lam.sel(width=m)
        ax.errorbar(ws, sel.Lambda, sel.Lambda_err, fmt="o-", ms=3, capsize=2, label=f"M = {m}")
    ax.set_xlabel("box disorder W [t]")
    ax.set_ylabel("Lambda = xi_M / M")
    ax.set_title("3D Anderson model, E = 6 t (band centre)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "anderson_3d.png", dpi=110)
    lengths = f"bars {int(lam.length.min())}..{int(lam.length.max())} slices, accuracy 0.5%"
    if TIER == "quick":
        ok = report("anderson_3d_critical_disorder", w_star if w_star else float("nan"),
                    w_err or 0.0, "crossing bracketed between 15 and 18 t (3 s.e. each side)",
                    bool(d[0] > 3 * de[0] and d[-1] < -3 * de[-1]),
                    f"(Lambda({hi}) - Lambda({lo}) = {d[0]:.3f} +- {de[0]:.3f} at 15 t, "
                    f"{d[-1]:.3f} +- {de[-1]:.3f} at 18 t; linear crossing {w_star:.2f} t; "
                    f"M = {list(ANDERSON_WIDTHS)}, {lengths})", figure="anderson_3d.png")  # fmt: skip
    else:
        f = _anderson_fit(lam)
        ok = report("anderson_3d_critical_disorder", f.w_c, f.w_c_err, "16.54 t within 0.3 t",
                    abs(f.w_c - 16.54) < 0.3,
                    f"(fit: M = {list(f.widths)}, irrelevant correction "
                    f"{'yes' if f.irrelevant else 'no'}, chi2/dof = {f.chi2:.1f}/{f.dof}; "
                    f"{lengths})", figure="anderson_3d.png")  # fmt: skip
    assert ok


@full_only
def test_anderson_3d_nu():
    """The finite-size-scaling fit gives nu within 15% of 1.571 (Slevin-Ohtsuki 2014)."""
    lam = _anderson()
    f = _anderson_fit(lam)
    f.plot(lam, path=RESULTS / "anderson_3d_nu.png")
    ok = report("anderson_3d_nu", f.nu, f.nu_err, "1.571 within 15%", abs(f.nu / 1.571 - 1) < 0.15,
                f"(W_c = {f.w_c:.2f} +- {f.w_c_err:.2f} t, Lambda_c = {f.lambda_c:.3f}, "
                f"M = {list(f.widths)}, irrelevant correction {'yes' if f.irrelevant else 'no'}, "
                f"chi2/dof = {f.chi2:.1f}/{f.dof}, accuracy 0.5%)", figure="anderson_3d_nu.png")  # fmt: skip
    assert ok


# -- spin: antilocalization ---------------------------------------------------------------------

WAL_SIDE, WAL_LPHI = 100, 30.0  # [a]: a 100 x 100 spinful film, l_phi = 5 l, L = 3.3 l_phi
WAL_LAMBDA = (0.0, 0.06, 0.1, 0.15)  # Rashba lambda_R [t]: L_so = a / (2 lambda_R) = inf .. 3.3 a


def _wal_sweep(lam, seeds):
    dev = devices.film(WAL_SIDE, WAL_SIDE, spin=devices.Spin(rashba=2 * lam))
    rep = dev.regime(E_FILM, W_DIS)
    u = dev.units
    tau = WAL_LPHI**2 / rep.diffusion * u.time_ps
    b_phi = float(fits.lineshapes.b_from_length(WAL_LPHI * u.a_m))
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * u.a_m) ** 2)
    fields = [0.0, *np.geomspace(b_phi / 4, b_tr / 2, 12)]
    ds = sweep(dev, f"antilocalization/lam{lam:g}_n{seeds}.nc", b_perp=fields, energies=[E_FILM],
               seeds=seeds, disorder=W_DIS, tau_phi=tau, dephasing="probes")  # fmt: skip
    return dev, rep, ds, b_phi, b_tr


def test_antilocalization():
    """Rashba coupling turns the weak-localization dip of G(B) into an antilocalization peak.

    A spinful 100 x 100 film (E = 1.03 t, box 2.5 t: l = 6 a) with Buttiker probes at l_phi = 30 a,
    at Rashba lambda_R = 0, 0.06, 0.1, 0.15 t. Checks, with targets set before the run:

    - ``wal_sign``: at lambda_R = 0.15 t (L_so = 3.3 a, spin relaxes within a few tau, so the
      triplet Cooperons are gone) the mean of dG over B <= 4 B_phi is negative, at more than
      3 standard errors (the symplectic class: alpha < 0).
    - ``wal_amplitude_ratio``: the same mean divided by that of lambda_R = 0 (same fields, same
      probes, alpha = 1) is alpha_WAL / alpha_WL = -1/2 within 0.15 (quick tier: + 2 s.e.).

    The D'yakonov-Perel B_so of each lambda_R is reported beside the HLN-with-spin-orbit fit
    (hln_so, alpha fixed by B_so / B_phi) as a comparison, not a check.
    """
    from devices.spin import dyakonov_perel_lattice_b_so

    seeds = size(16, 64)
    curves, lows, so_fits = {}, {}, {}
    for lam in WAL_LAMBDA:
        dev, rep, ds, b_phi, b_tr = _wal_sweep(lam, seeds)
        data = fits.from_dataset(ds, quantity="sheet")
        curves[lam] = data
        dg = (ds.G - ds.G.isel(b_perp=0)).isel(energy=0, b_par=0).values  # (realization, field)
        low = ds.b_perp.values <= 4 * b_phi
        low[0] = False
        per = dg[:, low].mean(1)  # the mean per realization: its spread is the error
        lows[lam] = (per.mean(), per.std(ddof=1) / math.sqrt(len(per)))
        d_si = rep.diffusion * dev.units.diffusion_m2s
        b_dp = dyakonov_perel_lattice_b_so(2 * lam, 0.0, dev.units)
        try:
            r = fits.HLNSpinOrbit(g_s=2, b_tr=b_tr).fit(data, diffusion=d_si, errors="fast")
            so_fits[lam] = (r.values["b_so"], r.stderr["b_so"], b_dp)
        except ValueError:
            so_fits[lam] = (math.nan, math.nan, b_dp)
    fig = _figure()
    ax = fig.subplots()
    for lam, data in curves.items():
        ax.errorbar(data.b, data.dy, data.sigma, fmt="o-", ms=3, capsize=2,
                    label=f"lambda_R = {lam:g} t (L_so = {'inf' if not lam else f'{0.5 / lam:.3g}'} a)")  # fmt: skip
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("B [T] (nominal lattice units)")
    ax.set_ylabel("dsigma [e^2/h, both spins]")
    ax.set_title(f"WL -> WAL, spinful {WAL_SIDE} x {WAL_SIDE} film, {seeds} realizations")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "antilocalization.png", dpi=110)
    so = ", ".join(f"lambda {lam:g}: B_so {v:.3g} +- {e:.2g} T vs DP {dp:.3g} T"
                   for lam, (v, e, dp) in so_fits.items() if lam)  # fmt: skip
    m, e = lows[0.15]
    ok = report("wal_sign", m, e, "mean dG(B <= 4 B_phi) < 0 at > 3 s.e. (lambda_R = 0.15 t)",
                m < -3 * e, f"({so})", figure="antilocalization.png")  # fmt: skip
    m0, e0 = lows[0.0]
    ratio = m / m0
    err = abs(ratio) * math.sqrt((e / m) ** 2 + (e0 / m0) ** 2)
    slack = 2 * err if TIER == "quick" else 0.0
    ok &= report("wal_amplitude_ratio", ratio, err, "-1/2 within 0.15 (alpha_WAL / alpha_WL)",
                 abs(ratio + 0.5) <= 0.15 + slack,
                 f"(means {m:.4g} and {m0:.4g} e^2/h; lambda 0.06, 0.1: "
                 f"{lows[0.06][0] / m0:.3f}, {lows[0.1][0] / m0:.3f})",
                 figure="antilocalization.png")  # fmt: skip
    assert ok


def _spin_orbit_film(spin, name, seeds):
    """The spinful 100 x 100 film of the antilocalization checks with ``spin``: probes at
    l_phi = 30 a, B = 0 and 12 fields from B_phi/4 to B_tr/2. Returns (device, regime, dataset,
    B_tr [T])."""
    dev = devices.film(WAL_SIDE, WAL_SIDE, spin=spin)
    rep, u = dev.regime(E_FILM, W_DIS), dev.units
    tau = WAL_LPHI**2 / rep.diffusion * u.time_ps
    b_phi = float(fits.lineshapes.b_from_length(WAL_LPHI * u.a_m))
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * u.a_m) ** 2)
    fields = [0.0, *np.geomspace(b_phi / 4, b_tr / 2, 12)]
    ds = sweep(dev, name, b_perp=fields, energies=[E_FILM], seeds=seeds, disorder=W_DIS,
               tau_phi=tau, dephasing="probes")  # fmt: skip
    return dev, rep, ds, b_tr


EY_DISORDER = 0.25  # spin-orbit disorder [t]: L_s = sqrt(D tau_s) = 16 a, about l_phi / 2


def test_elliott_yafet_b_so():
    """Spin-orbit disorder: the fitted B_so is the Born spin relaxation's, within 25%.

    The spinful 100 x 100 film of ``test_antilocalization`` (l = 6 a, probes at l_phi = 30 a)
    with spin-orbit disorder of box width 0.25 t on every bond and no Rashba coupling: spin
    relaxes by rare spin-flip collisions (Elliott-Yafet), isotropically, with tau_s = 14 tau
    from the Born rate (``devices.spin.elliott_yafet_spin_relaxation``), so the spin diffuses
    (L_s = 16 a = 2.6 l) and HLN's isotropic triplet field B_phi + (4/3) B_so holds, with
    (4/3) B_so = hbar / (4 e D tau_s). D is the Drude fit's, lowered by the momentum
    scattering of the spin-orbit disorder (its Born rate 3 Gamma_a = 0.75 / tau_s; weighted
    0.75 +- 0.25 for transport, the bond matrix element favouring forward scattering; a 4 +-
    1.4% effect). The finite-device model with spin-orbit (``finite_film_so``: l_phi and B_so
    free, contacts z0 from the Drude fit) is fitted below B_tr/2. Check: fitted over predicted
    B_so is 1 within 25% (quick tier: + 2 s.e.).
    """
    from devices.spin import b_so_from_spin_relaxation, elliott_yafet_spin_relaxation

    seeds = size(32, 128)
    d = drude()
    dev, rep, ds, b_tr = _spin_orbit_film(devices.Spin(so_disorder=EY_DISORDER),
                                          f"elliott_yafet/w{EY_DISORDER:g}_n{seeds}.nc", seeds)  # fmt: skip
    u = dev.units
    rate = elliott_yafet_spin_relaxation(EY_DISORDER, E_FILM)  # hbar / tau_s [t]
    tau_el = rep.tau_ps / u.time_ps  # [hbar / t]
    corr = 0.75 * 0.75 * rate * tau_el  # transport-weighted spin-orbit momentum scattering
    d_si = d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s / (1 + corr)
    want = b_so_from_spin_relaxation(u.time_ps / rate, d_si)
    want_err = want * math.hypot(corr / 3 / (1 + corr), d["sigma_err"] / d["sigma"])
    side = WAL_SIDE * u.a_m
    model = fits.FiniteFilmSpinOrbit(g_s=2, width=side, length=side, b_tr=b_tr,
                                     extension=d["z0"] * u.a_m, max_nodes=2500)  # fmt: skip
    data = fits.from_dataset(ds, quantity="total")
    r = model.fit(data, diffusion=d_si, window=0.5 * b_tr, errors="fast")
    r.plot(RESULTS / "elliott_yafet.png",
           title=f"spin-orbit disorder {EY_DISORDER:g} t, {seeds} realizations")  # fmt: skip
    ratio = r.values["b_so"] / want
    err = math.hypot(r.stderr["b_so"] / want, ratio * want_err / want)
    extra = size(2, 0)
    tol = f" + {extra} s.e." if extra else ""
    l_ratio = r.values["l_phi"] / (WAL_LPHI * u.a_m)
    assert report("elliott_yafet_b_so", ratio, err, f"fitted / Born B_so = 1 within 25%{tol}",
                  abs(ratio - 1) < 0.25 + extra * err,
                  f"(B_so {r.values['b_so']:.4g} +- {r.stderr['b_so']:.2g} T against "
                  f"{want:.4g} T: tau_s = {1 / (rate * tau_el):.3g} tau; l_phi fitted / input "
                  f"{l_ratio:.3f})", figure="elliott_yafet.png")  # fmt: skip


DP_LAMBDA = 0.025  # Rashba lambda_R [t]: Omega tau = l / L_so = 0.3, L_s = sqrt(D tau_so) = 20 a


def test_dyakonov_perel_b_so():
    """Rashba coupling in the diffusive-spin regime: the fitted B_so is D'yakonov-Perel's, within 25%.

    The spinful 100 x 100 film of ``test_antilocalization`` (l = 6 a, probes at l_phi = 30 a)
    with a weak Rashba coupling, lambda_R = 0.025 t: the spin turns by Omega tau = l / L_so = 0.3
    between collisions, so it relaxes by many small precessions (D'yakonov-Perel), tau_so =
    22 tau, L_s = 20 a = 3.3 l, and B_so = 2.2 B_phi. On the lattice Omega(k) is exactly
    proportional to the velocity, so the HLN-averaged B_so is (hbar/4e)(alpha_R / t a^2)^2 with no
    lattice correction (``devices.spin.dyakonov_perel_lattice_b_so``), times the kinetic
    equation's factor at Omega tau = 0.3 (1.05: the out-of-plane rate grows faster than
    (Omega tau)^2). Linear Rashba relaxes the three triplets at unequal rates and gives them a
    slow mode at finite wavevector (ILP), so the fit model is the Rashba triplet Cooperon on the
    device (``finite_film_rashba``: l_phi and B_so free, contacts z0 from the Drude fit, below
    B_tr/2), not the isotropic ``finite_film_so`` (which returned 0.25 +- 0.31 of it: validation
    page). Seeds 1000 on, not those (0-127) on which the isotropic fit was studied. Check: fitted
    over predicted B_so is 1 within 25% (quick tier: + 2 s.e.), set before the run.
    """
    from devices.spin import dyakonov_perel_lattice_b_so, dyakonov_perel_omega_tau

    n = size(32, 128)
    d = drude()
    dev, rep, ds, b_tr = _spin_orbit_film(devices.Spin(rashba=2 * DP_LAMBDA),
                                          f"dyakonov_perel/lam{DP_LAMBDA:g}_s1000_n{n}.nc",
                                          range(1000, 1000 + n))  # fmt: skip
    u = dev.units
    d_born = rep.diffusion * u.diffusion_m2s
    want = dyakonov_perel_lattice_b_so(dev.spin.rashba, 0.0, u, d_born, rep.tau_ps)
    diffusive = dyakonov_perel_lattice_b_so(dev.spin.rashba, 0.0, u)
    d_si = d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s
    side = WAL_SIDE * u.a_m
    model = fits.FiniteFilmRashba(g_s=2, width=side, length=side, b_tr=b_tr,
                                  extension=d["z0"] * u.a_m, max_nodes=600)  # fmt: skip
    r = model.fit(fits.from_dataset(ds, quantity="total"), diffusion=d_si, window=0.5 * b_tr,
                  errors="fast")  # fmt: skip
    r.plot(RESULTS / "dyakonov_perel.png",
           title=f"Rashba lambda_R = {DP_LAMBDA:g} t, {n} realizations")  # fmt: skip
    ratio = r.values["b_so"] / want
    err = r.stderr["b_so"] / want
    extra = size(2, 0)
    tol = f" + {extra} s.e." if extra else ""
    l_ratio = r.values["l_phi"] / (WAL_LPHI * u.a_m)
    omega_tau = dyakonov_perel_omega_tau(dev.spin.rashba, 0.0, u, d_born, rep.tau_ps)
    assert report("dyakonov_perel_b_so", ratio, err,
                  f"fitted (Rashba triplets) / D'yakonov-Perel B_so = 1 within 25%{tol}",
                  abs(ratio - 1) < 0.25 + extra * err,
                  f"(B_so {r.values['b_so']:.4g} +- {r.stderr['b_so']:.2g} T against {want:.4g} T "
                  f"at Omega tau = {omega_tau:.2f}, {diffusive:.4g} T diffusive; l_phi fitted / "
                  f"input {l_ratio:.3f}; chi^2 {r.chi2:.1f} for {r.dof} d.o.f.)",
                  figure="dyakonov_perel.png")  # fmt: skip


def test_ucf_symplectic():
    """UCF of the symplectic class: a spinful Rashba wire, var G = 4 x 1/30 at B = 0, 1/15 in field.

    The wire of ``test_ucf_variances_quasi_1d`` (60 wide, l = 39 a), 600 sites long, made
    spinful with lambda_R = 0.1 t (L_so = 5 a). Spin relaxes within a few collisions (L_so < l),
    so its relaxation length is of order l, and the wire is 15 of them long: spin mixing is
    complete (a 300-site wire is not, ``studies/symplectic_ucf``). G counts both spins: at
    B = 0 the Kramers pairs are degenerate, g = sum over pairs has var 1/30 (beta = 4) and
    G = 2 g has 4/30 = 2/15; with 8 flux quanta per 60 x 300 sites the 2N channels are
    independent (beta = 2), var 1/15. Both within 15% (quick tier: + 2 s.e.).
    """
    g, (v0, e0), (v1, e1) = _ucf_wire(devices.wire(60, 600, spin=devices.Spin(rashba=0.2)),
                                      "spin_wire_60x600")  # fmt: skip
    extra = size(2, 0)
    tol = f" + {extra} s.e." if extra else ""
    ok0 = report("ucf_var_beta4", v0, e0, f"4/30 = 0.1333 within 15%{tol} (both spins)",
                 abs(v0 - 4 / 30) < 0.15 * 4 / 30 + extra * e0,
                 f"(<G> = {g[:, 0].mean():.3f} e^2/h)")  # fmt: skip
    ok1 = report("ucf_var_spin_orbit_field", v1, e1, f"1/15 = 0.0667 within 15%{tol}",
                 abs(v1 - 1 / 15) < 0.15 / 15 + extra * e1)  # fmt: skip
    assert ok0 and ok1
