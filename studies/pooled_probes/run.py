"""Does the probe network's excess l_phi go when each probe pools many weak channels?

On the spinless 100 x 100 film (E = 1.03 t, box 2.5 t: l = 6 a) with Buttiker probes at
l_phi = 30 a, the finite-device fit returns l_phi about 1.17 x its input at every probe
spacing (``studies/probe_density``); a phase breaker without a network does not show it
(``studies/random_flux``), and the probe-network study traced half of it to the covariances
of the network's hops. Each probe is one site with one channel. For a chaotic dot, Brouwer
and Beenakker (1997) found that a voltage probe reproduces pure dephasing (the imaginary
potential) in the limit of many weakly coupled channels under one voltage; with one channel
it does not. The analogue here: pool the probes of a k x k patch of the grid into one
terminal, one voltage for all its channels, at the same coupling per site (so the same
absorption rate and input tau_phi). The hops of a pooled terminal are sums of k^2 x k^2 site
hops, whose fluctuations average down.

Pooling is exact post-processing of one solve: a terminal P made of probe sites p in P has
T_PQ = sum_{p in P, q in Q} T_pq (hops inside a patch are reflections, and drop out),
T_PL = sum_p T_pL, T_RP = sum_p T_Rp. Every k is computed from the same Green's function,
so the comparison between k is paired, realization by realization. k = 1 is the package's
probe model (checked against ``Solver.buttiker`` to 1e-10 on the first realization).

Stated before the run: if single-channel hop fluctuations make the excess, the fitted l_phi
falls from about 1.17 x the input (k = 1) towards 1.03-1.07 (the probes' own Cooperon
decay and the network of mean hops, ``studies/probe_network``) as k grows, while patches stay
below l_phi; if it stays at 1.17 for every k, the excess is not the channels' and pooling
is no remedy.

    python -m studies.pooled_probes.run [--seeds 128] [--workers 2] [--grid 3]

About 15 s per realization (13 fields) on one core with probes 3 sites apart; resumable (one
file per realization under out/studies/pooled_probes/).
"""

import argparse
import json
import math
import multiprocessing
from pathlib import Path

import numpy as np
import xarray as xr

import devices
import fits
from studies.common import E_FILM, W_DIS, probe_film
from transport.solver import Solver, network_conductance

OUT = Path(__file__).resolve().parents[2] / "out" / "studies" / "pooled_probes"
SIDE, LPHI = 100, 30.0  # [a]
POOLS = (1, 2, 3, 4, 6)  # k: a terminal pools the probes of a k x k patch of the grid


def pooled_conductance(d, patch):
    """Conductance [e^2/h] of the network whose terminals pool the probe sites by ``patch``.

    ``d``: `Solver.buttiker` details (site transmissions); ``patch[i]``: the terminal of
    probe i (0 .. n - 1). Hops between probes of one terminal drop out.
    """
    m = pool_matrix(patch)
    t_pp = m @ d["t_pp"] @ m.T
    np.fill_diagonal(t_pp, 0.0)
    return network_conductance(d["t_rl"], m @ d["t_pl"], m @ d["t_rp"], m @ d["t_lp"],
                               t_pp)["conductance"]  # fmt: skip


def pool_matrix(patch):
    """m[P, p] = 1 if probe p is in terminal P (``patch[p]`` = P)."""
    m = np.zeros((patch.max() + 1, len(patch)))
    m[patch, np.arange(len(patch))] = 1.0
    return m


def patches(tags, spacing, k):
    """Terminal index of each grid probe at ``tags`` (N, 2) for k x k patches of the grid."""
    off = tags.min(axis=0)
    cell = (tags - off) // (spacing * k)
    _, inv = np.unique(cell, axis=0, return_inverse=True)
    return inv.ravel()


def _init(fields, grid, tau, pools):
    global _S, _F, _KW, POOLS
    POOLS = pools
    _S = Solver(devices.film(SIDE, SIDE))
    _F = fields
    _KW = dict(disorder=W_DIS, tau_phi=tau, dephasing="probes",
               probe_density=grid**-2.0, probe_layout="grid")  # fmt: skip


def _run(seed):
    dev = _S.device
    spacing = round(_KW["probe_density"] ** -0.5)
    path = (
        OUT / f"film{SIDE}_lphi{LPHI:g}_grid{spacing}_k{'-'.join(map(str, POOLS))}" / f"{seed}.npy"
    )
    if path.exists():
        return np.load(path)
    e = dev.energy(E_FILM)
    g = np.zeros((len(POOLS), len(_F)))
    for j, b in enumerate(_F):
        p = dev.params(b_perp=b, seed=seed, **_KW)
        d = _S.buttiker(e, p, details=True)
        tags = dev.tags[d["probes"]]
        for i, k in enumerate(POOLS):
            g[i, j] = pooled_conductance(d, patches(tags, spacing, k))
        if seed == 0 and j == 0 and abs(g[0, 0] - d["conductance"]) > 1e-10:
            raise AssertionError(f"k = 1 differs from the solver: {g[0, 0]} vs {d['conductance']}")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, g)
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=128)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--grid", type=int, default=3, help="probe grid spacing [a]")
    ap.add_argument("--pools", type=int, nargs="+", default=list(POOLS), help="patch sides k")
    a = ap.parse_args()
    pools = tuple(a.pools)
    f = probe_film(SIDE, LPHI)
    dev, rep, tau, b_tr, fields = f["device"], f["regime"], f["tau_phi_ps"], f["b_tr"], f["fields"]
    u, ell = dev.units, rep.mean_free_path
    print(f"probes {a.grid} a apart ({a.grid / ell:.2f} l); patches k x k: "
          + ", ".join(f"k = {k}: {k * a.grid} a = {k * a.grid / ell:.1f} l = "
                      f"{k * a.grid / LPHI:.2f} l_phi" for k in pools))  # fmt: skip
    with multiprocessing.get_context("fork").Pool(
        a.workers, _init, (fields, a.grid, tau, pools)
    ) as pool:
        g = np.array(pool.map(_run, range(a.seeds), chunksize=2))  # (seed, k, field)
    model, d_si = f["model"], f["diffusion"]
    dg = g - g[:, :, :1]
    for i, k in enumerate(pools):
        ds = xr.Dataset({"G": (("realization", "b_perp"), g[:, i], {"units": "e^2/h"})},
                        coords={"b_perp": ("b_perp", np.array(fields), {"units": "T"})},
                        attrs={"device_spec": json.dumps(dev.spec())})  # fmt: skip
        r = model.fit(fits.from_dataset(ds, quantity="total"), diffusion=d_si,
                      window=0.5 * b_tr, errors="fast")  # fmt: skip
        lp, err = r.values["l_phi"] / (LPHI * u.a_m), r.stderr["l_phi"] / (LPHI * u.a_m)
        diff = dg[:, i] - dg[:, 0]
        z = diff.mean(0)[1:] / (diff.std(0, ddof=1)[1:] / math.sqrt(len(g)) + 1e-300)
        ratio = math.sqrt(g[:, i, -1].mean() / g[:, 0, -1].mean())
        print(f"k = {k}: <G(0)> = {g[:, i, 0].mean():.4f}, sqrt(<G_k> / <G_1>) at the top field "
              f"{ratio:.4f}, dG at the top field "
              f"{dg[:, i, -1].mean():.4f}; l_phi fitted / input {lp:.3f} +- {err:.3f} (reduced "
              f"chi^2 {r.reduced_chi2:.2f}); paired dG(B) minus k = 1: "
              f"{diff.mean(0)[-1]:+.4f} at the top field, max |z| {np.abs(z).max():.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
