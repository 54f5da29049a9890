"""Is the probe network's excess l_phi the probes', or the film's? A Cooperon-only phase breaker.

On the spinless 100 x 100 film (E = 1.03 t, box 2.5 t: l = 6 a) with Buttiker probes at
l_phi = 30 a, the finite-device fit returns l_phi 1.16-1.20 x its input at every probe
spacing (``studies/probe_density``), and the probe-network study traced half of it to the
network's hop covariances, without a derivation. If the excess belongs to the probe network,
a phase breaker without a network gives l_phi at its input on the same film; if it belongs
to the film, the contacts or the fit, it stays.

The phase breaker: a small random Peierls phase phi_b on every bond (uniform, variance
s_phi^2, independent between bonds; a quenched random flux). To first order its hopping
change -i t phi_b (c+_i c_j - h.c.) is odd under time reversal: it scatters both paths of a
loop but enters the Cooperon ladder with the opposite sign, so the Cooperon relaxes at twice
its out-scattering rate while the diffuson keeps its zero mode (particle conservation). With
the lattice matrix element |<k'|V_b|k>|^2 = 4 t^2 <sin^2 phi> sin^2((k_x + k'_x)/2) per
x-bond (and the same with y for y-bonds), averaged over the Fermi line of the clean band
(DOS per site nu, c = <cos k_x>), the Cooperon mass is

    hbar / tau_phi = 2 x 2 x 4 pi t^2 <sin^2 phi> nu (1 - c^2)   (x- and y-bonds)

The model is unitary and current-conserving and costs what the coherent solve costs; the
conductance fluctuations of each sample stay those of a coherent sample (only the Cooperon is
cut), so it needs many more realizations than probes for the same error.

Stated before the run: if the network is the cause, the fit returns l_phi = 1.00 +- (its
error) x sqrt(D tau_phi) with tau_phi from the formula; if the film or the fit is, about
1.17 as with probes. The formula's own uncertainty is its Born approximation at k_F l = 6:
the rate is printed with the clean Fermi line and with a line broadened by hbar / 2 tau.

    python -m studies.random_flux.run [--seeds 800] [--workers 2]

About 1.5 s per realization (13 fields, one RGF sweep) on one core; resumable (one file per
realization under out/studies/random_flux/).
"""

import argparse
import json
import math
import multiprocessing
from pathlib import Path

import numpy as np
import xarray as xr

import devices
import fits
from devices import disorder as _dis
from studies.common import E_FILM, W_DIS, probe_film
from transport.solver import Solver

OUT = Path(__file__).resolve().parents[2] / "out" / "studies" / "random_flux"
SIDE, LPHI = 100, 30.0  # [a]


def fermi_line(energy, gamma, n=2048):
    """nu (DOS per site per spin [1/t]), <cos k_x> and <sin^2 k_x> over the Fermi line of the
    clean square lattice at ``energy`` [t above the band bottom], each state weighted by a
    Lorentzian of half width ``gamma`` [t] (gamma -> 0: the sharp line)."""
    k = 2 * np.pi * (np.arange(n) + 0.5) / n
    cx = np.cos(k)
    e = 4 - 2 * cx[:, None] - 2 * cx[None, :]
    a = gamma / np.pi / ((energy - e) ** 2 + gamma**2)
    nu = a.mean()
    c = (a * cx[:, None]).mean() / nu
    s2 = (a * (1 - cx[:, None] ** 2)).mean() / nu
    return nu, c, s2


def sin2_for(rate, nu, c):
    """<sin^2 phi> giving the Cooperon mass ``rate`` [t/hbar] (x- and y-bonds)."""
    return rate / (16 * math.pi * nu * (1 - c**2))


def phase_width(s2):
    """Half width w of the uniform phase distribution on [-w, w] with <sin^2 phi> = s2."""
    from scipy.optimize import brentq

    return brentq(lambda w: 0.5 * (1 - math.sin(2 * w) / (2 * w)) - s2, 1e-9, 1.5)


