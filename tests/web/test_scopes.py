"""The pure rules of ledger.accounts: identifiers of organisations, roles, and who may read
what (``can_read``), as a table."""

from __future__ import annotations

import pytest

from ledger.accounts import model, scopes
from ledger.accounts.model import ANONYMOUS_PRINCIPAL, Org, Principal
from ledger.core.errors import ValidationError


def org(i, kind, code, division=None):
    code, level, division = model.normalise_code(kind, code, division)
    return Org(i, kind, code, f"org {i}", level, division)


ORGS = {
    "province": org(1, "bureau", "35"),
    "city": org(2, "bureau", "3504"),
    "county": org(3, "bureau", "350428"),
    "other_county": org(4, "bureau", "350403"),
    "v1": org(5, "village", "350428102201"),
    "v2": org(6, "village", "350428102202"),
    "v3": org(7, "village", "350403100201"),
    "court": org(8, "court", "闽0428"),
    "court2": org(9, "court", "闽0403"),
    "city_court": org(10, "court", "闽04"),
    "guangdong": org(11, "bureau", "44"),
}


def user(role, org_key=None, kind="user"):
    return Principal(kind, 1, role, ORGS[org_key] if org_key else None, "x")


PRINCIPALS = {
    "anonymous": ANONYMOUS_PRINCIPAL,
    "v1": user("village", "v1"),
    "court": user("court", "court"),
    "county": user("bureau", "county"),
    "city": user("bureau", "city"),
    "province": user("bureau", "province"),
    "other_county": user("bureau", "other_county"),
    "guangdong": user("bureau", "guangdong"),
    "admin": user("admin"),
    "v1_token": model.token_principal(model.Token(1, "t", ORGS["v1"], "clt_abcd", None, "", None)),
}
#: principal → the organisations it may read; everything else is refused.
CAN_READ = {
    "anonymous": set(),
    "v1": {"v1"},
    "court": {"court"},
    "county": {"county", "v1", "v2", "court"},
    "city": {"city", "county", "other_county", "v1", "v2", "v3", "court", "court2", "city_court"},
    "province": set(ORGS) - {"guangdong"},
    "other_county": {"other_county", "v3", "court2"},
    "guangdong": {"guangdong"},
    "admin": set(),
    "v1_token": {"v1"},
}


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
@pytest.mark.parametrize("what", sorted(ORGS))
def test_can_read(who, what):
    assert scopes.can_read(PRINCIPALS[who], ORGS[what]) == (what in CAN_READ[who])


def test_only_signed_in_admins_administer():
    assert scopes.can_admin(PRINCIPALS["admin"])
    assert not scopes.can_admin(Principal("token", 1, "admin", None))
    assert not any(scopes.can_admin(PRINCIPALS[k]) for k in PRINCIPALS if k != "admin")


def test_can_write_only_for_ones_own_org():
    assert scopes.can_write(PRINCIPALS["v1"], ORGS["v1"])
    assert not scopes.can_write(PRINCIPALS["county"], ORGS["v1"])
    assert not scopes.can_write(PRINCIPALS["admin"], ORGS["v1"])


def test_principal_actor_and_role_of_tokens():
    assert PRINCIPALS["v1"].actor == "user:1"
    assert PRINCIPALS["v1_token"].actor == "token:1"
    assert PRINCIPALS["v1_token"].role == "village"
    assert ANONYMOUS_PRINCIPAL.actor == "anonymous" and not ANONYMOUS_PRINCIPAL.is_authenticated


