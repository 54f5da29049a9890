"""Virtual experiments: specs, `cooperon run`, examples passing their own checks, interrupts.

Each example runs here on its own device with fewer realizations (and, for the
film, fewer fields): its regime report must have no blocking warning, and its
[check] tolerance (|fit - input| <= rtol input + 2 standard errors) must pass.
"""

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

# each example on its own device, fewer realizations: seconds to a minute
REDUCED = {
    "film_wl.toml": ["sweep.realizations=12", "sweep.b_perp_mT={start=-180.0, stop=180.0, num=13}"],
    "wire.toml": ["sweep.realizations=16"],
    "ring_ab.toml": ["sweep.realizations=16"],
    "slab_orientation.toml": ["sweep.realizations=4"],
    "cooling_film.toml": ["sweep.realizations=24"],
    "cooling_rashba_film.toml": [
        "sweep.realizations=16",
        "temperature.temperatures_K=[0.7113, 1.2649, 2.2494, 4.0]",
    ],
    "antilocalization.toml": ["sweep.realizations=16"],
    "spin_orbit_scatterers.toml": ["sweep.realizations=8"],
}


def cooperon(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "cooperon.cli", *map(str, args)], capture_output=True, text=True,
        **kw,
    )  # fmt: skip


def sets(overrides):
    return [a for s in overrides for a in ("--set", s)]


def test_default_spec_is_the_film_example():
    assert default_spec_path().read_text() == (ROOT / "examples" / "film_wl.toml").read_text()


