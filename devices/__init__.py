"""devices: Kwant builders for disordered films, wires and rings.

What the sample is: geometry, lattice, units and disorder. Everything that
varies between runs (field, disorder strength and seed, energy) is passed
at solve time. See :mod:`devices.builders` for the field convention.
"""

from . import bands, disorder
from .builders import (
    KWANT_PARAMETERS,
    PARAMETERS,
    Device,
    Geometry,
    film,
    from_spec,
    kwant_field,
    ring,
    wire,
)
from .regime import Regime, regime
from .units import G0, PHI0, Units

__all__ = [
    "G0",
    "KWANT_PARAMETERS",
    "PARAMETERS",
    "PHI0",
    "Device",
    "Geometry",
    "Regime",
    "Units",
    "bands",
    "disorder",
    "film",
    "from_spec",
    "kwant_field",
    "regime",
    "ring",
    "wire",
]
