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
import math
import os
import shutil
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["RegimeWarning", "conductance", "correlation_field", "sweep"]


class RegimeWarning(UserWarning):
    """A sweep leaves the regime where weak-localization theory applies."""


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


def _dephasing_kwargs(tau_phi, dephasing, probe_density) -> dict:
    kw = {}
    if tau_phi is not None and not (math.isinf(tau_phi) and tau_phi > 0):
        kw["tau_phi"] = float(tau_phi)
        kw["dephasing"] = dephasing or "absorbing"
        if probe_density is not None:
            kw["probe_density"] = float(probe_density)
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
    flux_tube=None,
) -> dict:
    """The JSON-ready description of a sweep that identifies its results."""
    energies = np.atleast_1d(np.asarray(energies, dtype=float))
    if energies.ndim != 1 or energies.size == 0:
        raise ValueError("energies must be a non-empty list of Fermi energies [meV]")
    for e in energies:
        device.energy(e)  # validates: open channels, thresholds, lattice constant
    deph = _dephasing_kwargs(tau_phi, dephasing, probe_density)
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


def _prepare(device, exp, exp_json, parallel=None):
    """Build the solver once here and compute every lead self-energy the sweep needs.

    ``parallel`` = (n, map) computes the self-energies, one per (energy, field)
    when the field enters the leads, in n chunks with ``map(fn, *iterables)``
    (a forked process pool, or Dask workers) instead of serially here.
    """
    from .solver import Solver

    solver = Solver(device, exp["method"])
    _register(exp_json, solver)
    fields = [(0.0, 0.0)]
    if device.field_in_leads:
        fields = [(bp, bq) for bq in exp["b_par_T"] for bp in exp["b_perp_T"]]
    jobs = [(device.energy(e), bp, bq) for e in exp["energy_meV"] for bp, bq in fields]
    if parallel is not None and len(jobs) > 1:
        n, map_ = parallel
        chunks = [jobs[k::n] for k in range(n) if jobs[k::n]]
        for done in map_(_selfenergy_job, [exp_json] * len(chunks), chunks):
            for (et, bp, bq), value in done:
                key = solver.lead_key(et, device.params(b_perp=bp, b_par=bq))
                solver._sigma[key] = value
    else:
        for et, bp, bq in jobs:
            solver.selfenergies(et, device.params(b_perp=bp, b_par=bq))


def _selfenergy_job(exp_json, jobs):
    solver = _solver(exp_json)
    dev = solver.device
    return [
        ((et, bp, bq), solver.selfenergies(et, dev.params(b_perp=bp, b_par=bq)))
        for et, bp, bq in jobs
    ]


def compute_task(exp_json: str, i_seed: int, i_energy: int, solver=None) -> np.ndarray:
    """Conductances [e^2/h per spin] of one realization at one energy, shape (n_par, n_perp).

    Runs with one BLAS thread: the numbers are then the same bit for bit in
    any process, whatever the machine's BLAS threading. ``solver`` (sent once
    to each Dask worker) saves rebuilding the device and its lead self-energies.
    """
    from threadpoolctl import threadpool_limits

    _tune_malloc()
    if solver is not None and _SOLVERS.get(exp_json) is not solver:
        _register(exp_json, solver)  # replaces one built here for self-energy jobs

    with threadpool_limits(limits=1, user_api="blas"):
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


