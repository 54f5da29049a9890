"""Disorder-averaged magnetoconductance sweeps: what is computed, how it runs, where it lands.

A sweep is a grid of tasks, one per (realization, energy); each task computes
the conductance at every field of the grid for one disorder realization
(so the disorder and the lead self-energies are set up once per task, and
the fields are batched). A task is a pure function of the experiment and
its indices, so the numbers are the same bit for bit whatever executes it:
the serial loop, a local process pool or a Dask cluster.

With a results ``path``, every finished task is written at once to a
checkpoint directory ``<path>.partial/`` (atomic rename); running the same
sweep again computes only the missing tasks, and the final netCDF file is
written atomically when all are done.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import signal
import sys
import threading
import time
import warnings
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr

from devices.regime import (
    FieldRangeWarning,
    InPlaneWarning,
    ProbeNetworkWarning,
    RegimeWarning,
    SlabDephasingWarning,
)

__all__ = [
    "RegimeWarning",
    "SweepInterrupted",
    "compute_task",
    "conductance",
    "correlation_field",
    "experiment",
    "lock",
    "sweep",
]

#: The regime findings that concern a sweep, which `sweep` raises as warnings.
SWEEP_WARNINGS = (FieldRangeWarning, InPlaneWarning, ProbeNetworkWarning, SlabDephasingWarning)


# -- single conductance -------------------------------------------------------


def conductance(
    device,
    energy: float,
    *,
    spin_degenerate: bool = False,
    method: str = "auto",
    **params,
) -> float:
    """Two-terminal conductance of one realization at one field and energy [e^2/h].

    Parameters
    ----------
    device : devices.Device
    energy : float
        Fermi energy [meV above the band bottom].
    spin_degenerate : bool
        False (default): the conductance per spin of the spinless model.
        True: twice that, the conductance of a spin-degenerate sample.
    method : {"auto", "rgf", "sparse"}
        Solver (see :class:`transport.solver.Solver`).
    **params
        Solve-time parameters of :meth:`devices.Device.params`: ``b_perp``,
        ``b_par`` [T], ``disorder`` [meV], ``seed``, ``flux_tube`` [h/e], ...
    """
    from .solver import Solver

    e = device.energy(energy)
    p = device.params(**params)
    g = float(Solver(device, method).transmission(e, [p])[0])
    return 2 * g if spin_degenerate else g


# -- the experiment -----------------------------------------------------------


def _axis(name, values, unit):
    if values is None:
        return np.zeros(1)
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1D array of fields [{unit}], got {values!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN/inf")
    if arr.size > 1 and np.any(np.diff(arr) <= 0):
        raise ValueError(
            f"{name} must be sorted in increasing order without repeats [{unit}]; "
            f"use numpy.unique({name})"
        )
    return arr


def _seeds(seeds):
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds = {seeds}: need at least one disorder realization")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds is empty: need at least one disorder realization")
    if any(s < 0 for s in out) or len(set(out)) != len(out):
        raise ValueError("seeds must be distinct integers >= 0")
    return out


#: Buttiker probes no farther apart than this fraction of l_phi (nor AUTO_SPACING_MFP mean free
#: paths) give the magnetoconductance of dense probes (studies/probe_density; docs: dephasing).
#: On a film with l_phi = 5 l (64 paired realizations) grids 0.99, 0.82, 0.66 and 0.49 l apart
#: gave l_phi within 0.04 of each other, a grid 1.15 l apart 0.1 above them: hence 1.0 l.
AUTO_SPACING_LPHI = 0.25
AUTO_SPACING_MFP = 1.0


def auto_probe_density(device, energy, disorder, tau_phi) -> float:
    """The sparsest Buttiker probes that dephase like dense ones [fraction of sites].

    Spacing s = min(l_phi / 4, l), with l_phi = sqrt(D tau_phi) and l, D
    from the regime report at ``energy`` [meV] and ``disorder`` [meV]; the
    density is 1/s^2 (at most 1), the coupling then eta = hbar/(2 tau_phi rho),
    about D/32 in lattice units where l_phi / 4 sets the spacing: weak probes,
    and a probe count 16 A/l_phi^2 that does not grow with the sample at fixed
    A/l_phi^2. Where l_phi > 4 l the cap l sets it: A / l^2 probes.
    """
    rep = device.regime(energy, disorder)
    l_phi = math.sqrt(rep.diffusion * tau_phi / device.units.time_ps)  # [a]
    spacing = min(AUTO_SPACING_LPHI * l_phi, AUTO_SPACING_MFP * rep.mean_free_path)
    return float(f"{min(1.0, spacing**-2):.3g}")


def _dephasing_kwargs(tau_phi, dephasing, probe_density) -> dict:
    kw = {}
    if tau_phi is not None and not (math.isinf(tau_phi) and tau_phi > 0):
        kw["tau_phi"] = float(tau_phi)
        kw["dephasing"] = dephasing or "absorbing"
        if probe_density is not None and probe_density != "auto":
            kw["probe_density"] = float(probe_density)
        elif probe_density == "auto" and kw["dephasing"] != "probes":
            raise TypeError("probe_density = 'auto' applies to dephasing='probes'")
    elif dephasing is not None or probe_density is not None:
        raise TypeError("a dephasing model needs tau_phi [ps]")
    return kw


def experiment(
    device,
    *,
    b_perp,
    b_par,
    energies,
    seeds,
    disorder,
    method="auto",
    tau_phi=None,
    dephasing=None,
    probe_density=None,
    probe_layout=None,
    flux_tube=None,
) -> dict:
    """The JSON-ready description of a sweep that identifies its results."""
    energies = np.atleast_1d(np.asarray(energies, dtype=float))
    if energies.ndim != 1 or energies.size == 0:
        raise ValueError("energies must be a non-empty list of Fermi energies [meV]")
    for e in energies:
        device.energy(e)  # validates: open channels, thresholds, lattice constant
    deph = _dephasing_kwargs(tau_phi, dephasing, probe_density)
    if deph.get("dephasing") == "probes" and "probe_density" not in deph:
        deph["probe_density"] = auto_probe_density(device, energies[0], disorder, deph["tau_phi"])
        deph["probe_layout"] = probe_layout or "grid"
    elif probe_layout is not None:
        if deph.get("dephasing") != "probes":
            raise TypeError("probe_layout applies to dephasing='probes'")
        if probe_layout != "random":  # random: the default of an explicit density, not recorded
            deph["probe_layout"] = probe_layout
    device.params(disorder=disorder, **deph)  # validates
    tube = None
    if flux_tube is not None:
        device.params(flux_tube=0.0)  # rings only
        tube = _axis("flux_tube", flux_tube, "h/e").tolist()
    return {
        "flux_tube": tube,
        "dephasing": deph,
        "device": device.spec(),
        "b_perp_T": _axis("b_perp", b_perp, "T").tolist(),
        "b_par_T": _axis("b_par", b_par, "T").tolist(),
        "energy_meV": energies.tolist(),
        "seeds": _seeds(seeds),
        "disorder_meV": float(disorder),
        "method": method,
    }


def _key(exp: dict) -> str:
    return hashlib.sha256(json.dumps(exp, sort_keys=True).encode()).hexdigest()


def _setup(exp: dict) -> dict:
    """The experiment without its realizations: what a results file must share to be extended."""
    return {k: v for k, v in exp.items() if k != "seeds"}


_SOLVERS: dict = {}
_MALLOC_TUNED = False


def _tune_malloc():
    """Let glibc keep the RGF's large temporary arrays off mmap.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which
    also freezes glibc's mmap threshold at 128 KiB: every (fields x W x W)
    array of the recursion is then mmapped, page-faulted and unmapped, and
    the heap is trimmed after every free; measured to double the time per
    task. Raising both thresholds once per process restores the speed of a
    plain process. No effect off glibc.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 * 1024 * 1024)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 * 1024 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _solver(exp_json: str):
    """The solver of an experiment: registered by `sweep` in this process (and inherited
    by forked workers, lead self-energies included), or rebuilt from the spec (Dask)."""
    solver = _SOLVERS.get(exp_json)
    if solver is None:
        import devices

        from .solver import Solver

        exp = json.loads(exp_json)
        solver = Solver(devices.from_spec(exp["device"]), exp["method"])
        _register(exp_json, solver)
    return solver


