"""A real Scrapy crawl over HTTP of the mini EarSense site."""

import socket

import pytest

from earsense_m2t.crawlers.crawl import CrawlError, crawl_site
from earsense_m2t.schemas import Recording, Work


@pytest.fixture(scope="module")
def crawl(minisite, tmp_path_factory):
    return crawl_site(minisite.start_url, tmp_path_factory.mktemp("build"), local=True)


def test_every_work_is_found_once(crawl, catalogue):
    assert sorted(w.id for w in crawl.of(Work)) == sorted(w.slug for w in catalogue)


def test_works_carry_page_facts(crawl):
    by_id = {w.id: w for w in crawl.of(Work)}
    assert all(w.url.endswith(f"/chamber-music/{w.id}/") and "?" not in w.url for w in crawl.of(Work))
    assert all(len(w.page_sha256) == 64 and w.fetched_at for w in crawl.of(Work))
    with_article = [w for w in by_id.values() if w.article]
    assert len(with_article) == len(by_id) - 1  # the mini site has exactly one page without an article
    assert all("\n\n" in w.article for w in with_article)  # paragraphs kept
    assert all(w.biography for w in by_id.values())
    assert sum(1 for w in by_id.values() if w.page_movement_titles) >= 1


def test_recordings_link_to_media(crawl, catalogue):
    works_with_audio = {w.id for w in crawl.of(Work)} - {w.slug for w in catalogue if not w.recordings}
    assert {r.work_id for r in crawl.of(Recording)} == works_with_audio
    assert all(r.source_url.startswith("http://127.0.0.1") for r in crawl.of(Recording))
    tracks = [r for r in crawl.of(Recording) if r.movement_number is not None]
    assert tracks and all(r.track_title for r in tracks)
    assert any(r.recording_index == 1 for r in crawl.of(Recording))


def test_robots_and_site_boundaries(crawl, minisite):
    paths = [p for _method, p, _status in minisite.requests]
    assert not any(p.startswith("/private/") for p in paths)
    assert "/robots.txt" in paths
    assert not any(f.stage != "crawl" for f in crawl.failures)


def test_unreachable_site_names_the_url(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/chamber-music/"
    with pytest.raises(CrawlError, match=f"127.0.0.1:{port}"):
        crawl_site(url, tmp_path, local=True)
    assert not (tmp_path / "crawl").exists()