def test_every_example_has_a_reduced_test():
    assert {p.name for p in EXAMPLES} == set(REDUCED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_passes_its_own_checks(path, tmp_path):
    out = tmp_path / "out"
    run = cooperon("run", path, "--out", out, "--no-progress", *sets(REDUCED[path.name]))
    assert run.returncode == 0, run.stdout + run.stderr
    res = json.loads((out / "fit.json").read_text())
    assert res["ok"], res
    assert not [w for w in res["regime_warnings"] if w["blocking"]]
    sp = spec_mod.load(path, REDUCED[path.name])
    checks = {c["name"]: c for c in res["checks"]}
    names = {"tau_phi_rtol": "tau_phi", "ab_period_rtol": "ab_period_mT",
             "in_plane_ratio_rtol": "in_plane_ratio", "p_tol": "p", "rise_rtol": "rise",
             "b_so_rtol": "b_so_elliott_yafet"}  # fmt: skip
    for key, name in names.items():
        if sp["check"][key] is not None:
            assert checks[name]["pass"], checks[name]
    assert checks, "every example states a check"
    if res.get("analysis") == "temperature":  # R of the sample: G counts g_s of 2 spins
        from cooperon.constants import R0

        g_s = 2 if sp["device"]["spin"] else 1
        for row in res["resistance"]:
            assert row["R_zero_field_ohm"] == pytest.approx(
                R0 * g_s / (2 * row["G_zero_field_e2h"])
            )
    for name in ("fit.json", "report.txt", "device.png"):
        assert (out / name).exists(), name
    for nc in out.glob("*.nc"):  # the datasets open with plain xarray, with units
        with xr.open_dataset(nc) as ds:
            assert ds.G.attrs["units"] == "e^2/h" and ds.b_perp.attrs["units"] == "T"


def test_the_regime_report_prints_its_warnings_on_the_console(tmp_path):
    # a localized wire: the run says so on the console, and its result is not ok (exit 1)
    wire = ROOT / "examples" / "wire.toml"
    over = ["disorder.box_meV=110.0", "sweep.realizations=2", "fit.model='none'",
            "check.tau_phi_rtol=0.5", "fit.model='wire_finite'"]  # fmt: skip
    out = tmp_path / "loc"
    run = cooperon("run", wire, "--out", out, "--no-progress", *sets(over))
    assert "WARNING (LocalizedWarning): localized" in run.stdout
    assert run.returncode == 1 and "flagged not ok" in run.stderr
    res = json.loads((out / "fit.json").read_text())
    assert not res["ok"] and res["regime_warnings"][0]["kind"] == "LocalizedWarning"
    again = cooperon("run", wire, "--out", out, "--no-progress", "--keep-going", *sets(over))
    assert again.returncode == 0


def test_no_fit_is_said_in_the_report(tmp_path):
    ring = ROOT / "examples" / "ring_ab.toml"
    out = tmp_path / "r"
    run = cooperon("run", ring, "--out", out, "--no-progress",
                   *sets(["sweep.realizations=2", "fit.model='none'", "check.ab_period_rtol=0.1"]))  # fmt: skip
    assert run.returncode == 2 and "check.ab_period_rtol needs fit.model = 'ab'" in run.stderr
    bare = tmp_path / "ring.toml"  # the example without its [check]
    bare.write_text(ring.read_text().split("[check]")[0])
    run = cooperon("run", bare, "--out", out, "--no-progress",
                   *sets(["sweep.realizations=2", "fit.model='none'"]))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "no fit (fit.model = 'none')" in (out / "report.txt").read_text()


def test_add_realizations_reuses_the_finished_ones(tmp_path):
    ring = ROOT / "examples" / "ring_ab.toml"
    out = tmp_path / "ring"
    base = sets(["sweep.realizations=3"])
    assert cooperon("run", ring, "--out", out, "--no-progress", *base).returncode == 0
    with xr.open_dataset(out / "sweep.nc") as ds:
        first = ds.G.values.copy()
    run = cooperon("run", ring, "--out", out, "--no-progress", *base, "--add-realizations", 2)
    assert run.returncode == 0, run.stderr
    assert "resuming: 3 of 5 tasks done" in run.stdout
    with xr.open_dataset(out / "sweep.nc") as ds:
        assert ds.sizes["realization"] == 5 and ds.attrs["resumed_tasks"] == 3
        assert np.array_equal(ds.G.values[:3], first)


INTERRUPT_TASKS = 12
INTERRUPT_SETS = [
    f"sweep.realizations={INTERRUPT_TASKS}", "sweep.b_perp_mT={start=-180.0, stop=180.0, num=13}",
    "execution.workers=2",
]  # fmt: skip


def test_ctrl_c_on_a_run_keeps_finished_tasks_and_a_rerun_resumes(tmp_path):
    film = ROOT / "examples" / "film_wl.toml"
    out = tmp_path / "film"
    cmd = [sys.executable, "-m", "cooperon.cli", "run", str(film), "--out", str(out),
           "--no-progress", *sets(INTERRUPT_SETS)]  # fmt: skip
    # Ctrl-C as from a terminal: a test suite started in the background (`cmd &` in a script)
    # inherits SIGINT ignored, and Python then keeps ignoring it in the child
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    partial = out / "sweep.nc.partial"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(partial.glob("task_*.npy"))) < 2:
        time.sleep(0.05)
    # a second run into the same folder is refused while the first holds it
    second = cooperon("run", film, "--out", out, "--no-progress", *sets(INTERRUPT_SETS))
    assert second.returncode == 2 and "another run" in second.stderr
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    saved = len(list(partial.glob("task_*.npy")))
    n = INTERRUPT_TASKS
    assert f"interrupted: {saved} of {n} tasks saved; rerun the same command to resume" in err
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"resuming: {saved} of {n} tasks done" in run.stdout


def test_show_spec_prints_regime_report(tmp_path):
    run = cooperon("show", ROOT / "examples" / "film_wl.toml", "--figure", tmp_path / "d.png")
    assert run.returncode == 0, run.stderr
    assert "Regime report: film" in run.stdout and "no warnings" in run.stdout
    assert (tmp_path / "d.png").stat().st_size > 1000
    # a figure path in a folder that does not exist: said before any work
    bad = cooperon("show", ROOT / "examples" / "film_wl.toml", "--figure", "/missing/dir/x.png")
    assert bad.returncode == 2 and "the folder /missing/dir does not exist" in bad.stderr
    assert "Regime report" not in bad.stdout


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
        ("fit.model='ab'", "fit.model = 'ab' .* needs device.shape = 'ring'"),
        ("fit.model='graphene_so'", "the graphene models describe graphene"),
        ("check.tau_phi_rtol=-1", "check.tau_phi_rtol is a relative tolerance > 0"),
        ("device.rashba_meV_nm=10", "device.rashba_meV_nm need a spinful device: add device.spin"),
        ("device.so_disorder_meV=2", "device.so_disorder_meV need a spinful device"),
        ("device.spin=true", "fit.g_s = 1 does not match the device: a spinful device counts both"),
    ],
)
def test_spec_validation_errors(override, message):
    with pytest.raises(spec_mod.SpecError, match=message):
        spec_mod.load(default_spec_path(), [override])


