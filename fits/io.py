"""Reading instrument exports as they come: tables of numbers with whatever header they have.

:func:`read_file` recognizes

- Quantum Design PPMS/DynaCool ``.dat`` files: a ``[Header]`` block, then
  ``[Data]`` with one line of comma-separated column names such as
  ``Magnetic Field (Oe)`` and ``Bridge 1 Resistance (Ohms)``;
- delimited tables (comma, semicolon, tab or whitespace) with one header
  line, several header lines (names, then units), or none; comment lines
  starting with ``#`` or ``%`` (a commented line just above the data that
  names every column, as ``numpy.savetxt`` writes, is the header);
- 2D arrays written row by row (``numpy.savetxt`` of a map): many more
  columns than a table has, each row a quantity or a trace.

The numbers are parsed by pandas. A line that cannot be read (a corrupted
value, two rows run together, a stray text line) is skipped and recorded
with its line number; ``strict=True`` makes it an error.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["RawTable", "read_file", "split_name_unit"]

_NAN_TOKENS = {"", "nan", "NaN", "NAN", "na", "NA", "-"}
#: a table with more columns than this and more columns than rows is read as an array of rows
ARRAY_COLUMNS = 16


@dataclass
class RawTable:
    """The numbers of a file and what is known about them.

    Attributes
    ----------
    names, units : list of str (units may be None)
        Column names and the units given in the header (``B [mT]``,
        ``Magnetic Field (Oe)``, or a separate units line).
    data : ndarray, shape (rows, columns)
        The numbers; NaN where a field was empty.
    lines : ndarray of int
        The 1-based line of the file each row came from.
    skipped : list of (int, str)
        Lines that could not be read, with the reason.
    layout : {"columns", "rows"}
        "rows": a 2D array whose rows are quantities or traces.
    kind : {"ppms", "table", "array"}
    header : list of str
        Header and comment lines, as found.
    """

    path: str
    names: list
    units: list
    data: np.ndarray
    lines: np.ndarray
    skipped: list = field(default_factory=list)
    layout: str = "columns"
    kind: str = "table"
    header: list = field(default_factory=list)
    has_names: bool = True

    def describe(self) -> str:
        shape = f"{self.data.shape[0]} x {self.data.shape[1]}"
        what = {"ppms": "Quantum Design .dat", "table": "table", "array": "2D array"}[self.kind]
        s = f"{self.path}: {what}, {shape} numbers"
        if self.skipped:
            first = ", ".join(str(n) for n, _ in self.skipped[:5])
            s += f"; {len(self.skipped)} unreadable line(s) skipped (line {first}{', ...' if len(self.skipped) > 5 else ''})"
        return s


def split_name_unit(token: str):
    """``"B [mT]"`` or ``"Magnetic Field (Oe)"`` -> (name, unit); no unit -> (name, None)."""
    token = token.strip().strip('"').strip()
    m = re.match(r"^(.*?)\s*[\[\(]\s*([^\]\)]*?)\s*[\]\)]\s*$", token)
    if m and m.group(1):
        return m.group(1).strip(), m.group(2).strip() or None
    return token, None


def _read_text(path: Path) -> list[str]:
    raw = path.read_bytes()
    for enc in ("utf-8", "latin-1"):
        try:
            return raw.decode(enc).splitlines()
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace").splitlines()  # pragma: no cover


def _split(line: str, sep: str) -> list[str]:
    if sep == "ws":
        return line.split()
    return [t.strip() for t in line.split(sep)]


def _is_number(tok: str) -> bool:
    if tok.strip().strip('"') in _NAN_TOKENS:
        return True
    try:
        float(tok.strip().strip('"'))
    except ValueError:
        return False
    return True


def _numeric(line: str, sep: str) -> bool:
    toks = _split(line, sep)
    return (
        bool(toks)
        and all(_is_number(t) for t in toks)
        and any(t.strip().strip('"') not in _NAN_TOKENS for t in toks)
    )


def _separator(lines: list[str]) -> str:
    counts = {",": 0, ";": 0, "\t": 0}
    for ln in lines[:200]:
        for sep in counts:
            if sep in ln and _numeric(ln, sep):
                counts[sep] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] else "ws"


def read_file(path, *, strict: bool = False) -> RawTable:
    """Read the numbers of an instrument export (see the module docstring).

    Raises
    ------
    ValueError
        When the file does not exist, holds no numbers, or (``strict``) has
        a line that cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"no such data file: {path}")
    lines = _read_text(path)
    if any(ln.strip().lower() == "[data]" for ln in lines):
        return _read_ppms(path, lines, strict)
    return _read_table(path, lines, strict)


