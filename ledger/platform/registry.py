"""The registry: every module of the composition root, loaded once per process.

:func:`registry` loads the modules listed in :data:`ledger.modules.MODULES` (plus any named in
``LEDGER_EXTRA_MODULES``, a comma-separated list of ``package.module:ATTRIBUTE`` paths, which
is how the test suite adds its own kinds) the first time something asks, and checks that no
name is registered twice. The append path, ``log verify``, the app factory, the CLI, the
scheduler, the benchmarks and Alembic all read it, so they all see the same kinds, projectors
and tables.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.core.entry import EntryDraft
from ledger.core.errors import ValidationError
from ledger.platform.module import EntryKind, Module, NavItem

EXTRA_ENV = "LEDGER_EXTRA_MODULES"
SALT_KEY = "salt"


class RegistryError(RuntimeError):
    """The modules declare something twice, or a path does not resolve."""


def resolve(path: str) -> Any:
    """The object at ``"package.module:attribute"`` (importing the module)."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise RegistryError(f"{path!r} is not a 'package.module:attribute' path")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def package_folder(path: str) -> Path:
    """The folder of the package ``path`` (``ledger.units.migrations``)."""
    module = importlib.import_module(path)
    return Path(next(iter(module.__path__)))


@dataclass
class Registry:
    """The loaded modules and their contributions, indexed.

    Attributes:
      modules: in the order of the composition root.
      kinds: entry kind name → :class:`EntryKind`.
      owners: entry kind name → the name of the module that declares it.
      projectors: every projector, in module order.
    """

    modules: tuple[Module, ...]
    kinds: dict[str, EntryKind] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    projectors: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        declared: dict[tuple[str, str], Module] = {}  # (what, name) → the declaring module

        def once(what: str, name: str, module: Module) -> None:
            owner = declared.get((what, name))
            if owner is not None:
                raise RegistryError(
                    f"{what} {name!r} is declared twice: by {owner.name!r} and {module.name!r}"
                )
            declared[what, name] = module

        projectors = []
        for module in self.modules:
            once("module", module.name, module)
            for kind in module.kinds:
                once("entry kind", kind.name, module)
                self.kinds[kind.name] = kind
                self.owners[kind.name] = module.name
            for projector in module.projectors:
                once("projector", projector.name, module)
                projectors.append(projector)
            for table in module.append_only:
                once("append-only table", table, module)
            for code in module.messages:
                once("message", code, module)
            for word in module.account_words:
                once("account word", word, module)
            for item in module.nav:
                once("navigation item", item.endpoint, module)
        self.projectors = tuple(projectors)

    # -- entry kinds ---------------------------------------------------------------------

    def kind(self, name: str) -> EntryKind | None:
        return self.kinds.get(name)

    def is_public(self, name: str) -> bool:
        """Whether the contents of entries of kind ``name`` may be shown to anyone."""
        kind = self.kinds.get(name)
        return kind is not None and kind.public

    def is_scoped(self, name: str, log: str = "main") -> bool:
        """Whether entries of kind ``name`` on ``log`` get a salt and scoped reads."""
        kind = self.kinds.get(name)
        return log == "main" and (kind is None or not kind.public)

    def check_drafts(self, drafts: Sequence[EntryDraft], log: str) -> list[ValidationError]:
        """The errors of ``drafts`` that only the modules know: an undeclared kind, a kind of
        another log, a body its kind's validator refuses, a reserved salt in a scoped body."""
        errors: list[ValidationError] = []
        kinds = self.kinds
        accepted = self._bodies_accepted(drafts)
        for i, draft in enumerate(drafts):
            where = f"entry {i}"
            kind = kinds.get(draft.kind) if isinstance(draft.kind, str) else None
            if kind is None:
                errors.append(
                    ValidationError(
                        "entry.kind_unknown",
                        f"{where}: no module declares the entry kind {draft.kind!r}",
                    )
                )
                continue
            if kind.log != log:
                errors.append(
                    ValidationError(
                        "entry.kind_log",
                        f"{where}: entries of kind {kind.name!r} belong to the {kind.log!r} "
                        f"log, not {log!r}",
                    )
                )
                continue
            if not kind.public and log == "main" and SALT_KEY in draft.body:
                errors.append(
                    ValidationError(
                        "entry.salt_reserved",
                        f"{where}: {SALT_KEY!r} is set by the log, not by the caller",
                    )
                )
            if kind.validate is not None and kind.name not in accepted:
                errors.extend(kind.validate(draft.body, where))
        return errors

    def _bodies_accepted(self, drafts: Sequence[EntryDraft]) -> set[str]:
        """The kinds with a :attr:`EntryKind.bodies_ok` test that accepts the bodies of all
        of ``drafts`` of that kind (their ``validate`` would say nothing of any of them)."""
        bodies: dict[str, list] = {}
        kinds = self.kinds
        for draft in drafts:
            name = draft.kind
            if type(name) is str:
                kind = kinds.get(name)
                if kind is not None and kind.bodies_ok is not None:
                    bodies.setdefault(name, []).append(draft.body)
        return {name for name, of_kind in bodies.items() if kinds[name].bodies_ok(of_kind)}

    # -- everything else -----------------------------------------------------------------

    def projectors_for(self, log: str) -> tuple[Any, ...]:
        return tuple(p for p in self.projectors if log in p.logs)

    def append_only_tables(self) -> tuple[str, ...]:
        return tuple(t for m in self.modules for t in m.append_only)

    def messages(self) -> dict[str, str]:
        return {code: text for m in self.modules for code, text in m.messages.items()}

    def account_words(self) -> dict[str, str]:
        return {word: text for m in self.modules for word, text in m.account_words.items()}

    def nav(self, role: str) -> list[NavItem]:
        items = [item for m in self.modules for item in m.nav if role in item.roles]
        return sorted(items, key=lambda item: item.order)

    def paths(self, attribute: str) -> list[tuple[Module, str]]:
        """``(module, path)`` for each path in the tuple attribute ``attribute``
        (``blueprints``, ``api``, ``cli``, ``tables``, ``jobs``) of every module."""
        return [(m, path) for m in self.modules for path in getattr(m, attribute)]

    def migration_folders(self) -> list[Path]:
        return [package_folder(m.migrations) for m in self.modules if m.migrations]

    def translation_folders(self) -> list[Path]:
        return [
            package_folder(m.translations) / "translations" for m in self.modules if m.translations
        ]

    def import_tables(self) -> None:
        """Import every module's table definitions (so they are on SQLModel's metadata)."""
        for _, path in self.paths("tables"):
            importlib.import_module(path)


