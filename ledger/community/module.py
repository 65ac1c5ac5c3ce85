"""The community module: rosters, sharing rules, distributions approved by the villagers'
assembly and publicly noticed, finalised allocations to households, bank payouts, slips and
notices (see ``docs/community.md``)."""

from __future__ import annotations

from ledger.community import allocation, bankfiles, model, rosterfile
from ledger.community.projection import CommunityProjector
from ledger.platform import N_, EntryKind, Module, NavItem

#: Every community entry is scoped: read by its village and the bureaus above it.
KINDS = tuple(
    EntryKind(
        kind,
        model.LABELS[kind],
        validate=model.VALIDATORS[kind],
        parties=model.parties,
        describe=model.DESCRIPTIONS[kind],
    )
    for kind in model.KINDS
)

#: Messages for the refusals a person can cause (``%(name)s`` takes the error's details).
MESSAGES = {
    **allocation.MESSAGES,
    **rosterfile.MESSAGES,
    **bankfiles.MESSAGES,
    "community.roster_empty": N_("The roster has no households."),
    "community.roster_moved": N_(
        "Another roster version was saved meanwhile; upload the file again to see the changes."
    ),
    "community.roster_unknown": N_("Import the village's household roster first."),
    "community.rule_id": N_("A rule's short name is 1 to 40 letters, digits, '-' or '_'."),
    "community.rule_name": N_("Give the rule a name of at most 200 characters."),
    "community.rule_exists": N_("A rule with this short name exists already."),
    "community.rule_unknown": N_("There is no such sharing rule."),
    "community.amount": N_(
        "Enter the amount to share, above zero, in yuan with at most two decimals."
    ),
    "community.insufficient": N_(
        "The collective's account holds %(available)s yuan, less than the %(amount)s yuan to share."
    ),
    "community.notice_days": N_("The public notice lasts %(minimum)s to %(maximum)s days."),
    "community.title": N_("Give the distribution a title of at most 200 characters."),
    "community.distribution_unknown": N_("There is no such distribution."),
    "community.state": N_("This distribution is not at this step."),
    "community.resolution_date": N_(
        "Enter the date of the villagers' assembly (not in the future)."
    ),
    "community.resolution_votes": N_(
        "Enter how many were present and how many voted for (not more than were present)."
    ),
    "community.resolution_majority": N_(
        "A resolution needs more than half of those present voting for it "
        "(%(voting_for)s of %(present)s is not)."
    ),
    "community.resolution_scan": N_("Attach the scanned resolution."),
    "community.resolution_number": N_(
        "Enter the resolution's number (at most 100 characters, no personal data)."
    ),
    "community.notice_from": N_("Enter the first day of the public notice."),
    "community.notice_place": N_("Say where villagers may object (at most 200 characters)."),
    "community.objection_date": N_(
        "An objection is recorded for a day of the public notice (%(notice_from)s to "
        "%(notice_until)s)."
    ),
    "community.household_unknown": N_("This household is not on the roster."),
    "community.objection_text": N_(
        "Write the objection in at most 500 characters, without ID, card or phone numbers."
    ),
    "community.objection_unknown": N_("There is no such objection."),
    "community.objection_answered": N_("This objection was answered already."),
    "community.answer_text": N_(
        "Write the answer in at most 500 characters, without ID, card or phone numbers."
    ),
    "community.notice_running": N_("The public notice runs until %(notice_until)s."),
    "community.objections_open": N_("Answer every objection before finalising."),
    "community.reverse_paid": N_(
        "Households were paid or a payment batch is at the bank: this distribution cannot be "
        "reversed."
    ),
    "community.reverse_reason": N_("Give the reason in at most 500 characters."),
    "community.batch_open": N_("A payment batch of this distribution awaits the bank's results."),
    "community.nothing_due": N_("Every household of this distribution was paid."),
    "community.batch_unknown": N_("There is no such payment batch."),
    "community.batch_done": N_("The results of this batch were imported already."),
    "community.bank_mismatch": N_(
        "The bank's file does not match the batch on %(count)s lines; nothing was posted."
    ),
    "community.lookup": N_("No payouts were found for this household code and ID number ending."),
    "community.throttled": N_("Too many look-ups; try again in a few minutes."),
    "community.vault_missing": N_(
        "Personal data is unavailable on this server (no vault key); ask the administrator."
    ),
}

#: What the components of the community's account names mean.
ACCOUNT_WORDS = {
    "Sharing": N_("(set aside for sharing)"),
    "Retained": N_("(retained share)"),
    "Pending": N_("(allocated, not yet paid)"),
}

MODULE = Module(
    name="community",
    label=N_("Benefit sharing"),
    kinds=KINDS,
    projectors=(CommunityProjector(),),
    tables=("ledger.community.tables",),
    migrations="ledger.community.migrations",
    blueprints=("ledger.community.views:bp",),
    api=("ledger.community.api:bp",),
    cli=("ledger.community.cli:community_group",),
    nav=(
        NavItem("community.village", N_("Benefit sharing"), ("village",), org_arg="code", order=25),
        NavItem("community.bureau", N_("Benefit sharing"), ("bureau",), org_arg="code", order=25),
        NavItem("community.lookup", N_("My household's payouts"), ("anonymous",), order=84),
    ),
    messages=MESSAGES,
    account_words=ACCOUNT_WORDS,
    translations="ledger.community",
    demo="ledger.community.demo:seed",
    jobs=("ledger.community.jobs:NOTICE_JOB",),
)
