"""The reconciliation module: registry sources, imports of registry retirements (anchored in
the log), matching and its findings, their pages, API and commands, and the scheduled fetch."""

from ledger.platform import N_, EntryKind, Module, NavItem
from ledger.reconcile import findings, imports

MESSAGES = {
    "reconcile.rows": N_("Some rows of the file cannot be read; nothing was imported."),
    "reconcile.file": N_("The file cannot be read."),
    "reconcile.mapping": N_("The column mapping cannot be used: check its fields and columns."),
    "reconcile.note": N_("Write a note saying what was done."),
    "reconcile.acknowledged": N_("This finding has been acknowledged already."),
    "reconcile.finding_not_found": N_("There is no such finding."),
    "source.name": N_("A source name is 2 to 40 lower-case letters, digits or '-'."),
    "source.format": N_("Choose a format."),
    "source.location_kind": N_("Choose a folder or an HTTP address."),
    "source.folder": N_("Give the folder's full path, starting with /."),
    "source.url": N_("Give an address starting with http:// or https://."),
    "source.division": N_("Give the bureau's division code: 2, 4 or 6 digits."),
    "source.exists": N_("A source with this name exists already."),
    "source.not_found": N_("There is no such source."),
    "source.download": N_("The file could not be downloaded from the source's address."),
    "schedule.cron": N_(
        "The schedule must be five fields: minute, hour, day, month and weekday, "
        "for example 0 3 * * * (every day at 03:00)."
    ),
    # Why a row of a registry file cannot be read (shown after its line number).
    "row.quantity": N_("the quantity is not a whole number."),
    "row.quantity_mismatch": N_("the quantity is not the size of the serial range."),
    "row.serial": N_("the serial number does not have this registry's shape."),
    "row.serial_order": N_("the serial range ends before it starts."),
    "row.serial_range": N_("the serial number is too large."),
    "row.project_mismatch": N_("the serial number names another project than the row."),
    "row.date": N_("the date cannot be read."),
    "row.width": N_("the row does not have as many fields as the header."),
    "file.header": N_("the header lacks a column this format needs: is it the right format?"),
    "file.empty": N_("the file is empty."),
    "file.encoding": N_("the file is not in the expected text encoding."),
    "file.csv": N_("the file is not well-formed CSV here (check the quotes)."),
}

MODULE = Module(
    name="reconcile",
    label=N_("Registry reconciliation"),
    kinds=(
        EntryKind(
            imports.IMPORT_KIND,
            N_("Registry records imported"),
            validate=imports.validate_import,
            public=True,
        ),
        EntryKind(
            findings.FINDING_KIND,
            N_("Reconciliation finding"),
            validate=findings.validate_finding,
            parties=findings.parties,
        ),
        EntryKind(
            findings.ACK_KIND,
            N_("Finding acknowledged"),
            validate=findings.validate_acknowledge,
            parties=findings.parties,
        ),
    ),
    projectors=(findings.FindingProjector(),),
    tables=("ledger.reconcile.tables",),
    migrations="ledger.reconcile.migrations",
    append_only=("registry_retirement", "reconcile_import"),
    blueprints=("ledger.reconcile.views:bp",),
    api=("ledger.reconcile.api:bp",),
    cli=("ledger.reconcile.cli:reconcile_group",),
    nav=(
        NavItem("reconcile.findings_page", N_("Reconciliation"), ("bureau",), order=55),
        NavItem("reconcile.sources_page", N_("Registry sources"), ("admin",), order=56),
    ),
    messages=MESSAGES,
    translations="ledger.reconcile",
    jobs=("ledger.reconcile.sources:FETCH_JOB",),
    demo="ledger.reconcile.demo:seed",
)
