"""Is the 2D beta function's shortfall weak localization, or the contacts?

The check ``beta_2d`` (square films at E = 2 t, box 2.5 t, l = 6.2 a, spinless) measures
beta = d<ln g>/d ln L = -0.056 +- 0.008 between L = 96 and 192 a at g = 3.95, where one-loop
theory gives -1/(pi g) = -0.081: 0.69 of it, a FAIL by 3 standard errors. beta holds both
the weak-localization logarithm and any L-dependence of the classical conductance left
after the Sharvin term is removed (1/g = 1/G - 1/N), such as a contact resistance beyond it.

Two steps tell them apart:

1. The one-loop correction of the device itself, not of an infinite film: the Cooperon on
   the L x L square with absorbing contacts at z0 = (pi/4) l and reflecting edges
   (``fits.finite.zero_field``), cut off at l. Does its logarithm build up over these
   sizes? (No simulation.)
2. The same squares at B = 0 and in a weak field whose Cooperon magnetic length (charge 2e)
   is 8.5 a, far below every L (flux 1.1e-3 quanta per plaquette; cyclotron radius 227 a,
   above every L, so the classical magnetoresistance is negligible, omega_c tau = 0.03).
   In that field the weak-localization correction stops growing with L, so the difference
   beta(0) - beta(B), paired per realization, is the weak-localization part of beta alone:
   the classical part cancels. The device model gives its prediction at each pair.

Stated before the run: if the shortfall is weak localization, beta(0) - beta(B) falls
short of the model like beta itself (about 0.7); if it is classical, beta(0) - beta(B)
matches the model and beta(B) carries the +0.025.

    python -m studies.beta_2d.run [--seeds 800]

About 17 minutes on 2 cores for 800 realizations, an hour for 3200 (a 192 x 192 square costs
a second per field). Resumable: the sweeps are cached under out/studies/beta_2d/.
"""

import argparse
import math

import numpy as np

import devices
from devices import bands
from fits.scaling import weak_localization_square
from studies.common import OUT, sweep
from transport.scaling import sample_conductance

ENERGY, DISORDER, SIZES = 2.0, 2.5, (48, 96, 192)
ELL = 6.2  # Born mean free path [a] at E = 2 t, box 2.5 t
PHI = 1.1e-3  # flux quanta per plaquette: Cooperon magnetic length sqrt(hbar / 2eB) = 8.5 a


def device_wl(size, b):
    """The one-loop weak-localization conductance [e^2/h per spin] of the size x size square at
    field b [T] (lattice units, a = 1 nm): the Cooperon with contacts at z0 = (pi/4) l."""
    return weak_localization_square(size * 1e-9, ELL * 1e-9, b, node_spacing=2e-9)


def _fmt(x):
    """Mean +- standard error."""
    return f"{x.mean():+.4f} +- {x.std(ddof=1) / math.sqrt(len(x)):.4f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=800)
    a = ap.parse_args()
    b_field = devices.film(SIZES[0], SIZES[0]).units.tesla(PHI)
    ln_g, typical = [], []
    for size in SIZES:
        dev = devices.film(size, size)
        ds = sweep(dev, b_perp=[0.0, b_field], energies=[ENERGY], seeds=range(a.seeds),
                   disorder=DISORDER, path=OUT / "beta_2d" / f"square{size}_n{a.seeds}.nc")  # fmt: skip
        big_g = ds.G.isel(energy=0, b_par=0).values  # (realization, field)
        g = sample_conductance(big_g, bands.open_channels(ENERGY, size))
        ln_g.append(np.log(g))
        typical.append(np.exp(np.log(g).mean(0)))
    model = {s: (device_wl(s, 0.0), device_wl(s, b_field)) for s in SIZES}
    print(f"squares at E = {ENERGY} t, box {DISORDER} t (l = {ELL} a), {a.seeds} realizations; "
          f"field {PHI:g} flux quanta per plaquette ({b_field:.4g} T in lattice units)")  # fmt: skip
    print("pair     g(0)   beta(0)          beta(B)          beta(0)-beta(B)   model WL part"
          "   model/(-1/pi g)")  # fmt: skip
    for k in range(len(SIZES) - 1):
        d = (ln_g[k + 1] - ln_g[k]) / math.log(2)  # (realization, field), paired per seed
        both = d[:, 0] - d[:, 1]
        g_mid = math.sqrt(typical[k][0] * typical[k + 1][0])
        m0 = (model[SIZES[k + 1]][0] - model[SIZES[k]][0]) / math.log(2) / g_mid
        mb = (model[SIZES[k + 1]][1] - model[SIZES[k]][1]) / math.log(2) / g_mid
        print(f"{SIZES[k]:3d}-{SIZES[k + 1]:3d}  {g_mid:.3f}  {_fmt(d[:, 0])}  {_fmt(d[:, 1])}  "
              f"{_fmt(both)}   {m0 - mb:+.4f}         {(m0 - mb) * math.pi * g_mid:.3f}")  # fmt: skip
    print(
        "model WL part: the device Cooperon's [G_WL(0) - G_WL(B)] difference between the sizes,"
        " over g ln 2"
    )


if __name__ == "__main__":
    main()
