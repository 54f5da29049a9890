#!/usr/bin/env python3
"""Benchmarks: cooperon's disorder averaging against the hand-written Kwant loop.

Prints one JSON line per case, measured side by side in this run:

- ``throughput``: the reference workload of ``benchmarks/naive_kwant.py`` (a
  hand-written plain-Kwant loop; same sizes, energy, disorder, fields, field in
  the leads as there) run by that script and by ``transport.sweep`` on both cores;
  ``ratio_vs_naive`` is the ratio of points per second. ``overhead_vs_solve``
  is cooperon's serial time per point over the bare MUMPS factor + solve of
  the same scattering matrix (E - H - Sigma, lead columns as right-hand
  sides); below 1 means faster than that solve. ``parallel_efficiency`` is
  serial time / (2 x time on 2 workers), for local processes and for a Dask
  LocalCluster (a sweep on a cluster that has already run one, as a
  long-lived cluster does; ``..._first_sweep`` is the fresh cluster's first). ``peak_rss_mib`` is the peak resident size of a worker-like
  process running the case serially.
- ``memory``: a 200 x 400 film, peak resident size of one serial process.
- ``scaling``: time per point versus L at fixed W and versus W at fixed L,
  with fitted exponents, for cooperon and for the reference; a plot goes to
  ``benchmarks/out/scaling.png``.
- ``transfer``: the transfer-matrix loop's achieved GFLOP/s over a plain
  n x n matrix product's on one core (target above 0.5), and its speed
  against an ideal dense loop (2n x 2n transfer matrices at the matmul
  rate); ``transfer_vs_conductance``: the same localization length from <ln g> of
  ever longer bars with plain Kwant, time to the same relative error.
- ``probes``: one field and realization with Buttiker probes, cooperon's
  solve (MUMPS Schur complement on the terminal sites) against SuperLU with
  every lead-interface and probe site as a right-hand side (what cooperon
  did before), side by side on a film, a wire and two slabs; both must give
  the same G.

Usage: ``make bench`` (or ``python benchmarks/run.py --quick``, or
``--only 40x80`` for one throughput case, or ``--probes`` for the probe
cases only). Every row is also written to ``docs/performance/bench.json``
(with the scaling figure beside it), from which the documentation's
performance page is generated.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAIVE = HERE / "naive_kwant.py"
OUT = HERE.parent / "docs" / "performance"
ROWS: list = []


def emit(row):
    """Print a JSON line and keep it for docs/performance/bench.json."""
    print(json.dumps(row), flush=True)
    ROWS.append(row)


ENERGY, DISORDER, PHI_MAX = 1.0, 1.5, 0.01


def naive(width, length, fields, seeds):
    """Run the reference script; returns its JSON line and the child's peak RSS [MiB]."""
    cmd = [sys.executable, str(NAIVE), "--width", str(width), "--length", str(length),
           "--fields", str(fields), "--seeds", str(seeds), "--energy", str(ENERGY),
           "--disorder", str(DISORDER), "--phi-max", str(PHI_MAX)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np
import devices, transport
warnings.simplefilter("ignore", transport.RegimeWarning)
w, l, fields, seeds, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
dev = devices.film(w, l, field_in_leads=True)
phi_max, energy, disorder = (float(x) for x in sys.argv[6:9])
b = dev.units.tesla(np.linspace(0, phi_max, fields))
kw = dict(b_perp=b, energies=[energy], seeds=seeds, disorder=disorder, progress=False)
t0 = time.perf_counter()
if mode == "serial":
    ds = transport.sweep(dev, executor="serial", **kw)
elif mode == "processes":
    ds = transport.sweep(dev, workers=2, **kw)
else:
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as c, Client(c) as client:
        client.run(__import__, "transport")
        t0 = time.perf_counter()
        ds = transport.sweep(dev, executor=client, **kw)  # first sweep: workers' one-time costs
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        ds = transport.sweep(dev, executor=client, **kw)  # a long-lived cluster's next sweep
t = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = dict(seconds=t, points=fields * seeds, rss_mib=rss)
if mode == "dask":
    out["cold_seconds"] = cold
print(json.dumps(out))
"""


def ours(width, length, fields, seeds, mode="serial", energy=ENERGY):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-c", CHILD, str(width), str(length), str(fields), str(seeds), mode,
           str(PHI_MAX), str(energy), str(DISORDER)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bare_mumps_ms(width, length, repeat=3):
    """MUMPS factor + solve of E - H - Sigma for one realization at one field [ms]."""
    import mumps
    import numpy as np
    import scipy.sparse as sp

    import devices
    from transport.solver import Solver

    dev = devices.film(width, length, field_in_leads=True)
    solver = Solver(dev, "sparse")
    p = dev.params(phi_perp=PHI_MAX / 2, disorder=DISORDER, seed=1)
    h = dev.hamiltonian(p)
    s_l, s_r = solver.selfenergies(ENERGY, p)
    il, ir = solver._iface
    n = h.shape[0]
    rows = np.concatenate([np.repeat(il, len(il)), np.repeat(ir, len(ir))])
    cols = np.concatenate([np.tile(il, len(il)), np.tile(ir, len(ir))])
    sig = sp.coo_matrix((np.concatenate([s_l.ravel(), s_r.ravel()]), (rows, cols)), (n, n))
    a = (ENERGY * sp.identity(n) - h - sig).tocoo()
    rhs = np.zeros((n, len(il)), complex)
    rhs[il, np.arange(len(il))] = 1
    best = np.inf
    for _ in range(repeat):
        ctx = mumps.Context()
        t0 = time.perf_counter()
        ctx.factor(a)
        ctx.solve(rhs)
        best = min(best, time.perf_counter() - t0)
    return 1e3 * best


def throughput_case(width, length, fields, seeds, naive_fields, naive_seeds, dask=True):
    ref = naive(width, length, naive_fields, naive_seeds)
    serial = ours(width, length, fields, seeds, "serial")
    procs = ours(width, length, fields, seeds, "processes")
    ms_serial = 1e3 * serial["seconds"] / serial["points"]
    ms_2 = 1e3 * procs["seconds"] / procs["points"]
    bare = bare_mumps_ms(width, length)
    row = dict(
        case="throughput",
        width=width,
        length=length,
        fields=fields,
        seeds=seeds,
        naive_ms_per_point=ref["ms_per_point"],
        serial_ms_per_point=round(ms_serial, 3),
        two_worker_ms_per_point=round(ms_2, 3),
        ratio_vs_naive=round(ref["ms_per_point"] / ms_2, 1),
        ratio_vs_naive_serial=round(ref["ms_per_point"] / ms_serial, 1),
        bare_mumps_ms=round(bare, 2),
        overhead_vs_solve=round(ms_serial / bare, 3),
        parallel_efficiency=round(serial["seconds"] / (2 * procs["seconds"]), 3),
        peak_rss_mib=round(serial["rss_mib"], 1),
    )
    if dask:
        d = ours(width, length, fields, seeds, "dask")
        row["dask_parallel_efficiency"] = round(serial["seconds"] / (2 * d["seconds"]), 3)
        # the first sweep on a fresh cluster also pays each worker's one-time costs
        # (imports, first calls), as a fresh local pool does within its own sweep
        row["dask_parallel_efficiency_first_sweep"] = round(
            serial["seconds"] / (2 * d["cold_seconds"]), 3
        )
        # the same on a 4x longer run: Dask's fixed cost per sweep (scatter, scheduling)
        # amortizes; local processes are measured alongside for the comparison
        s4 = ours(width, length, fields, 4 * seeds, "serial")
        p4 = ours(width, length, fields, 4 * seeds, "processes")
        d4 = ours(width, length, fields, 4 * seeds, "dask")
        row["parallel_efficiency_4x"] = round(s4["seconds"] / (2 * p4["seconds"]), 3)
        row["dask_parallel_efficiency_4x"] = round(s4["seconds"] / (2 * d4["seconds"]), 3)
        row["dask_parallel_efficiency_4x_first_sweep"] = round(
            s4["seconds"] / (2 * d4["cold_seconds"]), 3
        )
    return row


def fit_exponent(x, y):
    import numpy as np

    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def scaling(quick):
    rows = []
    lengths = [40, 80, 160] if quick else [40, 80, 160, 320]
    widths = [22, 40, 82] if quick else [22, 40, 82, 160]  # E = 1 t off channel thresholds
    series = {}
    for label, sizes in (("L", [(40, length) for length in lengths]),
                         ("W", [(w, 80) for w in widths])):  # fmt: skip
        t_ours, t_ref = [], []
        for w, length in sizes:
            r = ours(w, length, 11, 4, "serial")
            t_ours.append(1e3 * r["seconds"] / r["points"])
            nr = naive(w, length, 3, 2) if w * length <= 80 * 160 else None
            t_ref.append(nr["ms_per_point"] if nr else None)
        x = [length if label == "L" else w for w, length in sizes]
        ref_pts = [(xi, ti) for xi, ti in zip(x, t_ref) if ti is not None]
        row = dict(
            case=f"scaling_{label}",
            fixed=("W=40" if label == "L" else "L=80"),
            sizes=x,
            cooperon_ms=[round(t, 3) for t in t_ours],
            naive_ms=t_ref,
            cooperon_exponent=round(fit_exponent(x, t_ours), 2),
            naive_exponent=round(fit_exponent(*zip(*ref_pts)), 2) if len(ref_pts) > 1 else None,
        )
        rows.append(row)
        series[label] = (x, t_ours, ref_pts)
    try:
        from matplotlib.figure import Figure

        OUT.mkdir(parents=True, exist_ok=True)
        fig = Figure(figsize=(9, 3.6))
        axes = fig.subplots(1, 2)
        for ax, label in zip(axes, ("L", "W")):
            x, t, ref = series[label]
            ax.loglog(x, t, "o-", label="cooperon (RGF)")
            if ref:
                ax.loglog(*zip(*ref), "s--", label="hand-written Kwant loop")
            ax.set_xlabel(f"{label} [sites] ({'W=40' if label == 'L' else 'L=80'})")
            ax.set_ylabel("time per point [ms]")
            ax.legend()
        fig.tight_layout()
        fig.savefig(OUT / "scaling.png", dpi=110)
    except Exception as exc:  # pragma: no cover - the figures still print
        emit(dict(case="plot", error=str(exc)))
    return rows


PROBE_CASES = (  # (W, L, N_z, E [t], box [t], probe density, tau_phi [ps, nominal units])
    (50, 50, 1, 1.03, 2.5, 0.25, 1.1 / 0.6582),
    (40, 300, 1, 3.0, 1.6, 0.03, 350.0),
    (48, 48, 8, 3.0, 4.5, 0.01, 60.0),
    (60, 60, 12, 1.5, 3.0, 0.005, 13.0),
)


def probe_case(width, length, nz, energy, box, rho, tau):
    """Seconds per Buttiker-probe point: cooperon's Schur solve and the SuperLU reference."""
    import numpy as np
    import scipy.sparse.linalg as spla

    import devices
    from transport.solver import Solver, probe_conductance

    dev = devices.film(width, length, thickness=nz) if nz > 1 else devices.film(width, length)
    s = Solver(dev)
    p = dev.params(phi_perp=1e-3, phi_par=1e-3 if nz > 1 else 0.0, disorder=box, seed=1,
                   tau_phi=tau, dephasing="probes", probe_density=rho)  # fmt: skip
    s.selfenergies(energy, p)  # cached per energy in both cases: not timed
    t0 = time.perf_counter()
    d = s.buttiker(energy, p, details=True)
    t_ours = time.perf_counter() - t0
    # reference: the same physics with SuperLU and all terminals as right-hand sides
    t0 = time.perf_counter()
    probes, eta = d["probes"], d["eta"]
    s_l, s_r = s.selfenergies(energy, p)
    s_r = s._reorder_right(s_r)
    il, ir = s._iface
    n = len(dev.tags)
    a = s.open_matrix(energy, dev.hamiltonian(p), s_l, s_r, probes, eta)
    lu = spla.splu(a.tocsc(), permc_spec="COLAMD")
    cols = np.concatenate([il, probes])
    rhs = np.zeros((n, len(cols)), complex)
    rhs[cols, np.arange(len(cols))] = 1
    x = lu.solve(rhs)
    nl = len(il)
    g_ref = probe_conductance(x[ir, :nl], x[probes, :nl], x[ir, nl:], x[il, nl:],
                              x[probes, nl:], s_l, s_r, eta)["conductance"]  # fmt: skip
    t_ref = time.perf_counter() - t0
    return dict(case="probes", size=f"{width}x{length}x{nz}", sites=n, probes=len(probes),
                solve=d["solve"], seconds_cooperon=round(t_ours, 3),
                seconds_superlu_reference=round(t_ref, 3), speedup=round(t_ref / t_ours, 2),
                G=round(d["conductance"], 6), abs_diff_vs_reference=float(abs(d["conductance"] - g_ref)))  # fmt: skip


DEPHASING_SIZES = (50, 100, 150, 200)
DEPHASING_DENSITIES = (0.25, 0.04)  # the dense probes of the demo, and sparse, stronger ones


def dephasing_case(side, density, energy=1.03, box=2.5, tau_ps=1.1, seed=1):
    """Seconds per field point on a side x side film: coherent RGF against Buttiker probes.

    One field and realization, one core; the probes' coupling follows tau_phi / density, so
    every density imposes the same tau_phi (nominal lattice units: tau in ps of t = 1 meV).
    """
    import numpy as np

    import devices
    from transport.solver import Solver

    dev = devices.film(side, side)
    s = Solver(dev)
    coherent = dev.params(phi_perp=1e-3, disorder=box, seed=seed)
    s.selfenergies(energy, coherent)  # cached per energy: not timed
    t0 = time.perf_counter()
    s.transmission(energy, [coherent])
    t_coh = time.perf_counter() - t0
    p = dev.params(phi_perp=1e-3, disorder=box, seed=seed, tau_phi=tau_ps, dephasing="probes",
                   probe_density=density)  # fmt: skip
    t0 = time.perf_counter()
    d = s.buttiker(energy, p, details=True)
    t_deph = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(case="dephasing", width=side, length=side, probe_density=density,
                probes=len(d["probes"]), probe_spacing=round(1 / np.sqrt(density), 2),
                coherent_s=round(t_coh, 4), dephased_s=round(t_deph, 4),
                dephased_over_coherent=round(t_deph / t_coh, 1),
                peak_rss_mib=round(rss, 1))  # fmt: skip


def dephasing_auto_case(side, energy=1.03, box=2.5, seed=1):
    """The automatic density on a film 5 l_phi wide (the HLN regime): dephased over coherent."""
    import devices
    import transport
    from transport.solver import Solver

    dev = devices.film(side, side)
    rep = dev.regime(energy, box)
    tau = (side / 5) ** 2 / rep.diffusion * dev.units.time_ps  # l_phi = side / 5
    rho = transport.auto_probe_density(dev, energy, box, tau)
    s = Solver(dev)
    coherent = dev.params(phi_perp=1e-3, disorder=box, seed=seed)
    s.selfenergies(energy, coherent)
    t0 = time.perf_counter()
    s.transmission(energy, [coherent])
    t_coh = time.perf_counter() - t0
    p = dev.params(phi_perp=1e-3, disorder=box, seed=seed, tau_phi=tau, dephasing="probes",
                   probe_density=rho)  # fmt: skip
    t0 = time.perf_counter()
    d = s.buttiker(energy, p, details=True)
    t_deph = time.perf_counter() - t0
    return dict(case="dephasing", width=side, length=side, probe_density=rho, rule="auto, L = 5 l_phi",
                probes=len(d["probes"]), coherent_s=round(t_coh, 4), dephased_s=round(t_deph, 4),
                dephased_over_coherent=round(t_deph / t_coh, 1))  # fmt: skip


def demo_case(seeds=48):
    """The demo's experiment: time to the same statistical error on tau_phi, dense against auto."""
    import numpy as np

    import devices
    import fits
    import transport

    u = devices.Units.from_mass(5.0, 0.067)
    dev = devices.film(250.0, 250.0, units=u)
    rep = dev.regime(23.4, 57.0)
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path_nm * 1e-9) ** 2)
    model = fits.FiniteFilm(g_s=1, width=250e-9, length=250e-9, alpha=1.0, b_tr=b_tr)
    out = {}
    for rho in (0.25, "auto"):
        t0 = time.perf_counter()
        ds = transport.sweep(dev, b_perp=np.linspace(-0.18, 0.18, 25), energies=[23.4],
                             seeds=seeds, disorder=57.0, tau_phi=0.75, dephasing="probes",
                             probe_density=rho, workers=2, progress=False)  # fmt: skip
        t = time.perf_counter() - t0
        r = model.fit(fits.from_dataset(ds, quantity="total"), errors="fast")
        out[rho] = (t, r.errors["stat"]["l_phi"] / r.values["l_phi"])
    (tb, eb), (ta, ea) = out[0.25], out["auto"]
    # time to a given relative error grows as (error of one run)^2 x (time of one run)
    return dict(case="demo", seeds=seeds, seconds_dense=round(tb, 1), seconds_auto=round(ta, 1),
                rel_error_dense=round(eb, 4), rel_error_auto=round(ea, 4),
                speedup_same_error=round(tb * eb**2 / (ta * ea**2), 2),
                speedup_same_realizations=round(tb / ta, 2))  # fmt: skip


