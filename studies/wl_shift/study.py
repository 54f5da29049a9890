"""The weak-localization shift of spinless wires and its approach to 1/3
(run: python -m studies.wl_shift.study). The full validation tier keeps the check on a subset.
"""

import json
import math

import numpy as np
from scipy import stats

import devices
from studies.common import (  # the shared helpers and constants
    OUT,
    report,
    sweep,
)


def _shift(g, channels, column):
    """The paired WL shift <G(B)> - <G(0)> at field ``column`` of g [realization, field].

    Also s = L/l_D, the length in units of the DMPK mean free path, from the
    broken-symmetry mean <G(B)> = N/(1 + s) (contacts included, no Born
    estimate): s = N/<G(B)> - 1.
    """
    dg = g[:, column] - g[:, 0]
    return dict(realizations=len(g), dG=float(dg.mean()),
                dG_err=float(dg.std(ddof=1) / math.sqrt(len(g))),
                s=float(channels / g[:, column].mean() - 1))  # fmt: skip


def shift_curve(s):
    """(1/3) (s/(1 + s))^3: the curve the simulated WL shift follows against s = L/l_D (empirical)."""
    s = np.asarray(s, float)
    return (s / (1 + s)) ** 3 / 3


WL_SCAN_SEEDS = 1000


def _wl_scan(width, lengths, disorder, energy, prefix, suffix=""):
    """Wires of one material at fixed fields r_c = inf, 10 W and 5 W; rows as in _shift.

    Fixed fields (not fixed flux) so that only L changes along the scan; the
    5 W field, paired against 10 W, shows whether time reversal is fully broken.
    """
    rows = []
    for length in lengths:
        dev = devices.wire(width, length)
        rep = dev.regime(energy, disorder)
        phi = rep.k_f / (2 * np.pi * np.array([np.inf, 10, 5]) * width)  # flux per plaquette
        ds = sweep(dev, b_perp=list(dev.units.tesla(phi)), energies=[energy],
                   seeds=range(WL_SCAN_SEEDS), disorder=disorder,
                   path=OUT / "wl_shift" / f"{prefix}_{width}x{length}_{disorder:g}_E{energy:g}{suffix}.nc")  # fmt: skip
        g = ds.G.isel(energy=0, b_par=0).values
        rise = g[:, 2] - g[:, 1]
        rows.append(dict(W=width, L=length, N=rep.channels, L_over_l=length / rep.mean_free_path,
                         W_over_l=width / rep.mean_free_path, **_shift(g, rep.channels, 1),
                         rise=float(rise.mean()),
                         rise_err=float(rise.std(ddof=1) / math.sqrt(len(g)))))  # fmt: skip
    return rows


