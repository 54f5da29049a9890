"""Helpers shared by the studies: sweeps cached under out/studies/, report lines, slab models.

Moved here from the validation tests, where these explorations used to run;
see studies/README.md.
"""

import math
import warnings
from pathlib import Path

import numpy as np
from scipy import optimize

import devices
import fits
import transport

OUT = Path(__file__).resolve().parent.parent / "out" / "studies"


def _emit(line):
    """Print a summary line and append it to out/validation/summary.txt."""
    print("\n" + line)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "summary.txt", "a") as fh:
        fh.write(line + "\n")


def report(name, value, error, target, ok, extra=""):
    _emit(f"STUDY {name}: measured {value:.4g} +- {error:.2g}, target {target}, "
          f"{'PASS' if ok else 'FAIL'} {extra}")  # fmt: skip
    return ok


def info(name, value, error, reference, why):
    """An information line: a measured value printed with its reference, not a check."""
    _emit(f"STUDY-INFO {name}: measured {value:.4g} +- {error:.2g}, reference {reference} "
          f"(information: {why})")  # fmt: skip


def sweep(dev, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", transport.RegimeWarning)
        return transport.sweep(dev, progress=False, **kw)


E_FILM, W_DIS = 1.03, 2.5  # the demo's film: E = 1.03 t, box 2.5 t (l ~ 6 a)


def drude(width=50, lengths=(25, 50, 75, 100), seeds=100, energy=E_FILM, disorder=W_DIS,
          folder="drude", thickness=1):  # fmt: skip
    """Fit 1/<G> = (L + 2 z0)/(sigma W) over lengths, time reversal broken.

    Films of ``width`` and ``lengths`` [a] (``thickness`` layers) at
    ``energy`` and box ``disorder`` [t]. Returns sigma [e^2/h per spin per
    square; for a slab, of the whole thickness], the contact extrapolation
    length z0 [a] (the intercept: 2 z0 = sigma W / N_eff), and their errors.
    """
    inv, err = [], []
    for length in lengths:
        dev = devices.film(width, length, thickness=thickness)
        ds = sweep(dev, b_perp=[dev.units.tesla(0.002)], energies=[energy], seeds=seeds,
                   disorder=disorder, path=OUT / folder / f"film_{width}x{length}.nc")  # fmt: skip
        g = ds.G.values.ravel()
        inv.append(1 / g.mean())
        err.append(g.std(ddof=1) / math.sqrt(len(g)) / g.mean() ** 2)
    x = np.array(lengths, float) / width
    coef, cov = np.polyfit(x, inv, 1, w=1 / np.array(err), cov="unscaled")
    (slope, icpt), (slope_err, icpt_err) = coef, np.sqrt(np.diag(cov))
    sigma = 1 / slope
    z0 = 0.5 * icpt * sigma * width
    z0_err = z0 * math.hypot(icpt_err / icpt, slope_err / slope)
    return dict(sigma=sigma, sigma_err=slope_err / slope**2, z0=z0, z0_err=z0_err)


def film_fields(rep, units, l_phi):
    """B_tr [T] of the regime ``rep`` and the 13 fields [T] of the film checks at input
    ``l_phi`` [a]: 0, and 12 from B_phi/4 to B_tr/2 in geometric steps."""
    b_phi = float(fits.lineshapes.b_from_length(l_phi * units.a_m))
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (rep.mean_free_path * units.a_m) ** 2)
    return b_tr, [0.0, *np.geomspace(b_phi / 4, b_tr / 2, 12)]


def probe_film(side, l_phi):
    """The spinless ``side`` x ``side`` film [a] of the demo's material (E_FILM, W_DIS) at
    input ``l_phi`` [a], as the probe studies use it.

    Returns a dict: ``device``, its ``regime``, the input ``tau_phi_ps`` (l_phi^2 over the
    regime's D), ``b_tr`` [T], the 13 ``fields`` [T] of the film checks (0, and 12 from
    B_phi/4 to B_tr/2), the ``model`` they are fitted with (finite-device, alpha = 1, the
    Drude z0) and the Drude ``diffusion`` [m^2/s] to fit with (`drude`).
    """
    dev = devices.film(side, side)
    rep, u = dev.regime(E_FILM, W_DIS), dev.units
    b_tr, fields = film_fields(rep, u, l_phi)
    d = drude()
    model = fits.FiniteFilm(g_s=1, width=side * u.a_m, length=side * u.a_m, b_tr=b_tr,
                            alpha=1.0, extension=d["z0"] * u.a_m, max_nodes=2500)  # fmt: skip
    return dict(device=dev, regime=rep, tau_phi_ps=l_phi**2 / rep.diffusion * u.time_ps,
                b_tr=b_tr, fields=fields, model=model,
                diffusion=d["sigma"] / (2 * math.pi * rep.dos) * u.diffusion_m2s)  # fmt: skip


