"""The studies stay importable (they run by hand, for hours; see studies/README.md)."""

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUDIES = sorted(p.parent.name for p in (ROOT / "studies").glob("*/README.md"))


def test_every_study_has_a_readme_and_a_script():
    assert set(STUDIES) >= {"parallel_field_slab", "probe_network", "wl_shift", "error_coverage"}
    for name in STUDIES:
        assert list((ROOT / "studies" / name).glob("*.py")), name


@pytest.mark.parametrize("name", STUDIES)
def test_study_imports(name):
    for script in (ROOT / "studies" / name).glob("*.py"):
        if script.stem != "__init__":
            module = importlib.import_module(f"studies.{name}.{script.stem}")
            assert hasattr(module, "main"), script
