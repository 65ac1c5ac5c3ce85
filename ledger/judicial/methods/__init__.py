"""The assessment methods shipped with carbon-ledger, as data: one JSON file per method
version in this folder (``carbon-ledger-method/1``, read by
:meth:`ledger.judicial.assessment.Method.from_json`).

``ar-cm-001-defaults.json`` is the tree-only stock method with the default parameter table
commonly cited from the annex of the national afforestation methodology AR-CM-001; every value
carries its source, and the file says it is unverified against the annex text and unapproved.
An administrator replaces or approves a method by storing a new version as a log entry; the
files here are only the starting point.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from ledger.core.errors import NotFoundError
from ledger.judicial.assessment import Method

#: The shipped method a case uses unless it names another.
DEFAULT = "AR-CM-001 defaults"


@functools.cache
def shipped_methods() -> tuple[Method, ...]:
    """Every method in this folder, checked, in file-name order."""
    folder = resources.files(__package__)
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    return tuple(Method.from_json(json.loads(f.read_text(encoding="utf-8"))) for f in files)


def load_method(name: str = DEFAULT, version: str | None = None) -> Method:
    """The shipped method ``name`` (its newest version unless ``version`` is given); refuses
    an unknown one with the names that exist."""
    found = [m for m in shipped_methods() if m.name == name]
    if version is not None:
        found = [m for m in found if m.version == version]
    if not found:
        known = ", ".join(sorted({m.key for m in shipped_methods()}))
        raise NotFoundError(
            "judicial.method_unknown",
            f"no shipped assessment method {name!r}"
            + (f" version {version!r}" if version else "")
            + f"; shipped: {known}",
            {"name": name, "known": known},
        )
    return max(found, key=lambda m: _version_key(m.version))


def _version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """``2022.10`` after ``2022.9``: numeric parts compared as numbers, others as text."""
    parts = version.replace("-", ".").split(".")
    return tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in parts)
