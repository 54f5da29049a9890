"""Virtual-experiment spec files (TOML): schema, validation, defaults.

Every quantity carries its unit in its key (``width_nm``, ``b_perp_mT``,
``tau_phi_ps``); an unknown key, or a known quantity in another unit, is an
error that names the key and suggests the closest valid one. Field and
energy axes are a number, a list, or a table ``{start, stop, num}``.
Sections::

    [device]        shape, sizes, lattice and material
    [disorder]      box width
    [dephasing]     model and tau_phi
    [sweep]         fields, energy, realizations
    [execution]     local workers or a Dask scheduler
    [fit]           line shape and window ("ab": Aharonov-Bohm analysis of a ring);
                    with both b_perp_mT and b_par_mT swept, an orientation experiment:
                    two sweeps, fit.model for the perpendicular one and
                    fit.model_in_plane for the in-plane one
    [check]         tolerances the run must meet: fitted tau_phi, AB period, and the
                    ratio of in-plane to perpendicular l_phi
    [output]        figures
"""

from __future__ import annotations

import copy
import difflib
import math
import tomllib
from pathlib import Path

import numpy as np

__all__ = ["SpecError", "load", "parse", "set_value"]


class SpecError(ValueError):
    """A spec file that cannot describe an experiment."""


# section -> key -> (type, default); REQUIRED marks keys without default
REQUIRED = object()
NUMBER = (int, float)
AXIS = "axis"

SCHEMA = {
    "title": (str, ""),
    "device": {
        "shape": (str, REQUIRED),
        "width_nm": (NUMBER, None),
        "length_nm": (NUMBER, None),
        "thickness": (int, 1),
        "interlayer": (NUMBER, 1.0),
        "r_in_nm": (NUMBER, None),
        "r_out_nm": (NUMBER, None),
        "lead_width_nm": (NUMBER, None),
        "lattice_constant_nm": (NUMBER, None),
        "hopping_meV": (NUMBER, None),
        "mass": (NUMBER, None),
        "field_in_leads": (bool, False),
    },
    "disorder": {"box_meV": (NUMBER, REQUIRED)},
    "dephasing": {
        "model": (str, "none"),
        "tau_phi_ps": (NUMBER, None),
        "probe_density": ("density", None),
    },
    "sweep": {
        "b_perp_mT": (AXIS, None),
        "b_par_mT": (AXIS, None),
        "energy_meV": (AXIS, None),
        "density_cm2": (NUMBER, None),
        "realizations": (int, REQUIRED),
        "first_seed": (int, 0),
    },
    "execution": {
        "workers": (int, None),
        "executor": (str, "processes"),
        "dask": (str, None),
        "progress": (bool, None),
    },
    "fit": {
        "model": (str, "hln"),
        "model_in_plane": (str, "finite_parallel"),
        "g_s": (int, 1),
        "alpha": (NUMBER, None),
        "window_mT": (NUMBER, None),
        "transport_field": (bool, True),
        "contact_extension_nm": (NUMBER, 0.0),
        "in_plane_corrections": (bool, True),
    },
    "check": {
        "tau_phi_rtol": (NUMBER, None),
        "ab_period_rtol": (NUMBER, None),
        "in_plane_ratio_rtol": (NUMBER, None),
    },
    "output": {"figures": (bool, True)},
}

SHAPES = ("film", "wire", "ring")


def fit_models() -> tuple[str, ...]:
    """The fit models a spec may name: the registry's, and "none"."""
    from fits.registry import MODELS

    return (*MODELS, "ab", "none")


DEPHASING = ("none", "absorbing", "probes")
EXECUTORS = ("processes", "serial", "dask")


def _suggest(name, options):
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    if not close:
        # a known quantity in another unit: width_um -> width_nm
        stem = name.rsplit("_", 1)[0]
        close = [o for o in options if o.rsplit("_", 1)[0] == stem]
    return f"; did you mean {close[0]!r}?" if close else ""


def _axis(where, value):
    if isinstance(value, dict):
        extra = set(value) - {"start", "stop", "num"}
        if extra or not {"start", "stop", "num"} <= set(value):
            raise SpecError(
                f"{where}: a range is a table {{start, stop, num}}, got keys {sorted(value)}"
            )
        if not (isinstance(value["num"], int) and value["num"] >= 1):
            raise SpecError(f"{where}.num must be an integer >= 1, got {value['num']!r}")
        return np.linspace(float(value["start"]), float(value["stop"]), value["num"]).tolist()
    if isinstance(value, NUMBER) and not isinstance(value, bool):
        return [float(value)]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, NUMBER) and not isinstance(v, bool) for v in value)
    ):
        return [float(v) for v in value]
    raise SpecError(f"{where} must be a number, a list of numbers or {{start, stop, num}}")


