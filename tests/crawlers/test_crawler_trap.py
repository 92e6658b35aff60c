"""A crawler trap (issue 23, item 3): endless pagination must not run the crawl for an hour and lose everything.

A real Scrapy crawl over HTTP against the mini site with an endless "?page=N" listing (each page links N+1 and
N+2, and several works). The crawl must stop on its own within its time budget (a share of the build's
deadline), keep the works it finished, and report the works it found and did not reach as "unreached".
The time bounds are behaviour bounds (it stops at all, long before the crawl subprocess's own timeout), not
measurements.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from earsense_m2t.build_summary import BuildSummary
from earsense_m2t.crawlers import settings
from earsense_m2t.crawlers.crawl import (
    CRAWL_DEADLINE_SHARE,
    MIN_CRAWL_BUDGET_S,
    STOP_GRACE_S,
    crawl_budget,
    crawl_site,
)
from earsense_m2t.offline.minisite import serve
from earsense_m2t.schemas import Deadline, Work
from earsense_m2t.schemas.manifests import CRAWLED_WORKS

HTML = {"Content-Type": "text/html; charset=utf-8"}
#: a page of the trap: "?page=N" links N+1 and N+2, and (from page ``works_from`` on) ``works_per_page`` works
RouteFn = Callable[[str], tuple[int, dict[str, str], bytes]]


def trap(works_from: int, works_per_page: int, work_delay_s: float) -> dict[str, RouteFn]:
    """The endless listing at /blog/archive/ and the works it links (answering after ``work_delay_s``)."""
    n_works = 2000

    def listing(path_qs: str) -> tuple[int, dict[str, str], bytes]:
        page = int(path_qs.partition("page=")[2] or 1)
        links = "".join(f'<a href="/blog/archive/?page={n}">page {n}</a> ' for n in (page + 1, page + 2))
        first = works_per_page * page
        works = "".join(f'<a href="/chamber-music/Trap-Work-{n}/">a work</a> '
                        for n in range(first, first + works_per_page) if page >= works_from and n <= n_works)
        return 200, HTML, f"<html><body><main><h1>Archive, page {page}</h1>{links}{works}</main></body></html>".encode()

    def work(path_qs: str) -> tuple[int, dict[str, str], bytes]:
        time.sleep(work_delay_s)
        n = path_qs.strip("/").rsplit("-", 1)[1]
        return 200, HTML, (f'<html><body><main><div class="work-header"><h1 class="work-title">Trap Quartet No. {n}'
                           f'</h1><p class="work-composer"><a class="composer-name">Ada Trapp</a></p></div>'
                           f'<article class="work-article"><p>A quartet in four movements.</p></article>'
                           f"</main></body></html>").encode()

    return {"/blog/archive/": listing, **{f"/chamber-music/Trap-Work-{n}/": work for n in range(1, n_works + 1)}}


def test_the_crawl_budget_is_a_share_of_the_deadline_left():
    assert crawl_budget(Deadline(60.0)) == pytest.approx(CRAWL_DEADLINE_SHARE * 60.0, abs=0.5)
    assert crawl_budget(Deadline(60.0, started=time.monotonic() - 59.99)) == MIN_CRAWL_BUDGET_S  # a short crawl
    assert crawl_budget(None) == crawl_budget(Deadline(None)) >= 600  # no deadline: a cap, not forever


def test_endless_pagination_stops_at_the_deadline_and_keeps_what_it_finished(catalogue, tmp_path):
    deadline_s = 12.0
    # the works answer slowly and each page links four: the crawl finds far more than it can fetch in its budget
    routes = trap(works_from=1, works_per_page=4, work_delay_s=0.5)
    with serve(catalogue=catalogue, extra_routes=routes, extra_index_links=["/blog/archive/?page=1"]) as site:
        started = time.monotonic()
        result = crawl_site(site.start_url, tmp_path, local=True, deadline=Deadline(deadline_s))
        took = time.monotonic() - started
        trap_pages = site.count("/blog/archive/")
    # stopped by itself: within the deadline plus a margin for starting Scrapy and finishing requests in flight,
    # and far from the 3,600 s after which the old crawl was killed
    assert took < deadline_s + STOP_GRACE_S / 4, took
    assert trap_pages >= 5  # the crawl did walk into the trap
    works = {w.id for w in result.of(Work)}
    assert {w.slug for w in catalogue} <= works  # the site's own works, found first (breadth-first), are kept
    unreached = [f for f in result.failures if f.code == "unreached"]
    assert unreached and result.counts["unreached"] == len(unreached)
    assert all(f.item_id.startswith("Trap-Work-") and f.item_id not in works for f in unreached)
    assert all("CLOSESPIDER_TIMEOUT" in f.reason and f.url.endswith(f"/chamber-music/{f.item_id}/") for f in unreached)
    assert CRAWLED_WORKS.find(tmp_path / "crawl") is not None  # the crawl's feeds were kept, not deleted
    assert result.counts["dropped"] == len(result.failures)
    summary = BuildSummary.of(site.base_url, [result]).render()  # what the build prints
    assert f"crawl/unreached {len(unreached)}" in summary and "CLOSESPIDER_TIMEOUT" in summary


def test_endless_pagination_without_a_deadline_stops_at_the_depth_cap(catalogue, tmp_path):
    """No deadline: DEPTH_LIMIT ends the trap; the works linked only past it are "unreached", the rest kept."""
    routes = trap(works_from=2 * settings.DEPTH_LIMIT - 60, works_per_page=1, work_delay_s=0)
    with serve(catalogue=catalogue, extra_routes=routes, extra_index_links=["/blog/archive/?page=1"]) as site:
        result = crawl_site(site.start_url, tmp_path, local=True)
        trap_pages = site.count("/blog/archive/")
    assert 0 < trap_pages <= 2 * settings.DEPTH_LIMIT + 2  # "?page=N" links N+2: two pages a level
    works = {w.id for w in result.of(Work)}
    assert {w.slug for w in catalogue} <= works
    assert any(w.startswith("Trap-Work-") for w in works)  # the trap's works within the cap are crawled
    unreached = [f for f in result.failures if f.code == "unreached"]
    assert unreached and all("DEPTH_LIMIT" in f.reason and f.item_id not in works for f in unreached)
