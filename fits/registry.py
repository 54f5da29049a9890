"""The one list of fit models: names, what each needs, and how to build one from options.

The spec validator, the command line's choices and the virtual-experiment
runner all read :data:`MODELS` and call :func:`build_model`, so that a model
is added in one place.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from . import models as m

__all__ = ["MODELS", "ModelInfo", "build_model"]

# options every model takes
_COMMON = ("background", "free_amplitude", "offset")


@dataclass(frozen=True)
class ModelInfo:
    """A fit model: its class, a one-line summary, required and accepted options.

    Options are in SI units: ``width``, ``length``, ``thickness``,
    ``mean_free_path``, ``ell``, ``extension`` [m], ``b_tr`` [T], ``alpha``,
    ``max_nodes``, ``cross_section``, ``background``, ``free_amplitude``.
    """

    name: str
    cls: type
    summary: str
    needs: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    @property
    def quantity(self) -> str:
        """ "sheet" (dsigma per square) or "total" (dG of the device)."""
        return self.cls.quantity

    @property
    def axis(self) -> str:
        """The field the model describes: "b_perp" or "b_par"."""
        return self.cls.axis

    @property
    def degeneracies(self) -> tuple[int, ...]:
        return self.cls.degeneracies

    def accepts(self) -> tuple[str, ...]:
        return self.needs + self.options + _COMMON


MODELS: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo("hln", m.HLN, "2D film, Hikami-Larkin-Nagaoka (B_phi, alpha)",
                  options=("alpha", "b_tr", "width", "length")),
        ModelInfo("hln_so", m.HLNSpinOrbit, "2D film with spin-orbit scattering (B_phi, B_so)",
                  options=("b_tr", "width", "length")),
        ModelInfo("ilp", m.ILPRashba,
                  "2D film with linear Rashba or Dresselhaus coupling, ILP (B_phi, B_so)",
                  options=("b_tr", "width", "length")),
        ModelInfo("wire", m.Wire, "quasi-1D wire, L >> l_phi (l_phi)",
                  needs=("width", "length"), options=("ell",)),
        ModelInfo("wire_finite", m.WireFinite, "quasi-1D wire between reservoirs (l_phi)",
                  needs=("width", "length")),
        ModelInfo("parallel", m.ParallelField, "thin film in an in-plane field (B*, alpha)",
                  needs=("thickness",), options=("alpha", "mean_free_path")),
        ModelInfo("finite_film", m.FiniteFilm, "finite W x L device, Cooperon solved (l_phi, alpha)",
                  needs=("width", "length"), options=("alpha", "b_tr", "extension", "max_nodes")),
        ModelInfo("finite_film_so", m.FiniteFilmSpinOrbit,
                  "finite W x L device with spin-orbit scattering (l_phi, B_so)",
                  needs=("width", "length"), options=("b_tr", "extension", "max_nodes")),
        ModelInfo("finite_film_rashba", m.FiniteFilmRashba,
                  "finite W x L Rashba film, triplets with the spin-orbit vector potential "
                  "(l_phi, B_so)",
                  needs=("width", "length"), options=("b_tr", "extension", "max_nodes")),
        ModelInfo("finite_film_zeeman", m.FiniteFilmZeeman,
                  "single-layer spin-orbit film, in-plane field through Zeeman (l_phi, B_so)",
                  needs=("width", "length", "g_factor", "diffusion"),
                  options=("l_phi", "b_tr", "spin_orbit_splitting", "extension", "max_nodes")),
        ModelInfo("finite_parallel", m.FiniteFilmParallel,
                  "finite film of thickness d in an in-plane field (l_phi, alpha)",
                  needs=("width", "length", "thickness"),
                  options=("alpha", "extension", "max_nodes", "mean_free_path", "cross_section")),
        ModelInfo("graphene", m.Graphene, "graphene WL, McCann et al. 2006 (B_phi, B_i, B_*)"),
        ModelInfo("graphene_so", m.GrapheneSpinOrbit,
                  "graphene with spin-orbit, McCann-Fal'ko 2012 (B_phi, B_asy, B_so)"),
    )
}  # fmt: skip

# what to say when a model is given an option it does not take
_HINTS = {
    ("hln_so", "alpha"): "its amplitude follows from B_so/B_phi; use hln with a fixed alpha",
    ("ilp", "alpha"): "its amplitude follows from B_so/B_phi; use hln with a fixed alpha",
    ("finite_film_so", "alpha"): "its amplitude follows from B_so/B_phi; use finite_film",
    ("graphene", "alpha"): "its amplitude is fixed by spin and valley degeneracy",
    ("graphene_so", "alpha"): "its amplitude is fixed by spin and valley degeneracy",
}

# option -> command-line flag, for messages
FLAGS = {
    "width": "--width-nm",
    "length": "--length-nm",
    "thickness": "--thickness-nm",
    "mean_free_path": "--mean-free-path-nm",
    "alpha": "--alpha",
    "cross_section": "--cross-section",
    "g_factor": "--g-factor",
    "diffusion": "--diffusion-m2s, or --mass with --r-sq-ohm",
}


def build_model(name: str, *, g_s: int, **options) -> m.Model:
    """A fit model by name, from options in SI units (``None`` means not given).

    Raises
    ------
    ValueError
        For an unknown name (with the closest valid one), a missing
        required option, or an option the model does not take.
    """
    info = MODELS.get(name)
    if info is None:
        close = difflib.get_close_matches(str(name), MODELS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown fit model {name!r}: use one of {', '.join(MODELS)}{hint}")
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    missing = [k for k in info.needs if k not in given]
    if missing:
        flags = ", ".join(f"{k} ({FLAGS.get(k, k)})" for k in missing)
        raise ValueError(f"the {name} model needs the sample's {flags}")
    extra = [k for k in given if k not in info.accepts()]
    if extra:
        k = extra[0]
        why = _HINTS.get((name, k), f"it takes {', '.join(info.accepts())}")
        raise ValueError(f"the {name} model takes no {k} ({FLAGS.get(k, k)}): {why}")
    return info.cls(g_s=g_s, **{k: v for k, v in given.items()})