def _check_type(where, value, kind):
    if kind is AXIS:
        return _axis(where, value)
    if kind == "density":
        if value == "auto":
            return value
        return _check_type(where, value, NUMBER)
    if kind is NUMBER:
        if isinstance(value, bool) or not isinstance(value, NUMBER):
            raise SpecError(f"{where} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise SpecError(f"{where} must be finite, got {value!r}")
        return float(value)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SpecError(f"{where} must be an integer, got {value!r}")
    if kind is bool and not isinstance(value, bool):
        raise SpecError(f"{where} must be true or false, got {value!r}")
    if kind is str and not isinstance(value, str):
        raise SpecError(f"{where} must be a string, got {value!r}")
    return value


def parse(raw: dict, source: str = "spec") -> dict:
    """Validate a spec (as loaded from TOML) and fill in defaults."""
    out = {}
    for key in raw:
        if key not in SCHEMA:
            raise SpecError(f"{source}: unknown section [{key}]{_suggest(key, SCHEMA)}")
    for section, fields in SCHEMA.items():
        if not isinstance(fields, dict):
            kind, default = fields
            out[section] = _check_type(section, raw.get(section, default), kind)
            continue
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise SpecError(f"{source}: [{section}] must be a table")
        for key in given:
            if key not in fields:
                raise SpecError(
                    f"{source}: unknown key {section}.{key}{_suggest(key, fields)} "
                    f"(valid: {', '.join(fields)})"
                )
        sec = {}
        for key, (kind, default) in fields.items():
            if key in given:
                sec[key] = _check_type(f"{section}.{key}", given[key], kind)
            elif default is REQUIRED:
                raise SpecError(f"{source}: missing {section}.{key}")
            else:
                sec[key] = default
        out[section] = sec
    _semantic(out, source)
    return out


def _choice(where, value, options):
    if value not in options:
        raise SpecError(
            f"{where} = {value!r} is not one of {', '.join(options)}{_suggest(value, options)}"
        )


def _semantic(s, source):
    d = s["device"]
    _choice("device.shape", d["shape"], SHAPES)
    if d["shape"] == "ring":
        for k in ("r_in_nm", "r_out_nm"):
            if d[k] is None:
                raise SpecError(f"{source}: a ring needs device.{k}")
    else:
        for k in ("width_nm", "length_nm"):
            if d[k] is None:
                raise SpecError(f"{source}: a {d['shape']} needs device.{k}")
    if d["hopping_meV"] is not None and d["mass"] is not None:
        raise SpecError("give device.hopping_meV or device.mass, not both")
    if (d["hopping_meV"] is not None or d["mass"] is not None) and d["lattice_constant_nm"] is None:
        raise SpecError("device.hopping_meV / device.mass need device.lattice_constant_nm")
    dp = s["dephasing"]
    _choice("dephasing.model", dp["model"], DEPHASING)
    if dp["model"] != "none" and dp["tau_phi_ps"] is None:
        raise SpecError(f"dephasing.model = {dp['model']!r} needs dephasing.tau_phi_ps")
    sw = s["sweep"]
    if sw["energy_meV"] is None and sw["density_cm2"] is None:
        raise SpecError(f"{source}: give sweep.energy_meV or sweep.density_cm2")
    if sw["energy_meV"] is not None and sw["density_cm2"] is not None:
        raise SpecError("give sweep.energy_meV or sweep.density_cm2, not both")
    if sw["realizations"] < 1:
        raise SpecError(f"sweep.realizations must be >= 1, got {sw['realizations']}")
    ex = s["execution"]
    _choice("execution.executor", ex["executor"], EXECUTORS)
    if ex["executor"] == "dask" and not ex["dask"]:
        raise SpecError("execution.executor = 'dask' needs execution.dask = 'tcp://host:port'")
    _choice("fit.model", s["fit"]["model"], fit_models())
    if s["fit"]["g_s"] not in (1, 2):
        raise SpecError(f"fit.g_s is the spin degeneracy, 1 or 2; got {s['fit']['g_s']}")
    if s["fit"]["model"] == "ab" and d["shape"] != "ring":
        raise SpecError("fit.model = 'ab' (the Aharonov-Bohm analysis) needs device.shape = 'ring'")
    if d["shape"] == "ring" and s["fit"]["model"] not in ("ab", "none"):
        raise SpecError(
            f"fit.model = {s['fit']['model']!r} is a weak-localization model; a ring's sweep is "
            "analysed with fit.model = 'ab'"
        )
    if is_orientation(s):
        _choice("fit.model_in_plane", s["fit"]["model_in_plane"], ("parallel", "finite_parallel"))
        if d["thickness"] < 2:
            raise SpecError("an in-plane field needs a slab: device.thickness >= 2 layers")
    c = s["check"]
    if c["in_plane_ratio_rtol"] is not None and not is_orientation(s):
        raise SpecError("check.in_plane_ratio_rtol needs both sweep.b_perp_mT and sweep.b_par_mT")
    if c["tau_phi_rtol"] is not None and (
        dp["model"] == "none" or s["fit"]["model"] in ("ab", "none")
    ):
        raise SpecError("check.tau_phi_rtol needs a dephasing model (its input) and a fit model")
    if c["ab_period_rtol"] is not None and s["fit"]["model"] != "ab":
        raise SpecError("check.ab_period_rtol needs fit.model = 'ab'")
    for key, v in c.items():
        if v is not None and not v > 0:
            raise SpecError(f"check.{key} is a relative tolerance > 0, got {v}")
    if s["fit"]["model"].startswith("graphene"):
        raise SpecError(
            f"fit.model = {s['fit']['model']!r}: the graphene models describe graphene, which "
            "cooperon does not simulate; fit measured graphene data with `cooperon fit`"
        )


def is_orientation(s) -> bool:
    """Both a perpendicular and an in-plane field sweep: two sweeps of the same realizations."""
    sw = s["sweep"]
    return all(sw[k] is not None and len(sw[k]) > 1 for k in ("b_perp_mT", "b_par_mT"))


def load(path, overrides=()) -> dict:
    """Read, override (``section.key=value`` strings) and validate a spec file."""
    path = Path(path)
    if not path.exists():
        raise SpecError(f"no such spec file: {path}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    for item in overrides:
        raw = set_value(raw, item)
    return parse(raw, str(path))


def set_value(raw: dict, item: str) -> dict:
    """Apply one ``section.key=value`` override (value in TOML syntax)."""
    if "=" not in item or "." not in item.split("=", 1)[0]:
        raise SpecError(f"an override is section.key=value, got {item!r}")
    target, value = item.split("=", 1)
    section, key = target.strip().split(".", 1)
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    raw = copy.deepcopy(raw)
    raw.setdefault(section, {})[key] = parsed
    return raw
