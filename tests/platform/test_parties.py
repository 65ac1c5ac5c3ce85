"""An entry's parties: the caller's set of declared parties found well formed (what the entry
index passes for a batch) changes nothing about the answer, and holds only well-formed ones;
the community kinds' declared party is its village, cached or not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.community import model
from ledger.core.entry import Posting
from ledger.platform.module import EntryKind
from ledger.platform.reading import entry_parties, is_party

SETTINGS = settings(max_examples=300, deadline=None, database=None)


class Code(str):
    """A ``str`` subclass that formats itself otherwise (an f-string calls ``__format__``)."""

    def __format__(self, spec: str) -> str:
        return "999999999999"


DECLARED = st.one_of(
    st.sampled_from(
        [
            "Village:350428102201",
            "Court:350428",
            "Bureau:350428",
            "Village:35042810220١",  # an Arabic-Indic digit: isdigit(), not ASCII
            "Village:" + "1" * 40,  # too long
            "Village:",
            "Nobody:350428",
            "350428",
        ]
    ),
    st.builds(Code, st.sampled_from(["Village:350428102201", "Village:x"])),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
ACCOUNTS = st.sampled_from(
    [
        "Assets:Village:350428102201:Collective",
        "Assets:Court:350428:Deposits",
        "Assets:Programme:Retirement",
        "Assets:Village:35042810220١:Collective",
    ]
)


@given(
    st.lists(st.tuples(st.lists(DECLARED, max_size=3), st.lists(ACCOUNTS, max_size=2)), max_size=6)
)
@SETTINGS
def test_a_known_set_changes_no_answer_and_holds_only_well_formed_parties(batch):
    known: set[str] = set()
    for declared, accounts in batch:
        kind = EntryKind("test.kind", "Test", parties=lambda body, postings, d=declared: d)
        postings = tuple(Posting(a, "CNY", 1) for a in accounts)
        assert entry_parties(kind, {}, postings, known) == entry_parties(kind, {}, postings)
    assert all(is_party(p) for p in known)


@given(
    st.one_of(
        st.sampled_from(["350428102201", "35042810220", "35042810220١", "x"]),
        st.builds(Code, st.sampled_from(["350428102201", "x"])),
        st.integers(),
        st.none(),
    )
)
@SETTINGS
def test_a_community_entry_declares_its_village(village):
    body = {"village": village}
    well_formed = isinstance(village, str) and model.VILLAGE_RE.fullmatch(village)
    expected = [f"Village:{village}"] if well_formed else []
    assert model.parties(body, ()) == expected
    assert model.parties(body, ()) == expected  # once more, from the cache