ZEEMAN = [
    "sweep.b_par_mT=[0.0, 1000.0, 2000.0]",
    "fit.model_in_plane='finite_film_zeeman'",
    "device.g_factor=2.0",
]  # the antilocalization film in an in-plane field too


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("device.g_factor=0.0", "needs device.spin = true with a non-zero device.g_factor"),
        (
            "device.thickness=2",
            "describes a single layer, where the in-plane field acts through Zeeman only",
        ),
        (
            "fit.model_in_plane='finite_parallel'",
            "On a single layer an in-plane field acts through Zeeman only .*'finite_film_zeeman'",
        ),
        (
            "check.in_plane_ratio_rtol=0.2",
            "holds l_phi at the perpendicular value and fits B_so: use check.b_so_rtol",
        ),
        ("device.so_disorder_meV=5.0", "spin relaxes isotropically \\(Elliott-Yafet\\)"),
        ("device.dresselhaus_meV_nm=5.0", None),
    ],
)
def test_zeeman_orientation_spec_errors(override, message):
    path = ROOT / "examples" / "antilocalization.toml"
    if message is None:  # valid
        spec_mod.load(path, [*ZEEMAN, override])
        with pytest.raises(spec_mod.SpecError, match="spin relaxation of Rashba coupling alone"):
            spec_mod.load(path, [*ZEEMAN, override, "check.b_so_rtol=0.3"])
        return
    with pytest.raises(spec_mod.SpecError, match=message):
        spec_mod.load(path, [*ZEEMAN, override])
    with pytest.raises(spec_mod.SpecError, match="check.b_so_rtol compares a fitted B_so"):
        spec_mod.load(path, ["check.b_so_rtol=0.3"])


def test_elliott_yafet_b_so_check():
    """check.b_so_rtol on a film with spin-orbit disorder: a spin-orbit fit model and no Rashba or
    Dresselhaus coupling; the check compares the fitted B_so with the Born value (+ 2 s.e.)."""
    from cooperon.experiment import _checks

    path = ROOT / "examples" / "antilocalization.toml"
    ey = ["device.rashba_meV_nm=0.0", "device.so_disorder_meV=5.0", "fit.model='finite_film_so'",
          "check.b_so_rtol=0.25"]  # fmt: skip
    sp = spec_mod.load(path, ey)
    with pytest.raises(spec_mod.SpecError, match="check.b_so_rtol compares a fitted B_so"):
        spec_mod.load(path, [*ey, "fit.model='finite_film'"])
    with pytest.raises(spec_mod.SpecError, match="remove those couplings"):
        spec_mod.load(path, [*ey, "device.rashba_meV_nm=5.0"])
    want = 0.2
    for b_so, err, ok in [(0.24, 0.01, True), (0.3, 0.01, False), (0.3, 0.03, True)]:
        summary = {"b_so_T": b_so, "b_so_T_stderr": err, "b_so_T_elliott_yafet": want}
        (check,) = [c for c in _checks(sp, None, summary) if c["name"] == "b_so_elliott_yafet"]
        assert check["pass"] is ok and check["measured"] == pytest.approx(b_so / want)


