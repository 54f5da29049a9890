"""Measured-data path: units, geometry, symmetrization, and the `cooperon fit` command."""

import json
import subprocess
import sys

import numpy as np
import pytest

import fits
from fits import data as fdata
from fits import lineshapes as ls

W, L = 20e-6, 100e-6  # Hall bar: width and probe distance [m]
R_SQ0 = 1500.0  # sheet resistance at B = 0 [Ohm]
B_PHI = 4e-4  # [T]


def synthetic_trace(path, *, noise=2e-4, odd=0.0, header="B [mT], R [Ohm]", seed=0):
    """R(B) of a film with the HLN peak (g_s = 2), plus an odd (Hall pickup) part."""
    rng = np.random.default_rng(seed)
    b = np.linspace(-15e-3, 15e-3, 301)
    sigma = 1 / (R_SQ0 * fdata.G0) + ls.hln(b, B_PHI, 1.0, g_s=2)  # e^2/h per square
    sigma = sigma + rng.normal(0, noise, b.size) + odd * b / 15e-3
    r = (L / W) / (sigma * fdata.G0)
    np.savetxt(path, np.c_[1e3 * b, r], delimiter=", ", header=header, comments="")
    return b, r


def test_read_resistance_converts_and_symmetrizes(tmp_path):
    f = tmp_path / "trace.csv"
    synthetic_trace(f, noise=0.0, odd=0.05)
    d = fdata.read_table(f, width=W, length=L)
    assert d.meta["symmetrized"] and d.meta["odd_part_rms"] > 0.01
    assert d.b[0] == 0 and np.all(np.diff(d.b) > 0)
    # the odd part cancels exactly; what remains is the HLN curve
    assert np.allclose(d.dy, ls.hln(d.b, B_PHI, 1.0, g_s=2), atol=1e-10)
    assert d.meta["zero_field_value"] == pytest.approx(1 / (R_SQ0 * fdata.G0), rel=1e-10)


def test_units_from_header_and_flags(tmp_path):
    f = tmp_path / "t.txt"
    b = np.linspace(0, 0.01, 50)
    sig = ls.hln(b, B_PHI, 1.0, g_s=2)
    # sheet conductance in microsiemens, field in gauss, whitespace separated
    np.savetxt(f, np.c_[1e4 * b, 1e6 * sig * fdata.G0], header="field(G) dsigma(uS)")
    d = fdata.read_table(f)
    assert np.allclose(d.b, b) and np.allclose(d.dy, sig, atol=1e-12)
    # flags override the header
    d2 = fdata.read_table(f, b_unit="mT", y_unit="uS")
    assert np.allclose(d2.b, 1e-3 * 1e4 * b)


def test_bad_data_files(tmp_path):
    f = tmp_path / "nan.csv"
    f.write_text("B [T], G [S]\n0, 1e-3\n0.001, nan\n0.002, 1e-3\n")
    with pytest.raises(ValueError, match="column 'G' has NaN/inf in 1 row"):
        fdata.read_table(f, quantity="total")
    f.write_text("B [Tesla-ish], G [S]\n0, 1e-3\n0.001, 1e-3\n")
    with pytest.raises(ValueError, match="unknown field unit 'Tesla-ish'.*T, mT, uT, G"):
        fdata.read_table(f, quantity="total")
    f.write_text("B [T], R [furlong]\n0, 1\n0.001, 1\n")
    with pytest.raises(ValueError, match="unknown data unit 'furlong'"):
        fdata.read_table(f)
    f.write_text("B [T], R [Ohm]\n0, 100\n0.001, 101\n")
    with pytest.raises(ValueError, match="R in Ohm needs the sample width and length"):
        fdata.read_table(f)
    f.write_text("B [T], G [e^2/h]\n0.01, 3\n0.02, 3.1\n")
    with pytest.raises(ValueError, match="must include B = 0"):
        fdata.read_table(f, quantity="total")


def test_diffusion_from_sheet_resistance():
    # Einstein: D = 2 pi hbar^2 / (g_s m* e^2 R_sq); GaAs, 1 kOhm: ~ 0.045 m^2/s.
    from scipy import constants as sc

    d = fdata.diffusion_from_sheet_resistance(1000.0, 0.067)
    assert d == pytest.approx(np.pi * sc.hbar**2 / (0.067 * sc.m_e * sc.e**2 * 1000.0), rel=1e-12)
    # and D = v_F l / 2 from the Drude route with the same data
    n = 3e15
    ell = fdata.mean_free_path_from_sheet_resistance(1000.0, n)
    v_f = sc.hbar * np.sqrt(2 * np.pi * n) / (0.067 * sc.m_e)
    assert d == pytest.approx(v_f * ell / 2, rel=1e-12)


def test_cli_fit_round_trip(tmp_path):
    f = tmp_path / "trace.csv"
    synthetic_trace(f, odd=0.02)
    out = tmp_path / "fit.json"
    cmd = [
        sys.executable, "-m", "cooperon.cli", "fit", str(f), "--model", "hln",
        "--width-nm", str(W * 1e9), "--length-nm", str(L * 1e9), "--mass", "0.067",
        "--json", str(out),
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    res = json.loads(out.read_text())
    assert abs(res["b_phi_T"] - B_PHI) < 3 * res["b_phi_T_stderr"]
    assert abs(res["alpha"] - 1) < 3 * res["alpha_stderr"]
    d = fdata.diffusion_from_sheet_resistance(R_SQ0, 0.067)
    tau = ls.length_from_b(B_PHI) ** 2 / d * 1e12
    assert abs(res["tau_phi_ps"] - tau) < 3 * res["tau_phi_ps_stderr"]
    for key in ("l_phi_nm", "reduced_chi2", "field_window_T"):
        assert key in res
    assert (tmp_path / "fit.png").exists()
    assert "b_phi" in run.stdout


def test_cli_fit_bad_input_is_one_line(tmp_path):
    f = tmp_path / "trace.csv"
    f.write_text("B [mT], R [Ohm]\n0, 100\n1, nan\n2, 100\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "cooperon.cli",
            "fit",
            str(f),
            "--width-nm",
            "1",
            "--length-nm",
            "1",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "NaN" in run.stderr and "Traceback" not in run.stderr


def test_models_registry():
    assert set(fits.MODELS) == {
        "hln",
        "hln_so",
        "wire",
        "wire_finite",
        "parallel",
        "finite_film",
        "finite_parallel",
    }
