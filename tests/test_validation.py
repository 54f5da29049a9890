"""Physics validation against theory (slow: `make validate`, marker `slow`).

Each check prints one line: name, measured value with its error, target,
PASS or FAIL; tables and figures go to out/validation/. A failing check
fails the test (and `make validate` exits non-zero).
"""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import devices
import fits
import transport

pytestmark = pytest.mark.slow
OUT = Path(__file__).resolve().parent.parent / "out" / "validation"


def report(name, value, error, target, ok, extra=""):
    line = (
        f"VALIDATION {name}: measured {value:.4g} +- {error:.2g}, target {target}, "
        f"{'PASS' if ok else 'FAIL'} {extra}"
    )
    print("\n" + line)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "summary.txt", "a") as fh:
        fh.write(line + "\n")
    return ok


def sweep(dev, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        return transport.sweep(dev, progress=False, **kw)


# -- Drude: mean free path from the length dependence of <G> -------------------------

E_FILM, W_DIS = 1.03, 2.5  # the demo's film: E = 1.03 t, box 2.5 t (l ~ 6 a)


def measured_sheet_conductance(width=50, lengths=(25, 50, 75, 100), seeds=100):
    """sigma [e^2/h per spin] from 1/<G> = 1/N_eff + L/(sigma W), time reversal broken."""
    inv, err = [], []
    for length in lengths:
        dev = devices.film(width, length)
        ds = sweep(dev, b_perp=[dev.units.tesla(0.002)], energies=[E_FILM], seeds=seeds,
                   disorder=W_DIS)  # fmt: skip
        g = ds.G.values.ravel()
        inv.append(1 / g.mean())
        err.append(g.std(ddof=1) / math.sqrt(len(g)) / g.mean() ** 2)
    x = np.array(lengths, float) / width
    w = 1 / np.array(err) ** 2
    coef, cov = np.polyfit(x, inv, 1, w=np.sqrt(w), cov="unscaled")
    slope, slope_err = coef[0], math.sqrt(cov[0, 0])
    return 1 / slope, slope_err / slope**2


def test_drude_mean_free_path_against_born():
    sigma, sigma_err = measured_sheet_conductance()
    rep = devices.film(50, 50).regime(E_FILM, W_DIS)
    # sigma = 2 pi nu D and D = v_F l / 2  =>  l = sigma / (pi nu v_F)
    ell = sigma / (math.pi * rep.dos * rep.v_f)
    ell_err = ell * sigma_err / sigma
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "drude.json").write_text(json.dumps(dict(sigma=sigma, sigma_err=sigma_err,
                                    l_measured=ell, l_born=rep.mean_free_path)))  # fmt: skip
    ok = abs(ell / rep.mean_free_path - 1) < 0.10
    assert report("drude_mean_free_path [a]", ell, ell_err,
                  f"Born {rep.mean_free_path:.4g} within 10%", ok)  # fmt: skip


# -- the closed loop: input tau_phi -> simulation -> HLN fit -> tau_phi ----------------


def test_closed_loop_tau_phi_film():
    sigma, _ = measured_sheet_conductance()
    ref = devices.film(50, 50)
    rep = ref.regime(E_FILM, W_DIS)
    d_lat = sigma / (2 * math.pi * rep.dos)  # measured D [a^2 t / hbar]
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)  # 50 x 50 sites, the demo's film
    d_si = d_lat * u.diffusion_m2s
    e_mev, dis_mev = u.to_meV(E_FILM), u.to_meV(W_DIS)
    ell = rep.mean_free_path * u.a_m
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * ell**2)
    rows = []
    for l_phi_sites in (7.0, 10.0, 14.0, 20.0):
        l_phi = l_phi_sites * u.a_m
        tau_in = l_phi**2 / d_si * 1e12
        b_phi = float(fits.lineshapes.b_from_length(l_phi))
        b = np.linspace(0, min(4 * b_phi, 0.5 * b_tr), 13)
        ds = sweep(dev, b_perp=b, energies=[e_mev], seeds=80, disorder=dis_mev,
                   tau_phi=tau_in, dephasing="probes", probe_density=0.25)  # fmt: skip
        data = fits.from_dataset(ds)
        r = fits.HLN(g_s=1, b_tr=b_tr).fit(data.b, data.dy, data.sigma, diffusion=d_si,
                                          window=0.5 * b_tr)  # fmt: skip
        tau_fit, tau_err = r.derived["tau_phi_ps"]
        rows.append(dict(l_phi_sites=l_phi_sites, tau_in_ps=tau_in, tau_fit_ps=tau_fit,
                         tau_fit_err_ps=tau_err, alpha=r.values["alpha"],
                         alpha_err=r.stderr["alpha"], ok=r.ok))  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "closed_loop_film.json").write_text(json.dumps(rows, indent=2))
    tin = np.array([r["tau_in_ps"] for r in rows])
    tfit = np.array([r["tau_fit_ps"] for r in rows])
    terr = np.array([r["tau_fit_err_ps"] for r in rows])
    print("\n  l_phi [a]  tau_in [ps]  tau_fit [ps]  alpha")
    for r in rows:
        print(f"  {r['l_phi_sites']:8.1f}  {r['tau_in_ps']:11.4g}  {r['tau_fit_ps']:8.4g} +- "
              f"{r['tau_fit_err_ps']:.2g}  {r['alpha']:.3g} +- {r['alpha_err']:.2g}")  # fmt: skip
    _closed_loop_figure(tin, tfit, terr)
    coef, cov = np.polyfit(np.log(tin), np.log(tfit), 1, w=tfit / terr, cov="unscaled")
    slope, slope_err = coef[0], math.sqrt(cov[0, 0])
    monotone = bool(np.all(np.diff(tfit) > 0))
    middle = np.abs(tfit[1:3] / tin[1:3] - 1)
    ok_slope = report("closed_loop_slope", slope, slope_err, "1 +- 0.2 (log-log)",
                      abs(slope - 1) < 0.2)  # fmt: skip
    ok_mid = report("closed_loop_middle_ratio", float(np.max(middle)) + 1, 0.0,
                    "within 30% of input (middle points)", bool(np.all(middle < 0.3)))  # fmt: skip
    ok_mono = report("closed_loop_monotone", float(monotone), 0.0, "monotone", monotone)
    assert ok_slope and ok_mid and ok_mono


