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
    "length_from_b",
    "parallel_field",
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
