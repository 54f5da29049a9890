"""One probe configuration under many realizations: <G>, pooled terminals, and G(<T>).

The companion of ``run.py`` on the same 100 x 100 film (l_phi = 30 a): the probes sit on one
grid for every realization (offset 0, ``--grid`` sites apart), so that each hop T_ij has a
disorder average. Printed, each fitted like ``run.py`` (finite-device model, alpha = 1, Drude
D and z0, below B_tr / 2), with per-field errors from a jackknife over 16 blocks:

- <G>: the package's probe model, averaged over realizations;
- <G_k>: terminals pooling k x k patches of the grid (``run.py``);
- G(<T>): the network of the mean hops, the limit of terminals whose hops do not fluctuate
  from sample to sample (their covariances dropped, single-site geometry kept);
- G_k(<T>): the same for the pooled terminals.

Each is fitted with alpha = 1 and with the prefactor free; the error of l_phi is half the
scatter of the fits of four quarters of the realizations.

Stated before the run: the probe-network study found G(<T>) 1.07 x the decay length on
48-wide films 96 and 384 sites long (``studies/probe_network``). If pooling approaches that
limit, the pooled <G_k> approach G_k(<T>) as k grows, and G(<T>) here lies near 1.07 x the
input (the probes' Cooperon decays over 1.03-1.04 x); pooled terminals reading below 1.0
(``run.py``: 0.85-0.99) then come from the patch geometry, visible as G_k(<T>) below G(<T>).

    python -m studies.pooled_probes.mean_hops [--seeds 256] [--grid 6] [--pools 1 2]

Per realization the hops are stored (out/studies/pooled_probes/fixed_*; about 9 MB each at
grid 6): resumable. About 3 s per realization at grid 6 on one core.
"""

import argparse
import multiprocessing

import numpy as np

import devices
import fits
from studies.common import E_FILM, W_DIS, probe_film
from studies.pooled_probes.run import LPHI, OUT, SIDE, patches, pool_matrix, pooled_conductance
from transport.solver import Solver, network_conductance

KEYS = ("t_rl", "t_pl", "t_rp", "t_lp", "t_pp")
BLOCKS = 16


def fixed_grid(dev, spacing):
    """Site indices of a grid ``spacing`` apart through the film's first site (every seed)."""
    tags = dev.tags
    off = tags.min(axis=0)
    return np.flatnonzero(np.all((tags - off) % spacing == 0, axis=1))


def _init(fields, grid, tau, folder):
    global _S, _F, _KW, _P, _DIR
    _S = Solver(devices.film(SIDE, SIDE))
    _F, _DIR = fields, folder
    _KW = dict(disorder=W_DIS, tau_phi=tau, dephasing="probes",
               probe_density=grid**-2.0, probe_layout="grid")  # fmt: skip
    _P = fixed_grid(_S.device, grid)