def _register(exp_json, solver):
    while len(_SOLVERS) >= 4:
        _SOLVERS.pop(next(iter(_SOLVERS)))
    _SOLVERS[exp_json] = solver


def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _prepare(device, exp, exp_json, mapper=None):
    """Build the solver once here and compute every lead self-energy the sweep needs.

    ``mapper(fn, argument_tuples)`` (a process pool's starmap, or Dask)
    computes the self-energies, one per (energy, field) when the field
    enters the leads, in chunks on the workers instead of serially here.
    Everything runs with one BLAS thread, as the tasks do, so that the
    numbers do not depend on where they were computed.
    """
    from .solver import Solver

    solver = Solver(device, exp["method"])
    _register(exp_json, solver)
    fields = [(0.0, 0.0)]
    if device.field_in_leads:
        fields = [(bp, bq) for bq in exp["b_par_T"] for bp in exp["b_perp_T"]]
    jobs = [(device.energy(e), bp, bq) for e in exp["energy_meV"] for bp, bq in fields]
    if mapper is not None and len(jobs) > 1:
        n, run = mapper
        chunks = [jobs[k::n] for k in range(n) if jobs[k::n]]
        for done in run(_selfenergy_job, [(exp_json, c) for c in chunks]):
            for (et, bp, bq), value in done:
                solver.store_selfenergies(
                    solver.lead_key(et, device.params(b_perp=bp, b_par=bq)), value
                )
    else:
        with _one_blas_thread():
            for et, bp, bq in jobs:
                solver.selfenergies(et, device.params(b_perp=bp, b_par=bq))