class FluxSolver(Solver):
    """The RGF of a spinless film with random bond phases uniform on [-w, w] (streams 5, 6)."""

    def __init__(self, device, width):
        super().__init__(device, method="rgf")
        self.width = width

    def phases(self, seed):
        """(x-bond, y-bond) phases, shape (length, width): phx[x, y] on the bond from
        (x - 1, y) to (x, y), phy[x, y] on the bond from (x, y) to (x, y + 1)."""
        length, m, _ = self._shape
        w = self.width
        return tuple(w * (2 * _dis.uniform(self._tags, seed, stream=s) - 1).reshape(length, m)
                     for s in (5, 6))  # fmt: skip

    def _rgf(self, energy, params_list, onsite_extra=None):
        dev = self.device
        length, m, _ = self._shape
        p0 = params_list[0]
        seed = p0["seed"]
        dis = _dis.box(self._tags, seed, p0["disorder"]).reshape(length, m)
        diag = (dev.onsite_base() + dis).astype(complex)
        phx, phy = self.phases(seed)
        y0, _ = dev.gauge_origin
        y = self._yz[0]
        phi_perp = np.array([p["phi_perp"] for p in params_list])[:, None]
        theta = -2 * np.pi * phi_perp * (y - y0)[None, :]
        k = len(params_list)
        sig_l = np.empty((k, m, m), complex)
        sig_r = np.empty((k, m, m), complex)
        for j, p in enumerate(params_list):
            s_l, s_r = self.selfenergies(energy, p)
            sig_l[j] = self._column_sigma(s_l, 0)
            sig_r[j] = self._column_sigma(s_r, 1)

        def column(x):  # E - H_x: y-bond (y, y+1) of column x carries phase phy[x, y]
            h = np.diag(diag[x])
            up = -np.exp(1j * phy[x, :-1])  # H[y+1, y]
            i = np.arange(m - 1)
            h[i + 1, i] = up
            h[i, i + 1] = up.conj()
            return energy * np.eye(m) - h

        a = column(0)[None] - sig_l
        if length == 1:
            a = a - sig_r
        g = np.linalg.inv(a)
        gx0 = g
        for x in range(1, length):
            v = -np.exp(1j * (theta + phx[x][None, :]))  # H[x, x-1] = diag(v): bond x-1 -> x
            vc = v.conj()
            a = column(x)[None] - v[:, :, None] * g * vc[:, None, :]
            if x == length - 1:
                a = a - sig_r
            g = np.linalg.inv(a)
            gx0 = g @ (v[:, :, None] * gx0)
        gam_l = 1j * (sig_l - np.conj(np.swapaxes(sig_l, 1, 2)))
        gam_r = 1j * (sig_r - np.conj(np.swapaxes(sig_r, 1, 2)))
        t = np.einsum("kij,kjl,klm,kim->k", gam_r, gx0, gam_l, gx0.conj(), optimize=True)
        return t.real


def selfcheck():
    """The random-phase RGF on a 20 x 30 film: no phases is the package's solver, a pure gauge
    (bond phases chi_i - chi_j, chi = 0 on the contact columns) changes nothing, and
    G(B, phi) = G(-B, -phi) (Onsager). Returns the three largest deviations [e^2/h]."""
    dev = devices.film(20, 30)
    e = dev.energy(E_FILM)
    ps = [dev.params(phi_perp=p, disorder=W_DIS, seed=3) for p in (0.0, 0.01, -0.01)]
    ref = Solver(dev).transmission(e, ps)
    plain = FluxSolver(dev, 0.0).transmission(e, ps)
    chi = np.random.default_rng(1).uniform(-3, 3, (30, 20))
    chi[0] = chi[-1] = 0
    gauge = FluxSolver(dev, 1.0)
    gauge.phases = lambda seed: (np.vstack([np.zeros((1, 20)), np.diff(chi, axis=0)]),
                                 np.hstack([np.diff(chi, axis=1), np.zeros((30, 1))]))  # fmt: skip
    pure = gauge.transmission(e, ps)
    flux_p = FluxSolver(dev, 0.3).transmission(e, ps)
    flux_m = FluxSolver(dev, -0.3).transmission(e, ps)
    return (np.abs(plain - ref).max(), np.abs(pure - ref).max(),
            abs(flux_p[1] - flux_m[2]))  # fmt: skip


