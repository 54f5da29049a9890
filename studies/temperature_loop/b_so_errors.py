"""Does the error on the shared B_so of a simulated temperature series cover the truth?

The Rashba film of the validation check ``temperature_loop_b_so`` (the demo film, lambda_R =
0.025 t, tau_phi = 2.2 ps (T / 1 K)^-1 at 0.4-4 K, 13 fields to B_tr / 2) is simulated once with
N realizations (seeds 7000 on, as the check's full tier: copy its cache folder
``out/validation/full/temperature_b_so_s7000_n240`` to ``out/studies/temperature_loop/`` to
reuse it). The series is fitted (``finite_film_rashba``, l_phi per temperature, B_so shared)
on independent blocks of n realizations, each with its jackknife over 8 sub-blocks, and on all
N. Pull of block i: (B_i - B_all) / (e_i sqrt(1 - n / N)), the pooled fit standing in for the
truth (it shares the block's realizations, hence the factor). Rms 1 if the errors are honest.

Stated before the run: like p's (``study.py``), the fit's own error undercounts, because the
same disorder is simulated at every temperature (pulls rms well above 1), and the larger of
it and the jackknife's gives pulls rms near 1.

    python -m studies.temperature_loop.b_so_errors [N] [n] [window]     (default 240 30 0.5)

``window``: the fit's field range in B_tr (the check's 0.5); n = N fits all N only, with its
jackknife. About 50 minutes on one core when the sweep is cached (73 series fits).
"""

import math
import sys
import warnings
from pathlib import Path

import numpy as np

import devices
import fits
import transport
from fits.series import fit_series, jackknife_power_law, points_from_dataset

OUT = Path(__file__).resolve().parent.parent.parent / "out" / "studies" / "temperature_loop"
TEMPS = (0.4, 0.7113, 1.2649, 2.2494, 4.0)
FIELDS = [0.0, 0.004, 0.008, 0.012, 0.018, 0.026, 0.036, 0.05, 0.07, 0.095, 0.125, 0.155, 0.18]
LAMBDA, Z0 = 0.025, 21e-9  # Rashba [t]; the contacts' z0 [m] (the Drude fit, validation page)


def main():
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 240
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    window = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u,
                       spin=devices.Spin(rashba=2 * LAMBDA * u.t_meV * u.a_nm))  # fmt: skip
    law = devices.DephasingLaw(tau_0_ps=2.2, p=1.0, t_ref_K=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        ds = transport.temperature_sweep(
            dev, temperatures=TEMPS, law=law, energy=u.to_meV(1.03), seeds=range(7000, 7000 + total),
            disorder=u.to_meV(2.5), b_perp=FIELDS, path=OUT / f"temperature_b_so_s7000_n{total}",
            progress=False)  # fmt: skip
    rep = devices.film(50, 50).regime(1.03, 2.5)
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * u.a_m) ** 2)
    model = fits.FiniteFilmRashba(g_s=2, width=250e-9, length=250e-9, b_tr=b_tr, extension=Z0,
                                  max_nodes=600)  # fmt: skip
    opts = dict(diffusion=ds.attrs["diffusion_m2s"], window=window * b_tr)
    res = fit_series(points_from_dataset(ds), model, **opts)
    b_all, e_all = res.shared["b_so"]
    print(f"all {total}, fields to {window:g} B_tr: B_so = {1e3 * b_all:.4g} +- "
          f"{1e3 * e_all:.2g} mT (fit's error), p = {res.power_law['p']:.3f}, reduced chi^2 "
          f"{res.reduced_chi2:.2f}", flush=True)  # fmt: skip
    if n >= total:
        jk = jackknife_power_law(ds, model, **opts)["shared_stderr"]["b_so"]
        print(f"  jackknife over 8 blocks: {1e3 * jk:.2g} mT")
        return
    b, e_fit, e_jk = [], [], []
    for start in range(0, total - n + 1, n):
        sub = ds.isel(realization=slice(start, start + n))
        v, e = fit_series(points_from_dataset(sub), model, **opts).shared["b_so"]
        jk = jackknife_power_law(sub, model, **opts)["shared_stderr"]["b_so"]
        b.append(v), e_fit.append(e), e_jk.append(jk)
        print(f"  block {start // n}: {1e3 * v:.4g} mT, fit's error {1e3 * e:.2g}, "
              f"jackknife {1e3 * jk:.2g}", flush=True)  # fmt: skip
    b, e_fit, e_jk = np.array(b), np.array(e_fit), np.array(e_jk)
    shrink = math.sqrt(1 - n / total)
    print(f"blocks of {n}: scatter {1e3 * b.std(ddof=1):.3g} mT (its error "
          f"{1e3 * b.std(ddof=1) / math.sqrt(2 * (len(b) - 1)):.2g})")  # fmt: skip
    for name, err in (
        ("fit's error", e_fit),
        ("larger of fit and jackknife", np.maximum(e_fit, e_jk)),
    ):
        pull = (b - b_all) / (err * shrink)
        print(f"  {name}: median {1e3 * np.median(err):.3g} mT; pulls rms "
              f"{math.sqrt(np.mean(pull**2)):.2f}, |pull| < 1: {np.mean(np.abs(pull) < 1):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