def _wl_shift_figure(s, y, dy, amp):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.errorbar(s, y, dy, fmt="o", ms=4, label="simulated wires (spinless)")
    grid = np.geomspace(1, 200, 200)
    ax.plot(grid, shift_curve(grid), "-", label=r"$\frac{1}{3}\,[s/(1+s)]^3$")
    ax.plot(grid, amp * 3 * shift_curve(grid), ":", label=f"fitted amplitude {amp:.3f}")
    ax.axhline(1 / 3, color="0.5", lw=0.8)
    ax.axhspan(0.3, 1 / 3 * 1.1, color="0.9", label="1/3 within 10%")
    ax.set_xscale("log")
    ax.set_xlabel(r"$s = L/l_D$  (from $\langle G(B)\rangle = N/(1+s)$)")
    ax.set_ylabel(r"$\langle G(B)\rangle - \langle G(0)\rangle$  [$e^2/h$]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "wl_shift.png", dpi=120)
    plt.close(fig)


def test_wl_shift_approaches_one_third():
    """<G(B)> - <G(0)> of spinless wires against L/l, N l/L and W/l, and its approach to 1/3.

    All fields keep the cyclotron radius well above W (no classical
    magnetoresistance) and break time reversal fully (paired differences
    between two fields are zero within errors). Three groups of wires: the
    original table (8 and 16 flux quanta; 120 x 600 with 2000 realizations,
    plus a saturation check at 24 and 32 quanta), a 150 x 750 wire with
    W/l = 4, and two length scans of one material each (fixed fields): a
    100-wide wire with W/l = 2.7 and a 30-wide one with W/l = 0.5 (the
    regime of the DMPK isotropy assumption), and one long wire at s = 40.
    Every point gives s = L/l_D from its own <G(B)> = N/(1 + s).

    Two checks: the issue's (the best single point within 10% of 1/3), and
    the asymptote, A in A (s/(1+s))^3 fitted to all wires (independent
    realizations), within 10% of 1/3 with an acceptable chi^2. The form
    (s/(1+s))^3 was identified from these data (see README); it is not an
    input of the simulation. The sweeps are stored in out/validation/wl_shift/.
    """
    rows = []
    cases = [  # W, L [a], box disorder [t], E [t], realizations
        (40, 100, 1.5, 1.0, 200),
        (60, 200, 1.2, 1.0, 200),
        (100, 500, 0.8, 2.05, 200),
        (120, 600, 0.88, 2.05, 2000),
    ]
    for width, length, dis, e, n in cases:
        dev = devices.wire(width, length)
        rep = dev.regime(e, dis)
        phi = np.array([0, 8, 16]) / (width * length)  # flux quanta through the wire
        stem = OUT / "wl_shift" / f"wire_{width}x{length}_{dis:g}"
        # realizations in blocks (the first 200 were the original table), one file each
        blocks = [(range(200), f"{stem}.nc")]
        if n > 200:
            blocks.append((range(200, n), f"{stem}_seeds200-{n}.nc"))
        g = np.concatenate([
            sweep(dev, b_perp=list(dev.units.tesla(phi)), energies=[e], seeds=seeds, disorder=dis,
                  path=path).G.isel(energy=0, b_par=0).values
            for seeds, path in blocks])  # fmt: skip
        rise = g[:, 2] - g[:, 1]  # 16 minus 8 flux quanta, paired: is the shift saturated?
        at8, at16 = _shift(g, rep.channels, 1), _shift(g, rep.channels, 2)
        rows.append(dict(W=width, L=length, N=rep.channels, L_over_l=length / rep.mean_free_path,
                         Nl_over_L=rep.n_l_over_l, realizations=len(g), dG=at8["dG"],
                         dG_err=at8["dG_err"], dG_16=at16["dG"], dG_16_err=at16["dG_err"],
                         s=at16["s"], rise=float(rise.mean()),
                         rise_err=float(rise.std(ddof=1) / math.sqrt(len(g)))))  # fmt: skip
    print("\n  W    L    N   L/l   Nl/L  s=L/l_D  realiz.  <G(B)>-<G(0)>: 8 and 16 flux quanta;"
          " 16 - 8 (paired)")  # fmt: skip
    for r in rows:
        print(f"  {r['W']:3d} {r['L']:4d} {r['N']:3d} {r['L_over_l']:5.1f} {r['Nl_over_L']:5.2f} "
              f"{r['s']:6.2f}  {r['realizations']:5d}  "
              f"{r['dG']:.4f} +- {r['dG_err']:.4f}   {r['dG_16']:.4f} +- {r['dG_16_err']:.4f}   "
              f"{r['rise']:+.4f} +- {r['rise_err']:.4f}")  # fmt: skip
    # saturation: 120 x 600 at 16, 24 and 32 flux quanta (r_c = 9, 6, 4.6 W), paired against 16
    dev = devices.wire(120, 600)
    phi = np.array([0, 16, 24, 32]) / (120 * 600)
    g = sweep(dev, b_perp=list(dev.units.tesla(phi)), energies=[2.05], seeds=600, disorder=0.88,
              path=OUT / "wl_shift" / "wire_120x600_0.88_highfield.nc").G.isel(energy=0, b_par=0)  # fmt: skip
    g = g.values
    above = g[:, 2:] - g[:, 1:2]
    above_err = above.std(axis=0, ddof=1) / math.sqrt(len(g))
    print(f"  120 x 600, {len(g)} realizations: shift at 16 quanta "
          f"{(g[:, 1] - g[:, 0]).mean():.4f}; minus that at 24 and 32 quanta: "
          f"{above.mean(0)[0]:+.4f} +- {above_err[0]:.4f}, {above.mean(0)[1]:+.4f} +- "
          f"{above_err[1]:.4f} (saturated if zero)")  # fmt: skip
    saturation = dict(realizations=len(g), minus_16_at_24=above.mean(0)[0],
                      minus_16_at_32=above.mean(0)[1], errors=above_err.tolist())  # fmt: skip
    # a wider wire in units of l: W/l = 4 (E = 3 t, where N = 0.67 W), 32 flux quanta
    # (5 B_tr, r_c = 7 W), against W/l = 2.4 above
    dev = devices.wire(150, 750)
    rep = dev.regime(3.0, 0.9)
    g = sweep(dev, b_perp=list(dev.units.tesla(np.array([0, 32]) / (150 * 750))), energies=[3.0],
              seeds=800, disorder=0.9, path=OUT / "wl_shift" / "wire_150x750_0.9_E3.nc")  # fmt: skip
    g = g.G.isel(energy=0, b_par=0).values
    at32 = _shift(g, rep.channels, 1)
    wide = dict(W=150, L=750, N=rep.channels, W_over_l=150 / rep.mean_free_path,
                L_over_l=750 / rep.mean_free_path, Nl_over_L=rep.n_l_over_l,
                realizations=len(g), dG_32=at32["dG"], dG_32_err=at32["dG_err"], s=at32["s"])  # fmt: skip
    print(f"  150 x 750 at E = 3 t (N = {wide['N']}, W/l = {wide['W_over_l']:.1f}, "
          f"L/l = {wide['L_over_l']:.1f}, N l/L = {wide['Nl_over_L']:.2f}, s = {wide['s']:.2f}), "
          f"{len(g)} realizations: "
          f"{wide['dG_32']:.4f} +- {wide['dG_32_err']:.4f} at 32 flux quanta")  # fmt: skip
    # length scans at fixed material and fields: W/l = 2.7 (E = 3 t, box 0.9 t, l = 37.6 a)
    # and W/l = 0.5 (box 0.71 t, l = 60 a)
    scans = (_wl_scan(100, (225, 450, 900, 1350), 0.9, 3.0, "lscan")
             + _wl_scan(30, (150, 300, 600), 0.71, 3.0, "narrow", f"_n{WL_SCAN_SEEDS}"))  # fmt: skip
    print("  length scans (fields r_c = 10 W and 5 W):\n    W    L   N  W/l   L/l    s = L/l_D  "
          "shift at r_c = 10 W   (1/3)(s/(1+s))^3   5 W - 10 W (paired)")  # fmt: skip
    for r in scans:
        print(f"  {r['W']:4d} {r['L']:5d} {r['N']:3d} {r['W_over_l']:4.1f} {r['L_over_l']:5.1f} "
              f"{r['s']:7.2f}     {r['dG']:.4f} +- {r['dG_err']:.4f}      {shift_curve(r['s']):.4f}"
              f"          {r['rise']:+.4f} +- {r['rise_err']:.4f}")  # fmt: skip
    # the longest wire: s = 42.5 (L = 63 l), W/l = 4 at E = 3.6 t (N = 0.79 W), N/s = 2.4
    dev = devices.wire(126, 1970)
    rep = dev.regime(3.6, 0.82)
    phi = rep.k_f / (2 * np.pi * np.array([np.inf, 10]) * 126)  # r_c = inf, 10 W
    g = sweep(dev, b_perp=list(dev.units.tesla(phi)), energies=[3.6], seeds=range(1000),
              disorder=0.82, path=OUT / "wl_shift" / "long_126x1970_0.82_E3.6.nc")  # fmt: skip
    g = g.G.isel(energy=0, b_par=0).values
    longest = dict(W=126, L=1970, N=rep.channels, W_over_l=126 / rep.mean_free_path,
                   L_over_l=1970 / rep.mean_free_path, **_shift(g, rep.channels, 1))  # fmt: skip
    print(f"  126 x 1970 at E = 3.6 t (N = {longest['N']}, W/l = {longest['W_over_l']:.1f}, "
          f"L/l = {longest['L_over_l']:.1f}, s = {longest['s']:.2f}), {len(g)} realizations: "
          f"{longest['dG']:.4f} +- {longest['dG_err']:.4f} at r_c = 10 W "
          f"((1/3)(s/(1+s))^3 = {shift_curve(longest['s']):.4f})")  # fmt: skip
    scans.append(longest)
    # the approach to 1/3: one amplitude A in A (s/(1+s))^3 over all independent wires
    points = [(r["s"], r["dG_16"], r["dG_16_err"]) for r in rows]
    points += [(wide["s"], wide["dG_32"], wide["dG_32_err"])]
    points += [(r["s"], r["dG"], r["dG_err"]) for r in scans]
    s, y, dy = (np.array(c) for c in zip(*points))
    f = shift_curve(s) * 3
    w = 1 / dy**2
    amp = float(np.sum(w * f * y) / np.sum(w * f**2))
    amp_err = float(1 / math.sqrt(np.sum(w * f**2)))
    chi2 = float(np.sum(w * (y - amp * f) ** 2))
    dof = len(y) - 1
    p_value = float(stats.chi2.sf(chi2, dof))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "wl_shift.json").write_text(json.dumps(dict(
        rows=rows, saturation_120x600=saturation, wide=wide, scans=scans,
        fit=dict(amplitude=amp, amplitude_err=amp_err, chi2=chi2, dof=dof, p_value=p_value)),
        indent=2))  # fmt: skip
    _wl_shift_figure(s, y, dy, amp)
    ok_amp = abs(amp / (1 / 3) - 1) < 0.10 and p_value > 0.01
    report("wl_shift_asymptote", amp, amp_err, "A = 1/3 within 10% in A (s/(1+s))^3, fit p > 0.01",
           ok_amp, f"(chi2 = {chi2:.1f} for {dof} dof, p = {p_value:.2f}; {len(y)} wires, "
           f"s = {s.min():.1f} ... {s.max():.1f})")  # fmt: skip
    # the best single point over sizes and fields (all keep r_c >> W: the WL regime)
    best = [(r[k], r[k + "_err"], f"W={r['W']}, L={r['L']}, {q} flux quanta")
            for r in rows for k, q in (("dG", 8), ("dG_16", 16))]  # fmt: skip
    best.append((wide["dG_32"], wide["dG_32_err"], "W=150, L=750, E = 3 t, 32 flux quanta"))
    best += [(r["dG"], r["dG_err"], f"W={r['W']}, L={r['L']}, r_c = 10 W, s = {r['s']:.1f}")
             for r in scans]  # fmt: skip
    value, error, where = min(best, key=lambda p: abs(p[0] - 1 / 3))
    ok = abs(value / (1 / 3) - 1) < 0.10
    ok &= report("wl_shift_best", value, error, "1/3 within 10%", ok, f"({where})")
    assert ok_amp and ok


def main():
    test_wl_shift_approaches_one_third()


if __name__ == "__main__":
    main()
