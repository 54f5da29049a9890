"""Anderson box disorder as a pure function of (site tag, seed).

The random number of a site is a counter-based hash (SplitMix64 finalizer,
Steele et al., OOPSLA 2014) of the seed and the integer lattice tag of the
site. It does not depend on the order in which sites are evaluated, on the
process, or on the number of workers, and it is vectorized: a whole sample
costs a few numpy passes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["box", "uniform"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def uniform(tags, seed: int, stream: int = 0) -> np.ndarray:
    """Uniform numbers in [0, 1), one per site.

    Parameters
    ----------
    tags : array_like of int, shape (n, d) or (d,)
        Integer lattice tags of the sites.
    seed : int
        Disorder realization, 0 <= seed < 2**63.
    stream : int
        Independent stream for the same sites (e.g. 0 for the on-site energy,
        1 for dephasing-probe placement).

    Returns
    -------
    numpy.ndarray of float, shape (n,)
    """
    tags = np.atleast_2d(np.asarray(tags, dtype=np.int64))
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"disorder seed must be >= 0, got {seed}")
    with np.errstate(over="ignore"):
        h = _mix(np.full(len(tags), np.uint64(seed), dtype=np.uint64) + _GOLDEN)
        h = _mix(h ^ (np.uint64(stream) * _M2 + _GOLDEN))
        for c in range(tags.shape[1]):
            h = _mix(h ^ (tags[:, c].view(np.uint64) + _GOLDEN * np.uint64(c + 2)))
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def box(tags, seed: int, width: float) -> np.ndarray:
    """Box-distributed on-site energies in [-width/2, width/2) [same units as width]."""
    return width * (uniform(tags, seed) - 0.5)
