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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
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
#: ``batch(values, date_formats)`` → ``(blocks, starts, ends, vintages)`` of many rows at
#: once, read column by column (``values[f]`` the column of field ``f`` of :data:`FIELDS`, its
#: serials and projects stripped), or None when any row is not plain (then each is read on its
#: own, which names what is wrong); each a list.
BatchReader = Callable[[list[list[str]], tuple[str, ...]], "tuple | None"]
#: The most lines the reader takes at a time.
BATCH = 512


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
      spec: for a column mapping, the mapping it was built from (as
        :func:`~ledger.reconcile.mapping.layout_of` takes it), so that another process can
        build it again.
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
    spec: Mapping[str, Any] | None = field(default=None, compare=False)


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


#: Bytes read from the stream at a time.
READ_SIZE = 1 << 20
_BOM = b"\xef\xbb\xbf"


class _Lines:
    """The lines of a binary stream, split where the text is split when read with universal
    newlines (``\\r\\n``, ``\\r`` or ``\\n``; a line keeps its end), a chunk of the stream at a
    time (``\\r`` and ``\\n`` are never part of a character in UTF-8 or GB18030, so the bytes
    split where the text does).

    :meth:`block` takes the next lines as text together with the bytes a row's digest is
    taken of; iterating takes the next line as text, whatever bytes it holds (a byte that is
    not in the encoding becomes a lone surrogate, found when the row is read)."""

    def __init__(self, stream: IO[bytes] | Iterable[bytes], encoding: str):
        if not hasattr(stream, "read1"):
            stream = io.BufferedReader(_Iterated(stream), buffer_size=1)
        self._read = stream.read1
        self._bom = encoding == "utf-8-sig"
        self._encoding = "utf-8" if self._bom else encoding
        #: The digest is taken of a row's text in UTF-8: in a UTF-8 file, the bytes as read.
        self._utf8 = self._encoding == "utf-8"
        self._lines: list[bytes] = []
        self._at = 0
        self._carry = b""
        self._eof = False

    def _fill(self) -> bool:
        """Whether a line is left to take (reading the stream's next chunk when needed)."""
        while self._at == len(self._lines):
            if self._eof:
                return False
            chunk = self._read(READ_SIZE)
            if not chunk:
                self._eof = True
                self._lines, self._carry = ([self._carry] if self._carry else []), b""
            else:
                self._lines = chunk.splitlines(keepends=True)
                # The last chunk's unended line goes on here, unless a "\r" ended it.
                if self._carry:
                    if self._carry.endswith(b"\r") and not chunk.startswith(b"\n"):
                        self._lines.insert(0, self._carry)
                    else:
                        self._lines[0] = self._carry + self._lines[0]
                # A last piece without "\n" may go on in the next chunk (so may a "\r").
                last = self._lines[-1]
                self._carry = b"" if last.endswith(b"\n") else self._lines.pop()
            if self._bom and self._lines:  # the first line: without the byte-order mark
                self._bom = False
                self._lines[0] = self._lines[0].removeprefix(_BOM)
            self._at = 0
        return True

    def block(self, size: int) -> tuple[list[str], list[bytes] | None]:
        """Up to ``size`` next lines (fewer where a chunk of the stream ends; none at the end)
        as text, and each line's text in UTF-8, or None when a line is not in the encoding
        (the lines are then given as iterating gives them)."""
        if not self._fill():
            return [], None
        raw = self._lines[self._at : self._at + size]
        self._at += len(raw)
        try:
            lines = list(map(bytes.decode, raw, itertools.repeat(self._encoding)))
        except UnicodeDecodeError:
            return [line.decode(self._encoding, "surrogateescape") for line in raw], None
        return lines, raw if self._utf8 else list(map(str.encode, lines))

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if not self._fill():
            raise StopIteration
        self._at += 1
        return self._lines[self._at - 1].decode(self._encoding, "surrogateescape")


class _Records:
    """The CSV records of an iterable of lines: :meth:`__call__` gives the next record as
    ``(cells, raw)``, ``raw`` the record's lines as written. The csv module reads through its
    C iterator; a copy of the same lines, kept by :func:`itertools.tee` until they are taken,
    gives the raw text."""

    def __init__(self, lines: Iterable[str], delimiter: str):
        self.raw_lines, csv_lines = itertools.tee(lines)
        self.reader = csv.reader(csv_lines, delimiter=delimiter, strict=True)
        self.read_row = self.reader.__next__
        self.take = self.raw_lines.__next__

    def __call__(self) -> tuple[list[str], str]:
        before = self.reader.line_num
        cells = self.read_row()
        n = self.reader.line_num - before
        raw = self.take() if n == 1 else "".join(itertools.islice(self.raw_lines, n))
        return cells, raw


