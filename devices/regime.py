"""Regime report: where a device at a given energy and disorder sits.

All estimates use the lattice band structure (``devices.bands``), not the
parabolic-band formulas: open channels N from the lead subbands, the Born
scattering time hbar/tau = 2 pi nu(E) W_dis^2/12 with the lattice density of
states, the diffusion constant D = Sigma(E) tau / nu(E) and the sheet
conductance sigma = 2 pi Sigma tau [e^2/h per spin and layer] (Einstein
relation), v_F = sqrt(2 Sigma/nu) and l = v_F tau (so D = v_F l / 2).
Classical two-terminal conductance G = 1/(1/N + L/(sigma W)) [e^2/h per spin]
(reference sheet: W = 40, L = 100, E = 0.5 t, box t gives 2.93).
Localization length (orthogonal class) xi = (N + 1) (pi/2) l.

Findings are warnings of the classes below (subclasses of
:class:`RegimeWarning`), so that code can filter them by kind; each message
is a sentence or two, and the evidence behind a limit is on the validation
page of the documentation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import constants as sc

from cooperon.constants import G0, PHI0

from . import bands

if TYPE_CHECKING:  # pragma: no cover
    from .builders import Device

__all__ = [
    "BallisticWarning",
    "FieldRangeWarning",
    "InPlaneWarning",
    "LocalizedWarning",
    "ProbeNetworkWarning",
    "Regime",
    "RegimeWarning",
    "SlabDephasingWarning",
    "StrongDisorderWarning",
    "regime",
]


class RegimeWarning(UserWarning):
    """The device or a planned sweep is outside the regime an analysis assumes.

    ``blocking`` subclasses make a weak-localization analysis meaningless
    (a virtual experiment that meets one is flagged not ok); the others are
    caveats on how far a fitted number is validated.
    """

    blocking = False


class BallisticWarning(RegimeWarning):
    """The mean free path exceeds the sample: no diffusion, no weak-localization line shape."""

    blocking = True


class LocalizedWarning(RegimeWarning):
    """The sample is longer than the localization length: strong, not weak, localization."""

    blocking = True


class StrongDisorderWarning(RegimeWarning):
    """k_F l < 1 (Ioffe-Regel): perturbative weak-localization theory does not apply."""

    blocking = True


class FieldRangeWarning(RegimeWarning):
    """A field sweep leaves the weak-localization (or Aharonov-Bohm) regime."""

    blocking = True


class InPlaneWarning(RegimeWarning):
    """An in-plane sweep on a slab: where the in-plane law has and has not been validated."""


class SlabDephasingWarning(RegimeWarning):
    """A perpendicular sweep on a dephased slab: its fitted l_phi is an upper bound."""


class ProbeNetworkWarning(RegimeWarning):
    """Buttiker probes on a long sample: the fitted l_phi exceeds the probes' decay length."""


#: l/d above which a slab is outside the thin-film law's l << d.
IN_PLANE_L_OVER_D = 0.1
#: Samples at least this many l_phi long, with probes, carry a ProbeNetworkWarning (a
#: 100 x 100 film 3.3 l_phi long returned 1.17-1.24 x the input) ...
LONG_PROBE_SAMPLE = 3.0
#: ... when l_phi is at least this many mean free paths.
PROBE_LPHI_OVER_L = 3.0


