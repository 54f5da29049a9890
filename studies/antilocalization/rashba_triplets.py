"""Why an isotropic spin-orbit fit of a Rashba film misses D'yakonov-Perel's B_so.

The dataset of the validation check ``dyakonov_perel_b_so`` (the spinful 100 x 100 film,
lambda_R = 0.025 t: Omega tau = 0.3, probes at l_phi = 30 a; full tier, 128 realizations)
fitted three ways, each with the Drude D and contacts z0 of the validation:

- ``finite_film_so`` with l_phi and B_so free (the check);
- ``finite_film_so`` with B_so held at D'yakonov-Perel's (kinetic, Omega tau = 0.3), l_phi free;
- ``fits.finite.finite_film_rashba`` (the Rashba triplet Cooperon, 7/16 slow mode) with B_so
  held at the same value, l_phi free.

Printed: l_phi / input and the chi^2 of each over the per-point errors (correlations
between fields ignored), then the Rashba model's chi^2 profile over B_so (``--scan``),
then ``finite_film_rashba`` fits with l_phi free or held (``--hold``). ``--data`` takes
another dataset of the same film (the check's fresh seeds).

    python -m studies.antilocalization.rashba_triplets [--nodes 600]

Needs out/validation/full/dyakonov_perel/lam0.025_n128.nc (``make validate-full``, or the
check alone). The Rashba triplet eigenvalues take seconds per field at 600 nodes.
"""

import argparse
import math
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.optimize import minimize_scalar

import devices
import fits
from devices.spin import dyakonov_perel_lattice_b_so
from fits.finite import CooperonSpectrum, RashbaTripletSpectrum, finite_film_rashba
from studies.common import E_FILM, W_DIS, drude

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "out" / "validation" / "full" / "dyakonov_perel" / "lam0.025_n128.nc"
SIDE, LPHI, LAM = 100, 30.0, 0.025


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=600)
    ap.add_argument("--scan", type=float, nargs="*", default=[0.5, 0.7, 1.0, 1.2, 1.4, 1.6, 2.0],
                    help="B_so / D'yakonov-Perel values for the Rashba model's chi^2 profile")  # fmt: skip
    ap.add_argument("--hold", type=float, nargs="*", default=[0.0, 1.0, 1.17],
                    help="fit finite_film_rashba with l_phi held at these x input (0: free)")  # fmt: skip
    ap.add_argument("--data", default=str(DATA), help="the dataset (default: the study's seeds)")
    a = ap.parse_args()
    dev = devices.film(SIDE, SIDE, spin=devices.Spin(rashba=2 * LAM))
    rep, u = dev.regime(E_FILM, W_DIS), dev.units
    d = drude()
    d_si = d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * u.a_m) ** 2)
    side, z0 = SIDE * u.a_m, d["z0"] * u.a_m
    want = dyakonov_perel_lattice_b_so(dev.spin.rashba, 0.0, u, rep.diffusion * u.diffusion_m2s,
                                       rep.tau_ps)  # fmt: skip
    data = fits.from_dataset(xr.open_dataset(a.data), quantity="total")
    keep = np.abs(data.b) <= 0.5 * b_tr
    b, y, s = data.b[keep], data.dy[keep], data.sigma[keep]
    lphi_in = LPHI * u.a_m
    print(f"D'yakonov-Perel B_so = {want:.4g} T (kinetic, Omega tau = 0.3); {keep.sum()} fields")

    iso = fits.FiniteFilmSpinOrbit(g_s=2, width=side, length=side, b_tr=b_tr, extension=z0,
                                   max_nodes=2500)  # fmt: skip
    r = iso.fit(data, diffusion=d_si, window=0.5 * b_tr, errors="fast")
    free = fits.finite.finite_film_spin_orbit(b, r.values["l_phi"], r.values["b_so"],
                                              spectrum=iso.spectrum, g_s=2, b_tr=b_tr)  # fmt: skip
    print(f"finite_film_so, both free: B_so = {r.values['b_so']:.3g} +- {r.stderr['b_so']:.2g} T, "
          f"l_phi / input = {r.values['l_phi'] / lphi_in:.3f}, "
          f"chi^2 = {float(np.sum(((free - y) / s) ** 2)):.2f}")  # fmt: skip

    def best(curve):  # l_phi minimising chi^2: a grid (the profile can have two minima), refined
        def chi2(t):
            return float(np.sum(((curve(math.exp(t)) - y) / s) ** 2))

        grid = np.linspace(math.log(0.3 * lphi_in), math.log(10 * lphi_in), 41)
        k = int(np.argmin([chi2(t) for t in grid]))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
        res = minimize_scalar(chi2, bounds=(lo, hi), method="bounded")
        return math.exp(res.x), res.fun

    spec = CooperonSpectrum(side, side, extension=z0, max_nodes=a.nodes)
    trip = RashbaTripletSpectrum(spec)
    models = {
        "finite_film_so (isotropic triplets)": lambda lp: fits.finite.finite_film_spin_orbit(
            b, lp, want, spectrum=spec, g_s=2, b_tr=b_tr),
        "finite_film_rashba (Rashba triplets)": lambda lp: finite_film_rashba(
            b, lp, want, triplets=trip, g_s=2, b_tr=b_tr),
    }  # fmt: skip
    for name, curve in models.items():
        lp, chi2 = best(curve)
        print(f"{name}, B_so held at D'yakonov-Perel: l_phi / input = {lp / lphi_in:.3f}, "
              f"chi^2 = {chi2:.2f} over {len(b)} points", flush=True)  # fmt: skip
    # the Rashba model's chi^2 profile in B_so (l_phi free at each): where B_so is best
    for ratio in a.scan:
        lp, chi2 = best(lambda lp, r=ratio: finite_film_rashba(b, lp, r * want, triplets=trip,
                                                                g_s=2, b_tr=b_tr))  # fmt: skip
        print(f"finite_film_rashba, B_so = {ratio:g} x D'yakonov-Perel: l_phi / input = "
              f"{lp / lphi_in:.3f}, chi^2 = {chi2:.2f}", flush=True)  # fmt: skip
    # the fit model, B_so free, with l_phi free or held (the probe network's excess is
    # about 1.17 x on this film's spin-degenerate control): how much B_so trades with l_phi
    for held in a.hold:
        model = fits.FiniteFilmRashba(g_s=2, width=side, length=side, b_tr=b_tr, extension=z0,
                                      max_nodes=a.nodes)  # fmt: skip
        if held:
            model.fixed["l_phi"] = held * lphi_in
        r = model.fit(data, diffusion=d_si, window=0.5 * b_tr, errors="fast")
        what = f"l_phi held at {held:g} x input" if held else "l_phi free"
        print(f"finite_film_rashba fit, {what}: B_so / D'yakonov-Perel = "
              f"{r.values['b_so'] / want:.3f} +- {r.stderr['b_so'] / want:.3f}, l_phi / input = "
              f"{r.values['l_phi'] / lphi_in:.3f}, correlated chi^2 = {r.chi2:.1f} for {r.dof}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
