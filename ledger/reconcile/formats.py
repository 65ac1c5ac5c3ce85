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
import functools
import hashlib
import io
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from ledger.reconcile.model import (
    MAX_SERIAL,
    QUANTITY_RE,
    BadField,
    IssuanceRow,
    RegistryRetirement,
    RowError,
    check_range,
    ddmmyyyy,
    iso_date,
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
#: ``batch(registry, rows, date_formats)`` → the retirement tuples of ``rows`` (each
#: ``[values, data, line]``: the row's values, its text as UTF-8, its line), or None when any
#: row is not plain (then each is read on its own, which names what is wrong).
BatchReader = Callable[[str, list, tuple[str, ...]], "list[tuple] | None"]
#: How many rows the reader gathers before reading them (with a layout's batch reader).
BATCH = 2000


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
      batch: optionally, a faster reader of many rows at once (see :data:`BatchReader`);
        it must give what :attr:`serial` and :attr:`vintage` give, row by row, or None.
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
    batch: BatchReader | None = None


class FileError(ValueError):
    """The file as a whole cannot be read (no header, missing columns, not text)."""


# --- the reader ---------------------------------------------------------------------------


class _Iterated(io.RawIOBase):
    """A binary stream over an iterable of byte strings (a generator of lines, say), handing
    out one of them at a time, so that reading it stays as lazy as its source."""

    def __init__(self, chunks: Iterable[bytes]):
        self._it = iter(chunks)
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            self._left = next(self._it, None)
            if self._left is None:
                self._left = b""
                return 0
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def _text(stream: IO[bytes] | Iterable[bytes], encoding: str) -> io.TextIOWrapper:
    """``stream`` as text, line endings kept as written; a byte that is not in ``encoding``
    becomes a lone surrogate (found row by row: a row's text does not encode)."""
    if not hasattr(stream, "read1"):
        stream = io.BufferedReader(_Iterated(stream), buffer_size=1)
    return io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")


class _Records:
    """The CSV records of a text stream: :meth:`__call__` gives the next record as
    ``(cells, raw)``, ``raw`` the record's lines as written. The csv module reads through its
    C iterator; a copy of the same lines, kept by :func:`itertools.tee` until they are taken,
    gives the raw text."""

    def __init__(self, text: io.TextIOWrapper, layout: Layout):
        self.raw_lines, csv_lines = itertools.tee(text)
        self.reader = csv.reader(csv_lines, delimiter=layout.delimiter, strict=True)
        self.read_row = self.reader.__next__
        self.take = self.raw_lines.__next__

    def __call__(self) -> tuple[list[str], str]:
        before = self.reader.line_num
        cells = self.read_row()
        n = self.reader.line_num - before
        raw = self.take() if n == 1 else "".join(itertools.islice(self.raw_lines, n))
        return cells, raw


def _records(text: io.TextIOWrapper, layout: Layout) -> tuple[Any, _Records]:
    """The CSV reader of ``text`` and its :class:`_Records`."""
    records = _Records(text, layout)
    return records.reader, records


def _bad_line(raw: str, start_line: int) -> int:
    """The line (of a record starting at ``start_line``) that was not in the encoding."""
    for i, line in enumerate(raw.splitlines(keepends=True)):
        try:
            line.encode()
        except UnicodeEncodeError:
            return start_line + i
    return start_line


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


def read(stream: IO[bytes] | Iterable[bytes], layout: Layout) -> Iterator[Parsed]:
    """The rows of the export in ``stream`` (a binary file, or any iterable of byte strings),
    in order: a retirement, an issuance row, or an error for a row that cannot be read. A
    problem with the whole file (no header, a missing column, text that is not in the file's
    encoding) is one error, after which the reader stops. Blank lines are ignored."""
    for item in read_tuples(stream, layout):
        yield RegistryRetirement(*item) if type(item) is tuple else item


def read_tuples(stream: IO[bytes] | Iterable[bytes], layout: Layout) -> Iterator[tuple | Parsed]:
    """:func:`read`, with each retirement as the tuple of its fields in
    :class:`~ledger.reconcile.model.RegistryRetirement` order (what the import stores)."""
    text = _text(stream, layout.encoding)
    try:
        yield from _parse_text(text, layout)
    finally:
        text.detach()  # the caller's stream stays open


def _parse_text(text: io.TextIOWrapper, layout: Layout) -> Iterator[tuple | Parsed]:
    reader, record = _records(text, layout)
    try:
        header, raw = record()
        raw.encode()
        get = _header_getter(layout, header)
    except StopIteration:
        yield RowError(1, "file.empty", "the file is empty")
        return
    except FileError as exc:
        yield RowError(1, "file.header", str(exc))
        return
    except UnicodeEncodeError:
        yield _file_error(_bad_line(raw, 1), UnicodeDecodeError("", b"", 0, 1, ""), layout)
        return
    except csv.Error as exc:
        yield _file_error(1, exc, layout)
        return
    width = len(header)
    row_of = _row_reader(layout)
    line = reader.line_num + 1
    read_row, take, raw_lines = record.read_row, record.take, record.raw_lines
    islice = itertools.islice
    gathered: list = []
    batch_size = BATCH if layout.batch is not None else 1
    while True:
        try:
            cells = read_row()
        except StopIteration:
            break
        except csv.Error as exc:
            yield from _read_batch(gathered, layout, row_of)
            yield _file_error(line, exc, layout)
            return
        start_line, line = line, reader.line_num + 1
        n = line - start_line
        raw = take() if n == 1 else "".join(islice(raw_lines, n))
        try:
            data = raw.encode()
        except UnicodeEncodeError:
            yield from _read_batch(gathered, layout, row_of)
            yield _file_error(
                _bad_line(raw, start_line), UnicodeDecodeError("", b"", 0, 1, ""), layout
            )
            return
        if len(cells) != width:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            gathered.append(
                RowError(
                    start_line,
                    "row.width",
                    f"the row has {len(cells)} fields; the header has {width}",
                )
            )
            continue
        cells.append("")
        values = get(cells)
        if not values[RETIRED_ON].strip():
            gathered.append(IssuanceRow(start_line))
        else:
            gathered.append([values, data, start_line])
        if len(gathered) >= batch_size:
            yield from _read_batch(gathered, layout, row_of)
            gathered = []
    yield from _read_batch(gathered, layout, row_of)


def _read_batch(gathered: list, layout: Layout, row_of) -> Iterator[tuple | Parsed]:
    """The gathered rows in order: issuance rows and errors as they are, retirement rows read
    by the layout's batch reader when it has one and they are all plain, else one by one."""
    rows = [g for g in gathered if type(g) is list]
    read = None
    if layout.batch is not None and rows:
        read = layout.batch(layout.registry, rows, layout.date_formats)
    if read is None:
        read = []
        sha256 = hashlib.sha256
        for values, data, line in rows:
            try:
                read.append(
                    row_of(layout.registry, values, sha256(data.rstrip(b"\r\n")).digest(), line)
                )
            except BadField as exc:
                read.append(RowError(line, exc.code, exc.reason))
    it = iter(read)
    for g in gathered:
        yield next(it) if type(g) is list else g


def _file_error(line: int, exc: Exception, layout: Layout) -> RowError:
    if isinstance(exc, UnicodeDecodeError):
        return RowError(
            line, "file.encoding", f"the file is not {layout.encoding.removesuffix('-sig')} text"
        )
    return RowError(line, "file.csv", f"the file is not well-formed CSV here: {exc}")


def _row_reader(layout: Layout):
    serial_of, vintage_of, formats = layout.serial, layout.vintage, layout.date_formats
    column = layout.columns

    quantity_name, date_name = column["quantity"][0], column["retired_on"][0]

    def row(registry: str, v: tuple[str, ...], digest: bytes, line: int) -> tuple:
        block, start, end = serial_of(v)
        text = v[QUANTITY]
        if text.isascii() and text.isdigit():
            quantity = int(text)
        else:
            quantity = parse_quantity(text, quantity_name)
        if quantity != end - start + 1 or start > end or end > MAX_SERIAL:
            check_range(start, end, quantity)
        serial = v[SERIAL].strip() or f"{block}{':' if block else ''}{start}-{end}"
        return (
            registry,
            block,
            start,
            end,
            quantity,
            v[PROJECT].strip(),
            vintage_of(v, formats),
            iso_date(v[RETIRED_ON], formats) or parse_date(v[RETIRED_ON], formats, date_name),
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
    if column == in_serial:
        return
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
        return _vintage_interval(v[VINTAGE], v[VINTAGE_END], formats)
    m = _VERRA_SERIAL.fullmatch(v[SERIAL].strip())
    return f"{ddmmyyyy(m[5])}/{ddmmyyyy(m[6])}" if m else ""


def verra_batch(registry: str, rows: list, formats: tuple[str, ...]) -> list[tuple] | None:
    """Many Verra rows at once (column by column, through C-level maps), or None when any of
    them is not plain: a serial of another shape, a project written otherwise than in the
    serial, a quantity that is not the range's size, a date or vintage that does not read."""
    values = [r[0] for r in rows]
    serials = [v[SERIAL].strip() for v in values]
    found = list(map(_VERRA_SERIAL.fullmatch, serials))
    if None in found:
        return None
    projects = [v[PROJECT].strip() for v in values]
    if any(m[4] != p for m, p in zip(found, projects, strict=True)):
        return None
    quantities_text = [v[QUANTITY].strip() for v in values]
    if None in map(QUANTITY_RE.fullmatch, quantities_text):
        return None
    quantities = [int(q.replace(",", "")) for q in quantities_text]
    starts = [int(m[2]) for m in found]
    ends = [int(m[3]) for m in found]
    if any(
        q != e - s + 1 or s > e or e > MAX_SERIAL
        for q, s, e in zip(quantities, starts, ends, strict=True)
    ):
        return None
    dates = list(map(iso_date, [v[RETIRED_ON] for v in values], itertools.repeat(formats)))
    if None in dates:
        return None
    try:
        vintages = [verra_vintage(v, formats) for v in values]
    except BadField:
        return None
    digests = [hashlib.sha256(r[1].rstrip(b"\r\n")).digest() for r in rows]
    return [
        (registry, "", s, e, q, p, vin, d, v[BENEFICIARY], v[REASON], v[DETAILS], ser, dig, r[2])
        for s, e, q, p, vin, d, v, ser, dig, r in zip(
            starts, ends, quantities, projects, vintages, dates, values, serials, digests, rows,
            strict=True,
        )
    ]  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _vintage_interval(first: str, last: str, formats: tuple[str, ...]) -> str:
    """``first/last`` as ISO dates (remembered: an export repeats few vintages)."""
    return (
        f"{parse_date(first, formats, 'Vintage Start')}/{parse_date(last, formats, 'Vintage End')}"
    )


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
    batch=verra_batch,
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
