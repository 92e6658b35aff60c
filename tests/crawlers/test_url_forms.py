"""Every URL form of a work crawls to one work id (issue 10, spec §3), over HTTP against the mini site.

The forms added here as extra routes (pages written for this test) sit next to the catalogue's own pages:
an article view and database entries with a canonical link, with only a link to the work page, or with
neither; a work whose canonical page fails but whose "?ri=N" variant answers; a "?ri=N" start URL.
"""

from __future__ import annotations

from collections import Counter

import pytest

from earsense_m2t.crawlers.crawl import crawl_site
from earsense_m2t.offline.minisite import serve
from earsense_m2t.schemas import Recording, Work
from tests.crawlers._pages import BASE, SLUG, work_page

HTML = {"Content-Type": "text/html; charset=utf-8"}
ONLY_VARIANT = "Only-Variant-Work"


def _page(body: str, head: str = "") -> bytes:
    return (f"<!DOCTYPE html><html><head><title>View | EarSense</title>{head}</head><body>"
            f"<nav><a href='/chamber-music/'>Chamber Music</a></nav><main>{body}</main></body></html>").encode()


@pytest.fixture(scope="module")
def forms(catalogue, tmp_path_factory):
    a, b, c = (w.slug for w in catalogue[:3])
    routes = {
        "/article/Test-View-With-Canonical/": (200, HTML, _page(
            "<h1>An article view</h1><p>Read the work's page.</p>", f'<link rel="canonical" href="/chamber-music/{a}/">')),
        "/chamberbase/works/detail/?pkey=7001": (200, HTML, _page(
            f"<p>Database entry. <a href='/chamber-music/{b}/'>The work</a></p>")),
        "/chamberbase/works/detail/?pkey=7002": (200, HTML, _page("<p>Database entry without any way to the work.</p>")),
        "/chamberbase/works/detail/?pkey=7003": (200, HTML, _page(
            "<p>Canonical to a variant.</p>", f'<link rel="canonical" href="/chamber-music/{c}/?ri=0">')),
        f"/chamber-music/{ONLY_VARIANT}/": (500, HTML, b"<html><body>server error</body></html>"),
        f"/chamber-music/{ONLY_VARIANT}/?ri=0": (200, HTML, work_page("plain").encode()),
    }
    links = ["/article/Test-View-With-Canonical/", "/chamberbase/works/detail/?pkey=7001",
             "/chamberbase/works/detail/?pkey=7002", "/chamberbase/works/detail/?pkey=7003",
             f"/chamber-music/{ONLY_VARIANT}/?ri=0", f"/chamber-music/{a}/?ri=1", f"/chamber-music/{a}/?ri=0"]
    with serve(catalogue=catalogue, extra_routes=routes, extra_index_links=links) as site:
        result = crawl_site(site.start_url, tmp_path_factory.mktemp("forms"), local=True)
        return result, site.base_url, [path for _m, path, _s in site.requests], (a, b, c)


def test_every_form_crawls_to_one_work(forms, catalogue):
    result, _base, _paths, _abc = forms
    ids = Counter(w.id for w in result.of(Work))
    assert set(ids) == {w.slug for w in catalogue} | {ONLY_VARIANT}
    assert set(ids.values()) == {1}
    assert all(w.url.endswith(f"/chamber-music/{w.id}/") for w in result.of(Work))


def test_views_are_followed_and_variants_are_not_fetched_when_the_canonical_answers(forms):
    _result, _base, paths, (a, b, c) = forms
    for view in ("/article/Test-View-With-Canonical/", "/chamberbase/works/detail/?pkey=7001",
                 "/chamberbase/works/detail/?pkey=7003"):
        assert view in paths
    assert not any(p.startswith(f"/chamber-music/{slug}/?") for slug in (a, b, c) for p in paths)
    assert paths.count(f"/chamber-music/{a}/") == 1


def test_a_view_naming_no_work_is_a_failure_naming_its_url(forms):
    result, base, _paths, _abc = forms
    url = f"{base}/chamberbase/works/detail/?pkey=7002"
    failures = [f for f in result.failures if f.code == "no_canonical" and f.url == url]
    assert [(f.item_id, f.url) for f in failures] == [(url, url)]  # once, however many links lead to it
    assert url in failures[0].reason


def test_a_work_whose_canonical_page_fails_is_read_from_its_variant_under_the_canonical_id(forms):
    result, base, paths, _abc = forms
    work = next(w for w in result.of(Work) if w.id == ONLY_VARIANT)
    assert work.url == f"{base}/chamber-music/{ONLY_VARIANT}/" and work.nationality == "Italian"
    assert f"/chamber-music/{ONLY_VARIANT}/?ri=0" in paths
    recs = [r for r in result.of(Recording) if r.work_id == ONLY_VARIANT]
    assert {r.recording_index for r in recs} == {0, 1, 2}
    assert not [f for f in result.failures if ONLY_VARIANT in f.item_id]


def test_a_variant_start_url_yields_the_work_from_its_canonical_page(catalogue, tmp_path):
    slug = catalogue[0].slug
    with serve(catalogue=catalogue) as site:
        result = crawl_site(f"{site.base_url}/chamber-music/{slug}/?ri=1", tmp_path, local=True)
        paths = [path for _m, path, _s in site.requests]
    assert Counter(w.id for w in result.of(Work))[slug] == 1
    assert f"/chamber-music/{slug}/" in paths and paths.count(f"/chamber-music/{slug}/?ri=1") == 1
    work = next(w for w in result.of(Work) if w.id == slug)
    assert work.url == f"{site.base_url}/chamber-music/{slug}/"


# ---- the same rules on single responses, in every order (no server) ---------------------------------------

def _response(url: str, html: str, **meta):
    from scrapy.http import HtmlResponse, Request

    return HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url, meta=meta))


def _spider():
    from scrapy.utils.test import get_crawler

    from earsense_m2t.crawlers.spiders.earsense import EarSenseSpider

    return EarSenseSpider.from_crawler(get_crawler(EarSenseSpider), start_url=f"{BASE}/chamber-music/")


def test_a_variant_page_reached_directly_defers_to_its_canonical_page():
    from scrapy import Request

    canonical = f"{BASE}/chamber-music/{SLUG}/"
    items = list(_spider().parse(_response(f"{canonical}?ri=1", work_page("plain"))))
    assert not [i for i in items if isinstance(i, Work)]
    assert [i.url for i in items if isinstance(i, Request)] == [canonical]


@pytest.mark.parametrize("order", [("canonical", "variant"), ("variant", "canonical"), ("alias", "canonical", "variant")])
def test_a_work_is_emitted_once_whatever_order_its_pages_arrive_in(order):
    canonical = f"{BASE}/chamber-music/{SLUG}/"
    pages = {
        "canonical": _response(canonical, work_page("default")),
        "variant": _response(f"{canonical}?ri=2", work_page("plain"), variant_of=canonical),
        "alias": _response(f"{BASE}/article/Brenta-String-Quartet-No2-Op9/",
                           f'<html><head><link rel="canonical" href="{canonical}"></head><body></body></html>'),
    }
    spider = _spider()
    works = [i for name in order for i in spider.parse(pages[name]) if isinstance(i, Work)]
    assert [w.id for w in works] == [SLUG] and works[0].url == canonical
