"""Does the magnetoconductance depend on the Buttiker-probe density at fixed tau_phi?

The demo's film (50 x 50 sites, a = 5 nm, l = 6 a, tau_phi = 0.75 ps: l_phi = 12 a),
the same realizations and fields at probe densities 0.25 .. 0.01 (spacing 2 .. 10
sites, the coupling raised as 1/density so that tau_phi stays fixed). Printed:
<G(0)> (the classical conductance must not change), the ensemble magnetoconductance
at each field against the dense probes' (paired over realizations), and the
finite-device fit's tau_phi. Sweeps cached in out/studies/probe_density/.
"""

import warnings
from pathlib import Path

import numpy as np

import devices
import fits
import transport

OUT = Path(__file__).resolve().parents[2] / "out" / "studies" / "probe_density"
DENSITIES = (0.25, 0.1, 0.04, 0.02, 0.01)


def main(seeds=64, tau_phi=0.75, densities=DENSITIES):
    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)
    rep = dev.regime(23.4, 57.0)
    ell = rep.mean_free_path_nm * 1e-9
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * ell**2)
    model = fits.FiniteFilm(g_s=1, width=250e-9, length=250e-9, alpha=1.0, b_tr=b_tr)
    fields = np.linspace(0, 0.18, 13)
    g = {}
    for rho in densities:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", transport.RegimeWarning)
            ds = transport.sweep(dev, b_perp=fields, energies=[23.4], seeds=seeds, disorder=57.0,
                                 tau_phi=tau_phi, dephasing="probes", probe_density=rho,
                                 progress=False,
                                 path=OUT / f"tau_{tau_phi:g}_rho_{rho:g}_n{seeds}.nc")  # fmt: skip
        g[rho] = ds.G.isel(energy=0, b_par=0).values
        r = model.fit(fits.from_dataset(ds, quantity="total"), errors="fast")
        tau, err = r.derived["tau_phi_ps"]
        spacing = 1 / np.sqrt(rho)
        print(f"tau_phi {tau_phi:g} ps, density {rho:5.3g} (spacing {spacing:4.1f} a = {spacing / rep.mean_free_path:.2f} l): "
              f"<G(0)> = {g[rho][:, 0].mean():.4f} +- {g[rho][:, 0].std(ddof=1) / np.sqrt(seeds):.4f}, "
              f"dG(180 mT) = {(g[rho][:, -1] - g[rho][:, 0]).mean():.4f}, "
              f"tau_phi = {tau:.3f} +- {err:.3f} ps (chi^2 {r.reduced_chi2:.2f})")  # fmt: skip
    ref = g[densities[0]]
    for rho in densities[1:]:
        d = (g[rho] - g[rho][:, :1]) - (ref - ref[:, :1])  # paired over realizations
        z = d.mean(0)[1:] / (d.std(0, ddof=1)[1:] / np.sqrt(seeds))
        print(f"  dG(B) at density {rho:g} minus at 0.25: max |z| = {np.abs(z).max():.2f} over "
              f"{len(z)} fields (mean difference {d.mean(0)[-1]:+.4f} at 180 mT)")  # fmt: skip


if __name__ == "__main__":
    main(tau_phi=0.75)  # l_phi = 2 l
    main(tau_phi=3.0, densities=(0.25, 0.1, 0.04, 0.02))  # l_phi = 4 l: weaker probes
