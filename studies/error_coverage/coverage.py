"""How often do the quoted fit errors cover the truth? (synthetic HLN traces)

Cases, each over many noise draws, 1-sigma coverage of B_phi and alpha for
every error estimate a fit reports (stat, hac, bootstrap, window) and for the
quoted one:

- iid:      independent noise of known size (weights given);
- iid_unw:  the same without weights (errors from the residual scatter);
- ar1:      noise correlated along the field (AR(1), correlation 0.9 between
            neighbouring points, like conductance fluctuations), no weights;
- bg:       independent noise plus an unmodelled classical background c B^2.

Usage: python studies/error_coverage/coverage.py [--draws 200]
Writes studies/error_coverage/coverage.json.
"""

import argparse
import json
from pathlib import Path

import numpy as np

import fits
from fits import lineshapes as ls

B_PHI, ALPHA = 3e-4, 1.0
B = np.linspace(0, 4e-3, 80)


def noise(rng, kind, size=2e-3):
    if kind == "ar1":
        e = np.empty(B.size)
        e[0] = rng.normal()
        for i in range(1, B.size):
            e[i] = 0.9 * e[i - 1] + np.sqrt(1 - 0.81) * rng.normal()
        return size * e
    return rng.normal(0, size, B.size)


def run(kind, draws, seed=0):
    rng = np.random.default_rng(seed)
    hits = {}
    for _ in range(draws):
        y = ls.hln(B, B_PHI, ALPHA, g_s=2) + noise(rng, kind)
        if kind == "bg":
            y = y + 0.5 * B**2 / B.max() ** 2 * 0.01
        sigma = 2e-3 if kind == "iid" else None
        r = fits.HLN(g_s=2).fit(B, y, sigma=sigma)
        truth = {"b_phi": B_PHI, "alpha": ALPHA}
        for method, errs in [*r.errors.items(), ("quoted", r.stderr)]:
            for name in truth:
                ok = abs(r.values[name] - truth[name]) < errs[name]
                hits.setdefault(method, {}).setdefault(name, []).append(bool(ok))
    return {m: {n: float(np.mean(v)) for n, v in d.items()} for m, d in hits.items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--draws", type=int, default=200)
    a = p.parse_args()
    out = {}
    for kind in ("iid", "iid_unw", "ar1", "bg"):
        out[kind] = run(kind, a.draws)
        print(kind, json.dumps(out[kind]))
    path = Path(__file__).with_name("coverage.json")
    path.write_text(json.dumps(dict(draws=a.draws, target=0.683, cases=out), indent=2) + "\n")


if __name__ == "__main__":
    main()
