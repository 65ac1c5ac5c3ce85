"""The text checks of the page crawl (:mod:`tests.e2e.browsing`), on their own: what counts
as untranslated English on a Chinese page and what counts as raw JSON. No browser needed."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import english_runs, raw_json, shape


@pytest.mark.parametrize(
    "text, runs",
    [
        (
            "Sign in (villages, courts, forestry bureaus)",
            ["Sign in villages courts forestry bureaus"],
        ),
        ("登录（村、法院、林业局）", []),
        # codes, numbers, paths and addresses are not words
        ("类型 doc.anchor，记录人 user:3", []),
        ("用 SHA-256 和 curl 在 OpenSSL 3 上校验", []),
        ("carbon_ticket price_fen_per_t CO2e kg", []),
        ("见 https://example.org/a/b/c and more", []),
        ("根哈希 0123456789abcdef0123456789abcdef 已核验", []),
        # two words are a name or a term; three in a row are a sentence
        ("请用 API token 登录", []),
        ("本页 Not yet covered 尚未", ["Not yet covered"]),
        (
            "检查点 — the given checkpoint does not verify: note has no blank line",
            ["the given checkpoint does not verify note has no blank line"],
        ),
        # Chinese characters and non-words end a run
        ("Signed at 12:00, by someone 在 some place here", ["some place here"]),
        ("don't well-known words", ["don't well-known words"]),
    ],
)
def test_english_runs(text, runs):
    assert english_runs(text) == runs


def test_raw_json_finds_objects_and_string_arrays_not_prose():
    assert raw_json('摘要 {"programme":"carbon_ticket"}')
    assert raw_json('{\n  "v": 1,\n  "seq": 0\n}')
    assert raw_json('["a", "b"]')
    assert not raw_json("金额 {数量} 与 [备注] 为“示例”：无")
    assert not raw_json('He said "yes": fine')


def test_addresses_of_one_shape_differ_only_in_numbers():
    assert shape("/explorer/entries/3") == shape("/explorer/entries/17")
    assert shape("/explorer/?before=4") != shape("/explorer/?after=4")
