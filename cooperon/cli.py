"""The ``cooperon`` command.

    cooperon run SPEC.toml --out DIR   a virtual experiment: device -> sweep -> fit -> files
    cooperon show SPEC.toml            a device and its regime report, before any compute
    cooperon fit DATA [options]        tau_phi, l_phi, B_phi from a magnetoconductance trace
    cooperon ab DATA [options]         Aharonov-Bohm period, amplitudes, l_phi of a ring trace
    cooperon demo                      the built-in default experiment

Run ``cooperon COMMAND --help`` for the options of each command.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _device_from_args(a):
    import devices

    if a.mass is not None:
        units = devices.Units.from_mass(a.a, a.mass)
    elif a.t is not None:
        units = devices.Units(a.a, a.t)
    else:
        units = devices.Units.lattice()
    if a.shape == "ring":
        return devices.ring(a.r_in, a.r_out, lead_width=a.lead_width, units=units)
    builder = devices.film if a.shape == "film" else devices.wire
    return builder(a.width, a.length, a.thickness, units=units)


def cmd_show(a) -> int:
    if a.spec:
        from . import experiment, spec

        sp = spec.load(a.spec, a.set or ())
        dev = experiment.build_device(sp)
        print(dev.describe())
        print(experiment.regime_report(sp, dev))
        if a.figure:
            experiment.device_picture(dev, a.figure)
            print(f"wrote {a.figure}")
        return 0
    dev = _device_from_args(a)
    energy = a.energy if a.density is None else dev.fermi_energy(a.density)
    print(dev.describe())
    print(dev.regime(energy, a.disorder, b_max=a.b_max))
    return 0


def cmd_run(a) -> int:
    from . import experiment, spec

    sp = spec.load(a.spec, a.set or ())
    summary = experiment.run(sp, a.out, progress=False if a.no_progress else None)
    if "error" in summary:
        print(f"cooperon run: {summary['error']}", file=sys.stderr)
        return 1
    return 0


def default_spec_path():
    from pathlib import Path

    return Path(__file__).with_name("default.toml")


def cmd_demo(a) -> int:
    import time

    from . import experiment, spec

    t0 = time.perf_counter()
    sp = spec.load(default_spec_path(), a.set or ())
    summary = experiment.run(sp, a.out, progress=False if a.no_progress else None)
    print()
    if "tau_phi_ps" in summary:
        print(
            f"demo: input tau_phi = {summary['tau_phi_ps_input']:.3g} ps, fitted tau_phi = "
            f"{summary['tau_phi_ps']:.3g} +- {summary['tau_phi_ps_stderr']:.2g} ps "
            f"({time.perf_counter() - t0:.0f} s)"
        )
    print(f"demo: figures and report in {a.out}/ (wl_peak.png, traces.png, device.png)")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="cooperon",
        description="Kwant-based simulator of weak localization and Aharonov-Bohm physics.",
        epilog="Example: cooperon show --shape film --width 400 --length 800 --a 5 "
        "--mass 0.067 --energy 5 --disorder 20 --b-max 0.05",
    )
    p.add_argument("--version", action="version", version=f"cooperon {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser(
        "demo",
        help="run the built-in default experiment",
        description="Run the built-in default experiment (a 2D film's weak-localization "
        "peak with Buttiker dephasing, fitted with HLN) and print the fitted tau_phi next "
        "to the input. About a minute on 2 cores.",
        epilog="Example: cooperon demo --out out/demo",
    )
    d.add_argument("--out", default="out/demo", help="output directory (default out/demo)")
    d.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override")
    d.add_argument("--no-progress", action="store_true", help="no progress bar")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser(
        "run",
        help="run a virtual experiment from a spec file",
        description="Run a virtual experiment: build the device, sweep the conductance "
        "over fields and disorder realizations (resumable: rerun the same command after an "
        "interruption), fit, and write DIR/sweep.nc, DIR/fit.json, DIR/report.txt and "
        "figures.",
        epilog="Examples:\n  cooperon run examples/film_wl.toml --out out/film\n"
        "  cooperon run examples/wire.toml --out out/wire --set sweep.realizations=10",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("spec", help="TOML spec file (see examples/)")
    r.add_argument("--out", required=True, help="output directory")
    r.add_argument(
        "--set",
        action="append",
        metavar="SECTION.KEY=VALUE",
        help="override a spec value, e.g. --set sweep.realizations=10 (repeatable)",
    )
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser(
        "show",
        help="describe a device and print its regime report",
        description="Describe a device and print its regime report, from a spec file or "
        "from options. Sizes in nm, energies in meV; without --a/--t/--mass everything is in "
        "lattice units (sites, t).",
        epilog="Examples:\n  cooperon show examples/film_wl.toml --figure device.png\n"
        "  cooperon show --shape wire --width 100 --length 2000 --a 5 --t 20 "
        "--energy 10 --disorder 30",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("spec", nargs="?", help="TOML spec file (then the other options are ignored)")
    s.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override")
    s.add_argument("--figure", help="write a picture of the device here (with a spec)")
    s.add_argument("--shape", choices=["film", "wire", "ring"], default="film")
    s.add_argument("--width", type=float, default=60.0, help="width [nm] (film, wire)")
    s.add_argument("--length", type=float, default=60.0, help="length [nm] (film, wire)")
    s.add_argument("--thickness", type=int, default=1, help="layers (film, wire)")
    s.add_argument("--r-in", type=float, default=20.0, help="inner radius [nm] (ring)")
    s.add_argument("--r-out", type=float, default=30.0, help="outer radius [nm] (ring)")
    s.add_argument("--lead-width", type=float, default=None, help="lead width [nm] (ring)")
    s.add_argument("--a", type=float, default=1.0, help="lattice constant [nm]")
    s.add_argument("--t", type=float, default=None, help="hopping [meV]")
    s.add_argument("--mass", type=float, default=None, help="effective mass [m_e]")
    s.add_argument("--energy", type=float, default=1.0, help="Fermi energy [meV]")
    s.add_argument("--density", type=float, default=None, help="carrier density [cm^-2]")
    s.add_argument("--disorder", type=float, default=2.5, help="box disorder width [meV]")
    s.add_argument("--b-max", type=float, default=None, help="largest planned field [T]")
    s.set_defaults(func=cmd_show)

    from . import abcmd, fitcmd

    fitcmd.add_parser(sub)
    abcmd.add_parser(sub)

    a = p.parse_args(argv)
    try:
        return a.func(a)
    except (ValueError, TypeError, OSError) as exc:
        print(f"cooperon {a.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
