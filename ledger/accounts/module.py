"""The accounts module: organisations, users, API tokens, sign-in, and the audit chain that
records every change to them."""

from __future__ import annotations

from ledger.accounts import audit
from ledger.platform import N_, EntryKind, Module, NavItem

#: Messages for the codes of refusals a person can cause (translated where shown).
MESSAGES = {
    "org.kind": N_("Choose village, court or bureau."),
    "org.village_code": N_("A village is named by its 12-digit division code, e.g. 350428102201."),
    "org.division_code": N_(
        "A bureau is named by the division code it covers: 2 digits (province), "
        "4 (city) or 6 (county), e.g. 350428."
    ),
    "org.court_code": N_("A court code is a province abbreviation and digits, e.g. 闽0428."),
    "org.court_division": N_(
        "A court's division must be the 4- or 6-digit division code of the city or county "
        "it sits in, in the same province as its code."
    ),
    "org.name": N_("The name must be 1 to 100 characters."),
    "org.label": N_("The label must be 1 to 100 characters."),
    "org.exists": N_("An organisation of this kind with this code already exists."),
    "org.not_found": N_("There is no such organisation."),
    "user.username": N_(
        "A username is 2 to 40 characters: lowercase letters, digits, '.', '_' or '-'."
    ),
    "user.password_length": N_("A password must be %(min)d to %(max)d characters long."),
    "user.password_is_username": N_("The password must not be the username."),
    "user.password_weak": N_("The password is too simple."),
    "user.password_unchanged": N_("The new password must be different from the current one."),
    "user.current_password": N_("The current password is not correct."),
    "user.role": N_("Choose a role."),
    "user.role_org": N_(
        "Village, court and bureau users belong to an organisation of that kind; "
        "admins belong to none."
    ),
    "user.exists": N_("This username is taken."),
    "user.not_found": N_("There is no such user."),
    "user.self": N_("You cannot disable your own account or change your own role."),
    "token.org": N_("A token must be scoped to one organisation."),
    "token.not_found": N_("There is no such token."),
}


AUDIT_KINDS = tuple(
    EntryKind(name, label, log=audit.LOG)
    for name, label in (
        (audit.SIGNIN, N_("Signed in")),
        (audit.SIGNIN_FAILED, N_("Sign-in failed")),
        (audit.SIGNIN_LOCKED, N_("Sign-in refused: too many attempts")),
        (audit.SIGNOUT, N_("Signed out")),
        (audit.ORG_CREATED, N_("Organisation added")),
        (audit.USER_CREATED, N_("User added")),
        (audit.ROLE_CHANGED, N_("Role changed")),
        (audit.USER_DISABLED, N_("User disabled")),
        (audit.USER_ENABLED, N_("User enabled")),
        (audit.PASSWORD_CHANGED, N_("Password changed")),
        (audit.PASSWORD_CHECK_FAILED, N_("Password change refused: wrong current password")),
        (audit.PASSWORD_RESET, N_("Password reset")),
        (audit.TOKEN_CREATED, N_("API token created")),
        (audit.TOKEN_REVOKED, N_("API token revoked")),
        (audit.EXPORT, N_("Data exported")),
    )
)

MODULE = Module(
    name="accounts",
    label=N_("Accounts and sign-in"),
    kinds=AUDIT_KINDS,
    tables=("ledger.accounts.tables",),
    blueprints=("ledger.web.auth:bp", "ledger.web.admin:bp"),
    cli=(
        "ledger.commands.accounts:orgs_group",
        "ledger.commands.accounts:users_group",
        "ledger.commands.accounts:tokens_group",
    ),
    nav=(
        NavItem("admin.users", N_("Users"), ("admin",), order=10),
        NavItem("admin.orgs", N_("Organisations"), ("admin",), order=11),
        NavItem("admin.tokens", N_("API tokens"), ("admin",), order=12),
    ),
    messages=MESSAGES,
    demo="ledger.demo:seed_accounts",
)