def dephasing_rows():
    rows = []
    for rho in DEPHASING_DENSITIES:
        for side in DEPHASING_SIZES:
            rows.append(dephasing_case(side, rho))
            emit(rows[-1])
        pts = [r for r in rows if r["probe_density"] == rho]
        sides = [r["width"] for r in pts]
        emit(dict(case="dephasing_growth", probe_density=rho, sizes=sides,
                  coherent_exponent=round(fit_exponent(sides, [r["coherent_s"] for r in pts]), 2),
                  dephased_exponent=round(fit_exponent(sides, [r["dephased_s"] for r in pts]), 2)))  # fmt: skip
    auto = [dephasing_auto_case(side) for side in DEPHASING_SIZES]
    for r in auto:
        emit(r)
    sides = [r["width"] for r in auto]
    emit(dict(case="dephasing_growth", probe_density="auto, L = 5 l_phi", sizes=sides,
              coherent_exponent=round(fit_exponent(sides, [r["coherent_s"] for r in auto]), 2),
              dephased_exponent=round(fit_exponent(sides, [r["dephased_s"] for r in auto]), 2)))  # fmt: skip
    emit(demo_case())
    return rows


def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def transfer_case(width, dimension=3, disorder=16.5, energy=6.0, accuracy=0.01):
    """The transfer-matrix loop's achieved GFLOP/s over a plain n x n matrix product's, one core.

    Flops per slice: the cross-section product (dense 2 n^3 for n <= 40, else sparse 2 nnz n),
    2 n^2 for the disorder and the subtraction, and a Householder QR with Q of the 2n x n
    block (20/3 n^3) every 8 slices. The reference is numpy's n x n float64 product (the
    loop is real: no field) and, for the record, the complex128 one.
    """
    import numpy as np

    from transport.transfer import _cross_section, localization_length

    _one_blas_thread()
    h, _ = _cross_section(width, dimension, "periodic")
    n = h.shape[0]
    product = 2 * n**3 if n <= 40 else 2 * h.nnz * n
    per_slice = product + 2 * n * n + (20 / 3) * n**3 / 8
    r = localization_length(width, disorder=disorder, energy=energy, dimension=dimension,
                            accuracy=accuracy)  # fmt: skip
    loop = per_slice * r.length / r.seconds / 1e9
    rates = {}
    for dtype in (np.float64, np.complex128):
        a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
        reps = max(20, int(2e8 / (2 * n**3)))
        a @ a
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ a
        flops = (2 if dtype is np.float64 else 8) * n**3 * reps
        rates[dtype] = flops / (time.perf_counter() - t0) / 1e9
    return dict(case="transfer", width=width, dimension=dimension, n=n, slices=r.length,
                seconds=round(r.seconds, 2), loop_gflops=round(loop, 2),
                matmul_gflops=round(rates[np.float64], 2),
                complex_matmul_gflops=round(rates[np.complex128], 2),
                ratio_vs_matmul=round(loop / rates[np.float64], 2),
                # an ideal dense loop: the 2n x 2n transfer matrix times the 2n x n block
                # (8 n^3) and the same QR, all at the matmul rate, against this loop's time
                speed_vs_ideal_dense=round((8 * n**3 + (20 / 3) * n**3 / 8) / rates[np.float64]
                                           / 1e9 / (r.seconds / r.length), 2),
                us_per_slice=round(1e6 * r.seconds / r.length, 1))  # fmt: skip


