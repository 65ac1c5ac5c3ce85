"""What a module contributes to the ledger, declared in one record.

A module (the log's own parts, accounts, carbon units, receipts, community, judicial,
reconciliation) describes itself with one :class:`Module` in its ``module.py``. The composition
root (:mod:`ledger.modules`) lists the modules; every process (the web app, the CLI,
``log verify``, the scheduler, the benchmarks, Alembic) loads that one list through
:func:`ledger.platform.registry`, so no process appends or verifies without a module's kinds
and projections.

The record holds plain values and import paths (``"package.module:attribute"``): declaring a
module imports neither Flask nor its views, so a process that never serves pages (``log verify``)
loads every module's kinds and projectors without loading the web edge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.core.entry import Posting
from ledger.core.errors import ValidationError
from ledger.platform.facts import Describe

#: ``validate(body, where)`` → the errors of an entry body (empty when it may be appended).
BodyValidator = Callable[[Mapping[str, Any], str], list[ValidationError]]
#: ``parties(body, postings)`` → the organisations an entry concerns, as account keys
#: (``Village:350428102201``, ``Court:350428``, ``Bureau:350428``), beyond those its
#: postings name.
Parties = Callable[[Mapping[str, Any], tuple[Posting, ...]], Iterable[str]]


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here (``gettext_noop``): the
    web edge translates it when it shows it, in the reader's language."""
    return message


@dataclass(frozen=True)
class EntryKind:
    """One kind of log entry.

    Attributes:
      name: dotted name, e.g. ``doc.anchor``; unique across modules.
      label: what people call it, in English, marked with :func:`N_` (shown translated).
      validate: checks a body before anything is written; None accepts any JSON object.
      public: whether anyone may read the contents of entries of this kind. Entries of other
        (scoped) kinds are read only by the roles whose scope covers them, and their leaves
        carry a random salt so that a public leaf hash confirms no guess of their contents.
      log: the log the kind belongs to (``main`` or ``audit``).
      parties: the organisations an entry of this kind concerns beyond those its postings
        name (e.g. the court of a case); they decide who may read it.
      describe: what an entry of this kind states, in words (who, what, how much, when), as
        ``(label, value)`` pairs for receipts and the public verification page (see
        :mod:`ledger.platform.facts`); None: the receipts describe it from its postings.
        Called only with bodies the kind's ``validate`` accepted.
      bodies_ok: a fast test of a batch's bodies of this kind together (an import of many):
        True only when ``validate`` accepts every one of them; when it says False (which it
        may for bodies ``validate`` accepts), ``validate`` runs on each body. None: no such
        test.
    """

    name: str
    label: str
    validate: BodyValidator | None = None
    public: bool = False
    log: str = "main"
    parties: Parties | None = None
    describe: Describe | None = None
    bodies_ok: Callable[[Sequence[Any]], bool] | None = None


@dataclass(frozen=True)
class NavItem:
    """A link in the site navigation.

    Attributes:
      endpoint: Flask endpoint, e.g. ``units.lots``.
      label: English text marked with :func:`N_`.
      roles: the roles that see the link (``village``, ``court``, ``bureau``, ``admin``,
        ``anonymous``).
      org_arg: the URL argument that takes the principal's organisation code, if any.
      order: position in the navigation (smaller first).
    """

    endpoint: str
    label: str
    roles: tuple[str, ...]
    org_arg: str | None = None
    order: int = 100


@dataclass(frozen=True)
class Module:
    """Everything one module contributes.

    Attributes:
      name: short unique name (``log``, ``units``, ``community``…).
      label: what the module is, in English, marked with :func:`N_`.
      kinds: the entry kinds it owns.
      projectors: objects following :class:`ledger.services.projections.Projector`.
      tables: modules whose import defines its SQLModel tables (for Alembic's metadata).
      migrations: import path of the package whose folder holds its Alembic revisions (its
        own branch, labelled with the module name), or None.
      append_only: its tables that database triggers keep append-only.
      blueprints: ``"package.views:bp"`` paths of Flask blueprints (each declares its access
        rules with ``ledger.webkit.authz.protect``; the app refuses to start if an endpoint
        has none).
      api: paths of ``flask_openapi3.APIBlueprint`` objects under ``/api/v1``.
      cli: paths of ``click`` groups or commands added to ``carbon-ledger``.
      nav: links in the site navigation.
      messages: translated messages for the codes of refusals a person can cause
        (``code → N_("message")``).
      account_words: what the components of its account names mean to a person
        (``"Collective" → N_("collective account")``), so pages show ``常口村 集体账户``
        instead of ``Assets:Village:350428102201:Collective``.
      translations: import path of the package whose ``translations/`` folder holds the
        module's message catalogs, or None.
      demo: path of ``seed(ctx) -> list[str]`` that adds demo data (``init --demo``).
      jobs: paths of its job declarations: :class:`ledger.platform.jobs.ScheduledJob`
        records (periodic work the scheduler process runs, keyed by job and scheduled time).
    """

    name: str
    label: str
    kinds: tuple[EntryKind, ...] = ()
    projectors: tuple[Any, ...] = ()
    tables: tuple[str, ...] = ()
    migrations: str | None = None
    append_only: tuple[str, ...] = ()
    blueprints: tuple[str, ...] = ()
    api: tuple[str, ...] = ()
    cli: tuple[str, ...] = ()
    nav: tuple[NavItem, ...] = ()
    messages: Mapping[str, str] = field(default_factory=dict)
    account_words: Mapping[str, str] = field(default_factory=dict)
    translations: str | None = None
    demo: str | None = None
    jobs: tuple[str, ...] = ()
