"""Sphinx configuration of cooperon's documentation (``make docs``).

Pages are MyST Markdown; the notebooks are rendered by myst-nb without
executing them: ``make test`` executes them (tests/test_notebooks.py) and
keeps the executed copies in ``out/notebooks/``, which are used here when
present (otherwise the stored notebooks, without outputs). The validation
tables are generated from ``docs/validation/<tier>/results.json``, the files
``make validate`` and ``make validate-full`` write.
"""

import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import cooperon  # noqa: E402

project = "cooperon"
author = "the cooperon developers"
copyright = "2026, the cooperon developers"
version = release = cooperon.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
myst_enable_extensions = ["colon_fence", "dollarmath"]
nb_execution_mode = "off"
exclude_patterns = ["_build", "validation/*/README.md"]
html_theme = "pydata_sphinx_theme"
html_title = f"cooperon {version}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True
suppress_warnings = ["myst.header", "misc.highlighting_failure"]
nitpicky = False


# -- generated content ---------------------------------------------------------------------------


def _notebooks(app):
    """Copy the notebooks into the source tree: the executed copies when the tests made them."""
    target = HERE / "notebooks"
    target.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        executed = ROOT / "out" / "notebooks" / nb.name
        shutil.copyfile(executed if executed.exists() else nb, target / nb.name)


def _cell(x):
    return "" if x is None else str(x).replace("|", "\\|")


def _validation(app):
    """docs/_generated/validation_<tier>.md: the results tables of make validate[-full]."""
    out = HERE / "_generated"
    out.mkdir(exist_ok=True)
    for tier in ("quick", "full"):
        path = HERE / "validation" / tier / "results.json"
        lines = []
        if not path.exists():
            lines.append(f"*The {tier} tier has not been run for this version.*")
        else:
            data = json.loads(path.read_text())
            versions = ", ".join(f"{k} {v}" for k, v in data.get("versions", {}).items())
            lines += [
                f"Run {data['created']} ({versions}).",
                "",
                "| check | measured | target | result |",
                "|---|---|---|---|",
            ]
            for r in data["checks"]:
                err = "" if r.get("error") in (None, 0) else f" +- {r['error']:.2g}"
                value = "" if r.get("measured") is None else f"{r['measured']:.4g}{err}"
                verdict = "pass" if r["passed"] else "**FAIL**"
                details = f" {_cell(r['details'])}" if r.get("details") else ""
                lines.append(
                    f"| `{r['name']}` | {value}{details} | {_cell(r['target'])} | {verdict} |"
                )
            other = HERE / "validation" / ("full" if tier == "quick" else "quick") / "results.json"
            if other.exists():
                have = {r["name"] for r in data["checks"]}
                missing = [r["name"] for r in json.loads(other.read_text())["checks"]
                           if r["name"] not in have]  # fmt: skip
                if missing:
                    names = ", ".join(f"`{n}`" for n in dict.fromkeys(missing))
                    lines += ["", f"*Not run at this tier yet:* {names}."]
            figures = sorted({r["figure"] for r in data["checks"] if r.get("figure")})
            for fig in figures:
                if (HERE / "validation" / tier / fig).exists():
                    lines += ["", f"![{fig}](/validation/{tier}/{fig})"]
        (out / f"validation_{tier}.md").write_text("\n".join(lines) + "\n")


def _performance(app):
    """docs/_generated/performance.md: the tables of docs/performance/bench.json (make bench)."""
    out = HERE / "_generated"
    out.mkdir(exist_ok=True)
    path = HERE / "performance" / "bench.json"
    if not path.exists():
        (out / "performance.md").write_text(
            "*The benchmarks have not been run for this version.*\n"
        )
        return
    data = json.loads(path.read_text())
    rows = data["rows"]
    lines = [
        f"Run {data['created']} on {data['machine']}{' (quick)' if data.get('quick') else ''}.",
        "",
    ]
    thr = [r for r in rows if r["case"] == "throughput"]
    if thr:
        lines += [
            "| case | hand-written Kwant loop | cooperon, 1 core | cooperon, 2 workers | "
            "ratio (2 workers) | bare MUMPS solve | parallel efficiency | peak RSS |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in thr:
            lines.append(
                f"| {r['width']} x {r['length']}, {r['fields']} fields x {r['seeds']} seeds | "
                f"{r['naive_ms_per_point']} ms/pt | {r['serial_ms_per_point']} ms | "
                f"{r['two_worker_ms_per_point']} ms | {r['ratio_vs_naive']}x | "
                f"{r['bare_mumps_ms']} ms | {r['parallel_efficiency']} | {r['peak_rss_mib']} MiB |"
            )
        lines.append("")
    probes = [r for r in rows if r["case"] == "probes"]
    if probes:
        lines += ["Buttiker probes, one field and realization, one core:", "",
                  "| sample | sites | probes | cooperon (MUMPS Schur) | SuperLU reference | speedup | same G |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in probes:
            lines.append(f"| {r['size']} | {r['sites']} | {r['probes']} | {r['seconds_cooperon']} s | "
                         f"{r['seconds_superlu_reference']} s | {r['speedup']}x | "
                         f"{r['abs_diff_vs_reference']:.1e} |")  # fmt: skip
        lines.append("")
    for r in rows:
        if r["case"].startswith("scaling"):
            lines.append(f"- time per point versus {r['case'][-1]} ({r['fixed']}): cooperon "
                         f"exponent {r['cooperon_exponent']}, hand-written loop "
                         f"{r['naive_exponent']}")  # fmt: skip
        if r["case"] == "memory":
            lines.append(f"- {r['width']} x {r['length']} film: {r['ms_per_point']} ms per point, "
                         f"peak resident size {r['peak_rss_mib']} MiB")  # fmt: skip
    if (HERE / "performance" / "scaling.png").exists():
        lines += ["", "![scaling](/performance/scaling.png)"]
    (out / "performance.md").write_text("\n".join(lines) + "\n")


def setup(app):
    app.connect("builder-inited", _notebooks)
    app.connect("builder-inited", _validation)
    app.connect("builder-inited", _performance)
