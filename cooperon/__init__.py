"""cooperon: weak localization and Aharonov-Bohm physics in disordered conductors.

The library is three layers, imported on their own: ``devices`` (what the
sample is), ``transport`` (what it conducts) and ``fits`` (what the curve
means). This package holds the command line and the version.
"""

__version__ = "0.2.0"