def test_dyakonov_perel_b_so_check():
    """check.b_so_rtol on a perpendicular fit of a Rashba film: with finite_film_rashba it compares
    B_so with D'yakonov-Perel's (kinetic, + 2 s.e.); with an isotropic spin-orbit model it is
    refused and names the model to use; Rashba and Dresselhaus together, and a film whose spin
    turns by more than Omega tau = 0.5 per collision, are refused with the reason."""
    from cooperon.experiment import (
        _check_dyakonov_perel_regime,
        _checks,
        _model,
        build_device,
        regime_report,
    )

    path = ROOT / "examples" / "antilocalization.toml"
    dp = ["device.rashba_meV_nm=5.0", "fit.model='finite_film_rashba'", "check.b_so_rtol=0.25"]
    sp = spec_mod.load(path, dp)
    with pytest.raises(
        spec_mod.SpecError, match="set fit.model = 'finite_film_rashba'.*underestimate"
    ):
        spec_mod.load(path, [*dp, "fit.model='finite_film_so'"])
    with pytest.raises(spec_mod.SpecError, match="Dresselhaus coupling alone"):
        spec_mod.load(path, [*dp, "device.dresselhaus_meV_nm=2.0"])
    want = 0.4
    for b_so, err, ok in [(0.48, 0.01, True), (0.6, 0.01, False), (0.6, 0.06, True),
                          (None, None, False)]:  # fmt: skip
        summary = {"b_so_T": b_so, "b_so_T_stderr": err, "b_so_T_dyakonov_perel_kinetic": want}
        (check,) = [c for c in _checks(sp, None, summary) if c["name"] == "b_so_dyakonov_perel"]
        assert check["pass"] is ok
        if b_so is not None:
            assert check["measured"] == pytest.approx(b_so / want)
    dev = build_device(sp)
    rep = regime_report(sp, dev)
    _check_dyakonov_perel_regime(sp, dev, rep)  # 5 meV nm: Omega tau = 0.26
    model = _model(sp, dev, rep)  # the Rashba triplets on a coarser Cooperon grid than 1600
    assert model.name == "finite_film_rashba" and model.spectrum.nodes <= 600
    strong = spec_mod.load(path, [*dp, "device.rashba_meV_nm=34.0"])
    dev = build_device(strong)
    with pytest.raises(spec_mod.SpecError, match="Omega tau = 1.8 > 0.5: weaken the coupling"):
        _check_dyakonov_perel_regime(strong, dev, regime_report(strong, dev))


def test_zeeman_orientation_run(tmp_path):
    """The Rashba film swept in both orientations: the perpendicular fit's tau_phi is checked, the
    in-plane Zeeman fit holds its l_phi, and fit.json holds B_so with the input coupling's."""
    path = ROOT / "examples" / "antilocalization.toml"
    out = tmp_path / "o"
    over = ["device.g_factor=-15.0", "fit.model_in_plane='finite_film_zeeman'",
            "sweep.b_par_mT={start=0.0, stop=4000.0, num=5}", "sweep.realizations=4",
            "sweep.b_perp_mT={start=0.0, stop=180.0, num=7}"]  # fmt: skip
    run = cooperon("run", path, "--out", out, "--no-progress", "--keep-going", *sets(over))
    assert run.returncode == 0, run.stdout + run.stderr
    fit = json.loads((out / "fit.json").read_text())
    assert fit["analysis"] == "orientation"
    assert fit["in_plane"]["model"] == "finite_film_zeeman"
    assert "l_phi" in fit["in_plane"]["fixed"]
    assert fit["in_plane"]["l_phi_nm"] == pytest.approx(fit["perpendicular"]["l_phi_nm"])
    window = fit["in_plane"]["field_window_T"]
    assert window == pytest.approx(4.11, rel=0.02)  # E_Z = 2 alpha k_F / 4
    for key in ("b_so_T", "b_so_T_kinetic", "b_so_T_dyakonov_perel", "omega_so_tau", "b_so_ratio"):
        assert key in fit, key
    assert fit["b_so_T_kinetic"] < fit["b_so_T_dyakonov_perel"]  # Omega tau = 2.1: DP overshoots
    assert [c["name"] for c in fit["checks"]] == ["tau_phi"]
    for name in ("sweep_perp.nc", "sweep_par.nc", "wl_peak.png", "in_plane.png"):
        assert (out / name).exists(), name
    # `cooperon fit` on the in-plane dataset: both spins counted, D from the dataset
    js = tmp_path / "par.json"
    run = cooperon("fit", out / "sweep_par.nc", "--model", "finite_film_zeeman", "--g-factor",
                   "-15", "--l-phi-nm", "60", "--json", js)  # fmt: skip
    assert run.returncode in (0, 1), run.stdout + run.stderr
    res = json.loads(js.read_text())
    assert res["g_s"] == 2 and res["model"] == "finite_film_zeeman"
    assert res["l_phi_nm"] == pytest.approx(60.0, rel=1e-12)
    run = cooperon("fit", out / "sweep_par.nc", "--model", "finite_film_zeeman")
    assert run.returncode == 2 and "g_factor (--g-factor)" in run.stderr, run.stderr


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
    run = cooperon("run", default_spec_path(), "--out", tmp_path, "--set", "device.width_um=3")
    assert run.returncode == 2
    assert "did you mean 'width_nm'" in run.stderr and "Traceback" not in run.stderr


