"""ledger.core.proof against the transparency-dev/merkle probe corpus (one test per file).

The corpus lives in ``tests/vectors/rfc9162-transparency-dev/testdata`` (196 files, read through
``tests.core.vectors``). The verifier must accept exactly the files with ``"wantErr": false``.
A missing or incomplete corpus is a failure, not a skip.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ledger.core.proof import ProofError, verify_consistency, verify_inclusion
from tests.core.vectors import PROBES, probe_files

FILES = probe_files()


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _proof(value: list[str] | None) -> list[bytes]:
    return [_b64(h) for h in value or []]


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_corpus_is_complete() -> None:
    """transparency-dev/merkle 417fb0c: 98 JSON files per kind, 6 to accept and 92 to refuse."""
    assert all(p.suffix == ".json" for p in FILES), [p for p in FILES if p.suffix != ".json"]
    outcomes = Counter((p.relative_to(PROBES).parts[0], _load(p)["wantErr"]) for p in FILES)
    assert outcomes == {
        ("inclusion", False): 6,
        ("inclusion", True): 92,
        ("consistency", False): 6,
        ("consistency", True): 92,
    }


def _verify(kind: str, case: dict[str, Any]) -> None:
    if kind == "inclusion":
        verify_inclusion(
            _b64(case["leafHash"]),
            case["leafIdx"],
            case["treeSize"],
            _proof(case["proof"]),
            _b64(case["root"]),
        )
    else:
        verify_consistency(
            case["size1"],
            case["size2"],
            _proof(case["proof"]),
            _b64(case["root1"]),
            _b64(case["root2"]),
        )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PROBES).as_posix())
def test_vector(path: Path) -> None:
    kind = path.relative_to(PROBES).parts[0]
    case = _load(path)
    assert isinstance(case["wantErr"], bool)
    if case["wantErr"]:
        with pytest.raises(ProofError):
            _verify(kind, case)
    else:
        _verify(kind, case)
