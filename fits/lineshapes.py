"""Weak-localization line shapes: pure numpy functions of field, with formulas.

Conventions (``../shared/reference/physics.md``):

- Conductances are in e^2/h. ``g_s`` is the spin degeneracy of the sample
  (2: spin-degenerate, 1: spinless, e.g. a spinless simulation, whose
  conductance is per spin). It is always an explicit argument.
- Sign: ``alpha = +1`` is weak localization (orthogonal class, positive
  magnetoconductance), ``alpha = -1/2`` strong spin-orbit (weak
  antilocalization), 0 unitary. The topological-insulator literature writes
  -alpha e^2/(pi h) F with alpha = +1/2 for WAL; here it is +alpha with -1/2.
- Fields in tesla; characteristic fields B_x = hbar / (4 e l_x^2).
- Every function returns the magnetoconductance relative to zero field,
  dsigma(B) = sigma(B) - sigma(0), even in B.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import special

from cooperon.constants import HBAR_OVER_E

__all__ = [
    "F",
    "b_from_length",
    "flux_cancellation",
    "graphene",
    "graphene_spin_orbit",
    "hln",
    "hln_spin_orbit",
    "ilp_rashba",
    "length_from_b",
    "parallel_field",
    "rashba_triplet_continuum",
    "time_from_b",
    "wire",
    "wire_finite",
]


def F(x):
    """F(x) = psi(1/2 + x) - ln(x), the HLN function of x = B_phi / B.

    Limits: F(x) = 1/(24 x^2) - 7/(960 x^4) + 31/(8064 x^6) - ... for x >> 1
    (used for x > 30, where the direct difference loses digits to
    cancellation), and F(x) -> ln(1/x) - gamma_E - 2 ln 2 = ln(1/x) - 1.9635
    for x << 1. F(inf) = 0 (zero field).
    """
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    big = x > 30
    small = (x > 0) & ~big
    xs = x[small]
    out[small] = special.digamma(0.5 + xs) - np.log(xs)
    u = 1.0 / x[big] ** 2
    out[big] = u * (1 / 24 + u * (-7 / 960 + u * (31 / 8064 + u * (-127 / 30720))))
    if np.any(x <= 0):
        raise ValueError("F(x) needs x = B_phi/B > 0")
    return out


def _x(b_char, b):
    """B_char / abs(B) with B = 0 mapped to +inf (F = 0)."""
    b = np.abs(np.asarray(b, dtype=float))
    with np.errstate(divide="ignore"):
        return np.where(b > 0, b_char / np.where(b > 0, b, 1.0), np.inf)


def _F0(x):
    """F that accepts x = inf (zero field) and returns 0 there."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    finite = np.isfinite(x)
    out[finite] = F(x[finite])
    return out


def hln(b, b_phi, alpha=1.0, *, g_s, b_tr=None):
    """Hikami-Larkin-Nagaoka magnetoconductance of a 2D film [e^2/h].

        dsigma(B) = alpha * g_s/2 * (1/pi) * F(B_phi/B)

    and, with the transport field B_tr = hbar/(2 e l^2) (finite-l correction),

        dsigma(B) = alpha * g_s/2 * (1/pi) * [F(B_phi/B) - F(B_tr/B)].

    Parameters
    ----------
    b : array_like
        Perpendicular field [T].
    b_phi : float
        Dephasing field hbar/(4 e l_phi^2) [T].
    alpha : float
        Prefactor: 1 WL, -1/2 WAL (see module docstring).
    g_s : {1, 2}
        Spin degeneracy of the conductance.
    b_tr : float, optional
        Transport field [T].
    """
    pre = alpha * g_s / 2 / np.pi
    out = pre * _F0(_x(b_phi, b))
    if b_tr is not None:
        out = out - pre * _F0(_x(b_tr, b))
    return out


