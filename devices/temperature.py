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
  energies; it leaves the ensemble mean of the weak-localization correction
  unchanged while k_B T << E_F.

A Landauer simulation has no electron-electron interaction: the Altshuler-
Aronov correction of measured films is analysed in :mod:`fits.series`, not
simulated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import constants as sc

__all__ = ["K_B_MEV", "DephasingLaw", "fermi_weights", "thermal_grid"]

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