def _selfenergy_job(exp_json, jobs):
    solver = _solver(exp_json)
    dev = solver.device
    with _one_blas_thread():
        return [
            ((et, bp, bq), solver.selfenergies(et, dev.params(b_perp=bp, b_par=bq)))
            for et, bp, bq in jobs
        ]


def compute_task(exp_json: str, i_seed: int, i_energy: int, solver=None) -> np.ndarray:
    """Conductances [e^2/h] of one realization at one energy, shape (n_par, n_perp).

    Per spin for a spinless device, both spins for a spinful one.

    ``i_seed`` and ``i_energy`` index the experiment's ``seeds`` and
    ``energy_meV``. Runs with one BLAS thread: the numbers are then the same
    bit for bit in any process, whatever the machine's BLAS threading.
    ``solver`` (sent once to each Dask worker) saves rebuilding the device
    and its lead self-energies.
    """
    _tune_malloc()
    if solver is not None and _SOLVERS.get(exp_json) is not solver:
        _register(exp_json, solver)  # replaces one built here for self-energy jobs

    with _one_blas_thread():
        return _compute_task(exp_json, i_seed, i_energy)


def _compute_task(exp_json: str, i_seed: int, i_energy: int) -> np.ndarray:
    exp = json.loads(exp_json)
    solver = _solver(exp_json)
    dev = solver.device
    e = dev.energy(exp["energy_meV"][i_energy])
    seed = exp["seeds"][i_seed]
    deph = exp.get("dephasing", {})
    tubes = exp.get("flux_tube")
    extra = [{}] if tubes is None else [{"flux_tube": f} for f in tubes]
    plist = [
        dev.params(b_perp=bp, b_par=bq, disorder=exp["disorder_meV"], seed=seed, **deph, **x)
        for bq in exp["b_par_T"]
        for bp in exp["b_perp_T"]
        for x in extra
    ]
    g = solver.transmission(e, plist)
    shape = (len(exp["b_par_T"]), len(exp["b_perp_T"])) + (() if tubes is None else (len(tubes),))
    return np.asarray(g, dtype=float).reshape(shape)


