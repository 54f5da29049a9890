"""Weak localization of a finite rectangular device: the Cooperon solved on its geometry.

HLN assumes a film much larger than l_phi. A real (or simulated) sample
between two contacts is not: the contacts are ideal reservoirs that absorb
the Cooperon (Dirichlet condition at x = 0 and x = L) and the free edges
reflect it (Neumann condition at y = 0 and y = W). When l_phi approaches the
sample size, the contacts cut off the long diffusion paths and HLN reports
an l_phi limited by the sample, not the dephasing.

The model solves the Cooperon equation on the device,

    [ -(grad - 2 i e A / hbar)^2 + l_phi^-2 ] C(r, r') = delta(r - r'),

and uses the local conductivity correction of the diffusion approximation
with the total conductance of a rectangle with uniform current (first order):

    dsigma(r) = -2 g_s alpha C(r, r)                  [e^2/h]
    dG = (1/L^2) int d^2r dsigma(r) = -(2 g_s alpha / L^2) sum_n 1/(lambda_n + l_phi^-2),

(with a contact extrapolation length z0, L -> L + 2 z0 here and in the
Cooperon's absorbing boundaries; see ``CooperonSpectrum``),

with lambda_n(B) the eigenvalues of the magnetic Laplacian (charge 2e) on
the rectangle. The normalisation is fixed by two closed-form limits, both
pinned by tests: a large film gives (W/L) times HLN, and a narrow wire
(W << l_phi) gives exactly the Texier-Montambaux result
dG = -g_s [(L_N/L) coth(L/L_N) - (L_N/L)^2]. With the transport field B_tr,
the short-path cutoff of HLN is included by subtracting the same sum with
l_phi^-2 replaced by 4 e B_tr / hbar, so the large-film limit is HLN with
its B_tr term.

The operator is discretised on a grid of spacing h (magnetic phases on the
links, Landau gauge A = -B y x_hat); it needs h well below l_phi, l_B and
the sample size. The eigenvalues depend only on B: they are computed once
per field (banded Hermitian eigensolver, a few 1000 nodes) and cached, so a fit over l_phi costs
no more than HLN.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import interpolate, linalg

from cooperon.constants import HBAR_OVER_E, LARMOR_PER_T

__all__ = [
    "MAX_FIELDS",
    "RASHBA_NODES_PER_OCTAVE",
    "CooperonSpectrum",
    "RashbaTripletSpectrum",
    "finite_film",
    "finite_film_cross_section",
    "finite_film_parallel",
    "finite_film_rashba",
    "finite_film_zeeman",
    "zero_field",
]


class CooperonSpectrum:
    """Eigenvalues [m^-2] of the Cooperon operator on a W x L rectangle.

    Parameters
    ----------
    width, length : float
        Sample width W (between the reflecting edges) and length L (between
        the contacts) [m]; the field fills this W x L region.
    extension : float
        Extrapolation length z0 [m] of the contacts: the Cooperon vanishes
        at x = -z0 and L + z0, not at the contact itself (diffusion theory
        of an ideal contact: z0 = (pi/4) l in 2D, the same z0 that makes the
        Drude resistance (L + 2 z0)/(sigma W)). The field is zero beyond
        [0, L], as in field-free leads. Default 0 (Dirichlet at the contacts).
    max_nodes : int
        Grid size limit; the spacing is about sqrt(W (L + 2 z0) / max_nodes).
    """

    def __init__(
        self, width: float, length: float, *, extension: float = 0.0, max_nodes: int = 1600
    ):
        if not (width > 0 and length > 0):
            raise ValueError(f"device needs width > 0 and length > 0 [m], got {width}, {length}")
        if not extension >= 0:
            raise ValueError(f"the contact extension z0 must be >= 0 m, got {extension}")
        if max_nodes < 16:
            raise ValueError(f"max_nodes must be >= 16, got {max_nodes}")
        self.width, self.length, self.extension = float(width), float(length), float(extension)
        #: the length between the absorbing boundaries, L + 2 z0 [m]
        self.diffusive_length = self.length + 2 * self.extension
        h = math.sqrt(width * self.diffusive_length / max_nodes)
        # at least 12 cells across: the flux-cancellation factor <y^2> = W^2/12 (1 - 1/ny^2)
        self.ny = max(12, round(width / h))
        self.nx = max(4, min(round(self.diffusive_length / h), max_nodes // self.ny) + 1)
        self.hx, self.hy = self.diffusive_length / self.nx, self.width / self.ny
        self._cache: dict[float, np.ndarray] = {}

    @property
    def spacing(self) -> float:
        """Largest grid spacing [m]."""
        return max(self.hx, self.hy)

    @property
    def nodes(self) -> int:
        return (self.nx - 1) * self.ny

    @property
    def steps(self) -> tuple[int, int]:
        """Node index steps along x and y (the shorter direction is contiguous)."""
        nxi, ny = self.nx - 1, self.ny
        return (1, nxi) if ny > nxi else (ny, 1)

    def flux_per_cell(self, b: float) -> float:
        """Cooperon phase (charge 2e) around one grid cell [rad] at field b [T]."""
        return 2 * abs(b) * self.hx * self.hy / HBAR_OVER_E

    def banded(self, b: float) -> np.ndarray:
        """The discretised -(grad - 2ieA/hbar)^2 [m^-2] in lower banded storage.

        Nodes are numbered with the shorter direction contiguous, so the band
        is min(nx - 1, ny) wide; ``ab[k, p]`` holds the element (p + k, p).
        """
        nxi, ny, hx, hy = self.nx - 1, self.ny, self.hx, self.hy
        y = (np.arange(ny) + 0.5) * hy - 0.5 * self.width
        theta = 2 * b * y * hx / HBAR_OVER_E  # phase of a full x link in row j
        # A = -B(x) y x_hat with B(x) = B on [0, L] only: each x link (node i to i + 1,
        # nodes at x = (i + 1) hx - z0) carries the fraction of it inside [0, L]
        x0 = (np.arange(nxi) + 1) * hx - self.extension
        inside = np.clip(np.minimum(x0 + hx, self.length) - np.maximum(x0, 0.0), 0.0, hx) / hx
        sx, sy = self.steps
        bw = max(sx, sy)
        n = nxi * ny
        ab = np.zeros((bw + 1, n), dtype=complex)
        i, j = np.meshgrid(np.arange(nxi), np.arange(ny), indexing="ij")
        p = i * sx + j * sy
        # x: Dirichlet at both contacts (the missing neighbours are zero)
        deg_y = np.where((j == 0) | (j == ny - 1), 1.0, 2.0) if ny > 1 else np.zeros_like(j, float)
        ab[0, p.ravel()] = (2 / hx**2 + deg_y / hy**2).ravel()
        inner = i < nxi - 1
        ab[sx, p[inner]] = -np.exp(-1j * theta[j[inner]] * inside[i[inner]]) / hx**2
        # y: Neumann (cell-centred nodes, no link through the edge)
        upper = j < ny - 1
        ab[sy, p[upper]] = -1 / hy**2
        return ab

    def operator(self, b: float) -> np.ndarray:
        """The same operator as a dense Hermitian matrix (for checks)."""
        ab = self.banded(b)
        n = ab.shape[1]
        k = np.zeros((n, n), dtype=complex)
        for d in range(ab.shape[0]):
            idx = np.arange(n - d)
            k[idx + d, idx] = ab[d, : n - d]
            if d:
                k[idx, idx + d] = np.conj(ab[d, : n - d])
        return k

    def eigenvalues(self, b: float) -> np.ndarray:
        """Sorted eigenvalues [m^-2] at field b [T] (cached; even in b)."""
        key = abs(float(b))
        if key not in self._cache:
            if self.flux_per_cell(key) > 0.5:
                raise ValueError(
                    f"field {key:.4g} T is too strong for the Cooperon grid (phase "
                    f"{self.flux_per_cell(key):.2f} rad per cell of {self.spacing * 1e9:.3g} nm); "
                    "raise max_nodes or narrow the field window"
                )
            if key == 0.0:
                # separable at zero field: the sums of the 1D spectra (Dirichlet in x,
                # cell-centred Neumann in y), exactly those of the banded operator
                lx = (2 - 2 * np.cos(np.pi * np.arange(1, self.nx) / self.nx)) / self.hx**2
                ly = (2 - 2 * np.cos(np.pi * np.arange(self.ny) / self.ny)) / self.hy**2
                self._cache[key] = np.sort((lx[:, None] + ly[None, :]).ravel())
            else:
                ab = self.banded(key)
                self._cache[key] = linalg.eig_banded(ab, lower=True, eigvals_only=True)
        return self._cache[key]

    def trace(self, b: float, mass: float) -> float:
        """int d^2r C(r, r) = sum_n 1 / (lambda_n + mass), mass in m^-2."""
        return float(np.sum(1.0 / (self.eigenvalues(b) + mass)))


#: B_so nodes of the Rashba triplet model per factor 2 in B_so (``RashbaTripletSpectrum.stencil``)
RASHBA_NODES_PER_OCTAVE = 4

#: Spin-1 matrices S_x, S_y in the basis S_z = +1, 0, -1 (the triplet Cooperon).
_S1 = (
    np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=complex) / math.sqrt(2),
    np.array([[0, -1j, 0], [1j, 0, -1j], [0, 1j, 0]]) / math.sqrt(2),
)


class RashbaTripletSpectrum:
    """Eigenvalues [m^-2] of the triplet Cooperon of a Rashba film on the device of ``spectrum``.

    With linear Rashba coupling (or Dresselhaus alone, which is equivalent) the
    spin-orbit field acts on the triplet Cooperon as a non-Abelian vector
    potential (the spin precesses at a rate proportional to the velocity):

        D^-1 H_t = (Q_x + a S_y)^2 + (Q_y - a S_x)^2,   Q = -i grad - 2 e A / hbar,

    with S the spin-1 matrices and a = 1/L_so = 2 m alpha_R / hbar^2. At Q = 0
    the three triplets relax at D a^2 (1, 1, 2), the D'yakonov-Perel rates of
    the in-plane and out-of-plane spin; the isotropic model of
    :func:`finite_film_spin_orbit` replaces them by their mean, (4/3) D a^2.
    The exact spectrum is lower: its smallest eigenvalue in an infinite film,
    (7/16) a^2 at abs(Q) = (sqrt(15)/4) a, lies below the smallest Q = 0 rate,
    so triplets live longer and weak localization persists to larger a than
    the mean suggests (the ILP theory; an isotropic fit returns a B_so several
    times too small). Discretised as the scalar operator of
    :class:`CooperonSpectrum`, with the link phases times the 3 x 3 unitaries
    exp(-i a h_x S_y) (x links) and exp(i a h_y S_x) (y links): the covariant
    lattice Laplacian, exact to O((a h)^2), with reflecting edges that keep the
    spin-orbit covariant derivative's normal component zero. In a wire narrower
    than L_so the field's transverse average is a pure gauge and only its spread
    across the width relaxes spin: the triplets relax at D a^2 (a W)^2 / 12 x
    (1/2, 1/2, 1) (the dimensional reduction of spin relaxation; pinned by a
    test). Cached per field and a.
    """

    def __init__(self, spectrum: CooperonSpectrum):
        self.base = spectrum
        self._cache: dict[tuple[float, float], np.ndarray] = {}

    def links(self, a: float) -> tuple[np.ndarray, np.ndarray]:
        """The 3 x 3 spin parts of an x link and a y link (from a node to its +x, +y neighbour)."""
        from scipy.linalg import expm

        return expm(-1j * a * self.base.hx * _S1[1]), expm(1j * a * self.base.hy * _S1[0])

    def banded(self, b: float, a: float) -> np.ndarray:
        """The discretised triplet operator [m^-2] in lower banded storage, node p spin s at 3p + s."""
        base = self.base
        scalar = base.banded(b)
        sx, sy = base.steps
        n = scalar.shape[1]
        links = dict(zip((sx, sy), self.links(a), strict=True))
        ab = np.zeros((3 * max(sx, sy) + 3, 3 * n), dtype=complex)
        for s in range(3):
            ab[0, 3 * np.arange(n) + s] = scalar[0]
        cols = 3 * np.arange(n)
        for step, u in links.items():
            for s1 in range(3):
                for s2 in range(3):
                    ab[3 * step + s1 - s2, cols + s2] = scalar[step] * u[s1, s2]
        return ab

    def eigenvalues(self, b: float, a: float) -> np.ndarray:
        """Sorted eigenvalues [m^-2] at field b [T] and a = 1/L_so [1/m] (cached; even in b)."""
        key = (abs(float(b)), abs(float(a)))
        if key not in self._cache:
            if key[1] * self.base.spacing > 0.5:
                raise ValueError(
                    f"L_so = {1e9 / key[1]:.3g} nm is not resolved by the Cooperon grid "
                    f"(spacing {self.base.spacing * 1e9:.3g} nm); raise max_nodes"
                )
            if key[1] == 0.0:
                self._cache[key] = np.repeat(self.base.eigenvalues(key[0]), 3)
            else:
                self.base.eigenvalues(key[0])  # checks the field against the grid
                ab = self.banded(key[0], key[1])
                self._cache[key] = linalg.eig_banded(ab, lower=True, eigvals_only=True)
        return self._cache[key]

    def trace(self, b: float, a: float, mass: float) -> float:
        """Sum over the triplet modes of 1 / (lambda_n + mass), mass in m^-2."""
        return float(np.sum(1.0 / (self.eigenvalues(b, a) + mass)))

    # -- B_so nodes: a fit over B_so reuses eigenvalues ----------------------------------

    @property
    def b_so_ref(self) -> float:
        """The first non-zero B_so node [T]: a = 1/L_so = 0.5 / max(W, L + 2 z0).

        Below it the traces are linear in B_so (their a^2 term; the a term has no
        spin trace) to O((a L)^4), and the nodes are B_so = 0 and this one.
        """
        a = 0.5 / max(self.base.width, self.base.diffusive_length)
        return HBAR_OVER_E * a**2 / 4

    @property
    def b_so_max(self) -> float:
        """The largest B_so node [T]: L_so stays at least twice the grid spacing."""
        k = math.floor(RASHBA_NODES_PER_OCTAVE * math.log2(self._b_so_grid_limit / self.b_so_ref))
        return self.node(k)

    @property
    def _b_so_grid_limit(self) -> float:
        return HBAR_OVER_E * (0.5 / self.base.spacing) ** 2 / 4

    def node(self, k: int) -> float:
        """The k-th B_so node [T] (k = 0: :attr:`b_so_ref`)."""
        return self.b_so_ref * 2.0 ** (k / RASHBA_NODES_PER_OCTAVE)

    def stencil(self, b_so: float) -> list[tuple[float, float]]:
        """B_so nodes [T] and weights that interpolate a quantity smooth in ln B_so at b_so.

        Nodes are ``RASHBA_NODES_PER_OCTAVE`` per factor 2 from :attr:`b_so_ref` to
        :attr:`b_so_max`; between them the weights are those of the cubic through the four
        nearest nodes in ln B_so (one node on a node), below ``b_so_ref`` linear in B_so
        from B_so = 0. Each node's eigenvalues are computed once per field, so a fit over
        B_so costs a few nodes' eigenvalues, not one set per trial value.
        """
        b_so = float(b_so)
        if not 0 <= b_so <= self.b_so_max * (1 + 1e-12):
            raise ValueError(
                f"B_so = {b_so:.4g} T is outside the Rashba model's grid (0 to "
                f"{self.b_so_max:.4g} T: L_so must span two Cooperon grid cells); raise max_nodes"
            )
        ref = self.b_so_ref
        if b_so <= ref:
            return [(0.0, 1 - b_so / ref), (ref, b_so / ref)]
        top = round(RASHBA_NODES_PER_OCTAVE * math.log2(self.b_so_max / ref))
        t = min(RASHBA_NODES_PER_OCTAVE * math.log2(b_so / ref), float(top))
        if abs(t - round(t)) < 1e-9:
            return [(self.node(round(t)), 1.0)]
        k0 = min(max(math.floor(t) - 1, 0), max(top - 3, 0))
        ks = range(k0, min(k0 + 4, top + 1))
        out = []
        for k in ks:
            w = math.prod((t - j) / (k - j) for j in ks if j != k)
            out.append((self.node(k), w))
        return out


def finite_film_rashba(b, l_phi, b_so, *, triplets: RashbaTripletSpectrum, g_s, b_tr=None,
                       exact=False):  # fmt: skip
    """G(B) - G(0) [e^2/h] of a finite Rashba film: the triplets of :class:`RashbaTripletSpectrum`.

        dG(B) = -(2 g_s / L^2) [(1/2) Tr_t 1/(H_t + l_phi^-2) - (1/2) Tr 1/(H + l_phi^-2)
                                - (same with l_phi^-2 -> l_tr^-2)]

    minus its zero-field value, with H the scalar Cooperon (the singlet) and
    B_so = hbar a^2 / (4 e): the D'yakonov-Perel B_so of
    ``devices.spin.dyakonov_perel_lattice_b_so``, so that the Q = 0 triplet
    rates are (1, 1, 2) x 4 e B_so / hbar and their mean that of
    :func:`finite_film_spin_orbit` at the same B_so. B_so = 0 is
    :func:`finite_film` with alpha = 1.

    By default the curve is interpolated between the B_so nodes of
    :meth:`RashbaTripletSpectrum.stencil` (exact on a node; a fit then reuses
    the nodes' eigenvalues); ``exact=True`` solves the triplets at b_so itself.
    """
    if not exact:
        return sum(w * finite_film_rashba(b, l_phi, node, triplets=triplets, g_s=g_s, b_tr=b_tr,
                                          exact=True)
                   for node, w in triplets.stencil(b_so) if w != 0.0)  # fmt: skip
    spectrum = triplets.base
    a = math.sqrt(4 * b_so / HBAR_OVER_E)
    m_phi = 1.0 / l_phi**2
    m_tr = None if b_tr is None else 4 * b_tr / HBAR_OVER_E
    pref = -2 * g_s / spectrum.diffusive_length**2

    def dg(field):
        t = 0.5 * triplets.trace(field, a, m_phi) - 0.5 * spectrum.trace(field, m_phi)
        if m_tr is not None:
            t -= 0.5 * triplets.trace(field, a, m_tr) - 0.5 * spectrum.trace(field, m_tr)
        return pref * t

    return _even_curve(dg, b)


MAX_FIELDS = 48


def finite_film(b, l_phi, alpha=1.0, *, spectrum: CooperonSpectrum, g_s, b_tr=None):
    """G(B) - G(0) [e^2/h] of a finite W x L device (contacts absorb, edges reflect).

        dG(B) = -(2 g_s alpha / L^2) sum_n [1/(lambda_n(B) + l_phi^-2) - (same at l_tr)]

    minus its zero-field value, l_tr^-2 = 4 e B_tr / hbar (omitted without
    b_tr). With more than ``MAX_FIELDS`` distinct abs(B) (a measured trace, a
    plot) the curve is computed on that many fields spaced evenly up to max abs(B)
    and interpolated (cubic spline, zero slope at B = 0; even in B).
    """
    b = np.asarray(b, dtype=float)
    m_phi = 1.0 / l_phi**2
    m_tr = None if b_tr is None else 4 * b_tr / HBAR_OVER_E
    pref = -2 * g_s * alpha / spectrum.diffusive_length**2

    def dg(field):
        t = spectrum.trace(field, m_phi)
        if m_tr is not None:
            t -= spectrum.trace(field, m_tr)
        return pref * t

    return _even_curve(dg, b)


def finite_film_spin_orbit(b, l_phi, b_so, *, spectrum: CooperonSpectrum, g_s, b_tr=None):
    """G(B) - G(0) [e^2/h] of a finite W x L device with spin-orbit scattering (HLN on the device).

        dG(B) = -(2 g_s / L^2) sum_n [(3/2) / (lambda_n + l_phi^-2 + l_so^-2)
                                      - (1/2) / (lambda_n + l_phi^-2) - 1 / (lambda_n + l_tr^-2)]

    minus its zero-field value: one singlet (weight -1/2) and three triplet
    Cooperons (3/2) that also relax by spin-orbit scattering, with
    l_so^-2 = (4/3) 4 e B_so / hbar (the triplet field B_phi + (4/3) B_so of
    :func:`fits.lineshapes.hln_spin_orbit`, capped at B_tr). B_so = 0 is
    :func:`finite_film` with alpha = 1; B_so >> B_phi, alpha = -1/2. For
    W, L >> l_phi it tends to (W/L) ``hln_spin_orbit``.
    """
    m_phi = 1.0 / l_phi**2
    m_tr = None if b_tr is None else 4 * b_tr / HBAR_OVER_E
    m_t = m_phi + (4 / 3) * 4 * b_so / HBAR_OVER_E
    if m_tr is not None:
        m_t = min(m_t, m_tr)
    pref = -2 * g_s / spectrum.diffusive_length**2

    def dg(field):
        t = 1.5 * spectrum.trace(field, m_t) - 0.5 * spectrum.trace(field, m_phi)
        if m_tr is not None:
            t -= spectrum.trace(field, m_tr)
        return pref * t

    return _even_curve(dg, b)


def finite_film_zeeman(b, l_phi, b_so, *, g_factor, diffusion, spectrum: CooperonSpectrum, g_s,
                       b_tr=None):  # fmt: skip
    """G(B) - G(0) [e^2/h] of a single-layer spin-orbit film in an in-plane field: Zeeman only.

    A single layer has no orbital response to an in-plane field B; its spin
    does. The Zeeman term (g mu_B / 2) B . sigma of the two time-reversed
    paths mixes the singlet Cooperon with the triplet whose spin lies along B
    (Maekawa and Fukuyama 1981), with the mass

        m_Z = omega_Z / D,   omega_Z = abs(g) mu_B B / hbar,

    and the singlet-triplet block of the Cooperon is
    [[lambda_n + m_phi, i m_Z], [i m_Z, lambda_n + m_1]]. Its weighted trace
    (singlet -1/2, triplet +1/2) is real,

        (m_phi - m_1) / (2 [(lambda_n + m_phi)(lambda_n + m_1) + m_Z^2]),

    so that for m_Z << m_1 - m_phi the singlet relaxes at the extra rate
    omega_Z^2 tau_so: the antilocalization peak falls as B^2. The triplets
    relax as D'yakonov-Perel spin relaxation with Rashba (or Dresselhaus)
    coupling alone: in-plane at 1/tau_so, out of plane at 2/tau_so, with
    B_so = hbar / (4 e D tau_so) (the convention of
    ``devices.spin.dyakonov_perel_lattice_b_so``), masses
    m_1 = m_phi + 4 e B_so / hbar and m_2 = m_phi + 8 e B_so / hbar (each
    capped at the transport mass 4 e B_tr / hbar). Their mean rate,
    (1 + 1 + 2)/3 = 4/3 of 1/tau_so, is the triplet rate of
    :func:`finite_film_spin_orbit`. At B = 0::

        dG = -(2 g_s / L^2) sum_n [(1/2)/(lambda_n + m_1) + (1/2)/(lambda_n + m_1)
                                   + (1/2)/(lambda_n + m_2) - (1/2)/(lambda_n + m_phi)
                                   - 1/(lambda_n + m_tr)],

    on the zero-field spectrum of the device (the field is in-plane). The
    Zeeman shift of the band (a classical change of G) is not included; fit
    with ``background=True`` when it matters.

    Parameters: l_phi [m], b_so [T], g_factor (the g factor, sign
    irrelevant), diffusion D [m^2/s]; b in T (even in B).
    """
    lam = spectrum.eigenvalues(0.0)
    m_phi = 1.0 / l_phi**2
    m_tr = None if b_tr is None else 4 * b_tr / HBAR_OVER_E
    m_1 = m_phi + 4 * b_so / HBAR_OVER_E
    m_2 = m_phi + 8 * b_so / HBAR_OVER_E
    if m_tr is not None:
        m_1, m_2 = min(m_1, m_tr), min(m_2, m_tr)
    pref = -2 * g_s / spectrum.diffusive_length**2
    triplets = float(np.sum(0.5 / (lam + m_1) + 0.5 / (lam + m_2)))
    if m_tr is not None:
        triplets -= spectrum.trace(0.0, m_tr)
    larmor = abs(g_factor) * LARMOR_PER_T / diffusion  # m_Z per tesla [m^-2 T^-1]

    def dg(field):
        m_z = larmor * field
        mixed = (m_phi - m_1) / (2 * ((lam + m_phi) * (lam + m_1) + m_z**2))
        return pref * (float(np.sum(mixed)) + triplets)

    return _even_curve(dg, np.asarray(b, dtype=float))


def zero_field(l_phi, alpha=1.0, *, spectrum: CooperonSpectrum, g_s, b_tr=None) -> float:
    """The weak-localization correction G_WL(B = 0) [e^2/h] of the device itself, not a difference.

        G_WL = -(2 g_s alpha / L^2) sum_n [1/(lambda_n(0) + l_phi^-2) - (same at l_tr)]

    Its change with l_phi is the zero-field conductance change on cooling; for
    a large film, (W/L) (alpha g_s / 2 pi) ln(l_phi^2 / l_tr^2) as in HLN.
    """
    pref = -2 * g_s * alpha / spectrum.diffusive_length**2
    t = spectrum.trace(0.0, 1.0 / l_phi**2)
    if b_tr is not None:
        t -= spectrum.trace(0.0, 4 * b_tr / HBAR_OVER_E)
    return pref * t


def _even_curve(dg, b):
    """dg(abs(B)) - dg(0) at the fields b, with one eigenproblem per distinct abs(B).

    Beyond ``MAX_FIELDS`` distinct abs(B) (a measured trace, a plot) the curve is
    computed on that many fields up to max abs(B) and interpolated (cubic
    spline, zero slope at B = 0).
    """
    g0 = dg(0.0)
    mag = np.abs(b.ravel())
    fields = np.unique(mag)
    if len(fields) <= MAX_FIELDS:
        values = {x: dg(x) - g0 for x in fields}
        return np.array([values[x] for x in mag]).reshape(b.shape)
    grid = np.linspace(0.0, fields[-1], MAX_FIELDS)
    spline = interpolate.CubicSpline(
        grid, [dg(x) - g0 for x in grid], bc_type=((1, 0.0), "not-a-knot")
    )
    return spline(mag).reshape(b.shape)


def finite_film_parallel(
    b, l_phi, alpha=1.0, *, spectrum: CooperonSpectrum, g_s, thickness, reduction=1.0
):
    """G(B||) - G(0) [e^2/h] of a finite W x L film of thickness d in an in-plane field.

    The in-plane field adds a uniform mass to the Cooperon,
    l_B||^-2 = (e d B / hbar)^2 / 3 (l << d << l_phi; a lattice slab of N_z
    layers has d = a sqrt(N_z^2 - 1)), so on the device at zero
    perpendicular field

        dG(B) = -(2 g_s alpha / L^2) sum_n [1/(lambda_n + l_phi^-2 + l_B||^-2)
                                            - 1/(lambda_n + l_phi^-2)].

    For W, L >> l_phi it tends to (W/L) alpha (g_s/2)(1/pi) ln(1 + (B/B*)^2),
    B* = sqrt(3) hbar/(e d l_phi) (``lineshapes.parallel_field``). ``reduction``
    multiplies the mass (the flux cancellation of a film with l ~ d,
    ``lineshapes.flux_cancellation``; 1 in the dirty limit).
    """
    if not thickness > 0:
        raise ValueError(f"film thickness must be > 0 m, got {thickness}")
    if not 0 < reduction <= 1:
        raise ValueError(f"the mass reduction must be in (0, 1], got {reduction}")
    b = np.asarray(b, dtype=float)
    lam = spectrum.eigenvalues(0.0)
    m_phi = 1.0 / l_phi**2
    m_b = reduction * (thickness * b.ravel() / HBAR_OVER_E) ** 2 / 3.0
    t = np.sum(1.0 / (lam[None, :] + m_phi + m_b[:, None]), axis=1)
    t0 = np.sum(1.0 / (lam + m_phi))
    pref = -2 * g_s * alpha / spectrum.diffusive_length**2
    return (pref * (t - t0)).reshape(b.shape)


def finite_film_cross_section(
    b, l_phi, alpha=1.0, *, strip: CooperonSpectrum, width, g_s, reduction=1.0, y_modes=256
):
    """G(B||) - G(0) [e^2/h] of a W x L film of thickness d, the Cooperon solved across d.

    The in-plane field B along y (across the current) couples the motion
    along the current (x) and across the film (z). Instead of the uniform
    mass (e d B / hbar)^2 / 3 of :func:`finite_film_parallel`, the magnetic
    Laplacian is solved on the x-z cross-section, ``strip`` (a
    :class:`CooperonSpectrum` of width d and length L: contacts absorbing z0
    beyond the ends, surfaces reflecting, the field zero beyond [0, L]), and
    the free modes across the width W (reflecting edges, k_m = pi m / W,
    m < ``y_modes``) are added:

        dG(B) = -(2 g_s alpha / L^2) sum_{n, m} [1/(lambda_n(B) + k_m^2 + l_phi^-2) - (B = 0)].

    The z-excited modes of the strip are kept (they give the 3D trace the
    same prefactor as the film's). The difference from the uniform mass is
    the coupling of the Cooperon's gradient along x to its position across
    the film: for a wire (W << l_phi) much longer than l_phi the low-field
    response is 1 - (2/5)(d / l_phi)^2 of the uniform mass's (second-order
    perturbation theory; pinned by a test), and with the contacts closer
    than l_phi the lowest mode's k = pi/(L + 2 z0) plays the part of
    1/l_phi. ``reduction`` scales the field's coupling, B -> sqrt(reduction) B,
    so that the low-field mass is reduced by it (flux cancellation; 1 in
    the dirty limit). The field is also scaled by (1 - 1/n_z^2)^(-1/2) for
    the strip's n_z grid cells across d, whose <z^2> is short of d^2/12 by
    that factor. More than ``MAX_FIELDS`` distinct abs(B) are interpolated, as
    in :func:`finite_film`.
    """
    if not width > 0:
        raise ValueError(f"film width must be > 0 m, got {width}")
    if not 0 < reduction <= 1:
        raise ValueError(f"the mass reduction must be in (0, 1], got {reduction}")
    b = np.asarray(b, dtype=float)
    k2 = (np.pi * np.arange(int(y_modes)) / width) ** 2
    m_phi = 1.0 / l_phi**2
    # the strip's cell-centred grid has <z^2> = d^2/12 (1 - 1/n_z^2): restore d^2/12
    scale = math.sqrt(reduction / (1 - 1 / strip.ny**2))

    pref = -2 * g_s * alpha / strip.diffusive_length**2

    def dg(field):
        lam = strip.eigenvalues(scale * field)
        return pref * float(np.sum(1.0 / (lam[:, None] + k2[None, :] + m_phi)))

    return _even_curve(dg, b)
