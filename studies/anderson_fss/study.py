"""Which finite-size-scaling fit do M = 4..12 transfer-matrix data support?

The 3D Anderson model at the band centre (E = 6 t), bars of M x M sites with
periodic boundaries, M = 4, 6, 8, 10, 12, W = 15..18 t in steps of 0.5, each
xi_M to 0.5% (the full validation tier's data; computed here if absent, about
an hour on 2 cores, in out/validation/full/anderson_3d/). Printed: W_c, nu,
chi^2 of the scaling fit for several choices of widths, expansion order and
irrelevant correction, against W_c = 16.54, nu = 1.571 (Slevin-Ohtsuki 2014).
"""

from pathlib import Path

import numpy as np

from fits.scaling import fit_finite_size_scaling
from transport.scaling import localization_lengths

OUT = Path(__file__).resolve().parents[2] / "out" / "validation" / "full" / "anderson_3d"
WIDTHS = (4, 6, 8, 10, 12)
DISORDERS = tuple(np.arange(15.0, 18.01, 0.5))
CHOICES = (
    (WIDTHS, 3, True),
    (WIDTHS, 2, True),
    (WIDTHS, 3, False),
    ((6, 8, 10, 12), 3, False),
    ((6, 8, 10, 12), 2, False),
    ((8, 10, 12), 2, False),
)


def main():
    lam = localization_lengths(WIDTHS, DISORDERS, energy=6.0, dimension=3, accuracy=0.005,
                               path=OUT, log=print)  # fmt: skip
    print(f"{'widths':<18} n_r  irrelevant   W_c [t]          nu              chi2/dof   y")
    for widths, n_r, irr in CHOICES:
        f = fit_finite_size_scaling(lam.sel(width=list(widths)), n_r=n_r, irrelevant=irr)
        y = f"{f.values['y']:.2f}" if irr else "-"
        print(f"{list(widths)!s:<18} {n_r}    {'yes' if irr else 'no ':<10}  "
              f"{f.w_c:6.3f} +- {f.w_c_err:5.3f}  {f.nu:5.3f} +- {f.nu_err:5.3f}  "
              f"{f.chi2:5.1f}/{f.dof:<3d}  {y}")  # fmt: skip


if __name__ == "__main__":
    main()
