#!/usr/bin/env python3
"""Benchmarks: print one JSON line per case.

Until the transport layer lands this measures Hamiltonian assembly, the part
of the hand-written loop (../shared/bench/naive_kwant.py) that cooperon
replaces with numpy: Kwant's per-site value functions versus
``Device.hamiltonian``, on the same film and disorder.
"""

import json
import time

import devices


def best(f, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    for width, length in [(40, 80), (100, 200)]:
        dev = devices.film(width, length)
        p = dev.params(phi_perp=0.01, disorder=1.5, seed=1)
        dev.hamiltonian(p)  # build the index arrays once
        t_kwant = best(lambda d=dev, p=p: d.system.hamiltonian_submatrix(params=p, sparse=True))
        t_ours = best(lambda d=dev, p=p: d.hamiltonian(p))
        print(
            json.dumps(
                dict(
                    case="hamiltonian_assembly",
                    width=width,
                    length=length,
                    kwant_ms=round(1e3 * t_kwant, 2),
                    cooperon_ms=round(1e3 * t_ours, 2),
                    ratio_vs_kwant=round(t_kwant / t_ours, 1),
                )
            )
        )


if __name__ == "__main__":
    main()