# -- checkpoints ----------------------------------------------------------------


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C (or SIGTERM): finished tasks are saved, workers stopped."""

    def __init__(self, saved: int, total: int, path=None):
        self.saved, self.total, self.path = saved, total, path
        hint = "; rerun the same command to resume" if path is not None else ""
        super().__init__(f"interrupted: {saved} of {total} tasks saved{hint}")


class lock:
    """An exclusive lock on a results path, so that two runs never write into one file.

    ``with lock(path):`` holds ``.<name>.lock`` beside ``path``; a second
    holder raises RuntimeError naming the process that holds it.
    """

    def __init__(self, path: Path):
        self.path = path.with_name(f".{path.name}.lock")
        self.fh = None

    def __enter__(self):
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            pid = self.fh.read().strip() or "?"
            self.fh.close()
            raise RuntimeError(
                f"another run (pid {pid}) is writing {self.path.with_name(self.path.name[1:-5])}; "
                "wait for it to finish, or choose another output path"
            ) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(str(os.getpid()))
        self.fh.flush()
        return self

    def __exit__(self, *exc):
        self.fh.close()  # releases the lock
        self.path.unlink(missing_ok=True)


class _Store:
    """Finished tasks of one experiment, one small file per (seed, energy), written atomically.

    The results file and the checkpoint directory hold realizations keyed by
    their seed, so a sweep of the same setup with more seeds reuses every
    realization already computed (the file keeps the union of all seeds).
    """

    def __init__(self, path: Path, exp: dict):
        self.final = path
        self.dir = path.with_name(path.name + ".partial")
        self.exp = exp
        self.file = None
        if path.exists():
            other = _read_experiment(path)
            self._check(other, f"results file {path}")
            self.file = other
        if self.dir.exists():
            spec = self.dir / "experiment.json"
            if spec.exists():
                self._check(json.loads(spec.read_text()), f"checkpoint directory {self.dir}")

    def _check(self, other: dict, where: str):
        mine, theirs = _setup(self.exp), _setup(other)
        if _key(mine) == _key(theirs):
            return
        diff = sorted(k for k in set(theirs) | set(mine) if theirs.get(k) != mine.get(k))
        raise ValueError(
            f"{where} holds a different experiment (differs in {', '.join(diff)}); "
            "choose another results path, or delete it to start over"
        )

    def open(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        spec = self.dir / "experiment.json"
        if not spec.exists():
            _atomic_write(spec, json.dumps(_setup(self.exp), sort_keys=True).encode())

    def _file(self, seed, j):
        return self.dir / f"task_s{seed}_e{j}.npy"

    def done(self) -> dict:
        """{(seed, energy index): conductances} of every finished task, file and checkpoints."""
        out = {}
        if self.file is not None:
            with xr.open_dataset(self.final, engine="h5netcdf") as ds:
                g = ds["G"].values
                for k, seed in enumerate(ds["realization"].values.tolist()):
                    for j in range(g.shape[1]):
                        out[(int(seed), j)] = g[k, j]
        if self.dir.exists():
            for f in self.dir.glob("task_s*_e*.npy"):
                seed, j = f.stem[len("task_s") :].split("_e")
                out[(int(seed), int(j))] = np.load(f)
        return out

    def save(self, seed, j, arr):
        import io

        buf = io.BytesIO()
        np.save(buf, arr)
        _atomic_write(self._file(seed, j), buf.getvalue())

    def finish(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def _atomic_write(path: Path, data: bytes):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_experiment(path: Path) -> dict:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return json.loads(ds.attrs["experiment"])


# -- executors ---------------------------------------------------------------------


def _die_with_parent():
    """Ask Linux to kill this process when its parent dies (no orphaned workers)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _worker_init():
    """Workers leave Ctrl-C to the parent, which stops them; they die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()


#: Seconds an interrupted sweep waits for its pool to stop before it kills the workers.
POOL_STOP_TIMEOUT = 10.0


def _stop_pool(pool, interrupted: SweepInterrupted):
    """Terminate a local pool after Ctrl-C; if that hangs, kill the workers and exit 130.

    ``multiprocessing.Pool.terminate`` can deadlock: it takes the task queue's
    lock, which an idle worker waiting for a task holds (measured: one
    interrupted run in three hung in the test suite). The finished tasks are
    already on disk, so after ``POOL_STOP_TIMEOUT`` seconds the workers are
    killed and the process exits with the interruption message and status
    130, as after a second Ctrl-C.
    """
    done = threading.Event()

    def stop():
        pool.terminate()
        pool.join()
        done.set()

    threading.Thread(target=stop, daemon=True).start()
    if done.wait(POOL_STOP_TIMEOUT):
        return
    for proc in list(getattr(pool, "_pool", [])):
        proc.kill()
    sys.stderr.write(f"{interrupted}\n")
    sys.stderr.flush()
    os._exit(130)


def _task_entry(args):
    exp_json, k, i, j = args
    return k, compute_task(exp_json, i, j)


def _available_cores():
    """Cores this process may run on (respects taskset and CPU affinity), at least 1."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _local_pool(workers):
    """A pool of forked worker processes (spawned where fork is missing)."""
    import multiprocessing as mp

    n = workers or _available_cores()
    # fork: works from scripts without a __main__ guard and from notebooks, and the
    # children start with Kwant imported and the solver (with its lead self-energies)
    # already built. Each task pins BLAS to one thread.
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    return ctx.Pool(n, initializer=_worker_init), n