@dataclass(frozen=True)
class Regime:
    """Characteristic scales of a device (lattice units unless the name says otherwise).

    Lengths are in lattice constants a (``*_nm`` in nm), energies in t
    (``*_meV``), times in hbar/t (``*_ps``), conductances in e^2/h per spin.
    ``warnings`` holds :class:`RegimeWarning` instances; ``str(w)`` is the
    message.
    """

    kind: str
    energy: float
    energy_meV: float
    disorder: float
    disorder_meV: float
    channels: int
    k_f: float
    fermi_wavelength_nm: float
    dos: float
    v_f: float
    tau: float
    tau_ps: float
    mean_free_path: float
    mean_free_path_nm: float
    kf_l: float
    diffusion: float
    diffusion_cm2s: float
    sheet_conductance: float
    sheet_resistance_ohm: float
    width: int
    length: int
    drude_conductance: float | None
    n_l_over_l: float | None
    localization_length: float
    b_tr_T: float
    thouless_ratio: float | None = None
    b_max_T: float | None = None
    magnetic_length: float | None = None
    cyclotron_radius: float | None = None
    ab_period_mT: float | None = None
    thickness_d: float | None = None
    layers: int = 1
    interlayer: float = 1.0
    b_par_max_T: float | None = None
    nominal_units: bool = False
    warnings: tuple[RegimeWarning, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> tuple[RegimeWarning, ...]:
        """The findings that make a weak-localization analysis meaningless."""
        return tuple(w for w in self.warnings if w.blocking)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["warnings"] = [str(w) for w in self.warnings]
        d["warning_kinds"] = [type(w).__name__ for w in self.warnings]
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()
        }

    def __str__(self) -> str:
        u = " (nominal lattice units)" if self.nominal_units else ""
        rows = [
            f"Regime report: {self.kind}{u}",
            f"  Fermi energy       E     = {self.energy:.4g} t = {self.energy_meV:.4g} meV",
            f"  box disorder       W_dis = {self.disorder:.4g} t = {self.disorder_meV:.4g} meV",
            f"  open channels      N     = {self.channels} per spin",
            f"  Fermi wavevector   k_F   = {self.k_f:.4g} /a  (lambda_F = "
            f"{self.fermi_wavelength_nm:.4g} nm)",
            f"  mean free path     l     = {self.mean_free_path:.4g} a = "
            f"{self.mean_free_path_nm:.4g} nm  (Born, lattice DOS)",
            f"  k_F l                    = {self.kf_l:.4g}",
            f"  scattering time    tau   = {self.tau:.4g} hbar/t = {self.tau_ps:.4g} ps",
            f"  diffusion constant D     = {self.diffusion:.4g} a^2 t/hbar = "
            f"{self.diffusion_cm2s:.4g} cm^2/s",
            f"  sheet conductance  sigma = {self.sheet_conductance:.4g} e^2/h per spin "
            f"(R_sq = {self.sheet_resistance_ohm:.4g} Ohm spin-degenerate)",
            f"  localization length xi   = {self.localization_length:.4g} a (orthogonal)",
            f"  transport field    B_tr  = {1e3 * self.b_tr_T:.4g} mT  (hbar / 2 e l^2)",
        ]
        if self.drude_conductance is not None:
            rows += [
                f"  sample             W x L = {self.width} x {self.length} a",
                f"  classical G = 1/(1/N + L/(sigma W)) = {self.drude_conductance:.4g} e^2/h "
                "per spin",
                f"  N l / L                  = {self.n_l_over_l:.4g}",
            ]
        if self.thouless_ratio is not None:
            rows.append(
                f"  Thouless  E_Th/Delta     = {self.thouless_ratio:.4g} "
                f"(2 pi E_Th/Delta = {2 * np.pi * self.thouless_ratio:.4g}, compare G)"
            )
        if self.ab_period_mT is not None:
            rows.append(f"  AB period h/(e pi r^2)   = {self.ab_period_mT:.4g} mT (mean radius)")
        if self.thickness_d is not None:
            rows.append(
                f"  slab thickness     d     = a sqrt(N_z^2 - 1) = {self.thickness_d:.4g} a "
                f"(l/d = {self.mean_free_path / self.thickness_d:.3g})"
            )
            if self.interlayer != 1.0:
                spread = self.interlayer * np.ptp(bands.subbands(self.layers))
                rows.append(
                    f"  interlayer hopping t_z    = {self.interlayer:g} t: subbands spread "
                    f"{spread:.3g} t against hbar/tau = {1 / self.tau:.3g} t "
                    f"({'weakly' if spread < 1 / self.tau else 'coherently'} coupled layers)"
                )
        if self.b_max_T is not None:
            rows += [
                f"  at B_max = {1e3 * self.b_max_T:.4g} mT: magnetic length l_m = "
                f"{self.magnetic_length:.4g} a, cyclotron radius r_c = "
                f"{self.cyclotron_radius:.4g} a",
            ]
        rows += [f"  WARNING ({type(w).__name__}): {w}" for w in self.warnings] or ["  no warnings"]
        return "\n".join(rows)


