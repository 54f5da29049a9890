"""Units of measured columns, read with pint: what a unit string measures and its SI factor.

A column unit is parsed by pint (with the Gaussian context, so that Oe and G
convert to tesla); a few spellings instruments write are normalized first
(``Ohms``, ``Ω``, ``µS``, ``e^2/h``), and a trailing ``/sq`` (or ``/□``)
marks a sheet quantity. The result is a :class:`Unit`: its kind (field,
resistance, sheet_resistance, resistivity, conductance, sheet_conductance,
voltage, current, temperature) and the factor to SI (T, Ohm, Ohm m, S, V,
A, K; conductances in e^2/h).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["FIELD_UNITS", "Unit", "parse_unit"]

#: Field units accepted, for messages.
FIELD_UNITS = ("T", "mT", "uT", "G", "kG", "Oe", "kOe")
#: Data units accepted, for messages.
DATA_UNITS = ("Ohm", "kOhm", "MOhm", "Ohm/sq", "Ohm cm", "Ohm m", "S", "mS", "uS", "e^2/h",
              "2e^2/h", "V", "mV", "uV")  # fmt: skip

_SPELLINGS = [
    (r"(?i)ohms?\b", "ohm"),
    (r"Ω", "ohm"),
    (r"µ|μ", "u"),
    (r"(?i)\b2\s*e\^?2\s*/\s*h\b", "two_e2h"),
    (r"(?i)\be\^?2\s*/\s*h\b", "e2h"),
    (r"(?i)\btesla\b", "T"),
    (r"(?i)\bkelvin\b", "K"),
    (r"(?i)\bsec\b", "s"),
]


@dataclass(frozen=True)
class Unit:
    """A parsed unit: ``kind`` and ``factor`` to SI (conductances to e^2/h)."""

    text: str
    kind: str
    factor: float


@functools.lru_cache(maxsize=1)
def _registry():
    import pint

    ureg = pint.UnitRegistry()
    ureg.define("e2h = elementary_charge ** 2 / planck_constant")
    ureg.define("two_e2h = 2 * e2h")
    return ureg


_KINDS = {
    "[magnetic_field]": "field",
    "[resistance]": "resistance",
    "[resistivity]": "resistivity",
    "[conductance]": "conductance",
    "[voltage]": "voltage",
    "[current]": "current",
    "[temperature]": "temperature",
}


@functools.lru_cache(maxsize=256)
def parse_unit(text: str) -> Unit:
    """The kind and SI factor of a unit string, e.g. ``"Oe"`` -> field, 1e-4.

    Raises
    ------
    ValueError
        When pint cannot read the string or it measures none of the kinds above.
    """
    raw = text.strip()
    s = raw
    sheet = False
    m = re.search(r"\s*(/\s*(sq|square|□)|per\s+square)\s*$", s, flags=re.IGNORECASE)
    if m:
        sheet, s = True, s[: m.start()]
    for pattern, repl in _SPELLINGS:
        s = re.sub(pattern, repl, s)
    ureg = _registry()
    try:
        q = ureg.Quantity(1.0, s) if s else None
    except Exception:  # pint raises several unrelated exception types
        q = None
    if q is None:
        raise ValueError(f"cannot read the unit {raw!r}")
    kind, factor = _classify(ureg, q)
    if kind is None:
        raise ValueError(f"the unit {raw!r} is not a field, resistance, conductance or voltage")
    if sheet:
        if kind not in ("resistance", "conductance"):
            raise ValueError(
                f"the unit {raw!r}: only a resistance or conductance can be per square"
            )
        kind = "sheet_" + kind
    return Unit(raw, kind, factor)


def _classify(ureg, q):
    targets = [
        ("field", "T", "Gaussian"),
        ("resistance", "ohm", None),
        ("resistivity", "ohm * m", None),
        ("conductance", "e2h", None),
        ("voltage", "V", None),
        ("current", "A", None),
        ("temperature", "K", None),
    ]
    for kind, target, context in targets:
        try:
            v = q.to(target, context) if context else q.to(target)
        except Exception:  # DimensionalityError, and errors of contexts
            continue
        factor = float(v.magnitude)
        if kind == "field":
            factor = float(f"{factor:.9g}")  # Gaussian units: 1 Oe = 1e-4 T (pint's mu_0 rounding)
        return kind, factor
    return None, None