def decay_length(dev, energy, params, l_eff):
    """The probes' decay length l_a [a] from the coherent transmission (information).

    With probes the coherent part T_RL decays as in a diffusive conductor
    with a uniform absorption rate: <T_RL>/<G> = x/sinh x, x = l_eff/l_a,
    l_eff = L + 2 z0; l_a = l_phi when the probes dephase at the rate the
    Cooperon feels. ``params``: one parameter dict per realization (B = 0).
    """
    from transport.solver import Solver

    s = Solver(dev)
    d = [s.buttiker(energy, p, details=True) for p in params]
    return _absorption_length(
        np.mean([x["t_rl"] for x in d]) / np.mean([x["conductance"] for x in d]), l_eff
    )


def _absorption_length(ratio, l_eff):
    """l_a [a] of a diffusive conductor of length l_eff [a] whose transmission is ``ratio``
    of the one without absorption: ratio = x/sinh x, x = l_eff / l_a."""
    return l_eff / optimize.brentq(lambda v: v / math.sinh(v) - ratio, 1e-6, 50.0)


def _set_tau(l_set, rep, units):
    """tau_phi [ps] of the slab sweeps: l_set^2 / D_set with D_set = l^2 / (3 tau).

    D_set is 2/3 of the slab's D (`rep.diffusion`, the Einstein relation): it
    applied the 3D relation D = v l / 3 to the regime's in-plane l, whose
    v_F = sqrt(2 Sigma / nu) already makes D = v_F l / 2. Kept so that the
    stored sweeps stay valid; the input is l_phi = sqrt(D tau_phi) =
    sqrt(3/2) l_set, which is what every comparison uses.

    Returns tau_phi [ps] and the input l_phi [a].
    """
    d_set = rep.mean_free_path**2 / (3 * rep.tau_ps / units.time_ps)
    tau = l_set**2 / d_set * units.time_ps
    return tau, math.sqrt(rep.diffusion * tau / units.time_ps)


# 48 x 48 x 8 slab, E = 3 t, box 4.5 t: Born l = 2.4 a < d = a sqrt(8^2 - 1) = 7.9 a
W_SLAB, NZ_SLAB, E_SLAB, DIS_SLAB = 48, 8, 3.0, 4.5


L_PHI_SLAB = (12.0, 17.0, 24.0)  # l_set [a]: tau_phi over a factor 4, input l_phi 1.22 l_set


SEEDS_SLAB = 100


PERP_FRACTIONS = (0.5, 1, 2, 4, 8, 14, 20)  # of B_phi = hbar / (4 e l_phi^2)


PHI_PAR_MAX = 0.0035  # in-plane flux per x-z plaquette [h/e]: l_B|| = 1.25 d at the top


PAR_FRACTIONS = (0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 1.0)


def _slab_models(length, dis):
    """A W_SLAB x ``length`` x 8 slab at E_SLAB, box ``dis`` [t]: device, regime, b_tr [T]
    and the finite-device keywords (alpha = 1, contacts 0.71 l beyond the ends; SI)."""
    dev = devices.film(W_SLAB, length, thickness=NZ_SLAB)
    u, rep = dev.units, dev.regime(E_SLAB, dis)
    ell = rep.mean_free_path
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * (ell * u.a_m) ** 2)
    common = dict(g_s=1, width=W_SLAB * u.a_m, length=length * u.a_m, alpha=1.0,
                  extension=0.71 * ell * u.a_m)  # fmt: skip
    return dev, rep, b_tr, common


