"""Hostile text on work pages (issue 23, item 4): NUL bytes, bidi and other invisible controls, wrong charsets.

Every case runs the spider on one page (no server), in both markups (the selectors, and the text fallback).
"""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from earsense_m2t.crawlers.html_text import normalize_text
from earsense_m2t.crawlers.spiders.earsense import EarSenseSpider
from earsense_m2t.schemas import Failure, Work
from tests.crawlers import _pages
from tests.crawlers._pages import BASE, SLUG

URL = f"{BASE}/chamber-music/{SLUG}/"


def crawl(body: bytes, ctype: str) -> tuple[list, dict]:
    crawler = get_crawler(EarSenseSpider)
    spider = EarSenseSpider.from_crawler(crawler, start_url=f"{BASE}/chamber-music/")
    response = HtmlResponse(url=URL, body=body, headers={"Content-Type": ctype}, request=Request(URL))
    return list(spider.parse(response)), crawler.stats.get_stats()


def page(monkeypatch, markup: str, composer: str, title: str, article: tuple[str, ...], charset: str = "utf-8") -> str:
    monkeypatch.setattr(_pages, "COMPOSER", composer)
    monkeypatch.setattr(_pages, "TITLE", title)
    html = _pages.work_page(markup, article=article)
    return html.replace('<meta charset="utf-8">', f'<meta charset="{charset}">')


#: (case, composer as served, title as served, article paragraph as served, what each field must read)
CONTROL_CASES = [
    ("NUL between words", "Wolfgang\x00Amadeus Mozart", "Quartet\x00in D minor, K. 421",
     "The\x00first\x00movement opens softly.",
     ("Wolfgang Amadeus Mozart", "Quartet in D minor, K. 421", "The first movement opens softly.")),
    ("NUL next to a space", "Wolfgang \x00Amadeus\x00 Mozart", "Quartet in D minor, K. 421\x00",
     "Softly.\x00 Then loudly.",
     ("Wolfgang Amadeus Mozart", "Quartet in D minor, K. 421", "Softly. Then loudly.")),
    ("unbalanced RTL override", "Wolfgang Amadeus \u202eMozart", "Quartet \u202ein D minor, K. 421",
     "An \u202eoverride that is never closed.",
     ("Wolfgang Amadeus Mozart", "Quartet in D minor, K. 421", "An override that is never closed.")),
    ("balanced embeddings, isolates and marks", "\u2067Wolfgang\u2069 Amadeus \u202bMozart\u202c\u200f",
     "Quartet\u200e in \u2066D minor\u2069, K. 421\u061c", "Bidi \u202aembedded\u202c and \u2068isolated\u2069.",
     ("Wolfgang Amadeus Mozart", "Quartet in D minor, K. 421", "Bidi embedded and isolated.")),
    ("invisible format characters", "Wolf\u00adgang Ama\u200bdeus Mo\ufeffzart", "Quartet in D\u2060 minor, K. 421",
     "Other\u0007 controls\u001b[31m too\u0085.",
     ("Wolfgang Amadeus Mozart", "Quartet in D minor, K. 421", "Other controls [31m too.")),
    ("joiners that spell words are kept", "Nima\u200cyushij", "Quartet in D minor, K. 421", "Plain text.",
     ("Nima\u200cyushij", "Quartet in D minor, K. 421", "Plain text.")),
]


@pytest.mark.parametrize("markup", ["default", "plain"])
@pytest.mark.parametrize(("case", "composer", "title", "paragraph", "expected"), CONTROL_CASES,
                         ids=[c[0] for c in CONTROL_CASES])
def test_controls_never_reach_text_fields_and_never_join_words(monkeypatch, markup, case, composer, title,
                                                               paragraph, expected):
    items, _stats = crawl(page(monkeypatch, markup, composer, title, (paragraph,)).encode(), "text/html; charset=utf-8")
    [work] = [i for i in items if isinstance(i, Work)]
    assert (work.composer, work.title, work.article) == expected, case


