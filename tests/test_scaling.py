"""Scaling theory: transfer matrices, size sweeps, the beta function and finite-size scaling."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from fits.scaling import (
    beta_function,
    beta_perturbative,
    crossing,
    fit_finite_size_scaling,
)
from transport.scaling import localization_lengths, sample_conductance, size_sweep
from transport.transfer import localization_length, quasi_1d_prediction

# -- transfer matrices ----------------------------------------------------------


@pytest.mark.parametrize(
    "dimension,width,boundary,e_min",
    [
        (2, 5, "hard", 2 * (1 - math.cos(math.pi / 6))),  # hard walls: k = pi / (M + 1)
        (2, 6, "periodic", 0.0),
        (3, 4, "periodic", 0.0),
    ],
)
def test_clean_evanescent_exponent_is_exact(dimension, width, boundary, e_min):
    # Below the band (E = -1 t) every channel decays: psi_{x+1} + psi_{x-1} = (2 + e_k - E)
    # psi_x, so the smallest exponent is arccosh((2 + e_min - E) / 2) exactly (up to the
    # relaxation of the start vectors, ~ 1e-5 here).
    r = localization_length(width, disorder=0.0, energy=-1.0, dimension=dimension,
                            boundary=boundary, accuracy=0.01)  # fmt: skip
    assert r.gamma == pytest.approx(math.acosh((2 + e_min + 1.0) / 2), rel=1e-4)


def test_resumed_bar_is_the_same_bar(tmp_path):
    kw = dict(disorder=3.0, energy=2.0, boundary="hard", accuracy=0.02, seed=4)
    whole = localization_length(6, **kw)
    path = tmp_path / "bar.npz"
    with pytest.raises(ValueError, match=r"needs about \d+ slices; raise max_length"):
        localization_length(6, max_length=2048, path=path, **kw)
    resumed = localization_length(6, path=path, **kw)
    assert resumed.gamma == whole.gamma and resumed.length == whole.length
    with pytest.raises(ValueError, match="holds another bar"):
        localization_length(6, path=path, **{**kw, "seed": 5})


def test_transfer_errors_cover_the_spread_of_independent_bars():
    # 12 bars (seeds) at a claimed 3%: their scatter about the mean, in units of the quoted
    # errors, is chi^2 with 11 degrees of freedom; the 99.9% interval is the target.
    runs = [localization_length(6, disorder=3.0, energy=2.0, boundary="hard", accuracy=0.03,
                                seed=s) for s in range(12)]  # fmt: skip
    g = np.array([r.gamma for r in runs])
    e = np.array([r.gamma_err for r in runs])
    w = 1 / e**2
    mean = np.sum(w * g) / np.sum(w)
    chi2 = float(np.sum((g - mean) ** 2 * w))
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], 11)
    assert lo < chi2 < hi, f"chi2 = {chi2:.1f} outside ({lo:.1f}, {hi:.1f})"


def test_transfer_rejects_bad_input():
    with pytest.raises(ValueError, match="dimension is 2 or 3"):
        localization_length(4, disorder=1, energy=1, dimension=1)
    with pytest.raises(ValueError, match="boundary"):
        localization_length(4, disorder=1, energy=1, boundary="open")
    with pytest.raises(ValueError, match="integer >= 2"):
        localization_length(1, disorder=1, energy=1)


def test_quasi_1d_prediction_counts_channels_and_pi_over_2():
    p = quasi_1d_prediction(10, 2.0, 2.0)
    assert p["channels"] == 5
    assert p["xi"] == pytest.approx(6 * math.pi / 2 * p["mean_free_path"])  # (N + 1) l'


def test_localization_lengths_do_not_depend_on_workers(tmp_path):
    kw = dict(energy=2.0, dimension=2, accuracy=0.05, boundary="hard")
    one = localization_lengths([4, 6], [3.0, 4.0], workers=1, **kw)
    two = localization_lengths([4, 6], [3.0, 4.0], workers=2, path=tmp_path, **kw)
    np.testing.assert_array_equal(one["Lambda"].values, two["Lambda"].values)
    logs = []
    again = localization_lengths([4, 6], [3.0, 4.0], workers=2, path=tmp_path, log=logs.append,
                                 **kw)  # fmt: skip
    assert logs[0] == "resuming: 4 of 4 points done"
    np.testing.assert_array_equal(again["Lambda"].values, one["Lambda"].values)


# -- size sweeps ------------------------------------------------------------------


def test_size_sweep_labels_and_contact_subtraction(tmp_path):
    ds = size_sweep("square", [8, 12], energy=2.0, seeds=4, disorder=2.0, executor="serial",
                    path=tmp_path)  # fmt: skip
    assert ds["G"].dims == ("size", "realization")
    assert list(ds["size_sites"].values) == [8, 12]
    n = ds["N"].values[:, None]
    np.testing.assert_allclose(1 / ds["g"].values, 1 / ds["G"].values - 1 / n)
    np.testing.assert_allclose(ds["g_typical"], np.exp(np.log(ds["g"]).mean("realization")))
    logs = []
    more = size_sweep("square", [8, 12], energy=2.0, seeds=6, disorder=2.0,
                      executor="serial", path=tmp_path, log=logs.append)  # fmt: skip
    assert logs.count("resuming: 4 of 6 tasks done") == 2  # one per size
    np.testing.assert_array_equal(more["G"].values[:, :4], ds["G"].values)
    assert (tmp_path / "size_sweep.nc").exists()


def test_cube_has_as_many_layers_as_sites():
    ds = size_sweep("cube", [3, 4], energy=6.0, seeds=2, disorder=4.0, executor="serial")
    assert ds.attrs["dimension"] == 3
    # the L x L face carries up to L^2 channels
    assert ds["N"].values[1] <= 16 and ds["N"].values[1] > 4


def test_size_sweep_errors_name_the_fix():
    with pytest.raises(ValueError, match="unknown size-sweep shape 'cubes'"):
        size_sweep("cubes", [4, 8], energy=1, seeds=1, disorder=1)
    with pytest.raises(ValueError, match="needs the wire's width"):
        size_sweep("wire", [10, 20], energy=1, seeds=1, disorder=1)
    with pytest.raises(ValueError, match="no open channel"):
        size_sweep("square", [4, 8], energy=-0.5, seeds=1, disorder=1)
    with pytest.raises(ValueError, match="increasing"):
        size_sweep("square", [8, 4], energy=1, seeds=1, disorder=1)


def test_sample_conductance_of_a_ballistic_realization_is_inf():
    assert np.isinf(sample_conductance(3.0, 3))
    assert sample_conductance(1.0, 2) == pytest.approx(2.0)


# -- beta function and finite-size scaling ---------------------------------------


def test_perturbative_beta_factors():
    assert beta_perturbative(2.0) == pytest.approx(-1 / (2 * math.pi))
    assert beta_perturbative(2.0, "symplectic") == pytest.approx(1 / (4 * math.pi))
    with pytest.raises(ValueError, match="2D"):
        beta_perturbative(2.0, dimension=3)


def test_beta_function_recovers_a_power_law_with_honest_errors():
    # ln g = ln 5 - 0.1 ln L + noise: beta = -0.1 exactly; paired and unpaired errors both cover.
    rng = np.random.default_rng(1)
    sizes = np.array([16.0, 32.0, 64.0])
    pulls = []
    for _ in range(200):
        noise = rng.normal(0, 0.2, (3, 100))
        g = np.exp(np.log(5) - 0.1 * np.log(sizes)[:, None] + noise)
        for paired in (True, False):
            b = beta_function(sizes=sizes, g=g, paired=paired)
            pulls.extend((b["beta"] + 0.1) / b["beta_err"])
    pulls = np.asarray(pulls)
    assert abs(pulls.std() - 1) < 0.1
    assert 0.62 < np.mean(np.abs(pulls) < 1) < 0.74


def test_crossing_of_two_lines():
    w = np.array([15.0, 16.0, 17.0, 18.0])
    w_star, err = crossing(w, 0.6 - 0.01 * (w - 16.5), 0.6 - 0.03 * (w - 16.5), 0.001, 0.001)
    assert w_star == pytest.approx(16.5)
    assert err > 0


def test_finite_size_scaling_recovers_wc_and_nu():
    # Data drawn from the scaling form itself; the fit's errors must cover the truth.
    from fits.scaling import _scaling_model

    truth = dict(w_c=16.54, nu=1.57, a0=math.log(0.576), a1=0.9, a2=0.0, a3=0.05)
    model = _scaling_model(3, 1, False)
    m, w = np.meshgrid([4, 6, 8, 10], np.linspace(15, 18, 9), indexing="ij")
    m, w = m.ravel(), w.ravel()
    rng = np.random.default_rng(7)
    hits = {"w_c": 0, "nu": 0}
    n = 40
    for _ in range(n):
        lam = np.exp(model(truth, m, w))
        err = 0.004 * lam
        fit = fit_finite_size_scaling(widths=m, disorders=w, values=lam + rng.normal(0, err),
                                      errors=err)  # fmt: skip
        for k in hits:
            hits[k] += abs(fit.values[k] - truth[k]) < fit.stderr[k]
    for k, h in hits.items():
        assert 0.45 < h / n < 0.9, f"{k}: 1-sigma coverage {h}/{n}"


def test_finite_size_scaling_refuses_too_few_points():
    with pytest.raises(ValueError, match="at least two widths"):
        fit_finite_size_scaling(widths=[4, 4, 4], disorders=[15, 16, 17], values=[1, 1, 1],
                                errors=[0.1] * 3)  # fmt: skip
    with pytest.raises(ValueError, match="cannot fix"):
        fit_finite_size_scaling(widths=[4, 6, 4, 6], disorders=[15, 15, 16, 16],
                                values=[0.6] * 4, errors=[0.01] * 4)  # fmt: skip


# -- specs and the command line ---------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SCALING_EXAMPLES = {
    "beta_2d.toml": ["size_sweep.realizations=24", "size_sweep.sizes_nm=[12.0, 24.0]",
                     "check.beta_negative=false", "check.beta_one_loop_sigma=4.0"],
    "anderson_3d.toml": ["localization_length.widths_nm=[4.0, 6.0]",
                         "localization_length.accuracy=0.02", "check.w_c_tol_meV=1.5"],
}  # fmt: skip


def test_every_scaling_example_has_a_reduced_test():
    assert {p.name for p in (ROOT / "examples" / "scaling").glob("*.toml")} == set(SCALING_EXAMPLES)


@pytest.mark.parametrize("name", sorted(SCALING_EXAMPLES))
def test_scaling_example_runs_and_passes_its_checks(name, tmp_path):
    path = ROOT / "examples" / "scaling" / name
    args = [a for s in SCALING_EXAMPLES[name] for a in ("--set", s)]
    run = subprocess.run([sys.executable, "-m", "cooperon.cli", "run", str(path), "--out",
                          str(tmp_path), "--no-progress", *args], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    res = json.loads((tmp_path / "scaling.json").read_text())
    assert res["ok"] and res["checks"] and all(c["pass"] for c in res["checks"])
    assert (tmp_path / "report.txt").exists()
    assert (tmp_path / ("scaling.png" if "beta" in name else "lambda.png")).exists()
    show = subprocess.run([sys.executable, "-m", "cooperon.cli", "show", str(path)],
                          capture_output=True, text=True)  # fmt: skip
    assert show.returncode == 0 and show.stdout.strip(), show.stderr


def test_scaling_spec_errors_name_the_fix():
    from cooperon.spec import SpecError, parse

    base = {"kind": "size_sweep", "size_sweep": dict(shape="square", sizes_nm=[8.0, 16.0],
                                                     energy_meV=2.0, box_meV=2.0,
                                                     realizations=4)}  # fmt: skip
    assert parse(base)["size_sweep"]["sizes_nm"] == [8.0, 16.0]
    with pytest.raises(SpecError, match="did you mean 'size_sweep'"):
        parse({**base, "kind": "size-sweep"})
    with pytest.raises(SpecError, match="unknown key size_sweep.size_nm"):
        parse({**base, "size_sweep": {**base["size_sweep"], "size_nm": [1.0]}})
    with pytest.raises(SpecError, match="needs size_sweep.width_nm"):
        parse({**base, "size_sweep": {**base["size_sweep"], "shape": "wire"}})
    with pytest.raises(SpecError, match="unknown section \\[device\\]"):
        parse({**base, "device": {"shape": "film"}})
    tm = {"kind": "localization_length",
          "localization_length": dict(widths_nm=[4.0], box_meV=[16.0], energy_meV=6.0)}  # fmt: skip
    assert parse(tm)["localization_length"]["dimension"] == 3
    with pytest.raises(SpecError, match="w_c_tol_meV go together"):
        parse({**tm, "check": {"w_c_meV": 16.5}})


def test_weak_localization_of_a_square_builds_up_to_the_2d_logarithm():
    # dG_WL / d ln L -> -1/pi (per spin, orthogonal) for L >> l, approached from above
    import math

    from fits.scaling import weak_localization_square

    sizes = (64, 128, 256, 512)
    g = [weak_localization_square(n * 1e-9, 1e-9) for n in sizes]
    slope = -math.pi * np.diff(g) / math.log(2)
    assert slope[-1] == pytest.approx(1.0, abs=0.02)
    assert np.all(np.diff(slope) < 0) and np.all(slope > 1)
    with pytest.raises(ValueError, match="lengths > 0"):
        weak_localization_square(0.0, 1e-9)