def regime(
    device: Device,
    energy: float,
    disorder: float,
    b_max: float | None = None,
    b_par_max: float | None = None,
    dephasing: str | None = None,
    tau_phi: float | None = None,
) -> Regime:
    """Characteristic scales of ``device`` and warnings about its regime.

    Parameters
    ----------
    device : Device
    energy : float
        Fermi energy [meV above the band bottom].
    disorder : float
        Box width of the on-site disorder [meV].
    b_max : float, optional
        Largest perpendicular field of a planned sweep [T]: adds the magnetic
        length and cyclotron radius, and a :class:`FieldRangeWarning` when
        the sweep leaves the weak-localization regime (a ring: when the
        cyclotron radius falls below the arm width).
    b_par_max : float, optional
        Largest in-plane field of a planned sweep on a slab [T]: an
        :class:`InPlaneWarning` says where the in-plane law is validated.
    dephasing : {"absorbing", "probes"}, optional
        Dephasing model of a planned perpendicular sweep (a slab gets a
        :class:`SlabDephasingWarning`).
    tau_phi : float, optional
        Phase-coherence time of that model [ps]: with probes on a film or
        wire at least ``LONG_PROBE_SAMPLE`` l_phi long and l_phi at least
        ``PROBE_LPHI_OVER_L`` l, a :class:`ProbeNetworkWarning`.
    """
    u, g = device.units, device.geometry
    e = device.energy(energy)
    w_dis = device.params(disorder=disorder)["disorder"]
    nz = g.thickness
    t_z = g.interlayer
    n_ch = bands.open_channels(e, *device.lead_cross_section, t_z)
    kf = bands.fermi_wavevector(e, nz, t_z)
    nu = bands.dos(e, nz, t_z)
    sigma_w = bands.transport_weight(e, nz, t_z)
    v_f = math.sqrt(2 * sigma_w / nu)
    tau = bands.born_tau(e, w_dis, nz, t_z)
    ell = v_f * tau
    diff = sigma_w * tau / nu
    sheet = 2 * np.pi * nz * sigma_w * tau
    xi = (n_ch + 1) * (np.pi / 2) * ell
    b_tr = sc.hbar / (2 * sc.e * (ell * u.a_m) ** 2) if math.isfinite(ell) else 0.0

    found: list[RegimeWarning] = []
    drude = nl_over_l = ab = thouless = None
    sample_length = g.length
    ring = g.kind == "ring"
    if ring:
        r = g.r_mean
        ab = 1e3 * PHI0 / (np.pi * (r * u.a_m) ** 2)
        sample_length = np.pi * r
    else:
        drude = 1 / (1 / n_ch + g.length / (sheet * g.width)) if w_dis > 0 else float(n_ch)
        nl_over_l = n_ch * ell / g.length
        if math.isfinite(diff):
            # E_Th = hbar D / L^2 against the level spacing 1/(nu L W N_z) (per spin)
            thouless = diff / g.length**2 * nu * g.length * g.width * nz
    if ell >= sample_length and not ring:
        found.append(
            BallisticWarning(
                f"ballistic: the mean free path l = {ell:.3g} a exceeds the sample length "
                f"{sample_length:.3g} a; raise the disorder or the length for diffusive physics"
            )
        )
    elif sample_length > xi:
        found.append(
            LocalizedWarning(
                f"localized: the sample length {sample_length:.3g} a exceeds the localization "
                f"length xi = {xi:.3g} a; lower the disorder or shorten the sample"
            )
        )
    if kf * ell < 1:
        found.append(
            StrongDisorderWarning(
                f"strong disorder: k_F l = {kf * ell:.3g} < 1 (Ioffe-Regel); perturbative "
                "weak-localization theory does not apply"
            )
        )
    l_m = r_c = None
    if b_max is not None:
        phi = abs(device.params(b_perp=b_max)["phi_perp"])
        if phi > 0:
            l_m = 1 / math.sqrt(2 * np.pi * phi)
            r_c = kf / (2 * np.pi * phi)
            arm = (g.r_out - g.r_in) if ring else g.width
            if r_c < arm:
                what = "arm width" if ring else "width W"
                found.append(
                    FieldRangeWarning(
                        f"at B_max = {1e3 * b_max:.4g} mT the cyclotron radius {r_c:.3g} a is "
                        f"below the {what} {arm:.3g} a (classical magnetoresistance, edge "
                        "states); lower the largest field"
                    )
                )
            if l_m < ell and not ring:
                found.append(
                    FieldRangeWarning(
                        f"at B_max = {1e3 * b_max:.4g} mT the magnetic length {l_m:.3g} a is "
                        f"below the mean free path {ell:.3g} a (B > B_tr = {1e3 * b_tr:.3g} mT): "
                        "outside the diffusive regime; lower the largest field"
                    )
                )
    d_slab = math.sqrt(nz**2 - 1) if nz > 1 else None
    if b_par_max is not None and d_slab is not None and math.isfinite(ell):
        extra = (
            f"; here l/d = {ell / d_slab:.2g}, and the law assumes l << d"
            if ell / d_slab > IN_PLANE_L_OVER_D
            else ""
        )
        found.append(
            InPlaneWarning(
                "in-plane sweep on a slab: fit it with fits.FiniteFilmParallel(mean_free_path=l, "
                "cross_section=True); its l_phi is validated only for contacts >= 5 l_phi apart "
                f"(docs: validation, parallel field){extra}"
            )
        )
        phi = abs(device.params(b_par=b_par_max)["phi_par"])
        l_par = 1 / math.sqrt(2 * np.pi * phi) if phi > 0 else math.inf
        if l_par < d_slab:
            found.append(
                FieldRangeWarning(
                    f"at B_par = {1e3 * b_par_max:.4g} mT the magnetic length {l_par:.3g} a is "
                    f"below the thickness d = {d_slab:.3g} a: outside the thin-film law; "
                    "lower the largest in-plane field"
                )
            )
    if dephasing is not None and b_max is not None and d_slab is not None:
        found.append(
            SlabDephasingWarning(
                f"perpendicular sweep on a dephased slab of {nz} layers: a fitted l_phi is an "
                "upper bound, up to 1.3 times the dephasing length (docs: validation, slabs)"
            )
        )
    if (
        dephasing == "probes"
        and tau_phi is not None
        and b_max is not None
        and d_slab is None
        and not ring
        and math.isfinite(diff)
    ):
        l_phi = math.sqrt(diff * tau_phi / u.time_ps)
        if g.length >= LONG_PROBE_SAMPLE * l_phi and l_phi >= PROBE_LPHI_OVER_L * ell:
            found.append(
                ProbeNetworkWarning(
                    f"Buttiker probes on a sample {g.length / l_phi:.3g} l_phi long: fits of such "
                    "samples return l_phi 1.2-1.3 times the probes' decay length, an excess of "
                    "the probe network (docs: validation, probe networks). Compare fitted and "
                    "input l_phi at the same L / l_phi, or keep the sample under "
                    f"{LONG_PROBE_SAMPLE:g} l_phi long (there within about 10%)"
                )
            )
    rsq = 1 / (2 * sheet * G0) if math.isfinite(sheet) and sheet > 0 else 0.0
    return Regime(
        kind=g.kind,
        energy=e,
        energy_meV=u.to_meV(e),
        disorder=w_dis,
        disorder_meV=u.to_meV(w_dis),
        channels=n_ch,
        k_f=kf,
        fermi_wavelength_nm=u.to_nm(2 * np.pi / kf),
        dos=nu,
        v_f=v_f,
        tau=tau,
        tau_ps=tau * u.time_ps,
        mean_free_path=ell,
        mean_free_path_nm=u.to_nm(ell),
        kf_l=kf * ell,
        diffusion=diff,
        diffusion_cm2s=diff * u.diffusion_m2s * 1e4,
        sheet_conductance=sheet,
        sheet_resistance_ohm=rsq,
        width=g.width,
        length=g.length,
        drude_conductance=drude,
        n_l_over_l=nl_over_l,
        localization_length=xi,
        b_tr_T=b_tr,
        thouless_ratio=thouless,
        b_max_T=b_max,
        magnetic_length=l_m,
        cyclotron_radius=r_c,
        ab_period_mT=ab,
        thickness_d=d_slab,
        layers=nz,
        interlayer=g.interlayer,
        b_par_max_T=b_par_max,
        nominal_units=u.nominal,
        warnings=tuple(found),
    )
