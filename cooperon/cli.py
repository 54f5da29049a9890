"""The ``cooperon`` command.

    cooperon run SPEC.toml --out DIR   a virtual experiment: device -> sweep -> fit -> files
    cooperon show SPEC.toml            a device and its regime report, before any compute
    cooperon fit DATA [DATA ...]       tau_phi, l_phi, B_phi from magnetoconductance data
    cooperon ab DATA [options]         Aharonov-Bohm period, amplitudes, l_phi of ring traces
    cooperon demo                      the built-in default experiment

Run ``cooperon COMMAND --help`` for the options of each command. Exit status:
0 ok, 1 a result flagged not ok (``--keep-going`` turns it into 0), 2 bad
input, 130 interrupted (finished work is kept; rerun the same command).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__


def _device_from_args(a):
    import devices

    return devices.build(
        a.shape,
        width_nm=a.width_nm,
        length_nm=a.length_nm,
        thickness=a.thickness,
        r_in_nm=a.r_in_nm,
        r_out_nm=a.r_out_nm,
        lead_width_nm=a.lead_width_nm,
        lattice_constant_nm=a.lattice_constant_nm,
        hopping_meV=a.hopping_meV,
        mass=a.mass,
    )


def _check_writable(path):
    if path is None:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise ValueError(
            f"cannot write {path}: the folder {folder} does not exist; create it first"
        )


def cmd_show(a) -> int:
    _check_writable(a.figure)
    if a.spec:
        from . import experiment, spec

        sp = spec.load(a.spec, a.set or ())
        if sp["kind"] != "magnetoconductance":
            from .scaling_run import describe

            if a.figure:
                raise ValueError("--figure draws the device of a magnetoconductance spec")
            print(describe(sp))
            return 0
        dev = experiment.build_device(sp)
        print(dev.describe())
        print(experiment.regime_report(sp, dev))
        if spec.is_temperature(sp):
            from .temperature_run import dephasing_law

            law = dephasing_law(sp)
            temps = sp["temperature"]["temperatures_K"]
            print("temperature series: " + ", ".join(
                f"{t:g} K: tau_phi = {law.tau_phi_ps(t):.3g} ps" for t in temps))  # fmt: skip
        if a.figure:
            experiment.device_picture(dev, a.figure)
            print(f"wrote {a.figure}")
        return 0
    if a.figure:
        raise ValueError("--figure needs a spec file (cooperon show SPEC.toml --figure PATH)")
    dev = _device_from_args(a)
    energy = a.energy_meV if a.density_cm2 is None else dev.fermi_energy(a.density_cm2)
    print(dev.describe())
    b_max = None if a.b_max_mT is None else 1e-3 * a.b_max_mT
    print(dev.regime(energy, a.disorder_meV, b_max=b_max))
    return 0


def _run_spec(sp, out, a) -> int:
    from . import experiment

    summary = experiment.run(sp, out, progress=False if a.no_progress else None)
    if sp["kind"] != "magnetoconductance" and not summary["ok"]:
        print(f"cooperon {a.command}: {summary.get('error', 'the result is flagged not ok')}; "
              f"see {out}/report.txt", file=sys.stderr)  # fmt: skip
        return 0 if a.keep_going else 1
    if "error" in summary:
        print(f"cooperon {a.command}: {summary['error']}", file=sys.stderr)
        return 1 if not a.keep_going else 0
    if not summary["ok"]:
        print(
            f"cooperon {a.command}: the result is flagged not ok (see the flags and warnings "
            "above; fit.json has them); exit status 1 (--keep-going for scripts)",
            file=sys.stderr,
        )
        return 0 if a.keep_going else 1
    return 0


def _load(a, path):
    from . import spec

    sets = list(a.set or ())
    sp = spec.load(path, sets)
    if a.add_realizations:
        if a.add_realizations < 1:
            raise ValueError(f"--add-realizations must be >= 1, got {a.add_realizations}")
        n = sp["sweep"]["realizations"] + a.add_realizations
        sp = spec.load(path, [*sets, f"sweep.realizations={n}"])
    return sp


def cmd_run(a) -> int:
    return _run_spec(_load(a, a.spec), a.out, a)


def default_spec_path():
    return Path(__file__).with_name("default.toml")


def cmd_demo(a) -> int:
    import time

    t0 = time.perf_counter()
    sp = _load(a, default_spec_path())
    code = _run_spec(sp, a.out, a)
    import json

    summary = json.loads((Path(a.out) / "fit.json").read_text())
    print()
    if summary.get("tau_phi_ps") is not None:
        print(
            f"demo: input tau_phi = {summary['tau_phi_ps_input']:.3g} ps, fitted tau_phi = "
            f"{summary['tau_phi_ps']:.3g} +- {summary['tau_phi_ps_stderr']:.2g} ps with the "
            f"{summary['model']} model ({time.perf_counter() - t0:.0f} s)"
        )
    print(f"demo: figures and report in {a.out}/ (wl_peak.png, traces.png, device.png)")
    return code


def _run_options(p):
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="override a spec value, e.g. --set sweep.realizations=10 (repeatable)")  # fmt: skip
    p.add_argument("--add-realizations", type=int, metavar="N",
                   help="N more realizations than the spec (or an earlier run) has; the "
                   "finished ones are reused")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--keep-going", action="store_true",
                   help="exit 0 even when the result is flagged not ok (scripted sweeps)")  # fmt: skip


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="cooperon",
        description="Kwant-based simulator of weak localization and Aharonov-Bohm physics.",
        epilog="Example:\n  cooperon show --shape film --width-nm 400 --length-nm 800 "
        "--lattice-constant-nm 5 --mass 0.067 --energy-meV 5 --disorder-meV 20 --b-max-mT 10",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"cooperon {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser(
        "demo",
        help="run the built-in default experiment",
        description="Run the built-in default experiment: the weak-localization cusp of a "
        "disordered 2D film with a known phase-coherence time (Buttiker dephasing probes), "
        "fitted with the model that holds for the sample, and the fitted tau_phi printed next "
        "to the input. About two minutes on 2 cores.",
        epilog="Example: cooperon demo --out out/demo",
    )
    d.add_argument("--out", default="out/demo", help="output directory (default out/demo)")
    _run_options(d)
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser(
        "run",
        help="run a virtual experiment from a spec file",
        description="Run a virtual experiment: build the device, sweep the conductance "
        "over fields and disorder realizations, fit, and write DIR/sweep.nc, DIR/fit.json, "
        "DIR/report.txt and figures. Ctrl-C keeps every finished task: rerun the same command "
        "to resume. A larger sweep.realizations (or --add-realizations) computes only the new "
        "realizations.",
        epilog="Examples:\n  cooperon run examples/film_wl.toml --out out/film\n"
        "  cooperon run examples/wire.toml --out out/wire --set sweep.realizations=10\n"
        "  cooperon run examples/film_wl.toml --out out/film --add-realizations 40",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("spec", help="TOML spec file (see examples/)")
    r.add_argument("--out", required=True, help="output directory")
    _run_options(r)
    r.set_defaults(func=cmd_run)

    s = sub.add_parser(
        "show",
        help="describe a device and print its regime report",
        description="Describe a device and print its regime report, from a spec file or "
        "from options. Sizes in nm, energies in meV; without --lattice-constant-nm (with "
        "--hopping-meV or --mass) everything is in lattice units (sites, t).",
        epilog="Examples:\n  cooperon show examples/film_wl.toml --figure device.png\n"
        "  cooperon show --shape wire --width-nm 200 --length-nm 1000 --lattice-constant-nm 5 "
        "--mass 0.067 --energy-meV 30 --disorder-meV 40 --b-max-mT 44",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("spec", nargs="?", help="TOML spec file (then the other options are ignored)")
    s.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override")
    s.add_argument("--figure", help="write a picture of the device here (with a spec)")
    s.add_argument("--shape", choices=["film", "wire", "ring"], default="film")
    s.add_argument("--width-nm", type=float, default=60.0, help="width [nm] (film, wire)")
    s.add_argument("--length-nm", type=float, default=60.0, help="length [nm] (film, wire)")
    s.add_argument("--thickness", type=int, default=1, help="layers (film, wire)")
    s.add_argument("--r-in-nm", type=float, default=20.0, help="inner radius [nm] (ring)")
    s.add_argument("--r-out-nm", type=float, default=30.0, help="outer radius [nm] (ring)")
    s.add_argument("--lead-width-nm", type=float, default=None, help="lead width [nm] (ring)")
    s.add_argument("--lattice-constant-nm", type=float, default=None, help="lattice constant [nm]")
    s.add_argument("--hopping-meV", type=float, default=None, help="hopping t [meV]")
    s.add_argument("--mass", type=float, default=None, help="effective mass [m_e]")
    s.add_argument("--energy-meV", type=float, default=1.0, help="Fermi energy [meV]")
    s.add_argument("--density-cm2", type=float, default=None, help="carrier density [cm^-2]")
    s.add_argument("--disorder-meV", type=float, default=2.5, help="box disorder width [meV]")
    s.add_argument("--b-max-mT", type=float, default=None, help="largest planned field [mT]")
    s.set_defaults(func=cmd_show)

    from . import abcmd, fitcmd, rtcmd

    fitcmd.add_parser(sub)
    abcmd.add_parser(sub)
    rtcmd.add_parser(sub)

    a = p.parse_args(argv)
    try:
        return a.func(a)
    except KeyboardInterrupt as exc:
        msg = str(exc) or "interrupted"
        print(f"cooperon {a.command}: {msg}", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        print(f"cooperon {a.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
