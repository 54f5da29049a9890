"""The command line: `cooperon show` and friends run and fail cleanly, with consistent options."""

import subprocess
import sys


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "cooperon.cli", *args], capture_output=True, text=True
    )


def test_show_prints_regime_report():
    out = run("show", "--shape", "wire", "--width-nm", "20", "--length-nm", "200",
              "--energy-meV", "0.9")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "open channels      N     = 6" in out.stdout


def test_show_bad_input_is_one_clear_line():
    out = run("show", "--shape", "ring", "--r-in-nm", "12", "--r-out-nm", "10")
    assert out.returncode == 2
    assert "0 < inner radius < outer radius" in out.stderr
    assert "Traceback" not in out.stderr
    # a size that rounds badly to the lattice is refused, not silently changed
    out = run("show", "--width-nm", "3", "--lattice-constant-nm", "5", "--mass", "0.067")
    assert out.returncode == 2 and "rounding to 1 sites = 5 nm would change it by 67%" in out.stderr


def test_option_names_carry_their_units():
    # every subcommand names sizes, energies and fields with their unit
    for cmd in ("show", "fit", "ab"):
        text = run(cmd, "--help").stdout
        assert "--width " not in text and "--length " not in text, cmd
    assert "--width-nm" in run("show", "--help").stdout
    assert "--width-nm" in run("fit", "--help").stdout
    assert (
        "--field-unit" in run("ab", "--help").stdout
        and "--field-unit" in run("fit", "--help").stdout
    )


def test_the_examples_in_the_help_are_in_the_regime_they_illustrate():
    import re
    import shlex

    texts = run("--help").stdout + run("show", "--help").stdout
    examples = [m for m in re.findall(r"cooperon (show --shape[^\n]+)", texts)]
    assert len(examples) >= 2
    for example in examples:
        out = run(*shlex.split(example))
        assert out.returncode == 0, out.stderr
        assert "no warnings" in out.stdout, (example, out.stdout[-400:])
