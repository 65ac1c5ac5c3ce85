"""Password hashing with argon2id (argon2-cffi).

A :class:`Hasher` carries the parameters a deployment chose (``LEDGER_ARGON2_*``). A stored
hash made with other parameters still verifies, and :meth:`Hasher.verify` then returns a new
hash to store, so parameters can be raised without a password reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass
class Hasher:
    """argon2id with the given cost; ``verify`` says whether and how to rehash."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4
    _ph: PasswordHasher = field(init=False, repr=False)
    _dummy: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._ph = PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, stored: str, password: str) -> tuple[bool, str | None]:
        """``(matches, new_hash)``; ``new_hash`` is set when the stored hash should be
        replaced because it was made with other parameters."""
        try:
            self._ph.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, None
        if self._ph.check_needs_rehash(stored):
            return True, self._ph.hash(password)
        return True, None

    def burn(self, password: str) -> None:
        """Spend the time of one verification, for accounts that do not exist (so response
        time does not reveal which usernames exist)."""
        if self._dummy is None:
            self._dummy = self._ph.hash("not a real password, only for timing")
        self.verify(self._dummy, password)