def _is_local_pool(executor, workers):
    return (executor is None and workers != 1) or executor == "processes"


def _run_tasks(exp_json, todo, executor, workers, on_result, pool=None, client=None):
    """Run the tasks ``todo`` = [(seed index, energy index)]; ``on_result(k, array)``."""
    if not todo:
        return "none (all tasks saved)", 0
    if client is not None:
        return _run_dask(exp_json, todo, on_result, client)
    if pool is None:
        for k, (i, j) in enumerate(todo):
            on_result(k, compute_task(exp_json, i, j))
        return "serial", 1
    pool, n = pool
    args = [(exp_json, k, i, j) for k, (i, j) in enumerate(todo)]
    for k, arr in pool.imap_unordered(_task_entry, args, chunksize=1):
        on_result(k, arr)
    return "processes", n


def _run_dask(exp_json, todo, on_result, client):
    from distributed import as_completed as dask_completed

    # the prepared solver (device, lead self-energies) goes to every worker once
    shared = client.scatter(_SOLVERS[exp_json], broadcast=True, hash=False)
    futs = [client.submit(compute_task, exp_json, i, j, shared, pure=False) for i, j in todo]
    index = {f.key: k for k, f in enumerate(futs)}
    try:
        for f, result in dask_completed(futs, with_results=True):  # fetched as they finish
            on_result(index[f.key], result)
    except BaseException:
        client.cancel(futs)
        raise
    return "dask", len(client.scheduler_info()["workers"])


def _dask_client(executor):
    """(client, owned) for a Dask executor (a Client or a scheduler address), else (None, False)."""
    if executor is None or executor in ("serial", "processes"):
        return None, False
    from distributed import Client

    if isinstance(executor, Client):
        return executor, False
    if isinstance(executor, str):
        return Client(executor), True
    raise TypeError(
        f"executor must be None, 'serial', 'processes', a distributed.Client or a scheduler "
        f"address, got {executor!r}"
    )


def _dask_mapper(client):
    """(n, map) for _prepare on the workers of a Dask client."""
    n = max(1, len(client.scheduler_info()["workers"]))

    def dask_map(fn, arg_tuples):
        return client.gather([client.submit(fn, *a, pure=False) for a in arg_tuples])

    return n, dask_map


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


class _Signals:
    """During a sweep: SIGTERM acts as Ctrl-C; during the cleanup a second Ctrl-C exits at once.

    Signal handlers can only be set from the main thread; elsewhere this does nothing.
    """

    def __init__(self):
        self.active = threading.current_thread() is threading.main_thread()
        self.saved = {}
        self.pool = None

    def __enter__(self):
        if self.active:
            self.saved[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._term)
        return self

    def _term(self, signum, frame):
        raise KeyboardInterrupt

    def hard_exit_on_second_interrupt(self):
        if self.active:
            self.saved.setdefault(signal.SIGINT, signal.getsignal(signal.SIGINT))
            signal.signal(signal.SIGINT, self._hard_exit)
            signal.signal(signal.SIGTERM, self._hard_exit)

    def _hard_exit(self, signum, frame):
        if self.pool is not None:
            self.pool.terminate()
        os._exit(130)

    def __exit__(self, *exc):
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


# -- the sweep -----------------------------------------------------------------------


