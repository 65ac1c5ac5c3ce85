"""Reading registry exports: one :class:`Layout` per format, one streaming reader for all.

:func:`read` turns a file (a binary stream) into ``RegistryRetirement``, ``IssuanceRow`` and
``RowError`` records (:mod:`ledger.reconcile.model`), one row at a time: a 1,000,000-row
export is never held in memory. It reads UTF-8 with or without a byte-order mark (or the
encoding a mapping names), CRLF or LF line endings, quoted fields with commas, line breaks and
Chinese in them. A row with no retirement date is an
issuance row. The formats (columns and serial shapes are in ``docs/reconcile.md``):

- ``verra``: the Verra VCS export, current header (``Region, Country``, ``Credit Type``…) and
  the older one (``Country/Area``); serial
  ``{batch}-{start}-{end}-VCS-VCU-{n}-VER-{ISO2}-{scope}-{project}-{DDMMYYYY}-{DDMMYYYY}-{flag}``;
- ``gs``: Gold Standard, serial ``GS1-1-{ISO2}-GS{id}-{type}-{vintage}-{batch}-{start}-{end}``;
- ``car`` and ``acr``: the Climate Action Reserve and the American Carbon Registry, serials
  written ``{prefix}-{start} to {end}``;
- a column mapping (:mod:`ledger.reconcile.mapping`) for registries without a public format.
"""

from __future__ import annotations

import csv
import hashlib
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO

from ledger.reconcile.model import (
    BadField,
    IssuanceRow,
    RegistryRetirement,
    RowError,
    check_range,
    ddmmyyyy,
    parse_date,
    parse_quantity,
)

#: The fields a layout reads, in the order its getter returns them.
FIELDS = (
    "serial",
    "quantity",
    "project",
    "vintage",
    "vintage_end",
    "retired_on",
    "beneficiary",
    "reason",
    "details",
    "start",
    "end",
    "block",
)
SERIAL, QUANTITY, PROJECT, VINTAGE, VINTAGE_END, RETIRED_ON = range(6)
BENEFICIARY, REASON, DETAILS, START, END, BLOCK = range(6, 12)

Parsed = RegistryRetirement | IssuanceRow | RowError
#: ``serial(values)`` → ``(block, start, end)`` from a row's values (in :data:`FIELDS` order).
SerialReader = Callable[[tuple[str, ...]], tuple[str, int, int]]
#: ``vintage(values, date_formats)`` → the vintage as stored.
VintageReader = Callable[[tuple[str, ...], tuple[str, ...]], str]


@dataclass(frozen=True)
class Layout:
    """How one export format is read.

    Attributes:
      key: the format's name (``verra``, ``gs``, ``car``, ``acr``, ``mapping``).
      registry: the registry its rows belong to.
      columns: for each field of :data:`FIELDS` it reads, the column names that hold it
        (the first present in the header is used).
      required: the fields whose column must be in the header.
      serial: reads the serial range of a row.
      vintage: reads the vintage of a row.
      date_formats: ``strptime`` formats of its dates, tried in order.
      encoding: the file's text encoding (``utf-8-sig`` reads UTF-8 with or without a BOM).
      delimiter: the field separator.
    """

    key: str
    registry: str
    columns: Mapping[str, tuple[str, ...]]
    required: frozenset[str]
    serial: SerialReader
    vintage: VintageReader
    date_formats: tuple[str, ...]
    encoding: str = "utf-8-sig"
    delimiter: str = ","


class FileError(ValueError):
    """The file as a whole cannot be read (no header, missing columns, not text)."""


# --- the reader ---------------------------------------------------------------------------


class _Lines:
    """The lines of a binary stream as text, each decoded on its own (so a line that is not
    in the file's encoding is found by its number), keeping those of the record being read
    (for its digest)."""

    __slots__ = ("_encoding", "_it", "count", "taken")

    def __init__(self, stream: IO[bytes], encoding: str):
        self._it = iter(stream)
        self._encoding = encoding
        self.count = 0
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._it).decode(self._encoding)
        self.count += 1
        self.taken.append(line)
        return line


