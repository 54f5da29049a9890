"""Does G(E) of the UCF wire decorrelate in energy as one-loop theory says?

The check ``thermal_ucf_reduction`` smears G(E) of the 60 x 300 wire (E = 2.05 t, box 1 t,
l = 39 a, L / l = 7.7, B = 0, coherent) over the thermal window and compares
var G(T) / var G(0) with ``devices.temperature.ucf_smearing_factor`` at E_c = hbar D / (L + 2 z0)^2,
z0 = (pi/4) l. The reduction is set by the energy correlation C(eps) of G(E) alone, so this
study measures C(eps) / C(0) itself on the same grid (spacing E_Th / 2, eps up to 60 E_Th) and
compares it with ``ucf_energy_correlation`` at that E_c, at E_c = hbar D / L^2 (no contact
extension), and at the E_c that fits best (least squares over eps <= 20 E_Th).

Stated before the run: if the shape is one-loop's and only the scale is off, one E_c fits the
whole curve (its residuals within the errors); a curve that falls faster than one-loop at small
eps and slower at large eps (a flatter shape) points at paths shorter than the diffusive ones
(L / l = 7.7 is barely diffusive), which a longer wire (``--length 600``, L / l = 15) would
shrink.

Added after the 300-site run (480 realizations), before the 600-site one: the 300-site C(eps)
follows one-loop with contacts at z0 up to 2 E_Th, then falls slower (0.125 against 0.050 at
20 E_Th). Expectation for 600 sites (L / l = 15): the excess over one-loop at k_B T = 6 E_Th
(1.23 at 300) falls towards 1.

    python -m studies.thermal_ucf.run [--seeds 480] [--length 300]

The 480-realization 300-site sweep is the full tier's (copy
``out/validation/full/thermal_ucf/wire_60x300_kT6_n480.nc`` to
``out/studies/thermal_ucf/`` to reuse it); otherwise about 30 minutes on 2 cores per 480
realizations of the 300-site wire, twice that at 600. Resumable.
"""

import argparse
import math

import numpy as np
from scipy import optimize

import devices
from devices.temperature import K_B_MEV, thermal_grid, ucf_energy_correlation, ucf_smearing_factor
from studies.common import OUT, sweep

ENERGY, DISORDER, WIDTH, KT_MAX = 2.05, 1.0, 60, 6.0


def correlation(g, energies, lags):
    """C(eps_k) / C(0) from G [realization, energy]: covariances over realizations of all energy
    pairs k grid steps apart, averaged, over the mean variance."""
    d = g - g.mean(axis=0)
    var = np.mean(d * d)
    spacing = np.median(np.diff(energies))
    c = np.array([np.mean(d[:, k:] * d[:, : d.shape[1] - k]) for k in lags]) / var
    return np.asarray(lags) * spacing, c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=480)
    ap.add_argument("--length", type=int, default=300)
    a = ap.parse_args()
    length = a.length
    dev = devices.wire(WIDTH, length)
    rep = dev.regime(ENERGY, DISORDER)
    e_th = rep.diffusion / length**2 * dev.units.t_meV
    grid = thermal_grid(dev, ENERGY, KT_MAX * e_th / K_B_MEV, DISORDER)
    energies = np.array(grid["energies"])
    name = f"wire_{WIDTH}x{length}_kT6_n{a.seeds}.nc"
    ds = sweep(dev, b_perp=[0.0], energies=energies.tolist(), seeds=a.seeds, disorder=DISORDER,
               path=OUT / "thermal_ucf" / name)  # fmt: skip
    g = ds.G.isel(b_par=0, b_perp=0).transpose("realization", "energy").values
    lags = np.arange(0, len(energies) - 10, 2)
    eps, c = correlation(g, energies, lags)
    rng = np.random.default_rng(1)
    boot = np.array([correlation(g[rng.integers(0, len(g), len(g))], energies, lags)[1]
                     for _ in range(400)])  # fmt: skip
    err = boot.std(axis=0, ddof=1)
    x = eps / e_th  # in E_Th
    ec_contacts = (length / (length + math.pi / 2 * rep.mean_free_path)) ** 2  # E_c / E_Th
    use = (x > 0) & (x <= 20)

    def resid(p):
        return (ucf_energy_correlation(x[use] / p[0]) - c[use]) / err[use]

    fit = optimize.least_squares(resid, [1.0], bounds=([0.1], [10.0]))
    ec_fit = float(fit.x[0])
    jac = fit.jac
    ec_err = float(math.sqrt(np.linalg.inv(jac.T @ jac)[0, 0]))
    chi2 = float(np.sum(fit.fun**2))
    print(f"{WIDTH} x {length} wire, E = {ENERGY} t, box {DISORDER} t: l = {rep.mean_free_path:.1f} a,"
          f" L / l = {length / rep.mean_free_path:.1f}, E_Th = hbar D / L^2 = {e_th:.4g} t; "
          f"{a.seeds} realizations, {len(energies)} energies")  # fmt: skip
    print("eps/E_Th   C/C(0) measured      one loop: contacts at z0   no extension   best E_c")
    for xi, ci, ei in zip(x, c, err):
        print(f"{xi:7.2f}   {ci:.3f} +- {ei:.3f}      {float(ucf_energy_correlation(xi / ec_contacts)):.3f}"
              f"                     {float(ucf_energy_correlation(xi)):.3f}"
              f"          {float(ucf_energy_correlation(xi / ec_fit)):.3f}")  # fmt: skip
    print(f"E_c / E_Th: contacts at z0 {ec_contacts:.3f}; best fit over eps <= 20 E_Th "
          f"{ec_fit:.3f} +- {ec_err:.3f} (chi2 {chi2:.1f} for {use.sum() - 1} points - 1; the "
          f"points are correlated, so chi2 is a guide only)")  # fmt: skip
    kts = np.array([1.5, 3.0, 6.0])
    centre = g[:, np.argmin(np.abs(energies - ENERGY))]
    measured = []
    for kt in kts:
        try:
            sub = thermal_grid(dev, ENERGY, kt * e_th / K_B_MEV, DISORDER)
        except ValueError as err:  # k_B T below the level spacing of a long wire
            print(f"k_B T = {kt} E_Th: {err}")
            measured.append("-")
            continue
        idx = [np.argmin(np.abs(energies - e)) for e in sub["energies"]]
        smeared = g[:, idx] @ np.asarray(sub["weights"])
        r = [np.var(smeared[k], ddof=1) / np.var(centre[k], ddof=1)
             for k in (rng.integers(0, len(g), len(g)) for _ in range(400))]  # fmt: skip
        measured.append(
            f"{smeared.var(ddof=1) / centre.var(ddof=1):.3f} +- {np.std(r, ddof=1):.3f}"
        )
    print(f"var G(T)/var G(0) at k_B T/E_Th = {kts.tolist()}: measured "
          f"{measured}; one loop, contacts at z0 "
          f"{np.round(ucf_smearing_factor(kts / ec_contacts), 3).tolist()}; best E_c "
          f"{np.round(ucf_smearing_factor(kts / ec_fit), 3).tolist()}")  # fmt: skip


if __name__ == "__main__":
    main()
