"""HTTP behaviour of the mini site: pages, the work-page contract, validators, ranges, faults."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from earsense_m2t.offline.minisite import SPECIAL_CASES, MiniSite, load_catalogue, serve, videos_of, with_article
from earsense_m2t.offline.minisite.catalogue import find_work
from tests.offline.minisite._http import fetch

CAT = load_catalogue()


def soup(body: str) -> BeautifulSoup:
    return BeautifulSoup(body, "html.parser")


def work_url(site: MiniSite, key: str, query: str = "") -> str:
    return site.base_url + f"/chamber-music/{SPECIAL_CASES[key]}/" + query


def index_links(site: MiniSite) -> list[str]:
    """Follow rel=next from the start page, as a crawler would."""
    url, hrefs = site.start_url, []
    while url:
        page = soup(fetch(url).text)
        hrefs += [a["href"] for a in page.select("a.work-link")]
        nxt = page.select_one('a[rel="next"]')
        url = site.base_url + nxt["href"] if nxt else ""
    return hrefs


def test_starts_on_free_port_and_logs_requests(site: MiniSite) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.base_url)
    assert site.start_url == site.base_url + "/chamber-music/"
    n = len(site.requests)
    fetch(site.base_url + "/")
    assert site.requests[n] == ("GET", "/", 200)


def test_html_headers(site: MiniSite) -> None:
    r = fetch(site.base_url + "/chamber-music/")
    assert r.status == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert int(r.headers["content-length"]) == len(r.body)
    assert re.fullmatch(r'"[0-9a-f]{32}"', r.headers["etag"])
    assert parsedate_to_datetime(r.headers["last-modified"]).year == 2024
    assert fetch(site.base_url + "/chamber-music/").headers["etag"] == r.headers["etag"]


def test_conditional_requests_and_head(site: MiniSite) -> None:
    url = work_url(site, "second_recording")
    r = fetch(url)
    again = fetch(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status == 304 and again.body == b"" and again.headers["etag"] == r.headers["etag"]
    assert fetch(url, headers={"If-None-Match": '"other"'}).status == 200
    assert fetch(url, headers={"If-Modified-Since": r.headers["last-modified"]}).status == 304
    earlier = format_datetime(parsedate_to_datetime(r.headers["last-modified"]) - timedelta(days=1), usegmt=True)
    assert fetch(url, headers={"If-Modified-Since": earlier}).status == 200
    head = fetch(url, method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["content-length"] == str(len(r.body))


def test_pagination_reaches_every_work(site: MiniSite) -> None:
    first = soup(fetch(site.start_url).text)
    assert len(first.select("a.work-link")) == 8
    assert first.select_one('a[rel="next"].next')["href"] == "/chamber-music/?page=2"
    hrefs = index_links(site)
    assert sorted(hrefs) == sorted(w.url_path for w in CAT)
    assert fetch(site.start_url + "?page=99").status == 404
    assert fetch(site.start_url + "?page=x").status == 404


def test_robots_sitemap_home_private(site: MiniSite) -> None:
    robots = fetch(site.base_url + "/robots.txt").text
    assert "User-agent: *" in robots and "Disallow: /private/" in robots
    assert f"Sitemap: {site.base_url}/sitemap.xml" in robots
    root = ET.fromstring(fetch(site.base_url + "/sitemap.xml").body)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in root.findall("s:url/s:loc", ns)}
    assert len(locs) == len(CAT) - 2
    missing = {site.base_url + w.url_path for w in CAT} - locs
    assert {m.rsplit("/", 2)[1] for m in missing} == {w.slug for w in CAT if not w.in_sitemap}
    home = soup(fetch(site.base_url + "/").text)
    hrefs = {a["href"] for a in home.find_all("a")}
    assert {"/chamber-music/", "/blog/", "/private/"} <= hrefs
    assert sum(h.startswith("/chamber-music/") and h != "/chamber-music/" for h in hrefs) >= 2
    assert fetch(site.base_url + "/private/").status == 200


def test_blog_links_to_works_including_ri(site: MiniSite) -> None:
    index = soup(fetch(site.base_url + "/blog/").text)
    posts = [a["href"] for a in index.select("a.post-link")]
    assert 3 <= len(posts) <= 4
    links = []
    for p in posts:
        links += [a["href"] for a in soup(fetch(site.base_url + p).text).select("article a")]
    assert f"/chamber-music/{SPECIAL_CASES['second_recording']}/?ri=1" in links
    assert all(fetch(site.base_url + h).status == 200 for h in links)


def test_not_found_and_redirect(site: MiniSite) -> None:
    r = fetch(site.base_url + "/nope")
    assert r.status == 404 and r.headers["content-type"].startswith("text/html") and b"404" in r.body
    assert fetch(site.base_url + "/chamber-music/No-Such-Work/").status == 404
    slug = SPECIAL_CASES["no_article"]
    r = fetch(site.base_url + f"/chamber-music/{slug}")
    assert r.status == 301 and r.headers["location"] == f"/chamber-music/{slug}/"
    assert fetch(site.base_url + "/", method="POST").status == 405


def test_video_page_and_media(site: MiniSite) -> None:
    work = find_work(CAT, SPECIAL_CASES["whole_with_timestamps"])
    video = videos_of(work)[0]
    for kind in ("watch", "embed"):
        page = soup(fetch(f"{site.base_url}/{kind}/{video.video_id}").text)
        assert page.select_one('meta[property="og:title"]')["content"] == video.title
        assert page.select_one('meta[property="og:description"]')["content"] == video.description
        assert page.select_one('meta[name="author"]')["content"] == video.uploader
        assert page.select_one("audio#player") is not None
    r = fetch(f"{site.base_url}/media/{video.video_id}.ogg")
    assert r.status == 200 and r.headers["content-type"] == "audio/ogg" and r.headers["accept-ranges"] == "bytes"
    assert r.body == site.media_path(video.video_id).read_bytes()
    assert r.body[:4] == b"OggS" and int(r.headers["content-length"]) == len(r.body)


def test_range_requests(site: MiniSite) -> None:
    vid = videos_of(find_work(CAT, SPECIAL_CASES["no_article"]))[2].video_id
    url = f"{site.base_url}/media/{vid}.ogg"
    full = fetch(url).body
    r = fetch(url, headers={"Range": "bytes=100-199"})
    assert r.status == 206 and r.body == full[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(full)}" and r.headers["content-length"] == "100"
    assert fetch(url, headers={"Range": "bytes=1000-"}).body == full[1000:]
    assert fetch(url, headers={"Range": "bytes=-50"}).body == full[-50:]
    bad = fetch(url, headers={"Range": f"bytes={len(full)}-"})
    assert bad.status == 416 and bad.headers["content-range"] == f"bytes */{len(full)}"
    assert fetch(url, method="HEAD").headers["content-length"] == str(len(full))


def test_faults(media_cache: Path) -> None:
    vids = [v.video_id for v in videos_of(find_work(CAT, SPECIAL_CASES["no_article"]))]
    kinds = ["404", "media-404", "html-media", "truncated"]
    out_of_order = videos_of(find_work(CAT, SPECIAL_CASES["article_out_of_order"]))[1].video_id
    faults = dict(zip(vids, kinds, strict=False)) | {out_of_order: "empty"}
    with serve(cache_dir=media_cache, faults=faults) as s:
        def media(v: str):  # noqa: ANN202
            return fetch(f"{s.base_url}/media/{v}.ogg")

        gone, m404, htmlm, trunc = vids
        empty = next(k for k, v in faults.items() if v == "empty")
        assert fetch(f"{s.base_url}/watch/{gone}").status == 404
        assert fetch(f"{s.base_url}/embed/{gone}").status == 404 and media(gone).status == 404
        assert fetch(f"{s.base_url}/watch/{m404}").status == 200 and media(m404).status == 404
        r = media(htmlm)
        assert r.status == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
        r = media(trunc)
        full = s.media_path(trunc).read_bytes()
        assert r.status == 200 and r.body == full[: len(full) // 10] and r.headers["content-length"] == str(len(r.body))
        r = media(empty)
        assert r.status == 200 and r.body == b"" and r.headers["content-type"] == "audio/ogg"
    with pytest.raises(ValueError):
        MiniSite(faults={"x": "bogus"})
    with pytest.raises(ValueError, match="unknown markup 'fancy'"):
        MiniSite(markup="fancy")


def test_extra_routes_index_links_and_gone(media_cache: Path) -> None:
    big = b"<html><body>" + b"x" * (5 * 1024 * 1024 + 10) + b"</body></html>"
    routes = {
        "/chamber-music/Broken-Page/": (200, {"Content-Type": "text/html; charset=utf-8"},
                                        b"<html><body><h1 class='work-title'>"),
        "/chamber-music/Huge-Page/": (200, {"Content-Type": "text/html; charset=utf-8"}, big),
        "/chamber-music/Latin1/": (200, {"Content-Type": "text/html; charset=iso-8859-1"}, "Dvořák".encode()),
        "/chamber-music/Offsite/": (302, {"Location": "https://example.org/elsewhere"}, b""),
    }
    gone = SPECIAL_CASES["no_article"]
    with serve(cache_dir=media_cache, extra_routes=routes, extra_index_links=list(routes), gone={gone}) as s:
        first = soup(fetch(s.start_url).text)
        assert set(routes) <= {a["href"] for a in first.select("a.work-link")}
        r = fetch(s.base_url + "/chamber-music/Offsite/")
        assert r.status == 302 and r.headers["location"] == "https://example.org/elsewhere"
        assert len(fetch(s.base_url + "/chamber-music/Huge-Page/").body) == len(big)
        assert fetch(s.base_url + "/chamber-music/Latin1/").headers["content-type"].endswith("iso-8859-1")
        assert fetch(s.base_url + f"/chamber-music/{gone}/").status == 410
        hrefs = index_links(s)
        assert f"/chamber-music/{gone}/" not in hrefs
        assert gone not in fetch(s.base_url + "/sitemap.xml").text
        assert fetch(s.pkey_url(gone)).status == 410


def test_modified_catalogue_changes_page_and_etag(media_cache: Path, site: MiniSite) -> None:
    slug = SPECIAL_CASES["second_recording"]
    cat = with_article(CAT, slug, ["A brand-new first paragraph & more.", "Second.", "Third."])
    old = fetch(site.base_url + f"/chamber-music/{slug}/")
    with serve(cat, cache_dir=media_cache, port=0) as s:
        new = fetch(s.base_url + f"/chamber-music/{slug}/")
        assert "A brand-new first paragraph &amp; more." in new.text
        assert new.headers["etag"] != old.headers["etag"]


def test_concurrent_media_requests_render_once(tmp_path: Path) -> None:
    video = videos_of(find_work(CAT, SPECIAL_CASES["article_skips_movement"]))[1]
    with serve(cache_dir=tmp_path) as s:
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(len(fetch(f"{s.base_url}/media/{video.video_id}.ogg").body)))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(results)) == 1 and results[0] > 1000
        assert [p.name for p in tmp_path.iterdir()] == [s.media_path(video.video_id).name]


def test_generated_catalogue_serves_24_per_page(media_cache: Path) -> None:
    from earsense_m2t.offline.minisite import generate_catalogue

    cat = generate_catalogue(60, seed=1)
    with serve(cat, cache_dir=media_cache) as s:
        first = soup(fetch(s.start_url).text)
        assert len(first.select("a.work-link")) == 24
        assert sorted(index_links(s)) == sorted(w.url_path for w in cat)
        page = soup(fetch(s.base_url + cat[0].url_path).text)
        assert page.select_one("h1.work-title").get_text() == cat[0].title
