#!/usr/bin/env python3
"""The reference workload: a disorder-averaged WL sweep written by hand in plain Kwant.

What a Kwant user writes without cooperon: value functions of the site, disorder
from ``kwant.digest`` keyed by the site tag and a per-realization salt, and one
``kwant.smatrix`` call per field and realization. The benchmarks time cooperon
against this loop on the same workload, side by side in one run.

Workload (the definition the performance ratios have always used): a spinless
square lattice, hopping t = 1, on-site energy 4t (energies from the band
bottom), box disorder of width ``--disorder`` [t], Fermi energy ``--energy``
[t], a perpendicular field as flux per plaquette phi [h/e] in the Landau gauge
A = (-B y, 0, 0), present in the scattering region and in the leads.

    python benchmarks/naive_kwant.py --width 40 --length 80 --fields 21 --seeds 16

prints one JSON line: the sizes and the time per conductance point.
"""

import argparse
import json
import time

import kwant
import numpy as np


def build(width, length):
    lattice = kwant.lattice.square(1, norbs=1)

    def onsite(site, disorder, salt):
        return 4.0 + disorder * (kwant.digest.uniform(site.tag, salt) - 0.5)

    def hopping(to, fr, phi):  # Peierls phase of A = (-B y, 0, 0): -2 pi phi y_mean dx
        (x1, y1), (x2, y2) = to.pos, fr.pos
        return -np.exp(-1j * np.pi * phi * (x1 - x2) * (y1 + y2))

    scattering = kwant.Builder()
    scattering[(lattice(x, y) for x in range(length) for y in range(width))] = onsite
    scattering[lattice.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lattice(0, y) for y in range(width))] = 4.0
    lead[lattice.neighbors()] = hopping
    scattering.attach_lead(lead)
    scattering.attach_lead(lead.reversed())
    return scattering.finalized()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=40)
    p.add_argument("--length", type=int, default=80)
    p.add_argument("--energy", type=float, default=1.0, help="[t] above the band bottom")
    p.add_argument("--disorder", type=float, default=1.5, help="box width [t]")
    p.add_argument("--phi-max", type=float, default=0.01, help="largest flux per plaquette [h/e]")
    p.add_argument("--fields", type=int, default=21)
    p.add_argument("--seeds", type=int, default=16)
    a = p.parse_args()

    t0 = time.perf_counter()
    system = build(a.width, a.length)
    t1 = time.perf_counter()
    g = np.empty((a.seeds, a.fields))
    for s in range(a.seeds):
        for j, phi in enumerate(np.linspace(0, a.phi_max, a.fields)):
            params = dict(disorder=a.disorder, salt=str(s), phi=phi)
            g[s, j] = kwant.smatrix(system, a.energy, params=params).transmission(1, 0)
    t2 = time.perf_counter()
    points = a.seeds * a.fields
    print(json.dumps(dict(width=a.width, length=a.length, fields=a.fields, seeds=a.seeds,
                          points=points, build_s=round(t1 - t0, 3), sweep_s=round(t2 - t1, 3),
                          ms_per_point=round(1e3 * (t2 - t1) / points, 2),
                          mean_G=round(float(g.mean()), 6))))  # fmt: skip


if __name__ == "__main__":
    main()
