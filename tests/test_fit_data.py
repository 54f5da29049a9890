"""Measured-data path: raw instrument files, units, geometry, field hygiene, series, CLI.

The fixtures are written here (a Quantum Design .dat file, header-less and
multi-header CSVs, a 2D array, corrupted lines, up/down sweeps, a field
offset, a temperature series with correlated noise); the measured CC0
graphene data live in examples/data/graphene_wal.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fits
from cooperon.constants import G0
from fits import data as fdata
from fits import lineshapes as ls
from fits import series

ROOT = Path(__file__).resolve().parent.parent
GRAPHENE = ROOT / "examples" / "data" / "graphene_wal"
W, L = 20e-6, 100e-6  # Hall bar: width and probe distance [m] (5 squares)
R_SQ0 = 1500.0  # sheet resistance at B = 0 [Ohm]
B_PHI = 4e-4  # [T]


def hln_resistance(b, *, b_phi=B_PHI, offset=0.0, hall=0.0, noise=0.0, rng=None):
    """R(B) [Ohm] of a 5-square film with the HLN peak (g_s = 2), a field offset and Hall pickup."""
    sigma = 1 / (R_SQ0 * G0) + ls.hln(b - offset, b_phi, 1.0, g_s=2)
    if noise:
        sigma = sigma + rng.normal(0, noise, b.size)
    return (L / W) / (sigma * G0) + hall * b


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cooperon.cli", *map(str, args)],
                          capture_output=True, text=True)  # fmt: skip


# -- reading raw files ----------------------------------------------------------------


def write_ppms(path, rng):
    """A DynaCool-style .dat file: [Header], then [Data]; an up and a down sweep, in Oe."""
    up = np.linspace(-200, 200, 161)  # Oe
    field = np.concatenate([up, up[::-1]])
    r = hln_resistance(field * 1e-4, noise=2e-4, rng=rng)
    lines = ["[Header]", "; VERSION 1.0", "TITLE, WL film A", "BYAPP, Electrical Transport Option",
             "INFO, sample 7, NAME", "[Data]",
             "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Sample Position (deg),"
             "Bridge 1 Resistance (Ohms),Bridge 1 Excitation (uA),Bridge 2 Resistance (Ohms)"]  # fmt: skip
    for k, (f, rr) in enumerate(zip(field, r)):
        lines.append(f",{1000 + k:.2f},2.0001,{f:.4f},0,{rr:.6f},10,")
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def test_quantum_design_dat_file_loads_raw(tmp_path):
    f = tmp_path / "run.dat"
    write_ppms(f, np.random.default_rng(0))
    m = fits.read_measurement(f, squares=L / W)
    assert m.meta["field_column"] == "Magnetic Field [Oe]"
    assert m.meta["data_columns"] == ["Bridge 1 Resistance [Ohms]"]
    assert m.meta["columns_chosen_by"]["field_column"] == "unit"
    assert sorted(m.direction) == ["down", "up"]  # the two sweeps, split where the field turns
    assert m.temperatures == [2.0001]  # from the temperature column
    d = fits.magnetoconductance(m)
    assert d.meta["n_traces"] == 2 and d.sigma is None  # two sweeps are too few for an error bar
    r = fits.HLN(g_s=2).fit(d.b, d.dy, d.sigma)
    assert abs(r.values["b_phi"] - B_PHI) < 3 * r.stderr["b_phi"]
    assert r.ok


def test_headerless_csv_needs_column_and_unit_flags(tmp_path):
    b = np.linspace(-0.02, 0.02, 201)
    f = tmp_path / "raw.csv"
    np.savetxt(f, np.c_[np.full_like(b, 1.8), 1e4 * b, hln_resistance(b), 0 * b], delimiter=",")
    with pytest.raises(ValueError, match="no column names: choose the columns with --field-column"):
        fits.read_measurement(f, squares=5)
    with pytest.raises(ValueError, match="has no unit: give --field-unit"):
        fits.read_measurement(f, field_column=1, data_column=2, squares=5)
    m = fits.read_measurement(f, field_column=1, data_column=2, field_unit="Oe",
                              data_unit="Ohm", squares=5)  # fmt: skip
    d = fits.magnetoconductance(m, offset=0.0)
    assert np.allclose(d.dy, ls.hln(d.b, B_PHI, 1.0, g_s=2), atol=1e-9)


def test_several_header_lines_and_comments(tmp_path):
    b = np.linspace(0, 0.01, 60)
    f = tmp_path / "two_headers.txt"
    body = "\n".join(f"{1e3 * x:.6f}\t{y:.8f}" for x, y in zip(b, hln_resistance(b)))
    f.write_text("% measured 2026-11-30, fridge B\nField\tResistance\nmT\tOhm\n" + body + "\n")
    m = fits.read_measurement(f, squares=5)
    d = fits.magnetoconductance(m)
    assert np.allclose(d.dy, ls.hln(d.b, B_PHI, 1.0, g_s=2), atol=1e-9)


def test_unreadable_lines_are_skipped_and_counted(tmp_path):
    b = np.linspace(-0.01, 0.01, 41)
    rows = [f"{1e3 * x:.5f}, {y:.6f}" for x, y in zip(b, hln_resistance(b))]
    rows[5] = "0.4, 7.5e3x"  # a corrupted value
    rows[9] = rows[9] + ", " + rows[10]  # two rows run together
    f = tmp_path / "bad.csv"
    f.write_text("B [mT], R [Ohm]\n" + "\n".join(rows) + "\n")
    m = fits.read_measurement(f, squares=5)
    skipped = m.meta["skipped_lines"]
    assert [n for n, _ in skipped] == [7, 11]  # file lines (the header is line 1)
    assert "cannot read" in skipped[0][1] and "4 fields, expected 2" in skipped[1][1]
    with pytest.raises(ValueError, match="line 7 cannot read '7.5e3x'.*drop --strict"):
        fits.read_measurement(f, squares=5, strict=True)
    run = cli("fit", f, "--squares", 5)
    assert "skipped 2 unreadable line(s): line 7" in run.stdout


def test_two_dimensional_array_with_a_field_row(tmp_path):
    b = np.linspace(-0.01, 0.01, 101)
    rng = np.random.default_rng(1)
    traces = [1 / hln_resistance(b, noise=5e-4, rng=rng) / G0 for _ in range(6)]  # S
    f = tmp_path / "map.txt"
    np.savetxt(f, np.vstack([b, *traces]), header="first row field [T], then six traces of G [S]")
    m = fits.read_measurement(f, field_unit="T", data_unit="S", squares=5)
    assert m.meta["layout"] == "2D array: 6 traces of 101 fields"
    d = fits.magnetoconductance(m)
    assert d.meta["n_traces"] == 6
    # a map without its field row needs the axis
    g = tmp_path / "bare.txt"
    np.savetxt(g, np.vstack(traces), header="six traces")
    with pytest.raises(ValueError, match="--field-axis START:STOP"):
        fits.read_measurement(g, field_unit="T", data_unit="S", squares=5)
    m2 = fits.read_measurement(g, field_unit="mT", data_unit="S", squares=5, field_axis=(-10, 10))
    assert np.allclose(m2.b[0], b)


def test_field_offset_is_estimated_and_hall_pickup_reported(tmp_path):
    b = np.linspace(-0.015, 0.015, 301)
    r = hln_resistance(b, offset=0.6e-3, hall=2000.0)  # 2000 Ohm/T: Hall pickup
    f = tmp_path / "offset.csv"
    np.savetxt(f, np.c_[1e3 * b, r], delimiter=",", header="B [mT], R [Ohm]", comments="")
    d = fits.magnetoconductance(fits.read_measurement(f, squares=5))
    assert d.meta["field_offset_T"] == pytest.approx(0.6e-3, abs=0.02e-3)
    assert d.meta["odd_part_rms"] > 1e-3  # the Hall pickup, reported
    assert np.allclose(d.dy, ls.hln(d.b, B_PHI, 1.0, g_s=2), atol=2e-4)
    # no offset removal: symmetrized about B = 0, the curve is broadened
    raw = fits.magnetoconductance(fits.read_measurement(f, squares=5), offset=0)
    assert raw.meta["field_offset_T"] == 0


def test_near_duplicate_fields_symmetrize_onto_one_grid(tmp_path):
    # a perfect trace with different field points on the two sides of zero: the old code kept
    # near-duplicates (153 points from 101) and flagged the fit with a runs test
    pos = np.linspace(0, 0.02, 51)
    neg = -np.linspace(0.0002, 0.0202, 51)
    b = np.concatenate([neg[::-1], pos])
    f = tmp_path / "dupes.csv"
    np.savetxt(f, np.c_[1e3 * b, hln_resistance(b)], delimiter=",",
               header="B [mT], R [Ohm]", comments="")  # fmt: skip
    d = fits.magnetoconductance(fits.read_measurement(f, squares=5), offset=0)
    assert len(d.b) <= 51 and np.all(np.diff(d.b) > 0)
    r = fits.HLN(g_s=2).fit(d.b, d.dy)
    # the two sides are interpolated (cubic spline, O(h^4)): B_phi within 0.5%
    assert r.values["b_phi"] == pytest.approx(B_PHI, rel=5e-3)


def test_zero_field_by_interpolation_and_referenced_data(tmp_path):
    b = np.linspace(-0.0101, 0.0099, 101)  # straddles zero, no B = 0 point
    f = tmp_path / "straddle.csv"
    np.savetxt(f, np.c_[1e3 * b, hln_resistance(b)], delimiter=",",
               header="B [mT], R [Ohm]", comments="")  # fmt: skip
    d = fits.magnetoconductance(fits.read_measurement(f, squares=5), offset=0)
    # G(0) interpolated across the cusp (cubic spline): within 1% of the first point's dsigma
    assert d.b[0] > 0 and np.allclose(d.dy, ls.hln(d.b, B_PHI, 1.0, g_s=2), atol=3e-5)
    # an already referenced dsigma that starts at 0.2 mT: taken as it is
    bb = np.linspace(2e-4, 0.01, 50)
    g = tmp_path / "dsigma.csv"
    np.savetxt(g, np.c_[1e3 * bb, ls.hln(bb, B_PHI, 1.0, g_s=2)], delimiter=",",
               header="B [mT], dsigma [e^2/h]", comments="")  # fmt: skip
    d = fits.magnetoconductance(fits.read_measurement(g))
    assert d.meta["referenced"] and np.allclose(d.dy, ls.hln(bb, B_PHI, 1.0, g_s=2))
    # the same numbers named as an absolute conductance need B = 0 or --referenced
    g.write_text(g.read_text().replace("dsigma", "sigma"))
    with pytest.raises(ValueError, match="starts at \\|B\\| = 0.2 mT.*--referenced"):
        fits.magnetoconductance(fits.read_measurement(g))


@pytest.mark.parametrize(
    ("header", "kw", "message"),
    [
        ("B [T], R [Ohm]", {}, "the sheet conductance needs the number of squares --squares"),
        (
            "B [Tesla-ish], R [Ohm]",
            {"squares": 5},
            "cannot read the unit 'Tesla-ish'.*--field-unit",
        ),
        ("B [T], R [furlong]", {"squares": 5}, "'furlong' is not a field, resistance.*--data-unit"),
        (
            "B [T], V [uV]",
            {"squares": 5},
            "a voltage \\(uV\\): give the excitation current --current-nA",
        ),
        ("B [T], rho [Ohm cm]", {}, "resistivity.*--thickness-nm"),
        (
            "B [T], R [Ohm]",
            {"field_column": "Bfield"},
            "no field column named 'Bfield'.*--field-column",
        ),
        ("B [T], R [Ohm]", {"data_column": 7}, "data column 7 does not exist.*--data-column"),
    ],
)
def test_bad_files_name_the_problem_and_the_flag(tmp_path, header, kw, message):
    f = tmp_path / "t.csv"
    f.write_text(f"{header}\n-0.01, 100\n0, 101\n0.01, 100\n")
    with pytest.raises(ValueError, match=message):
        fits.magnetoconductance(fits.read_measurement(f, **kw))


def test_units_by_pint_and_geometry():
    from fits.units import parse_unit

    assert parse_unit("kOe").factor == pytest.approx(0.1, rel=1e-12)
    assert parse_unit("G").kind == "field" and parse_unit("G").factor == pytest.approx(1e-4)
    assert parse_unit("Ohms").kind == "resistance"
    assert parse_unit("kOhm/sq").kind == "sheet_resistance"
    assert parse_unit("Ohm cm").factor == pytest.approx(0.01)
    assert parse_unit("uS").factor == pytest.approx(1e-6 / G0, rel=1e-12)
    assert parse_unit("2e^2/h").factor == 2.0


def test_free_amplitude_without_geometry(tmp_path):
    b = np.linspace(-0.01, 0.01, 201)
    f = tmp_path / "bulk.csv"
    np.savetxt(f, np.c_[1e3 * b, hln_resistance(b)], delimiter=",", header="B [mT], R [Ohm]",
               comments="")  # fmt: skip
    m = fits.read_measurement(f, free_amplitude=True)
    assert m.quantity == "scaled"
    d = fits.magnetoconductance(m, offset=0)
    r = fits.HLN(g_s=2, free_amplitude=True).fit(d.b, d.dy)
    assert r.values["b_phi"] == pytest.approx(B_PHI, rel=1e-3)
    assert r.values["amplitude"] == pytest.approx(W / L, rel=1e-3)  # G = sigma W / L


def test_temperature_from_file_names():
    assert fdata.temperature_from_name("2K.csv") == 2.0
    assert fdata.temperature_from_name("W5_10nA_-3p5Vbg_300mK_39-38.txt") == pytest.approx(0.3)
    assert fdata.temperature_from_name("run_1p5K_up.dat") == 1.5
    assert fdata.temperature_from_name("baseT.txt") is None


# -- temperature series -----------------------------------------------------------------------

TEMPS = (1.0, 2.0, 4.0, 8.0)
TAU_0, P_TRUE, D_TRUE = 40e-12, 1.0, 0.02  # tau_phi = 40 ps (T/1 K)^-1, D [m^2/s]


def series_files(tmp_path, rng, noise=1.5e-3, corr=0.8, b_so=None):
    """Files '<T>K.csv' of R(B) with HLN at tau_phi(T) (with spin-orbit scattering at ``b_so``
    [T] if given), plus AR(1)-correlated noise."""
    paths = []
    for t in TEMPS:
        tau = TAU_0 * t**-P_TRUE
        b_phi = float(ls.b_from_length(math.sqrt(D_TRUE * tau)))
        b = np.linspace(-0.02, 0.02, 241)
        e = np.empty(b.size)
        e[0] = rng.normal()
        for i in range(1, b.size):
            e[i] = corr * e[i - 1] + math.sqrt(1 - corr**2) * rng.normal()
        wl = (ls.hln(b, b_phi, 1.0, g_s=2) if b_so is None
              else ls.hln_spin_orbit(b, b_phi, b_so, g_s=2))  # fmt: skip
        sigma = 1 / (R_SQ0 * G0) + wl + noise * e
        p = tmp_path / f"{t:g}K.csv"
        np.savetxt(p, np.c_[1e3 * b, 5 / (sigma * G0)], delimiter=",", header="B [mT], R [Ohm]",
                   comments="")  # fmt: skip
        paths.append(p)
    return paths


def test_series_recovers_the_dephasing_law(tmp_path):
    paths = series_files(tmp_path, np.random.default_rng(3))
    points = series.load_series(paths, squares=5)
    assert [t for t, _ in points] == list(TEMPS)  # from the file names
    r = series.fit_series(points, fits.HLN(g_s=2, offset=True), diffusion=D_TRUE, r_sq_ohm=R_SQ0)
    assert "alpha" in r.shared  # alpha shared, B_phi per temperature
    pl = r.power_law
    assert abs(pl["p"] - P_TRUE) < 3 * pl["p_stderr"]
    assert abs(pl["tau_0_ps"] - 40) < 3 * pl["tau_0_ps_stderr"]
    d = r.to_dict()
    json.dumps(d, allow_nan=False)  # valid JSON: null, never NaN
    assert {"temperature_K", "l_phi_nm", "tau_phi_ps", "b_phi_T", "alpha"} <= set(d["series"][0])
    assert d["aak_tau_phi_ps"][0]["tau_phi_ps"] == pytest.approx(
        series.aak_tau_phi(1.0, R_SQ0) * 1e12
    )
    fig = r.plot(tmp_path / "series.png")
    assert fig is not None and (tmp_path / "series.png").stat().st_size > 1000


def test_series_shares_b_so_through_the_crossover_to_antilocalization(tmp_path):
    """A spin-orbit film cooled from 8 K (B_phi = 1.6 B_so: a shallow antilocalization cusp,
    weak localization beyond it) to 1 K (B_phi = 0.2 B_so: a deep antilocalization peak): B_so,
    shared by the temperatures, and p come back within 3 standard errors."""
    b_so = 1e-3
    points = series.load_series(series_files(tmp_path, np.random.default_rng(5), b_so=b_so),
                                squares=5)  # fmt: skip
    r = series.fit_series(points, fits.HLNSpinOrbit(g_s=2, offset=True), diffusion=D_TRUE)
    value, err = r.shared["b_so"]
    assert abs(value - b_so) < 3 * err and err < 0.05 * b_so
    pl = r.power_law
    assert abs(pl["p"] - P_TRUE) < 3 * pl["p_stderr"] and pl["p_stderr"] < 0.05


def test_series_errors_cover_the_truth(tmp_path):
    # over independent noise draws, p's quoted error covers the truth about as often as it
    # claims (68% for 1 sigma: 14 of 20 expected; binomial 2-sigma band 9..18)
    hits, pulls = 0, []
    for k in range(20):
        folder = tmp_path / str(k)
        folder.mkdir()
        points = series.load_series(series_files(folder, np.random.default_rng(100 + k)),
                                    squares=5, offset=0)  # fmt: skip
        r = series.fit_series(points, fits.HLN(g_s=2, alpha=1.0, offset=True), diffusion=D_TRUE)
        pl = r.power_law
        pulls.append((pl["p"] - P_TRUE) / pl["p_stderr"])
        hits += abs(pl["p"] - P_TRUE) < pl["p_stderr"]
    assert 9 <= hits <= 19, pulls
    assert abs(np.mean(pulls)) < 0.8


def test_aak_reference_number():
    # R_sq = 1 kOhm at 1 K: ~77 ps (reference sheet)
    assert series.aak_tau_phi(1.0, 1000.0) * 1e12 == pytest.approx(77, rel=0.02)


# -- the command line ---------------------------------------------------------------------------


def test_cli_single_file_json_and_exit_status(tmp_path):
    f = tmp_path / "run.dat"
    write_ppms(f, np.random.default_rng(0))
    out = tmp_path / "fit.json"
    run = cli("fit", f, "--squares", L / W, "--mass", 0.067, "--json", out)
    assert run.returncode == 0, run.stdout + run.stderr
    res = json.loads(out.read_text())
    assert abs(res["b_phi_T"] - B_PHI) < 3 * res["b_phi_T_stderr"]
    assert res["data"]["columns_chosen_by"]["field_column"] == "unit"
    assert set(res["errors"]) == {"stat", "hac", "neff", "bootstrap", "window"}
    assert res["quoted_error"] and "offset_e2h" in res  # measured data: the zero offset fitted
    d = fdata.diffusion_from_sheet_resistance(R_SQ0, 0.067)
    assert res["diffusion_m2s"] == pytest.approx(d, rel=0.02)  # R_sq read from the data
    assert (tmp_path / "fit.png").exists()


def test_cli_series(tmp_path):
    paths = series_files(tmp_path, np.random.default_rng(5))
    out = tmp_path / "series.json"
    run = cli("fit", *paths, "--squares", 5, "--diffusion-m2s", D_TRUE, "--json", out)
    assert run.returncode == 0, run.stdout + run.stderr
    res = json.loads(out.read_text())
    assert len(res["series"]) == 4 and res["power_law"]["p"] == pytest.approx(1, abs=0.3)
    assert "p_stderr" in res["power_law"] and "tau_0_ps" in res["power_law"]


def test_cli_flags_and_bad_input(tmp_path):
    b = np.linspace(-0.01, 0.01, 201)
    rng = np.random.default_rng(2)
    f = tmp_path / "wal.csv"
    sig = 1 / (R_SQ0 * G0) + ls.hln_spin_orbit(b, 2e-4, 5.0, g_s=2) + rng.normal(0, 1e-4, b.size)
    np.savetxt(f, np.c_[1e3 * b, 5 / (sig * G0)], delimiter=",", header="B [mT], R [Ohm]",
               comments="")  # fmt: skip
    # hln_so has no alpha
    run = cli("fit", f, "--squares", 5, "--model", "hln_so", "--alpha", "1")
    assert run.returncode == 2 and "hln_so model takes no alpha" in run.stderr
    # B_so far above the field range: flagged, JSON valid, exit status 1 unless --keep-going
    js = tmp_path / "so.json"
    run = cli("fit", f, "--squares", 5, "--model", "hln_so", "--json", js)
    assert run.returncode == 1, run.stdout
    res = json.loads(js.read_text())  # strict JSON: no NaN
    assert not res["ok"] and any(fl["kind"] == "undetermined" and "b_so" in fl["message"]
                                 for fl in res["flags"])  # fmt: skip
    assert "strong spin-orbit: fit hln with alpha = -1/2" in run.stdout
    assert cli("fit", f, "--squares", 5, "--model", "hln_so", "--keep-going").returncode == 0
    # WAL fitted with WL: flagged not ok
    assert cli("fit", f, "--squares", 5, "--alpha", "1").returncode == 1
    # a missing file, a missing geometry: one line, exit 2
    for args, msg in (([tmp_path / "none.csv"], "no such data file"),
                      ([f], "--squares L/W")):  # fmt: skip
        run = cli("fit", *args)
        assert run.returncode == 2 and msg in run.stderr and "Traceback" not in run.stderr


# -- the measured CC0 graphene data -------------------------------------------------------------


def graphene_points(pair="40-39", subtract=True):
    files = sorted(GRAPHENE.glob(f"W5_*_{pair}.txt"))
    temps = [0.025 if "baseT" in f.name else fdata.temperature_from_name(f.name) for f in files]
    return series.load_series(files, temperatures=temps, field_unit="mT", data_unit="V",
                              current=10e-9, field_axis=(-25, 25), squares=1.0,
                              subtract_highest=subtract)  # fmt: skip


def test_graphene_data_load_raw_and_show_antilocalization():
    points = graphene_points(subtract=False)
    assert [t for t, _ in points] == [0.025, 0.3, 0.5, 0.7, 0.9]
    d = points[0][1]
    assert d.meta["n_traces"] == 26  # the gate traces, averaged in conductance
    # the documented offset of about -1 mT, estimated from the five files together
    assert -1.5e-3 < d.meta["field_offset_T"] < -0.4e-3
    # weak antilocalization: the conductance falls from its zero-field maximum
    assert np.mean(d.dy[d.b < 2e-3]) < 0


def test_graphene_joint_fit_with_shared_spin_orbit_fields():
    points = graphene_points()
    r = series.fit_series(points, fits.GrapheneSpinOrbit(), window=0.02)
    b_asy, e_asy = r.shared["b_asy"]
    b_so, e_so = r.shared["b_so"]
    assert 0 < e_asy < b_asy and 0 < e_so < b_so  # the shared fields converge, determined
    l_phi = [s["l_phi_nm"] for s in r.series]
    assert all(np.diff(l_phi) < 0)  # l_phi (so tau_phi) falls with temperature
    assert r.power_law["fitted"] == "l_phi" and r.power_law["p"] > 0
    # antilocalization: B_so above B_phi at base temperature
    assert b_so > r.values[0]["b_phi"]
