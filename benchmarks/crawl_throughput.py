"""Crawl throughput on a generated EarSense-like site, then an unchanged refresh, side by side.

    python benchmarks/crawl_throughput.py [--works 2500]

Prints pages/s of the first crawl (throttling off, loopback), the parse cost per work page measured
in-process (selectors + BeautifulSoup, no network), and for the refresh: how many work pages were
answered 304 and how many works were re-emitted as changed (target: all 304, zero changed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from scrapy.http import HtmlResponse, Request

from earsense_m2t.crawlers.crawl import crawl_site
from earsense_m2t.crawlers.spiders.earsense import EarSenseSpider
from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.generate import generate_catalogue
from earsense_m2t.schemas import Work
from earsense_m2t.schemas.layout import OutputLayout


def parse_cost(base_url: str, pages: list[tuple[str, bytes]], repeat: int = 3) -> float:
    """Seconds of CPU per work page for the spider's own parsing, best of ``repeat``."""
    spider = EarSenseSpider(start_url=base_url + "/chamber-music/")
    best = float("inf")
    for _ in range(repeat):
        spider.works_seen.clear()
        t0 = time.process_time()
        for url, body in pages:
            response = HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))
            for _item in spider.parse_work(response, url.rstrip("/").rsplit("/", 1)[-1]):
                pass
        best = min(best, (time.process_time() - t0) / len(pages))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=2500)
    args = parser.parse_args()
    catalogue = generate_catalogue(args.works)
    with tempfile.TemporaryDirectory() as tmp, serve(catalogue=catalogue, cache_dir=OutputLayout(Path(tmp)).minisite_media) \
            as site:
        build = OutputLayout(Path(tmp)).build_dir
        t0 = time.perf_counter()
        first = crawl_site(site.start_url, build, local=True)
        first_s = time.perf_counter() - t0
        first_pages = len(site.requests)
        mark = len(site.requests)
        t0 = time.perf_counter()
        second = crawl_site(site.start_url, build, local=True)
        second_s = time.perf_counter() - t0
        refresh = site.requests[mark:]
        import urllib.request

        sample = [w.url for w in first.of(Work)[:200]]
        pages = [(u, urllib.request.urlopen(u).read()) for u in sample]
        per_page = parse_cost(site.base_url, pages)

    work_refresh = [s for _m, p, s in refresh if p.startswith("/chamber-music/") and p.count("/") == 3]
    print(f"site: {args.works} works, {first_pages} requests in the first crawl")
    print(f"first crawl:   {first_s:7.1f} s  {first_pages / first_s:7.1f} pages/s  (target >= 50 pages/s)"
          f"  works found {len(first.of(Work))}")
    print(f"parse cost:    {per_page * 1000:7.2f} ms CPU per work page (selectors + BeautifulSoup)")
    print(f"refresh:       {second_s:7.1f} s  {len(refresh) / second_s:7.1f} pages/s  "
          f"work pages 304: {work_refresh.count(304)}/{len(work_refresh)}  "
          f"changed: {len(second.notes['changed'])}  new: {len(second.notes['new'])}  "
          f"unchanged: {len(second.notes['unchanged'])}")
    print(f"ratio refresh/first time: {second_s / first_s:.2f}")


if __name__ == "__main__":
    main()
