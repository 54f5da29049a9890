"""Localization lengths by the transfer-matrix method (MacKinnon and Kramer, 1981/1983).

A long bar of cross-section M (2D) or M x M (3D) sites, the Anderson model of
cooperon's lattices (hopping t = 1, box disorder of width W [t] on every site,
energies from the bottom of the bulk band, so the band centre of the cubic
lattice is E = 6 t). With psi_x the amplitudes on slice x, the Schrodinger
equation -psi_{x+1} - psi_{x-1} + (H_perp + V_x) psi_x = E psi_x gives

    psi_{x+1} = (H_perp + V_x - E) psi_x - psi_{x-1}.

The n = M^(d-1) growing directions of the product of these transfer matrices
are propagated (2n x n), re-orthonormalized by a QR decomposition every
``qr_every`` slices, and the logarithms of R's diagonal accumulated: their
growth rates are the Lyapunov exponents gamma_1 >= ... >= gamma_n > 0, and the
smallest, gamma_n, gives the localization length of the bar xi_M = 1/gamma_n
[a]. Each slice costs a diagonal scaling, a sparse product with the
cross-section's hopping and a subtraction: O(n^2), not the O(n^3) of a dense
transfer-matrix product.

The run stops when the relative standard error of gamma_n (from the means of 50
consecutive stretches of the bar, each at least 10 xi_M long, after a warm-up
stretch that is left out) reaches the requested accuracy;
a bar that would need more slices than ``max_length`` is an error that says how
long it would need to be. With a ``path`` the state is checkpointed and a rerun
continues where it stopped: the disorder of slice x is a pure function of
(x, y, z, seed), so a resumed bar is the same bar.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = ["TransferResult", "localization_length", "quasi_1d_prediction"]

BATCHES = 50  # batch means over this many consecutive stretches of the bar
XI_PER_BATCH = 10  # each at least this many localization lengths long


@dataclass(frozen=True)
class TransferResult:
    """The smallest positive Lyapunov exponent of a bar and its localization length.

    ``gamma`` [1/a], ``xi`` = 1/gamma [a], ``lambda_`` = xi / M, with standard
    errors; ``length`` slices propagated, ``seconds`` spent.
    """

    dimension: int
    width: int
    energy: float
    disorder: float
    boundary: str
    gamma: float
    gamma_err: float
    xi: float
    xi_err: float
    lambda_: float
    lambda_err: float
    length: int
    accuracy: float
    seconds: float
    seed: int

    def to_dict(self) -> dict:
        return asdict(self)


def _cross_section(width, dimension, boundary):
    """Sparse hopping -t of the cross-section (n x n), and the on-site energy 2 d t."""
    sites = width ** (dimension - 1)
    coords = np.indices((width,) * (dimension - 1)).reshape(dimension - 1, -1).T
    index = {tuple(c): k for k, c in enumerate(coords)}
    rows, cols = [], []
    for k, c in enumerate(coords):
        for axis in range(dimension - 1):
            nxt = c.copy()
            nxt[axis] += 1
            if nxt[axis] == width:
                if boundary == "hard" or width <= 2:
                    continue
                nxt[axis] = 0
            j = index[tuple(nxt)]
            rows += [k, j]
            cols += [j, k]
    h = sp.csr_matrix((-np.ones(len(rows)), (rows, cols)), shape=(sites, sites))
    return h, coords


def _chunk_disorder(x0, slices, coords, seed, disorder):
    """On-site energies of slices x0 .. x0 + slices - 1, shape (slices, n) [t].

    The same hash of (x, y[, z], seed) as the devices' disorder, so a bar is
    the same whatever the chunking or a resume.
    """
    from devices import disorder as dis

    n = len(coords)
    xs = np.repeat(np.arange(x0, x0 + slices, dtype=np.int64), n)
    tags = np.column_stack([xs, np.tile(coords, (slices, 1))]).astype(np.int64)
    return dis.box(tags, seed, disorder).reshape(slices, n)


def quasi_1d_prediction(width, energy, disorder, beta=1, dimension=2, boundary="hard") -> dict:
    """The quasi-1D localization length (beta N + 2 - beta) l' of a 2D strip [a].

    N open channels of the strip (per spin), l' = (pi/2) l the transport mean
    free path of a 2D wire (Beenakker, Rev. Mod. Phys. 69, 731 (1997)), l the
    Born mean free path of the lattice at ``energy`` [t above the band
    bottom] and box width ``disorder`` [t].
    """
    from devices import bands

    if dimension != 2:
        raise ValueError("the quasi-1D prediction is for 2D strips (dimension=2)")
    if boundary == "hard":
        n = bands.open_channels(energy, width)
    else:
        k = 2 * np.pi * np.arange(width) / width
        e_t = 2 * (1 - np.cos(k))
        n = int(np.count_nonzero((energy - e_t > 0) & (energy - e_t < 4)))
    nu = bands.dos(energy)
    ell = math.sqrt(2 * bands.transport_weight(energy) / nu) * bands.born_tau(energy, disorder)
    l_tr = np.pi / 2 * ell
    return dict(channels=n, mean_free_path=ell, xi=(beta * n + 2 - beta) * l_tr)


def localization_length(
    width: int,
    *,
    disorder: float,
    energy: float,
    dimension: int = 2,
    accuracy: float = 0.01,
    max_length: int = 10_000_000,
    boundary: str = "periodic",
    qr_every: int = 8,
    seed: int = 0,
    path=None,
    progress=None,
) -> TransferResult:
    """The localization length xi_M [a] of a bar of cross-section M (2D) or M x M (3D).

    Parameters
    ----------
    width : int
        M, the bar's width in sites.
    disorder : float
        Box width W of the on-site disorder [t].
    energy : float
        Fermi energy [t above the band bottom]: the band centre is 4 t on the
        square lattice, 6 t on the cubic lattice.
    dimension : {2, 3}
    accuracy : float
        Relative standard error of gamma at which to stop.
    max_length : int
        Longest bar [slices]; if the accuracy is not reached by then, an error
        says how long a bar it would need.
    boundary : {"periodic", "hard"}
        Transverse boundary conditions.
    qr_every : int
        Slices between re-orthonormalizations.
    seed : int
        Disorder realization of the bar.
    path : str or Path, optional
        Checkpoint file (.npz): a rerun continues from it.
    progress : callable, optional
        Called with (slices, relative error) now and then.
    """
    if dimension not in (2, 3):
        raise ValueError(f"dimension is 2 or 3, got {dimension!r}")
    if boundary not in ("periodic", "hard"):
        raise ValueError(f"boundary is 'periodic' or 'hard', got {boundary!r}")
    if not (isinstance(width, (int, np.integer)) and width >= 2):
        raise ValueError(f"the bar's width is an integer >= 2 sites, got {width!r}")
    if not 0 < accuracy < 1:
        raise ValueError(f"accuracy is a relative error in (0, 1), got {accuracy}")
    h_perp, coords = _cross_section(int(width), dimension, boundary)
    n = h_perp.shape[0]
    onsite = 2.0 * dimension
    key = dict(width=int(width), disorder=float(disorder), energy=float(energy),
               dimension=dimension, boundary=boundary, qr_every=qr_every, seed=int(seed))  # fmt: skip
    state = _load(path, key) if path is not None else None
    rng = np.random.default_rng(int(seed) + 7919 * int(width))
    if state is None:
        top = np.linalg.qr(rng.standard_normal((n, n)))[0]
        bottom = np.zeros((n, n))
        x, blocks = 0, []
    else:
        top, bottom, x, blocks = state
    t0 = time.perf_counter()
    last_save = time.perf_counter()
    chunk = qr_every * 64  # slices between checks of the error
    if n <= 40:
        h_perp = h_perp.toarray()  # small cross-sections: dense is faster than sparse
    while True:
        v_chunk = _chunk_disorder(x, chunk, coords, seed, disorder) + (onsite - energy)
        for i in range(chunk):
            top, bottom = (h_perp @ top) + v_chunk[i][:, None] * top - bottom, top
            if (i + 1) % qr_every == 0:
                q, r = np.linalg.qr(np.vstack([top, bottom]))
                top, bottom = q[:n], q[n:]
                d = abs(r[-1, -1])
                blocks.append(math.log(d) if d > 0 else -math.inf)
        x += chunk
        gamma, err = _estimate(blocks, qr_every)
        rel = err / gamma if gamma > 0 else math.inf
        if progress is not None:
            progress(x, rel)
        if path is not None and time.perf_counter() - last_save > 30:
            _save(path, key, top, bottom, x, blocks)
            last_save = time.perf_counter()
        # a batch (1/BATCHES of the bar) must span many localization lengths
        if rel <= accuracy and x * gamma >= BATCHES * XI_PER_BATCH:
            break
        if x >= max_length:
            if path is not None:
                _save(path, key, top, bottom, x, blocks)
            need = int(x * max(rel / accuracy, 1) ** 2) if gamma > 0 else None
            raise ValueError(
                f"the accuracy {accuracy:g} was not reached in a bar of {x} slices (relative "
                f"error {rel:.2g}): it needs about {need} slices; raise max_length or ask "
                "for a lower accuracy"
            )
    gamma, err = _estimate(blocks, qr_every)
    if path is not None:
        _save(path, key, top, bottom, x, blocks)
    xi = 1 / gamma
    return TransferResult(dimension, int(width), float(energy), float(disorder), boundary, gamma,
                          err, xi, xi * err / gamma, xi / width, xi * err / gamma / width, x,
                          accuracy, time.perf_counter() - t0, int(seed))  # fmt: skip


def _estimate(blocks, qr_every):
    """gamma [1/a] and its standard error from the means of BATCHES stretches of the bar."""
    b = np.asarray(blocks, float)
    per = max(1, len(b) // (BATCHES + 1))
    # the first stretch is the warm-up (the start vectors relax onto the slowest-decaying
    # direction within a few xi) and is left out
    m = (len(b) // per) * per
    means = b[per:m].reshape(-1, per).mean(axis=1) / qr_every
    gamma = means.mean()
    err = means.std(ddof=1) / math.sqrt(len(means)) if len(means) > 1 else math.inf
    return float(gamma), float(err)


def _save(path, key, top, bottom, x, blocks):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez(tmp, top=top, bottom=bottom, x=x, blocks=np.asarray(blocks), key=json.dumps(key))
    tmp.replace(path)


def _load(path, key):
    path = Path(path)
    if not path.exists():
        return None
    with np.load(path) as f:
        if json.loads(str(f["key"])) != key:
            raise ValueError(
                f"{path} holds another bar ({json.loads(str(f['key']))}); choose another path"
            )
        return f["top"], f["bottom"], int(f["x"]), list(f["blocks"])
