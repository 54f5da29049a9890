"""Field orientation on a spinful Rashba film: Zeeman dephasing of antilocalization, explored.

A square single-layer spinful film (box disorder, E = 1.03 t: l = 6.0 a)
with Rashba coupling lambda_R, a g factor and Buttiker probes at l_phi. The
perpendicular field acts through the orbit and the spin, the in-plane field
through the spin only (Zeeman). The perpendicular sweep is fitted for l_phi
(``finite_film_so``); the in-plane sweep, with l_phi held at that value, for
B_so (``finite_film_zeeman``), which is compared with D'yakonov-Perel.

    python studies/orientation/run.py [--side 50] [--lphi 12] [--lam 0 0.06 0.15] [--g 2]
        [--seeds 32] [--workers 1]

One line per lambda_R; sweeps are cached in out/studies/orientation.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np

import devices
import fits
import transport
from devices.spin import (
    dyakonov_perel_lattice_b_so,
    dyakonov_perel_omega_tau,
    in_plane_spin_relaxation,
)

E, W = 1.03, 2.5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=50)
    ap.add_argument("--lphi", type=float, default=12.0)
    ap.add_argument("--lam", type=float, nargs="+", default=[0.0, 0.06, 0.15])
    ap.add_argument("--g", type=float, default=2.0)
    ap.add_argument("--bmax", type=float, default=3.0, help="largest in-plane field [T]")
    ap.add_argument("--seeds", type=int, default=32)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--units",
        choices=("lattice", "gaas"),
        default="lattice",
        help="lattice: a = 1 nm, t = 1 meV (a heavy mass: Zeeman is large against the "
        "orbital effect of a perpendicular field); gaas: a = 5 nm, m = 0.067",
    )
    ap.add_argument("--only", choices=("both", "par"), default="both")
    a = ap.parse_args()
    units = devices.Units.lattice() if a.units == "lattice" else devices.Units.from_mass(5.0, 0.067)
    out = Path("out/studies/orientation")
    out.mkdir(parents=True, exist_ok=True)
    for lam in a.lam:
        alpha = 2 * lam * units.a_nm * units.t_meV  # lambda = alpha / (2 a t) [meV nm]
        dev = devices.film(a.side * units.a_nm, a.side * units.a_nm, units=units,
                           spin=devices.Spin(g_factor=a.g, rashba=alpha))  # fmt: skip
        u, rep = dev.units, dev.regime(E * units.t_meV, W * units.t_meV)
        tau = a.lphi**2 / rep.diffusion * u.time_ps  # [ps]
        d_si = rep.diffusion * u.diffusion_m2s
        ell = rep.mean_free_path * u.a_m
        b_tr = fits.lineshapes.HBAR_OVER_E / (2 * ell**2)
        b_phi = float(fits.lineshapes.b_from_length(a.lphi * u.a_m))
        perp = [0.0, *np.geomspace(b_phi / 4, b_tr / 2, 10)]
        par = list(np.linspace(0.0, a.bmax, 10 if a.bmax != 2 else 9))
        tag = f"side{a.side}_lphi{a.lphi:g}_lam{lam:g}_g{a.g:g}_b{a.bmax:g}_n{a.seeds}"
        tag = tag if a.units == "lattice" else "gaas_" + tag
        common = dict(energies=[E * u.t_meV], seeds=a.seeds, disorder=W * u.t_meV, tau_phi=tau,
                      dephasing="probes",
                      workers=a.workers, progress=False)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", transport.RegimeWarning)
            ds_perp = None
            if a.only == "both":
                ds_perp = transport.sweep(dev, b_perp=perp, path=out / f"{tag}_perp.nc", **common)
            ds_par = transport.sweep(dev, b_par=par, path=out / f"{tag}_par.nc", **common)
        geo = dict(g_s=2, width=a.side * u.a_m, length=a.side * u.a_m, b_tr=b_tr,
                   max_nodes=min(1600, a.side**2))  # fmt: skip
        data_par = fits.from_dataset(ds_par, quantity="conductance", axis="b_par")
        r_perp = None
        if ds_perp is not None:
            data_perp = fits.from_dataset(ds_perp, quantity="conductance")
            # strong spin-orbit (B_so ~ B_tr): the singlet alone, alpha = -1/2
            r_perp = fits.build_model("finite_film", alpha=-0.5 if lam >= 0.1 else 1.0,
                                      **geo).fit(data_perp, diffusion=d_si, errors="fast")  # fmt: skip
            print(f"lam {lam:g}: perpendicular <dG> {np.round(data_perp.dy[1:], 4)} +- "
                  f"{np.round(data_perp.sigma[1:], 4)}; l_phi "
                  f"{r_perp.values['l_phi'] * 1e9:.3g} nm (input {a.lphi * u.a_nm:.3g})")  # fmt: skip
        # the rms of Omega over the lattice Fermi line
        omega_tau = dyakonov_perel_omega_tau(alpha, 0.0, u, rep.diffusion * u.diffusion_m2s,
                                             rep.tau_ps)  # fmt: skip
        b_dp = dyakonov_perel_lattice_b_so(alpha, 0.0, u) if lam else float("nan")
        b_kin = b_tr * in_plane_spin_relaxation(omega_tau)  # hbar / (4 e D tau) = B_tr
        m = data_par.dy
        print(f"lam {lam:g} (Omega tau {omega_tau:.2f}): in-plane <dG> {np.round(m[1:], 4)} +- "
              f"{np.round(data_par.sigma[1:], 4)}", flush=True)  # fmt: skip
        choices = [("input", a.lphi * u.a_m), ("free", None)]
        if r_perp is not None:
            choices.insert(1, ("perpendicular", r_perp.values["l_phi"]))
        for label, held in choices:
            zee = fits.build_model("finite_film_zeeman", g_factor=a.g, diffusion=d_si, **geo,
                                   l_phi=held)  # fmt: skip
            try:
                r = zee.fit(data_par, diffusion=d_si, errors="fast")
            except ValueError as exc:
                print(f"   l_phi {label}: fit failed: {exc}")
                continue
            print(f"   l_phi {label} ({r.values['l_phi'] * 1e9:.3g} nm): in-plane B_so "
                  f"{r.values['b_so']:.3g} +- {r.stderr['b_so']:.2g} T, chi2/dof "
                  f"{r.reduced_chi2:.2f}; kinetic {b_kin:.3g} T, DP {b_dp:.3g} T, B_tr {b_tr:.3g} T",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
