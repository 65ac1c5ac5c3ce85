"""The published test vectors under ``tests/vectors/`` (see ``tests/vectors/README.md``).

They are part of the repository. Each reader raises, naming the path, when its data is missing
or is not the size it should be, so a test never passes by reading less of the vectors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
#: The transparency-dev/merkle proof probes: one JSON case per file, under inclusion/ and
#: consistency/.
PROBES = VECTORS / "rfc9162-transparency-dev" / "testdata"
PROBE_COUNT = 196
SIGNED_NOTE = VECTORS / "signed-note" / "signed-note.json"


class MissingVectors(FileNotFoundError):
    """Test vectors that belong in the repository are absent or incomplete."""


def _require(path: Path) -> Path:
    if not path.exists():
        raise MissingVectors(
            f"test vectors missing: {path} is not there; it is tracked in the repository "
            "(restore it with `git checkout -- tests/vectors`)"
        )
    return path


def probe_files() -> list[Path]:
    """Every file of the proof-probe corpus, sorted; exactly :data:`PROBE_COUNT` of them."""
    files = sorted(p for p in _require(PROBES).rglob("*") if p.is_file())
    if len(files) != PROBE_COUNT:
        raise MissingVectors(
            f"test vectors incomplete: {PROBES} holds {len(files)} files, not {PROBE_COUNT}"
        )
    return files


def signed_note() -> dict[str, Any]:
    """The parsed ``signed-note.json``: ``vectors`` and ``rfc6962_reference_tree``."""
    data: dict[str, Any] = json.loads(_require(SIGNED_NOTE).read_text(encoding="utf-8"))
    return data
