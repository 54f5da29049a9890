"""fits: phase coherence from weak-localization and Aharonov-Bohm data.

Knows nothing of Kwant: it serves simulated datasets and measured files
alike. Line shapes (``fits.lineshapes``) are pure numpy functions; models
(``fits.models``) add bounds, guesses and the fit; results report, export
and plot themselves.
"""

from . import finite, lineshapes
from .data import MagnetoData, diffusion_from_sheet_resistance, from_dataset, read_table
from .models import (
    HLN,
    FiniteFilm,
    FiniteFilmParallel,
    HLNSpinOrbit,
    Model,
    ParallelField,
    Param,
    Wire,
    WireFinite,
)
from .result import FitResult

MODELS = {
    "hln": HLN,
    "hln_so": HLNSpinOrbit,
    "wire": Wire,
    "wire_finite": WireFinite,
    "parallel": ParallelField,
    "finite_film": FiniteFilm,
    "finite_parallel": FiniteFilmParallel,
}

__all__ = [
    "HLN",
    "MODELS",
    "FiniteFilm",
    "FiniteFilmParallel",
    "FitResult",
    "HLNSpinOrbit",
    "MagnetoData",
    "Model",
    "ParallelField",
    "Param",
    "Wire",
    "WireFinite",
    "diffusion_from_sheet_resistance",
    "finite",
    "from_dataset",
    "lineshapes",
    "read_table",
]