def sweep(
    device,
    *,
    b_perp=None,
    b_par=None,
    energies,
    seeds,
    disorder: float,
    path=None,
    executor=None,
    workers: int | None = None,
    progress: bool | None = None,
    method: str = "auto",
    tau_phi: float | None = None,
    dephasing: str | None = None,
    probe_density: float | None = None,
    probe_layout: str | None = None,
    flux_tube=None,
    log=None,
):
    """Conductance over fields, energies and disorder realizations, as an xarray Dataset.

    Parameters
    ----------
    device : devices.Device
    b_perp, b_par : array_like, optional
        Perpendicular and in-plane fields [T], sorted increasing; omitted
        means the single value 0.
    energies : float or array_like
        Fermi energies [meV above the band bottom].
    seeds : int or sequence of int
        Number of realizations (seeds 0..n-1) or the seeds themselves.
    disorder : float
        Box-disorder width [meV].
    path : str or Path, optional
        Results file (netCDF). Finished tasks are checkpointed next to it,
        and an interrupted sweep resumes; the same setup with more seeds
        computes only the new ones (the file keeps every seed computed);
        a different experiment at the same path is an error. While the
        sweep runs, the path is locked against a second sweep.
    executor : None, "serial", "processes", distributed.Client or str
        None: local processes on ``workers`` cores (default all); "serial":
        this process; a Dask client or a scheduler address.
    workers : int, optional
        Local worker processes (default: all cores).
    progress : bool, optional
        Progress bar; default on when stderr is a terminal.
    method : {"auto", "rgf", "sparse"}
        Solver.
    tau_phi : float, optional
        Phase-coherence time [ps] imposed by a dephasing model (default:
        coherent). See :meth:`devices.Device.params`.
    dephasing : {"absorbing", "probes"}, optional
        The model; default "absorbing" when ``tau_phi`` is given.
    probe_density : float or "auto", optional
        Fraction of sites with a Buttiker probe ("probes" only), placed at
        random. Default "auto": the sparsest probes that dephase like dense
        ones, on a grid of spacing min(l_phi/4, l)
        (:func:`auto_probe_density`; the grid avoids the extra variance of
        sparse random placement); the density chosen is recorded in the
        dataset's experiment.
    probe_layout : {"random", "grid"}, optional
        Placement of the probes of an explicit ``probe_density`` (default
        random; see :meth:`devices.Device.params`); "auto" always uses a grid.
    flux_tube : array_like, optional
        Rings only: fluxes through the hole [h/e], sorted increasing; adds the
        last dimension ``flux_tube`` to the dataset.
    log : callable, optional
        Receives progress messages ("resuming: N of M tasks done"); default:
        the ``transport`` logger.

    Returns
    -------
    xarray.Dataset
        ``G`` (realization, energy, b_par, b_perp) [e^2/h per spin] and the
        ensemble statistics ``G_mean``, ``G_sem``, ``G_var``, ``dG_mean``,
        ``dG_sem`` (dG = G - G at the field closest to zero, per realization).

    Raises
    ------
    SweepInterrupted
        On Ctrl-C (or SIGTERM): pending tasks are cancelled, workers stopped,
        every finished task is kept; its message says how many. A second
        Ctrl-C during that cleanup exits at once.
    """
    exp = experiment(
        device,
        b_perp=b_perp,
        b_par=b_par,
        energies=energies,
        seeds=seeds,
        disorder=disorder,
        method=method,
        tau_phi=tau_phi,
        dephasing=dephasing,
        probe_density=probe_density,
        probe_layout=probe_layout,
        flux_tube=flux_tube,
    )
    _regime_warnings(device, exp)
    if log is None:
        log = logging.getLogger("transport").info
    if path is None:
        return _sweep(device, exp, None, executor, workers, progress, log)
    path = Path(path)
    with lock(path):
        return _sweep(device, exp, path, executor, workers, progress, log)


