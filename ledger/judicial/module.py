"""The judicial module: court cases, carbon-loss assessment by versioned methods, decisions,
restoration purchases that retire real carbon units for a case, and certificates (see
``docs/judicial.md``)."""

from __future__ import annotations

from ledger.judicial import assessment, casenumber, describe, jobs, model
from ledger.judicial.projection import JudicialProjector
from ledger.platform import N_, EntryKind, Module, NavItem

LABELS = {
    model.METHOD: N_("Assessment method recorded"),
    model.CASE: N_("Case filed"),
    model.REPLANTING: N_("Replanting ordered"),
    model.DOCUMENT: N_("Case document anchored"),
    model.ASSESSMENT: N_("Carbon loss assessed"),
    model.DECISION: N_("Compensation decided"),
    model.PURCHASE: N_("Restoration carbon purchased"),
    model.RETIREMENT: N_("Carbon retired for the case"),
    model.CERTIFIED: N_("Certificate issued"),
    model.OVERDUE: N_("Not retired in time"),
}

#: What each kind states in words (the scheduler's flag is described beside its job).
DESCRIPTIONS = {**describe.DESCRIPTIONS, model.OVERDUE: jobs.describe_overdue}

#: Every case entry is scoped to its court (and the bureaus over its division); the methods
#: are public, so anyone can check the parameters a case was assessed with.
KINDS = tuple(
    EntryKind(
        name,
        LABELS[name],
        validate=model.VALIDATORS[name],
        public=name == model.METHOD,
        parties=None if name == model.METHOD else model.parties,
        describe=DESCRIPTIONS[name],
    )
    for name in model.ALL_KINDS
)

MESSAGES = {
    "judicial.case_exists": N_("Case %(case_number)s has been filed already."),
    "judicial.case_unknown": N_("There is no such case."),
    "judicial.case_court": N_("The case number is of court %(court_code)s, not of your court."),
    "judicial.state": N_("The case is not at the step this needs (it needs: %(needs)s)."),
    "judicial.defendants": N_("Name at least one defendant (at most 20)."),
    "judicial.offence": N_("Choose the offence."),
    "judicial.damage": N_("Check the damage items: species, trees, volume and its type, area."),
    "judicial.place": N_("Enter the place as a 6-, 9- or 12-digit division code."),
    "judicial.replanting": N_("Enter the replanting area in mu (at most two decimals)."),
    "judicial.date": N_("Enter a date as YYYY-MM-DD."),
    "judicial.doc": N_("Choose which document it is."),
    "judicial.sha256": N_("Attach the document."),
    "judicial.method_unknown": N_("There is no such assessment method."),
    "judicial.method_exists": N_("This method version is recorded with other values."),
    "judicial.loss": N_("The case has no assessed loss yet."),
    "judicial.multiple": N_("The multiple must be a number between 1 and 10."),
    "judicial.number": N_("Enter a number with at most four decimals."),
    "judicial.rounding": N_("Choose how the quantity is rounded."),
    "judicial.basis": N_("Choose whether the quantity follows from the loss or from an amount."),
    "judicial.quantity_below": N_("The quantity set must not be below %(t)s t."),
    "judicial.amount": N_("Enter an amount in yuan that buys some carbon at this price."),
    "judicial.price": N_("Enter the price in yuan per tonne, its date and its source."),
    "judicial.payer": N_("Name who paid."),
    "judicial.restoration_account": N_(
        "Enter the restoration account: its holder, bank and number."
    ),
    "judicial.lines": N_("Choose the units to buy."),
    "judicial.purchase_quantity": N_(
        "The units chosen weigh %(t)s t; the decision ordered %(ordered)s t."
    ),
    "judicial.serials_taken": N_(
        "These serials are not the seller's to sell: %(serials)s, held by %(holders)s. "
        "Nothing was written."
    ),
    "judicial.step_missing": N_("An earlier step of the case is missing."),
    "judicial.court": N_("Only a court records its cases."),
    "judicial.arithmetic": N_(
        "The figures do not follow from the loss, the multiple, the amount and the price."
    ),
    "judicial.days": N_("Enter a number of days."),
}


MODULE = Module(
    name="judicial",
    label=N_("Judicial carbon"),
    kinds=KINDS,
    projectors=(JudicialProjector(),),
    tables=("ledger.judicial.tables",),
    migrations="ledger.judicial.migrations",
    blueprints=("ledger.judicial.views:bp",),
    api=("ledger.judicial.api:bp",),
    cli=("ledger.judicial.cli:judicial_group",),
    nav=(
        NavItem("judicial.cases", N_("Judicial carbon"), ("court",), org_arg="code", order=20),
        NavItem("judicial.bureau", N_("Judicial carbon"), ("bureau",), org_arg="code", order=30),
    ),
    messages={**assessment.MESSAGES, **casenumber.MESSAGES, **MESSAGES},
    translations="ledger.judicial",
    demo="ledger.judicial.demo:seed",
    jobs=("ledger.judicial.jobs:UNRETIRED",),
)