def _bad_line(raw: str, start_line: int) -> int:
    """The line (of a record starting at ``start_line``) that was not in the encoding."""
    for i, line in enumerate(raw.splitlines(keepends=True)):
        try:
            line.encode()
        except UnicodeEncodeError:
            return start_line + i
    return start_line


def _header_positions(layout: Layout, header: list[str]) -> list[int]:
    """For each field of :data:`FIELDS`, the index of its column in ``header``, or
    ``len(header)`` (one past the last cell) for a field without one."""
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
    return positions


def read(stream: IO[bytes] | Iterable[bytes], layout: Layout) -> Iterator[Parsed]:
    """The rows of the export in ``stream`` (a binary file, or any iterable of byte strings),
    in order: a retirement, an issuance row, or an error for a row that cannot be read. A
    problem with the whole file (no header, a missing column, text that is not in the file's
    encoding) is one error, after which the reader stops. Blank lines are ignored."""
    for item in read_tuples(stream, layout):
        yield RegistryRetirement(*item) if type(item) is tuple else item


def read_tuples(stream: IO[bytes] | Iterable[bytes], layout: Layout) -> Iterator[tuple | Parsed]:
    """:func:`read`, with each retirement as the tuple of its fields in
    :class:`~ledger.reconcile.model.RegistryRetirement` order."""
    for columns, others in read_blocks(stream, layout):
        rows = list(zip(*columns, strict=True))
        if others:
            yield from sorted([*rows, *others], key=_line_of)
        else:
            yield from rows


def _line_of(item: tuple | Parsed) -> int:
    return item[LINE_COLUMN] if type(item) is tuple else item.line


#: A block's retirements column by column: a sequence of each field of
#: :class:`~ledger.reconcile.model.RegistryRetirement`, in its order, a value a row (each a
#: list or a tuple).
Columns = Sequence[Sequence]
#: The columns of a block without retirements.
NO_COLUMNS: Columns = ((),) * len(fields(RegistryRetirement))
#: The column of the rows' lines.
LINE_COLUMN = [f.name for f in fields(RegistryRetirement)].index("line")


def read_blocks(
    stream: IO[bytes] | Iterable[bytes], layout: Layout
) -> Iterator[tuple[Columns, list[IssuanceRow | RowError]]]:
    """:func:`read` a block of lines at a time (what an import stores): each block's
    retirements column by column (:data:`Columns`), and its issuance rows and errors. The
    first block is one line, each next one twice as long, up to :data:`BATCH` lines, so a
    stream's first rows come out before much of it is read."""
    source = _Lines(stream, layout.encoding)
    records = _Records(source, layout.delimiter)
    try:
        header, raw = records()
        raw.encode()
        positions = _header_positions(layout, header)
    except StopIteration:
        yield NO_COLUMNS, [RowError(1, "file.empty", "the file is empty")]
        return
    except FileError as exc:
        yield NO_COLUMNS, [RowError(1, "file.header", str(exc))]
        return
    except UnicodeEncodeError:
        error = _file_error(_bad_line(raw, 1), UnicodeDecodeError("", b"", 0, 1, ""), layout)
        yield NO_COLUMNS, [error]
        return
    except csv.Error as exc:
        yield NO_COLUMNS, [_file_error(1, exc, layout)]
        return
    # The header's lines are taken from both copies of the tee: the lines go on from here.
    rows_of = _Rows(layout, positions, len(header))
    line = records.reader.line_num + 1
    size = 1
    while True:
        lines, data = source.block(size)
        if not lines:
            return
        size = min(2 * size, BATCH)
        cells = None if data is None else _cells(lines, layout.delimiter)
        if cells is not None:
            yield rows_of.block(cells, data, line)
            line += len(lines)
            continue
        entries, line, error = _record_by_record(lines, source, line, layout)
        columns, others = rows_of.one_by_one(entries)
        if error is not None:
            yield columns, [*others, error]
            return
        yield columns, others


