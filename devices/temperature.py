"""Temperature: the dephasing law tau_phi(T) and the thermal smearing of the Fermi window.

A Landauer simulation is at zero temperature; temperature enters it twice.

- Through the phase-coherence time: cooling lengthens tau_phi, and weak
  localization grows with it. :class:`DephasingLaw` gives

      tau_phi(T) = tau_0 (T / T_ref)^(-p),   optionally 1/tau_phi + 1/tau_sat,

  with p = 1 for electron-electron dephasing in 2D; :meth:`DephasingLaw.aak`
  takes tau_0 from the Altshuler-Aronov-Khmelnitsky rate of the film's
  sheet resistance. The simulation imposes tau_phi(T) with the dephasing
  models of :meth:`devices.Device.params`.
- Through the Fermi window: G(T) = integral G(E) (-df/dE) dE.
  :func:`thermal_grid` chooses the energies (spacing below the Thouless
  energy, the correlation scale of G(E), and below k_B T; a window of
  +-``window`` k_B T) and :func:`fermi_weights` their weights. Smearing
  averages the conductance fluctuations over about k_B T / E_Th independent
  energies (:func:`ucf_smearing_factor`: one loop, for a wire); it leaves
  the ensemble mean of the weak-localization correction unchanged while
  k_B T << E_F.

A Landauer simulation has no electron-electron interaction: the Altshuler-
Aronov correction of measured films is analysed in :mod:`fits.series`, not
simulated.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import constants as sc

__all__ = [
    "K_B_MEV",
    "DephasingLaw",
    "fermi_weights",
    "thermal_grid",
    "ucf_energy_correlation",
    "ucf_smearing_factor",
]

#: Boltzmann constant [meV/K].
K_B_MEV = sc.k / sc.e * 1e3


def _temperatures(t, what="temperature"):
    t = np.asarray(t, float)
    if np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"a {what} is a positive number of kelvin, got {t.tolist()}")
    return t


@dataclass(frozen=True)
class DephasingLaw:
    """tau_phi(T) = tau_0 (T / T_ref)^(-p), optionally saturating: 1/tau_phi + 1/tau_sat.

    Parameters
    ----------
    tau_0_ps : float
        tau_phi at the reference temperature [ps] (without saturation).
    p : float
        Exponent: 1 for electron-electron dephasing in 2D, 2/3 in 1D, 2-4
        for electron-phonon.
    t_ref_K : float
        Reference temperature [K]; required, there is no default scale.
    tau_sat_ps : float, optional
        Saturation time [ps]: the low-temperature limit of tau_phi.
    """

    tau_0_ps: float
    p: float
    t_ref_K: float
    tau_sat_ps: float | None = None

    def __post_init__(self):
        if not (math.isfinite(self.tau_0_ps) and self.tau_0_ps > 0):
            raise ValueError(f"tau_0_ps must be > 0, got {self.tau_0_ps}")
        if not (math.isfinite(self.p) and self.p > 0):
            raise ValueError(f"the exponent p must be > 0 (tau_phi grows on cooling), got {self.p}")
        _temperatures(self.t_ref_K, "reference temperature t_ref_K")
        if self.tau_sat_ps is not None and not self.tau_sat_ps > 0:
            raise ValueError(f"tau_sat_ps must be > 0, got {self.tau_sat_ps}")

    @classmethod
    def aak(cls, sheet_resistance_ohm: float, *, t_ref_K: float = 1.0,
            tau_sat_ps: float | None = None) -> DephasingLaw:  # fmt: skip
        """The Altshuler-Aronov-Khmelnitsky law of a 2D film, p = 1.

        1/tau_phi = (k_B T / hbar) ln(g/2) / g with g = h / (e^2 R_sq),
        ``sheet_resistance_ohm`` the spin-degenerate R_sq [Ohm] (for the
        spinless model: h / (2 e^2 sigma) with sigma per spin).
        """
        from fits.series import aak_tau_phi

        tau = float(aak_tau_phi(t_ref_K, sheet_resistance_ohm)) * 1e12
        return cls(tau_0_ps=tau, p=1.0, t_ref_K=t_ref_K, tau_sat_ps=tau_sat_ps)

    def tau_phi_ps(self, temperature_K):
        """tau_phi [ps] at ``temperature_K`` [K] (scalar or array)."""
        t = _temperatures(temperature_K)
        tau = self.tau_0_ps * (t / self.t_ref_K) ** (-self.p)
        if self.tau_sat_ps is not None:
            tau = 1 / (1 / tau + 1 / self.tau_sat_ps)
        return float(tau) if tau.ndim == 0 else tau

    def to_dict(self) -> dict:
        return asdict(self)


def fermi_weights(energies_meV, fermi_energy_meV: float, temperature_K: float) -> np.ndarray:
    """Weights w_i of G(T) = sum_i w_i G(E_i) for the thermal window -df/dE.

    Each energy stands for the cell between the midpoints to its neighbours;
    its weight is the exact integral of -df/dE over the cell,
    f(lower edge) - f(upper edge). The weights are normalized to 1; the
    window's tails beyond the grid (a fraction exp(-window)) are dropped.
    """
    e = np.asarray(energies_meV, float)
    if e.ndim != 1 or e.size < 1 or np.any(np.diff(e) <= 0):
        raise ValueError("energies must be increasing")
    t = float(_temperatures(temperature_K))
    kt = K_B_MEV * t
    edges = np.concatenate([[-np.inf], 0.5 * (e[1:] + e[:-1]), [np.inf]])
    # f(E) = 1 / (1 + exp((E - E_F)/kT)), written with tanh for stability
    f = 0.5 * (1 - np.tanh((edges - fermi_energy_meV) / (2 * kt)))
    w = f[:-1] - f[1:]
    return w / w.sum()


def thermal_grid(device, fermi_energy_meV: float, temperature_K: float, disorder_meV: float,
                 *, window: float = 5.0, per_correlation: int = 2) -> dict:  # fmt: skip
    """The energies [meV] that resolve the thermal window of a device at ``temperature_K``.

    Spacing: the smaller of k_B T and the Thouless energy E_Th = hbar D / L^2
    (the correlation energy of G(E)), divided by ``per_correlation``; span
    E_F +- ``window`` k_B T. Returns a dict with ``energies``, ``weights``,
    ``spacing_meV``, ``kT_meV``, ``thouless_meV``, ``level_spacing_meV``
    and ``points`` (the cost: one sweep per energy, realizations shared).

    Raises ValueError for k_B T below the level spacing (no smearing to
    resolve: simulate at E_F alone), and for a window that leaves the band
    or the lead's lowest subband.
    """
    t = float(_temperatures(temperature_K))
    kt = K_B_MEV * t
    u = device.units
    rep = device.regime(fermi_energy_meV, max(disorder_meV, 1e-12))
    g = device.geometry
    if g.kind == "ring" or rep.thouless_ratio is None:
        raise ValueError("thermal smearing needs a film or a wire (its Thouless energy)")
    e_th = rep.diffusion / g.length**2 * u.t_meV  # hbar D / L^2 [meV]
    delta = e_th / rep.thouless_ratio  # level spacing [meV]
    if kt < delta:
        raise ValueError(
            f"k_B T = {kt:.3g} meV at {t:g} K is below the level spacing {delta:.3g} meV of this "
            "device: the thermal window holds less than one level and smearing cannot be "
            "resolved; simulate at the Fermi energy alone (smearing = false) or raise T"
        )
    spacing = min(kt, e_th) / per_correlation
    n_side = math.ceil(window * kt / spacing)
    energies = fermi_energy_meV + spacing * np.arange(-n_side, n_side + 1)
    from . import bands

    nz, t_z = g.thickness, g.interlayer
    thresholds = bands.channel_thresholds(g.width, nz, t_z)
    # a grid energy on a channel threshold (where G is singular) moves off it by 1e-6 t
    e_t = energies / u.t_meV
    near = np.min(np.abs(np.concatenate([thresholds, thresholds + 4])[None, :] - e_t[:, None]),
                  axis=1)  # fmt: skip
    energies = np.where(near < 1e-6, energies + 2e-6 * u.t_meV, energies)
    e_t = energies / u.t_meV
    lowest = float(thresholds[0])
    if e_t.min() <= lowest:
        raise ValueError(
            f"the thermal window E_F +- {window:g} k_B T reaches {energies.min():.4g} meV, below "
            f"the leads' lowest subband ({lowest * u.t_meV:.4g} meV): lower T or raise E_F"
        )
    return dict(energies=energies.tolist(),
                weights=fermi_weights(energies, fermi_energy_meV, t).tolist(),
                spacing_meV=spacing, kT_meV=kt, thouless_meV=e_th, level_spacing_meV=delta,
                points=len(energies))  # fmt: skip


def _window_correlation(eps, kt):
    """The autocorrelation of the thermal window, integral f'(E) f'(E + eps) dE [1/energy].

    Closed form ((x coth(x/2) - 2) / (4 sinh^2(x/2))) / kT with x = eps / kT; its integral
    over eps is 1 and its value at eps = 0 is 1 / (6 kT).
    """
    x = np.abs(np.asarray(eps, float)) / kt
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    q = np.exp(-xs)  # 4 sinh^2(x/2) = (1 - q)^2 / q, written without overflow
    g = (xs / np.tanh(xs / 2) - 2) * q / (1 - q) ** 2
    return np.where(small, 1 / 6 - x**2 / 60, g) / kt


def ucf_energy_correlation(eps_over_ec) -> np.ndarray:
    """C(eps) / C(0): the energy correlation of the conductance of a diffusive wire (one loop).

    <dG(E) dG(E + eps)> of the diffuson and Cooperon diagrams (Lee, Stone and
    Fukuyama, PRB 35, 1039 (1987)), L_phi >> L::

        C(eps) ~ sum_n [1 / |lambda_n - i eps|^2 + Re 1 / (lambda_n - i eps)^2]
               = sum_n 2 lambda_n^2 / (lambda_n^2 + eps^2)^2,

    with lambda_n = (n pi)^2 E_c the longitudinal diffusion modes of a wire
    with absorbing contacts (transverse modes taken to lie above eps). It
    falls as (45 sqrt(2) / 8) (E_c / eps)^(3/2) for eps >> E_c.

    Parameters
    ----------
    eps_over_ec : float or array_like
        The energy difference over E_c = hbar D / L^2, L the length between the
        contacts' absorbing planes.
    """
    eps = np.abs(np.asarray(eps_over_ec, float))
    if np.any(~np.isfinite(eps)):
        raise ValueError("the energy difference must be finite")
    n_max = int(np.sqrt(400 * max(float(eps.max(initial=0.0)), 1.0)) / np.pi) + 50
    n = np.arange(1, n_max + 1)
    lam = (n * np.pi) ** 2
    tail = 2 / np.pi**4 * (np.pi**4 / 90 - np.sum(1.0 / n**4.0))  # modes far above eps: 2/lambda^2
    e = eps[..., None]
    return (np.sum(2 * lam**2 / (lam**2 + e**2) ** 2, axis=-1) + tail) / (2 / 90)


def ucf_smearing_factor(kT_over_ec) -> np.ndarray:
    """var G(T) / var G(0) of a diffusive wire between reservoirs, L_phi >> L (one loop).

    Thermal smearing averages G(E) over the window -df/dE; the conductance
    fluctuations shrink by::

        integral integral f'(E) f'(E') C(E - E') dE dE' / C(0),

    with C the one-loop energy correlation (:func:`ucf_energy_correlation`).
    The factor is 1 at T = 0, 1 - (4 pi^2 / 315) (k_B T / E_c)^2 below E_c, and
    tends to (5 pi / 4) E_c / k_B T for k_B T >> E_c (the window's
    autocorrelation integrates to 1 against ``sum 1/lambda_n`` over
    ``2 sum 1/lambda_n^2``), which it approaches as 1 - O((E_c / k_B T)^(1/2)).

    Parameters
    ----------
    kT_over_ec : float or array_like
        k_B T over E_c = hbar D / L^2, with L the length between the contacts'
        absorbing planes (the sample plus twice the extrapolation length).

    Returns
    -------
    numpy.ndarray
        The factor, same shape as the input.
    """
    from scipy import integrate

    tau = np.asarray(kT_over_ec, float)
    if np.any(~np.isfinite(tau)) or np.any(tau < 0):
        raise ValueError(f"k_B T / E_c is a non-negative number, got {tau.tolist()}")
    out = np.empty(tau.shape)
    for i, kt in np.ndenumerate(tau):
        if kt == 0:
            out[i] = 1.0
            continue

        def integrand(eps, kt=kt):
            return _window_correlation(eps, kt) * ucf_energy_correlation(eps)

        edges = np.concatenate([[0.0], np.geomspace(min(kt, np.pi**2) / 10, 80 * kt + 1e3, 60)])
        val = sum(
            integrate.quad(integrand, a, b, limit=200)[0] for a, b in itertools.pairwise(edges)
        )
        # beyond the last edge the window's weight is below exp(-80)
        out[i] = 2 * val
    return out
