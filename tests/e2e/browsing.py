"""Shared browser helpers: open a phone-sized page, sign in as a demo user, crawl the pages a
person can reach by following links, and check the conventions every page keeps.

The conventions (static/css/app.css says them for authors):

- no sideways scrolling: ``document.documentElement.scrollWidth <= clientWidth``;
- every tap target (link, button, form control, ``<summary>``; a checkbox or radio button
  through its label) is at least 44 CSS px high;
- a Chinese page shows no untranslated message: no run of three or more English words in
  its visible text (:func:`english_runs` says exactly what counts);
- no raw JSON in the visible text (:func:`raw_json`);
- no answer is a server error (5xx).

The text checks are plain functions of text, tested on their own in ``test_checks.py``.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from tests.e2e.conftest import DEMO, PHONE

#: Smallest tap target height, CSS px (Apple HIG 44 pt; the 适老化 guideline asks for more
#: than the 7-9 mm of a fingertip). Half a pixel of slack for sub-pixel layout.
MIN_TARGET = 44
#: 360 × 740: the narrowest common Android phone (and WeChat's in-app browser on it).
NARROW = {**PHONE, "viewport": {"width": 360, "height": 740}}
#: A crawl follows at most this many addresses of one shape (digits stand for any number:
#: /explorer/entries/3 and /explorer/entries/7 have one shape), and at most MAX_PAGES in all.
PER_SHAPE = 3
MAX_PAGES = 80
#: Links a crawl never follows: they change preferences (language, text size) rather than
#: show a page; a crawl sets those with cookies instead.
SKIP_PREFIXES = ("/prefs/",)


# --- the text checks --------------------------------------------------------------------------

CJK = re.compile(r"([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f])")
#: What surrounds a word and is not part of it.
EDGE = "\"'“”‘’()[]{}<>,.;:!?…"
#: An English word: letters, with inner apostrophes or hyphens (don't, well-known). Anything
#: with digits, underscores, dots, slashes, colons, @, = or # inside is a code, a number, a
#: path or an address, not a word: CO2e, SHA-256, doc.anchor, user:3, carbon_ticket, /log.
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
#: Addresses and hashes are removed before words are counted.
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+", re.I)
HEX = re.compile(r"\b[0-9a-f]{16,}\b", re.I)


def english_runs(text: str, min_words: int = 3) -> list[str]:
    """The runs of ``min_words`` or more English words in a row in ``text``.

    Words are separated by white space (Chinese characters and punctuation count as
    separators that end a run, as does any token that is not a word), with their edge
    punctuation removed: ``"Sign in (villages, courts)"`` is one run of four words;
    ``"用 SHA-256 和 curl 校验"`` has none; ``"Signed at 12:00, by user:3"`` is two runs of
    two words."""
    text = HEX.sub(" ", URL.sub(" ", text))
    runs, current = [], []
    for token in CJK.sub(r" \1 ", text).split():
        word = token.strip(EDGE)
        if word and WORD.fullmatch(word):
            current.append(word)
            continue
        if len(current) >= min_words:
            runs.append(" ".join(current))
        current = []
    if len(current) >= min_words:
        runs.append(" ".join(current))
    return runs


#: A JSON object member (``{"key":`` with any white space) or an array of strings.
JSON_START = re.compile(r'\{\s*"[^"\n]{0,100}"\s*:|\[\s*"[^"\n]{0,100}"\s*[,\]]')


def raw_json(text: str) -> list[str]:
    """Places where ``text`` shows JSON as it is sent to programs (an object with a quoted
    key, or an array of strings): a person should see it put into words and tables."""
    return [text[max(0, m.start() - 20) : m.end() + 20] for m in JSON_START.finditer(text)]


# --- what the browser measures ---------------------------------------------------------------

#: The visible text a person reads, outside code, keyboard input, program output and
#: preformatted text, and outside elements marked with their own language (the language
#: switch): one string per block element, then the title, labels, placeholders and options.
VISIBLE_TEXT = """() => {
  const SKIP = 'code, kbd, samp, pre, script, style, noscript, template, [lang]:not(html)';
  const shown = el => el.getClientRects().length && getComputedStyle(el).visibility === 'visible';
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest(SKIP) || !shown(el)) continue;
    let block = el;
    while (block !== document.body && getComputedStyle(block).display.startsWith('inline')) {
      block = block.parentElement;
    }
    blocks.set(block, (blocks.get(block) || '') + ' ' + n.textContent);
  }
  const texts = [...blocks.values(), document.title];
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], [alt]')) {
    if (el.closest(SKIP)) continue;
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  for (const option of document.querySelectorAll('option')) texts.push(option.textContent);
  return texts.map(t => t.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""

#: Tap targets lower than MIN_TARGET: "<tag> 'text' <height>px".
SMALL_TARGETS = """(minimum) => {
  const small = [];
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(targets)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.closest('label') || (el.labels && el.labels[0]) || el;
    }
    if (!target.getClientRects().length || getComputedStyle(target).visibility !== 'visible') {
      continue;
    }
    const height = target.getBoundingClientRect().height;
    if (height < minimum - 0.5) {
      const text = (el.innerText || el.value || el.name || '').trim().slice(0, 40);
      small.push(`<${el.tagName.toLowerCase()}> '${text}' ${height.toFixed(1)}px`);
    }
  }
  return small;
}"""

OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > root.clientWidth + 0.5)
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
  return `${root.scrollWidth} px wide at ${root.clientWidth} px: ${wide.slice(0, 5).join(', ')}`;
}"""


# --- pages, sign-in, crawling ----------------------------------------------------------------


def new_page(browser, base_url: str, *, lang: str = "zh_CN", large: bool = False, **options):
    """A fresh context and page at 360 px (options override :data:`NARROW`), with the
    language and text size cookies set. Returns ``(context, page, console_errors)``."""
    context = browser.new_context(
        base_url=base_url, **{**NARROW, "locale": "en" if lang == "en" else "zh-CN", **options}
    )
    context.set_default_timeout(15_000)
    host = urlsplit(base_url).hostname
    cookies = [{"name": "lang", "value": lang, "domain": host, "path": "/"}]
    if large:
        cookies.append({"name": "text_size", "value": "large", "domain": host, "path": "/"})
    context.add_cookies(cookies)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def sign_in(page, role: str) -> None:
    """Sign in as the demo user of ``role`` through the sign-in form, in any language."""
    username, password = DEMO[role]
    page.goto("/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/home", f"sign-in as {role} failed: {page.url}"


@dataclass
class Visit:
    """One address a crawl opened: its status, whether it is a page, and what is wrong."""

    url: str
    status: int
    html: bool
    problems: list[str] = field(default_factory=list)


def shape(path_and_query: str) -> str:
    """Addresses of one shape differ only in their numbers."""
    return re.sub(r"\d+", "N", path_and_query)


def check_page(page, *, chinese: bool) -> list[str]:
    """What is wrong with the page on screen, by the conventions above."""
    problems = []
    overflow = page.evaluate(OVERFLOW)
    if overflow:
        problems.append(f"scrolls sideways: {overflow}")
    problems += [f"tap target too small: {t}" for t in page.evaluate(SMALL_TARGETS, MIN_TARGET)]
    if chinese:
        for text in page.evaluate(VISIBLE_TEXT):
            problems += [f"untranslated: {run!r} in {text[:120]!r}" for run in english_runs(text)]
    problems += [f"raw JSON: {found!r}" for found in raw_json(page.inner_text("body"))]
    return problems


def crawl(page, base_url: str, *, chinese: bool, start: str = "/") -> list[Visit]:
    """Open ``start`` and every same-origin address linked from the pages reached, breadth
    first (GET only: forms are never sent; downloads are not pages), bounded by
    :data:`PER_SHAPE` and :data:`MAX_PAGES`; check every HTML page. Returns every visit."""
    origin = urlsplit(base_url)[:2]
    queue = deque([urljoin(base_url, start)])
    seen = {queue[0]}
    shapes: Counter[str] = Counter()
    visits = []
    while queue and len(visits) < MAX_PAGES:
        url = queue.popleft()
        response = page.goto(url)
        status = response.status if response else 0
        html = bool(response) and "text/html" in response.headers.get("content-type", "")
        visit = Visit(url, status, html)
        visits.append(visit)
        if status >= 500 or status == 0:
            visit.problems.append(f"answered {status}")
        if not html:
            continue
        visit.problems += check_page(page, chinese=chinese)
        # A link with the download attribute hands out a file (a CSV report), not a page.
        links = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(a => a.href)")
        for href in links:
            target = urldefrag(href).url
            parts = urlsplit(target)
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts[:2] != origin or target in seen or local.startswith(SKIP_PREFIXES):
                continue
            seen.add(target)
            if shapes[shape(local)] < PER_SHAPE:
                shapes[shape(local)] += 1
                queue.append(target)
    return visits
