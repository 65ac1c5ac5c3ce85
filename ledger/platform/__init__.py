"""The platform that modules plug into: the declaration records (:mod:`.module`), the registry
that loads the composition root's list (:mod:`.registry`), the rule of who may read an
entry (:mod:`.reading`), and the values an entry's description is made of (:mod:`.facts`).
Pure: no Flask, no database."""

from ledger.platform.facts import Account, Amount, Fact, FactValue, Moment, Term
from ledger.platform.jobs import Cron, Every, Plan, ScheduledJob
from ledger.platform.module import N_, EntryKind, Module, NavItem
from ledger.platform.reading import PUBLIC_ONLY, ReadScope
from ledger.platform.registry import Registry, RegistryError, registry, using

__all__ = [
    "N_",
    "PUBLIC_ONLY",
    "Account",
    "Amount",
    "Cron",
    "EntryKind",
    "Every",
    "Fact",
    "FactValue",
    "Module",
    "Moment",
    "NavItem",
    "Plan",
    "ReadScope",
    "Registry",
    "RegistryError",
    "ScheduledJob",
    "Term",
    "registry",
    "using",
]