def _sweep(device, exp, path, executor, workers, progress, log):
    store = _Store(path, exp) if path is not None else None
    done = store.done() if store else {}
    seeds = exp["seeds"]
    n_e = len(exp["energy_meV"])
    if store is not None and store.file is not None:
        file_seeds = set(_read_experiment(path)["seeds"])
        if set(seeds) <= file_seeds:  # every requested realization is in the file
            g = np.stack([np.stack([done[(s, j)] for j in range(n_e)]) for s in seeds])
            ds = xr.load_dataset(path, engine="h5netcdf")
            if file_seeds == set(seeds) and ds["realization"].values.tolist() == seeds:
                return ds
            return _dataset(device, exp, g, ds.attrs["elapsed_s"], ds.attrs["executor"],
                            ds.attrs["workers"], resumed=len(seeds) * n_e)  # fmt: skip
    # the file keeps the union of every seed computed for this setup
    all_seeds = sorted(set(seeds) | {s for s, _ in done})
    full = dict(exp, seeds=all_seeds)
    exp_json = json.dumps(full, sort_keys=True)
    todo = [(all_seeds.index(s), j) for s in seeds for j in range(n_e) if (s, j) not in done]
    total = len(all_seeds) * n_e
    have = total - len(todo)
    if store is not None:
        store.open()
        if have and todo:
            log(f"resuming: {have} of {total} tasks done")
    shape = (len(all_seeds), n_e, len(exp["b_par_T"]), len(exp["b_perp_T"]))
    if exp["flux_tube"] is not None:
        shape += (len(exp["flux_tube"]),)
    g = np.full(shape, np.nan)
    for (s, j), arr in done.items():
        g[all_seeds.index(s), j] = arr

    if progress is None:
        progress = sys.stderr.isatty()
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=have, unit="task", desc="sweep")
    else:
        bar = _NoBar()
    finished = 0

    def on_result(k, arr):
        nonlocal finished
        i, j = todo[k]
        g[i, j] = arr
        if store:
            store.save(all_seeds[i], j, arr)
        finished += 1
        bar.update()

    t0 = time.perf_counter()
    client, owned = _dask_client(executor)
    pool = None
    signals = _Signals()
    try:
        with signals:
            try:
                if todo:
                    if client is not None:
                        _prepare(device, full, exp_json, _dask_mapper(client))
                    elif _is_local_pool(executor, workers):
                        if (
                            device.field_in_leads
                            and len(full["b_perp_T"]) * len(full["b_par_T"]) * n_e > 1
                        ):  # one self-energy per field: on the workers
                            pool = _local_pool(workers)
                            signals.pool = pool[0]
                            _prepare(device, full, exp_json, (pool[1], pool[0].starmap))
                            pool[0].close()
                            pool[0].join()
                        else:
                            _prepare(device, full, exp_json)
                        # forked after _prepare: the workers inherit the solver
                        pool = _local_pool(workers)
                        signals.pool = pool[0]
                    else:
                        _prepare(device, full, exp_json)
                kind, n_workers = _run_tasks(exp_json, todo, executor, workers, on_result,
                                             pool, client)  # fmt: skip
            except KeyboardInterrupt:
                signals.hard_exit_on_second_interrupt()
                if pool is not None:
                    _stop_pool(pool[0], SweepInterrupted(have + finished, total, path))
                    pool = None
                if owned:
                    client.close()
                    owned = False
                raise SweepInterrupted(have + finished, total, path) from None
    finally:
        bar.close()
        if pool is not None:
            pool[0].close()
            pool[0].join()
        if owned:
            client.close()
    elapsed = time.perf_counter() - t0
    ds = _dataset(device, full, g, elapsed, kind, n_workers, resumed=have)
    if store:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
        store.finish()
    if all_seeds != seeds:
        return _dataset(device, exp, g[[all_seeds.index(s) for s in seeds]], elapsed, kind,
                        n_workers, resumed=have)  # fmt: skip
    return ds


def _regime_warnings(device, exp):
    if exp["disorder_meV"] <= 0:
        return
    b_max = max(abs(b) for b in exp["b_perp_T"])
    b_par_max = max(abs(b) for b in exp["b_par_T"])
    if b_max == 0 and b_par_max == 0:
        return
    for e in exp["energy_meV"]:
        rep = device.regime(e, exp["disorder_meV"], b_max=b_max or None,
                            b_par_max=b_par_max or None,
                            dephasing=exp["dephasing"].get("dephasing"),
                            tau_phi=exp["dephasing"].get("tau_phi"))  # fmt: skip
        for w in rep.warnings:
            if isinstance(w, SWEEP_WARNINGS):
                warnings.warn(type(w)(f"at E = {e:g} meV: {w}"), stacklevel=3)