def _in_plane_model(common, thick, ell, corrected=True):
    """`fits.FiniteFilmParallel` for a slab [SI]; ``corrected``: the flux cancellation of
    l / d (``mean_free_path``) and the Cooperon solved across d (``cross_section``).

    Both corrections were derived and pinned by unit tests (a trajectory Monte
    Carlo, Beenakker-van Houten's C1 = 9.5, second-order perturbation theory)
    before they were used on these slabs (an earlier run). For this slab material
    (l/d = 0.30) the flux cancellation is 0.864, and the cross-section
    reduces the low-field response by a further 0.78-0.89 (l_phi = 17-20 a).
    """
    extra = dict(mean_free_path=ell, cross_section=True) if corrected else {}
    return fits.FiniteFilmParallel(thickness=thick, **common, **extra)


def _slab_point(dev, rep, length, dis, lp, seeds, b_tr, common, perp=True, corrected=True):
    """One tau_phi of a W_SLAB x ``length`` x 8 slab with 1% probes: sweeps, fits and l_a.

    The in-plane sweep (PAR_FRACTIONS of PHI_PAR_MAX) runs first and is fitted
    with `fits.FiniteFilmParallel`; with ``perp`` the perpendicular sweep
    (PERP_FRACTIONS of B_phi at the input l_phi) too, fitted with
    `fits.FiniteFilm` up to b_tr / 2. l_a from <T_RL>/<G>, 10 realizations.
    Lengths in [a], B* in [T].
    """
    u, d_eff = dev.units, math.sqrt(NZ_SLAB**2 - 1)
    tau_in, l_in = _set_tau(lp, rep, u)
    kw = dict(energies=[E_SLAB], seeds=seeds, disorder=dis, tau_phi=tau_in,
              dephasing="probes", probe_density=0.01)  # fmt: skip
    tag = f"48x{length}x{NZ_SLAB}_E{E_SLAB:g}_W{dis:g}_lphi{lp:g}_n{seeds}.nc"
    folder = OUT / "parallel_slab_diag"
    par = fits.from_dataset(
        sweep(dev, b_par=[0.0, *u.tesla(PHI_PAR_MAX * np.array(PAR_FRACTIONS))],
              path=folder / f"par_{tag}", **kw), quantity="total", axis="b_par")  # fmt: skip
    ell = rep.mean_free_path * u.a_m
    r2 = _in_plane_model(common, d_eff * u.a_m, ell, corrected).fit(par.b, par.dy, par.sigma)
    r3 = _in_plane_model(common, d_eff * u.a_m, ell, not corrected).fit(par.b, par.dy, par.sigma)
    out = dict(l_in=l_in, par_data=par, par=r2.values["l_phi"] / u.a_m,
               par_err=r2.stderr["l_phi"] / u.a_m, b_star=r2.derived["b_star_T"],
               par_chi2=r2.reduced_chi2, other=r3.values["l_phi"] / u.a_m,
               other_err=r3.stderr["l_phi"] / u.a_m, other_chi2=r3.reduced_chi2)  # fmt: skip
    if perp:
        phi_phi = 1 / (8 * math.pi * l_in**2)
        data = fits.from_dataset(
            sweep(dev, b_perp=[0.0, *u.tesla(phi_phi * np.array(PERP_FRACTIONS))],
                  path=folder / f"perp_{tag}", **kw), quantity="total")  # fmt: skip
        # the Cooperon grid's cells as on the 192-long slab (its phase per cell at 20 B_phi)
        grid = dict(common, max_nodes=round(1600 * max(1.0, length / 192)))
        r1 = fits.FiniteFilm(b_tr=b_tr, **grid).fit(data.b, data.dy, data.sigma, window=0.5 * b_tr)
        out.update(
            perp_data=data, perp=r1.values["l_phi"] / u.a_m, perp_err=r1.stderr["l_phi"] / u.a_m
        )
    params = [dev.params(disorder=dis, seed=k, tau_phi=tau_in, dephasing="probes",
                         probe_density=0.01) for k in range(10)]  # fmt: skip
    out["l_a"] = decay_length(dev, E_SLAB, params, length + 2 * 0.71 * rep.mean_free_path)
    return out


