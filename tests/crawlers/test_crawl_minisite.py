"""A real Scrapy crawl over HTTP of the mini EarSense site, in both of its markups.

The default markup is the one the profile's selectors are written for; the "plain" one shows the same text
with none of those class names, so only the text fallback (crawlers/page_text.py) can read it. Both must give
the catalogue's ground truth, and the same records.
"""

import dataclasses
import json
import socket
from collections import Counter

import pytest

from earsense_m2t.crawlers.crawl import CrawlError, crawl_site
from earsense_m2t.schemas import Recording, Work

#: what says when and where a page was fetched, not what it says
PROVENANCE = {"fetched_at": "", "page_sha256": "", "etag": None, "last_modified": None}


def _crawl(site, tmp_path_factory, name):
    build = tmp_path_factory.mktemp(name)
    result = crawl_site(site.start_url, build, local=True)
    stats = json.loads((build / "crawl" / "stats.json").read_text(encoding="utf-8"))
    return result, stats, site


@pytest.fixture(scope="module")
def default_crawl(minisite, tmp_path_factory):
    return _crawl(minisite, tmp_path_factory, "default")


@pytest.fixture(scope="module")
def plain_crawl(plain_minisite, tmp_path_factory):
    return _crawl(plain_minisite, tmp_path_factory, "plain")


@pytest.fixture(params=["default", "plain"])
def crawled(request):
    return request.getfixturevalue(f"{request.param}_crawl")


def test_every_work_is_found_once(crawled, catalogue):
    result, _stats, _site = crawled
    assert sorted(w.id for w in result.of(Work)) == sorted(w.slug for w in catalogue)


def test_works_carry_the_header_facts(crawled, catalogue):
    result, _stats, _site = crawled
    by_id = {w.id: w for w in result.of(Work)}
    assert all(w.url.endswith(f"/chamber-music/{w.id}/") and "?" not in w.url for w in by_id.values())
    assert all(len(w.page_sha256) == 64 and w.fetched_at for w in by_id.values())
    for spec in catalogue:
        work = by_id[spec.slug]
        expected = {
            "title": spec.title, "composer": spec.composer, "nationality": spec.nationality,
            "instrumentation": spec.instrumentation, "year": spec.year, "published": spec.published,
            "dedication": spec.dedication, "approx_duration_s": spec.approx_minutes * 60.0,
            "composer_birth_year": spec.composer_born, "composer_death_year": spec.composer_died,
            "composer_birth_place": spec.birth.place if spec.birth else None,
            "composer_death_place": spec.death.place if spec.death else None,
        }
        assert {k: getattr(work, k) for k in expected} == expected, spec.slug


def test_articles_are_the_pages_paragraphs_without_glossary_or_biography_section(crawled, catalogue):
    result, _stats, _site = crawled
    by_id = {w.id: w for w in result.of(Work)}
    for spec in catalogue:
        plain = spec.article_plain()
        assert by_id[spec.slug].article == ("\n\n".join(plain) if plain else None), spec.slug
    assert all(w.biography is None for w in by_id.values())  # the biography opens the article
    assert sum(1 for w in by_id.values() if not w.article) == sum(1 for s in catalogue if s.article is None) >= 1