def _versions():
    out = {}
    for pkg in ("cooperon", "kwant", "numpy", "scipy", "xarray", "python-mumps"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "unknown"
    return out


#: What a conductance in e^2/h counts, by orbitals per site.
_SPIN_LABEL = {1: "per spin (spinless model)", 2: "both spins (spinful model)"}


def _nearest_zero(values):
    return int(np.argmin(np.abs(np.asarray(values))))


def _dataset(device, exp, g, elapsed, kind, n_workers, resumed):
    dims = ("realization", "energy", "b_par", "b_perp")
    tube = exp.get("flux_tube")
    if tube is not None:
        dims += ("flux_tube",)
    coords = {
        "realization": ("realization", np.array(exp["seeds"]), {"long_name": "disorder seed"}),
        "energy": ("energy", np.array(exp["energy_meV"]), {"units": "meV"}),
        "b_par": ("b_par", np.array(exp["b_par_T"]), {"units": "T"}),
        "b_perp": ("b_perp", np.array(exp["b_perp_T"]), {"units": "T"}),
    }
    if tube is not None:
        coords["flux_tube"] = ("flux_tube", np.array(tube), {"units": "h/e"})
    n = g.shape[0]
    ip, iq = _nearest_zero(exp["b_perp_T"]), _nearest_zero(exp["b_par_T"])
    if tube is None:
        dg = g - g[:, :, iq : iq + 1, ip : ip + 1]
    else:
        it = _nearest_zero(tube)
        dg = g - g[:, :, iq : iq + 1, ip : ip + 1, it : it + 1]
    ddof = 1 if n > 1 else 0
    unit = {"units": "e^2/h", "spin": _SPIN_LABEL[device.norbs]}

    def sem(x):
        return x.std(0, ddof=ddof) / math.sqrt(n) if n > 1 else np.full(x.shape[1:], np.nan)

    data = {
        "G": (dims, g, {**unit, "long_name": "two-terminal conductance"}),
        "G_mean": (dims[1:], g.mean(0), {**unit, "long_name": "ensemble mean of G"}),
        "G_sem": (dims[1:], sem(g), {**unit, "long_name": "standard error of G_mean"}),
        "G_var": (
            dims[1:],
            g.var(0, ddof=ddof),
            {"units": "(e^2/h)^2", "long_name": "variance of G over realizations"},
        ),
        "dG_mean": (
            dims[1:],
            dg.mean(0),
            {**unit, "long_name": "mean of G(B) - G(B0), pairwise per realization"},
        ),
        "dG_sem": (dims[1:], sem(dg), {**unit, "long_name": "standard error of dG_mean"}),
    }
    rep = device.regime(exp["energy_meV"][0], max(exp["disorder_meV"], 1e-12))
    attrs = {
        "title": "cooperon magnetoconductance sweep",
        "experiment": json.dumps(exp, sort_keys=True),
        "device_spec": json.dumps(exp["device"], sort_keys=True),
        "seeds": json.dumps(exp["seeds"]),
        "disorder_meV": exp["disorder_meV"],
        "dG_reference_b_perp_T": exp["b_perp_T"][ip],
        "dG_reference_b_par_T": exp["b_par_T"][iq],
        "spin_degeneracy": device.norbs,  # g_s of the formulas: 2 when G counts both spins
        "versions": json.dumps(_versions()),
        "executor": kind,
        "workers": n_workers,
        "elapsed_s": elapsed,
        "resumed_tasks": resumed,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "solver": exp["method"],
        "dephasing": json.dumps(exp["dephasing"]),
    }
    if exp["dephasing"]:
        attrs["tau_phi_ps"] = exp["dephasing"]["tau_phi"]
        attrs["dephasing_model"] = exp["dephasing"]["dephasing"]
    if math.isfinite(rep.diffusion):
        attrs["diffusion_m2s"] = rep.diffusion * device.units.diffusion_m2s
        attrs["diffusion_source"] = "Born estimate at the first energy (devices.regime)"
        attrs["mean_free_path_nm"] = rep.mean_free_path_nm
    return xr.Dataset(data, coords=coords, attrs=attrs)


def correlation_field(ds, *, energy_index: int = 0, b_par_index: int = 0):
    """Autocorrelation field B_c [T] of the conductance fluctuations within realizations.

    dG(B) = G(B) - <G(B)>; C(dB) = <dG(B) dG(B + dB)> averaged over B and
    realizations, normalized to C(0) = 1; B_c is where C falls to 1/2
    (linear interpolation). Needs evenly spaced ``b_perp``.

    Returns
    -------
    b_c : float
        Correlation field [T] (NaN if C never falls to 1/2 in the sweep).
    lags, c : ndarray
        Field lags [T] and the normalized correlation.
    """
    g = np.asarray(ds["G"].isel(energy=energy_index, b_par=b_par_index).values)
    b = np.asarray(ds["b_perp"].values)
    if b.size < 3 or not np.allclose(np.diff(b), b[1] - b[0], rtol=1e-6):
        raise ValueError("correlation_field needs at least 3 evenly spaced b_perp values")
    dg = g - g.mean(0)
    n = b.size
    c = np.array([np.mean(dg[:, : n - k] * dg[:, k:]) for k in range(n)])
    c = c / c[0]
    lags = b - b[0]
    below = np.flatnonzero(c <= 0.5)
    if below.size == 0:
        return math.nan, lags, c
    k = below[0]
    b_c = lags[k - 1] + (c[k - 1] - 0.5) / (c[k - 1] - c[k]) * (lags[k] - lags[k - 1])
    return float(b_c), lags, c
