"""``cooperon rt``: split a measured R(T) into weak localization and interactions.

Reads a table of temperature, zero-field resistance and resistance in a
perpendicular field that quenches weak localization
(:func:`fits.resistance.read_rt`), fits both sheet conductances against
ln T and splits the zero-field slope into alpha p (weak localization) and
the Altshuler-Aronov screening factor F (:func:`fits.resistance.split_resistance`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

EPILOG = """\
examples:
  cooperon rt film_RT.csv --zero "R0" --quench "R1T" --squares 2.5 --figure rt.png
      (header 'T [K], R0 [kOhm], R1T [kOhm]'; 2.5 squares between the voltage probes)
  cooperon rt film_RT.csv --zero Rsq_0 --quench Rsq_B --alpha 1 --json rt.json
      (sheet resistances 'Rsq_0 [Ohm/sq]'; with alpha = 1, the exponent p of tau_phi)
"""


def add_parser(sub):
    p = sub.add_parser(
        "rt",
        help="split a measured R(T) into weak localization and interactions",
        description="Fit the zero-field and the quenched-field sheet conductance of a film "
        "against ln T. The quenched slope is the Altshuler-Aronov interaction correction "
        "(screening factor F); the difference of the slopes is weak localization, "
        "alpha p (g_s / 2 pi) e^2/h per e-fold of T. Units come from the header.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", help="a table with temperature and two resistance columns")
    p.add_argument("--temperature", help="temperature column name (default: the one in K/mK)")
    p.add_argument("--zero", required=True, help="zero-field resistance column name")
    p.add_argument("--quench", required=True,
                   help="resistance column in a perpendicular field of many B_phi")  # fmt: skip
    p.add_argument("--squares", type=float,
                   help="L/W between the voltage probes (not for sheet resistances [Ohm/sq])")  # fmt: skip
    p.add_argument("--g-s", type=int, default=2, help="spin degeneracy (default 2)")
    p.add_argument("--alpha", type=float, help="WL prefactor (1; -0.5 with strong spin-orbit)")
    p.add_argument("--json", help="write the result here")
    p.add_argument("--figure", help="write the figure here (PNG)")
    p.set_defaults(func=run)


def run(a) -> int:
    from fits.resistance import read_rt, split_resistance
    from fits.result import json_safe

    for path in (a.json, a.figure):
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise ValueError(f"cannot write {path}: its folder does not exist; create it first")
    t = read_rt(a.data, temperature=a.temperature, zero=a.zero, quench=a.quench)
    if t["sheet"] and a.squares is not None:
        raise ValueError("the resistances are per square already: drop --squares")
    if not t["sheet"] and a.squares is None:
        raise ValueError("the resistances are not per square: give --squares (L/W between the "
                         "voltage probes), or a unit 'Ohm/sq' in the header")  # fmt: skip
    res = split_resistance(t["temperature_K"], t["r_zero_ohm"], t["r_quench_ohm"],
                           squares=1.0 if t["sheet"] else a.squares, g_s=a.g_s,
                           alpha=a.alpha)  # fmt: skip
    for n in t["notes"]:
        print(n)
    print(res.report())
    if a.json:
        Path(a.json).write_text(json.dumps(json_safe({"file": str(a.data), **res.to_dict()}),
                                           indent=2, allow_nan=False) + "\n")  # fmt: skip
        print(f"wrote {a.json}")
    if a.figure:
        res.plot(a.figure)
        print(f"wrote {a.figure}")
    return 0
