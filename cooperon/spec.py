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
                    fit.model_in_plane for the in-plane one (a slab's orbit:
                    finite_parallel; a spinful single layer with spin-orbit
                    coupling, through Zeeman: finite_film_zeeman)
    [temperature]   a temperature series: temperatures_K and the dephasing law
                    tau_phi(T) = tau_0_ps (T / t_ref_K)^(-p) (or law = "aak" from
                    sheet_resistance_ohm); the sweep runs at every temperature
    [check]         tolerances the run must meet: fitted tau_phi, AB period, the
                    ratio of in-plane to perpendicular l_phi, a fitted B_so against
                    the input's spin relaxation (b_so_rtol: finite_film_rashba or
                    the in-plane Zeeman fit of a Rashba film, or hln_so /
                    finite_film_so on a film with spin-orbit disorder); for a temperature
                    series the exponent p (p_tol), the zero-field rise (rise_rtol) and
                    the B_so the temperatures share (b_so_rtol)
    [output]        figures

A top-level ``kind`` selects the experiment: "magnetoconductance" (the
default; the sections above), "size_sweep" (section [size_sweep]: conductance
versus sample size and the beta function) or "localization_length" (section
[localization_length]: transfer-matrix localization lengths over bar widths
and disorders, with a finite-size-scaling fit).
"""

from __future__ import annotations

import copy
import difflib
import itertools
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

#: Perpendicular-field models with a fitted B_so.
SO_MODELS = ("hln_so", "finite_film_so")
#: The perpendicular-field model whose B_so is D'yakonov-Perel's on a Rashba film (on the
#: device), and all such models (ilp: a large film).
RASHBA_MODEL = "finite_film_rashba"
RASHBA_MODELS = (RASHBA_MODEL, "ilp")

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
        "spin": (bool, False),
        "g_factor": (NUMBER, None),
        "rashba_meV_nm": (NUMBER, None),
        "dresselhaus_meV_nm": (NUMBER, None),
        "so_disorder_meV": (NUMBER, None),
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
        "g_s": (int, None),
        "alpha": (NUMBER, None),
        "window_mT": (NUMBER, None),
        "transport_field": (bool, True),
        "contact_extension_nm": (NUMBER, 0.0),
        "in_plane_corrections": (bool, True),
    },
    "temperature": {
        "temperatures_K": (AXIS, None),
        "law": (str, "power"),
        "tau_0_ps": (NUMBER, None),
        "p": (NUMBER, 1.0),
        "t_ref_K": (NUMBER, None),
        "tau_sat_ps": (NUMBER, None),
        "sheet_resistance_ohm": (NUMBER, None),
        "smearing": (bool, False),
        "quench_mT": (NUMBER, None),
    },
    "check": {
        "tau_phi_rtol": (NUMBER, None),
        "ab_period_rtol": (NUMBER, None),
        "in_plane_ratio_rtol": (NUMBER, None),
        "b_so_rtol": (NUMBER, None),
        "p_tol": (NUMBER, None),
        "rise_rtol": (NUMBER, None),
    },
    "output": {"figures": (bool, True)},
}

SHAPES = ("film", "wire", "ring")

# Scaling-theory experiments: kind = "size_sweep" or "localization_length" at the top of
# the spec. Lattice units as everywhere: without a lattice constant, nm are sites and meV t.
KINDS = ("magnetoconductance", "size_sweep", "localization_length")
UNITS = {
    "lattice_constant_nm": (NUMBER, None),
    "hopping_meV": (NUMBER, None),
    "mass": (NUMBER, None),
}
SCHEMA_SIZE = {
    "title": (str, ""),
    "kind": (str, "size_sweep"),
    "size_sweep": {
        "shape": (str, REQUIRED),
        "sizes_nm": (AXIS, REQUIRED),
        "width_nm": (NUMBER, None),
        "energy_meV": (NUMBER, REQUIRED),
        "box_meV": (NUMBER, REQUIRED),
        "realizations": (int, REQUIRED),
        "first_seed": (int, 0),
        **UNITS,
    },
    "execution": SCHEMA["execution"],
    "check": {"beta_negative": (bool, False), "beta_one_loop_sigma": (NUMBER, None)},
    "output": {"figures": (bool, True)},
}
SCHEMA_TRANSFER = {
    "title": (str, ""),
    "kind": (str, "localization_length"),
    "localization_length": {
        "dimension": (int, 3),
        "widths_nm": (AXIS, REQUIRED),
        "box_meV": (AXIS, REQUIRED),
        "energy_meV": (NUMBER, REQUIRED),
        "accuracy": (NUMBER, 0.01),
        "boundary": (str, "periodic"),
        "max_length": (int, 10_000_000),
        "seed": (int, 0),
        "fit": (str, "scaling"),
        "n_r": (int, 3),
        "irrelevant": (bool, False),
        **UNITS,
    },
    "execution": {"workers": (int, None)},
    "check": {"w_c_meV": (NUMBER, None), "w_c_tol_meV": (NUMBER, None)},
    "output": {"figures": (bool, True)},
}


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
    kind = raw.get("kind", "magnetoconductance")
    if not isinstance(kind, str):
        raise SpecError(f"{source}: kind must be a string, got {kind!r}")
    _choice("kind", kind, KINDS)
    schema = {"magnetoconductance": {**SCHEMA, "kind": (str, "magnetoconductance")},
              "size_sweep": SCHEMA_SIZE, "localization_length": SCHEMA_TRANSFER}[kind]  # fmt: skip
    out = {}
    for key in raw:
        if key not in schema:
            raise SpecError(f"{source}: unknown section [{key}]{_suggest(key, schema)}"
                            + (f" (a {kind} spec has {', '.join(schema)})"
                               if kind != "magnetoconductance" else ""))  # fmt: skip
    for section, fields in schema.items():
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
    if out["kind"] == "magnetoconductance":
        _semantic(out, source)
    else:
        _semantic_scaling(out, source)
    return out


def _units(sec, where):
    if sec["hopping_meV"] is not None and sec["mass"] is not None:
        raise SpecError(f"give {where}.hopping_meV or {where}.mass, not both")
    if (sec["hopping_meV"] is not None or sec["mass"] is not None) and sec[
        "lattice_constant_nm"
    ] is None:
        raise SpecError(f"{where}.hopping_meV / {where}.mass need {where}.lattice_constant_nm")


def _semantic_scaling(s, source):
    from transport.scaling import SHAPES as SIZE_SHAPES

    if s["kind"] == "size_sweep":
        z = s["size_sweep"]
        _choice("size_sweep.shape", z["shape"], SIZE_SHAPES)
        _units(z, "size_sweep")
        if z["shape"] == "wire" and z["width_nm"] is None:
            raise SpecError(f"{source}: a wire size sweep needs size_sweep.width_nm")
        if z["shape"] != "wire" and z["width_nm"] is not None:
            raise SpecError(f"size_sweep.width_nm applies to wires; a {z['shape']} has "
                            "width = length = size")  # fmt: skip
        sizes = z["sizes_nm"]
        if len(sizes) < 2 or any(b <= a for a, b in itertools.pairwise(sizes)):
            raise SpecError(f"size_sweep.sizes_nm: two or more increasing sizes, got {sizes}")
        if z["realizations"] < 2:
            raise SpecError("size_sweep.realizations must be >= 2 (errors come from the spread)")
        if z["box_meV"] <= 0:
            raise SpecError("size_sweep.box_meV must be > 0 (scaling needs disorder)")
        _choice("execution.executor", s["execution"]["executor"], EXECUTORS)
        if s["execution"]["executor"] == "dask" and not s["execution"]["dask"]:
            raise SpecError("execution.executor = 'dask' needs execution.dask = 'tcp://host:port'")
        c = s["check"]
        if c["beta_one_loop_sigma"] is not None:
            if z["shape"] != "square":
                raise SpecError("check.beta_one_loop_sigma compares with the 2D one-loop beta "
                                "function: it needs size_sweep.shape = 'square'")  # fmt: skip
            if not c["beta_one_loop_sigma"] > 0:
                raise SpecError("check.beta_one_loop_sigma is a number of standard errors > 0")
        return
    c = s["check"]
    if (c["w_c_meV"] is None) != (c["w_c_tol_meV"] is None):
        raise SpecError("check.w_c_meV and check.w_c_tol_meV go together (expected W_c and "
                        "its tolerance)")  # fmt: skip
    if c["w_c_meV"] is not None and s["localization_length"]["fit"] != "scaling":
        raise SpecError("check.w_c_meV needs localization_length.fit = 'scaling'")
    t = s["localization_length"]
    _units(t, "localization_length")
    if t["dimension"] not in (2, 3):
        raise SpecError(f"localization_length.dimension is 2 or 3, got {t['dimension']}")
    _choice("localization_length.boundary", t["boundary"], ("periodic", "hard"))
    _choice("localization_length.fit", t["fit"], ("scaling", "none"))
    if not 0 < t["accuracy"] < 1:
        raise SpecError(f"localization_length.accuracy is a relative error in (0, 1), got "
                        f"{t['accuracy']}")  # fmt: skip
    if any(w <= 0 for w in t["box_meV"]):
        raise SpecError("localization_length.box_meV: disorders must be > 0")


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
    spin_keys = [k for k in ("g_factor", "rashba_meV_nm", "dresselhaus_meV_nm", "so_disorder_meV")
                 if d[k] is not None]  # fmt: skip
    if spin_keys and not d["spin"]:
        raise SpecError(
            f"device.{', device.'.join(spin_keys)} need a spinful device: add device.spin = true "
            "(two orbitals per site; G then counts both spins)"
        )
    g_s = 2 if d["spin"] else 1
    if s["fit"]["g_s"] is None:
        s["fit"]["g_s"] = g_s
    elif s["fit"]["g_s"] != g_s:
        raise SpecError(
            f"fit.g_s = {s['fit']['g_s']} does not match the device: a "
            f"{'spinful device counts both spins' if d['spin'] else 'spinless device gives G per spin'}"
            f", so g_s = {g_s}; remove fit.g_s (it follows device.spin)"
        )
    dp = s["dephasing"]
    _choice("dephasing.model", dp["model"], DEPHASING)
    if is_temperature(s):
        _semantic_temperature(s, source)
    elif any(v != SCHEMA["temperature"][k][1] for k, v in s["temperature"].items()):
        raise SpecError("[temperature] needs temperature.temperatures_K (a list of kelvin)")
    elif s["check"]["p_tol"] is not None or s["check"]["rise_rtol"] is not None:
        raise SpecError("check.p_tol and check.rise_rtol need a [temperature] series")
    if dp["model"] != "none" and dp["tau_phi_ps"] is None and not is_temperature(s):
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
    if s["fit"]["model"] == "ab" and d["shape"] != "ring":
        raise SpecError("fit.model = 'ab' (the Aharonov-Bohm analysis) needs device.shape = 'ring'")
    if d["shape"] == "ring" and s["fit"]["model"] not in ("ab", "none"):
        raise SpecError(
            f"fit.model = {s['fit']['model']!r} is a weak-localization model; a ring's sweep is "
            "analysed with fit.model = 'ab'"
        )
    c = s["check"]
    if is_orientation(s):
        mip = s["fit"]["model_in_plane"]
        _choice("fit.model_in_plane", mip, ("parallel", "finite_parallel", "finite_film_zeeman"))
        zeeman_ready = bool(d["spin"] and d["g_factor"]
                            and (d["rashba_meV_nm"] or d["dresselhaus_meV_nm"]))  # fmt: skip
        if mip == "finite_film_zeeman":
            if not zeeman_ready:
                raise SpecError(
                    "fit.model_in_plane = 'finite_film_zeeman' fits the Zeeman dephasing of "
                    "antilocalization: it needs device.spin = true with a non-zero "
                    "device.g_factor and spin-orbit coupling (device.rashba_meV_nm)"
                )
            if d["so_disorder_meV"]:
                raise SpecError(
                    "fit.model_in_plane = 'finite_film_zeeman' takes D'yakonov-Perel triplets "
                    "(Rashba coupling); with device.so_disorder_meV the spin relaxes "
                    "isotropically (Elliott-Yafet), which the model does not describe: remove "
                    "device.so_disorder_meV"
                )
            if d["thickness"] != 1:
                raise SpecError(
                    "fit.model_in_plane = 'finite_film_zeeman' describes a single layer, where "
                    "the in-plane field acts through Zeeman only; a slab's orbit responds too: "
                    "set device.thickness = 1, or use finite_parallel"
                )
            if c["in_plane_ratio_rtol"] is not None:
                raise SpecError(
                    "check.in_plane_ratio_rtol compares two l_phi; finite_film_zeeman holds l_phi "
                    "at the perpendicular value and fits B_so: use check.b_so_rtol"
                )
        elif d["thickness"] < 2:
            hint = (" (this spinful film with a g factor and spin-orbit coupling: set "
                    "fit.model_in_plane = 'finite_film_zeeman')" if zeeman_ready else "")  # fmt: skip
            raise SpecError(
                f"fit.model_in_plane = {mip!r} fits the orbital response to an in-plane field, "
                "which needs a slab: device.thickness >= 2 layers. On a single layer an in-plane "
                "field acts through Zeeman only" + hint
            )
    elif c["in_plane_ratio_rtol"] is not None:
        raise SpecError("check.in_plane_ratio_rtol needs both sweep.b_perp_mT and sweep.b_par_mT")
    zeeman_b_so = is_orientation(s) and s["fit"]["model_in_plane"] == "finite_film_zeeman"
    elliott_yafet_b_so = bool(
        d["so_disorder_meV"] and not is_orientation(s) and s["fit"]["model"] in SO_MODELS
    )
    dyakonov_perel_b_so = not is_orientation(s) and s["fit"]["model"] in RASHBA_MODELS
    if c["b_so_rtol"] is not None and not (zeeman_b_so or elliott_yafet_b_so
                                           or dyakonov_perel_b_so):  # fmt: skip
        uniform = bool(d["rashba_meV_nm"] or d["dresselhaus_meV_nm"])
        raise SpecError(
            "check.b_so_rtol compares a fitted B_so with the spin relaxation of the input: "
            f"a perpendicular fit with fit.model = {' or '.join(map(repr, RASHBA_MODELS))} of a Rashba (or "
            "Dresselhaus) film, the in-plane Zeeman fit of a Rashba film (both field sweeps "
            "and fit.model_in_plane = 'finite_film_zeeman'), or a perpendicular fit with "
            f"spin-orbit (fit.model = {' or '.join(repr(m) for m in SO_MODELS)}) of a film with "
            "spin-orbit disorder (device.so_disorder_meV)"
            + (f". On this film set fit.model = {RASHBA_MODEL!r} (or 'ilp' on a film much "
               "larger than l_phi): the isotropic triplets of "
               f"{s['fit']['model']!r} underestimate a Rashba film's B_so several times "
               "(validation page)" if uniform and s["fit"]["model"] in SO_MODELS else "")
        )  # fmt: skip
    if (
        dyakonov_perel_b_so
        and c["b_so_rtol"] is not None
        and (
            bool(d["rashba_meV_nm"]) == bool(d["dresselhaus_meV_nm"])
            or d["so_disorder_meV"]
            or d["thickness"] != 1
        )
    ):
        raise SpecError(
            f"check.b_so_rtol with {s['fit']['model']} compares with the D'yakonov-Perel spin "
            "relaxation of a single layer with Rashba or Dresselhaus coupling alone: set one "
            "of device.rashba_meV_nm, device.dresselhaus_meV_nm, no device.so_disorder_meV, "
            "and device.thickness = 1"
        )
    if (
        elliott_yafet_b_so
        and c["b_so_rtol"] is not None
        and (d["rashba_meV_nm"] or d["dresselhaus_meV_nm"] or d["thickness"] != 1)
    ):
        raise SpecError(
            "check.b_so_rtol on a film with spin-orbit disorder compares with its Born "
            "(Elliott-Yafet) spin relaxation, computed for a single layer without Rashba or "
            "Dresselhaus coupling: remove those couplings and set device.thickness = 1"
        )
    if zeeman_b_so and c["b_so_rtol"] is not None and (d["dresselhaus_meV_nm"]
                                                        or not d["rashba_meV_nm"]):  # fmt: skip
        raise SpecError("check.b_so_rtol compares with the spin relaxation of Rashba coupling "
                        "alone: set device.rashba_meV_nm and remove device.dresselhaus_meV_nm")  # fmt: skip
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


def is_temperature(s) -> bool:
    """A temperature series: the sweep at every temperature of [temperature]."""
    return s.get("temperature", {}).get("temperatures_K") is not None


def _semantic_temperature(s, source):
    t = s["temperature"]
    temps = t["temperatures_K"]
    if any(not (math.isfinite(x) and x > 0) for x in temps):
        raise SpecError(f"temperature.temperatures_K: a temperature is a positive number of "
                        f"kelvin, got {temps}")  # fmt: skip
    if len(temps) < 2 or any(b <= a for a, b in itertools.pairwise(temps)):
        raise SpecError(f"temperature.temperatures_K: give at least two temperatures, "
                        f"increasing; got {temps}")  # fmt: skip
    _choice("temperature.law", t["law"], ("power", "aak"))
    dp = s["dephasing"]
    if dp["model"] == "none":
        raise SpecError("a temperature series imposes tau_phi(T) by dephasing: set "
                        "dephasing.model = 'probes' (or 'absorbing')")  # fmt: skip
    if dp["tau_phi_ps"] is not None:
        raise SpecError("in a temperature series the law sets tau_phi at every temperature: "
                        "remove dephasing.tau_phi_ps (give temperature.tau_0_ps)")  # fmt: skip
    if t["t_ref_K"] is None:
        raise SpecError("the dephasing law needs its reference temperature: "
                        "temperature.t_ref_K (tau_0_ps is tau_phi there)")  # fmt: skip
    if t["law"] == "power":
        if t["tau_0_ps"] is None:
            raise SpecError("temperature.law = 'power' needs temperature.tau_0_ps "
                            "(tau_phi at t_ref_K)")  # fmt: skip
        if t["sheet_resistance_ohm"] is not None:
            raise SpecError("temperature.sheet_resistance_ohm sets the 'aak' law; with "
                            "law = 'power' give tau_0_ps and p")  # fmt: skip
    else:
        if t["sheet_resistance_ohm"] is None:
            raise SpecError("temperature.law = 'aak' needs temperature.sheet_resistance_ohm")
        if t["tau_0_ps"] is not None:
            raise SpecError("temperature.law = 'aak' computes tau_0 from the sheet resistance: "
                            "remove temperature.tau_0_ps")  # fmt: skip
    for key in ("tau_0_ps", "t_ref_K", "tau_sat_ps", "sheet_resistance_ohm"):
        if t[key] is not None and not (math.isfinite(t[key]) and t[key] > 0):
            raise SpecError(f"temperature.{key} must be > 0, got {t[key]}")
    if not (math.isfinite(t["p"]) and t["p"] > 0):
        raise SpecError(f"temperature.p must be > 0 (tau_phi grows on cooling), got {t['p']}")
    if s["device"]["shape"] == "ring":
        raise SpecError("a temperature series is a weak-localization experiment on a film or a "
                        "wire, not a ring")  # fmt: skip
    if s["fit"]["model"] in ("ab", "none"):
        raise SpecError("a temperature series fits a weak-localization model at every "
                        f"temperature; fit.model = {s['fit']['model']!r} does not")  # fmt: skip
    sw = s["sweep"]
    if sw["b_par_mT"] is not None and len(sw["b_par_mT"]) > 1:
        raise SpecError("a temperature series sweeps the perpendicular field: remove "
                        "sweep.b_par_mT")  # fmt: skip
    if sw["b_perp_mT"] is None or len(sw["b_perp_mT"]) < 3:
        raise SpecError("a temperature series needs sweep.b_perp_mT (at least 3 fields)")
    if len(sw["energy_meV"] or [0]) > 1:
        raise SpecError("a temperature series is at one Fermi energy: give one "
                        "sweep.energy_meV (temperature.smearing = true averages the "
                        "thermal window)")  # fmt: skip
    if t["quench_mT"] is not None and not any(
        abs(b - t["quench_mT"]) < 1e-9 for b in sw["b_perp_mT"]
    ):
        raise SpecError(f"temperature.quench_mT = {t['quench_mT']:g} must be one of the swept "
                        "fields sweep.b_perp_mT")  # fmt: skip
    if s["check"]["tau_phi_rtol"] is not None:
        raise SpecError("check.tau_phi_rtol is for one tau_phi; a temperature series checks "
                        "the exponent (check.p_tol) and the rise (check.rise_rtol)")  # fmt: skip
    if s["check"]["p_tol"] is not None and not s["check"]["p_tol"] > 0:
        raise SpecError(f"check.p_tol is an absolute tolerance > 0, got {s['check']['p_tol']}")


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
