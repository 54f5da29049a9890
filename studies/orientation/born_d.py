"""Born D of the spin-split Rashba lattice bands against the spinless one.

Is the 1.2 x l_phi of a Rashba film's perpendicular fit the dataset's D (the
spinless Born estimate)? On a k grid (Gaussian-broadened delta functions),
the per-spin density of states nu and transport weight Sigma of the two
bands E = eps(k) +- |d(k)|, with the Born time 1/tau ~ nu (spin-independent
white-noise disorder): D ~ Sigma / nu^2, sigma ~ Sigma / nu.

    python -m studies.orientation.born_d

Prints the ratios to lambda = 0 (checked against the exact spinless
weights of ``devices.bands``).
"""

import numpy as np

from devices import bands

E = 1.03  # [t]


def weights(energy, lam_r, lam_d=0.0, n=2048, width=0.015):
    k = (np.arange(n) + 0.5) * 2 * np.pi / n - np.pi
    kx, ky = np.meshgrid(k, k, indexing="ij")
    eps = 2 * (2 - np.cos(kx) - np.cos(ky))
    dx = 2 * lam_r * np.sin(ky) + 2 * lam_d * np.sin(kx)
    dy = -2 * lam_r * np.sin(kx) - 2 * lam_d * np.sin(ky)
    d = np.maximum(np.hypot(dx, dy), 1e-30)
    ddx, ddy = 2 * lam_r * np.cos(ky), -2 * lam_d * np.cos(ky)  # d(dx, dy)/dky
    nu = sigma = 0.0
    for sign in (1, -1):
        v_y = 2 * np.sin(ky) + sign * (dx * ddx + dy * ddy) / d
        g = np.exp(-0.5 * ((energy - eps - sign * d) / width) ** 2) / (np.sqrt(2 * np.pi) * width)
        nu += g.mean() / 2
        sigma += (v_y**2 * g).mean() / 2
    return nu, sigma


def main():
    nu0, s0 = weights(E, 0.0)
    print(f"lambda = 0: nu {nu0:.5f} (exact {bands.dos(E):.5f}), Sigma {s0:.5f} "
          f"(exact {bands.transport_weight(E):.5f})")  # fmt: skip
    for lam in (0.06, 0.1, 0.15):
        nu, s = weights(E, lam)
        print(f"lambda_R = {lam}: D / D_0 = {(s / nu**2) / (s0 / nu0**2):.4f}, "
              f"sigma / sigma_0 = {(s / nu) / (s0 / nu0):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
