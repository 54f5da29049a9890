"""Simulation -> dataset -> fit: the layers connect (physics of the closed loop: `make validate`)."""

import numpy as np

import devices
import fits
import transport


def test_fit_a_simulated_dataset_with_its_standard_errors(tmp_path):
    dev = devices.film(30, 30)
    b = dev.units.tesla(np.linspace(0, 0.004, 9))
    ds = transport.sweep(dev, b_perp=b, energies=[1.0], seeds=24, disorder=2.5,
                         executor="serial", path=tmp_path / "s.nc")  # fmt: skip
    data = fits.from_dataset(ds)
    assert data.quantity == "sheet" and data.sigma is not None
    # dsigma = dG L/W (= dG for a square); the B = 0 point (dG = 0 exactly) is dropped
    assert np.allclose(data.dy, ds.dG_mean.isel(energy=0, b_par=0).values[1:], atol=1e-14)
    assert np.allclose(data.sigma, ds.dG_sem.isel(energy=0, b_par=0).values[1:], atol=1e-14)
    # A coherent 30 x 30 film is far from the HLN regime (no l << l_phi << L): alpha is
    # fixed so that the fit is determined; the physics validation is `make validate`.
    r = fits.HLN(g_s=1, alpha=1.0).fit(
        data.b, data.dy, data.sigma, diffusion=data.meta["diffusion_m2s"]
    )
    assert r.sigma is not None and "tau_phi_ps" in r.derived
    assert np.all(np.diff(r.curve(data.b)) > 0)  # weak localization: G rises with field