def module_paths() -> list[str]:
    """The composition root's module paths, then those of ``LEDGER_EXTRA_MODULES``."""
    from ledger.modules import MODULES

    extra = [p.strip() for p in os.environ.get(EXTRA_ENV, "").split(",") if p.strip()]
    return [*MODULES, *extra]


def load(paths: Sequence[str]) -> Registry:
    """Build a registry from module paths (each resolving to a :class:`Module`)."""
    modules = []
    for path in paths:
        module = resolve(path)
        if not isinstance(module, Module):
            raise RegistryError(f"{path!r} is not a ledger.platform.Module")
        modules.append(module)
    return Registry(tuple(modules))


_current: Registry | None = None


def registry() -> Registry:
    """The process's registry, loaded from the composition root on first use."""
    global _current
    if _current is None:
        _current = load(module_paths())
    return _current


@contextmanager
def using(modules: Sequence[Module] | Registry) -> Iterator[Registry]:
    """Use another registry for the duration (tests)."""
    global _current
    saved = _current
    _current = modules if isinstance(modules, Registry) else Registry(tuple(modules))
    try:
        yield _current
    finally:
        _current = saved


def describe(registry_: Registry) -> Mapping[str, Any]:
    """A plain summary of what is registered (for ``carbon-ledger modules``)."""
    return {
        m.name: {
            "kinds": [k.name for k in m.kinds],
            "projectors": [p.name for p in m.projectors],
            "blueprints": list(m.blueprints),
            "api": list(m.api),
            "cli": list(m.cli),
        }
        for m in registry_.modules
    }
