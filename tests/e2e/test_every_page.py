"""Every page a person can reach, for each role and the public, in a real browser at 360 px:
in Chinese, and in English with the larger-text switch on. The crawl starts at the home page
and follows same-origin links (GET only, bounded: :func:`tests.e2e.browsing.crawl`), so pages
that modules add later are checked without editing this test. Each page must keep the
conventions of :mod:`tests.e2e.browsing`: no sideways scrolling, tap targets at least 44 px
high, no untranslated English on Chinese pages, no raw JSON, no server error, and no console
error (a Content-Security-Policy violation)."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import crawl, new_page, sign_in

ROLES = ["public", "village", "court", "bureau", "admin"]
MODES = {"zh": {"lang": "zh_CN"}, "en-large": {"lang": "en", "large": True}}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_keeps_the_conventions(browser, live_server, role, mode):
    context, page, errors = new_page(browser, live_server, **MODES[mode])
    try:
        if role != "public":
            sign_in(page, role)
        visits = crawl(page, live_server, chinese=mode == "zh")
    finally:
        context.close()
    pages = [v for v in visits if v.html]
    assert len(pages) >= 4, [v.url for v in visits]  # the crawl really went somewhere
    problems = [f"{v.url}: {p}" for v in visits for p in v.problems]
    # A 403/404 page logs "Failed to load resource" for itself: that is not an error.
    problems += [e for e in errors if "the server responded with a status of" not in e]
    assert not problems, "\n".join(problems)