#: (case, the text, what normalize_text makes of it)
NORMALIZE_CASES = [
    ("NUL", "a\x00b", "a b"),
    ("NULs around spaces", "a \x00 \x00b", "a b"),
    ("RLO", "\u202eabc", "abc"),
    ("isolates", "x\u2066y\u2069z", "xyz"),
    ("C1 and escape", "a\x1b]0;title\x07b\x9bc", "a ]0;title b c"),
    ("newlines are kept", "a\x00\nb", "a\nb"),
]


@pytest.mark.parametrize(("case", "text", "expected"), NORMALIZE_CASES, ids=[c[0] for c in NORMALIZE_CASES])
def test_normalize_text_drops_controls(case, text, expected):
    assert normalize_text(text) == expected, case


COMPOSER, TITLE, PARAGRAPH = "Léo Delibes", "Pièce en forme de Thème, Op. 9", "Très lent, mélodie élégante."
#: (case, how the page is encoded, the charset it declares, what the crawl must count)
CHARSET_CASES = [
    # every non-ASCII byte is followed by a valid Shift_JIS trail byte: the declared decoding "works" (mojibake)
    ("cp1252 declared shift_jis, decodes without errors", "cp1252", "shift_jis", "earsense/charset_redecoded"),
    ("cp1252 declared shift_jis, with undecodable bytes", "cp1252", "shift_jis", "earsense/charset_redecoded"),
    ("cp1252 declared euc-jp", "cp1252", "euc-jp", "earsense/charset_redecoded"),
    ("cp1252 declared utf-8", "cp1252", "utf-8", "earsense/charset_redecoded"),
    ("utf-8 declared iso-8859-1", "utf-8", "iso-8859-1", "earsense/charset_redecoded"),
    ("utf-8 declared shift_jis", "utf-8", "shift_jis", "earsense/charset_redecoded"),
    ("cp1252 declared windows-1252", "cp1252", "windows-1252", None),
    ("utf-8 declared utf-8", "utf-8", "utf-8", None),
]


@pytest.mark.parametrize("markup", ["default", "plain"])
@pytest.mark.parametrize(("case", "encoding", "declared", "counted"), CHARSET_CASES, ids=[c[0] for c in CHARSET_CASES])
def test_a_wrong_charset_declaration_is_detected_and_counted(monkeypatch, markup, case, encoding, declared, counted):
    paragraph = PARAGRAPH + (" “doux”" if "undecodable" in case else "")
    html = page(monkeypatch, markup, COMPOSER, TITLE, (paragraph,), charset=declared)
    if "without errors" in case:  # the page's own text keeps to bytes Shift_JIS accepts
        html = html.replace("’", "'").replace("“", '"').replace("”", '"').replace("—", "-").replace("©", "(c)")
        html = html.replace("Società", "Societa")
    body = html.encode(encoding)
    if "without errors" in case:
        body.decode("shift_jis")  # the premise: nothing undecodable, so only detection can tell
    items, stats = crawl(body, f"text/html; charset={declared}")
    [work] = [i for i in items if isinstance(i, Work)]
    assert (work.composer, work.title) == (COMPOSER, TITLE), case
    assert work.article is not None and paragraph in work.article, case
    assert stats.get("earsense/charset_redecoded", 0) == (1 if counted else 0), case


def test_a_page_no_charset_can_read_fails_and_is_counted():
    body = bytes(range(128, 256)) * 64  # no encoding gives text from this
    items, stats = crawl(b"<html><body><h1 class='work-title'>" + body + b"</h1></body></html>",
                         "text/html; charset=shift_jis")
    assert not [i for i in items if isinstance(i, Work)]
    [failure] = [i for i in items if isinstance(i, Failure)]
    assert failure.code == "bad_encoding" and failure.item_id == SLUG, failure
    assert stats.get("earsense/charset_failed") == 1