_STATE = {}


def _init(width, fields):
    dev = devices.film(SIDE, SIDE)
    _STATE.update(solver=FluxSolver(dev, width), dev=dev, fields=fields)


def _task(seed):
    path = OUT / f"w{_STATE['solver'].width:.6f}" / f"seed{seed}.npy"
    if path.exists():
        return np.load(path)
    dev, s = _STATE["dev"], _STATE["solver"]
    e = dev.energy(E_FILM)
    params = [dev.params(b_perp=b, disorder=W_DIS, seed=seed) for b in _STATE["fields"]]
    g = s.transmission(e, params)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, g)
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=800)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lphi", type=float, default=LPHI, help="input l_phi [a]")
    a = ap.parse_args()
    print(
        "self-check (no phases vs the solver, a pure gauge, Onsager): max deviations "
        + ", ".join(f"{x:.1e}" for x in selfcheck())
        + " e^2/h"
    )
    dev = devices.film(SIDE, SIDE)
    rep, u = dev.regime(E_FILM, W_DIS), dev.units
    e = dev.energy(E_FILM)
    tau_phi = a.lphi**2 / rep.diffusion  # [hbar/t], as the probes' input
    rates = {}
    for name, gamma in (("sharp", 2e-3), ("broadened", 0.5 / rep.tau)):
        nu, c, s2x = fermi_line(e, gamma)
        rates[name] = (nu, c, s2x)
        print(f"Fermi line ({name}, gamma = {gamma:.3g} t): nu = {nu:.5f}/t, <cos k_x> = {c:.4f}, "
              f"<sin^2 k_x> = {s2x:.4f}; bands.dos = {rep.dos:.5f}")  # fmt: skip
    nu, c, _ = rates["sharp"]
    s2 = sin2_for(1 / tau_phi, nu, c)
    w = phase_width(s2)
    nu_b, c_b, _ = rates["broadened"]
    lphi_b = math.sqrt(rep.diffusion / (16 * math.pi * s2 * nu_b * (1 - c_b**2)))
    print(f"tau_phi = {tau_phi:.4g} hbar/t = {tau_phi / rep.tau:.1f} tau: <sin^2 phi> = {s2:.5g}, "
          f"phases uniform on +-{w:.4f} rad; the broadened line would give l_phi = "
          f"{lphi_b:.2f} a")  # fmt: skip
    f = probe_film(SIDE, a.lphi)
    b_tr, fields, model, d_si = f["b_tr"], f["fields"], f["model"], f["diffusion"]
    seeds = list(range(a.seeds))
    with multiprocessing.get_context("fork").Pool(a.workers, _init, (w, fields)) as pool:
        g = np.array(pool.map(_task, seeds, chunksize=4))
    ds = xr.Dataset({"G": (("realization", "b_perp"), g, {"units": "e^2/h"})},
                    coords={"b_perp": ("b_perp", np.array(fields), {"units": "T"})},
                    attrs={"device_spec": json.dumps(dev.spec())})  # fmt: skip
    r = model.fit(fits.from_dataset(ds, quantity="total"), diffusion=d_si, window=0.5 * b_tr,
                  errors="fast")  # fmt: skip
    lp, err = r.values["l_phi"] / (a.lphi * u.a_m), r.stderr["l_phi"] / (a.lphi * u.a_m)
    print(f"{a.seeds} realizations: <G(0)> = {g[:, 0].mean():.4f} +- "
          f"{g[:, 0].std(ddof=1) / math.sqrt(len(g)):.4f}, var G(0) = {g[:, 0].var(ddof=1):.4f}; "
          f"l_phi fitted / input {lp:.3f} +- {err:.3f} (reduced chi^2 {r.reduced_chi2:.2f}); "
          f"Drude D / Born D = {d_si / (rep.diffusion * u.diffusion_m2s):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
