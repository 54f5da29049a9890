"""The finite-device model's shape against the demo's ensemble (see README.md).

Runs the demo's sweep (cached in out/studies/finite_film_shape/), then fits it
with generalized least squares for several SVD cuts of the correlation matrix
and contact extrapolation lengths, and prints tau_phi and the reduced chi^2.
"""

import json
import math
from pathlib import Path

import numpy as np

import fits
from cooperon import experiment, spec

OUT = Path(__file__).resolve().parents[2] / "out" / "studies" / "finite_film_shape"


def main():
    sp = spec.load(Path(experiment.__file__).with_name("default.toml"))
    sp["output"]["figures"] = False
    experiment.run(sp, OUT)
    import xarray as xr

    ds = xr.load_dataset(OUT / "sweep.nc")
    spec_ = json.loads(ds.attrs["device_spec"])
    a = spec_["units"]["a_nm"] * 1e-9
    d_si, ell = ds.attrs["diffusion_m2s"], ds.attrs["mean_free_path_nm"] * 1e-9
    b_tr = fits.lineshapes.HBAR_OVER_E / (2 * ell**2)
    data = fits.from_dataset(ds, quantity="total")
    s = np.sqrt(np.diag(data.cov))
    corr = data.cov / np.outer(s, s)
    w, v = np.linalg.eigh(corr)
    print("correlation eigenvalues / largest:", np.round(w[::-1] / w.max(), 12).tolist())
    for z0 in (0.0, math.pi / 4 * ell):
        model = fits.FiniteFilm(g_s=1, width=50 * a, length=50 * a, alpha=1.0, b_tr=b_tr,
                                extension=z0)  # fmt: skip
        for cut in (None, 1e-8, 1e-6, 1e-4, 1e-2):
            cov = data.cov
            if cut is not None:
                cov = (v * np.maximum(w, cut * w.max())) @ v.T * np.outer(s, s)
            r = model.fit(data.b, data.dy, data.sigma, cov=cov, diffusion=d_si, errors="fast")
            tau, err = r.derived["tau_phi_ps"]
            print(f"z0 = {z0 * 1e9:5.1f} nm, SVD cut {cut}: tau_phi = {tau:.3f} +- {err:.3f} ps "
                  f"(input 0.75), reduced chi^2 = {r.reduced_chi2:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