def _alpha_free(common, b_tr, thick, perp, par, l_a, qm=None):
    """Information: each orientation fitted with alpha free, and both with one l_phi and alpha.

    If the perpendicular and the in-plane response share one Cooperon (the
    issue's "the same l_phi"), the joint fit has reduced chi^2 ~ 1 (the
    per-field errors are conservative: neighbouring fields share
    realizations). ``common``: the finite-device keywords with alpha
    removed; lengths [m]; printed in units of ``l_a`` [m].
    """
    kw = {k: v for k, v in common.items() if k != "alpha"}
    pm = fits.FiniteFilm(b_tr=b_tr, **kw)
    qm = qm or fits.FiniteFilmParallel(thickness=thick, **kw)
    which = "corrected" if qm.strip is not None else "uniform mass"
    keep = np.abs(perp.b) <= 0.5 * b_tr
    pb, py, ps = perp.b[keep], perp.dy[keep], perp.sigma[keep]
    r1, r2 = pm.fit(pb, py, ps), qm.fit(par.b, par.dy, par.sigma)

    def residuals(x):
        l_phi, alpha = math.exp(x[0]) * l_a, x[1]
        return np.concatenate([(pm(pb, l_phi=l_phi, alpha=alpha) - py) / ps,
                               (qm(par.b, l_phi=l_phi, alpha=alpha) - par.dy) / par.sigma])  # fmt: skip

    j = optimize.least_squares(residuals, [0.0, 1.0])
    # pinv: with l_phi >> L the curves stop depending on l_phi (a singular Jacobian)
    err = np.sqrt(np.abs(np.diag(np.linalg.pinv(j.jac.T @ j.jac))))
    chi2 = 2 * j.cost / (len(j.fun) - 2)
    if 0 < err[0] < 1 and j.x[0] < math.log(100):  # the log of l_phi is constrained
        joint = f"{math.exp(j.x[0]):.2f} +- {math.exp(j.x[0]) * err[0]:.2f} l_a"
    else:  # no shared (l_phi, alpha): the fit runs off to l_phi >> L, where the contacts set the curves
        joint = f"l_phi unbounded ({math.exp(j.x[0]):.3g} l_a)"
    print(f"         alpha free ({which} in-plane model): perpendicular {r1.values['l_phi'] / l_a:.2f} l_a (alpha "
          f"{r1.values['alpha']:.2f} +- {r1.stderr['alpha']:.2f}), in-plane {r2.values['l_phi'] / l_a:.2f}"
          f" l_a (alpha {r2.values['alpha']:.2f} +- {r2.stderr['alpha']:.2f}); joint (one l_phi, one "
          f"alpha) {joint}, alpha {j.x[1]:.2f} +- {err[1]:.2f}, reduced chi^2 {chi2:.1f}")  # fmt: skip


def _sem(x):
    return float(np.std(x, ddof=1) / math.sqrt(len(x)))


def _paired(x, y):
    """<x>/<y> over the same realizations, with its jackknife error."""
    jk = np.array([np.delete(x, k).mean() / np.delete(y, k).mean() for k in range(len(x))])
    return x.mean() / y.mean(), math.sqrt((len(x) - 1) * np.mean((jk - jk.mean()) ** 2))


def _low_field_ratio(g, model, columns=3):
    """Per-realization (G(B) - G(0)) / model over the lowest ``columns`` fields, averaged."""
    return ((g[:, 1 : columns + 1] - g[:, :1]) / model[None, :columns]).mean(axis=1)


def second_loop_alpha(g):
    """WL prefactor alpha = 1 - 1/(pi g) of a spinless sheet of conductance g [e^2/h] (information).

    Minkov, Germanenko and Gornyi, Phys. Rev. B 70, 245423 (2004): at
    intermediate conductance the second-loop corrections lower the prefactor
    of the digamma law to alpha ~ 1 - 2/(pi g) for spin-degenerate electrons,
    g in e^2/h. Without spin-orbit coupling those are two spinless copies of
    conductance g/2 each, so a spinless sheet of conductance g has
    alpha ~ 1 - 1/(pi g). A first-order estimate: rough below g ~ 2.
    """
    return 1 - 1 / (math.pi * g)


# the wire: W = 40 < l_phi and l ~ 12 << W; N l' ~ 500 > l_phi keeps WL perturbative
W_WIRE, L_WIRE, E_WIRE, DIS_WIRE = 40, 300, 3.0, 1.6


TAU_WIRE = (175.0, 350.0, 700.0, 1400.0)  # ps (nominal units t = 1 meV): l_phi ~ 60 .. 170 a


SEEDS_WIRE = 120


FIELD_FRACTIONS = (0, 0.02, 0.05, 0.09, 0.14, 0.2, 0.28, 0.38, 0.5, 0.65, 0.82, 1.0)
