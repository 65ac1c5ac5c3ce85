"""The log module: the log's own parts. Document anchors (public), account balances, the entry
index that decides who reads a scoped entry, the log's tables and base migrations, the log and
explorer pages, and the ``log`` and ``keys`` commands."""

from __future__ import annotations

from ledger.platform import N_, EntryKind, Module, NavItem
from ledger.services import anchors
from ledger.services.entry_index import EntryIndexProjector
from ledger.services.projections import AnchorProjector, BalanceProjector
from ledger.storage.tables import APPEND_ONLY_TABLES

EVERYONE = ("anonymous", "village", "court", "bureau", "admin")

MODULE = Module(
    name="log",
    label=N_("The log"),
    kinds=(
        EntryKind(
            anchors.KIND, N_("Document anchor"), validate=anchors.validate_anchor, public=True
        ),
    ),
    projectors=(BalanceProjector(), AnchorProjector(), EntryIndexProjector()),
    tables=("ledger.storage.tables",),
    migrations="ledger.storage.migrations.versions",
    append_only=APPEND_ONLY_TABLES,
    blueprints=("ledger.web.log_views:bp", "ledger.web.explorer:bp", "ledger.web.public:bp"),
    cli=(
        "ledger.commands.log:log_group",
        "ledger.commands.log:keys_group",
        "ledger.commands.log:projections_group",
    ),
    nav=(
        NavItem("explorer.entries", N_("Log explorer"), ("bureau", "admin"), order=50),
        NavItem("public.checkpoint", N_("Checkpoint"), EVERYONE, order=80),
        NavItem("public.documents", N_("Look up a document"), EVERYONE, order=81),
    ),
    messages={
        "text.invalid": N_("The text is too long."),
        "text.control": N_(
            "The text must not contain control characters (such as line breaks or tabs)."
        ),
        "text.personal_data": N_(
            "The text seems to contain personal data. Personal data never goes into the "
            "public log: remove it."
        ),
        "text.personal_data:resident_id": N_(
            "The text seems to contain a resident ID number. Personal data never goes into "
            "the public log: remove it."
        ),
        "text.personal_data:mobile": N_(
            "The text seems to contain a mobile phone number. Personal data never goes into "
            "the public log: remove it."
        ),
        "text.personal_data:bank_card": N_(
            "The text seems to contain a bank card number. Personal data never goes into the "
            "public log: remove it."
        ),
        "text.personal_data:email": N_(
            "The text seems to contain an e-mail address. Personal data never goes into the "
            "public log: remove it."
        ),
        "entry.kind_unknown": N_("This kind of record is not known to the ledger."),
        # Why a checkpoint was not signed (shown after "No checkpoint was signed:").
        "checkpoint.previous_invalid": N_(
            "the last stored checkpoint does not verify with this server's key."
        ),
        "checkpoint.log_shrunk": N_("the log has fewer entries than its last signed checkpoint."),
        "checkpoint.inconsistent": N_(
            "the log is not consistent with its last signed checkpoint: its history was changed."
        ),
        "key.missing": N_("this server has no signing key. Ask the administrator to set one up."),
        "key.unreadable": N_("this server's signing key cannot be read."),
        "key.type": N_("this server's signing key is not an Ed25519 key."),
    },
    account_words={
        "Liabilities": N_("owed"),
        "Equity": N_("equity"),
        "Income": N_("income"),
        "Expenses": N_("spent"),
        "Village": N_("village"),
        "Court": N_("court"),
        "Bureau": N_("bureau"),
        "Collective": N_("collective account"),
        "Escrow": N_("escrow account"),
    },
    demo="ledger.demo:seed_log",
)
