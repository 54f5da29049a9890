"""The random-phase Cooperon rate beyond the clean Born formula: Fermi's golden rule between
exact eigenstates of the box-disordered lattice.

To first order in the bond phases the perturbation is sum_b phi_b J_b with the bond current
J_b = i (|j><i| - |i><j|) (t = 1), and the Cooperon relaxes at twice the out-scattering rate
<sin^2 phi> 2 pi F, with

    F = sum_b sum_nm d(E - E_n) d(E - E_m) |<m|J_b|n>|^2 / sum_n d(E - E_n)

over x- and y-bonds. The clean-band Born value is F = 4 nu (1 - c^2) (``run.fermi_line``).
Here F is computed on periodic n x n samples of the film's disorder (box 2.5 t), the delta
functions Gaussians of width ``sigma`` (several level spacings, well below hbar/tau), averaged
over samples and five energies within 0.1 t of E = 1.03 t.

    python -m studies.random_flux.golden_rule [--side 64] [--sigma 0.02 0.05] [--samples 3]

About a minute per sample at 64 x 64 (four minutes in all).
"""

import argparse
import math

import numpy as np

from studies.common import E_FILM, W_DIS
from studies.random_flux.run import fermi_line


def golden_rule(side, sigma, samples, disorder=W_DIS, energy=E_FILM, seed=7):
    """F and its standard error over samples and energies (see the module docstring)."""
    n = side * side
    idx = np.arange(n).reshape(side, side)
    neighbours = (np.roll(idx, -1, axis=0).ravel(), np.roll(idx, -1, axis=1).ravel())
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(samples):
        h = np.diag(4 + disorder * (rng.random(n) - 0.5))
        for nb in neighbours:
            h[nb, np.arange(n)] = h[np.arange(n), nb] = -1.0
        e, u = np.linalg.eigh(h)
        for e0 in np.linspace(energy - 0.1, energy + 0.1, 5):
            sel = np.abs(e - e0) < 5 * sigma
            w = np.exp(-0.5 * ((e[sel] - e0) / sigma) ** 2) / (math.sqrt(2 * math.pi) * sigma)
            v = u[:, sel]
            tot = 0.0
            for nb in neighbours:  # <m|J_b|k> = i (v[j, m] v[i, k] - v[i, m] v[j, k]), v real
                j = np.einsum("bm,bk->bmk", v[nb], v) - np.einsum("bm,bk->bmk", v, v[nb])
                tot += np.einsum("m,k,bmk->", w, w, j**2)
            out.append(tot / w.sum())
    out = np.array(out)
    return out.mean(), out.std(ddof=1) / math.sqrt(len(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=64)
    ap.add_argument("--sigma", type=float, nargs="+", default=[0.02, 0.05])
    ap.add_argument("--samples", type=int, default=3)
    a = ap.parse_args()
    nu, c, _ = fermi_line(E_FILM, 2e-3)
    born = 4 * nu * (1 - c**2)
    print(f"clean Born F = 4 nu (1 - c^2) = {born:.4f}")
    for s in a.sigma:
        f, err = golden_rule(a.side, s, a.samples)
        print(f"{a.side} x {a.side}, sigma = {s:g} t, {a.samples} samples: F = {f:.4f} +- {err:.4f} "
              f"= {f / born:.3f} x Born; l_phi at the Born-set phases: "
              f"{math.sqrt(born / f):.3f} x the Born l_phi")  # fmt: skip
    f, err = golden_rule(a.side, a.sigma[0], a.samples, disorder=0.5)
    print(f"weak disorder (box 0.5 t), sigma = {a.sigma[0]:g} t: F = {f:.4f} +- {err:.4f} "
          f"= {f / born:.3f} x Born (the normalization)")  # fmt: skip


if __name__ == "__main__":
    main()
