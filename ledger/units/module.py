"""The units module: carbon programmes, projects, serial-exact lots and their moves, disclosed
sales and one-yuan purchases (see ``docs/units.md``)."""

from __future__ import annotations

from ledger.platform import N_, EntryKind, Module, NavItem
from ledger.units import book, model
from ledger.units.projection import UnitsProjector

EVERYONE = ("anonymous", "village", "court", "bureau", "admin")


LABELS = {
    book.PROJECT: N_("Carbon project registered"),
    book.ISSUE: N_("Carbon units issued"),
    book.TRANSFER: N_("Carbon units transferred"),
    book.PLEDGE: N_("Carbon units pledged"),
    book.RELEASE: N_("Carbon units released from pledge"),
    book.RETIRE: N_("Carbon units retired"),
    book.SALE: N_("Carbon units sold"),
    book.ONEYUAN: N_("One-yuan carbon purchase"),
}
#: Every units entry is scoped: read by its village (named in its postings) and the bureau of
#: its project's county; the public sees the register (``units_sale`` where public).
KINDS = tuple(
    EntryKind(
        name,
        LABELS[name],
        validate=book.VALIDATORS[name],
        parties=model.parties,
        describe=book.DESCRIPTIONS[name],
        bodies_ok=book.BODIES_OK.get(name),
    )
    for name in book.KINDS
)

#: Messages for the refusals a person can cause (``%(name)s`` takes the error's details).
MESSAGES = {
    "units.conflict": N_(
        "These serials are not available: %(serials)s. Look at entries %(entries)s."
    ),
    "units.double_retirement": N_(
        "These serials were already retired: %(serials)s. Look at entries %(entries)s."
    ),
    "units.double_issue": N_(
        "These serials were already issued: %(serials)s. Look at entries %(entries)s."
    ),
    "units.lot_exists": N_("A lot with this number was already issued."),
    "units.project_exists": N_("A project with this code is already registered."),
    "units.project_unknown": N_("There is no such project."),
    "units.lot_unknown": N_("There is no such lot."),
    "units.project_mismatch": N_("The serials are not all of this project."),
    "units.issue_project": N_("The lot does not match its project's programme or owner."),
    "units.seller": N_("A court case does not sell carbon units."),
    "units.holder": N_("Choose another holder: the units would stay where they are."),
    "units.insufficient": N_(
        "Only %(available_kg)s kg of the %(kg)s kg asked for are available to this holder."
    ),
    "units.quantity": N_("Enter a quantity above zero."),
    "units.quantity_unit": N_(
        "The quantity must be a whole number of units of %(unit_kg)s kg each."
    ),
    "units.uscc": N_("This is not a valid unified social credit code."),
    "units.serials_overlap": N_("The serial ranges asked for overlap."),
    "units.serials": N_("Enter serial ranges as lot, first and last serial."),
    "units.owner_kind": N_("Choose a village collective, household, forest farm or company."),
    "units.buyer": N_("Give the buyer's name, and a company's unified social credit code."),
    "units.buyer_account": N_(
        "Units the buyer keeps need its unified social credit code; otherwise retire them."
    ),
    "units.use_retires": N_("Units sold for this use are retired for the buyer."),
    "units.forbidden": N_("This project lies outside your division."),
    "units.document": N_("Attach the document (a file of at most 16 MB)."),
    "units.date": N_("Enter a date as YYYY-MM-DD."),
    "units.vintage": N_("Enter the vintage as a year."),
    "units.range": N_("The last serial must not be below the first."),
    "units.area": N_("Enter the area in mu, with at most two decimals."),
    "units.name": N_("Enter a name of at most 200 characters."),
    "units.project": N_("A project code is 2 to 32 capital letters, digits and '-'."),
    "units.lot": N_("A lot number is 1 to 40 letters, digits, '.', '_' or '-'."),
    "units.village": N_("Enter the village's 12-digit division code."),
    "units.household": N_("A household code is the vault's code, like H-0123456789AB."),
    "units.farm": N_("A forest farm code is 2 to 32 capital letters, digits and '-'."),
    "units.pledge_unknown": N_("These serials are not pledged to this bank."),
    "units.transfer_which": N_(
        "Give either the quantity or the serials to transfer (one of the two)."
    ),
    "job.abandoned": N_(
        "The work stopped: its process ended %(attempts)s times before finishing. Nothing of "
        "it was written twice; start it again."
    ),
    "units.order_unknown": N_("There is no one-yuan order %(order)s."),
    "units.import_unknown": N_("Entry %(seq)s is not a one-yuan import."),
    "units.not_oneyuan": N_("This entry is not a one-yuan purchase."),
    "oneyuan.bad_lines": N_("The file has %(count)s bad lines; nothing was imported."),
    "oneyuan.empty": N_("The file has no purchases."),
    "oneyuan.encoding": N_("The file is not UTF-8 text."),
}

#: What the components of the units' account names mean (the log module says Village,
#: Collective, Court, Income, Equity, Expenses): 常口村 农户 H-…, 企业 9144…, 已注销 林业碳票.
ACCOUNT_WORDS = {
    "Household": N_("household"),
    "Company": N_("company"),
    "ForestFarm": N_("forest farm"),
    "Case": N_("case"),
    "Pledged": N_("(pledged)"),
    "Issued": N_("issued"),
    "Retired": N_("retired"),
    "CarbonSales": N_("carbon sales"),
    **{p.account: p.label for p in model.PROGRAMMES.values()},
}

MODULE = Module(
    name="units",
    label=N_("Carbon units"),
    kinds=KINDS,
    projectors=(UnitsProjector(),),
    tables=("ledger.units.tables",),
    migrations="ledger.units.migrations",
    blueprints=("ledger.units.views:bp",),
    api=("ledger.units.api:bp",),
    cli=(
        "ledger.units.cli:units_group",
        "ledger.units.cli:oneyuan_group",
        "ledger.units.cli:receipt_group",
    ),
    nav=(
        NavItem("units.bureau", N_("Carbon units"), ("bureau",), org_arg="code", order=20),
        NavItem("units.village", N_("Carbon income"), ("village",), org_arg="code", order=20),
        NavItem("units.register", N_("Carbon register"), EVERYONE, order=82),
    ),
    messages=MESSAGES,
    account_words=ACCOUNT_WORDS,
    translations="ledger.units",
    demo="ledger.units.demo:seed",
    jobs=("ledger.units.oneyuan:IMPORT_JOB", "ledger.units.certificates:CERTIFICATES_JOB"),
)
