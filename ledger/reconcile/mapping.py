"""Column mappings: how to read the records of a registry or exchange that publishes no
machine-readable format of its own (the Haixia exchange, the national CCER registry).

A mapping is a small JSON object, or the same as a two-column CSV (``key,value``; a key may
repeat for ``date_format``)::

    {"registry": "haixia",
     "encoding": "utf-8-sig",                       # or gb18030 (optional)
     "delimiter": ",",                              # optional
     "date_formats": ["%Y-%m-%d", "%Y年%m月%d日"],
     "columns": {"start": "起始序号", "end": "终止序号", "block": "项目批次",
                 "quantity": "注销数量", "project": "项目编号", "vintage": "年度",
                 "retired_on": "注销日期", "beneficiary": "注销方", "reason": "注销用途",
                 "details": "备注"}}

The serial range comes either from two columns (``start`` and ``end``, with an optional
``block``) or from one ``serial`` column read with a ``serial_pattern``: a regular expression
with the named groups ``start`` and ``end`` (and optionally ``block``) that must match the
whole serial. ``quantity`` and ``retired_on`` are required; a row with an empty
``retired_on`` is an issuance row. See ``docs/reconcile.md``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import operator
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ledger.core.errors import ValidationError
from ledger.reconcile.formats import (
    BLOCK,
    END,
    FIELDS,
    SERIAL,
    START,
    VINTAGE,
    Layout,
    year_vintage,
)
from ledger.reconcile.model import BadField

REGISTRY_RE = re.compile(r"[a-z][a-z0-9_-]{1,31}")
ENCODINGS = ("utf-8-sig", "gb18030")
SETTINGS = ("registry", "encoding", "delimiter", "date_formats", "serial_pattern")
MAX_MAPPING = 64 * 1024
_INTEGER = re.compile(r"\d{1,16}")


def _refuse(message: str) -> ValidationError:
    return ValidationError("reconcile.mapping", f"the column mapping: {message}")


def load_mapping(path: Path) -> Layout:
    """The layout described by the mapping file at ``path`` (``.json`` or ``.csv``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _refuse(f"cannot read {path}: {exc.strerror}") from None
    return parse_mapping(data, csv_form=str(path).lower().endswith(".csv"))


def parse_mapping(data: bytes, *, csv_form: bool = False) -> Layout:
    """The layout a mapping describes (JSON, or the two-column CSV form)."""
    if len(data) > MAX_MAPPING:
        raise _refuse("the file is too large for a column mapping")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse("it is not UTF-8 text") from None
    return layout_of(spec_of(text, csv_form=csv_form))


def spec_of(text: str, *, csv_form: bool = False) -> dict[str, Any]:
    """A mapping's text (JSON, or the two-column CSV form) as a dict (not yet checked)."""
    return _from_csv(text) if csv_form else _from_json(text)


def _from_json(text: str) -> dict[str, Any]:
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise _refuse(f"it is not JSON ({exc})") from None
    if not isinstance(spec, dict):
        raise _refuse("it must be a JSON object")
    return spec


def _from_csv(text: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"columns": {}, "date_formats": []}
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if rows and [c.strip().lower() for c in rows[0]] == ["key", "value"]:
        rows = rows[1:]
    for n, row in enumerate(rows, 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise _refuse(f"line {n} must have two fields, key and value")
        key, value = row[0].strip(), row[1].strip()
        if key == "date_format":
            spec["date_formats"].append(value)
        elif key in SETTINGS:
            spec[key] = value
        else:
            spec["columns"][key] = value
    if not spec["date_formats"]:
        del spec["date_formats"]
    return spec


def layout_of(spec: Mapping[str, Any]) -> Layout:
    """Check a mapping (as a dict) and build its layout."""
    unknown = set(spec) - {*SETTINGS, "columns"}
    if unknown:
        raise _refuse(f"unknown settings {sorted(unknown)}")
    registry = spec.get("registry")
    if not isinstance(registry, str) or not REGISTRY_RE.fullmatch(registry):
        raise _refuse("registry must be 2..32 lower-case letters, digits, '_' or '-'")
    encoding = spec.get("encoding", "utf-8-sig")
    if encoding not in ENCODINGS:
        raise _refuse(f"encoding must be one of {', '.join(ENCODINGS)}")
    delimiter = spec.get("delimiter", ",")
    if delimiter not in (",", ";", "\t", "|"):
        raise _refuse("delimiter must be one of , ; | or a tab")
    formats = spec.get("date_formats", ["%Y-%m-%d"])
    if (
        not isinstance(formats, list)
        or not formats
        or not all(isinstance(f, str) and "%" in f and len(f) <= 40 for f in formats)
    ):
        raise _refuse("date_formats must be a list of strptime formats such as %Y-%m-%d")
    columns = spec.get("columns")
    if not isinstance(columns, dict) or not all(
        isinstance(v, str) and 0 < len(v.strip()) <= 100 for v in columns.values()
    ):
        raise _refuse("columns must map fields to column names")
    bad = set(columns) - set(FIELDS)
    if bad:
        raise _refuse(f"unknown fields {sorted(bad)}; the fields are {', '.join(FIELDS)}")
    for needed in ("quantity", "retired_on"):
        if needed not in columns:
            raise _refuse(f"the {needed} column is required")
    pattern = spec.get("serial_pattern")
    if pattern is not None:
        serial, batch = _pattern_reader(pattern, columns)
        required = {"serial", "quantity", "retired_on"}
    elif "start" in columns and "end" in columns:
        serial, batch = _column_reader, _column_batch
        required = {"start", "end", "quantity", "retired_on"}
    else:
        raise _refuse("give start and end columns, or a serial column and a serial_pattern")
    return Layout(
        key=f"mapping:{registry}",
        registry=registry,
        columns={name: (column.strip(),) for name, column in columns.items()},
        required=frozenset(required),
        serial=serial,
        vintage=year_vintage,
        date_formats=tuple(formats),
        encoding=encoding,
        delimiter=delimiter,
        batch=batch,
        spec=json.loads(json.dumps(spec)),
    )


def _integer(text: str, what: str) -> int:
    value = text.strip().replace(",", "")
    if not _INTEGER.fullmatch(value):
        raise BadField("row.serial", f"the {what} serial {text.strip()!r} is not a whole number")
    return int(value)


def _column_reader(v: tuple[str, ...]) -> tuple[str, int, int]:
    return v[BLOCK].strip(), _integer(v[START], "first"), _integer(v[END], "last")


def _integers(texts: Iterable[str | None]) -> list[int] | None:
    """:func:`_integer` of many serials, or None when any is not a whole number."""
    texts = list(texts)
    if None in texts:
        return None
    cleaned = list(map(str.replace, map(str.strip, texts), _COMMA, _NOTHING))
    if None in map(_INTEGER.fullmatch, cleaned):
        return None
    return list(map(int, cleaned))


_COMMA, _NOTHING = itertools.repeat(","), itertools.repeat("")


def _column_batch(values: list[list[str]], formats: tuple[str, ...]) -> tuple | None:
    """:func:`_column_reader` of many rows, column by column (a layout's batch reader)."""
    starts, ends = _integers(values[START]), _integers(values[END])
    if starts is None or ends is None:
        return None
    return list(map(str.strip, values[BLOCK])), starts, ends, _years(values)


def _years(values: list[list[str]]) -> list[str]:
    return list(map(str.strip, values[VINTAGE]))


def _pattern_reader(pattern: object, columns: Mapping[str, str]):
    """The serial reader of a ``serial_pattern``, and its batch reader."""
    if "serial" not in columns:
        raise _refuse("a serial_pattern needs a serial column")
    if not isinstance(pattern, str) or len(pattern) > 200:
        raise _refuse("serial_pattern must be a regular expression")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise _refuse(f"serial_pattern is not a regular expression ({exc})") from None
    if not {"start", "end"} <= set(compiled.groupindex):
        raise _refuse("serial_pattern needs the named groups start and end")
    has_block = "block" in compiled.groupindex

    def read(v: tuple[str, ...]) -> tuple[str, int, int]:
        m = compiled.fullmatch(v[SERIAL].strip())
        if m is None:
            raise BadField(
                "row.serial", f"the serial {v[SERIAL].strip()!r} does not match the mapping"
            )
        block = m["block"] if has_block else ""
        return block, _integer(m["start"], "first"), _integer(m["end"], "last")

    def batch(values: list[list[str]], formats: tuple[str, ...]) -> tuple | None:
        found = list(map(compiled.fullmatch, values[SERIAL]))
        if None in found:
            return None
        starts = _integers(map(operator.itemgetter("start"), found))
        ends = _integers(map(operator.itemgetter("end"), found))
        blocks = list(map(operator.itemgetter("block"), found)) if has_block else [""] * len(found)
        if starts is None or ends is None or None in blocks:
            return None
        return blocks, starts, ends, _years(values)

    return read, batch
