"""The ``cooperon`` command.

    cooperon demo                 the built-in default experiment
    cooperon show [options]       a device and its regime report
    cooperon fit DATA [options]   tau_phi, l_phi, B_phi from a magnetoconductance trace

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
    dev = _device_from_args(a)
    energy = a.energy if a.density is None else dev.fermi_energy(a.density)
    print(dev.describe())
    print(dev.regime(energy, a.disorder, b_max=a.b_max))
    return 0


def cmd_demo(a) -> int:
    import devices

    print("cooperon demo: the three device shapes and their regime reports\n")
    cases = [
        ("2D film", devices.film(60, 60), 1.0, 2.5, 2e-3),
        ("wire", devices.wire(20, 200), 0.9, 1.5, None),
        ("3-layer slab", devices.film(40, 80, 3), 1.5, 2.0, None),
        ("ring", devices.ring(20, 30), 0.5, 1.0, None),
    ]
    for title, dev, e, w, b_max in cases:
        print(f"== {title}")
        print(dev.describe())
        # In nominal lattice units 1 T means a flux of B a^2/(h/e) with a = 1 nm.
        b = None if b_max is None else dev.units.tesla(b_max)
        print(dev.regime(e, w, b_max=b))
        print()
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

    d = sub.add_parser("demo", help="run the built-in default experiment")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser(
        "show",
        help="describe a device and print its regime report",
        description="Describe a device and print its regime report. Sizes in nm, energies in "
        "meV; without --a/--t/--mass everything is in lattice units (sites, t).",
        epilog="Example: cooperon show --shape wire --width 100 --length 2000 --a 5 --t 20 "
        "--energy 10 --disorder 30",
    )
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

    from . import fitcmd

    fitcmd.add_parser(sub)

    a = p.parse_args(argv)
    try:
        return a.func(a)
    except (ValueError, TypeError) as exc:
        print(f"cooperon {a.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