def hln_spin_orbit(b, b_phi, b_so, *, g_s, b_tr=None):
    """HLN with spin-orbit scattering (no Zeeman) [e^2/h].

        dsigma(B) = g_s/2 * (1/pi) * [ (3/2) F((B_phi + (4/3) B_so)/B) - (1/2) F(B_phi/B) ]

    and, with the transport field B_tr (finite-l correction, as in
    :func:`hln`, each Cooperon cut off at B_tr), each F(B_x/B) becomes
    F(B_x/B) - F(B_tr/B), with the triplet field capped at B_tr (a triplet
    that relaxes within one scattering time contributes nothing).

    with B_so = hbar/(4 e D tau_so) (the definition of tau_so for which the
    triplet field is B_phi + (4/3) B_so, as in Knap et al., PRB 53, 3912
    (1996), eq. 38 without the cubic terms). B_so = 0 gives WL (alpha = 1),
    B_so >> B_phi gives WAL (alpha = -1/2).
    """
    pre = g_s / 2 / np.pi
    b_t = b_phi + 4 * b_so / 3
    if b_tr is not None:
        b_t = min(b_t, b_tr)
    out = pre * (1.5 * _F0(_x(b_t, b)) - 0.5 * _F0(_x(b_phi, b)))
    if b_tr is not None:
        out = out - pre * _F0(_x(b_tr, b))
    return out


#: Landau-level blocks summed exactly in :func:`ilp_rashba`: at least ILP_LEVELS, and enough
#: that they reach ILP_REACH x B_phi (at most ILP_MAX_LEVELS, so fields below B_phi / 200,
#: where the curve is below 1e-4 of its scale, are computed to about 1e-3 of their value).
#: Beyond them the sum is replaced by the continuum's integral; the difference,
#: O(1/levels^2), is extrapolated away (pinned by the test against the digamma form of HLN).
ILP_LEVELS = 400
ILP_REACH = 100.0
ILP_MAX_LEVELS = 20_000


def rashba_triplet_continuum(x, b_so):
    """The three triplet eigenvalues [T] of a Rashba film at zero field, wavevector Q^2 = x.

    In field units (a Cooperon mass m [m^-2] is the field hbar m / (4 e)): Q^2 -> x and
    a^2 = 1/L_so^2 -> B_so, so D^-1 H_t = (Q_x + a S_y)^2 + (Q_y - a S_x)^2 has the
    eigenvalues x + B_so and x + 3 B_so / 2 +- sqrt(B_so^2 / 4 + 4 B_so x): (1, 1, 2) B_so
    at Q = 0 and the slow mode 7 B_so / 16 at x = 15 B_so / 16.
    """
    x = np.asarray(x, dtype=float)
    r = np.sqrt(0.25 * b_so**2 + 4 * b_so * x)
    return x + b_so, x + 1.5 * b_so + r, x + 1.5 * b_so - r


@functools.lru_cache(maxsize=128)
def _ilp_levels(field, b_so, levels):
    """Triplet and singlet Cooperon levels [T] of a Rashba film in a field (both in field units).

    The spin-orbit term couples Landau level N, spin m to N +- 1, m -+ 1, so J = N + m is
    conserved: blocks (J - 1, +1), (J, 0), (J + 1, -1) for J >= 1, and the partial blocks
    J = 0 (2 states) and J = -1 (1 state).
    """
    j = np.arange(1, levels + 1, dtype=float)
    m = np.zeros((levels, 3, 3))
    m[:, 0, 0] = field * (j - 0.5) + b_so
    m[:, 1, 1] = field * (j + 0.5) + 2 * b_so
    m[:, 2, 2] = field * (j + 1.5) + b_so
    m[:, 0, 1] = m[:, 1, 0] = np.sqrt(2 * b_so * field * j)
    m[:, 1, 2] = m[:, 2, 1] = np.sqrt(2 * b_so * field * (j + 1))
    c = np.sqrt(2 * b_so * field)
    j0 = np.linalg.eigvalsh(np.array([[0.5 * field + 2 * b_so, c], [c, 1.5 * field + b_so]]))
    triplet = np.concatenate([[0.5 * field + b_so], j0, np.linalg.eigvalsh(m).ravel()])
    singlet = field * (np.arange(levels + 1) + 0.5)
    return triplet, singlet


def _ilp_continuum_integral(x0, b_so, mass):
    """int_0^x0 dx [(1/2) sum_t 1 / (lambda_t(x) + mass) - (1/2) / (x + mass)], in closed form.

    The two coupled triplets give (x + c)^2 - r^2 = x^2 + 2 p x + q with c = 3 B_so / 2 + m,
    p = c - 2 B_so, q = c^2 - B_so^2 / 4, whose integral is a logarithm and an arctangent.
    """
    s, m = b_so, mass
    out = 0.5 * np.log((x0 + s + m) / (s + m)) - 0.5 * np.log((x0 + m) / m)
    c = 1.5 * s + m
    p, q = c - 2 * s, c * c - 0.25 * s * s
    out += 0.5 * np.log((x0 * x0 + 2 * p * x0 + q) / q)
    if s > 0:
        root = np.sqrt(q - p * p)  # (7/4) s^2 + 4 s m > 0
        out += 2 * s / root * (np.arctan((x0 + p) / root) - np.arctan(p / root))
    return out


