"""The spider on single work pages (no server): selectors first, the text fallback, and the records they make."""

from __future__ import annotations

import dataclasses

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from earsense_m2t.crawlers.spiders.earsense import EarSenseSpider
from earsense_m2t.schemas import Failure, Recording, Work, validate_record
from tests.crawlers._pages import BASE, RECORDINGS, SLUG, TITLE, embed, work_page

URL = f"{BASE}/chamber-music/{SLUG}/"
#: what says when and how a page was fetched, not what it says
PROVENANCE = {"fetched_at": "", "page_sha256": "", "etag": None, "last_modified": None}


def crawl_page(html: str, url: str = URL) -> tuple[list, dict]:
    crawler = get_crawler(EarSenseSpider)
    spider = EarSenseSpider.from_crawler(crawler, start_url=f"{BASE}/chamber-music/")
    response = HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url))
    items = list(spider.parse(response))
    return items, crawler.stats.get_stats()


def records(html: str) -> tuple[Work, list[Recording]]:
    items, _stats = crawl_page(html)
    works = [i for i in items if isinstance(i, Work)]
    assert len(works) == 1, items
    return works[0], [i for i in items if isinstance(i, Recording)]


def without_provenance(work: Work) -> Work:
    return dataclasses.replace(work, **PROVENANCE)


@pytest.mark.parametrize("markup", ["default", "plain"])
def test_the_header_facts_become_work_fields(markup):
    work, _recs = records(work_page(markup))
    assert (work.title, work.composer) == (TITLE, "Aurelio Brenta")
    assert (work.composer_birth_year, work.composer_death_year) == (1788, 1851)
    assert work.nationality == "Italian" and work.instrumentation == "2 violins, viola and cello"
    assert work.approx_duration_s == 24 * 60 and work.year == 1825
    assert (work.composer_birth_place, work.composer_death_place) == ("Bassano", "Padua")
    assert work.published == "1828, Milan" and work.dedication == "the Società Filarmonica of Padua"
    assert work.article.startswith("“A quartet of uncommon warmth") and work.article.endswith("Used by permission.")
    assert work.biography is None  # the biography opens the article; there is no section of its own
    assert work.page_movement_titles == ("I. Allegro con brio", "II. Adagio", "III. Menuetto", "IV. Rondo. Allegro")
    assert work.page_movement_titles_ri == 0 and work.catalogue == "Op. 9" and work.number == "No. 2"


@pytest.mark.parametrize("markup", ["default", "plain"])
def test_recordings_carry_their_own_movement_lists(markup):
    _work, recs = records(work_page(markup))
    by_ri: dict[int, list[Recording]] = {}
    for rec in recs:
        by_ri.setdefault(rec.recording_index, []).append(rec)
    assert sorted(by_ri) == [0, 1, 2]  # recording 3 has a list but no video: no Recording
    tracks = by_ri[0]
    listed0 = tuple((title, float(int(m) * 60 + int(s))) for (clock, title) in RECORDINGS[0][1]
                    for m, s in [clock.split(":")])
    assert [(r.movement_number, r.track_title, r.duration_s) for r in tracks] == [
        (n, title, seconds) for n, (title, seconds) in enumerate(listed0, 1)]
    assert all(r.listed_movements == listed0 and r.performers == "Quartetto Aria" for r in tracks)
    assert [r.source_url for r in tracks] == [embed(0, n) for n in range(1, 5)]
    (whole,) = by_ri[1]
    assert whole.movement_number is None and whole.track_title is None and whole.duration_s is None
    assert whole.listed_movements == (("I. Allegro", 470.0), ("II. Adagio cantabile", 362.0), ("III. Minuet", 240.0),
                                      ("IV. Rondo", 3665.0))
    (total,) = by_ri[2]
    assert total.duration_s == 1574.0 and total.listed_movements == () and total.source_url == embed(2, 0)
    assert all(not validate_record(r) for r in recs)


def test_both_markups_make_the_same_records_and_only_plain_needs_the_text():
    (default_items, default_stats), (plain_items, plain_stats) = crawl_page(work_page("default")), \
        crawl_page(work_page("plain"))
    d_work, p_work = (next(i for i in items if isinstance(i, Work)) for items in (default_items, plain_items))
    assert without_provenance(d_work) == without_provenance(p_work)
    assert [i for i in default_items if isinstance(i, Recording)] == [i for i in plain_items if isinstance(i, Recording)]
    assert "earsense/fallback_pages" not in default_stats  # every field the page has, the selectors found
    assert plain_stats["earsense/fallback_pages"] == 1
    assert plain_stats["earsense/fallback_fields/title"] == plain_stats["earsense/fallback_fields/recordings"] == 1
    assert "earsense/fallback_fields/note" not in plain_stats  # the page has no note: nothing was supplied


