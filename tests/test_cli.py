"""The command line: `cooperon show` and `cooperon demo` run and fail cleanly."""

import subprocess
import sys


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "cooperon.cli", *args], capture_output=True, text=True
    )


def test_show_prints_regime_report():
    out = run("show", "--shape", "wire", "--width", "20", "--length", "200", "--energy", "0.9")
    assert out.returncode == 0, out.stderr
    assert "open channels      N     = 6" in out.stdout


def test_show_bad_input_is_one_clear_line():
    out = run("show", "--shape", "ring", "--r-in", "12", "--r-out", "10")
    assert out.returncode == 2
    assert "0 < inner radius < outer radius" in out.stderr
    assert "Traceback" not in out.stderr