def ilp_rashba(b, b_phi, b_so, *, g_s, b_tr=None):
    """Weak (anti)localization of a 2D film with linear Rashba (or Dresselhaus) coupling [e^2/h].

    The Iordanskii-Lyanda-Geller-Pikus theory for a spin-orbit field linear in k: the
    triplet Cooperon carries it as a vector potential, D^-1 H_t = (Q_x + a S_y)^2 +
    (Q_y - a S_x)^2 with B_so = hbar a^2 / (4 e) = hbar / (4 e L_so^2) (the convention of
    ``fits.finite.finite_film_rashba`` and ``devices.spin.dyakonov_perel_lattice_b_so``). In
    a field the blocks of conserved J = N + m (:func:`_ilp_levels`) are diagonalised; with
    the singlet's Landau levels B (N + 1/2) and the level degeneracy,

        dsigma(B) = -(g_s / 2 pi) [B sum_levels w / (lambda + B_phi) - (B = 0: the integral
                    over the continuum, :func:`rashba_triplet_continuum`)]

    with weights w = 1/2 (triplets) and -1/2 (singlet), minus the same with B_phi -> B_tr
    when b_tr is given. The blocks are summed up to k = ``ILP_REACH`` x B_phi / B (at least
    ``ILP_LEVELS``, at most ``ILP_MAX_LEVELS``); beyond, sum and integral differ by
    O(1/k^2), which is removed by extrapolating from k and 2 k. B_so = 0 is :func:`hln`
    with alpha = 1 (its digamma function); B_so >> B_tr leaves the singlet, alpha = -1/2.
    Unlike the isotropic :func:`hln_spin_orbit` (triplet field B_phi + (4/3) B_so), it has
    the triplets' slow mode, 7 B_so / 16 at finite Q, so its B_so is the one to compare
    with D'yakonov-Perel's. Fields in tesla.
    """
    b = np.asarray(b, dtype=float)
    if not (b_phi > 0 and b_so >= 0):
        raise ValueError(f"ILP needs B_phi > 0 and B_so >= 0 [T], got {b_phi}, {b_so}")
    masses = [(b_phi, 1.0)] + ([(b_tr, -1.0)] if b_tr is not None else [])

    def one(field):
        if field == 0.0:
            return 0.0
        # levels in powers of 2 x ILP_LEVELS, so that fits over B_phi reuse them (cached)
        need = max(1.0, ILP_REACH * b_phi / (field * ILP_LEVELS))
        n = min(ILP_LEVELS * 2 ** math.ceil(math.log2(need)), ILP_MAX_LEVELS)
        trip, sing = _ilp_levels(float(field), float(b_so), 2 * n)
        t = {}
        for k in (n, 2 * n):  # blocks J = -1 .. k: 3 (k + 1) triplets, k + 1 singlets
            x0 = field * (k + 1)
            t[k] = 0.0
            for mass, sign in masses:
                levels = 0.5 * np.sum(1 / (trip[: 3 * (k + 1)] + mass))
                levels -= 0.5 * np.sum(1 / (sing[: k + 1] + mass))
                t[k] += sign * (field * levels - _ilp_continuum_integral(x0, b_so, mass))
        # the remainder falls as 1/k^2 (Euler-Maclaurin): extrapolate from k = n and 2 n
        return -g_s / (2 * np.pi) * (4 * t[2 * n] - t[n]) / 3

    mag = np.abs(b.ravel())
    values = {x: one(x) for x in np.unique(mag)}
    return np.array([values[x] for x in mag]).reshape(b.shape)


def _wire_dg(b, l_phi, width, length, ell):
    b = np.abs(np.asarray(b, dtype=float))
    inv_lb2 = (b * width / (np.sqrt(3) * HBAR_OVER_E)) ** 2  # l_B = sqrt(3) hbar/(e W B)
    a = 1 / l_phi**2 + inv_lb2
    out = a ** (-0.5)
    if ell is not None:
        out = out - (a + 1 / ell**2) ** (-0.5)
    return -out / length