@pytest.mark.parametrize(
    ("kind", "code", "division", "want"),
    [
        ("village", "350428102201", None, ("350428102201", "village", "350428102201")),
        ("village", " 350428102201 ", None, ("350428102201", "village", "350428102201")),
        ("bureau", "35", None, ("35", "province", "35")),
        ("bureau", "3504", None, ("3504", "city", "3504")),
        ("bureau", "350428", None, ("350428", "county", "350428")),
        ("court", "闽0428", None, ("闽0428", "county", "350428")),
        ("court", "闽0428", "350428", ("闽0428", "county", "350428")),
        ("court", "闽04", None, ("闽04", "city", "3504")),
        ("court", "京0105", None, ("京0105", "county", "110105")),
        ("court", "闽71", "3502", ("闽71", "city", "3502")),  # a special court: explicit division
    ],
)
def test_codes(kind, code, division, want):
    assert model.normalise_code(kind, code, division) == want


@pytest.mark.parametrize(
    ("kind", "code", "division", "error"),
    [
        ("village", "35042810220", None, "org.village_code"),
        ("village", "350428102000", None, "org.village_code"),  # a township, not a village
        ("village", "3504281022O1", None, "org.village_code"),
        ("bureau", "350", None, "org.division_code"),
        ("bureau", "00", None, "org.division_code"),
        ("bureau", "350428102201", None, "org.division_code"),
        ("court", "0428", None, "org.court_code"),
        ("court", "X0428", None, "org.court_code"),
        ("court", "闽428", None, "org.court_code"),
        ("court", "闽0428", "440000", "org.court_division"),
        ("court", "闽0428", "35042", "org.court_division"),
        ("planet", "35", None, "org.kind"),
    ],
)
def test_bad_codes(kind, code, division, error):
    with pytest.raises(ValidationError) as info:
        model.normalise_code(kind, code, division)
    assert info.value.code == error


def test_account_keys_are_ascii():
    assert ORGS["v1"].account_key == "Village:350428102201"
    assert ORGS["court"].account_key == "Court:350428"
    assert ORGS["county"].account_key == "Bureau:350428"


def test_kind_of_code():
    assert model.kind_of_code("350428102201") == "village"
    assert model.kind_of_code("350428") == "bureau"
    assert model.kind_of_code("闽0428") == "court"


@pytest.mark.parametrize(
    ("role", "org_key", "ok"),
    [
        ("village", "v1", True),
        ("village", "court", False),
        ("village", None, False),
        ("court", "court", True),
        ("bureau", "county", True),
        ("bureau", "v1", False),
        ("admin", None, True),
        ("admin", "county", False),
        ("root", None, False),
    ],
)
def test_roles_fit_organisations(role, org_key, ok):
    o = ORGS[org_key] if org_key else None
    if ok:
        assert model.check_role(role, o) == role
    else:
        with pytest.raises(ValidationError):
            model.check_role(role, o)


@pytest.mark.parametrize(
    ("password", "ok"),
    [("a good long one", True), ("short", False), ("x" * 257, False), ("aaaaaaaaaaaa", False),
     ("cunmin", False), (None, False)],
)  # fmt: skip
def test_password_rules(password, ok):
    if ok:
        model.check_password(password, "cunmin")
    else:
        with pytest.raises(ValidationError):
            model.check_password(password, "cunmin")


def test_tokens_are_random_and_hashed():
    from ledger.accounts import tokens

    a, b = tokens.new_token(), tokens.new_token()
    assert a != b and a.startswith("clt_") and len(a) == 4 + 43
    assert tokens.well_formed(a)
    assert len(tokens.token_hash(a)) == 64
    assert not tokens.well_formed("clt_../../etc") and not tokens.well_formed("x" * 10)


def test_rehash_and_burn():
    from ledger.accounts.passwords import Hasher

    cheap, dearer = Hasher(1, 8, 1), Hasher(2, 16, 1)
    stored = cheap.hash("a good long one")
    assert cheap.verify(stored, "a good long one") == (True, None)
    ok, new = dearer.verify(stored, "a good long one")
    assert ok and new is not None and dearer.verify(new, "a good long one") == (True, None)
    assert cheap.verify(stored, "wrong") == (False, None)
    assert cheap.verify("not a hash", "x") == (False, None)
    cheap.burn("anything")
