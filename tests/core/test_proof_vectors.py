"""ledger.core.proof against the transparency-dev/merkle probe corpus (one test per file).

The corpus lives in ``../shared/vectors/rfc9162-transparency-dev/testdata`` beside the
repository (or under ``$LEDGER_VECTORS_DIR``). The verifier must accept exactly the files with
``"wantErr": false``. A missing or empty corpus is a failure, not a skip.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ledger.core.proof import ProofError, verify_consistency, verify_inclusion


def vectors_dir() -> Path:
    """../shared/vectors beside the repository, or $LEDGER_VECTORS_DIR."""
    env = os.environ.get("LEDGER_VECTORS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


CORPUS = vectors_dir() / "rfc9162-transparency-dev" / "testdata"
FILES = sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _proof(value: list[str] | None) -> list[bytes]:
    return [_b64(h) for h in value or []]


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_corpus_was_found() -> None:
    assert CORPUS.is_dir(), f"proof corpus not found at {CORPUS} (set LEDGER_VECTORS_DIR)"
    kinds = {p.relative_to(CORPUS).parts[0] for p in FILES}
    assert kinds == {"inclusion", "consistency"}, kinds
    cases = [_load(p) for p in FILES]
    accepted = sum(1 for c in cases if c["wantErr"] is False)
    rejected = sum(1 for c in cases if c["wantErr"] is True)
    assert accepted + rejected == len(cases)
    # 196 files at transparency-dev/merkle 417fb0c: both outcomes must be well represented.
    assert len(cases) >= 150 and accepted >= 10 and rejected >= 100, (len(cases), accepted)


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


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_vector(path: Path) -> None:
    kind = path.relative_to(CORPUS).parts[0]
    case = _load(path)
    assert isinstance(case["wantErr"], bool)
    if case["wantErr"]:
        with pytest.raises(ProofError):
            _verify(kind, case)
    else:
        _verify(kind, case)
