"""fits: phase coherence from weak-localization and Aharonov-Bohm data.

Knows nothing of Kwant: it serves simulated datasets and measured files
alike. Line shapes (``fits.lineshapes``) are pure numpy functions; models
(``fits.models``, listed once in ``fits.registry.MODELS``) add bounds,
guesses, applicability checks and the fit (on lmfit); results report,
export and plot themselves. ``fits.io`` reads instrument files,
``fits.data`` turns them into a magnetoconductance, ``fits.series`` fits
temperature series and the dephasing law, ``fits.resistance`` splits R(T)
into weak localization and interactions, ``fits.scaling`` the beta
function and finite-size scaling of localization lengths.
"""

from . import finite, lineshapes, resistance, scaling, series
from .data import (
    MagnetoData,
    Measurement,
    diffusion_from_sheet_resistance,
    from_dataset,
    graphene_diffusion,
    magnetoconductance,
    read_measurement,
)
from .models import (
    HLN,
    FiniteFilm,
    FiniteFilmParallel,
    FiniteFilmRashba,
    FiniteFilmSpinOrbit,
    FiniteFilmZeeman,
    Graphene,
    GrapheneSpinOrbit,
    HLNSpinOrbit,
    ILPRashba,
    Model,
    ParallelField,
    Param,
    Wire,
    WireFinite,
)
from .registry import MODELS, ModelInfo, build_model
from .result import FitFlag, FitResult

__all__ = [
    "HLN",
    "MODELS",
    "FiniteFilm",
    "FiniteFilmParallel",
    "FiniteFilmRashba",
    "FiniteFilmSpinOrbit",
    "FiniteFilmZeeman",
    "FitFlag",
    "FitResult",
    "Graphene",
    "GrapheneSpinOrbit",
    "HLNSpinOrbit",
    "ILPRashba",
    "MagnetoData",
    "Measurement",
    "Model",
    "ModelInfo",
    "ParallelField",
    "Param",
    "Wire",
    "WireFinite",
    "build_model",
    "diffusion_from_sheet_resistance",
    "finite",
    "from_dataset",
    "graphene_diffusion",
    "lineshapes",
    "magnetoconductance",
    "read_measurement",
    "resistance",
    "scaling",
    "series",
]