def _closed_loop_figure(tin, tfit, terr):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.errorbar(tin, tfit, terr, fmt="o", label="HLN fit")
    lim = [0.5 * tin.min(), 2 * tin.max()]
    ax.plot(lim, lim, "k--", label="y = x")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input tau_phi [ps]")
    ax.set_ylabel("fitted tau_phi [ps]")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "closed_loop_film.png", dpi=110)
    plt.close(fig)


# -- random-matrix values ------------------------------------------------------------------


def test_ucf_variances_quasi_1d():
    dev = devices.wire(90, 180)
    ds = sweep(dev, b_perp=[0.0, dev.units.tesla(0.0007)], energies=[1.0], seeds=300,
               disorder=1.6)  # fmt: skip
    g = ds.G.isel(energy=0, b_par=0).values
    n = len(g)

    def var_se(x):
        d = x - x.mean()
        return math.sqrt((np.mean(d**4) - np.mean(d**2) ** 2) / n)

    v0, v1 = g[:, 0].var(ddof=1), g[:, 1].var(ddof=1)
    e0, e1 = var_se(g[:, 0]), var_se(g[:, 1])
    ratio = v0 / v1
    rerr = ratio * math.hypot(e0 / v0, e1 / v1)
    ok0 = report("ucf_var_beta1", v0, e0, "2/15 = 0.1333 within 15%", abs(v0 / (2 / 15) - 1) < 0.15)
    ok1 = report("ucf_var_beta2", v1, e1, "1/15 = 0.0667 within 15%", abs(v1 / (1 / 15) - 1) < 0.15)
    ok2 = report("ucf_ratio", ratio, rerr, "2 within 2 standard errors", abs(ratio - 2) < 2 * rerr)
    assert ok0 and ok1 and ok2


def test_wl_shift_approaches_one_third():
    rows = []
    # (W, L, disorder, E): increasing L/l and N l/L
    for width, length, dis, e in [(40, 100, 1.5, 1.0), (60, 200, 1.2, 1.0), (100, 500, 0.8, 2.05)]:
        dev = devices.wire(width, length)
        rep = dev.regime(e, dis)
        phi = 8 / (width * length)  # 8 flux quanta through the wire
        ds = sweep(dev, b_perp=[0.0, dev.units.tesla(phi)], energies=[e], seeds=200,
                   disorder=dis)  # fmt: skip
        dg = ds.dG_mean.values.ravel()[1]
        err = ds.dG_sem.values.ravel()[1]
        rows.append(dict(W=width, L=length, N=rep.channels, L_over_l=length / rep.mean_free_path,
                         Nl_over_L=rep.n_l_over_l, dG=float(dg), dG_err=float(err)))  # fmt: skip
    print("\n  W    L    N   L/l   Nl/L   <G(B)>-<G(0)>")
    for r in rows:
        print(f"  {r['W']:3d} {r['L']:4d} {r['N']:3d} {r['L_over_l']:5.1f} {r['Nl_over_L']:5.2f}  "
              f"{r['dG']:.4f} +- {r['dG_err']:.4f}")  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "wl_shift.json").write_text(json.dumps(rows, indent=2))
    best = min(rows, key=lambda r: abs(r["dG"] - 1 / 3))
    ok = abs(best["dG"] / (1 / 3) - 1) < 0.10
    assert report("wl_shift_best", best["dG"], best["dG_err"], "1/3 within 10%", ok,
                  f"(W={best['W']}, L={best['L']})")  # fmt: skip