def test_a_field_the_selectors_miss_is_read_from_the_text_alone():
    """Drift in one place (the facts list renamed) costs that field's selectors only."""
    html = work_page("default").replace('class="work-facts"', 'class="facts-v2"')
    items, stats = crawl_page(html)
    work = next(i for i in items if isinstance(i, Work))
    assert work.nationality == "Italian" and work.year == 1825
    assert stats["earsense/fallback_pages"] == 1
    assert {k.rsplit("/", 1)[1] for k in stats if k.startswith("earsense/fallback_fields/")} == {
        "nationality", "born", "died", "duration", "composed", "published", "dedication"}


def test_the_first_listing_recording_gives_the_titles_even_without_a_video():
    recordings = (("Duo Lenz", (("3:00", "I. Largo"), ("2:00", "II. Vivace")), "none"),
                  ("Duo Marr", (("3:10", "1. Largo assai"), ("2:05", "2. Vivace")), "whole"))
    for markup in ("default", "plain"):
        work, recs = records(work_page(markup, recordings=recordings))
        assert work.page_movement_titles == ("I. Largo", "II. Vivace") and work.page_movement_titles_ri == 0
        assert [(r.recording_index, r.listed_movements) for r in recs] == [
            (1, (("1. Largo assai", 190.0), ("2. Vivace", 125.0)))]


def test_a_page_without_recordings_or_article():
    work, recs = records(work_page("plain", article=None, recordings=()))
    assert work.article is None and recs == [] and work.page_movement_titles == ()
    assert work.page_movement_titles_ri is None and work.nationality == "Italian"


def test_missing_pieces_stay_none():
    facts = (("Nationality", "Italian"), ("Died", "1851 (age 62)"))
    work, _ = records(work_page("plain", facts=facts).replace("(1788-1851)", ""))
    assert work.composer_birth_year is None and work.composer_death_year == 1851
    assert work.approx_duration_s is None and work.year is None and work.composer_death_place is None
    assert work.published is None and work.dedication is None


def test_a_page_with_neither_selectors_nor_text_shape_is_a_missing_field_failure():
    items, _stats = crawl_page("<html><body><div><p>Only some words</p></div></body></html>")
    assert [(i.code, i.reason) for i in items if isinstance(i, Failure)] == [
        ("missing_field", "work page without title and composer")]


#: a page that is only text, one line per paragraph, in the shape of the real site's stored copies (written for
#: this test): no iframe, performers with instruments, a glossary with language marks
TEXT_COPY = """Henrik Sandal (1802-1858)
Piano Quintet in E minor, Op. 31
(for piano, 2 violins, viola and cello)
Nationality: Danish
Born: 1802, Odense
Died: December 2, 1858, Leipzig (age 56)
Duration: 31 minutes (approximately)
Composed: 1849 (age 46-47)
Note: revised for a second edition in 1855.
“Fresh, generous and never dull.”
—Oskar Veldt writing in his Chamber Music Guide
Sandal studied in Copenhagen before settling in Leipzig.
In four movements, it opens with a stormy Allegro; an Andante follows.
We also offer the parts in a new edition.
3 recordings, 2 videos
Ada Kell (piano), Quartetto Bruma
9:58 I. Allegro con fuoco - Più mosso
7:12 II. Andante
4:40 III. Scherzo. Presto
8:03 IV. Finale. Allegro non troppo
Ensemble Lodestar
30:02
Petra Sund (piano), Vela Quartet
glossary
quintet, Quintett [G], quintette [F]—a work for five players. explore"""


def test_a_text_copy_of_a_real_shaped_page():
    body = "".join(f"<p>{line}</p>" for line in TEXT_COPY.splitlines())
    items, stats = crawl_page(f"<html><head><title>x</title></head><body>{body}</body></html>",
                              url=f"{BASE}/chamber-music/Henrik-Sandal-Piano-Quintet-in-E-minor-Op-31/")
    (work,) = [i for i in items if isinstance(i, Work)]
    assert (work.composer, work.title, work.instrumentation) == ("Henrik Sandal", "Piano Quintet in E minor, Op. 31",
                                                                 "piano, 2 violins, viola and cello")
    assert (work.nationality, work.composer_death_place, work.approx_duration_s, work.year) == ("Danish", "Leipzig",
                                                                                                1860.0, 1849)
    assert work.article.split("\n\n")[0] == "“Fresh, generous and never dull.”"
    assert work.article.endswith("We also offer the parts in a new edition.") and "glossary" not in work.article
    assert work.page_movement_titles == ("I. Allegro con fuoco - Più mosso", "II. Andante", "III. Scherzo. Presto",
                                         "IV. Finale. Allegro non troppo")
    assert work.page_movement_titles_ri == 0
    assert not [i for i in items if isinstance(i, Recording)]  # a text copy has no video to download
    assert "earsense/recordings_count_mismatch" not in stats and stats["earsense/fallback_pages"] == 1