def test_per_recording_movement_lists_and_durations_are_the_catalogues(crawled, catalogue):
    result, _stats, _site = crawled
    works = {w.id: w for w in result.of(Work)}
    recordings: dict[tuple[str, int], list[Recording]] = {}
    for rec in result.of(Recording):
        recordings.setdefault((rec.work_id, rec.recording_index), []).append(rec)
    for spec in catalogue:
        page = spec.page_titles()
        assert works[spec.slug].page_movement_titles == (page[1] if page else ()), spec.slug
        assert works[spec.slug].page_movement_titles_ri == (page[0] if page else None), spec.slug
        for ri, rec_spec in enumerate(spec.recordings):
            got = recordings.get((spec.slug, ri), [])
            listed = tuple((title, float(seconds)) for title, seconds in spec.listed_movements(ri))
            if rec_spec.layout == "none":
                assert got == [], (spec.slug, ri)  # no video, no Recording; its list still counts for the titles
                continue
            assert got and all(r.listed_movements == listed for r in got), (spec.slug, ri)
            assert all(r.performers == rec_spec.performers for r in got)
            if rec_spec.layout == "tracks":
                assert [(r.movement_number, r.track_title, r.duration_s) for r in got] == [
                    (n, title, seconds) for n, (title, seconds) in enumerate(listed, 1)], (spec.slug, ri)
            else:
                (whole,) = got
                assert whole.movement_number is None and whole.track_title is None
                assert whole.duration_s == (None if listed else float(spec.recording_total_s(ri))), (spec.slug, ri)
    assert {w.slug for w in catalogue if w.has_video} == {r.work_id for r in result.of(Recording)}
    assert all(r.source_url.startswith("http://127.0.0.1") for r in result.of(Recording))


def test_the_plain_markup_gives_the_same_records_through_the_text_fallback(default_crawl, plain_crawl):
    (d_result, d_stats, d_site), (p_result, p_stats, p_site) = default_crawl, plain_crawl

    def works(result, site):
        return sorted((dataclasses.replace(w, url=w.url.replace(site.base_url, ""), **PROVENANCE)
                       for w in result.of(Work)), key=lambda w: w.id)

    def recordings(result, site):
        return sorted((dataclasses.replace(r, source_url=r.source_url.replace(site.base_url, ""))
                       for r in result.of(Recording)), key=lambda r: r.id)

    assert works(d_result, d_site) == works(p_result, p_site)
    assert recordings(d_result, d_site) == recordings(p_result, p_site)
    n_works = len(d_result.of(Work))
    # crawl_site checked the required fields (title, composer, article): found by the text alone, they count
    assert sum(1 for w in p_result.of(Work) if w.article) == n_works - 1
    assert "earsense/fallback_pages" not in d_stats  # every field a page has, the selectors found
    assert p_stats["earsense/fallback_pages"] == n_works  # every page needed the text
    assert p_stats["earsense/fallback_fields/title"] == p_stats["earsense/fallback_fields/recordings"] == n_works


def test_url_forms_crawl_to_one_work(crawled, catalogue):
    result, _stats, site = crawled
    assert set(Counter(w.id for w in result.of(Work)).values()) == {1}
    paths = {path for _method, path, _status in site.requests}
    articles = {site.article_url(w.slug).replace(site.base_url, "") for w in catalogue if w.article is not None}
    assert articles <= paths  # composer pages link every article view; each leads to its work
    assert any(p.startswith("/chamberbase/works/detail/?pkey=") for p in paths)
    assert not any("?ri=" in p for p in paths)  # every canonical page answered: no variant was needed


def test_a_database_view_naming_no_work_is_a_failure_naming_its_url(crawled, catalogue):
    result, _stats, site = crawled
    unresolvable = [w for w in catalogue if w.pkey_view == "bare"]
    assert unresolvable
    failures = [f for f in result.failures if f.code == "no_canonical"]
    reached = {f.url for f in failures}
    assert reached <= {site.pkey_url(w.slug) for w in unresolvable} and reached
    assert all(f.item_id == f.url and f.url in f.reason for f in failures)
    assert {f.code for f in result.failures} == {"no_canonical"}


def test_robots_and_site_boundaries(default_crawl):
    result, _stats, site = default_crawl
    paths = [p for _method, p, _status in site.requests]
    assert not any(p.startswith("/private/") for p in paths)
    assert "/robots.txt" in paths
    assert not any(f.stage != "crawl" for f in result.failures)


def test_unreachable_site_names_the_url(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/chamber-music/"
    with pytest.raises(CrawlError, match=f"127.0.0.1:{port}"):
        crawl_site(url, tmp_path, local=True)
    assert not (tmp_path / "crawl").exists()
