"""Virtual experiments: spec files, `cooperon run`, `cooperon show`, resumption, outputs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cooperon import spec as spec_mod
from cooperon.cli import default_spec_path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))

# each example at a size that runs in seconds
SMALL = {
    "film_wl.toml": ["device.width_nm=100.0", "device.length_nm=100.0", "fit.alpha=1.0"],
    "wire.toml": ["device.length_nm=200.0", "sweep.b_perp_mT={start=0.0, stop=600.0, num=6}"],
    "slab_parallel.toml": ["device.width_nm=40.0", "device.length_nm=40.0", "fit.alpha=1.0"],
    "ring_ab.toml": ["device.r_in_nm=40.0", "device.r_out_nm=60.0",
                     "sweep.b_perp_mT={start=0.0, stop=300.0, num=16}"],
}  # fmt: skip


def cooperon(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "cooperon.cli", *args], capture_output=True, text=True, **kw
    )


def test_default_spec_is_the_film_example():
    assert default_spec_path().read_text() == (ROOT / "examples" / "film_wl.toml").read_text()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_end_to_end(path, tmp_path):
    sets = [a for s in ["sweep.realizations=3", *SMALL[path.name]] for a in ("--set", s)]
    out = tmp_path / "out"
    run = cooperon("run", str(path), "--out", str(out), "--no-progress", *sets)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("sweep.nc", "fit.json", "report.txt", "traces.png", "device.png"):
        assert (out / name).exists(), name
    res = json.loads((out / "fit.json").read_text())
    sp = spec_mod.load(path, SMALL[path.name])
    if sp["fit"]["model"] != "none":
        assert (out / "wl_peak.png").exists()
        assert "reduced_chi2" in res and "field_window_T" in res
    if sp["dephasing"]["model"] != "none":
        assert res["tau_phi_ps_input"] == sp["dephasing"]["tau_phi_ps"]
    # the dataset opens with plain xarray and has the documented names and units
    with xr.open_dataset(out / "sweep.nc") as ds:
        for name in ("G", "G_mean", "G_sem", "G_var", "dG_mean", "dG_sem"):
            assert ds[name].attrs["units"].startswith(("e^2/h", "(e^2/h)"))
        assert ds.G.dims == ("realization", "energy", "b_par", "b_perp")
        assert ds.b_perp.attrs["units"] == "T" and ds.energy.attrs["units"] == "meV"
        assert ds.sizes["realization"] == 3


def test_show_spec_prints_regime_report(tmp_path):
    run = cooperon("show", str(ROOT / "examples" / "film_wl.toml"), "--figure",
                   str(tmp_path / "d.png"))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Regime report: film" in run.stdout and "open channels" in run.stdout
    assert (tmp_path / "d.png").stat().st_size > 1000


RESUME_SETS = [
    "sweep.realizations=40", "device.width_nm=200.0", "device.length_nm=300.0",
    "dephasing.model='absorbing'", "execution.executor='serial'", "fit.model='none'",
]  # fmt: skip


def test_interrupted_run_resumes(tmp_path):
    # the absorbing model takes no probe_density: a copy of the example without it
    spec = tmp_path / "film.toml"
    spec.write_text((ROOT / "examples" / "film_wl.toml").read_text().replace(
        "probe_density = 0.25", ""))  # fmt: skip
    args = [a for s in RESUME_SETS for a in ("--set", s)]
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "cooperon.cli", "run", str(spec), "--out", str(out),
           "--no-progress", *args]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = out / "sweep.nc.partial"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(partial.glob("task_*.npy"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(partial.glob("task_*.npy")))
    assert 3 <= done < 40 and not (out / "sweep.nc").exists()
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with xr.open_dataset(out / "sweep.nc") as ds:
        assert ds.attrs["resumed_tasks"] >= done
        resumed = ds.G.values.copy()
    fresh = tmp_path / "fresh"
    run = subprocess.run([*cmd[:6], str(fresh), *cmd[7:]], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with xr.open_dataset(fresh / "sweep.nc") as ds:
        assert np.array_equal(ds.G.values, resumed)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("device.width_um=3", "unknown key device.width_um; did you mean 'width_nm'"),
        ("device.shape='disc'", "device.shape = 'disc' is not one of film, wire, ring"),
        ("sweep.b_perp_T=[0, 1]", "unknown key sweep.b_perp_T; did you mean 'b_perp_mT'"),
        ("sweep.realizations=0", "sweep.realizations must be >= 1"),
        ("fit.model='hnl'", "fit.model = 'hnl' is not one of .*did you mean 'hln'"),
        ("dephasing.model='probe'", "did you mean 'probes'"),
        ("sweep.b_perp_mT={start=0, stop=1}", "a range is a table \\{start, stop, num\\}"),
        ("disorder.box_meV='strong'", "disorder.box_meV must be a number"),
        ("execution.executor='dask'", "needs execution.dask"),
    ],
)
def test_spec_validation_errors(override, message):
    with pytest.raises(spec_mod.SpecError, match=message):
        spec_mod.load(default_spec_path(), [override])


def test_unknown_section_and_missing_key(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[devise]\nshape = "film"\n')
    with pytest.raises(
        spec_mod.SpecError, match=r"unknown section \[devise\]; did you mean 'device'"
    ):
        spec_mod.load(f)
    f.write_text('[device]\nshape = "film"\nwidth_nm = 10.0\nlength_nm = 10.0\n')
    with pytest.raises(spec_mod.SpecError, match="missing disorder.box_meV"):
        spec_mod.load(f)


def test_cli_spec_error_is_one_line(tmp_path):
    run = cooperon("run", str(default_spec_path()), "--out", str(tmp_path), "--set",
                   "device.width_um=3")  # fmt: skip
    assert run.returncode == 2
    assert "did you mean 'width_nm'" in run.stderr and "Traceback" not in run.stderr


def test_film_example_with_the_finite_device_model(tmp_path):
    sets = ["sweep.realizations=3", *SMALL["film_wl.toml"], "fit.model='finite_film'"]
    out = tmp_path / "out"
    args = [a for s in sets for a in ("--set", s)]
    run = cooperon("run", str(EXAMPLES[0]), "--out", str(out), "--no-progress", *args)
    assert run.returncode == 0, run.stdout + run.stderr
    res = json.loads((out / "fit.json").read_text())
    assert res["model"] == "finite_film"
    assert res["l_phi_nm"] > 0 and res["tau_phi_ps"] > 0


def test_slab_example_with_the_finite_parallel_model_and_fit_command(tmp_path):
    # fit.model = "finite_parallel" in a spec, then `cooperon fit` on the stored dataset with
    # both in-plane models: a dataset swept in b_par is read along b_par (not b_perp).
    sets = ["sweep.realizations=3", *SMALL["slab_parallel.toml"], "fit.model='finite_parallel'"]
    out = tmp_path / "out"
    args = [a for s in sets for a in ("--set", s)]
    run = cooperon("run", str(ROOT / "examples" / "slab_parallel.toml"), "--out", str(out),
                   "--no-progress", *args)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    res = json.loads((out / "fit.json").read_text())
    assert res["model"] == "finite_parallel" and res["l_phi_nm"] > 0 and "b_star_T" in res
    with xr.open_dataset(out / "sweep.nc") as ds:
        n_par = len(np.unique(np.abs(ds.b_par.values[ds.b_par.values != 0])))
        spec = json.loads(ds.attrs["device_spec"])
    d_nm = spec["units"]["a_nm"] * (spec["thickness"] ** 2 - 1) ** 0.5
    for model in ("parallel", "finite_parallel"):
        js = tmp_path / f"{model}.json"
        fit = cooperon("fit", str(out / "sweep.nc"), "--model", model, "--alpha", "1",
                       "--thickness-nm", str(d_nm), "--json", str(js))  # fmt: skip
        assert fit.returncode == 0, fit.stdout + fit.stderr
        r = json.loads(js.read_text())
        assert r["n_points"] == n_par > 3  # every in-plane field, not the one b_perp point
    # the spec's fit applied both in-plane corrections (default); on the command line they are
    # options (their physics is pinned in test_fits and test_finite_film)
    js = tmp_path / "corrected.json"
    fit = cooperon("fit", str(out / "sweep.nc"), "--model", "finite_parallel", "--alpha", "1",
                   "--thickness-nm", str(d_nm), "--mean-free-path-nm", str(0.3 * d_nm),
                   "--cross-section", "--json", str(js))  # fmt: skip
    assert fit.returncode == 0, fit.stdout + fit.stderr
    assert json.loads(js.read_text())["n_points"] == n_par
    bad = cooperon("fit", str(out / "sweep.nc"), "--model", "hln", "--cross-section")
    assert bad.returncode != 0 and "--cross-section is for the finite_parallel" in bad.stderr


def test_spec_interlayer_builds_a_layered_slab():
    from cooperon.experiment import build_device

    path = ROOT / "examples" / "slab_parallel.toml"
    s = spec_mod.load(path, ["device.interlayer=0.3"])
    assert build_device(s).geometry.interlayer == 0.3
    ring = ROOT / "examples" / "ring_ab.toml"
    with pytest.raises(ValueError, match="interlayer applies to slabs"):
        build_device(spec_mod.load(ring, ["device.interlayer=0.5"]))
    with pytest.raises(ValueError, match="interlayer is the hopping between layers"):
        build_device(spec_mod.load(path, ["device.interlayer=2.0"]))