def wire(b, l_phi, *, width, length, g_s, ell=None):
    """Quasi-1D wire (W < l_phi), dirty limit, magnetoconductance [e^2/h].

        dG(B) = -(g_s/L) [ (l_phi^-2 + l_B^-2)^(-1/2) - (l_phi^-2 + l_B^-2 + l^-2)^(-1/2) ],
        l_B = sqrt(3) hbar / (e W B),

    returned as G(B) - G(0) (Altshuler-Aronov; Beenakker-van Houten).

    Parameters
    ----------
    b : array_like
        Perpendicular field [T].
    l_phi, width, length : float
        Phase-coherence length, wire width and length [m].
    ell : float, optional
        Mean free path [m]; omitted, the l^-2 term is dropped (l << l_phi).
    """
    return g_s * (_wire_dg(b, l_phi, width, length, ell) - _wire_dg(0.0, l_phi, width, length, ell))


def _tm(x):
    """(1/x) coth(x) - 1/x^2 for x = L/L_N, with its series 1/3 - x^2/45 + 2 x^4/945 at small x."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    small = x < 1e-2
    xs = x[small]
    out[small] = 1 / 3 - xs**2 / 45 + 2 * xs**4 / 945
    xl = x[~small]
    out[~small] = 1 / (xl * np.tanh(xl)) - 1 / xl**2
    return out


def wire_finite(b, l_phi, *, width, length, g_s):
    """Wire between ideal reservoirs (Texier-Montambaux 2004), G(B) - G(0) [e^2/h].

        dG = -g_s [ (L_N/L) coth(L/L_N) - (L_N/L)^2 ],   L_N^-2 = l_phi^-2 + l_B^-2,

    which tends to -g_s L_N/L for L >> L_N and to -g_s/3 (the random-matrix
    value per spin) for L << L_N.
    """

    def dg(bb):
        bb = np.abs(np.asarray(bb, dtype=float))
        inv_lb2 = (bb * width / (np.sqrt(3) * HBAR_OVER_E)) ** 2
        l_n = (1 / l_phi**2 + inv_lb2) ** -0.5
        return -g_s * _tm(length / l_n)

    return dg(b) - dg(0.0)


def parallel_field(b, b_star, alpha=1.0, *, g_s):
    """Thin film (l << d << l_phi) in a parallel field [e^2/h].

        dsigma(B) = alpha * g_s/2 * (1/pi) * ln(1 + (B/B*)^2),
        B* = sqrt(3) hbar / (e d l_phi),

    from the extra dephasing rate 1/tau_B = D e^2 B^2 d^2 / (3 hbar^2).
    """
    b = np.asarray(b, dtype=float)
    return alpha * g_s / 2 / np.pi * np.log1p((b / b_star) ** 2)


def flux_cancellation(ratio, *, dim):
    """Quasi-ballistic reduction of the field's Cooperon mass in a film or a wire.

    The dirty-limit masses, (e d B / hbar)^2 / 3 for a film of thickness d in
    an in-plane field and (e W B / hbar)^2 / 3 for a wire of width W in a
    perpendicular field, assume that the electron's position across the
    film (wire) does not change during a free flight. When the mean free
    path l is not small against d (W), a flight that crosses the sample
    encloses flux of both signs, which cancels (Beenakker and van Houten,
    Phys. Rev. B 38, 3232 (1988)). The weak-field mass is multiplied by

        c(r) = sum_{n odd} 96 / (pi^4 n^4) K(n pi r),   r = l / d (or l / W),

    K(a) = (3/2) [(1 + 1/a^2) arctan(a) / a - 1/a^2]     (dim = 3: film),
    K(a) = 2 [sqrt(1 + a^2) - 1] / a^2                   (dim = 2: wire),

    for specular surfaces, isotropic scattering with the time l / v_F between
    collisions and an isotropic Fermi surface: the phase's variance grows at
    the rate set by the correlation of (z - d/2) v_x, of which only the
    unscattered part of a flight survives, and the Fourier series of the
    bounce motion across the sample gives the sum. Limits (pinned by tests):
    c = 1 - 2.4 r^2 (film) and 1 - 3 r^2 (wire) for l << d; for l >> W the
    wire's rate tends to Beenakker and van Houten's weak-field
    tau_B = C1 l_m^4 / (W^3 v_F) with C1 = 9.52 (their 9.5, specular), the
    film's to c = 0.742 d / l. Weak field only: the cyclotron motion is
    neglected during a flight (l_m^2 >> l d). Diffuse surfaces cancel
    differently (not modelled).

    Parameters
    ----------
    ratio : float or array_like
        l / d (film) or l / W (wire), >= 0.
    dim : {2, 3}
        3: film in an in-plane field; 2: wire in a perpendicular field.
    """
    r = np.asarray(ratio, dtype=float)
    if dim not in (2, 3):
        raise ValueError(
            f"dim is 3 (film, in-plane field) or 2 (wire, perpendicular field), got {dim!r}"
        )
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError(f"the ratio l / d must be finite and >= 0, got {ratio!r}")
    n = np.arange(1, 4001, 2, dtype=float)
    a = np.pi * n[:, None] * r.ravel()[None, :]
    small = a < 1e-3
    a_safe = np.where(small, 1.0, a)
    if dim == 3:
        k = 1.5 * ((1 + 1 / a_safe**2) * np.arctan(a_safe) / a_safe - 1 / a_safe**2)
        k = np.where(small, 1 - a**2 / 5, k)
    else:
        k = 2 * (np.sqrt(1 + a_safe**2) - 1) / a_safe**2
        k = np.where(small, 1 - a**2 / 4, k)
    c = np.sum(96 / (np.pi**4 * n[:, None] ** 4) * k, axis=0)
    # the odd terms beyond n = 3999: sum 96/(pi^4 n^4) K <= their weight, ~1e-11
    return c.reshape(r.shape) if r.ndim else float(c[0])


def graphene(b, b_phi, b_i, b_star):
    """Weak localization of monolayer graphene (McCann et al., PRL 97, 146805 (2006)) [e^2/h].

        dsigma(B) = (1/pi) [F(B_phi/B) - F((B_phi + 2 B_i)/B) - 2 F((B_phi + B_i + B_*)/B)]

    with the HLN function F of this module (F(B_x/B) is McCann's
    F(B/B_x) = ln(B/B_x) + psi(1/2 + B_x/B)), B_x = hbar/(4 e D tau_x):
    B_phi dephasing, B_i intervalley scattering, B_* intravalley
    chirality-breaking scattering (trigonal warping, short-range disorder).
    The prefactor e^2/(pi h) counts spin and valley (g_s g_v = 4): for fast
    intervalley and intravalley scattering the formula tends to the HLN
    weak localization of a spin-degenerate film (alpha = 1, g_s = 2).
    """
    return (
        _F0(_x(b_phi, b)) - _F0(_x(b_phi + 2 * b_i, b)) - 2 * _F0(_x(b_phi + b_i + b_star, b))
    ) / np.pi


def graphene_spin_orbit(b, b_phi, b_asy, b_so):
    """Graphene with spin-orbit coupling, fast intervalley scattering [e^2/h].

    McCann and Fal'ko, PRL 108, 166606 (2012):

        dsigma(B) = -(1/(2 pi)) [F(B_phi/B) - F((B_phi + 2 B_asy)/B) - 2 F((B_phi + B_so)/B)]

    with 1/tau_so = 1/tau_sym + 1/tau_asy (z -> -z symmetric and asymmetric
    spin-orbit relaxation) and B_x = hbar/(4 e D tau_x). Limits (pinned by
    tests): B_asy = B_so = 0 gives graphene weak localization (1/pi) F(B_phi/B);
    B_asy, B_so >> B, B_phi give antilocalization -(1/(2 pi)) F(B_phi/B)
    (HLN with alpha = -1/2, g_s = 2).
    """
    return -(_F0(_x(b_phi, b)) - _F0(_x(b_phi + 2 * b_asy, b)) - 2 * _F0(_x(b_phi + b_so, b))) / (
        2 * np.pi
    )


def b_from_length(length_m):
    """Characteristic field hbar/(4 e l^2) [T] of a length [m]."""
    return HBAR_OVER_E / (4 * np.asarray(length_m, dtype=float) ** 2)


def length_from_b(b_tesla):
    """Inverse of :func:`b_from_length`: l = sqrt(hbar/(4 e B)) [m]."""
    return np.sqrt(HBAR_OVER_E / (4 * np.asarray(b_tesla, dtype=float)))


def time_from_b(b_tesla, diffusion):
    """Relaxation time tau_x = hbar / (4 e D B_x) [s] of a characteristic field [T], D [m^2/s]."""
    return HBAR_OVER_E / (4 * diffusion * np.asarray(b_tesla, dtype=float))
