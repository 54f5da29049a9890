"""devices: Kwant builders for disordered films, wires and rings.

What the sample is: geometry, lattice, units and disorder. Everything that
varies between runs (field, disorder strength and seed, energy) is passed
at solve time. See :mod:`devices.builders` for the field convention.
"""

import warnings

# Kwant announces on import that its optional plotly engine is missing; cooperon
# plots with matplotlib. Silence only that notice, before Kwant is imported.
warnings.filterwarnings("ignore", "plotly is not available", RuntimeWarning)

from cooperon.constants import G0, PHI0  # noqa: E402

from . import bands, disorder, spin, temperature  # noqa: E402
from .builders import (  # noqa: E402
    KWANT_PARAMETERS,
    PARAMETERS,
    Device,
    Geometry,
    build,
    film,
    from_spec,
    kwant_field,
    ring,
    units_from_options,
    wire,
)
from .regime import (  # noqa: E402
    BallisticWarning,
    FieldRangeWarning,
    InPlaneWarning,
    LocalizedWarning,
    ProbeNetworkWarning,
    Regime,
    RegimeWarning,
    SlabDephasingWarning,
    StrongDisorderWarning,
    regime,
)
from .spin import Spin  # noqa: E402
from .temperature import DephasingLaw  # noqa: E402
from .units import Units  # noqa: E402

__all__ = [
    "G0",
    "KWANT_PARAMETERS",
    "PARAMETERS",
    "PHI0",
    "BallisticWarning",
    "DephasingLaw",
    "Device",
    "FieldRangeWarning",
    "Geometry",
    "InPlaneWarning",
    "LocalizedWarning",
    "ProbeNetworkWarning",
    "Regime",
    "RegimeWarning",
    "SlabDephasingWarning",
    "Spin",
    "StrongDisorderWarning",
    "Units",
    "bands",
    "build",
    "disorder",
    "film",
    "from_spec",
    "kwant_field",
    "regime",
    "ring",
    "spin",
    "temperature",
    "units_from_options",
    "wire",
]
