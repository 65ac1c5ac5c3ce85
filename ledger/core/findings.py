"""Verification findings: what is wrong, and which entry (seq) it concerns."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by a verification.

    Attributes:
      code: stable dotted code, e.g. ``leaf.hash_mismatch``.
      message: what was found, for a person.
      seq: the entry concerned, or None when the finding is about the log as a whole.
      log: the name of the log the finding concerns.
    """

    code: str
    message: str
    seq: int | None = None
    log: str = "main"

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "log"
        return f"[{self.log}] {where}: {self.code}: {self.message}"
