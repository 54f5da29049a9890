"""devices: Kwant builders for disordered films, wires and rings.

What the sample is: geometry, lattice, units and disorder. Everything that
varies between runs (field, disorder strength and seed, energy) is passed
at solve time. See :mod:`devices.builders` for the field convention.
"""

import warnings

# Kwant announces on import that its optional plotly engine is missing; cooperon
# plots with matplotlib. Silence only that notice, before Kwant is imported.
warnings.filterwarnings("ignore", "plotly is not available", RuntimeWarning)

from . import bands, disorder  # noqa: E402
from .builders import (  # noqa: E402
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
from .regime import Regime, regime  # noqa: E402
from .units import G0, PHI0, Units  # noqa: E402

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