def _read_ppms(path, lines, strict) -> RawTable:
    start = next(i for i, ln in enumerate(lines) if ln.strip().lower() == "[data]")
    header = lines[:start]
    rest = [(i + 1, ln) for i, ln in enumerate(lines) if i > start and ln.strip()]
    if not rest:
        raise ValueError(f"{path}: the [Data] section is empty")
    (_, names_line), body = rest[0], rest[1:]
    tokens = _split(names_line, ",")
    names, units = zip(*(split_name_unit(t) for t in tokens))
    return _parse(path, list(names), list(units), body, ",", strict, "ppms", header)


def _read_table(path, lines, strict) -> RawTable:
    numbered = [(i + 1, ln) for i, ln in enumerate(lines)]
    body = [(n, ln) for n, ln in numbered if ln.strip() and not ln.lstrip().startswith(("#", "%"))]
    sep = _separator([ln for _, ln in body])
    first_data = next((k for k, (_, ln) in enumerate(body) if _numeric(ln, sep)), None)
    if first_data is None:
        raise ValueError(
            f"{path}: no rows of numbers found (separator {sep!r}); is this a data file?"
        )
    first_line = body[first_data][0]
    header_lines = [ln for n, ln in body[:first_data]]
    comments = [ln.lstrip()[1:].strip() for n, ln in numbered
                if n < first_line and ln.lstrip().startswith(("#", "%"))]  # fmt: skip
    rows = body[first_data:]
    width = _modal_width(rows, sep)
    names = units = None
    candidates = header_lines or comments[-1:]
    if candidates:
        toks = [_split(h, sep) for h in candidates]
        toks = [t for t in toks if len(t) == width] or [_names_ws(h, width) for h in candidates]
        toks = [t for t in toks if t is not None and len(t) == width]
        if toks:
            split = [split_name_unit(t) for t in toks[0]]
            names = [n for n, _ in split]
            units = [u for _, u in split]
            if len(toks) > 1 and all(u is None for u in units):
                units = [t.strip().strip("[]()") or None for t in toks[1]]
    kind = "table"
    has_names = names is not None
    if names is None:
        names = [f"col{i}" for i in range(width)]
        units = [None] * width
    table = _parse(path, names, units, rows, sep, strict, kind, header_lines + comments)
    table.has_names = has_names
    if (
        not has_names
        and table.data.shape[1] > ARRAY_COLUMNS
        and table.data.shape[1] > table.data.shape[0]
    ):
        table.layout, table.kind = "rows", "array"
    return table


def _names_ws(header: str, width: int):
    """Whitespace header whose names carry units in brackets: keep 'B [mT]' together."""
    toks = re.findall(r"[^\s\[\(]+(?:\s*[\[\(][^\]\)]*[\]\)])?", header)
    return toks if len(toks) == width else None


def _modal_width(rows, sep) -> int:
    widths = [len(_split(ln, sep)) for _, ln in rows if _numeric(ln, sep)]
    vals, counts = np.unique(widths, return_counts=True)
    return int(vals[np.argmax(counts)])


def _parse(path, names, units, rows, sep, strict, kind, header) -> RawTable:
    width = len(names)
    good, numbers, skipped = [], [], []
    for n, ln in rows:
        toks = _split(ln, sep)
        if len(toks) != width:
            skipped.append((n, f"has {len(toks)} fields, expected {width}"))
            continue
        if not all(_is_number(t) for t in toks):
            bad = next(t for t in toks if not _is_number(t))
            skipped.append((n, f"cannot read {bad!r} as a number"))
            continue
        good.append(n)
        numbers.append(ln)
    if strict and skipped:
        n, why = skipped[0]
        raise ValueError(
            f"{path}: line {n} {why} ({len(skipped)} unreadable line(s) in all); fix the file, "
            "or drop --strict to skip such lines"
        )
    if not numbers:
        raise ValueError(f"{path}: no readable rows of numbers")
    text = "\n".join(numbers)
    frame = pd.read_csv(
        io.StringIO(text),
        sep=r"\s+" if sep == "ws" else sep,
        header=None,
        names=list(range(width)),
        dtype=str,
        engine="python" if sep == "ws" else "c",
        skip_blank_lines=False,
        keep_default_na=False,
    )
    data = frame.apply(lambda c: pd.to_numeric(c.str.strip().str.strip('"'), errors="coerce"))
    return RawTable(str(path), list(names), list(units), data.to_numpy(dtype=float),
                    np.array(good), skipped, "columns", kind, header)  # fmt: skip
