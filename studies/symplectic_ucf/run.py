"""Symplectic UCF of a spinful Rashba wire: why var G exceeds 4/30 (B = 0) and 1/15 (in field).

The wire of the validation check ``test_ucf_symplectic`` (W = 60, box 1 t at
E = 2.05 t: l = 39 a, N = 30), spinful with Rashba coupling lambda_R, with
and without 8 flux quanta. Scans lambda_R (L_so = a / (2 lambda_R)) and the
length, to tell incomplete spin mixing from other causes: if the spins are
not fully mixed, var G moves towards the decoupled values (4/15 at B = 0,
2/15 in field) as lambda_R falls or L shortens.

    python -m studies.symplectic_ucf.run [--lam 0.05 0.1 0.2] [--length 300] [--seeds 300]

Prints var G with its standard error and the ratio to the symplectic values;
sweeps are cached in out/studies/symplectic_ucf.
"""

import argparse
import math
import warnings
from pathlib import Path

import numpy as np

import devices
import transport

E, W_DIS, WIDTH = 2.05, 1.0, 60


def var_se(x):
    d = x - x.mean()
    return x.var(ddof=1), math.sqrt((np.mean(d**4) - np.mean(d**2) ** 2) / len(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lam", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    ap.add_argument("--length", type=int, nargs="+", default=[300])
    ap.add_argument("--seeds", type=int, default=300)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    out = Path("out/studies/symplectic_ucf")
    out.mkdir(parents=True, exist_ok=True)
    for length in a.length:
        for lam in a.lam:
            dev = devices.wire(WIDTH, length, spin=devices.Spin(rashba=2 * lam))
            phi = 8 / (WIDTH * length)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", transport.RegimeWarning)
                ds = transport.sweep(dev, b_perp=[0.0, dev.units.tesla(phi)], energies=[E],
                                     seeds=a.seeds, disorder=W_DIS, workers=a.workers,
                                     progress=False,
                                     path=out / f"w{WIDTH}_l{length}_lam{lam:g}_n{a.seeds}.nc")  # fmt: skip
            g = ds.G.isel(energy=0, b_par=0).values
            (v0, e0), (v1, e1) = var_se(g[:, 0]), var_se(g[:, 1])
            print(f"L = {length}, lambda_R = {lam:g} (L_so = {0.5 / lam:.3g} a): <G> = "
                  f"{g[:, 0].mean():.3f}; var G(0) = {v0:.4f} +- {e0:.4f} "
                  f"({v0 / (4 / 30):.2f} x 4/30), var G(B) = {v1:.4f} +- {e1:.4f} "
                  f"({v1 / (1 / 15):.2f} x 1/15), ratio {v0 / v1:.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
