"""Incremental crawling (new / changed / unchanged / gone) and pages the crawl must survive."""

from __future__ import annotations

import pytest

from earsense_m2t.crawlers.crawl import CrawlError, crawl_site
from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.catalogue import all_videos, with_article
from earsense_m2t.schemas import Work


@pytest.fixture(scope="module")
def refreshed(catalogue, tmp_path_factory):
    """Crawl, crawl again unchanged (same server), then crawl a site with one text changed and one work gone."""
    build = tmp_path_factory.mktemp("refresh")
    with serve(catalogue=catalogue) as site:
        first = crawl_site(site.start_url, build, local=True)
        before = len(site.requests)
        second = crawl_site(site.start_url, build, local=True)
        second_requests = site.requests[before:]
    slugs = sorted(w.slug for w in catalogue if w.article)
    changed_slug, gone_slug = slugs[0], slugs[1]
    edited = with_article(catalogue, changed_slug, ["A new first paragraph about the work.",
                                                   "The opening Allegro is now described differently."])
    with serve(catalogue=edited, gone={gone_slug}) as site:
        third = crawl_site(site.start_url, build, local=True)
    return first, second, second_requests, third, changed_slug, gone_slug


def test_a_work_whose_page_fails_for_now_is_unreached_not_gone(catalogue, tmp_path):
    """Only a 404/410 confirms a work gone; a 5xx (or a timeout) leaves it "unreached", and publish keeps it."""
    slug = sorted(w.slug for w in catalogue)[2]
    with serve(catalogue=catalogue) as site:
        crawl_site(site.start_url, tmp_path, local=True)
    down = {f"/chamber-music/{slug}/": (503, {"Content-Type": "text/html"}, b"<h1>Service Unavailable</h1>")}
    with serve(catalogue=catalogue, extra_routes=down) as site:
        again = crawl_site(site.start_url, tmp_path, local=True)
    assert again.notes["gone"] == [] and again.notes["unreached"] == [slug]
    [failure] = [f for f in again.failures if f.item_id.endswith(f"/{slug}/")]
    assert failure.code in ("http_error", "request_failed") and "503" in failure.reason, failure


def test_a_work_no_page_links_any_more_is_still_asked_for(catalogue, tmp_path):
    """The last crawl's works are requested by name: one that lost every link is unchanged, not gone.

    The second crawl starts on a video page, which links no work, so only the sitemap and the last
    crawl's list can lead to work pages; the works left out of the sitemap are reached by name alone."""
    hidden = sorted(w.slug for w in catalogue if not w.in_sitemap)
    assert hidden
    with serve(catalogue=catalogue) as site:
        crawl_site(site.start_url, tmp_path, local=True)
        video = all_videos(catalogue)[0].video_id
        again = crawl_site(f"{site.base_url}/watch/{video}", tmp_path, local=True)
    assert set(hidden) <= set(again.notes["unchanged"])
    assert again.notes["gone"] == [] and again.notes["unreached"] == []


def test_first_crawl_sees_everything_new(refreshed, catalogue):
    first = refreshed[0]
    assert sorted(first.notes["new"]) == sorted(w.slug for w in catalogue)


def test_unchanged_refresh_is_answered_by_conditional_requests(refreshed, catalogue):
    _, second, requests, *_ = refreshed
    assert second.notes["changed"] == [] and second.notes["new"] == []
    assert sorted(second.notes["unchanged"]) == sorted(w.slug for w in catalogue)
    work_answers = [status for _m, path, status in requests if path.startswith("/chamber-music/") and path.count("/") == 3]
    assert work_answers and set(work_answers) == {304}
    assert len(second.of(Work)) == len(catalogue)  # unchanged works keep their records


def test_changed_and_gone_works_are_told_apart(refreshed):
    *_, third, changed_slug, gone_slug = refreshed
    assert third.notes["changed"] == [changed_slug]
    assert third.notes["gone"] == [gone_slug]
    assert gone_slug not in {w.id for w in third.of(Work)}
    text = {w.id: w.article for w in third.of(Work)}[changed_slug]
    assert "now described differently" in text


BIG = b"<html><body>" + b"<p>" + b"x" * (6 * 1024 * 1024) + b"</p></body></html>"
LATIN1_AS_UTF8 = ('<html><head><meta charset="iso-8859-1"><title>t</title></head><body><main><div class="work-header">'
                  '<h1 class="work-title">Sonate en ré mineur</h1><p class="work-composer"><a class="composer-name">'
                  'Gabriel Fauré</a></p></div><article class="work-article"><p>Très lent, «doux».</p><p>Fin.</p>'
                  '</article></main></body></html>').encode()
BAD_ROUTES = {
    "/chamber-music/Broken-Markup-Work/": (200, {"Content-Type": "text/html; charset=utf-8"},
                                           b"<html><body><div><h1 class='work-title'>Only a title<p><<<"),
    "/chamber-music/Huge-Page-Work/": (200, {"Content-Type": "text/html; charset=utf-8"}, BIG),
    "/chamber-music/Wrong-Charset-Work/": (200, {"Content-Type": "text/html; charset=iso-8859-1"}, LATIN1_AS_UTF8),
    "/chamber-music/Offsite-Redirect-Work/": (302, {"Location": "http://example.invalid/elsewhere/"}, b""),
}
BAD_LINKS = [*BAD_ROUTES, "/chamber-music/..%2F..%2Fetc%2Fpasswd/", "/chamber-music/a%2Fb/"]


@pytest.fixture(scope="module")
def bad_crawl(catalogue, tmp_path_factory):
    with serve(catalogue=catalogue, extra_routes=BAD_ROUTES, extra_index_links=BAD_LINKS) as site:
        return crawl_site(site.start_url, tmp_path_factory.mktemp("bad"), local=True), site.base_url


def test_bad_pages_are_skipped_with_a_reason_and_the_crawl_goes_on(bad_crawl, catalogue):
    result, base = bad_crawl
    ids = {w.id for w in result.of(Work)}
    assert {w.slug for w in catalogue} <= ids
    reasons = {f.item_id.replace(base, ""): f.reason for f in result.failures}
    assert "work page without composer" in reasons["Broken-Markup-Work"]
    codes = {f.item_id.replace(base, ""): f.code for f in result.failures}
    assert codes["Broken-Markup-Work"] == "missing_field"
    assert result.counts["dropped"] == len(result.failures) and "error" not in set(codes.values())
    huge = [r for k, r in reasons.items() if "Huge-Page-Work" in k]
    assert huge and ("max" in huge[0].lower() or "size" in huge[0].lower())
    assert any("rejected" in r for k, r in reasons.items() if "passwd" in k or "a/b" in k or "%2F" in k)
    assert "Offsite-Redirect-Work" not in ids


def test_wrong_charset_is_repaired(bad_crawl):
    result, _ = bad_crawl
    work = {w.id: w for w in result.of(Work)}["Wrong-Charset-Work"]
    assert work.title == "Sonate en ré mineur" and "Très lent, «doux»." in work.article


def test_selector_drift_fails_loudly_naming_urls(catalogue, tmp_path):
    no_articles = catalogue
    for w in catalogue[: len(catalogue) // 3]:
        no_articles = with_article(no_articles, w.slug, None)
    with serve(catalogue=no_articles) as site, pytest.raises(CrawlError, match="'article' missing on") as err:
        crawl_site(site.start_url, tmp_path, local=True)
    assert f"/chamber-music/{catalogue[0].slug}/" in str(err.value)
    assert not (tmp_path / "crawl").exists()
