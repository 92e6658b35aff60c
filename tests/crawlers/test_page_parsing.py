"""Table-driven tests of the pure page helpers: article cleaning and work-title facts."""

import pytest

from earsense_m2t.crawlers.html_text import html_to_paragraphs, html_to_text
from earsense_m2t.crawlers.spiders.earsense import media_source
from earsense_m2t.crawlers.work_title import parse_catalogue, parse_duration, parse_life_dates, parse_number, parse_year

ARTICLE_CASES = [
    ("<p>One &amp; two</p><p>Three</p>", ["One & two", "Three"]),
    ("<p>Line one<br>line two</p>", ["Line one\nline two"]),
    ("<p>A <a class='glossary-term' href='#gl'>rondo</a> ends it<sup class='fn'>1</sup>.</p>", ["A rondo ends it."]),
    ("<p>“Quoted” words — kept</p>", ["“Quoted” words — kept"]),
    ("<h2>About the work</h2><p>Body</p><p class='article-author'>— Written by X</p>", ["Body"]),
    ("<p>  spaced\u00a0 out  , text </p>", ["spaced out, text"]),
    ("<div>No paragraphs at all</div>", ["No paragraphs at all"]),
    ("<p></p><p> </p>", []),
    ("<p>Un <em>Allegro</em> très vif</p>", ["Un Allegro très vif"]),
]


@pytest.mark.parametrize("html, expected", ARTICLE_CASES)
def test_article_paragraphs(html, expected):
    assert html_to_paragraphs(html, "h2, .article-author, sup.fn") == expected


def test_article_text_joins_paragraphs_and_none_when_empty():
    assert html_to_text("<p>a</p><p>b</p>") == "a\n\nb"
    assert html_to_text("<p> </p>") is None


@pytest.mark.parametrize("title, catalogue, number", [
    ("String Quartet No. 8 in A major, Op. 44", "Op. 44", "No. 8"),
    ("String Quartet in C major, Op. 76 No. 3", "Op. 76 No. 3", None),
    ("Piano Trio No. 1 in D minor, Op. 49", "Op. 49", "No. 1"),
    ("Clarinet Quintet in A major, K. 581", "K. 581", None),
    ("Sonata for Cello Solo, BWV 1008", "BWV 1008", None),
    ("String Quartet in G major, Hob. III:81", "Hob. III:81", None),
    ("Octet in F major, D. 803", "D. 803", None),
    ("Sonata for flute, viola and harp", None, None),
    ("Quartet Nr. 2", None, "No. 2"),
])
def test_title_facts(title, catalogue, number):
    assert parse_catalogue(title) == catalogue
    assert parse_number(title) == number


@pytest.mark.parametrize("text, expected", [
    ("(1802–1869)", (1802, 1869)), ("(1862-1918)", (1862, 1918)), ("(born 1950)", (1950, None)), ("(b. 1949)", (1949, None)),
    ("(1950 – )", (1950, None)), (None, (None, None)),
])
def test_life_dates(text, expected):
    assert parse_life_dates(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("26:14", 1574.0), ("Total 1:02:03", 3723.0), ("7:05", 425.0), ("n/a", None), (None, None)])
def test_durations(text, expected):
    assert parse_duration(text) == expected


def test_year():
    assert parse_year("composed 1850") == 1850 and parse_year("n.d.") is None


@pytest.mark.parametrize("embed, url, source_id", [
    ("https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube:dQw4w9WgXcQ"),
    ("https://www.youtube-nocookie.com/embed/abcdefghijk", "https://www.youtube.com/watch?v=abcdefghijk", "youtube:abcdefghijk"),
    ("https://player.vimeo.com/video/12345", "https://vimeo.com/12345", "vimeo:12345"),
    ("http://127.0.0.1:8000/embed/Ab3-x_Yz0Q1", "http://127.0.0.1:8000/embed/Ab3-x_Yz0Q1",
     "http://127.0.0.1/embed/Ab3-x_Yz0Q1"),  # direct media: the full URL (a loopback port is not identity)
])
def test_media_source(embed, url, source_id):
    assert media_source(embed) == (url, source_id)


def test_a_page_that_breaks_the_parser_is_a_failure_not_an_exception(monkeypatch):
    from scrapy.http import HtmlResponse, Request

    from earsense_m2t.crawlers.spiders.earsense import EarSenseSpider
    from earsense_m2t.schemas import Failure

    spider = EarSenseSpider(start_url="http://127.0.0.1:1/chamber-music/")
    url = "http://127.0.0.1:1/chamber-music/Some-Work/"
    html = (b"<html><body><h1 class='work-title'>Quartet</h1><p class='work-composer'>"
            b"<a class='composer-name'>A</a></p><section class='recordings'><div class='recording' data-ri='x'>"
            b"<iframe class='video-embed' src='/embed/abc'></iframe></div></section></body></html>")
    response = HtmlResponse(url=url, body=html, encoding="utf-8", request=Request(url))

    def boom(*_args, **_kwargs):
        raise KeyError("performers")

    monkeypatch.setattr(spider, "recordings_of", boom)
    items = list(spider.parse(response))
    assert len(items) == 1 and isinstance(items[0], Failure)
    assert items[0].item_id == "Some-Work" and "KeyError" in items[0].reason