def test_spec_interlayer_builds_a_layered_slab():
    from cooperon.experiment import build_device

    path = ROOT / "examples" / "slab_orientation.toml"
    s = spec_mod.load(path, ["device.interlayer=0.3"])
    assert build_device(s).geometry.interlayer == 0.3
    ring = ROOT / "examples" / "ring_ab.toml"
    with pytest.raises(ValueError, match="thickness and interlayer apply to slabs"):
        build_device(spec_mod.load(ring, ["device.interlayer=0.5"]))
    with pytest.raises(ValueError, match="interlayer is the hopping between layers"):
        build_device(spec_mod.load(path, ["device.interlayer=2.0"]))


def test_fit_command_on_a_run_dataset(tmp_path):
    # `cooperon fit` on a stored ensemble uses its covariance across fields (GLS)
    wire = ROOT / "examples" / "wire.toml"
    out = tmp_path / "w"
    assert cooperon("run", wire, "--out", out, "--no-progress",
                    *sets(["sweep.realizations=24"])).returncode == 0  # fmt: skip
    js = tmp_path / "fit.json"
    run = cooperon("fit", out / "sweep.nc", "--model", "wire_finite", "--json", js)
    assert run.returncode == 0, run.stdout + run.stderr
    res = json.loads(js.read_text())
    assert res["weighting"] == "covariance" and res["tau_phi_ps_input"] == 8.2
    # a model that does not hold for this sample says so, and names the one that does
    run = cooperon("fit", out / "sweep.nc", "--model", "hln", "--alpha", "1")
    assert run.returncode == 1 and "not_applicable" in run.stdout


def test_spinful_run_reports_spin_orbit(tmp_path):
    """A Rashba film through `cooperon run`: fit.json holds B_so (finite_film_so), the low-field
    alpha of a free HLN fit, the D'yakonov-Perel B_so and the input coupling; G counts both spins."""
    bare = tmp_path / "film.toml"  # the default film without its [check]
    bare.write_text(default_spec_path().read_text().split("[check]")[0].replace("g_s = 1", ""))
    out = tmp_path / "r"
    run = cooperon("run", bare, "--out", out, "--no-progress", "--keep-going",
                   *sets(["device.spin=true", "device.rashba_meV_nm=34.0",
                          "device.so_disorder_meV=5.0", "fit.model='finite_film_so'", "sweep.realizations=2",
                          "sweep.b_perp_mT={start=0.0, stop=180.0, num=7}"]))  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    fit = json.loads((out / "fit.json").read_text())
    assert fit["model"] == "finite_film_so" and fit["g_s"] == 2
    for key in (
        "b_so_T",
        "b_so_T_stderr",
        "alpha",
        "alpha_stderr",
        "alpha_free",
        "b_so_T_dyakonov_perel",
        "b_so_T_elliott_yafet",
        "tau_s_ps_elliott_yafet",
    ):
        assert key in fit, key
    assert fit["rashba_meV_nm"] == 34.0 and fit["so_disorder_meV"] == 5.0
    ds = xr.open_dataset(out / "sweep.nc")
    assert ds.attrs["spin_degeneracy"] == 2 and ds["G"].attrs["spin"].startswith("both spins")
    report = (out / "report.txt").read_text()
    assert "alpha_R = 34 meV nm" in report and "Born (Elliott-Yafet) tau_s" in report