def _run(seed):
    path = _DIR / f"{seed}.npz"
    if path.exists():
        return
    dev = _S.device
    e = dev.energy(E_FILM)
    out = {k: [] for k in KEYS}
    g = []
    for b in _F:
        d = _S.buttiker(e, dev.params(b_perp=b, seed=seed, **_KW), details=True, probes=_P)
        g.append(d["conductance"])
        for k in KEYS:
            out[k].append(d[k])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, g=np.array(g), **{k: np.array(v) for k, v in out.items()})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--grid", type=int, default=6, help="probe grid spacing [a]")
    ap.add_argument("--pools", type=int, nargs="+", default=[1, 2], help="patch sides k")
    a = ap.parse_args()
    f = probe_film(SIDE, LPHI)
    dev, tau, b_tr, fields = f["device"], f["tau_phi_ps"], f["b_tr"], f["fields"]
    u = dev.units
    folder = OUT / f"fixed_film{SIDE}_lphi{LPHI:g}_grid{a.grid}"
    args = (fields, a.grid, tau, folder)
    with multiprocessing.get_context("fork").Pool(a.workers, _init, args) as pool:
        pool.map(_run, range(a.seeds), chunksize=2)
    probes = fixed_grid(dev, a.grid)
    mats = {k: pool_matrix(patches(dev.tags[probes], a.grid, k)) for k in a.pools}
    per = a.seeds // BLOCKS
    # per block: sums of G_k and of the pooled hops, per field
    sums = []
    for blk in range(BLOCKS):
        s = {("g", k): 0.0 for k in a.pools}
        s.update({("t", k, key): 0.0 for k in a.pools for key in KEYS})
        for seed in range(blk * per, (blk + 1) * per):
            x = np.load(folder / f"{seed}.npz")
            for k, m in mats.items():
                t = {key: x[key] for key in KEYS}
                pooled = dict(t_rl=t["t_rl"], t_pl=t["t_pl"] @ m.T, t_rp=t["t_rp"] @ m.T,
                              t_lp=t["t_lp"] @ m.T,
                              t_pp=m @ t["t_pp"] @ m.T)  # fmt: skip
                idx = np.arange(m.shape[0])
                pooled["t_pp"][:, idx, idx] = 0.0
                g = np.array([pooled_conductance({kk: t[kk][j] for kk in KEYS},
                                                 m.argmax(axis=0)) for j in range(len(fields))])  # fmt: skip
                s[("g", k)] = s[("g", k)] + g
                for key in KEYS:
                    s[("t", k, key)] = s[("t", k, key)] + pooled[key]
        sums.append(s)

    def curves(use):
        """dG(B) of <G_k> and G_k(<T>) for every k, over the blocks ``use``."""
        n = per * len(use)
        out = []
        for k in a.pools:
            g = sum(sums[i][("g", k)] for i in use) / n
            mean = {key: sum(sums[i][("t", k, key)] for i in use) / n for key in KEYS}
            net = np.array([network_conductance(*(mean[key][j] for key in KEYS))["conductance"]
                            for j in range(len(fields))])  # fmt: skip
            out += [g - g[0], net - net[0]]
        return np.array(out)

    every = list(range(BLOCKS))
    full = curves(every)
    jack = np.array([curves([i for i in every if i != j]) for j in every])
    err = np.sqrt((BLOCKS - 1) / BLOCKS * ((jack - full) ** 2).sum(axis=0))
    quarters = [curves(every[i::4]) for i in range(4)]
    d_si, fixed = f["diffusion"], f["model"]
    free = fits.FiniteFilm(g_s=1, width=fixed.width, length=fixed.length, b_tr=b_tr,
                           extension=fixed.spectrum.extension, max_nodes=2500)  # fmt: skip
    b = np.array(fields[1:])
    lin = LPHI * u.a_m
    top = fixed(b[-1:], l_phi=lin)[0]
    print(f"{len(probes)} probes on one grid {a.grid} a apart, {per * BLOCKS} realizations; the "
          f"model at the input l_phi (alpha = 1) gives dG = {top:.4f} e^2/h at the top field")  # fmt: skip
    names = [f"{w}, k = {k}" for k in a.pools for w in ("<G>", "G(<T>)")]
    for i, (name, y, e) in enumerate(zip(names, full, err)):
        line = []
        for alpha in (1.0, None):
            model = fixed if alpha else free

            def fit(yy, model=model, e=e):
                return model.fit(b, yy[1:], e[1:], window=0.5 * b_tr, diffusion=d_si)

            r = fit(y)
            spread = np.std([fit(q[i]).values["l_phi"] for q in quarters], ddof=1) / 2
            pref = "alpha = 1" if alpha else f"prefactor {r.values['alpha']:.2f}"
            line.append(
                f"{pref}: l_phi / input {r.values['l_phi'] / lin:.3f} +- {spread / lin:.3f}"
            )
        print(f"{name}: dG at the top field {y[-1]:.4f} +- {e[-1]:.4f}; " + "; ".join(line))


if __name__ == "__main__":
    main()
