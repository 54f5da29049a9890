"""Weak antilocalization on a spinful Rashba film: the closed loop, explored.

A square spinful film (box disorder, E = 1.03 t: l = 6.0 a) with Rashba
coupling lambda_R and Buttiker probes (grid, automatic density) that impose
l_phi. The magnetoconductance is fitted with HLN (alpha free, low fields)
and HLN with spin-orbit (B_phi, B_so free), and B_so is compared with the
D'yakonov-Perel value from the model's parameters
(``devices.spin.dyakonov_perel_lattice_b_so``).

    python studies/antilocalization/run.py [--side 100] [--lphi 30] [--lam 0.06 ...]
        [--seeds 16] [--workers 1]
    python studies/antilocalization/run.py --coherent [--side 30] [--seeds 200]

Prints one line per lambda_R; results go to out/studies/antilocalization.
``--coherent``: a 30 x 30 film, coherent (its size is the coherence length) and with
grid probes at l_phi = 15 a, <dG> at B_phi/2 .. 16 B_phi and its ratio to lambda_R = 0.
"""

import argparse
import math
import warnings
from pathlib import Path

import numpy as np

import devices
import fits
import transport
from devices.spin import dyakonov_perel_lattice_b_so

E, W = 1.03, 2.5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=100)
    ap.add_argument("--lphi", type=float, default=30.0)
    ap.add_argument("--lam", type=float, nargs="+", default=[0.0, 0.02, 0.04, 0.06])
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--coherent", action="store_true")
    ap.add_argument(
        "--spacing",
        type=int,
        default=None,
        help="probe grid spacing [a] (default: automatic, l_phi / 4)",
    )
    ap.add_argument("--fields", type=int, default=13, help="keep the first N fields (with B = 0)")
    a = ap.parse_args()
    if a.coherent:
        return coherent(a.side if a.side != 100 else 30, a.seeds if a.seeds != 16 else 200, a.lam)
    out = Path("out/studies/antilocalization")
    out.mkdir(parents=True, exist_ok=True)
    for lam in a.lam:
        dev = devices.film(a.side, a.side, spin=devices.Spin(rashba=2 * lam))
        u, rep = dev.units, dev.regime(E, W)
        tau = a.lphi**2 / rep.diffusion * u.time_ps
        d_si = rep.diffusion * u.diffusion_m2s
        ell = rep.mean_free_path * u.a_m
        b_tr = fits.lineshapes.HBAR_OVER_E / (2 * ell**2)
        b_phi = float(fits.lineshapes.b_from_length(a.lphi * u.a_m))
        fields = [0.0, *np.geomspace(b_phi / 4, b_tr / 2, 12)][: a.fields]
        probes = {} if a.spacing is None else {"probe_density": a.spacing**-2.0,
                                                "probe_layout": "grid"}  # fmt: skip
        tag = "" if a.spacing is None else f"_s{a.spacing}"
        tag += "" if a.fields == 13 else f"_f{a.fields}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", transport.RegimeWarning)
            ds = transport.sweep(dev, b_perp=fields, energies=[E], seeds=a.seeds, disorder=W,
                                 tau_phi=tau, dephasing="probes", workers=a.workers, **probes,
                                 path=out / f"side{a.side}_lphi{a.lphi:g}_lam{lam:g}_n{a.seeds}{tag}.nc",
                                 progress=False)  # fmt: skip
        data = fits.from_dataset(ds, quantity="sheet")
        hln = fits.HLN(g_s=2, b_tr=b_tr).fit(data, diffusion=d_si, errors="fast")
        so = fits.HLNSpinOrbit(g_s=2, b_tr=b_tr).fit(data, diffusion=d_si, errors="fast")
        b_dp = dyakonov_perel_lattice_b_so(2 * lam, 0.0, u)
        al = hln.values["alpha"], hln.stderr["alpha"]
        print(
            f"lam {lam:g}: dG(B_phi..) {np.round(data.dy[:6], 4)}  alpha {al[0]:.3f}+-{al[1]:.3f}"
            f"  B_phi {so.values['b_phi']:.3g} (in {b_phi:.3g})  B_so {so.values['b_so']:.3g}"
            f"+-{so.stderr['b_so']:.2g} (DP {b_dp:.3g})",
            flush=True,
        )


def coherent(side, seeds, lams):
    from transport.solver import Solver

    l_phi = 15.0
    for model in ("coherent", "probes"):
        ref = None
        for lam in sorted({0.0, *lams}):
            dev = devices.film(side, side, spin=devices.Spin(rashba=2 * lam))
            s, rep = Solver(dev), dev.regime(E, W)
            b_phi = float(fits.lineshapes.b_from_length(l_phi * dev.units.a_m))
            fields = [0.0, *(b_phi * np.array([0.5, 1, 2, 4, 8, 16]))]
            kw = {}
            if model == "probes":
                kw = dict(tau_phi=l_phi**2 / rep.diffusion * dev.units.time_ps,
                          dephasing="probes", probe_density=1 / 16, probe_layout="grid")  # fmt: skip
            g = np.array([s.transmission(E, [dev.params(b_perp=b, disorder=W, seed=k, **kw)
                                             for b in fields]) for k in range(seeds)])  # fmt: skip
            dg = (g - g[:, :1])[:, 1:]
            m, e = dg.mean(0), dg.std(0, ddof=1) / math.sqrt(seeds)
            ref = m if lam == 0 else ref
            print(f"{model} lam {lam:g}: <dG> {np.round(m, 4)} +- {np.round(e, 4)}  ratio to "
                  f"lam 0 {np.round(m / ref, 3)}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