def transfer_vs_conductance(width=6, disorder=16.5, energy=6.0, seeds=40):
    """xi of a 3D bar (hard walls) from the transfer matrix against <ln g> = -2 L/xi of
    ever longer bars (plain Kwant, what a Kwant user would do), time to the same error."""
    import kwant
    import numpy as np

    from devices import disorder as dis
    from transport.transfer import localization_length

    _one_blas_thread()
    t0 = time.perf_counter()
    r = localization_length(width, disorder=disorder, energy=energy, dimension=3,
                            boundary="hard", accuracy=0.02)  # fmt: skip
    t_tm = time.perf_counter() - t0
    lat = kwant.lattice.cubic(norbs=1)
    lengths = np.arange(2, 12) * max(2, round(r.xi))

    def bar(length):
        syst = kwant.Builder()

        def onsite(site, seed):
            return 6.0 + float(dis.box(np.array([site.tag]), seed, disorder)[0])

        syst[(lat(x, y, z) for x in range(length) for y in range(width)
              for z in range(width))] = onsite  # fmt: skip
        syst[lat.neighbors()] = -1.0
        lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0, 0)))
        lead[(lat(0, y, z) for y in range(width) for z in range(width))] = 6.0
        lead[lat.neighbors()] = -1.0
        syst.attach_lead(lead)
        syst.attach_lead(lead.reversed())
        return syst.finalized()

    t0 = time.perf_counter()
    means, sems = [], []
    for length in lengths:
        fsyst = bar(int(length))
        lg = [math.log(kwant.smatrix(fsyst, energy, params=dict(seed=s)).transmission(1, 0))
              for s in range(seeds)]  # fmt: skip
        means.append(np.mean(lg))
        sems.append(np.std(lg, ddof=1) / math.sqrt(seeds))
    t_naive = time.perf_counter() - t0
    coef, cov = np.polyfit(lengths, means, 1, w=1 / np.array(sems), cov="unscaled")
    xi_naive = -2 / coef[0]
    rel_naive = math.sqrt(cov[0, 0]) / abs(coef[0])
    rel_tm = r.xi_err / r.xi
    # time to a given relative error ~ (error of one run)^2 x (time of one run)
    ratio = t_naive * rel_naive**2 / (t_tm * rel_tm**2)
    return dict(case="transfer_vs_conductance", width=width, dimension=3, disorder=disorder,
                xi_transfer=round(r.xi, 3), xi_transfer_rel_err=round(rel_tm, 4),
                seconds_transfer=round(t_tm, 2), xi_conductance=round(xi_naive, 3),
                xi_conductance_rel_err=round(rel_naive, 4), seconds_conductance=round(t_naive, 1),
                lengths=[int(x) for x in lengths], realizations=seeds,
                speedup_same_error=round(ratio, 1))  # fmt: skip


