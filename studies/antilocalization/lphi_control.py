"""Is the excess l_phi of spinful films with probes a spin-orbit effect? The controls.

Fits the datasets of the validation checks on the spinful 100 x 100 film
(probes at l_phi = 30 a, automatic density): the spin-degenerate control
(lambda_R = 0, ``finite_film`` with alpha = 1), the Rashba films and the film
with spin-orbit disorder (``finite_film_so``, l_phi and B_so free), and prints
l_phi fitted / input for each. D and the contacts' z0 come from the Drude fit
(``studies.common.drude``), as in the validation.

    python -m studies.antilocalization.lphi_control [--tier quick]

The datasets are those `make validate` caches in out/validation/<tier>/
(antilocalization/ and elliott_yafet/); run it first.
"""

import argparse
import math
import warnings
from pathlib import Path

import xarray as xr

import devices
import fits
from studies.common import E_FILM, W_DIS, drude

SIDE, LPHI = 100, 30.0  # [a], as in tests/test_validation.py


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tier", default="quick", choices=("quick", "full"))
    a = ap.parse_args()
    root = Path("out/validation") / a.tier
    files = sorted(root.glob("antilocalization/*.nc")) + sorted(root.glob("elliott_yafet/*.nc"))
    if not files:
        raise SystemExit(f"no datasets under {root}: run `make validate` first")
    d = drude()
    dev = devices.film(SIDE, SIDE, spin=True)
    rep, u = dev.regime(E_FILM, W_DIS), dev.units
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * u.a_m) ** 2)
    d_si = d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s
    side = SIDE * u.a_m
    common = dict(g_s=2, width=side, length=side, b_tr=b_tr, extension=d["z0"] * u.a_m,
                  max_nodes=2500)  # fmt: skip
    for path in files:
        ds = xr.open_dataset(path)
        data = fits.from_dataset(ds, quantity="total")
        control = path.name.startswith("lam0_")
        model = (fits.FiniteFilm(alpha=1.0, **common) if control
                 else fits.FiniteFilmSpinOrbit(**common))  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = model.fit(data, diffusion=d_si, window=0.5 * b_tr, errors="fast")
        ratio = r.values["l_phi"] / (LPHI * u.a_m)
        err = r.stderr["l_phi"] / (LPHI * u.a_m)
        so = "" if control else f", B_so {r.values['b_so']:.3g} +- {r.stderr['b_so']:.2g} T"
        print(
            f"{path.parent.name}/{path.name}: {ds.sizes['realization']} realizations, "
            f"l_phi fitted / input {ratio:.3f} +- {err:.3f}{so}"
        )


if __name__ == "__main__":
    main()