def _cells(lines: list[str], delimiter: str) -> list[list[str]] | None:
    """The cells of each line, when each line is one whole record; else None."""
    try:
        cells = list(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    return cells if len(cells) == len(lines) else None


def _record_by_record(
    lines: list[str], text: Iterable[str], line: int, layout: Layout
) -> tuple[list[tuple[list[str], bytes, int]], int, RowError | None]:
    """The records of ``lines`` (and of the lines of ``text`` the last of them goes on into)
    one at a time, each as ``(cells, data, line)``; then the line where the next record
    starts, and the error that ends the file (a record that is not CSV, text that is not in
    the encoding) or None."""
    records = _Records(itertools.chain(lines, text), layout.delimiter)
    reader = records.reader
    entries = []
    while reader.line_num < len(lines):
        start = line + reader.line_num
        try:
            cells, raw = records()
        except StopIteration:
            break
        except csv.Error as exc:
            return entries, start, _file_error(start, exc, layout)
        try:
            data = raw.encode()
        except UnicodeEncodeError:
            bad = _bad_line(raw, start)
            return entries, start, _file_error(bad, UnicodeDecodeError("", b"", 0, 1, ""), layout)
        entries.append((cells, data, start))
    return entries, line + reader.line_num, None


class _Rows:
    """Turns records into retirements (column by column), issuance rows and errors."""

    def __init__(self, layout: Layout, positions: list[int], width: int):
        self.layout = layout
        self.positions = positions
        self.width = width
        self.get = operator.itemgetter(*positions)
        self.row_of = _row_reader(layout)

    def block(self, cells: list[list[str]], data: list[bytes], line: int) -> tuple[Columns, list]:
        """Rows that are one line each, starting at ``line``: column by column through the
        layout's batch reader when they are all plain, else one by one."""
        if self.layout.batch is not None:
            read = self._columns(cells, data, line)
            if read is not None:
                return read
        return self.one_by_one(zip(cells, data, itertools.count(line)))

    def _columns(self, cells: list[list[str]], data: list[bytes], first: int):
        width = self.width
        if len(set(map(len, cells))) != 1 or len(cells[0]) != width:
            return None
        lines = list(range(first, first + len(cells)))
        position = self.positions[RETIRED_ON]
        if position == width:  # no retirement date at all: issuance rows only
            return NO_COLUMNS, list(map(IssuanceRow, lines))
        kept = list(map(str.strip, map(operator.itemgetter(position), cells)))  # "" for none
        others: list = []
        if not all(kept):
            others = list(map(IssuanceRow, itertools.compress(lines, map(operator.not_, kept))))
            cells = list(itertools.compress(cells, kept))
            if not cells:
                return NO_COLUMNS, others
            data = list(itertools.compress(data, kept))
            lines = list(itertools.compress(lines, kept))
        columns = [*zip(*cells, strict=True), ("",) * len(cells)]  # the last for absent fields
        read = _plain_columns(self.layout, [columns[p] for p in self.positions], data, lines)
        return None if read is None else (read, others)

    def one_by_one(self, entries: Iterable[tuple[list[str], bytes, int]]) -> tuple[Columns, list]:
        """Records ``(cells, data, line)`` read one at a time, each bad one named."""
        registry, width, get, row_of = self.layout.registry, self.width, self.get, self.row_of
        sha256 = hashlib.sha256
        rows: list[tuple] = []
        others: list = []
        for cells, data, line in entries:
            if len(cells) != width:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                reason = f"the row has {len(cells)} fields; the header has {width}"
                others.append(RowError(line, "row.width", reason))
                continue
            values = get([*cells, ""])
            if not values[RETIRED_ON].strip():
                others.append(IssuanceRow(line))
                continue
            try:
                rows.append(row_of(registry, values, sha256(data.rstrip(b"\r\n")).digest(), line))
            except BadField as exc:
                others.append(RowError(line, exc.code, exc.reason))
        return (list(zip(*rows, strict=True)) if rows else NO_COLUMNS), others


def _plain_columns(
    layout: Layout, values: list[list[str]], data: list[bytes], lines: list[int]
) -> Columns | None:
    """Retirements read column by column (``values[f]`` the column of field ``f``), or
    None when any of them is not plain: a serial the layout's batch reader does not take, a
    quantity that is not the range's size, a date that does not read."""
    values[SERIAL] = list(map(str.strip, values[SERIAL]))
    values[PROJECT] = list(map(str.strip, values[PROJECT]))
    read = layout.batch(values, layout.date_formats)
    if read is None:
        return None
    blocks, starts, ends, vintages = read
    quantities_text = values[QUANTITY]
    if not all(map(str.isdecimal, quantities_text)):  # what QUANTITY_RE's \d+ takes
        quantities_text = list(map(str.strip, quantities_text))
    if all(map(str.isdecimal, quantities_text)):  # no commas
        quantities = list(map(int, quantities_text))
    elif None in map(QUANTITY_RE.fullmatch, quantities_text):
        return None
    else:
        quantities = list(map(int, map(str.replace, quantities_text, _COMMA, _NOTHING)))
    if (
        list(map(operator.sub, ends, starts)) != list(map(operator.sub, quantities, _ONE))
        or min(quantities) < 1
        or max(ends) > MAX_SERIAL
    ):
        return None
    dates = list(map(iso_date, values[RETIRED_ON], itertools.repeat(layout.date_formats)))
    if None in dates:
        return None
    serials = values[SERIAL]
    if not all(serials):
        serials = [
            s or f"{b}{':' if b else ''}{first}-{last}"
            for s, b, first, last in zip(serials, blocks, starts, ends, strict=True)
        ]
    digests = list(map(_DIGEST, map(hashlib.sha256, map(bytes.rstrip, data, _LINE_END))))
    return [
        [layout.registry] * len(starts), blocks, starts, ends, quantities, values[PROJECT],
        vintages, dates, values[BENEFICIARY], values[REASON], values[DETAILS], serials,
        digests, lines,
    ]  # fmt: skip


_COMMA, _NOTHING, _ONE = itertools.repeat(","), itertools.repeat(""), itertools.repeat(1)
_LINE_END = itertools.repeat(b"\r\n")
_DIGEST = operator.methodcaller("digest")


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


def _matches(pattern: re.Pattern, serials: list[str]) -> list[re.Match] | None:
    """Each serial's match of ``pattern``, or None when any does not match."""
    found = list(map(pattern.fullmatch, serials))
    return None if None in found else found


def _group(found: list[re.Match], group: int | str) -> list[str]:
    return list(map(operator.itemgetter(group), found))


def _integers(found: list[re.Match], group: int) -> list[int]:
    return list(map(int, map(operator.itemgetter(group), found)))


def verra_batch(values: list[list[str]], formats: tuple[str, ...]) -> tuple | None:
    """Many Verra rows at once, column by column (see :data:`BatchReader`), or None when any
    is not plain: a serial of another shape, a project written otherwise than in the serial,
    a vintage that does not read."""
    found = _matches(_VERRA_SERIAL, values[SERIAL])
    if found is None or _group(found, 4) != values[PROJECT]:
        return None
    firsts, lasts = values[VINTAGE], values[VINTAGE_END]
    try:
        if all(map(str.strip, firsts)) and all(map(str.strip, lasts)):
            vintages = list(map(_vintage_interval, firsts, lasts, itertools.repeat(formats)))
        else:
            vintages = [
                _vintage_interval(a, b, formats)
                if a.strip() and b.strip()
                else f"{ddmmyyyy(m[5])}/{ddmmyyyy(m[6])}"
                for a, b, m in zip(firsts, lasts, found, strict=True)
            ]
    except BadField:
        return None
    return [""] * len(found), _integers(found, 2), _integers(found, 3), vintages


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


def gs_batch(values: list[list[str]], formats: tuple[str, ...]) -> tuple | None:
    """Many Gold Standard rows at once (see :data:`BatchReader`)."""
    found = _matches(_GS_SERIAL, values[SERIAL])
    if found is None:
        return None
    ids = _group(found, 2)
    if ids != values[PROJECT]:
        try:
            for in_serial, column in zip(ids, values[PROJECT], strict=True):
                _same_project(in_serial, column)
        except BadField:
            return None
    return _group(found, 1), _integers(found, 4), _integers(found, 5), _years(values)


def to_batch(values: list[list[str]], formats: tuple[str, ...]) -> tuple | None:
    """Many rows with ``{prefix}-{start} to {end}`` serials at once (see :data:`BatchReader`)."""
    found = _matches(_TO_SERIAL, values[SERIAL])
    if found is None:
        return None
    return _group(found, 1), _integers(found, 2), _integers(found, 3), _years(values)


def _years(values: list[list[str]]) -> list[str]:
    """:func:`year_vintage`, column by column."""
    return list(map(str.strip, values[VINTAGE]))


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
    batch=gs_batch,
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
    batch=to_batch,
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
    batch=to_batch,
)

#: The formats with a public layout, by name.
LAYOUTS: dict[str, Layout] = {
    layout.key: layout
    for layout in (VERRA, GOLD_STANDARD, CLIMATE_ACTION_RESERVE, AMERICAN_CARBON_REGISTRY)
}