class _Store:
    """Finished tasks of one experiment, one small file each, written atomically."""

    def __init__(self, path: Path, exp: dict):
        self.final = path
        self.dir = path.with_name(path.name + ".partial")
        self.exp = exp
        if path.exists():
            self._check(_read_experiment(path), f"results file {path}")
        if self.dir.exists():
            spec = self.dir / "experiment.json"
            if spec.exists():
                self._check(json.loads(spec.read_text()), f"checkpoint directory {self.dir}")

    def _check(self, other: dict, where: str):
        if _key(other) == _key(self.exp):
            return
        diff = sorted(k for k in set(other) | set(self.exp) if other.get(k) != self.exp.get(k))
        raise ValueError(
            f"{where} holds a different experiment (differs in {', '.join(diff)}); "
            "choose another results path, or delete it to start over"
        )

    def open(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        spec = self.dir / "experiment.json"
        if not spec.exists():
            _atomic_write(spec, json.dumps(self.exp, sort_keys=True).encode())

    def _file(self, i, j):
        return self.dir / f"task_{i}_{j}.npy"

    def done(self):
        out = {}
        if not self.dir.exists():
            return out
        for f in self.dir.glob("task_*.npy"):
            i, j = (int(v) for v in f.stem.split("_")[1:])
            out[(i, j)] = np.load(f)
        return out

    def save(self, i, j, arr):
        import io

        buf = io.BytesIO()
        np.save(buf, arr)
        _atomic_write(self._file(i, j), buf.getvalue())

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


def _local_pool_factory(workers):
    import multiprocessing as mp

    n = workers or os.cpu_count() or 1
    # fork: works from scripts without a __main__ guard and from notebooks, and the
    # children start with Kwant imported and the solver (with its lead self-energies)
    # already built. Each task pins BLAS to one thread.
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    return lambda: ProcessPoolExecutor(n, mp_context=ctx)


def _is_local_pool(executor, workers):
    return (executor is None and workers != 1) or executor == "processes"


def _run_tasks(exp_json, todo, executor, workers, on_result, progress_bar, client=None):
    if not todo:
        return "none (all tasks checkpointed)", 0
    if executor == "serial" or (executor is None and workers == 1):
        for i, j in todo:
            on_result(i, j, compute_task(exp_json, i, j))
            progress_bar.update()
        return "serial", 1
    if client is None:
        with _local_pool_factory(workers)() as pool:
            n = pool._max_workers
            futs = {pool.submit(compute_task, exp_json, i, j): (i, j) for i, j in todo}
            for f in as_completed(futs):
                i, j = futs[f]
                on_result(i, j, f.result())
                progress_bar.update()
        return "processes", n
    from distributed import as_completed as dask_completed

    # the prepared solver (device, lead self-energies) goes to every worker once
    shared = client.scatter(_SOLVERS[exp_json], broadcast=True, hash=False)
    futs = [client.submit(compute_task, exp_json, i, j, shared, pure=False) for i, j in todo]
    index = {f.key: ij for f, ij in zip(futs, todo)}
    for f, result in dask_completed(futs, with_results=True):  # results fetched as they finish
        i, j = index[f.key]
        on_result(i, j, result)
        progress_bar.update()
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


def _prepare_parallel(client):
    """(n, map) for _prepare on the workers of a Dask client."""
    n = max(1, len(client.scheduler_info()["workers"]))

    def dask_map(fn, *iterables):
        return client.gather(client.map(fn, *iterables, pure=False))

    return n, dask_map


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


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
    flux_tube=None,
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
        Results file (netCDF). Finished tasks are checkpointed next to it and
        an interrupted sweep resumes; an existing complete file of the same
        experiment is returned without computing; a different experiment at
        the same path is an error.
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
    probe_density : float, optional
        Fraction of sites with a Buttiker probe ("probes" only; default 1).
    flux_tube : array_like, optional
        Rings only: fluxes through the hole [h/e], sorted increasing; adds the
        last dimension ``flux_tube`` to the dataset.

    Returns
    -------
    xarray.Dataset
        ``G`` (realization, energy, b_par, b_perp) [e^2/h per spin] and the
        ensemble statistics ``G_mean``, ``G_sem``, ``G_var``, ``dG_mean``,
        ``dG_sem`` (dG = G - G at the field closest to zero, per realization).
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
        flux_tube=flux_tube,
    )
    _regime_warnings(device, exp)
    exp_json = json.dumps(exp, sort_keys=True)
    store = None
    if path is not None:
        path = Path(path)
        store = _Store(path, exp)
        if path.exists():
            return xr.load_dataset(path, engine="h5netcdf")
        store.open()
    n_s, n_e = len(exp["seeds"]), len(exp["energy_meV"])
    shape = (n_s, n_e, len(exp["b_par_T"]), len(exp["b_perp_T"]))
    if exp["flux_tube"] is not None:
        shape += (len(exp["flux_tube"]),)
    g = np.full(shape, np.nan)
    done = store.done() if store else {}
    for (i, j), arr in done.items():
        g[i, j] = arr
    todo = [(i, j) for i in range(n_s) for j in range(n_e) if (i, j) not in done]

    def on_result(i, j, arr):
        g[i, j] = arr
        if store:
            store.save(i, j, arr)

    if progress is None:
        progress = sys.stderr.isatty()
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_s * n_e, initial=n_s * n_e - len(todo), unit="task", desc="sweep")
    else:
        bar = _NoBar()
    t0 = time.perf_counter()
    client, owned = _dask_client(executor)
    try:
        if todo:
            if client is not None:
                _prepare(device, exp, exp_json, _prepare_parallel(client))
            elif _is_local_pool(executor, workers):
                with _local_pool_factory(workers)() as pool:
                    _prepare(device, exp, exp_json, (pool._max_workers, pool.map))
            else:
                _prepare(device, exp, exp_json)
        kind, n_workers = _run_tasks(exp_json, todo, executor, workers, on_result, bar, client)
    finally:
        bar.close()
        if owned:
            client.close()
    elapsed = time.perf_counter() - t0
    ds = _dataset(device, exp, g, elapsed, kind, n_workers, resumed=len(done))
    if store:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
        store.finish()
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
        bad = [w for w in rep.warnings if "field sweep" in w]
        if bad:
            warnings.warn(RegimeWarning(f"at E = {e:g} meV: {'; '.join(bad)}\n{rep}"), stacklevel=3)


def _versions():
    out = {}
    for pkg in ("cooperon", "kwant", "numpy", "scipy", "xarray", "python-mumps"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "unknown"
    return out


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
    unit = {"units": "e^2/h", "spin": "per spin (spinless model)"}

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
        "spin_degeneracy": 1,
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
