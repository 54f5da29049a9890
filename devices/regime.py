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
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import constants as sc

from . import bands
from .builders import Device, fermi_wavevector
from .units import G0, PHI0

__all__ = ["IN_PLANE_L_OVER_D", "LONG_PROBE_SAMPLE", "PROBE_LPHI_OVER_L", "Regime", "regime"]

# Above this l/d a slab is outside the thin-film law's l << d (its in-plane dephasing
# measured 0.61 of the law at l/d = 0.17 and 0.34 at 0.62; test_validation._coherent_slabs).
IN_PLANE_L_OVER_D = 0.1
# A film with Buttiker probes at least this many l_phi long, with l_phi at least
# PROBE_LPHI_OVER_L mean free paths, is where the WL l_phi was measured 1.16-1.3 times
# the probes' decay length (48 x 96 ... 48 x 384 films: L = 4.4-18 l_a, l_a = 3.5-5.5 l;
# a 40 x 300 wire: 1.2 at L = 5.1 l_a), while the Cooperon itself decays over l_a (the
# probes' coherent backscattering) and half of the magnetoconductance is the field
# dependence of the hop transmissions' covariances (test_validation._network_of_means);
# the 2D loop's films, within 5% of it, are shorter (L = 1.7-3.3 l_a) or have l_a = 1.8 l.
LONG_PROBE_SAMPLE = 4.0
PROBE_LPHI_OVER_L = 3.0