def transfer_rows():
    for width in (4, 6, 8, 12):
        emit(transfer_case(width))
    emit(transfer_vs_conductance())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller workloads")
    p.add_argument("--only", help="run only these throughput cases, e.g. 40x80,100x200")
    p.add_argument("--probes", action="store_true", help="only the Buttiker-probe cases")
    p.add_argument("--dephasing", action="store_true",
                   help="only the dephased-versus-coherent cases (films of 50 to 200 sites)")  # fmt: skip
    p.add_argument("--transfer", action="store_true",
                   help="only the transfer-matrix cases (loop rate, against Kwant conductances)")  # fmt: skip
    a = p.parse_args()
    sys.path.insert(0, str(HERE.parent))
    if a.transfer or not (a.quick or a.only or a.probes or a.dephasing):
        transfer_rows()
        if a.transfer:
            return _save(a)
    if a.dephasing or not (a.quick or a.only or a.probes):
        dephasing_rows()
        if a.dephasing:
            return _save(a)
    if a.probes or not (a.quick or a.only):
        for case in PROBE_CASES:
            emit(probe_case(*case))
        if a.probes:
            return _save(a)
    cases = [(40, 80, 21, 16, 21, 16), (100, 200, 21, 8, 5, 4)]
    if a.quick:
        cases = [(40, 80, 21, 8, 11, 4)]
    if a.only:
        keep = {tuple(int(v) for v in c.split("x")) for c in a.only.split(",")}
        cases = [c for c in cases if c[:2] in keep]
    for w, length, f, s, nf, ns in cases:
        emit(throughput_case(w, length, f, s, nf, ns, dask=not a.quick))
    if a.only:
        return _save(a)
    if not a.quick:
        r = ours(200, 400, 5, 2, "serial", energy=1.01)  # E = 1 t is a channel threshold at W = 200
        emit(dict(case="memory", width=200, length=400,
                  ms_per_point=round(1e3 * r["seconds"] / r["points"], 1),
                  peak_rss_mib=round(r["rss_mib"], 1)))  # fmt: skip
    for row in scaling(a.quick):
        emit(row)
    _ = resource  # peak RSS of children is measured inside them
    return _save(a)


def _save(a):
    """Merge this run's rows into docs/performance/bench.json (a row per case, newest kept)."""
    import datetime
    import platform

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "bench.json"
    old = json.loads(path.read_text()) if path.exists() else {"rows": []}

    def key(r):  # a rule's row (the automatic density) is replaced whatever density it chose
        return (r["case"], r.get("width"), r.get("length"), r.get("size"), r.get("fixed"),
                r.get("rule") or r.get("probe_density"), r.get("dimension"))  # fmt: skip

    mine = {key(r) for r in ROWS}
    rows = [r for r in old["rows"] if key(r) not in mine] + ROWS
    meta = dict(created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                machine=f"{platform.machine()}, {os.cpu_count()} cores",
                quick=bool(a.quick), rows=rows)  # fmt: skip
    path.write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