def _header_getter(layout: Layout, header: list[str]) -> Callable[[list[str]], tuple[str, ...]]:
    """A function from a row's cells (with one empty cell appended) to its values in
    :data:`FIELDS` order; a field without a column reads as the appended empty cell."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name.strip(), i)
    positions = []
    missing = []
    for name in FIELDS:
        found = next((index[c] for c in layout.columns.get(name, ()) if c in index), None)
        if found is None and name in layout.required:
            missing.append(layout.columns[name][0])
        positions.append(len(header) if found is None else found)
    if missing:
        raise FileError(
            f"the header has no column {', '.join(repr(m) for m in missing)}: "
            f"is this a {layout.key} export?"
        )
    return operator.itemgetter(*positions)


def read(stream: IO[bytes], layout: Layout) -> Iterator[Parsed]:
    """The rows of the export in ``stream`` (binary), in order: a retirement, an issuance row,
    or an error for a row that cannot be read. A problem with the whole file (no header, a
    missing column, text that is not in the file's encoding) is one error, after which the
    reader stops. Blank lines are ignored."""
    lines = _Lines(stream, layout.encoding)
    reader = csv.reader(lines, delimiter=layout.delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            yield RowError(1, "file.empty", "the file is empty")
            return
        get = _header_getter(layout, header)
    except FileError as exc:
        yield RowError(1, "file.header", str(exc))
        return
    except UnicodeDecodeError as exc:
        yield _file_error(lines.count + 1, exc, layout)
        return
    except csv.Error as exc:
        yield _file_error(1, exc, layout)
        return
    width = len(header)
    registry = layout.registry
    row_of = _row_reader(layout)
    taken = lines.taken
    taken.clear()
    line = reader.line_num + 1
    sha256 = hashlib.sha256
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield _file_error(lines.count + 1, exc, layout)
            return
        except csv.Error as exc:
            yield _file_error(line, exc, layout)
            return
        raw = "".join(taken)
        taken.clear()
        start_line, line = line, reader.line_num + 1
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if len(cells) != width:
            yield RowError(
                start_line,
                "row.width",
                f"the row has {len(cells)} fields; the header has {width}",
            )
            continue
        cells.append("")
        values = get(cells)
        if not values[RETIRED_ON].strip():
            yield IssuanceRow(start_line)
            continue
        digest = sha256(raw.rstrip("\r\n").encode()).digest()
        try:
            yield row_of(registry, values, digest, start_line)
        except BadField as exc:
            yield RowError(start_line, exc.code, exc.reason)


def _file_error(line: int, exc: Exception, layout: Layout) -> RowError:
    if isinstance(exc, UnicodeDecodeError):
        return RowError(
            line, "file.encoding", f"the file is not {layout.encoding.removesuffix('-sig')} text"
        )
    return RowError(line, "file.csv", f"the file is not well-formed CSV here: {exc}")


def _row_reader(layout: Layout):
    serial_of, vintage_of, formats = layout.serial, layout.vintage, layout.date_formats
    column = layout.columns

    def quantity_name() -> str:
        return column["quantity"][0]

    def row(registry: str, v: tuple[str, ...], digest: bytes, line: int) -> RegistryRetirement:
        block, start, end = serial_of(v)
        quantity = parse_quantity(v[QUANTITY], quantity_name())
        check_range(start, end, quantity)
        serial = v[SERIAL].strip() or f"{block}{':' if block else ''}{start}-{end}"
        return RegistryRetirement(
            registry,
            block,
            start,
            end,
            quantity,
            v[PROJECT].strip(),
            vintage_of(v, formats),
            parse_date(v[RETIRED_ON], formats, column["retired_on"][0]),
            v[BENEFICIARY],
            v[REASON],
            v[DETAILS],
            serial,
            digest,
            line,
        )

    return row


# --- serials --------------------------------------------------------------------------------

_VERRA_SERIAL = re.compile(
    r"(\d+)-(\d+)-(\d+)-VCS-VCU-\d+-VER-[A-Z]{2}-\d+-(\d+)-(\d{8})-(\d{8})-\d+"
)
_GS_SERIAL = re.compile(r"(GS1-1-[A-Z]{2}-GS(\d+)-\d+-(\d{4})-\d+)-(\d+)-(\d+)")
_TO_SERIAL = re.compile(r"(.+?)-(\d+)\s+to\s+(\d+)")


def _bad_serial(text: str, shape: str) -> BadField:
    if not text.strip():
        return BadField("row.serial", "the serial number is empty")
    return BadField("row.serial", f"the serial {text.strip()!r} does not read as {shape}")


def _same_project(in_serial: str, column: str) -> None:
    given = column.strip().upper().removeprefix("VCS").removeprefix("GS").lstrip("0")
    if given and given != in_serial.lstrip("0"):
        raise BadField(
            "row.project_mismatch",
            f"the serial names project {in_serial}; the row says {column.strip()}",
        )


def verra_serial(v: tuple[str, ...]) -> tuple[str, int, int]:
    m = _VERRA_SERIAL.fullmatch(v[SERIAL].strip())
    if m is None:
        raise _bad_serial(v[SERIAL], "{batch}-{start}-{end}-VCS-VCU-…-{project}-…")
    _same_project(m[4], v[PROJECT])
    return "", int(m[2]), int(m[3])


def verra_vintage(v: tuple[str, ...], formats: tuple[str, ...]) -> str:
    if v[VINTAGE].strip() and v[VINTAGE_END].strip():
        first = parse_date(v[VINTAGE], formats, "Vintage Start")
        last = parse_date(v[VINTAGE_END], formats, "Vintage End")
        return f"{first}/{last}"
    m = _VERRA_SERIAL.fullmatch(v[SERIAL].strip())
    return f"{ddmmyyyy(m[5])}/{ddmmyyyy(m[6])}" if m else ""


def gs_serial(v: tuple[str, ...]) -> tuple[str, int, int]:
    m = _GS_SERIAL.fullmatch(v[SERIAL].strip())
    if m is None:
        raise _bad_serial(
            v[SERIAL], "GS1-1-{country}-GS{id}-{type}-{vintage}-{batch}-{start}-{end}"
        )
    _same_project(m[2], v[PROJECT])
    return m[1], int(m[4]), int(m[5])


def to_serial(v: tuple[str, ...]) -> tuple[str, int, int]:
    m = _TO_SERIAL.fullmatch(v[SERIAL].strip())
    if m is None:
        raise _bad_serial(v[SERIAL], "{prefix}-{start} to {end}")
    return m[1], int(m[2]), int(m[3])


def year_vintage(v: tuple[str, ...], formats: tuple[str, ...]) -> str:
    return v[VINTAGE].strip()


# --- the public formats --------------------------------------------------------------------

_COMMON_DETAILS = ("Retirement Reason Details", "Retirement Details", "Note", "Notes")

VERRA = Layout(
    key="verra",
    registry="verra",
    columns={
        "serial": ("Serial Number",),
        "quantity": ("Quantity Issued",),
        "project": ("ID",),
        "vintage": ("Vintage Start",),
        "vintage_end": ("Vintage End",),
        "retired_on": ("Retirement/Cancellation Date",),
        "beneficiary": ("Retirement Beneficiary",),
        "reason": ("Retirement Reason",),
        "details": ("Retirement Details",),
    },
    required=frozenset({"serial", "quantity", "project", "retired_on"}),
    serial=verra_serial,
    vintage=verra_vintage,
    date_formats=("%d/%m/%Y", "%Y-%m-%d"),
)

GOLD_STANDARD = Layout(
    key="gs",
    registry="gs",
    columns={
        "serial": ("Serial Number", "Serial Numbers"),
        "quantity": ("Quantity", "Number of Credits"),
        "project": ("GSID", "Project ID"),
        "vintage": ("Vintage",),
        "retired_on": ("Retirement Date", "Date Retired"),
        "beneficiary": ("Using Entity", "* Using Entity", "Beneficiary"),
        "reason": ("Retirement Reason", "Purpose"),
        "details": _COMMON_DETAILS,
    },
    required=frozenset({"serial", "quantity", "retired_on"}),
    serial=gs_serial,
    vintage=year_vintage,
    date_formats=("%Y-%m-%d", "%d/%m/%Y"),
)

_AMERICAN = {
    "project": ("Project ID",),
    "vintage": ("Vintage",),
    "beneficiary": ("Retired on Behalf of", "Account Holder"),
    "reason": ("Retirement Reason",),
    "details": _COMMON_DETAILS,
}

CLIMATE_ACTION_RESERVE = Layout(
    key="car",
    registry="car",
    columns={
        **_AMERICAN,
        "serial": ("Offset Credit Serial Numbers", "Serial Numbers"),
        "quantity": ("Quantity of Offset Credits", "Quantity"),
        "retired_on": ("Status Effective", "Retirement Date"),
    },
    required=frozenset({"serial", "quantity", "retired_on"}),
    serial=to_serial,
    vintage=year_vintage,
    date_formats=("%m/%d/%Y", "%Y-%m-%d"),
)

AMERICAN_CARBON_REGISTRY = Layout(
    key="acr",
    registry="acr",
    columns={
        **_AMERICAN,
        "serial": ("Credit Serial Numbers", "Serial Numbers"),
        "quantity": ("Quantity of Credits", "Quantity"),
        "retired_on": ("Status Effective (GMT)", "Status Effective", "Retirement Date"),
    },
    required=frozenset({"serial", "quantity", "retired_on"}),
    serial=to_serial,
    vintage=year_vintage,
    date_formats=("%m/%d/%Y", "%Y-%m-%d"),
)

#: The formats with a public layout, by name.
LAYOUTS: dict[str, Layout] = {
    layout.key: layout
    for layout in (VERRA, GOLD_STANDARD, CLIMATE_ACTION_RESERVE, AMERICAN_CARBON_REGISTRY)
}
