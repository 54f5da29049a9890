"""transport: Landauer conductance of cooperon devices, over fields, energies and disorder.

Plain functions in, labeled arrays out. Knows nothing of fits.

- :func:`conductance`: one realization, one field, one energy [e^2/h].
- :func:`sweep`: the ensemble as an ``xarray.Dataset``, serial, on local
  processes or on a Dask cluster, resumable from a results path.
- :func:`correlation_field`: the autocorrelation field of the fluctuations.
- :class:`Solver`: the exact solvers (recursive Green's function for films
  and wires, sparse LU otherwise) with cached lead self-energies.
- :func:`size_sweep`: conductance versus sample size (wires, squares, cubes)
  for scaling theory; :func:`localization_length` and
  :func:`localization_lengths`: transfer-matrix localization lengths
  (``transport.scaling``, ``transport.transfer``).
- :func:`temperature_sweep`: a sweep at several temperatures with tau_phi(T)
  from a dephasing law, optionally smeared over the thermal window.
"""

from . import scaling, temperature, transfer
from .scaling import localization_lengths, size_sweep
from .solver import Solver
from .sweep import (
    RegimeWarning,
    SweepInterrupted,
    auto_probe_density,
    compute_task,
    conductance,
    correlation_field,
    experiment,
    lock,
    sweep,
)
from .temperature import temperature_sweep
from .transfer import localization_length

__all__ = [
    "RegimeWarning",
    "Solver",
    "SweepInterrupted",
    "auto_probe_density",
    "compute_task",
    "conductance",
    "correlation_field",
    "experiment",
    "localization_length",
    "localization_lengths",
    "lock",
    "scaling",
    "size_sweep",
    "sweep",
    "temperature",
    "temperature_sweep",
    "transfer",
]
