"""Does the series fit's error on p cover the truth? Independent blocks of realizations.

The cooled demo film (tau_phi = 2.2 ps (T / 1 K)^-1, 0.4-4 K, Buttiker probes at the
automatic density) is simulated once with N realizations; the series fit is repeated on
independent blocks of n realizations each, and the scatter of p over the blocks is compared
with the quoted errors (pull = (p - 1) / p_stderr).

    python studies/temperature_loop/study.py [N] [n ...]      (default 128, blocks of 16 and 32)
"""

import math
import sys
import warnings
from pathlib import Path

import numpy as np

import devices
import fits
import transport
from fits.series import fit_series

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "out" / "studies" / "temperature_loop"
TEMPS = (0.4, 0.7113, 1.2649, 2.2494, 4.0)
FIELDS = [0.0, 0.004, 0.008, 0.012, 0.018, 0.026, 0.036, 0.05, 0.07, 0.095, 0.125, 0.155, 0.18]


def main():
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 128
    blocks = [int(b) for b in sys.argv[2:]] or [16, 32]
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)
    law = devices.DephasingLaw(tau_0_ps=2.2, p=1.0, t_ref_K=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        ds = transport.temperature_sweep(dev, temperatures=TEMPS, law=law, energy=23.4,
                                         seeds=total, disorder=57.0, b_perp=FIELDS,
                                         path=OUT / f"n{total}", progress=False)  # fmt: skip
    rep = devices.film(50, 50).regime(1.03, 2.5)
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * u.a_m) ** 2)
    model = fits.FiniteFilm(g_s=1, width=250e-9, length=250e-9, b_tr=b_tr, alpha=1.0,
                            extension=21e-9, max_nodes=2500)  # fmt: skip
    print(f"{total} realizations; p per block of n, pulls (p - 1) / p_stderr")
    for n in blocks:
        ps, errs, chi, jerr = [], [], [], []
        for start in range(0, total - n + 1, n):
            sub = ds.isel(realization=slice(start, start + n))
            pts = []
            for k, t in enumerate(TEMPS):
                one = sub.isel(temperature=k).drop_vars(["R_zero_field_ohm", "tau_phi_ps",
                                                         "temperature"])  # fmt: skip
                pts.append((t, fits.from_dataset(one, quantity="total")))
            r = fit_series(pts, model, diffusion=ds.attrs["diffusion_m2s"], window=0.5 * b_tr)
            ps.append(r.power_law["p"])
            errs.append(r.power_law["p_stderr"])
            chi.append(r.power_law["reduced_chi2"])
            jk = fits.series.jackknife_power_law(sub, model, diffusion=ds.attrs["diffusion_m2s"],
                                                 window=0.5 * b_tr)  # fmt: skip
            jerr.append(max(jk["p_stderr"], errs[-1]))
        ps, errs, chi = np.array(ps), np.array(errs), np.array(chi)
        pulls = (ps - 1) / errs
        scaled = (ps - 1) / (errs * np.sqrt(np.maximum(chi, 1)))
        jpull = (ps - 1) / np.array(jerr)
        print(f"n = {n}: p = {np.round(ps, 3).tolist()}")
        print(f"  mean {ps.mean():.3f}, scatter {ps.std(ddof=1):.3f} (its error "
              f"{ps.std(ddof=1) / math.sqrt(2 * (len(ps) - 1)):.3f}), quoted error median "
              f"{np.median(errs):.3f}; pulls rms {math.sqrt(np.mean(pulls**2)):.2f}, "
              f"|pull| < 1: {np.mean(np.abs(pulls) < 1):.2f}")  # fmt: skip
        print(f"  power-law reduced chi^2 {np.round(chi, 2).tolist()}; errors scaled by "
              f"sqrt(chi^2) when > 1: pulls rms {math.sqrt(np.mean(scaled**2)):.2f}, "
              f"|pull| < 1: {np.mean(np.abs(scaled) < 1):.2f}")  # fmt: skip
        print(f"  jackknife over 8 blocks (the larger of it and the fit's): median "
              f"{np.median(jerr):.3f}; pulls rms {math.sqrt(np.mean(jpull**2)):.2f}, "
              f"|pull| < 1: {np.mean(np.abs(jpull) < 1):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
