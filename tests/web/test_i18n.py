"""Languages: the catalogs are complete, compiled and up to date with the sources; pages are in
Chinese by default and in English after the switch (flash and form messages too); templates
hold no literal text outside ``_()``.

The Chinese (zh_CN) catalog is ``translations/zh/``: Babel parses ``zh_CN`` as ``zh_Hans_CN``,
which gettext looks up as ``zh_Hans_CN`` or ``zh``. The English catalog may leave messages
empty: the source strings are English.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from ledger.i18n import Catalog, catalogs
from tests.web.conftest import USERS, csrf_token, sign_in

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "translations"
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "N_": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
CATALOGS = {str(c.folder.relative_to(REPO)): c for c in catalogs()}


def catalog(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


def po_path(cat: Catalog, lang: str) -> Path:
    return cat.folder / lang / "LC_MESSAGES" / "messages.po"


def norm(value):
    """Plural ids and strings come as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, list | tuple) else value


def messages(cat) -> dict:
    return {norm(m.id): m for m in cat if m.id}


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(page: str) -> str:
    """The text a person reads: no tags, no <pre>/<code> (hashes, JSON, commands)."""
    page = re.sub(r"<(pre|code|head)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --- the catalogs ---------------------------------------------------------------------------


def test_the_shell_and_every_module_catalog_are_loaded_by_the_app(app):
    folders = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert [Path(f) for f in folders] == [c.folder for c in CATALOGS.values()]


@pytest.mark.parametrize("name", CATALOGS)
def test_catalog_files_are_committed(name):
    cat = CATALOGS[name]
    assert cat.pot.is_file(), cat.pot
    for lang in ("zh", "en"):
        for ext in ("po", "mo"):
            assert (cat.folder / lang / "LC_MESSAGES" / f"messages.{ext}").is_file()


@pytest.mark.parametrize("name", CATALOGS)
def test_every_msgid_has_a_chinese_translation(name):
    cat = catalog(po_path(CATALOGS[name], "zh"))
    assert len(messages(cat)) > 0
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"no zh_CN translation for {message.id!r}"
        assert not message.fuzzy, f"fuzzy zh_CN translation for {message.id!r}"
    problems = [(m.id, errors) for m, errors in cat.check()]
    assert not problems, problems  # e.g. a %(name)s placeholder lost in translation


def _extracted(cat: Catalog) -> set:
    """The messages ``make i18n`` extracts for ``cat``: from its sources, minus the folders
    of other catalogs."""
    with (TRANSLATIONS / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {
        norm(message)
        for source in cat.sources
        for path, _, message, *_ in extract_from_dir(source, method_map, options_map, KEYWORDS)
        if not any((source / path).is_relative_to(ignored) for ignored in cat.ignore)
    }


@pytest.mark.parametrize("name", CATALOGS)
def test_catalogs_list_every_string_in_the_sources(name):
    """Run the extraction of ``make i18n``: a string added to a template or a module without
    running ``make i18n`` (and translating it) fails here."""
    cat = CATALOGS[name]
    extracted = _extracted(cat)
    if cat.folder == TRANSLATIONS:
        assert "Sign in" in extracted and "Log explorer" in extracted
    for path in (po_path(cat, "zh"), po_path(cat, "en"), cat.pot):
        known = set(messages(catalog(path)))
        missing = sorted(map(str, extracted - known))
        assert not missing, f"run `make i18n` and translate: {path} lacks {missing[:10]}"


@pytest.mark.parametrize("name", CATALOGS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compiled_catalogs_match_their_sources(name, lang):
    po = catalog(po_path(CATALOGS[name], lang))
    with po_path(CATALOGS[name], lang).with_suffix(".mo").open("rb") as fh:
        mo = read_mo(fh)
    translated = {norm(m.id): norm(m.string) for m in po if m.id and m.string and all(m.string)}
    compiled = {norm(m.id): norm(m.string) for m in mo if m.id}
    # pybabel compiles an untranslated plural message with its source strings: not a change.
    compiled = {k: v for k, v in compiled.items() if k in translated or k != v}
    assert compiled == translated, "run `make i18n` (pybabel compile)"


def test_a_message_in_two_catalogs_has_one_translation():
    """The app merges the catalogs into one (a module's over the shell's), so a message both
    declare must read the same in both, or one of them changes the other's pages."""
    seen: dict[tuple, tuple[str, object]] = {}
    for name, cat in CATALOGS.items():
        for m in catalog(po_path(cat, "zh")):
            if not m.id:
                continue
            first = seen.setdefault(norm(m.id), (name, norm(m.string)))
            assert first[1] == norm(m.string), (m.id, first, (name, m.string))


ALLOWED_LITERALS = {"doc.anchor"}  # an example entry kind, a code rather than a word
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)


def test_templates_have_no_literal_text_outside_gettext():
    templates = [*(REPO / "templates").rglob("*.html")]
    for cat in CATALOGS.values():
        if cat.folder != TRANSLATIONS:
            templates += [p for s in cat.sources for p in s.rglob("*.html")]
    for path in sorted(templates):
        source = JINJA.sub(" ", path.read_text(encoding="utf-8"))
        source = re.sub(r"<(pre|code)\b.*?</\1>", " ", source, flags=re.S | re.I)
        attributes = re.findall(
            r'\s(?:title|alt|placeholder|aria-label|value)\s*=\s*"([^"]*)"', source
        )
        source = re.sub(r"<!doctype[^>]*>|<[^>]*>|&[a-zA-Z]+;|&#\d+;", " ", source, flags=re.I)
        literal = [
            t.strip()
            for t in [*attributes, *source.split("\n")]
            if re.search(r"[A-Za-z]{2,}", t) and t.strip() not in ALLOWED_LITERALS
        ]
        assert not literal, f"{path.relative_to(REPO)}: wrap in _(): {literal}"


# --- pages ------------------------------------------------------------------------------------


def test_pages_are_chinese_by_default_and_english_after_the_switch(client):
    page = text(client.get("/"))
    assert '<html lang="zh-CN">' in page
    assert "碳汇账本" in page and "登录" in page and "Sign in" not in visible(page)

    response = client.get("/prefs/language/en?next=/public/checkpoint")
    assert response.status_code == 303 and response.headers["Location"] == "/public/checkpoint"
    assert "lang=en" in response.headers["Set-Cookie"]
    page = text(client.get("/public/checkpoint"))
    assert '<html lang="en">' in page
    assert "Signed checkpoint of the public log" in page and "签名检查点" not in page
    assert "Sign in" in page

    client.get("/prefs/language/zh_CN")
    assert "公开日志的签名检查点" in text(client.get("/public/checkpoint"))
    assert client.get("/prefs/language/fr").status_code == 404


def test_flash_and_form_messages_follow_the_language(app):
    client = app.test_client()
    sign_in(client, USERS["bureau_county"][0])
    assert "林业局首页" in text(client.get("/home"))
    response = client.post("/signout", data={"csrf_token": csrf_token(client, "/home")})
    assert "您已退出登录。" in text(client.get(response.headers["Location"]))

    client = app.test_client()
    client.get("/prefs/language/en")
    sign_in(client, USERS["bureau_county"][0])
    assert "Forestry bureau home" in text(client.get("/home"))
    page = text(client.get("/explorer/anchor"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page)
    key = key.group(1) if key else re.search(r'value="([^"]+)"[^>]*name="idempotency_key"', page)[1]
    response = client.post(
        "/explorer/anchor",
        data={"csrf_token": token, "idempotency_key": key, "title": "t"},
        content_type="multipart/form-data",
    )
    assert "Choose a file to anchor." in text(response)
    upload = {"csrf_token": token, "document": (io.BytesIO(b"x"), "x")}
    ok = client.post("/explorer/anchor", data={**upload, "idempotency_key": key})
    assert ok.status_code == 303
    assert "The document is anchored as entry" in text(client.get(ok.headers["Location"]))
    response = client.post("/signout", data={"csrf_token": token})
    assert "You are signed out." in text(client.get(response.headers["Location"]))


#: Pages to render in Chinese, by who looks at them.
PAGES = {
    None: [
        "/",
        "/signin",
        "/public/checkpoint",
        "/public/documents",
        "/public/documents?sha256=" + "ab" * 32,
        "/public/receipts",
        "/no/such/page",
    ],
    "village": ["/home", "/villages/350428102201", "/villages/350428102202"],
    "court": ["/home", "/account/password"],
    "bureau_county": [
        "/home",
        "/bureaus/350428",
        "/explorer/",
        "/explorer/entries/0",
        "/explorer/verify",
        "/explorer/anchor",
        "/explorer/?q=zz",
    ],
    "admin": ["/home", "/admin/users", "/admin/orgs", "/admin/tokens"],
}


def _english_phrases() -> set[str]:
    """Source strings of two or more words whose Chinese differs: none may show on a
    Chinese page."""
    phrases = set()
    every = [m for c in CATALOGS.values() for m in catalog(po_path(c, "zh"))]
    for message in every:
        if not message.id or isinstance(message.id, tuple):
            continue
        for part in re.split(r"%\(\w+\)[sd]", message.id):
            part = part.strip(" .:,()")
            if len(part.split()) >= 2 and part not in str(message.string):
                phrases.add(part)
    return phrases


@pytest.mark.parametrize("role", list(PAGES))
def test_chinese_pages_show_no_untranslated_english(app, role):
    client = app.test_client()
    if role:
        assert sign_in(client, USERS[role][0]).status_code == 302
    phrases = _english_phrases()
    for path in PAGES[role]:
        response = client.get(path)
        assert response.status_code in (200, 403, 404, 422), path
        page = text(response)
        assert '<html lang="zh-CN"' in page, path
        shown = visible(page)
        leftovers = sorted(p for p in phrases if p in shown)
        assert not leftovers, f"{path}: untranslated {leftovers}"
        assert re.search(r"[\u4e00-\u9fff]", shown), path
