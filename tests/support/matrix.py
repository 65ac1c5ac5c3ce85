"""The authorisation-matrix kit: expected statuses per role for every endpoint, as rows a
module's matrix test lists, and the pytest cases they expand to.

    M = Matrix(ROLES)
    ROWS = [M.public("/log/checkpoint"), M.only("/admin/users", {"admin"}), ...]
    @pytest.mark.parametrize(("method", "path", "role", "status"), M.cases(ROWS))
"""

from __future__ import annotations

import pytest


class Matrix:
    """Row builders over a fixed tuple of role names."""

    def __init__(self, roles: tuple[str, ...]):
        self.roles = roles

    def row(self, path, default, method="GET", **per_role):
        """Expected status per role: ``default`` unless named (``village=403``)."""
        unknown = set(per_role) - set(self.roles)
        assert not unknown, unknown
        return method, path, {role: per_role.get(role, default) for role in self.roles}

    def public(self, path, status=200, **per_role):
        return self.row(path, status, **per_role)

    def signed_in(self, path, anonymous=302, **per_role):
        """Signed-in users: 200 unless named; anonymous: redirected to sign-in."""
        return self.row(path, 200, anonymous=anonymous, **per_role)

    def only(self, path, allowed, method="GET", ok=200, denied=403, anonymous=302, **per_role):
        """``allowed`` roles get ``ok``; other signed-in roles ``denied``."""
        expected = {r: (ok if r in allowed else denied) for r in self.roles}
        expected["anonymous"] = anonymous
        expected.update(per_role)
        return method, path, expected

    @staticmethod
    def cases(rows) -> list:
        """One pytest case per (row, role)."""
        return list(Matrix._expand(rows))

    @staticmethod
    def _expand(rows):
        for method, path, expected in rows:
            for role, status in expected.items():
                yield pytest.param(method, path, role, status, id=f"{method} {path} {role}")