@dataclass(frozen=True)
class Regime:
    """Characteristic scales of a device (lattice units unless the name says otherwise).

    Lengths are in lattice constants a (``*_nm`` in nm), energies in t
    (``*_meV``), times in hbar/t (``*_ps``), conductances in e^2/h per spin.
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
    b_max_T: float | None = None
    magnetic_length: float | None = None
    cyclotron_radius: float | None = None
    ab_period_mT: float | None = None
    thickness_d: float | None = None
    layers: int = 1
    interlayer: float = 1.0
    b_par_max_T: float | None = None
    nominal_units: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
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
        rows += [f"  WARNING: {w}" for w in self.warnings] or ["  no warnings"]
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
        Largest perpendicular field of a planned sweep [T]; adds the magnetic
        length and cyclotron radius at that field, and warnings when the
        sweep leaves the weak-localization regime.
    b_par_max : float, optional
        Largest in-plane field of a planned sweep [T] (slabs): warnings when
        the in-plane response is not validated (with the corrected in-plane
        model, lattice slabs matched the perpendicular l_phi within 3-6% with
        the contacts 6.7-11 l_phi apart, and fell to 0.85-0.61 of it where
        the contacts limit the Cooperon; README, Validation), with the reason
        when l is not << d, and when the magnetic length falls below d.
    dephasing : {"absorbing", "probes"}, optional
        Dephasing model of a planned perpendicular sweep: on a slab, a warning
        that an l_phi fitted from it is not validated (lattice slabs gave 1.3
        times the dephasing length of the coherent transmission, with the
        contacts far and with alpha free; README, Validation).
    tau_phi : float, optional
        Phase-coherence time of that dephasing model [ps]. With Buttiker
        probes on a film or wire at least LONG_PROBE_SAMPLE l_phi long
        (l_phi = sqrt(D tau_phi)) and l_phi >= PROBE_LPHI_OVER_L l, a
        perpendicular sweep warns that the fitted l_phi ran 1.16-1.3 times
        the probes' decay length on such films (README, Validation), while
        the Cooperon itself decays over it (half of the magnetoconductance
        there is the covariances of the hop transmissions) and the 2D
        loop's shorter films gave it within 5%.
    """
    u, g = device.units, device.geometry
    e = device.energy(energy)
    w_dis = device.params(disorder=disorder)["disorder"]
    nz = g.thickness
    t_z = g.interlayer
    n_ch = bands.open_channels(e, *device.lead_cross_section, t_z)
    kf = fermi_wavevector(e, nz, t_z)
    nu = bands.dos(e, nz, t_z)
    sigma_w = bands.transport_weight(e, nz, t_z)
    v_f = math.sqrt(2 * sigma_w / nu)
    tau = bands.born_tau(e, w_dis, nz, t_z)
    ell = v_f * tau
    diff = sigma_w * tau / nu
    sheet = 2 * np.pi * nz * sigma_w * tau
    xi = (n_ch + 1) * (np.pi / 2) * ell
    b_tr = sc.hbar / (2 * sc.e * (ell * u.a_m) ** 2) if math.isfinite(ell) else 0.0

    warnings = []
    drude = nl_over_l = ab = None
    sample_length = g.length
    if g.kind == "ring":
        r = g.r_mean
        ab = 1e3 * PHI0 / (np.pi * (r * u.a_m) ** 2)
        sample_length = np.pi * r
    else:
        drude = 1 / (1 / n_ch + g.length / (sheet * g.width)) if w_dis > 0 else float(n_ch)
        nl_over_l = n_ch * ell / g.length
    if ell >= sample_length:
        warnings.append(
            f"ballistic: mean free path l = {ell:.3g} a >= sample length {sample_length:.3g} a; "
            "increase the disorder or the length for diffusive (WL) physics"
        )
    elif sample_length > xi:
        warnings.append(
            f"localized: sample length {sample_length:.3g} a exceeds the localization length "
            f"xi = {xi:.3g} a; reduce the disorder or the length"
        )
    if kf * ell < 1:
        warnings.append(
            f"strong disorder: k_F l = {kf * ell:.3g} < 1 (Ioffe-Regel); perturbative WL "
            "theory does not apply"
        )
    l_m = r_c = None
    if b_max is not None:
        phi = abs(device.params(b_perp=b_max)["phi_perp"])
        if phi > 0:
            l_m = 1 / math.sqrt(2 * np.pi * phi)
            r_c = kf / (2 * np.pi * phi)
            if r_c < g.width:
                warnings.append(
                    f"field sweep leaves the WL regime: at B_max = {1e3 * b_max:.4g} mT the "
                    f"cyclotron radius r_c = {r_c:.3g} a is below the width W = {g.width} a "
                    "(classical magnetoresistance, edge states); lower B_max"
                )
            if l_m < ell:
                warnings.append(
                    f"field sweep leaves the diffusive WL regime: at B_max = {1e3 * b_max:.4g} mT "
                    f"the magnetic length l_m = {l_m:.3g} a is below the mean free path "
                    f"l = {ell:.3g} a (B > B_tr = {1e3 * b_tr:.3g} mT); lower B_max"
                )
    d_slab = math.sqrt(nz**2 - 1) if nz > 1 else None
    if b_par_max is not None and d_slab is not None and math.isfinite(ell):
        outside = ell / d_slab > IN_PLANE_L_OVER_D
        warnings.append(
            f"in-plane field sweep on a slab (d = a sqrt(N_z^2 - 1) = {d_slab:.3g} a, "
            f"l/d = {ell / d_slab:.2g}): its in-plane response is not validated where the "
            "contacts limit the Cooperon. Fit it with the corrected in-plane model, "
            "fits.FiniteFilmParallel(mean_free_path=l, cross_section=True): the textbook "
            "uniform mass misses the flux cancellation of l/d and the Cooperon's structure "
            "across d. With it, lattice slabs with probes (l/d = 0.3) and the contacts "
            "6.7-11 l_phi apart gave the perpendicular fit's l_phi within 3-6%; with the "
            "contacts 1.7-2.9 l_phi apart the in-plane fit was still 0.85-0.61 of the "
            "perpendicular one (README, Validation; cause not found)"
            + ("; moreover this slab has l/d > 0.1, and the law assumes l << d" if outside else "")
        )
        phi = abs(device.params(b_par=b_par_max)["phi_par"])
        l_par = 1 / math.sqrt(2 * np.pi * phi) if phi > 0 else math.inf
        if l_par < d_slab:
            warnings.append(
                f"in-plane field sweep leaves the thin-film regime: at B_par = "
                f"{1e3 * b_par_max:.4g} mT the magnetic length {l_par:.3g} a is below the "
                f"thickness d = {d_slab:.3g} a; lower the in-plane field"
            )
    if dephasing is not None and b_max is not None and d_slab is not None:
        warnings.append(
            f"perpendicular field sweep on a slab of {nz} layers with dephasing: its l_phi is not "
            "validated. On lattice slabs (l/d = 0.3) the finite-device fit (fits.FiniteFilm) "
            "returned l_phi 1.3 times the dephasing length l_a of the coherent transmission "
            "(1.1-2 across the slabs tried), also with the contacts 6.7-23 l_a apart, and with "
            "alpha free at 6.7-11 l_a; on one slab the probes' coherent backscattering (the "
            "Cooperon itself) gave 1.04 +- 0.15 l_a, pointing to the probe network (on films "
            "half of its magnetoconductance is the hops' covariances), not decided for the "
            "slab (README, Validation): take such an l_phi as an upper bound"
        )
    if (
        dephasing == "probes"
        and tau_phi is not None
        and b_max is not None
        and d_slab is None
        and g.kind != "ring"
        and math.isfinite(diff)
    ):
        l_phi = math.sqrt(diff * tau_phi / u.time_ps)
        if g.length >= LONG_PROBE_SAMPLE * l_phi and l_phi >= PROBE_LPHI_OVER_L * ell:
            warnings.append(
                f"perpendicular field sweep with Buttiker probes on a sample {g.length / l_phi:.3g} "
                f"l_phi long (l_phi = sqrt(D tau_phi) = {l_phi:.3g} a = {l_phi / ell:.2g} l): on "
                "such films (48 x 96 to 48 x 384, L = 4.4-18 l_a, l_a = 3.5-5.5 l, 1-25% probes) "
                "the finite-device fit (fits.FiniteFilm, alpha free or 1) gave l_phi 1.16-1.3 "
                "times the probes' decay length l_a (= sqrt(D tau_phi) for weak probes), tau_phi "
                "1.35-1.7 times (a 40 x 300 wire 1.2 times at L = 5 l_a). The Cooperon itself "
                "decays over l_a there (the probes' coherent backscattering: 1.03-1.04 l_a), and "
                "so does the network of the mean hop transmissions (1.07 l_a): half of the "
                "magnetoconductance is the field dependence of the hops' covariances, which reads "
                "a longer length (factor not derived). The 2D loop's shorter films "
                "(L <~ 2.5 l_a) gave l_a within 5% (README, Validation)"
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
        b_max_T=b_max,
        magnetic_length=l_m,
        cyclotron_radius=r_c,
        ab_period_mT=ab,
        thickness_d=d_slab,
        layers=nz,
        interlayer=g.interlayer,
        b_par_max_T=b_par_max,
        nominal_units=u.nominal,
        warnings=tuple(warnings),
    )
