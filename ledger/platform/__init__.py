"""The platform that modules plug into: the declaration records (:mod:`.module`), the registry
that loads the composition root's list (:mod:`.registry`), and the rule of who may read an
entry (:mod:`.reading`). Pure: no Flask, no database."""

from ledger.platform.facts import Amount, Fact, FactValue, Moment, Term
from ledger.platform.module import N_, EntryKind, Module, NavItem
from ledger.platform.reading import PUBLIC_ONLY, ReadScope
from ledger.platform.registry import Registry, RegistryError, registry, using

__all__ = [
    "N_",
    "PUBLIC_ONLY",
    "Amount",
    "EntryKind",
    "Fact",
    "FactValue",
    "Module",
    "Moment",
    "NavItem",
    "ReadScope",
    "Registry",
    "RegistryError",
    "Term",
    "registry",
    "using",
]
