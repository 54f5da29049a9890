"""Is the excess l_phi on a 100 x 100 film a property of sparse probes, or of the network?

The spinless 100 x 100 film (E = 1.03 t, box 2.5 t: l = 6 a) at l_phi = 30 a (5 l; the
film is 3.3 l_phi long), the same realizations and fields with several probe layouts:
grids of several spacings, random probes on 25% of the sites, the automatic density.
Each is fitted with the finite-device model (alpha = 1, Drude D and z0, as in the
validation); printed: l_phi fitted / input, and the paired difference of dG(B).

    python -m studies.probe_density.large_film [--seeds 16] [--probes auto 0.25 grid4]

``--probes``: "auto" (the automatic grid), a density (random placement), or "gridN" (a
regular grid N sites apart); the paired differences are against the first.

Sweeps cached in out/studies/probe_density/ (a grid: minutes; 25% random: about 2 minutes
per realization, on one core).
"""

import argparse
import math
import warnings
from pathlib import Path

import numpy as np

import fits
import transport
from studies.common import E_FILM, W_DIS, probe_film

OUT = Path(__file__).resolve().parents[2] / "out" / "studies" / "probe_density"
SIDE, LPHI = 100, 30.0  # [a]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--probes", nargs="+", default=["auto", "0.25"])
    a = ap.parse_args()
    f = probe_film(SIDE, LPHI)
    dev, tau, b_tr, fields = f["device"], f["tau_phi_ps"], f["b_tr"], f["fields"]
    model, d_si, u = f["model"], f["diffusion"], dev.units
    g = {}
    for rho in a.probes:
        probes = dict(probe_density="auto")
        if rho.startswith("grid"):
            probes = dict(probe_density=int(rho[4:]) ** -2.0, probe_layout="grid")
        elif rho != "auto":
            probes = dict(probe_density=float(rho))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", transport.RegimeWarning)
            ds = transport.sweep(dev, b_perp=fields, energies=[E_FILM], seeds=a.seeds,
                                 disorder=W_DIS, tau_phi=tau, dephasing="probes",
                                 progress=False, **probes,
                                 path=OUT / f"film{SIDE}_lphi{LPHI:g}_rho_{rho}_n{a.seeds}.nc")  # fmt: skip
        g[rho] = ds.G.isel(energy=0, b_par=0).values
        r = model.fit(fits.from_dataset(ds, quantity="total"), diffusion=d_si,
                      window=0.5 * b_tr, errors="fast")  # fmt: skip
        lp, err = r.values["l_phi"] / (LPHI * u.a_m), r.stderr["l_phi"] / (LPHI * u.a_m)
        print(f"probes {rho}: <G(0)> = {g[rho][:, 0].mean():.4f}, l_phi fitted / input "
              f"{lp:.3f} +- {err:.3f} (reduced chi^2 {r.reduced_chi2:.2f})")  # fmt: skip
    ref = a.probes[0]
    for rho in a.probes[1:]:
        diff = (g[ref] - g[ref][:, :1]) - (g[rho] - g[rho][:, :1])
        z = diff.mean(0)[1:] / (diff.std(0, ddof=1)[1:] / math.sqrt(a.seeds))
        print(f"dG(B), {ref} minus {rho}: max |z| = {np.abs(z).max():.2f} over {len(z)} fields "
              f"(difference at the top field {diff.mean(0)[-1]:+.4f} e^2/h)")  # fmt: skip


if __name__ == "__main__":
    main()
